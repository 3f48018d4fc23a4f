"""The phone tab: the web switch and channels (admins, CSRF), desk slips as a PDF whose QR codes, rendered
with pdftoppm and read with zbarimg, open a ballot that works with no kiosk; a dossier gets one rating."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from dashboard_world import World, build_world, csrf_of, login, make_client
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sync_server.db import read_session
from sync_server.models import Response, Unit, utcnow
from sync_server.web_ballots import check_token


@pytest.fixture(scope="module")
def own_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = build_world(tmp_path_factory.mktemp("phone"))
    yield w
    w.engine.dispose()


@pytest.fixture()
def client(own_world: World) -> Iterator[TestClient]:
    with make_client(own_world, public_url="https://danhgia.xa.gov.vn", cookie_secure=False) as c:
        yield c


def _unit(world: World, code: str = "XA01") -> Unit:
    with read_session(world.engine) as session:
        unit = session.execute(select(Unit).where(Unit.code == code)).scalars().one()  # type: ignore[arg-type]
        session.expunge(unit)
    return unit


def _settings(client: TestClient, **form: str) -> tuple[int, str]:
    page = client.get("/dashboard/phone?unit=XA01")
    data = {"csrf_token": csrf_of(page.text.split('id="channels"', 1)[1]), **form}
    reply = client.post("/dashboard/phone/settings?unit=XA01", data=data)
    return reply.status_code, reply.text


def test_an_administrator_turns_phone_ballots_on_and_fills_the_channels(
    client: TestClient, own_world: World
) -> None:
    assert _unit(own_world).web_ballots_enabled is False  # off until an administrator turns it on
    login(client, "admin")
    forged = client.post("/dashboard/phone/settings?unit=XA01", data={"enabled": "1", "csrf_token": "x"})
    assert forged.status_code == 403 and _unit(own_world).web_ballots_enabled is False
    status, text = _settings(client, hotline="0210 3 456 789", zalo="x" * 201)
    assert status == 400 and "200" in text and _unit(own_world).hotline is None
    status, text = _settings(
        client,
        enabled="1",
        hotline=" 0210\t3 456 789 ",
        feedback_box="Cửa phòng một cửa",
        email="ubnd@hoabinh.gov.vn",
        zalo="0912000111",
        facebook="https://facebook.com/ubndhoabinh",
    )
    assert status == 200 and "Đã lưu." in text
    unit = _unit(own_world)
    assert (unit.web_ballots_enabled, unit.hotline, unit.zalo) == (True, "0210 3 456 789", "0912000111")


def test_a_viewer_prints_slips_but_cannot_change_the_settings(client: TestClient, own_world: World) -> None:
    login(client, "xem")
    page = client.get("/dashboard/phone?unit=XA01")
    assert page.status_code == 200 and 'id="slips"' in page.text and 'id="channels"' not in page.text
    refused = client.post(
        "/dashboard/phone/settings?unit=XA01", data={"csrf_token": csrf_of(page.text), "enabled": "1"}
    )
    assert refused.status_code == 403


def _decode_pdf(pdf: bytes, tmp: Path) -> list[str]:
    (tmp / "slips.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(tmp / "slips.pdf"), str(tmp / "p")],
        check=True,
    )
    page = next(tmp.glob("p*.png"))
    shots = os.environ.get("SURVEY_PHONE_SCREENSHOTS")  # e.g. docs/screenshots/phone
    if shots and not (Path(shots) / "slips-a4.png").exists():
        shutil.copyfile(page, Path(shots) / "slips-a4.png")
    out = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(page)], capture_output=True, text=True, check=False
    )
    return [line for line in out.stdout.splitlines() if line]


@pytest.mark.skipif(
    not shutil.which("zbarimg") or not shutil.which("pdftoppm"), reason="zbar-tools, poppler-utils"
)
def test_desk_slips_decode_to_urls_that_open_a_ballot_once_per_dossier(
    client: TestClient, own_world: World, tmp_path: Path
) -> None:
    login(client, "admin")
    _settings(client, enabled="1", hotline="0210 3 456 789")
    client.cookies.clear()
    login(client, "xem")
    page = client.get("/dashboard/phone?unit=XA01")
    reply = client.post(
        "/dashboard/phone/slips?unit=XA01",
        data={
            "csrf_token": csrf_of(page.text),
            "staff_id": "cb01",
            "dossiers": "HS-0042\nHS-0043\n",
            "blank": "6",
        },
    )
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/pdf"
    urls = _decode_pdf(reply.content, tmp_path)
    assert len(urls) == 8  # 8 slips on the first A4 page, each read back from the printed image
    assert all(u.startswith("https://danhgia.xa.gov.vn/r/") for u in urls)
    tokens = [urlsplit(u).path.removeprefix("/r/") for u in urls]
    with read_session(own_world.engine) as session:
        claims = [check_token(session, t, utcnow(), "test-secret").claims for t in tokens]
    assert {c.staff_id for c in claims} == {"cb01"}
    assert sorted(c.dossier for c in claims if c.dossier) == ["HS-0042", "HS-0043"]
    dossier_token = next(t for t, c in zip(tokens, claims, strict=True) if c.dossier == "HS-0042")
    # A citizen's phone (no log-in, no kiosk anywhere) rates through the slip.
    phone = TestClient(client.app, follow_redirects=False)
    before = _ballots(own_world)
    first = phone.get(f"/r/{dossier_token}")
    assert "Nguyễn Thị Hằng" in first.text
    state = html.unescape(re.search(r'name="state" value="([^"]+)"', first.text).group(1))  # type: ignore[union-attr]
    offer = phone.post(f"/r/{dossier_token}", data={"state": state, "value": "4"})
    state = html.unescape(re.search(r'name="state" value="([^"]+)"', offer.text).group(1))  # type: ignore[union-attr]
    done = phone.post(f"/r/{dossier_token}", data={"state": state, "do": "send"})
    assert done.status_code == 303
    assert "0210 3 456 789" in phone.get(done.headers["location"]).text  # the hotline on the last page
    assert _ballots(own_world) == before + 1
    # The dashboard's source filter: the phone's one ballot alone, or with the kiosk's.
    web = client.get(f"/dashboard/?unit=XA01&period=month&key={own_world.month_key}&source=web")
    every = client.get(f"/dashboard/?unit=XA01&period=month&key={own_world.month_key}")
    assert _figure(web.text, "n") == "1" and int(_figure(every.text, "n")) > 1
    assert 'option value="web" selected' in web.text
    # A second slip printed later for the same dossier is refused: one rating per dossier.
    again = client.post(
        "/dashboard/phone/slips?unit=XA01",
        data={"csrf_token": csrf_of(page.text), "staff_id": "cb01", "dossiers": "HS-0042", "blank": "0"},
    )
    (tmp_path / "again").mkdir()
    (second,) = _decode_pdf(again.content, tmp_path / "again")
    refused = phone.get(urlsplit(second).path)
    assert 'data-reason="used"' in refused.text
    assert _ballots(own_world) == before + 1


def _figure(page: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}"[^>]*>([^<]*)<', page)
    assert found, page[:3000]
    return found.group(1).strip().replace(".", "")


def _ballots(world: World) -> int:
    with read_session(world.engine) as session:
        return int(session.execute(select(func.count()).select_from(Response)).scalar_one())


def test_bad_slip_requests_get_a_sentence_and_no_pdf(client: TestClient) -> None:
    login(client, "xem")
    page = client.get("/dashboard/phone?unit=XA01")
    token = csrf_of(page.text)
    for form in ({"staff_id": "nobody"}, {"days": "0"}, {"blank": "0"}, {"dossiers": "x" * 65, "blank": "0"}):
        reply = client.post("/dashboard/phone/slips?unit=XA01", data={"csrf_token": token, **form})
        assert reply.status_code == 400 and "text/html" in reply.headers["content-type"], form
        assert 'class="flash error"' in reply.text

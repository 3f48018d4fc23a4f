"""Consented phone numbers: erased 90 days after receipt by the nightly job, or sooner on request.

Real database (a SQLite file, then PostgreSQL), the real ingest, the real nightly job, the real
`survey-server` process and the real dashboard; every clock is fixed.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from api_helpers import PASSWORD, populate
from fastapi.testclient import TestClient
from sqlalchemy import Engine, MetaData, select
from sqlalchemy.engine import make_url
from sqlmodel import Session

from surveys.loader import Survey
from sync_server.admin import add_user, create_enrolment_code, enrol_device
from sync_server.app import create_app
from sync_server.db import make_engine, write_session
from sync_server.ingest import ingest_batch
from sync_server.jobs import run_nightly
from sync_server.models import AlertAck, Device, Response, ResponseConflict, ResponseQuarantine, User
from sync_server.settings import Settings

NIGHT = dt.datetime(2025, 6, 20, 20, 30, tzinfo=dt.UTC)  # 03:30 on 21 June in Hà Nội
OLD = NIGHT - dt.timedelta(days=95)
EDGE = NIGHT - dt.timedelta(days=90) + dt.timedelta(hours=1)  # 89 days 23 hours: kept
YOUNG = NIGHT - dt.timedelta(days=30)
OLD_PHONE, YOUNG_PHONE, EDGE_PHONE = "0911111111", "0922222222", "0933333333"
TARGET, OTHER = "0912345678", "0987654321"
# The local days of the YOUNG ballots (given at 03:20 in Hà Nội, the day after YOUNG's UTC date).
YOUNG_DAYS = (
    f"period=custom&from={YOUNG.date().isoformat()}&to={(YOUNG + dt.timedelta(days=1)).date().isoformat()}"
)
# Every way TARGET is written below; none may remain anywhere once it is erased.
TARGET_SPELLINGS = ("0912345678", "912345678", "0912 345 678", "0912.345.678", "912 345 678")


@dataclass
class World:
    url: str
    engine: Engine
    settings: Settings
    survey: Survey
    devices: dict[str, Device]
    seq: int = 0

    def item(self, at: dt.datetime, phone: str | None = None, **fields: Any) -> dict[str, Any]:
        self.seq += 1
        given = at - dt.timedelta(minutes=10)
        item: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "seq": self.seq,
            "survey_id": self.survey.id,
            "survey_version": self.survey.version,
            "staff_id": None,
            "started_at": (given - dt.timedelta(seconds=40)).isoformat(),
            "submitted_at": given.isoformat(),
            "answers": {"tong_the": 4},
            "comment": "Thủ tục nhanh, cán bộ nhiệt tình.",
            "contact": {"phone": phone, "consent": True} if phone else None,
            "lang": "vi",
        }
        item.update(fields)
        return item

    def ingest(self, at: dt.datetime, items: list[dict[str, Any]], unit: str = "XA01") -> list[str]:
        with write_session(self.engine) as session:
            device = session.get(Device, self.devices[unit].id)
            assert device is not None
            results = ingest_batch(session, device, items, at)
            session.commit()
        return [r.status for r in results]

    def phone_of(self, rid: str) -> str | None:
        with Session(self.engine) as session:
            row = session.get(Response, rid)
            assert row is not None
            return row.contact_phone


@pytest.fixture()
def world(server_db_url: str, tmp_path: Path) -> Iterator[World]:
    settings = Settings(database_url=server_db_url, data_dir=tmp_path / "server", secret_key="test-secret")
    engine = make_engine(server_db_url)
    survey = populate(engine, tmp_path, settings)
    devices = {}
    with write_session(engine) as session:
        for unit in ("XA01", "XA02"):
            code, _ = create_enrolment_code(session, unit, OLD - dt.timedelta(days=1), 86400)
            devices[unit], _, _ = enrol_device(session, code, f"Quầy {unit}", OLD - dt.timedelta(days=1))
        add_user(session, "admin", PASSWORD, "admin", None)
        add_user(session, "lanhdao", PASSWORD, "leader", "XA01")
        session.commit()
    yield World(server_db_url, engine, settings, survey, devices)
    engine.dispose()


def _everything(engine: Engine) -> str:
    """Every value of every row of every table, as text."""
    meta = MetaData()
    meta.reflect(engine)
    parts = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            parts += [repr(tuple(row)) for row in conn.execute(select(table))]
    return "\n".join(parts)


def _file_bytes(world: World) -> bytes:
    """The SQLite file and its write-ahead log, as on disk."""
    path = Path(make_url(world.url).database or "")
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_the_nightly_job_erases_numbers_older_than_90_days_and_keeps_younger_ones(world: World) -> None:
    old = world.item(OLD, OLD_PHONE, comment="Cán bộ hướng dẫn tận tình, thủ tục rõ ràng. " * 20)
    rejected_old = world.item(OLD, OLD_PHONE, answers={"khong_co": 5})
    changed_old = dict(old, answers={"tong_the": 2})
    assert world.ingest(OLD, [old, rejected_old, changed_old]) == ["created", "rejected", "conflict"]
    edge = world.item(EDGE, EDGE_PHONE)
    young = world.item(YOUNG, YOUNG_PHONE)
    rejected_young = world.item(YOUNG, YOUNG_PHONE, answers={"khong_co": 5})
    assert world.ingest(YOUNG, [edge, young, rejected_young]) == ["created", "created", "rejected"]
    assert OLD_PHONE in _everything(world.engine)

    report = run_nightly(world.engine, world.settings, now=NIGHT)

    assert report is not None and not report["errors"]
    assert report["contacts"] == {"days": 90, "ballots": 1, "audit": 2}
    assert world.phone_of(old["id"]) is None
    assert world.phone_of(edge["id"]) == EDGE_PHONE
    assert world.phone_of(young["id"]) == YOUNG_PHONE
    with Session(world.engine) as session:
        kept = session.get(Response, old["id"])
        assert kept is not None and kept.comment == old["comment"] and kept.answers == {"tong_the": 4}
        raws = [q.raw for q in session.exec(select(ResponseQuarantine)).scalars()]  # type: ignore[call-overload]
        raws += [c.raw for c in session.exec(select(ResponseConflict)).scalars()]  # type: ignore[call-overload]
    assert len(raws) == 3 and sum(YOUNG_PHONE in raw for raw in raws) == 1
    everything = _everything(world.engine)
    assert OLD_PHONE not in everything and YOUNG_PHONE in everything and EDGE_PHONE in everything
    if world.url.startswith("sqlite"):
        on_disk = _file_bytes(world)
        assert OLD_PHONE.encode() not in on_disk and YOUNG_PHONE.encode() in on_disk

    again = run_nightly(world.engine, world.settings, now=NIGHT + dt.timedelta(days=1))
    assert again is not None and again["contacts"] == {"days": 90, "ballots": 0, "audit": 0}
    later = run_nightly(world.engine, world.settings.with_(contact_retention_days=20), now=NIGHT)
    assert later is not None and later["contacts"]["ballots"] == 2
    assert world.phone_of(young["id"]) is None


def _cli(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SURVEY_DATABASE_URL": world.url, "SURVEY_DATA_DIR": str(world.settings.data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "sync_server.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _erase_world(world: World) -> dict[str, dict[str, Any]]:
    items = {
        "plain": world.item(YOUNG, "0912345678"),
        "spaced": world.item(YOUNG, "0912 345 678"),
        "intl": world.item(YOUNG, "+84912345678", answers={"tong_the": 1}),
        "other": world.item(YOUNG, OTHER, comment="Xin gọi lại số 0912.345.678 giúp tôi."),
        "rejected": world.item(YOUNG, TARGET, answers={"khong_co": 5}),
    }
    items["changed"] = dict(items["plain"], answers={"tong_the": 3})
    statuses = world.ingest(YOUNG, list(items.values()))
    assert statuses == ["created"] * 4 + ["rejected", "conflict"]
    elsewhere = world.item(YOUNG, TARGET)
    assert world.ingest(YOUNG, [elsewhere], unit="XA02") == ["created"]
    items["elsewhere"] = elsewhere
    with write_session(world.engine) as session:
        admin = session.exec(select(User).where(User.username == "admin")).scalar_one()  # type: ignore[call-overload]
        session.add(
            AlertAck(response_id=items["intl"]["id"], user_id=admin.id, username="admin",
                     note="Đã gọi 0912 345 678, người dân hài lòng.", acked_at=YOUNG)
        )  # fmt: skip
        session.commit()
    return items


def test_erase_on_request_removes_the_number_everywhere_including_exports(world: World) -> None:
    items = _erase_world(world)

    done = _cli(world, "contact", "erase", "XA01", "--phone", "0912.345.678")

    assert done.returncode == 0, done.stderr
    assert "Unit XA01: 3 ballots lost the phone number" in done.stdout
    assert "2 audit copies and 2 comments or notes were cleaned" in done.stdout
    assert not any(s in done.stdout + done.stderr for s in TARGET_SPELLINGS)
    for name in ("plain", "spaced", "intl"):
        assert world.phone_of(items[name]["id"]) is None
    assert world.phone_of(items["other"]["id"]) == OTHER
    assert world.phone_of(items["elsewhere"]["id"]) == TARGET  # another commune: not asked there
    with Session(world.engine) as session:
        other = session.get(Response, items["other"]["id"])
        assert other is not None and other.comment == "Xin gọi lại số [đã xoá số điện thoại] giúp tôi."
        kept = session.get(Response, items["plain"]["id"])
        assert kept is not None and kept.comment == items["plain"]["comment"]

    with TestClient(create_app(world.settings, engine=world.engine), follow_redirects=False) as client:
        _login(client, "admin")
        query = f"unit=XA01&{YOUNG_DAYS}"
        for fmt in ("csv", "xlsx"):
            export = client.get(f"/dashboard/exports/ballots.{fmt}?{query}")
            assert export.status_code == 200
            if fmt == "csv":
                text = export.content.decode("utf-8-sig")
                assert OTHER in text and not any(s in text for s in TARGET_SPELLINGS)

    leftovers = _everything(world.engine).replace(repr(items["elsewhere"]["contact"]), "")
    leftovers = leftovers.replace(f"'{TARGET}'", "", 1)  # the XA02 ballot's own column
    assert [s for s in TARGET_SPELLINGS if s in leftovers] == []
    if world.url.startswith("sqlite"):
        _cli(world, "contact", "erase", "XA02", "--phone", TARGET)
        on_disk = _file_bytes(world)
        assert [s for s in TARGET_SPELLINGS if s.encode() in on_disk] == []
        assert OTHER.encode() in on_disk


def test_erase_refuses_a_bad_unit_or_number_in_one_sentence(world: World) -> None:
    if not world.url.startswith("sqlite"):
        pytest.skip("the refusals do not depend on the database")
    unit = _cli(world, "contact", "erase", "XA-99", "--phone", TARGET)
    assert unit.returncode == 1
    assert unit.stderr.strip() == "Error: There is no unit 'XA-99': see the unit codes on the dashboard."
    number = _cli(world, "contact", "erase", "XA01", "--phone", "09123abc45")
    assert number.returncode == 1 and "09123" not in number.stderr
    assert number.stderr.strip().count("\n") == 0 and "not a phone number" in number.stderr


def _login(client: TestClient, username: str) -> None:
    from sync_server.dashboard.auth import SESSION_COOKIE

    page = client.get("/dashboard/login")
    reply = client.post(
        "/dashboard/login",
        data={"username": username, "password": PASSWORD, "csrf_token": _csrf(page.text)},
    )
    assert reply.status_code == 303 and client.cookies.get(SESSION_COOKIE)


def _csrf(html: str) -> str:
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_an_admin_erases_a_number_from_the_comments_page(world: World) -> None:
    items = _erase_world(world)
    page_url = f"/dashboard/comments?unit=XA01&{YOUNG_DAYS}"
    action = f"/dashboard/comments/{items['spaced']['id']}/erase-phone"
    app = create_app(world.settings, engine=world.engine)
    with TestClient(app, follow_redirects=False) as leader:
        _login(leader, "lanhdao")
        page = leader.get(page_url).text
        assert "0912 345 678" in page and "erase-phone" not in page  # leaders see numbers, cannot erase
        assert leader.post(action, data={"csrf_token": _csrf(page)}).status_code == 403
    with TestClient(app, follow_redirects=False) as admin:
        _login(admin, "admin")
        page = admin.get(page_url).text
        assert action in page
        assert admin.post(action, data={"csrf_token": "forged"}).status_code in (400, 403)
        assert world.phone_of(items["spaced"]["id"]) == "0912 345 678"
        done = admin.post(action, data={"csrf_token": _csrf(page), "back": page_url})
        assert done.status_code == 303 and done.headers["location"].endswith(page_url)
        after = admin.get(page_url).text
    assert not any(s in after for s in TARGET_SPELLINGS) and OTHER in after
    assert [world.phone_of(items[n]["id"]) for n in ("plain", "spaced", "intl")] == [None, None, None]


def test_the_retention_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.from_env().contact_retention_days == 90
    monkeypatch.setenv("SURVEY_CONTACT_RETENTION_DAYS", "30")
    assert Settings.from_env().contact_retention_days == 30
    for bad in ("0", "ba mươi"):
        monkeypatch.setenv("SURVEY_CONTACT_RETENTION_DAYS", bad)
        with pytest.raises(ValueError, match="SURVEY_CONTACT_RETENTION_DAYS"):
            Settings.from_env()

"""The phone ballot's pages (`/r/<token>`) over HTTP: a whole ballot, every refusal, the limits, no cookie."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_helpers import Api
from sqlalchemy import func, select, update

from kiosk import phone_ballot
from kiosk.store import KioskStore
from kiosk.ui.strings import STRINGS as KIOSK_STRINGS
from surveys import ballot_token as bt
from sync_server.admin import revoke_device
from sync_server.db import write_session
from sync_server.models import Response, Unit, WebTokenUse
from sync_server.web.strings import STRINGS
from sync_server.web_ballots import WebLimits

NOW = dt.datetime(2026, 3, 2, 8, 15, tzinfo=dt.UTC)


def _switch(api: Api, code: str = "XA01", on: bool = True) -> None:
    with write_session(api.engine) as session:
        session.execute(update(Unit).where(Unit.code == code).values(web_ballots_enabled=on))  # type: ignore[arg-type]
        session.commit()


def _kiosk(api: Api, tmp_path: Path, unit: str = "XA01") -> tuple[KioskStore, str]:
    store = KioskStore(tmp_path / f"kiosk-{unit}.db")
    reply = api.client.post(
        "/api/v1/devices/enrol",
        json={"code": api.code(unit), "name": "Quầy 1", "ballot_key": phone_ballot.ensure_key(store)},
    )
    assert reply.status_code == 201, reply.text
    store.set("device_id", reply.json()["device_id"])
    return store, reply.json()["device_id"]


def _stored(api: Api) -> tuple[int, int]:
    with api.session() as session:
        ballots = session.execute(select(func.count()).select_from(Response)).scalar_one()
        spent = session.execute(select(func.count()).select_from(WebTokenUse)).scalar_one()
    return int(ballots), int(spent)


def _state(page: httpx.Response) -> str:
    found = re.search(r'name="state" value="([^"]+)"', page.text)
    assert found, page.text[:2000]
    return html.unescape(found.group(1))


def _tap(api: Api, token: str, page: httpx.Response, **form: Any) -> httpx.Response:
    return api.client.post(f"/r/{token}", data={"state": _state(page), **form}, follow_redirects=False)


def _reason(page: httpx.Response) -> str:
    found = re.search(r'data-reason="([a-z_]+)"', page.text)
    assert found, page.text[:2000]
    return found.group(1)


@pytest.fixture()
def clocked(api: Api) -> Api:
    api.client.app.state.phone_clock = lambda: NOW  # type: ignore[attr-defined]
    api.client.app.state.web_limits = WebLimits(ip_max=1000, issuer_max=1000)  # type: ignore[attr-defined]
    _switch(api)
    return api


def test_a_whole_phone_ballot_is_stored_once_with_source_web(clocked: Api, tmp_path: Path) -> None:
    api = clocked
    store, _ = _kiosk(api, tmp_path)
    token = phone_ballot.mint(store, staff_id="cb01", now=NOW - dt.timedelta(hours=1))
    assert token is not None
    first = api.client.get(f"/r/{token}")
    assert first.status_code == 200
    assert "set-cookie" not in first.headers
    assert "script-src" not in first.headers["content-security-policy"]
    assert "default-src 'none'" in first.headers["content-security-policy"]
    assert "Nguyễn Văn An" in first.text  # the officer from the token; not asked
    assert 'data-question="tong_the"' in first.text
    offer = _tap(api, token, first, value="2")
    # A low score asks its reasons first (survey 2026.1), as on the kiosk.
    assert "data-question=" in offer.text and 'data-question="tong_the"' not in offer.text
    reasons = _tap(api, token, offer, do="answer", opt="doi_tien_qua")
    assert 'data-do="more"' in reasons.text
    more = _tap(api, token, reasons, do="more")
    page = more
    while 'name="comment"' not in page.text:
        assert page.status_code == 200, page.text[:500]
        page = _tap(api, token, page, do="skip")
    assert _stored(api) == (0, 0)  # nothing stored until the last page
    for key in ("comment_question", "contact_question", "consent", "contact_privacy"):
        assert html.escape(KIOSK_STRINGS[key]["vi"], quote=False) in page.text, key  # the kiosk's words
    unconsented = _tap(api, token, page, do="answer", comment="Chờ lâu.", phone="0912 345 678")
    assert STRINGS["phone_locked"]["vi"] in unconsented.text and _stored(api) == (0, 0)
    done = _tap(api, token, unconsented, do="answer", comment="Chờ lâu.", phone="0912 345 678", consent="1")
    assert done.status_code == 303, done.text[:500]
    thanks = api.client.get(done.headers["location"])
    assert "Xin trân trọng cảm ơn Ông/Bà!" in thanks.text
    with api.session() as session:
        row = session.execute(select(Response)).scalars().one()
    assert (row.source, row.staff_id, row.answers["tong_the"]) == ("web", "cb01", 2)
    assert row.answers["ly_do_chua_hai_long"] == ["doi_tien_qua"] and row.alert_kind is not None
    assert (row.comment, row.contact_phone) == ("Chờ lâu.", "0912345678")
    # The same page sent again, or the link opened again: refused, nothing more stored.
    again = _tap(api, token, page, do="answer", comment="Lần hai")
    assert _reason(again) == "used" and "đã được dùng" in again.text
    assert _reason(api.client.get(f"/r/{token}")) == "used"
    assert _stored(api) == (1, 1)
    store.close()


def test_the_officer_is_chosen_when_the_token_names_none_and_english(clocked: Api, tmp_path: Path) -> None:
    api = clocked
    store, _ = _kiosk(api, tmp_path)
    token = phone_ballot.mint(store, now=NOW)
    assert token is not None
    first = api.client.get(f"/r/{token}?lang=en")
    assert "Which officer served you?" in first.text and 'data-staff="cb02"' in first.text
    rating = _tap(api, token, first, staff="cb02")
    assert 'data-question="tong_the"' in rating.text and "Trần Thị Bình" in rating.text
    vietnamese = _tap(api, token, rating, do="lang")
    assert "Rất hài lòng" in vietnamese.text
    offer = _tap(api, token, vietnamese, value="5")
    done = _tap(api, token, offer, do="send")
    assert done.status_code == 303
    with api.session() as session:
        row = session.execute(select(Response)).scalars().one()
    assert (row.staff_id, row.answers, row.lang, row.contact_phone) == ("cb02", {"tong_the": 5}, "vi", None)
    store.close()


def test_a_changed_hidden_state_is_refused(clocked: Api, tmp_path: Path) -> None:
    api = clocked
    store, _ = _kiosk(api, tmp_path)
    token = phone_ballot.mint(store, staff_id="cb01", now=NOW)
    assert token is not None
    first = api.client.get(f"/r/{token}")
    state = _state(first)
    forged = state[:-3] + ("AAA" if state[-3:] != "AAA" else "BBB")
    page = api.client.post(f"/r/{token}", data={"state": forged, "value": "5"})
    assert page.status_code == 400 and _reason(page) == "stale"
    other = phone_ballot.mint(store, staff_id="cb01", now=NOW)
    assert other is not None
    moved = api.client.post(f"/r/{other}", data={"state": state, "value": "5"})  # another token's page
    assert _reason(moved) == "stale"
    assert _stored(api) == (0, 0)
    store.close()


def _ballot_through(api: Api, token: str) -> httpx.Response:
    first = api.client.get(f"/r/{token}")
    if 'data-question="tong_the"' not in first.text:
        return first
    offer = _tap(api, token, first, value="4")
    return _tap(api, token, offer, do="send")


def test_every_bad_token_gets_its_page_and_nothing_is_stored(clocked: Api, tmp_path: Path) -> None:
    api = clocked
    store, device_id = _kiosk(api, tmp_path)
    good = phone_ballot.mint(store, staff_id="cb01", now=NOW)
    assert good is not None
    raw = bt.unb64(good)
    for index in range(len(raw)):  # every byte changed
        changed = bytearray(raw)
        changed[index] ^= 0x10
        page = api.client.get(f"/r/{bt.b64(bytes(changed))}")
        assert page.status_code == 400 and _reason(page) in ("malformed", "signature"), index
        assert "Mã đánh giá" in page.text
    expired = phone_ballot.mint(store, staff_id="cb01", now=NOW - dt.timedelta(days=8))
    foreign = phone_ballot.mint(store, staff_id="cb09", now=NOW)  # an officer of XA02
    assert expired is not None and foreign is not None
    assert _reason(_ballot_through(api, expired)) == "expired"
    assert _reason(_ballot_through(api, foreign)) == "foreign"
    other_store, _ = _kiosk(api, tmp_path, "XA02")  # XA02 has not turned phone ballots on
    theirs = phone_ballot.mint(other_store, now=NOW)
    assert theirs is not None and _reason(_ballot_through(api, theirs)) == "disabled"
    assert _stored(api) == (0, 0)
    # A page opened before the kiosk was revoked is refused when sent.
    first = api.client.get(f"/r/{good}")
    with write_session(api.engine) as session:
        revoke_device(session, device_id)
        session.commit()
    refused = _tap(api, good, first, value="5")
    assert refused.status_code == 410 and _reason(refused) == "revoked"
    assert "thu hồi" in refused.text
    assert _stored(api) == (0, 0)
    store.close()
    other_store.close()


def test_the_switch_is_off_until_an_administrator_turns_it_on(api: Api, tmp_path: Path) -> None:
    store, _ = _kiosk(api, tmp_path)
    token = phone_ballot.mint(store, staff_id="cb01")
    assert token is not None
    page = api.client.get(f"/r/{token}")
    assert page.status_code == 403 and _reason(page) == "disabled"
    assert "chưa mở đánh giá trên điện thoại" in page.text
    _switch(api)
    assert 'data-question="tong_the"' in api.client.get(f"/r/{token}").text
    store.close()


def test_an_address_is_limited_and_the_limit_is_kept_in_the_database(clocked: Api, tmp_path: Path) -> None:
    api = clocked
    api.client.app.state.web_limits = WebLimits(ip_max=2, issuer_max=1000)  # type: ignore[attr-defined]
    store, _ = _kiosk(api, tmp_path)
    tokens = [phone_ballot.mint(store, staff_id="cb01", now=NOW) for _ in range(3)]
    assert all(t is not None for t in tokens)
    assert [_ballot_through(api, t).status_code for t in tokens if t] == [303, 303, 429]
    assert _stored(api) == (2, 2)
    # Another process on the same database sees the same count (the limit is not in memory).
    from fastapi.testclient import TestClient

    from sync_server.app import create_app

    other = create_app(api.settings, engine=api.engine)
    other.state.phone_clock = lambda: NOW
    other.state.web_limits = WebLimits(ip_max=2, issuer_max=1000)
    with TestClient(other) as client:
        busy = client.get(f"/r/{tokens[2]}")
        assert busy.status_code == 200  # opening the page is not a ballot
        offer = client.post(f"/r/{tokens[2]}", data={"state": _state(busy), "value": "5"})
        sent = client.post(f"/r/{tokens[2]}", data={"state": _state(offer), "do": "send"})
    assert sent.status_code == 429 and _reason(sent) == "busy"
    assert _stored(api) == (2, 2)
    store.close()


def test_bad_input_gets_a_page_never_a_server_error(clocked: Api, tmp_path: Path) -> None:
    api = clocked
    store, _ = _kiosk(api, tmp_path)
    token = phone_ballot.mint(store, now=NOW)
    assert token is not None
    for path in (
        "/r/" + "A" * 5000,
        "/r/%00%ff",
        "/r/tiếng-việt",
        "/r/cam-on/NOPE",
        "/r/" + token + "?lang=xx",
    ):
        assert api.client.get(path).status_code < 500, path
    first = api.client.get(f"/r/{token}")
    state = _state(first)
    forms: list[dict[str, Any]] = [
        {"staff": "cb09"},  # another unit's officer
        {"staff": "x" * 150},
        {"do": "teleport"},
        {"do": "send"},
        {"state": "", "value": "5"},
        {"state": "x" * 10000},
        {"comment": "x" * 5000},
        {"phone": "9" * 100},
    ]
    for form in forms:
        reply = api.client.post(f"/r/{token}", data={"state": state, **form})
        assert reply.status_code < 500, form
        if "staff" in form:  # only the unit's own officers can be chosen: the list again
            assert 'data-staff="cb01"' in reply.text, form
    rating = _tap(api, token, first, staff="cb01")
    for value in ("0", "6", "abc", "", "5" * 40):
        assert _tap(api, token, rating, value=value).status_code == 200, value
    offer = _tap(api, token, rating, value="1")
    assert _tap(api, token, offer, do="answer", opt="no_such_reason").status_code == 200
    assert _stored(api) == (0, 0)
    store.close()


def test_two_phones_sending_one_token_at_once_store_one_ballot(clocked: Api, tmp_path: Path) -> None:
    import threading

    from sync_server import web_ballots

    api = clocked
    store, _ = _kiosk(api, tmp_path)
    token = phone_ballot.mint(store, staff_id="cb01", now=NOW)
    assert token is not None
    ballot = web_ballots.PhoneBallot(
        api.survey.id, api.survey.version, "cb01", {"tong_the": 5}, None, None, "vi", NOW
    )
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def send() -> None:
        start.wait()
        with write_session(api.engine) as session:
            try:
                web_ballots.store_ballot(session, token, NOW, "test-secret", ballot)
                session.commit()
                outcomes.append("stored")
            except web_ballots.Refusal as refusal:
                session.rollback()
                outcomes.append(refusal.reason)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["stored", "used"]
    assert _stored(api) == (1, 1)
    store.close()

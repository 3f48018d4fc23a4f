"""Phone-ballot tokens on the server: the kiosk's key at enrolment; tokens good once, bad ones refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from api_helpers import Api
from sqlmodel import select

from kiosk import phone_ballot
from kiosk.store import KioskStore
from surveys import ballot_token as bt
from sync_server import web_ballots
from sync_server.admin import revoke_device
from sync_server.db import write_session
from sync_server.models import Device


def test_enrolment_keeps_the_kiosks_public_key_and_refuses_a_malformed_one(api: Api) -> None:
    public = bt.b64(bt.public_key_of(bt.new_private_key()))
    reply = api.client.post(
        "/api/v1/devices/enrol", json={"code": api.code(), "name": "Quầy 1", "ballot_key": public}
    )
    assert reply.status_code == 201, reply.text
    with api.session() as session:
        device = session.get(Device, reply.json()["device_id"])
        assert device is not None and device.ballot_key == public
    bad = api.client.post("/api/v1/devices/enrol", json={"code": api.code(), "ballot_key": "short"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_request"
    with api.session() as session:
        assert len(session.exec(select(Device)).all()) == 1


NOW = dt.datetime(2026, 3, 2, 8, 15, tzinfo=dt.UTC)


def _kiosk(api: Api, tmp_path: Path) -> tuple[KioskStore, str]:
    """A kiosk store enrolled with its key; returns the store and the device id."""
    store = KioskStore(tmp_path / "kiosk.db")
    reply = api.client.post(
        "/api/v1/devices/enrol",
        json={"code": api.code(), "name": "Quầy 1", "ballot_key": phone_ballot.ensure_key(store)},
    )
    assert reply.status_code == 201, reply.text
    store.set("device_id", reply.json()["device_id"])
    return store, reply.json()["device_id"]


def _reason(api: Api, text: str, now: dt.datetime = NOW) -> str | None:
    with api.session() as session:
        try:
            web_ballots.check_token(session, text, now, api.settings.secret_key or "")
        except web_ballots.Refusal as refusal:
            return refusal.reason
    return None


def test_tokens_minted_offline_verify_once_and_every_bad_token_is_refused(api: Api, tmp_path: Path) -> None:
    store, device_id = _kiosk(api, tmp_path)
    # Minted with no network at all: only the store's key, counter and the given clock.
    good = phone_ballot.mint(store, staff_id="cb01", now=NOW)
    foreign = phone_ballot.mint(store, staff_id="cb09", now=NOW)  # an officer of XA02
    assert good is not None and foreign is not None
    assert _reason(api, good, NOW + dt.timedelta(days=6)) is None
    assert _reason(api, good, NOW + dt.timedelta(days=7)) == "expired"
    assert _reason(api, foreign) == "foreign"
    raw = bt.unb64(good)
    for index in range(len(raw)):
        changed = bytearray(raw)
        changed[index] ^= 0x04
        assert _reason(api, bt.b64(bytes(changed))) in ("malformed", "signature"), index
    with write_session(api.engine) as session:
        web_ballots.spend(session, web_ballots.check_token(session, good, NOW, "test-secret"), NOW)
        session.commit()
    assert _reason(api, good) == "used"
    fresh = phone_ballot.mint(store, now=NOW)
    assert fresh is not None and _reason(api, fresh) is None
    with write_session(api.engine) as session:
        revoke_device(session, device_id)
        session.commit()
    assert _reason(api, fresh) == "revoked"
    store.close()


def test_a_server_slip_with_a_dossier_gives_that_dossier_one_rating(api: Api) -> None:
    key = bt.server_private_key("test-secret")
    slips = [
        bt.mint(
            key, bt.BallotToken(bt.ISSUER_SERVER, "XA01", n, NOW, NOW + bt.DEFAULT_VALIDITY, None, "HS-7")
        )
        for n in (1, 2)
    ]
    assert _reason(api, slips[0]) is None
    with write_session(api.engine) as session:
        web_ballots.spend(session, web_ballots.check_token(session, slips[0], NOW, "test-secret"), NOW)
        session.commit()
    assert _reason(api, slips[1]) == "used"  # another slip for the same dossier
    forged = bt.mint(
        bt.new_private_key(), bt.BallotToken(bt.ISSUER_SERVER, "XA01", 3, NOW, NOW + bt.DEFAULT_VALIDITY)
    )
    assert _reason(api, forged) == "signature"


def test_a_web_ballot_is_stored_with_its_source_and_counts_like_a_kiosk_ballot(api: Api) -> None:
    from sync_server.ingest import ingest_batch
    from sync_server.models import Response, TallyBallots, utcnow

    device = api.enrol()
    kiosk, web = api.ballot(device), api.ballot(device)
    assert api.statuses(api.upload(device, [kiosk])) == ["created"]
    with write_session(api.engine) as session:
        row = session.execute(select(Device)).scalars().one()
        results = ingest_batch(session, row, [web], utcnow(), source="web")
        session.commit()
    assert [r.status for r in results] == ["created"]
    with api.session() as session:
        sources = {r.id: r.source for r in session.exec(select(Response)).all()}
        ballots = sum(t.count for t in session.exec(select(TallyBallots)).all())
    assert sources == {kiosk["id"]: "kiosk", web["id"]: "web"}
    assert ballots == 2

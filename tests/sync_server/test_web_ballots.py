"""Phone ballots: the kiosk's public key kept at enrolment (issue 17, step 1)."""

from __future__ import annotations

from api_helpers import Api
from sqlmodel import select

from surveys import ballot_token as bt
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

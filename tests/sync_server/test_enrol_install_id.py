"""Enrolment that survives a lost reply (sync-protocol.md): the same install may present its code again."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from api_helpers import Api


def test_the_same_install_gets_its_device_again_with_a_new_token(api: Api) -> None:
    code, install = api.code(), str(uuid.uuid4())
    first = api.client.post(
        "/api/v1/devices/enrol", json={"code": code, "name": "Quầy 1", "install_id": install}
    )
    assert first.status_code == 201, first.text
    again = api.client.post(
        "/api/v1/devices/enrol", json={"code": code, "name": "Quầy 1", "install_id": install}
    )
    assert again.status_code == 201, again.text
    assert again.json()["device_id"] == first.json()["device_id"]
    old = {"Authorization": f"Bearer {first.json()['token']}"}
    new = {"Authorization": f"Bearer {again.json()['token']}"}
    assert api.client.get("/api/v1/device/config", headers=old).status_code == 401
    assert api.client.get("/api/v1/device/config", headers=new).status_code == 200
    for other in ({"install_id": str(uuid.uuid4())}, {}):
        reply = api.client.post("/api/v1/devices/enrol", json={"code": code, "name": "Khác", **other})
        assert reply.status_code == 403 and reply.json()["error"] == "invalid_code"
    bad = api.client.post("/api/v1/devices/enrol", json={"code": api.code(), "install_id": "không-phải-uuid"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_request"


def test_two_kiosks_racing_for_one_code_exactly_one_wins(api: Api) -> None:
    # Eight at once (the losers' 403s count towards the enrolment rate limit of 10 per address).
    code = api.code()

    def enrol(n: int) -> int:
        body = {"code": code, "name": f"Quầy {n}", "install_id": str(uuid.uuid4())}
        return api.client.post("/api/v1/devices/enrol", json=body).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(enrol, range(8)))
    assert statuses == [201] + [403] * 7, statuses

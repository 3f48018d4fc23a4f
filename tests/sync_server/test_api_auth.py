"""Administrator log-in, roles scoped to units (with child units), and the log-in rate limit."""

from __future__ import annotations

from api_helpers import PASSWORD, Api


def test_log_in_and_wrong_credentials(api: Api) -> None:
    api.add_user("chu_tich", "admin")
    headers = api.login("chu_tich")
    assert api.client.get("/api/v1/indices?unit=XA01", headers=headers).status_code == 200
    for username, password in (("chu_tich", "sai-mat-khau"), ("khong_co", PASSWORD)):
        reply = api.client.post("/api/v1/auth/token", data={"username": username, "password": password})
        assert reply.status_code == 401
        assert reply.json() == {"error": "invalid_credentials", "detail": "Wrong username or password."}
    missing = api.client.post("/api/v1/auth/token", data={"username": "chu_tich"})
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


def test_repeated_failures_are_rate_limited(api: Api) -> None:
    api.add_user("can_bo", "viewer", "XA01")
    for _ in range(api.settings.login_max_failures):
        bad = api.client.post("/api/v1/auth/token", data={"username": "can_bo", "password": "doan-bua-1"})
        assert bad.status_code == 401
    # Even the right password waits now.
    blocked = api.client.post("/api/v1/auth/token", data={"username": "can_bo", "password": PASSWORD})
    assert blocked.status_code == 429
    assert blocked.json()["error"] == "rate_limited" and int(blocked.headers["Retry-After"]) > 0


def test_roles_see_their_units_and_the_units_below(api: Api) -> None:
    api.add_user("admin", "admin")
    api.add_user("lanh_dao_huyen", "leader", "HUYEN")
    api.add_user("xem_xa02", "viewer", "XA02")
    admin, leader, viewer = api.login("admin"), api.login("lanh_dao_huyen"), api.login("xem_xa02")

    def status(headers: dict[str, str], unit: str) -> int:
        return api.client.get(f"/api/v1/indices?unit={unit}", headers=headers).status_code

    assert [status(admin, u) for u in ("HUYEN", "XA01", "XA02")] == [200, 200, 200]
    assert [status(leader, u) for u in ("HUYEN", "XA01", "XA02")] == [200, 200, 200]
    assert [status(viewer, u) for u in ("HUYEN", "XA01", "XA02")] == [403, 403, 200]
    denied = api.client.get("/api/v1/indices?unit=XA01", headers=viewer)
    assert denied.json()["error"] == "forbidden"
    assert status(admin, "NOPE") == 404


def test_indices_need_a_valid_token(api: Api) -> None:
    assert api.client.get("/api/v1/indices?unit=XA01").status_code == 401
    forged = api.client.get("/api/v1/indices?unit=XA01", headers={"Authorization": "Bearer abc.def.ghi"})
    assert forged.status_code == 401 and forged.json()["error"] == "unauthorized"
    device = api.enrol()
    # A device token is not an administrator's token.
    assert api.client.get("/api/v1/indices?unit=XA01", headers=device).status_code == 401


def test_nul_in_names_is_just_not_found(api: Api) -> None:
    api.add_user("admin", "admin")
    odd = api.client.post("/api/v1/auth/token", data={"username": "ad\x00min", "password": PASSWORD})
    assert odd.status_code == 401
    reply = api.client.get("/api/v1/indices", params={"unit": "XA\x0001"}, headers=api.login("admin"))
    assert reply.status_code == 404
    enrolled = api.client.post("/api/v1/devices/enrol", json={"code": api.code(), "name": "Quầy\x00 1"})
    assert enrolled.status_code == 201

"""Enrolment, device tokens, the configuration pull with ETag/304, and officer photos."""

from __future__ import annotations

import datetime as dt

from api_helpers import Api, tiny_png
from sqlalchemy import select
from sqlmodel import col

from sync_server.admin import revoke_device
from sync_server.db import write_session
from sync_server.models import Device, utcnow


def test_enrol_gives_a_token_that_reads_its_units_config(api: Api) -> None:
    code = api.code("XA01")
    reply = api.client.post("/api/v1/devices/enrol", json={"code": code.lower(), "name": "Quầy 1"})
    assert reply.status_code == 201
    body = reply.json()
    assert body["unit"] == {"code": "XA01", "name": "UBND xã Hòa Bình"}
    config = api.client.get("/api/v1/device/config", headers={"Authorization": f"Bearer {body['token']}"})
    assert config.status_code == 200
    assert config.json()["unit"]["code"] == "XA01"
    with api.session() as session:
        device = session.execute(select(Device).where(col(Device.id) == body["device_id"])).scalar_one()
        assert device.name == "Quầy 1"
        assert body["token"] not in device.token_hash  # only a hash is kept


def test_a_code_works_once(api: Api) -> None:
    code = api.code()
    assert api.client.post("/api/v1/devices/enrol", json={"code": code}).status_code == 201
    again = api.client.post("/api/v1/devices/enrol", json={"code": code})
    assert again.status_code == 403
    assert again.json()["error"] == "invalid_code"


def test_an_expired_or_unknown_code_is_refused(api: Api) -> None:
    old = api.code(now=utcnow() - dt.timedelta(hours=25))
    for code in (old, "AAAA-BBBB-CCCC"):
        reply = api.client.post("/api/v1/devices/enrol", json={"code": code, "name": "x"})
        assert reply.status_code == 403
        assert reply.json() == {
            "error": "invalid_code",
            "detail": "The enrolment code is unknown, used or expired.",
        }


def test_enrol_with_missing_fields_is_a_400_with_the_error_body(api: Api) -> None:
    for body in ({}, {"code": 12}, {"name": "Quầy 1"}):
        reply = api.client.post("/api/v1/devices/enrol", json=body)
        assert reply.status_code == 400
        assert reply.json()["error"] == "invalid_request"
    reply = api.client.post(
        "/api/v1/devices/enrol", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 400 and set(reply.json()) == {"error", "detail"}


def test_guessing_codes_is_rate_limited(api: Api) -> None:
    for _ in range(api.settings.enrol_max_failures):
        assert api.client.post("/api/v1/devices/enrol", json={"code": "AAAA-AAAA-AAAA"}).status_code == 403
    blocked = api.client.post("/api/v1/devices/enrol", json={"code": api.code()})
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0


def test_missing_unknown_and_revoked_tokens_get_401(api: Api) -> None:
    device = api.enrol()
    assert api.client.get("/api/v1/device/config").status_code == 401
    bad = api.client.get("/api/v1/device/config", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["error"] == "unauthorized"
    with api.session() as session:
        device_id = session.execute(select(Device.id)).scalars().first()
    with write_session(api.engine) as session:
        assert device_id is not None
        revoke_device(session, device_id)
        session.commit()
    assert api.client.get("/api/v1/device/config", headers=device).status_code == 401
    upload = api.upload(device, [api.ballot(device)])
    assert upload.status_code == 401


def test_config_etag_and_304(api: Api) -> None:
    device = api.enrol()
    first = api.client.get("/api/v1/device/config", headers=device)
    etag = first.headers["ETag"]
    body = first.json()
    assert etag == f'"{body["config_version"]}"'
    assert body["survey"]["id"] == api.survey.id and body["survey"]["version"] == api.survey.version
    assert body["settings"] == {
        "idle_timeout_s": 45,
        "detail_items_per_ballot": 4,
        "sync_cron": "0 2 * * *",
        "sync_jitter_s": 1800,
    }
    assert [s["id"] for s in body["staff"]] == ["cb01", "cb02"]
    assert body["staff"][0]["name"] == "Nguyễn Văn An"
    assert body["staff"][1]["photo_url"] is None
    same = api.client.get("/api/v1/device/config", headers=device | {"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    # A roster change makes a new version.
    (api.tmp / "new.csv").write_text("id,name,title,counter,photo\ncb01,Nguyễn Văn An,,Quầy 1,\n")
    from sync_server.admin import import_staff

    with write_session(api.engine) as session:
        import_staff(session, "XA01", api.tmp / "new.csv", api.settings.photo_dir)
        session.commit()
    changed = api.client.get("/api/v1/device/config", headers=device | {"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert [s["id"] for s in changed.json()["staff"]] == ["cb01"]  # cb02 deactivated, not listed


def test_photos_are_served_to_the_units_devices_only(api: Api) -> None:
    device = api.enrol("XA01")
    other = api.enrol("XA02")
    config = api.client.get("/api/v1/device/config", headers=device).json()
    url = config["staff"][0]["photo_url"]
    assert url.startswith("/api/v1/device/photos/cb01")
    photo = api.client.get(url, headers=device)
    assert photo.status_code == 200
    assert photo.content == tiny_png()
    assert photo.headers["content-type"] == "image/png"
    assert api.client.get(url).status_code == 401
    assert api.client.get(url, headers=other).status_code == 404
    assert api.client.get("/api/v1/device/photos/cb02", headers=device).status_code == 404


def test_a_device_sees_only_its_own_unit(api: Api) -> None:
    other = api.enrol("XA02")
    config = api.client.get("/api/v1/device/config", headers=other).json()
    assert config["unit"]["code"] == "XA02"
    assert [s["id"] for s in config["staff"]] == ["cb09"]
    # ...and cannot rate XA01's officers.
    reply = api.upload(other, [api.ballot(other, staff_id="cb01")])
    assert api.statuses(reply) == ["rejected"]
    assert "not an officer of this unit" in reply.json()["results"][0]["error"]

"""Device enrolment, configuration pull (ETag / 304) and officer photos."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Header, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlalchemy import select, update
from sqlmodel import SQLModel, col

from surveys.canonical import canonical_hash
from sync_server.admin import InvalidCode, enrol_device
from sync_server.api.deps import DeviceDep, SessionDep, SettingsDep, client_ip
from sync_server.api.errors import ApiError, error_responses
from sync_server.db import write_session
from sync_server.models import Device, EnrolReply, EnrolRequest, Staff, StaffPublic, Unit, UnitConfig, utcnow
from sync_server.queries import survey_version_row
from sync_server.web_ballots import channels_of

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["devices"])


class DeviceSettings(SQLModel):
    idle_timeout_s: int
    detail_items_per_ballot: int
    sync_cron: str
    sync_jitter_s: int
    # Additive: present only when the unit has opening hours ({"mon": [["07:30", "11:30"], …]}).
    opening_hours: dict[str, list[list[str]]] | None = None


class DeviceConfig(SQLModel):
    config_version: str
    server_time: str
    unit: UnitConfig
    survey: dict[str, Any]
    staff: list[StaffPublic]
    settings: DeviceSettings


@router.post(
    "/devices/enrol",
    status_code=201,
    response_model=EnrolReply,
    responses=error_responses(400, 403, 429),
)
def enrol(body: EnrolRequest, request: Request, settings: SettingsDep) -> EnrolReply:
    """Spend a one-time enrolment code: the device gets its id and bearer token (shown once)."""
    limiter = request.app.state.enrol_limiter
    ip = client_ip(request)
    wait = limiter.retry_after(ip)
    if wait:
        raise ApiError(
            429, "rate_limited", "Too many wrong enrolment codes; wait and retry.", {"Retry-After": str(wait)}
        )
    now = utcnow()
    with write_session(request.app.state.engine) as session:
        try:
            install = str(body.install_id) if body.install_id else None
            device, token, unit = enrol_device(session, body.code, body.name, now, install, body.ballot_key)
        except InvalidCode as exc:
            session.rollback()
            limiter.failure(ip)
            raise ApiError(403, "invalid_code", str(exc)) from None
        session.commit()
        return EnrolReply(device_id=device.id, token=token, unit={"code": unit.code, "name": unit.name})  # type: ignore[arg-type]


def _etag(payload: dict[str, Any]) -> str:
    return canonical_hash(payload)[:32]


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tags = [t.strip().removeprefix("W/").strip('"') for t in if_none_match.split(",")]
    return etag in tags


@router.get(
    "/device/config",
    response_model=DeviceConfig,
    responses={304: {"description": "Not modified (the ETag matches)"}, **error_responses(401, 503)},
)
def config(
    device: DeviceDep,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
    if_none_match: Annotated[str | None, Header()] = None,
    x_app_version: Annotated[str | None, Header()] = None,
) -> Response:
    """The unit, its survey, officers and kiosk settings; 304 while the `If-None-Match` ETag holds."""
    unit = session.get(Unit, device.unit_id)
    assert unit is not None
    survey = survey_version_row(session, unit)
    if survey is None:
        raise ApiError(503, "no_survey", "No survey definition is loaded; run `survey-server init`.")
    staff_rows = session.execute(
        select(Staff)
        .where(col(Staff.unit_id) == unit.id, col(Staff.active).is_(True))
        .order_by(col(Staff.counter), col(Staff.name), col(Staff.id))
    ).scalars()
    staff = [
        {
            "id": s.id,
            "name": s.name,
            "title": s.title,
            "counter": s.counter,
            "photo_url": (
                f"/api/v1/device/photos/{quote(s.id, safe='')}?v={s.photo_hash[:12]}"
                if s.photo_path and s.photo_hash
                else None
            ),
        }
        for s in staff_rows
    ]
    payload: dict[str, Any] = {
        "unit": {
            "code": unit.code,
            "name": unit.name,
            "timezone": unit.timezone,
            "web_ballots": unit.web_ballots_enabled,
            "channels": dict(channels_of(unit)),
        },
        "survey": survey.json_,
        "staff": staff,
        "settings": dict(settings.device_settings),
    }
    if unit.opening_hours:
        payload["settings"]["opening_hours"] = json.loads(unit.opening_hours)
    etag = _etag(payload)
    now = utcnow()
    # Give the read's connection back before taking the writer's: a request holding two at once can
    # wait on a pool that requests like it have emptied, and fail after 30 s (seen with 4 workers).
    session.rollback()
    with write_session(request.app.state.engine) as writer:
        writer.execute(
            update(Device)
            .where(col(Device.id) == device.id)
            .values(
                last_seen=now,
                config_version=etag,
                app_version=x_app_version[:100] if x_app_version else device.app_version,
            )
        )
        writer.commit()
    headers = {"ETag": f'"{etag}"', "Cache-Control": "no-cache"}
    if _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    body = {"config_version": etag, "server_time": now.isoformat(timespec="seconds"), **payload}
    return JSONResponse(body, headers=headers)


@router.get(
    "/device/photos/{staff_id}",
    response_class=FileResponse,
    responses={
        200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}},
        **error_responses(401, 404),
    },
)
def photo(staff_id: str, device: DeviceDep, session: SessionDep, settings: SettingsDep) -> FileResponse:
    """An officer's photo; only for devices of the officer's unit."""
    staff = (
        None
        if "\x00" in staff_id  # PostgreSQL refuses NUL even as a parameter
        else session.execute(
            select(Staff).where(col(Staff.unit_id) == device.unit_id, col(Staff.id) == staff_id)
        )
        .scalars()
        .first()
    )
    if staff is None or not staff.photo_path:
        raise ApiError(404, "not_found", "This unit has no photo for that officer.")
    path = settings.photo_dir / staff.photo_path
    if not path.is_file():
        raise ApiError(404, "not_found", "The officer's photo file is missing on the server.")
    return FileResponse(path, headers={"Cache-Control": "private, max-age=31536000, immutable"})

"""The devices tab: the unit's kiosks and their clock offsets, enrolment codes, revoking a kiosk."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sync_server.admin import create_enrolment_code, revoke_device
from sync_server.api.deps import SettingsDep
from sync_server.dashboard.i18n import translator
from sync_server.dashboard.views import unit_ids
from sync_server.dashboard.web import BASE, Page, render
from sync_server.models import Device
from sync_server.queries import devices_of

from .deps import ReadDB, WriteDB, check_csrf, page_for, templates, unit_ids_of_user

__all__ = ["router"]

router = APIRouter()


def offset_text(off: float | None) -> str:
    """A kiosk's clock offset as officers read it: "+3 s", "−5 min", "+2.5 h", or "—" when unknown."""
    if off is None:
        text = "—"
    elif abs(off) < 120:
        text = f"{off:+.0f} s"
    elif abs(off) < 7200:
        text = f"{off / 60:+.0f} min"
    else:
        text = f"{off / 3600:+.1f} h"
    return text.replace("-", "−")


def devices_page(page: Page, new_code: str | None = None) -> Response:
    views = [
        {**d.model_dump(), "offset_text": offset_text(d.clock_offset_s)}
        for d in devices_of(page.db, unit_ids(page))
    ]
    return render(templates, page, "devices.html", "devices", devices=views, new_code=new_code)


@router.get("/devices", response_class=HTMLResponse)
def devices(request: Request, db: ReadDB) -> Response:
    return devices_page(page_for(request, db, need="ballots", with_period=False))


@router.post("/devices/code", response_class=HTMLResponse)
def new_code(
    request: Request,
    db: WriteDB,
    settings: SettingsDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    page = page_for(request, db, need="admin", with_period=False)
    check_csrf(page, csrf_token)
    assert page.unit is not None and page.unit.id is not None
    code, _ = create_enrolment_code(
        db, page.unit.code, dt.datetime.now(dt.UTC), settings.enrolment_code_ttl_s
    )
    db.commit()
    return devices_page(page, new_code=code)


@router.post("/devices/{device_id}/revoke")
def revoke(
    request: Request, db: WriteDB, device_id: str, csrf_token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    page = page_for(request, db, need="admin", with_period=False)
    check_csrf(page, csrf_token)
    device = db.get(Device, device_id)
    if device is None or device.unit_id not in unit_ids_of_user(page):
        return render(
            templates,
            page,
            "error.html",
            "devices",
            status_code=404,
            message=translator(page.lang)("error.not_found"),
        )
    revoke_device(db, device_id)
    db.commit()
    return RedirectResponse(BASE + "/devices" + page.qs(), status_code=303)

"""The devices tab: the unit's kiosks and their clock offsets, enrolment codes, revoking a kiosk."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

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


def silent_since(page: Page) -> dt.datetime:
    """A kiosk not heard from since this instant missed more than two nights' syncs: midnight (local)
    two days ago; one seen at 22:00 the day before yesterday has missed last night and this one."""
    zone = ZoneInfo(page.tz)
    two_days_ago = page.today() - dt.timedelta(days=2)
    return dt.datetime.combine(two_days_ago, dt.time(), zone).astimezone(dt.UTC)


def devices_page(page: Page, new_code: str | None = None) -> Response:
    limit = silent_since(page)
    names = {u.id: u.name for u in page.units}
    views = [
        {
            **d.model_dump(),
            "offset_text": offset_text(d.clock_offset_s),
            "unit_name": names.get(d.unit_id, ""),
            "silent": not d.revoked and d.kind != "web" and (d.last_seen is None or d.last_seen < limit),
            "clock_bad": d.clock_offset_s is not None and abs(d.clock_offset_s) >= 300,
        }
        for d in devices_of(page.db, unit_ids(page))
    ]
    health = {
        "silent": sum(1 for v in views if v["silent"]),
        "gaps": sum(1 for v in views if v["seq_gaps"]),
        "lost": sum(v["ballots_lost"] or 0 for v in views),
        "clock": sum(1 for v in views if v["clock_bad"]),
        "apps": sorted({v["app_version"] for v in views if v["app_version"]}),
    }
    return render(templates, page, "devices.html", "devices", devices=views, new_code=new_code, health=health)


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

"""The phone-ballot tab: desk slips (a PDF of QR codes, any role) and, for administrators, the unit's
web switch and its other channels (hotline, feedback box, e-mail, Zalo, Facebook)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlmodel import col

from sync_server.api.deps import SettingsDep, secret_key
from sync_server.dashboard.i18n import translator
from sync_server.dashboard.web import Page, render
from sync_server.models import Staff, Unit
from sync_server.web.slips import Slip, render_slips
from sync_server.web_ballots import CHANNELS, MAX_SLIPS, mint_slips

from .deps import ReadDB, WriteDB, check_csrf, page_for, templates

__all__ = ["router"]

router = APIRouter()
_CHANNEL_MAX = {"hotline": 100, "feedback_box": 200, "email": 200, "zalo": 200, "facebook": 200}


def _staff(page: Page) -> list[Staff]:
    assert page.unit is not None
    query = select(Staff).where(col(Staff.unit_id) == page.unit.id, col(Staff.active).is_(True))
    return list(page.db.execute(query.order_by(col(Staff.counter), col(Staff.name))).scalars())


def _show(page: Page, status_code: int = 200) -> Response:
    return render(
        templates,
        page,
        "phone.html",
        "phone",
        status_code=status_code,
        staff=_staff(page),
        channels=[(name, getattr(page.unit, name) or "", _CHANNEL_MAX[name]) for name in CHANNELS],
        max_slips=MAX_SLIPS,
    )


@router.get("/phone", response_class=HTMLResponse)
def phone(request: Request, db: ReadDB) -> Response:
    return _show(page_for(request, db, with_period=False))


@router.post("/phone/settings", response_class=HTMLResponse)
def save_settings(
    request: Request,
    db: WriteDB,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    enabled: Annotated[str, Form(max_length=10)] = "",
    hotline: Annotated[str, Form(max_length=1000)] = "",
    feedback_box: Annotated[str, Form(max_length=1000)] = "",
    email: Annotated[str, Form(max_length=1000)] = "",
    zalo: Annotated[str, Form(max_length=1000)] = "",
    facebook: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    page = page_for(request, db, need="admin", with_period=False)
    check_csrf(page, csrf_token)
    t = translator(page.lang)
    given = {"hotline": hotline, "feedback_box": feedback_box, "email": email, "zalo": zalo}
    given["facebook"] = facebook
    values = {name: " ".join(text.split()) for name, text in given.items()}  # no line breaks or tabs
    for name, text in values.items():
        if len(text) > _CHANNEL_MAX[name]:
            message = t("phone.too_long", field=t(f"phone.{name}"), max=_CHANNEL_MAX[name])
            page.flashes.append(("error", message))
            return _show(page, 400)
    unit = db.get(Unit, page.unit.id if page.unit else None)
    assert unit is not None
    for name, text in values.items():
        setattr(unit, name, text or None)
    unit.web_ballots_enabled = bool(enabled)
    db.commit()
    page.unit = unit
    page.flashes.append(("ok", t("phone.saved")))
    return _show(page)


def _dossiers(text: str, blank: int) -> list[str | None] | None:
    """The slips to mint: one per dossier code line, then `blank` without; None when out of bounds."""
    codes = [" ".join(line.split()) for line in text.splitlines()]
    found: list[str | None] = [code for code in dict.fromkeys(codes) if code]
    if any(len(code.encode("utf-8")) > 64 for code in found if code):
        return None
    slips = found + [None] * blank
    return slips if 1 <= len(slips) <= MAX_SLIPS else None


@router.post("/phone/slips", response_class=HTMLResponse)
def slips(
    request: Request,
    db: WriteDB,
    settings: SettingsDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    staff_id: Annotated[str, Form(max_length=200)] = "",
    blank: Annotated[int, Form(ge=0, le=MAX_SLIPS)] = 8,
    dossiers: Annotated[str, Form(max_length=20000)] = "",
    days: Annotated[int, Form()] = 30,
) -> Response:
    secret = secret_key(request)  # first: its first read may write, which must not wait on `db`'s lock
    page = page_for(request, db, with_period=False)
    check_csrf(page, csrf_token)
    t = translator(page.lang)
    assert page.unit is not None
    officer = next((s for s in _staff(page) if s.id == staff_id), None)
    wanted = _dossiers(dossiers, blank)
    problem = (
        t("phone.unknown_officer")
        if staff_id and officer is None
        else t("phone.bad_days")
        if not 1 <= days <= 365
        else t("phone.bad_count", max=MAX_SLIPS)
        if wanted is None
        else None
    )
    if problem or wanted is None:
        page.flashes.append(("error", problem or ""))
        return _show(page, 400)
    now = dt.datetime.now(dt.UTC)
    validity = dt.timedelta(days=days)
    unit = page.unit
    minted = mint_slips(db, unit, staff_id or None, wanted, now, secret, validity)
    db.commit()
    base = (settings.public_url or str(request.base_url)).rstrip("/")
    # The last whole local day the slip still works (it ends at the same hour `days` later).
    expires = (now + validity).astimezone(ZoneInfo(unit.timezone)).date() - dt.timedelta(days=1)
    name = officer.name if officer else None
    made = [Slip(f"{base}/r/{tok}", name, code, expires) for tok, code in zip(minted, wanted, strict=True)]
    pdf = render_slips(made, unit.name, unit.hotline)
    filename = f"phieu-qr-{unit.code}-{now:%Y%m%d-%H%M}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )

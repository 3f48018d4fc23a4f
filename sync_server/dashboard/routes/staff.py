"""The staff tab: the unit's officers, the CSV import, photos, and (de)activating an officer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from sync_server.admin import MAX_PHOTO_BYTES, AdminError
from sync_server.api.deps import SettingsDep
from sync_server.dashboard.i18n import translator
from sync_server.dashboard.staff_import import (
    MAX_CSV_BYTES,
    import_uploaded_csv,
    save_photo,
    staff_error_text,
)
from sync_server.dashboard.web import BASE, Page, render
from sync_server.models import Staff
from sync_server.queries import staff_of_unit

from .deps import ReadDB, WriteDB, check_csrf, page_for, templates, unit_ids_of_user

__all__ = ["router"]

router = APIRouter()


def staff_page(page: Page) -> Response:
    assert page.unit is not None and page.unit.id is not None
    return render(templates, page, "staff.html", "staff", staff=staff_of_unit(page.db, page.unit.id))


def own_staff(page: Page, pk: int) -> Staff | None:
    s = page.db.get(Staff, pk)
    return s if s is not None and s.unit_id in unit_ids_of_user(page) else None


@router.get("/staff", response_class=HTMLResponse)
def staff(request: Request, db: ReadDB) -> Response:
    return staff_page(page_for(request, db, need="ballots", with_period=False))


@router.post("/staff/import", response_class=HTMLResponse)
async def staff_import(
    request: Request,
    db: WriteDB,
    settings: SettingsDep,
    file: UploadFile,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    page = page_for(request, db, need="admin", with_period=False)
    check_csrf(page, csrf_token)
    assert page.unit is not None
    t = translator(page.lang)
    raw = await file.read(MAX_CSV_BYTES + 1)
    try:
        result = import_uploaded_csv(db, page.unit, raw, settings.photo_dir)
    except AdminError as exc:
        db.rollback()
        page.flashes.append(("error", staff_error_text(str(exc), page.lang)))
        response = staff_page(page)
        response.status_code = 400
        return response
    page.flashes.append(
        (
            "",
            t(
                "staff.imported",
                created=result.added,
                updated=result.updated,
                deactivated=result.deactivated,
            ),
        )
    )
    return staff_page(page)


@router.get("/staff/{pk}/photo")
def staff_photo(request: Request, db: ReadDB, settings: SettingsDep, pk: int) -> Response:
    page = page_for(request, db, with_period=False)
    s = own_staff(page, pk)
    if s is None or not s.photo_path:
        return Response(status_code=404)
    path = Path(s.photo_path)
    if not path.is_absolute():
        path = settings.photo_dir / path
    if not path.is_file():
        return Response(status_code=404)
    return FileResponse(path, headers={"Cache-Control": "private, max-age=300"})


@router.post("/staff/{pk}/photo", response_class=HTMLResponse)
async def staff_photo_upload(
    request: Request,
    db: WriteDB,
    settings: SettingsDep,
    pk: int,
    photo: UploadFile,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    page = page_for(request, db, need="admin", with_period=False)
    check_csrf(page, csrf_token)
    t = translator(page.lang)
    s = own_staff(page, pk)
    if s is None:
        return render(templates, page, "error.html", "staff", status_code=404, message=t("error.not_found"))
    raw = await photo.read(MAX_PHOTO_BYTES + 1)
    if not save_photo(s, raw, settings.photo_dir):
        page.flashes.append(("error", t("staff.photo_bad")))
        response = staff_page(page)
        response.status_code = 400
        return response
    s.updated_at = dt.datetime.now(dt.UTC)
    db.add(s)
    db.commit()
    page.flashes.append(("", t("staff.photo_saved")))
    return staff_page(page)


@router.post("/staff/{pk}/active")
def staff_active(
    request: Request,
    db: WriteDB,
    pk: int,
    active: Annotated[str, Form(max_length=1)] = "0",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    page = page_for(request, db, need="admin", with_period=False)
    check_csrf(page, csrf_token)
    s = own_staff(page, pk)
    if s is None:
        return render(
            templates,
            page,
            "error.html",
            "staff",
            status_code=404,
            message=translator(page.lang)("error.not_found"),
        )
    s.active = active == "1"
    s.updated_at = dt.datetime.now(dt.UTC)
    db.add(s)
    db.commit()
    return RedirectResponse(BASE + "/staff" + page.qs(), status_code=303)

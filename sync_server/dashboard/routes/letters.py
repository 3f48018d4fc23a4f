"""The reports tab's apology letters (Mẫu 04, TT 01/2018/TT-VPCP): the form, the register, its export,
each letter as DOCX or PDF, and letters made in bulk from a list of late dossiers (CSV or XLSX)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlmodel import Session, col

from sync_server.dashboard.i18n import translator
from sync_server.dashboard.web import BASE, Page, render
from sync_server.models import ApologyLetter
from sync_server.reports import MEDIA_TYPES
from sync_server.reports.letters import (
    IMPORT_COLUMNS,
    LetterError,
    LetterFields,
    LetterView,
    create_letter,
    letter_file,
    letter_filename,
    read_late_dossiers,
    register_xlsx,
)
from sync_server.reports.service import unit_info

from .deps import Forbidden, ReadDB, WriteDB, check_csrf, page_for, templates

__all__ = ["router"]

router = APIRouter()
MAX_UPLOAD_BYTES = 2_000_000
SHOWN = 200


def _letters(db: Session, unit_id: int) -> list[ApologyLetter]:
    query = (
        select(ApologyLetter)
        .where(col(ApologyLetter.unit_id) == unit_id)
        .order_by(col(ApologyLetter.year).desc(), col(ApologyLetter.number).desc())
    )
    return list(db.execute(query).scalars())


def letters_page(page: Page, status_code: int = 200, form: dict[str, str] | None = None) -> Response:
    assert page.unit is not None and page.unit.id is not None
    return render(
        templates,
        page,
        "letters.html",
        "reports",
        status_code=status_code,
        letters=_letters(page.db, page.unit.id)[:SHOWN],
        form=form or {},
        columns=[names[0] for names in IMPORT_COLUMNS.values()],
        made=page.request.query_params.get("made", ""),
    )


def _back(page: Page, **extra: str) -> RedirectResponse:
    assert page.unit is not None
    more = "".join(f"&{k}={quote(v)}" for k, v in extra.items())
    return RedirectResponse(f"{BASE}/reports/letters?unit={quote(page.unit.code)}{more}", status_code=303)


@router.get("/reports/letters", response_class=HTMLResponse)
def letters(request: Request, db: ReadDB) -> Response:
    return letters_page(page_for(request, db, need="ballots", with_period=False))


@router.post("/reports/letters", response_class=HTMLResponse)
def make_letter(
    request: Request,
    db: WriteDB,
    dossier_code: Annotated[str, Form(max_length=200)] = "",
    procedure: Annotated[str, Form(max_length=1000)] = "",
    applicant: Annotated[str, Form(max_length=600)] = "",
    received_on: Annotated[str, Form(max_length=20)] = "",
    promised_on: Annotated[str, Form(max_length=20)] = "",
    new_on: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    page = page_for(request, db, need="ballots", with_period=False)
    check_csrf(page, csrf_token)
    if not page.access.can_act:
        raise Forbidden()
    assert page.unit is not None and page.user is not None
    form = {
        "dossier_code": dossier_code,
        "procedure": procedure,
        "applicant": applicant,
        "received_on": received_on,
        "promised_on": promised_on,
        "new_on": new_on,
        "reason": reason,
    }
    t = translator(page.lang)
    try:
        try:
            promised = dt.date.fromisoformat(promised_on)
            new = dt.date.fromisoformat(new_on)
            received = dt.date.fromisoformat(received_on) if received_on else None
        except ValueError as exc:
            raise LetterError(t("letters.bad_date")) from exc
        fields = LetterFields(dossier_code, procedure, applicant, promised, new, reason, received)
        letter = create_letter(db, page.unit, fields, by=page.user.username, today=page.today())
    except LetterError as exc:
        db.rollback()
        page.flashes.append(("error", str(exc)))
        return letters_page(page, status_code=400, form=form)
    db.commit()
    return _back(page, made=str(letter.id))


@router.post("/reports/letters/import", response_class=HTMLResponse)
async def import_letters(
    request: Request,
    db: WriteDB,
    file: UploadFile,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    page = page_for(request, db, need="ballots", with_period=False)
    check_csrf(page, csrf_token)
    if not page.access.can_act:
        raise Forbidden()
    assert page.unit is not None and page.user is not None
    t = translator(page.lang)
    blob = await file.read(MAX_UPLOAD_BYTES + 1)
    try:
        if len(blob) > MAX_UPLOAD_BYTES:
            raise LetterError(t("letters.too_big"))
        rows, errors = read_late_dossiers(file.filename or "", blob)
    except LetterError as exc:
        rows, errors = [], [str(exc)]
    if errors:
        page.flashes.append(("error", t("letters.import_failed")))
        page.flashes += [("error", e) for e in errors[:20]]
        return letters_page(page, status_code=400)
    for fields in rows:
        create_letter(db, page.unit, fields, by=page.user.username, today=page.today())
    db.commit()
    return _back(page, imported=str(len(rows)))


@router.get("/reports/letters/register.xlsx")
def letter_register(request: Request, db: ReadDB) -> Response:
    page = page_for(request, db, need="ballots", with_period=False)
    assert page.unit is not None and page.unit.id is not None
    blob = register_xlsx(list(reversed(_letters(db, page.unit.id))), page.unit.name)
    name = f"so-phieu-xin-loi-{quote(page.unit.code)}.xlsx"
    return Response(
        blob,
        media_type=MEDIA_TYPES["xlsx"],
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.get("/reports/letters/{letter_id}/{fmt}")
def letter_download(request: Request, db: ReadDB, letter_id: int, fmt: str) -> Response:
    page = page_for(request, db, need="ballots", with_period=False)
    letter = db.get(ApologyLetter, letter_id)
    visible = {u.id for u in page.units}
    if letter is None or letter.unit_id not in visible or fmt not in ("docx", "pdf"):
        return render(
            templates,
            page,
            "error.html",
            "reports",
            status_code=404,
            message=translator(page.lang)("error.not_found"),
        )
    view = LetterView.of(letter, unit_info(db, letter.unit_id))
    return Response(
        letter_file(view, fmt),
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{letter_filename(view, fmt)}"',
            "Cache-Control": "no-store",
        },
    )

"""The reports tab: pick a finished period and download its report (PDF, DOCX, XLSX)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from sync_server.admin import AdminError, set_unit_names
from sync_server.api.deps import SettingsDep
from sync_server.dashboard.i18n import translator
from sync_server.dashboard.views import figures, settings_of
from sync_server.dashboard.web import BASE, Page, render
from sync_server.mail import SETTING_KEY, SmtpSettings, env_settings
from sync_server.models import ServerSetting
from sync_server.periods import Period, PeriodError, parse_period
from sync_server.reports import MEDIA_TYPES, report_filename
from sync_server.reports.mailing import mailings, recipients_of
from sync_server.reports.service import build_report

from .deps import Forbidden, ReadDB, WriteDB, check_csrf, page_for, templates
from .letters import router as letters_router

__all__ = ["router"]

REPORT_KINDS = ("month", "quarter", "half", "year")
# How far back the reports page offers periods of each kind (running period included).
REPORT_CHOICES = {"month": 25, "quarter": 12, "half": 8, "year": 6}
REPORT_FORMATS = ("pdf", "docx", "xlsx")

router = APIRouter()


def report_period(page: Page) -> Period:
    """The period picked on the reports page: the query's if it has ended, else the last complete one.

    The running period is offered in the list but never picked by default: a report is for a period
    that is over, and the other pages' links carry the running period.
    """
    q = page.request.query_params
    kind = q.get("period") if q.get("period") in REPORT_KINDS else "month"
    today = page.today()
    last_complete = parse_period(kind, None, None, None, today=today).previous()
    try:
        chosen = parse_period(kind, q.get("key"), None, None, today=today) if q.get("key") else None
    except PeriodError:
        page.flashes.append(("error", translator(page.lang)("reports.bad_period")))
        chosen = None
    return chosen if chosen is not None and chosen.date_to < today else last_complete


def report_choices(page: Page, kind: str) -> list[tuple[str, str]]:
    """The running period of `kind` and the ones before it, newest first, as (key, label).

    An older period picked by its key is listed last, so the form still shows it.
    """
    assert page.period is not None
    t = translator(page.lang)
    today = page.today()
    period = parse_period(kind, None, None, None, today=today)
    out = [(period.key, f"{period.label(page.lang)} ({t('reports.running')})")]
    for _ in range(REPORT_CHOICES[kind] - 1):
        period = period.previous()
        out.append((period.key, period.label(page.lang)))
    if page.period.key not in {key for key, _ in out}:
        out.append((page.period.key, page.period.label(page.lang)))
    return out


def reports_page(page: Page, status_code: int = 200) -> Response:
    assert page.period is not None and page.unit is not None
    kind = page.period.kind
    rows = figures(page, page.period)["rows"]
    kinds = [(k, BASE + "/reports" + page.qs(period=k, key=None), k == kind) for k in REPORT_KINDS]
    return render(
        templates,
        page,
        "reports.html",
        "reports",
        status_code=status_code,
        kind=kind,
        kinds=kinds,
        choices=report_choices(page, kind),
        formats=REPORT_FORMATS,
        row=rows[0] if rows else None,
        min_sample=settings_of(page).min_sample,
        mail_to=recipients_of(page.unit),
        smtp=smtp_settings(page.db) if page.access.can_manage else None,
        mailings=mailings(page.db, page.unit.id) if page.unit.id is not None else [],
    )


@router.get("/reports", response_class=HTMLResponse)
def reports(request: Request, db: ReadDB) -> Response:
    page = page_for(request, db, need="ballots", with_period=False)
    page.period = report_period(page)
    return reports_page(page)


@router.get("/reports/file")
def report_file(request: Request, db: ReadDB, settings: SettingsDep) -> Response:
    page = page_for(request, db, need="ballots", with_period=False)
    assert page.unit is not None
    t = translator(page.lang)
    q = request.query_params
    kind, fmt = q.get("period") or "", q.get("format") or ""
    try:
        if kind not in REPORT_KINDS:
            raise PeriodError(f"unknown report period kind {kind!r}")
        period = parse_period(kind, q.get("key"), None, None, today=page.today())
    except PeriodError:
        page.period = report_period(page)  # which may have said so already
        if ("error", t("reports.bad_period")) not in page.flashes:
            page.flashes.append(("error", t("reports.bad_period")))
        return reports_page(page, status_code=400)
    page.period = period
    if period.date_from > page.today():
        page.period = report_period(page)
        page.flashes.append(("error", t("reports.future")))
        return reports_page(page, status_code=400)
    if fmt not in REPORT_FORMATS:
        page.flashes.append(("error", t("reports.bad_format")))
        return reports_page(page, status_code=400)
    blob = build_report(db, page.unit.code, period.key, fmt, min_sample=settings.min_sample)
    name = report_filename(page.unit.code, period.key, fmt)
    return Response(
        blob,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.post("/reports/mail")
def report_mail(
    request: Request,
    db: WriteDB,
    emails: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """A leader chooses who receives the unit's reports by e-mail when each period closes."""
    page = page_for(request, db, need="ballots", with_period=False)
    check_csrf(page, csrf_token)
    if not page.access.can_act:
        raise Forbidden()
    assert page.unit is not None
    addresses = [line.strip() for line in emails.replace(",", "\n").splitlines() if line.strip()]
    try:
        set_unit_names(db, page.unit.code, report_emails=addresses or [""])
    except AdminError:
        db.rollback()
        page.period = report_period(page)
        page.flashes.append(("error", translator(page.lang)("reports.mail.bad")))
        return reports_page(page, status_code=400)
    db.commit()
    return RedirectResponse(f"{BASE}/reports?unit={quote(page.unit.code)}#report-mail", status_code=303)


def smtp_settings(db: Session) -> SmtpSettings:
    stored = db.get(ServerSetting, SETTING_KEY)
    return env_settings(stored.value if stored else None)


@router.post("/reports/smtp")
def report_smtp(
    request: Request,
    db: WriteDB,
    host: Annotated[str, Form(max_length=200)] = "",
    port: Annotated[str, Form(max_length=6)] = "587",
    starttls: Annotated[str, Form(max_length=3)] = "",
    user: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    sender: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """An administrator sets the SMTP server; a blank password keeps the one stored (never shown back)."""
    page = page_for(request, db, need="admin", with_period=False)
    check_csrf(page, csrf_token)
    assert page.unit is not None
    row = db.get(ServerSetting, SETTING_KEY)
    before = SmtpSettings.from_env({}, row.value if row else None)
    if not port.isdigit() or not 0 < int(port) < 65536 or ("@" not in sender and sender):
        page.period = report_period(page)
        page.flashes.append(("error", translator(page.lang)("reports.smtp.bad")))
        return reports_page(page, status_code=400)
    chosen = SmtpSettings(
        host=host.strip(),
        port=int(port),
        starttls=starttls == "1",
        user=user.strip(),
        password=password or before.password,
        sender=sender.strip(),
    )
    if row is None:
        db.add(ServerSetting(key=SETTING_KEY, value=chosen.stored()))
    else:
        row.value = chosen.stored()
        db.add(row)
    db.commit()
    return RedirectResponse(f"{BASE}/reports?unit={quote(page.unit.code)}#report-smtp", status_code=303)


router.include_router(letters_router)  # the tab's apology letters (routes/letters.py)

"""Case steps (mới → đang xử lý → đã liên hệ công dân → đã xử lý / không cần xử lý), the CSV export of
the comments or alerts selected, and the alert rules an administrator sets per unit."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sync_server.alert_rules import move_case
from sync_server.dashboard.cases import ALERT_CASES, CaseFilters, case_csv
from sync_server.dashboard.i18n import translator
from sync_server.dashboard.views import unit_ids
from sync_server.dashboard.web import BASE, render, safe_back
from sync_server.models import CASE_STATES, RULE_KINDS, AlertRule, Case
from sync_server.queries import rules_of

from .deps import Forbidden, ReadDB, WriteDB, check_csrf, page_for, templates, unit_ids_of_user

__all__ = ["router"]

router = APIRouter()

CLOSING = ("da_xu_ly", "khong_can_xu_ly")


@router.post("/cases/{case_id}/state")
def case_step(
    request: Request,
    db: WriteDB,
    case_id: int,
    state: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    page = page_for(request, db, need="ballots", with_period=False)
    check_csrf(page, csrf_token)
    if not page.access.can_act:
        raise Forbidden()
    t = translator(page.lang)
    case = db.get(Case, case_id)
    tab = "comments" if case is not None and case.kind == "comment" else "alerts"
    if case is None or case.unit_id not in unit_ids_of_user(page):
        return render(templates, page, "error.html", tab, status_code=404, message=t("error.not_found"))
    note = note.strip()
    if state not in CASE_STATES or state == case.state:
        return render(templates, page, "error.html", tab, status_code=400, message=t("case.bad_state"))
    if state in CLOSING and not note:
        return render(templates, page, "error.html", tab, status_code=400, message=t("alerts.note_required"))
    move_case(db, case, state, page.user, note, dt.datetime.now(dt.UTC))
    db.commit()
    return RedirectResponse(safe_back(back, f"{BASE}/{tab}"), status_code=303)


@router.get("/cases/{what}.csv")
def case_export(request: Request, db: ReadDB, what: str) -> Response:
    page = page_for(request, db, need="ballots")
    assert page.unit is not None and page.period is not None
    if what not in ("comments", "alerts"):
        return Response(status_code=404)
    kinds = ("comment",) if what == "comments" else ALERT_CASES
    filters = CaseFilters.parse(page, default_state="all" if what == "comments" else "open")
    data = case_csv(page, kinds, filters)
    stem = f"{what}-{page.unit.code}-{page.period.key.replace('..', '_')}"
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{stem}.csv"', "Cache-Control": "no-store"},
    )


@router.get("/rules", response_class=HTMLResponse)
def rules_page(request: Request, db: ReadDB) -> Response:
    page = page_for(request, db, need="ballots", with_period=False)
    rules = rules_of(db, unit_ids(page))
    return render(templates, page, "rules.html", "rules", rules=rules, kinds=RULE_KINDS)


def _number(text: str, low: float, high: float) -> float | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if low <= value <= high else None


@router.post("/rules")
def add_rule(
    request: Request,
    db: WriteDB,
    kind: Annotated[str, Form(max_length=20)] = "",
    threshold: Annotated[str, Form(max_length=20)] = "",
    window_min: Annotated[str, Form(max_length=20)] = "",
    min_answers: Annotated[str, Form(max_length=20)] = "",
    rule_unit: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    page = page_for(request, db, need="admin", with_period=False)
    check_csrf(page, csrf_token)
    t = translator(page.lang)
    unit = next((u for u in page.units if u.code == rule_unit), None)
    value = _number(threshold, 0, 100)
    answers = _number(min_answers, 1, 100_000)
    window = _number(window_min, 1, 24 * 60) if kind == "window_unhappy" else None
    if (
        unit is None
        or unit.id is None
        or kind not in RULE_KINDS
        or value is None
        or answers is None
        or (kind == "window_unhappy" and window is None)
    ):
        return render(templates, page, "error.html", "rules", status_code=400, message=t("rules.bad"))
    assert page.user is not None
    db.add(
        AlertRule(
            unit_id=unit.id,
            kind=kind,
            threshold=value,
            window_min=int(window) if window is not None else None,
            min_answers=int(answers),
            created_by=page.user.username,
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    db.commit()
    return RedirectResponse(f"{BASE}/rules?unit={unit.code}", status_code=303)


@router.post("/rules/{rule_id}/active")
def switch_rule(
    request: Request,
    db: WriteDB,
    rule_id: int,
    active: Annotated[str, Form(max_length=1)] = "0",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    page = page_for(request, db, need="admin", with_period=False)
    check_csrf(page, csrf_token)
    rule = db.get(AlertRule, rule_id)
    if rule is None or rule.unit_id not in unit_ids_of_user(page):
        t = translator(page.lang)
        return render(templates, page, "error.html", "rules", status_code=404, message=t("error.not_found"))
    rule.active = active == "1"
    db.add(rule)
    db.commit()
    return RedirectResponse(safe_back(back, BASE + "/rules"), status_code=303)

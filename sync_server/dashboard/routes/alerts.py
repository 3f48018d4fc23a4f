"""The alerts tab: ballots that raised an alert, open ones first, and a leader's acknowledgement."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from surveys.loader import Survey
from sync_server.dashboard.cache import data_version
from sync_server.dashboard.cases import ALERT_CASES, CaseFilters, case_listing, close_ballot_case
from sync_server.dashboard.i18n import translator
from sync_server.dashboard.views import (
    figures_cache,
    officer_label,
    rating_label,
    staff_names,
    unit_ids,
)
from sync_server.dashboard.web import BASE, Page, render, safe_back
from sync_server.models import AlertAck
from sync_server.models import Response as Ballot
from sync_server.queries import alert_ballots, case_change_count

from .deps import ReadDB, WriteDB, ballot_to_act_on, page_for, templates

__all__ = ["newest_open_alerts", "router"]

ALERT_KINDS = {
    "vi_pham_5_khong": "alerts.kind.violation",
    "rat_khong_hai_long": "alerts.kind.very_dissatisfied",
}
LIST_LIMIT = 500
ALERT_PAGE = 100

router = APIRouter()


def alerts_query(
    page: Page, *, only_open: bool, limit: int = LIST_LIMIT
) -> tuple[list[tuple[Ballot, AlertAck | None]], int]:
    period = page.period
    return alert_ballots(
        page.db,
        unit_ids(page),
        only_open=only_open,
        date_from=period.date_from if period else None,
        date_to=period.date_to if period else None,
        limit=limit,
    )


def newest_open_alerts(page: Page, survey: Survey | None) -> tuple[list[dict[str, Any]], int]:
    """The five newest open alerts of the period and how many are open, cached until a ballot or a
    case step."""
    assert page.unit is not None
    assert page.unit.id is not None
    figures_version = page.memo.get(f"version:{page.unit.code}") or data_version(page.db, page.unit.id)
    steps = case_change_count(page.db)
    period = page.period
    span = (period.date_from, period.date_to) if period else None
    key = ("open-alerts", page.unit.code, page.lang, span, figures_version, steps)

    def compute() -> tuple[list[dict[str, Any]], int]:
        listing = case_listing(page, ALERT_CASES, CaseFilters(state="open"), size=5)
        shown = [
            {
                "kind_label": ", ".join(c["reasons"]),
                "submitted_at": c["when"],
                "officer": c["officer"] or c["unit"].name,
                "comment": c["comment"] or c["rule_text"],
            }
            for c in listing["cases"]
        ]
        return shown, int(listing["total"])

    value: tuple[list[dict[str, Any]], int] = figures_cache(page).get_or_compute(key, compute)
    return value


def alert_view(page: Page, b: Ballot, a: AlertAck | None, survey: Survey | None) -> dict[str, Any]:
    t = translator(page.lang)
    names = staff_names(page)
    kinds = [k for k in (b.alert_kind or "").split(",") if k]
    violations: list[str] = []
    if survey is not None:
        for q in survey.questions:
            if q.type == "checklist" and isinstance(b.answers.get(q.id), list):
                for oid in b.answers[q.id]:
                    try:
                        violations.append(q.option(oid).text.get(page.lang))
                    except KeyError:
                        violations.append(str(oid))
    return {
        "id": b.id,
        "kind_labels": [t(ALERT_KINDS.get(k, k)) for k in kinds],
        "kind_label": ", ".join(t(ALERT_KINDS.get(k, k)) for k in kinds),
        "submitted_at": b.submitted_at,
        "received_at": b.received_at,
        "officer": officer_label(page, names, b.staff_id),
        "rating_label": rating_label(page, survey, b.answers.get("tong_the")),
        "violations": violations,
        "comment": b.comment,
        "phone": b.contact_phone if page.access.can_act else None,
        "ack": a,
    }


@router.get("/alerts", response_class=HTMLResponse)
def alerts(request: Request, db: ReadDB) -> Response:
    page = page_for(request, db, need="ballots")
    filters = CaseFilters.parse(page, default_state="open")
    listing = case_listing(page, ALERT_CASES, filters)
    return render(templates, page, "alerts.html", "alerts", kind="alerts", **listing)


@router.post("/alerts/{response_id}/ack")
def acknowledge(
    request: Request,
    db: WriteDB,
    response_id: str,
    note: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    page, refused = ballot_to_act_on(
        request, db, response_id, csrf_token, "alerts", lambda b: b.alert_kind is not None
    )
    if refused is not None:
        return refused
    note = note.strip()
    if not note:
        t = translator(page.lang)
        return render(
            templates, page, "error.html", "alerts", status_code=400, message=t("alerts.note_required")
        )
    if db.get(AlertAck, response_id) is None:
        assert page.user is not None and page.user.id is not None
        db.add(
            AlertAck(
                response_id=response_id,
                user_id=page.user.id,
                username=page.user.username,
                note=note,
                acked_at=dt.datetime.now(dt.UTC),
            )
        )
        close_ballot_case(db, page, "alert", response_id, note)
        db.commit()
    return RedirectResponse(safe_back(back, BASE + "/alerts"), status_code=303)

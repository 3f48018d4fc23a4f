"""The exports tab: the period's figures (CSV, XLSX) and, for leaders, its ballots."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from sync_server.dashboard.views import figures, staff_names, survey_of, unit_ids
from sync_server.dashboard.web import render
from sync_server.queries import ballots_between
from sync_server.reports import exports
from sync_server.reports.content import Labels

from .deps import ReadDB, page_for, templates

__all__ = ["router"]

router = APIRouter()


@router.get("/exports", response_class=HTMLResponse)
def exports_page(request: Request, db: ReadDB) -> Response:
    page = page_for(request, db)
    return render(templates, page, "exports.html", "exports", can_ballots=page.access.sees_ballots)


@router.get("/exports/{what}.{fmt}")
def export(request: Request, db: ReadDB, what: str, fmt: str) -> Response:
    page = page_for(request, db, need="ballots" if what == "ballots" else "all")
    assert page.period is not None and page.unit is not None and page.user is not None
    if what not in ("ballots", "figures") or fmt not in ("csv", "xlsx"):
        return Response(status_code=404)
    survey = survey_of(page)
    names = {k: s.name for k, s in staff_names(page).items()}
    stem = f"{what}-{page.unit.code}-{page.period.key.replace('..', '_')}"
    if what == "figures":
        body = figures(page, page.period, by="staff")
        if fmt == "csv":
            data = exports.figures_csv(body)
        else:
            labels = Labels.from_survey(survey) if survey is not None else None
            data = exports.figures_xlsx(
                body,
                labels=labels,
                staff_names=names,
                title=f"{page.unit.name} – {page.period.label('vi')}",
            )
    else:
        ballots = ballots_between(db, unit_ids(page), page.period.date_from, page.period.date_to)
        maker = exports.ballots_csv if fmt == "csv" else exports.ballots_xlsx
        data = maker(
            ballots,
            survey,
            role=page.user.role,
            include_phones=page.access.can_act,
            staff_names=names,
            tz=page.tz,
        )
    media = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    return Response(
        data,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{stem}.{fmt}"',
            "Cache-Control": "no-store",
        },
    )

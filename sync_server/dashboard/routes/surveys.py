"""The surveys tab (administrators): every loaded survey definition, and a preview of one."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from surveys.loader import parse_survey
from sync_server.dashboard.i18n import translator
from sync_server.dashboard.web import render
from sync_server.models import SurveyVersion
from sync_server.queries import survey_versions

from .deps import ReadDB, page_for, templates

__all__ = ["router"]

router = APIRouter()


@router.get("/surveys", response_class=HTMLResponse)
def surveys(request: Request, db: ReadDB) -> Response:
    page = page_for(request, db, need="admin", with_period=False)
    views = [
        {
            "pk": r.pk,
            "survey_id": r.survey_id,
            "version": r.version,
            "content_hash": r.content_hash,
            "loaded_at": r.loaded_at,
            "title": (r.json_.get("title") or {}).get(page.lang, r.survey_id),
        }
        for r in survey_versions(db)
    ]
    return render(templates, page, "surveys.html", "surveys", surveys=views)


@router.get("/surveys/{pk}", response_class=HTMLResponse)
def survey_preview(request: Request, db: ReadDB, pk: int) -> Response:
    page = page_for(request, db, need="admin", with_period=False)
    row = db.get(SurveyVersion, pk)
    if row is None:
        return render(
            templates,
            page,
            "error.html",
            "surveys",
            status_code=404,
            message=translator(page.lang)("error.not_found"),
        )
    survey = parse_survey(row.json_, source=f"{row.survey_id} {row.version}")
    lang = page.lang
    titles = {g.id: g.title.get(lang) for g in survey.groups}
    questions = [
        {
            "id": q.id,
            "type": q.type,
            "text": q.text.get(lang),
            "groups": ", ".join(titles[g] for g in q.groups),
            "options": [o.text.get(lang) for o in q.options],
        }
        for q in survey.questions
    ]
    return render(
        templates,
        page,
        "survey.html",
        "surveys",
        title=survey.title.get(lang),
        version=survey.version,
        questions=questions,
        scale=[s.get(lang) for s in survey.scale],
    )

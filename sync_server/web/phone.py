"""The phone ballot: `GET /r/<token>` and one plain HTML form per question, no script and no cookie.

The ballot between pages is the list of taps so far, carried in a signed hidden field and replayed on
the kiosk's own `BallotFlow` at every page (so order, follow-ups, the offer and skipping are the
kiosk's); nothing is stored until the last page, when `web_ballots.store_ballot` checks the token
again, spends it and ingests the ballot with source "web".
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlmodel import Session, col

from kiosk.flow import (
    STEP_COMMENT,
    STEP_QUESTION,
    STEP_STAFF,
    BallotFlow,
    FlowError,
    choose_details,
)
from surveys.loader import Survey
from sync_server.api.deps import EngineDep, ReadSessionDep, client_ip, secret_key
from sync_server.dashboard.web import SECURITY_HEADERS
from sync_server.db import write_session
from sync_server.models import Staff, Unit, utcnow
from sync_server.queries import current_survey
from sync_server.web_ballots import (
    REASONS,
    Checked,
    PhoneBallot,
    Refusal,
    WebLimits,
    channels_of,
    check_token,
    limit_key,
    store_ballot,
    take_limits,
)

from .strings import tr

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter(prefix="/r", include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.autoescape = True

_STATUS = {"malformed": 400, "signature": 400, "foreign": 403, "disabled": 403, "busy": 429}
_HEADERS = {**SECURITY_HEADERS, "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _now(request: Request) -> dt.datetime:
    clock = getattr(request.app.state, "phone_clock", None)  # tests fix the clock
    return clock() if clock is not None else utcnow()


def _limits(request: Request) -> WebLimits:
    return getattr(request.app.state, "web_limits", None) or WebLimits()


def _serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key(request), salt="ctt-phone-ballot")


def _page(request: Request, name: str, lang: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.update(lang=lang, t=lambda key, **v: tr(key, lang, **v), other="en" if lang == "vi" else "vi")
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(_HEADERS)
    return response


def _refused(request: Request, reason: str, lang: str, unit: Unit | None = None) -> HTMLResponse:
    """The Vietnamese page of a token that gives no ballot; an address's refusals count in its limit."""
    limits = _limits(request)
    if reason != "busy":
        ip = limit_key("ip", client_ip(request), secret_key(request))
        take_limits(request.app.state.engine, {ip: limits.ip_max}, _now(request), limits.window_s)
    return _page(
        request,
        "refused.html",
        lang,
        status_code=_STATUS.get(reason, 410),
        reason=reason,
        message=REASONS[reason],
        channels=channels_of(unit),
    )


def _check(request: Request, session: Session, token: str) -> Checked:
    checked = check_token(session, token, _now(request), secret_key(request))
    if not checked.unit.web_ballots_enabled:
        raise Refusal("disabled", checked.unit)
    return checked


def _open(request: Request, session: Session, token: str, lang: str) -> tuple[Checked, Survey] | Response:
    """The checked token and its unit's survey, or the page that says why there is no ballot."""
    try:
        checked = _check(request, session, token)
    except Refusal as refusal:
        return _refused(request, refusal.reason, lang, refusal.unit)
    survey = current_survey(session, checked.unit)
    if survey is None:
        return _page(request, "refused.html", lang, 503, reason="no_survey", message=tr("no_survey", lang))
    return checked, survey


def _apply(flow: BallotFlow, event: list[Any]) -> None:
    """One tap on the flow (raises FlowError when it does not fit the page on screen)."""
    kind = event[0]
    if kind == "staff":
        flow.choose_staff(event[1])
    elif kind == "answer":
        flow.answer(event[1], event[2])
    elif kind in ("skip", "back", "more"):
        getattr(flow, kind)()
    elif kind == "send":
        flow.send_now()
    else:
        raise FlowError(f"unknown tap {kind!r}")


def _flow(survey: Survey, state: dict[str, Any], bound: str | None) -> BallotFlow:
    """The ballot as the taps in `state` left it (raises FlowError/KeyError on taps that do not fit)."""
    flow = BallotFlow(survey, state["d"], bound_staff_id=bound)
    for event in state["e"]:
        _apply(flow, event)
    return flow


def _staff(session: Session, unit: Unit) -> list[Staff]:
    query = select(Staff).where(col(Staff.unit_id) == unit.id, col(Staff.active).is_(True))
    return list(session.execute(query.order_by(col(Staff.counter), col(Staff.name))).scalars())


def _officer(session: Session, unit: Unit, staff_id: str | None) -> Staff | None:
    if staff_id is None:
        return None
    query = select(Staff).where(col(Staff.unit_id) == unit.id, col(Staff.id) == staff_id)
    return session.execute(query).scalars().first()


def _show(
    request: Request,
    session: Session,
    token: str,
    checked: Checked,
    survey: Survey,
    state: dict[str, Any],
    flow: BallotFlow,
    error: str | None = None,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    lang = state["l"]
    step = flow.current
    question = flow.question
    done, total = flow.progress
    value = flow.answers.get(question.id) if question is not None else None
    return _page(
        request,
        "phone.html",
        lang,
        token=token,
        state=_serializer(request).dumps(state),
        step=step.kind,
        question=question,
        survey=survey,
        value=value,
        progress=tr("progress", lang, done=min(done + 1, total), total=total) if question else "",
        can_back=bool(state["e"]) or (step.kind != STEP_STAFF and flow.index > 0),
        can_skip=question is not None and not question.required and question.id != "tong_the",
        staff=_staff(session, checked.unit) if step.kind == STEP_STAFF else [],
        officer=_officer(session, checked.unit, flow.staff_id),
        unit=checked.unit,
        error=error,
        typed=typed or {},
    )


@router.get("/cam-on/{unit_code}", response_class=HTMLResponse)
def thanks(
    request: Request, session: ReadSessionDep, unit_code: str, lang: str = "vi", low: int = 0
) -> Response:
    """The last page: thanks, and the office's other channels."""
    unit = session.execute(select(Unit).where(col(Unit.code) == unit_code)).scalars().first()
    lang = "en" if lang == "en" else "vi"
    return _page(request, "thanks.html", lang, unit=unit, low=bool(low), channels=channels_of(unit))


@router.get("/{token}", response_class=HTMLResponse)
def start(request: Request, session: ReadSessionDep, token: str, lang: str = "vi") -> Response:
    """The first page of a good token (the officer, or who served you); a refusal's page otherwise."""
    lang = "en" if lang == "en" else "vi"
    opened = _open(request, session, token, lang)
    if isinstance(opened, Response):
        return opened
    checked, survey = opened
    count = int(request.app.state.settings.device_settings.get("detail_items_per_ballot", 4))
    details = choose_details(survey, {}, count, random.Random(token))
    state = {"t": token, "l": lang, "s": _now(request).isoformat(), "d": details, "e": []}
    flow = _flow(survey, state, checked.claims.staff_id)
    return _show(request, session, token, checked, survey, state, flow)


def _tap(flow: BallotFlow, do: str, value: str, staff: str | None, ticked: list[str]) -> list[Any]:
    """The tap a form sent, as an event; checked by applying it to `flow` (raises FlowError)."""
    step = flow.current
    event: list[Any]
    if do in ("back", "skip", "send", "more"):
        event = [do]
    elif step.kind == STEP_STAFF:
        event = ["staff", staff or None]
    elif step.kind == STEP_QUESTION and flow.question is not None:
        question = flow.question
        answer: Any
        if question.type == "rating5":
            answer = int(value) if value.isdigit() else value
        elif question.type == "checklist":
            answer = [] if do == "none" else ticked
        else:
            answer = value
        event = ["answer", question.id, answer]
    else:
        raise FlowError(f"no tap {do!r} on {step.kind}")
    _apply(flow, event)
    return event


@router.post("/{token}", response_class=HTMLResponse)
def step(
    request: Request,
    session: ReadSessionDep,
    engine: EngineDep,
    token: str,
    state: Annotated[str, Form()] = "",
    do: Annotated[str, Form()] = "answer",
    value: Annotated[str, Form()] = "",
    staff: Annotated[str, Form()] = "",
    opt: Annotated[list[str] | None, Form()] = None,
    comment: Annotated[str, Form(max_length=4000)] = "",
    phone: Annotated[str, Form(max_length=64)] = "",
    consent: Annotated[str, Form()] = "",
) -> Response:
    """One tap: the next page, or on the last page the stored ballot (then the thanks)."""
    try:
        held = _serializer(request).loads(state)
        if not isinstance(held, dict) or held.get("t") != token:
            raise BadSignature("another token's page")
    except BadSignature:
        return _page(request, "refused.html", "vi", 400, reason="stale", message=tr("stale", "vi"))
    if do == "lang":
        held["l"] = "en" if held["l"] == "vi" else "vi"
    lang = held["l"]
    opened = _open(request, session, token, lang)
    if isinstance(opened, Response):
        return opened
    checked, survey = opened
    try:
        flow = _flow(survey, held, checked.claims.staff_id)
    except (FlowError, KeyError, TypeError, ValueError, IndexError):
        return _page(request, "refused.html", lang, 400, reason="stale", message=tr("stale", lang))
    show = partial(_show, request, session, token, checked, survey, held)
    if do == "lang":
        return show(flow)
    if flow.current.kind == STEP_COMMENT and do == "answer":
        typed = {"comment": comment, "phone": phone}
        if phone.strip() and not consent:  # as on the kiosk: no number without the ticked consent
            return show(flow, tr("phone_locked", lang), typed)
        try:
            flow.set_comment(comment, phone, bool(consent))
        except FlowError as exc:
            message = tr("phone_invalid", lang) if "điện thoại" in str(exc) else str(exc)
            return show(flow, message, typed)
    else:
        if (
            flow.current.kind == STEP_STAFF
            and staff
            and staff not in {s.id for s in _staff(session, checked.unit)}
        ):
            return show(flow)  # not one of the unit's officers: the list again
        try:
            held["e"].append(_tap(flow, do, value, staff, opt or []))
        except FlowError:  # a tap that does not fit (no answer ticked, an old page): the page again
            return show(_flow(survey, held, checked.claims.staff_id))
    if not flow.finished:
        return show(flow)
    return _store(request, engine, token, checked, survey, held, flow)


def _store(
    request: Request,
    engine: Any,
    token: str,
    checked: Checked,
    survey: Survey,
    held: dict[str, Any],
    flow: BallotFlow,
) -> Response:
    lang, now, limits = held["l"], _now(request), _limits(request)
    keys = {
        limit_key("ip", client_ip(request), secret_key(request)): limits.ip_max,
        limit_key("issuer", checked.issuer_key, ""): limits.issuer_max,
    }
    if take_limits(engine, keys, now, limits.window_s):
        return _refused(request, "busy", lang)
    ballot = PhoneBallot(
        survey_id=survey.id,
        survey_version=survey.version,
        staff_id=flow.staff_id,
        answers=dict(flow.answers),
        comment=flow.comment,
        contact=flow.contact,
        lang=lang,
        started_at=dt.datetime.fromisoformat(held["s"]),
    )
    with write_session(engine) as session:
        try:
            store_ballot(session, token, now, secret_key(request), ballot)
        except Refusal as refusal:
            session.rollback()
            return _refused(request, refusal.reason, lang, refusal.unit)
        except ValueError as exc:  # ingest refused it (a survey changed between pages): nothing stored
            session.rollback()
            log.warning("phone ballot not stored: %s", exc)
            return _page(request, "refused.html", lang, 409, reason="stale", message=tr("stale", lang))
        session.commit()
    low = 1 if (flow.answers.get("tong_the") or 5) <= 2 else 0
    target = f"/r/cam-on/{quote(checked.unit.code, safe='')}?lang={lang}&low={low}"
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})

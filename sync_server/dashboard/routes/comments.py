"""The comments tab: citizens' comments of the period, marking one handled ("đã xử lý"), and, for an
administrator, erasing a citizen's phone number from every ballot of the unit at their request."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sync_server.contacts import erase_phone, scrub_sqlite
from sync_server.dashboard.cases import CaseFilters, case_listing, close_ballot_case
from sync_server.dashboard.web import BASE, render, safe_back
from sync_server.models import CommentState, Unit
from sync_server.models import Response as Ballot

from .deps import Forbidden, ReadDB, WriteDB, ballot_to_act_on, page_for, templates

__all__ = ["router"]

router = APIRouter()


@router.get("/comments", response_class=HTMLResponse)
def comments(request: Request, db: ReadDB) -> Response:
    page = page_for(request, db, need="ballots")
    filters = CaseFilters.parse(page, default_state="all")
    listing = case_listing(page, ("comment",), filters)
    return render(
        templates,
        page,
        "comments.html",
        "comments",
        kind="comments",
        show_phone=page.access.can_act,
        **listing,
    )


@router.post("/comments/{response_id}/handled")
def mark_comment(
    request: Request,
    db: WriteDB,
    response_id: str,
    handled: Annotated[str, Form(max_length=1)] = "1",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    page, refused = ballot_to_act_on(
        request, db, response_id, csrf_token, "comments", lambda b: bool(b.has_comment)
    )
    if refused is not None:
        return refused
    assert page.user is not None and page.user.id is not None
    state = db.get(CommentState, response_id) or CommentState(
        response_id=response_id,
        user_id=page.user.id,
        username=page.user.username,
        changed_at=dt.datetime.now(dt.UTC),
    )
    state.handled = handled == "1"
    state.user_id, state.username, state.changed_at = (
        page.user.id,
        page.user.username,
        dt.datetime.now(dt.UTC),
    )
    db.add(state)
    close_ballot_case(db, page, "comment", response_id, "", reopen=not state.handled)
    db.commit()
    return RedirectResponse(safe_back(back, BASE + "/comments"), status_code=303)


@router.post("/comments/{response_id}/erase-phone")
def erase_comment_phone(
    request: Request,
    db: WriteDB,
    response_id: str,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The citizen asked: their number goes from every ballot of the ballot's unit (an admin's action)."""
    page, refused = ballot_to_act_on(
        request, db, response_id, csrf_token, "comments", lambda b: bool(b.contact_phone)
    )
    if refused is not None:
        return refused
    if not page.access.can_manage:
        raise Forbidden()
    ballot = db.get(Ballot, response_id)
    assert ballot is not None and ballot.contact_phone is not None
    unit = db.get(Unit, ballot.unit_id)
    assert unit is not None
    erase_phone(db, unit.code, ballot.contact_phone)
    db.commit()
    scrub_sqlite(db.get_bind().engine)
    return RedirectResponse(safe_back(back, BASE + "/comments"), status_code=303)

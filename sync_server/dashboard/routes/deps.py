"""What every dashboard route shares: the session aliases, the page context, CSRF and role checks.

page = page_for(request, db, need="ballots")      # raises LoginRequired, Forbidden
check_csrf(page, csrf_token)                       # raises CsrfFailed
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import Response
from sqlmodel import Session

from sync_server.api.deps import ReadSessionDep, WriteSessionDep
from sync_server.dashboard import auth
from sync_server.dashboard.i18n import translator
from sync_server.dashboard.web import BASE, Page, make_templates, render, safe_back
from sync_server.models import Response as Ballot
from sync_server.periods import PeriodError, parse_period
from sync_server.settings import Settings

__all__ = [
    "BASE",
    "CsrfFailed",
    "Forbidden",
    "LoginRequired",
    "ReadDB",
    "WriteDB",
    "ballot_to_act_on",
    "check_csrf",
    "cookie_secure",
    "page_for",
    "templates",
    "unit_ids_of_user",
]

ReadDB = ReadSessionDep
WriteDB = WriteSessionDep
templates = make_templates()


class LoginRequired(Exception):
    """Raised by a page when nobody (or an expired session) is logged in: redirect to the log-in form."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class Forbidden(Exception):
    """The logged-in user may not see this page or unit."""


class CsrfFailed(Exception):
    """A form arrived without the session's CSRF token."""


def cookie_secure(request: Request, settings: Settings) -> bool:
    """Secure cookies when `SURVEY_COOKIE_SECURE` says so, when the public URL is https, or when the
    request came over https (seen through a proxy only when `serve --forwarded-allow-ips` trusts it)."""
    settled = settings.secure_cookies
    if settled is not None:
        return settled
    return request.url.scheme == "https"


def page_for(request: Request, db: Session, *, need: str = "all", with_period: bool = True) -> Page:
    """The context of a logged-in page; raises LoginRequired or Forbidden."""
    found = auth.read_session(db, request.cookies.get(auth.SESSION_COOKIE))
    if found is None:
        raise LoginRequired(
            safe_back(str(request.url.path) + ("?" + request.url.query if request.url.query else ""))
        )
    user, sess = found
    page = Page(request=request, db=db, user=user, csrf=sess.csrf_token)
    access = page.access
    if (need == "ballots" and not access.sees_ballots) or (need == "admin" and not access.can_manage):
        raise Forbidden()
    page.units = auth.visible_units(db, user)
    if not page.units:
        raise Forbidden()
    code = request.query_params.get("unit")
    if code:
        match = [u for u in page.units if u.code == code]
        if not match:
            raise Forbidden()
        page.unit = match[0]
    else:
        own = [u for u in page.units if u.id == user.unit_id]
        page.unit = own[0] if own else page.units[0]
    if with_period:
        q = request.query_params
        try:
            page.period = parse_period(
                q.get("period"), q.get("key"), q.get("from"), q.get("to"), today=page.today()
            )
        except PeriodError:
            page.flashes.append(("error", translator(page.lang)("period.bad")))
            page.period = parse_period("month", None, None, None, today=page.today())
    return page


def check_csrf(page: Page, token: str | None) -> None:
    if not auth.csrf_ok(page.csrf, token):
        raise CsrfFailed()


def unit_ids_of_user(page: Page) -> set[int]:
    return {u.id for u in page.units if u.id is not None}


def ballot_to_act_on(
    request: Request,
    db: Session,
    response_id: str,
    csrf_token: str,
    tab: str,
    applies: Callable[[Ballot], bool],
) -> tuple[Page, Response | None]:
    """The page of a leader's action on one ballot, or the 404 answer when it is not theirs to act on."""
    page = page_for(request, db, need="ballots", with_period=False)
    check_csrf(page, csrf_token)
    if not page.access.can_act:
        raise Forbidden()
    ballot = db.get(Ballot, response_id)
    if ballot is None or not applies(ballot) or ballot.unit_id not in unit_ids_of_user(page):
        message = translator(page.lang)("error.not_found")
        return page, render(templates, page, "error.html", tab, status_code=404, message=message)
    return page, None

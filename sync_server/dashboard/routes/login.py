"""Log-in, log-out, the language switch and the stylesheet: the pages anyone may reach."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from sync_server.api.deps import SettingsDep, client_ip, get_engine
from sync_server.dashboard import auth
from sync_server.dashboard.i18n import translator
from sync_server.dashboard.web import BASE, LANG_COOKIE, Page, lang_of, render, safe_back
from sync_server.db import write_session
from sync_server.login_limits import Limits, attempt_login
from sync_server.settings import Settings

from .deps import ReadDB, WriteDB, check_csrf, cookie_secure, page_for, templates

__all__ = ["router"]

STATIC = Path(__file__).parent.parent / "static"

router = APIRouter()


@router.get("/static/dashboard.css")
def stylesheet() -> FileResponse:
    return FileResponse(
        STATIC / "dashboard.css", media_type="text/css", headers={"Cache-Control": "max-age=3600"}
    )


@router.get("/lang/{lang}")
def switch_lang(
    request: Request, settings: SettingsDep, lang: str, next: str | None = None
) -> RedirectResponse:
    response = RedirectResponse(safe_back(next, BASE + "/"), status_code=303)
    response.set_cookie(
        LANG_COOKIE,
        "en" if lang == "en" else "vi",
        max_age=365 * 86400,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request, settings),
        path=BASE,
    )
    return response


def login_page(
    request: Request,
    db: Session,
    settings: Settings,
    *,
    error: str = "",
    username: str = "",
    next_url: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    token = request.cookies.get(auth.CSRF_COOKIE) or secrets.token_urlsafe(24)
    page = Page(request=request, db=db, user=None, csrf=token)
    response = render(
        templates,
        page,
        "login.html",
        "login",
        status_code=status_code,
        error=error,
        username=username,
        next=safe_back(next_url, ""),
    )
    response.set_cookie(
        auth.CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request, settings),
        path=BASE,
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, db: ReadDB, settings: SettingsDep, next: str = "") -> Response:
    if auth.read_session(db, request.cookies.get(auth.SESSION_COOKIE)) is not None:
        return RedirectResponse(safe_back(next), status_code=303)
    return login_page(request, db, settings, next_url=next)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    db: ReadDB,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    t = translator(lang_of(request))
    if not auth.csrf_ok(request.cookies.get(auth.CSRF_COOKIE), csrf_token):
        return login_page(
            request, db, settings, error=t("csrf.failed"), username=username, next_url=next, status_code=403
        )
    engine = get_engine(request)
    # The API's log-in counts in the same place (login_limits); argon2 runs with no transaction open.
    outcome = attempt_login(engine, username, password, client_ip(request), Limits.of(settings))
    if outcome.user is None:
        limited = outcome.retry_after > 0
        response = login_page(
            request,
            db,
            settings,
            error=t("login.limited" if limited else "login.failed"),
            username=username,
            next_url=next,
            status_code=429 if limited else 401,
        )
        if limited:
            response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    session_ttl_s = settings.access_token_ttl_s
    with write_session(engine) as writer:
        token, _ = auth.open_session(writer, outcome.user, session_ttl_s)
    done = RedirectResponse(safe_back(next), status_code=303)
    done.set_cookie(
        auth.SESSION_COOKIE,
        token,
        max_age=session_ttl_s,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request, settings),
        path=BASE,
    )
    done.delete_cookie(auth.CSRF_COOKIE, path=BASE)
    return done


@router.post("/logout")
def logout(request: Request, db: WriteDB, csrf_token: Annotated[str, Form(max_length=200)] = "") -> Response:
    page = page_for(request, db, with_period=False)
    check_csrf(page, csrf_token)
    auth.close_session(db, request.cookies.get(auth.SESSION_COOKIE))
    response = RedirectResponse(BASE + "/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path=BASE)
    return response

"""The dashboard's pages and forms under /dashboard, one module per tab; `install` mounts them.

install(app)      # from create_app: every tab's router, the log-in redirects, "/" -> /dashboard/

login (log-in, log-out, language, stylesheet) · overview · officers · items · alerts · comments ·
devices · staff · surveys · exports · reports; `deps` holds what they share.
"""

from __future__ import annotations

from typing import cast
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from sync_server.dashboard.cache import FiguresCache
from sync_server.dashboard.i18n import translator
from sync_server.dashboard.web import BASE, Page, lang_of, render

from . import (
    alerts,
    cases,
    comments,
    devices,
    exports,
    items,
    login,
    officers,
    overview,
    phone,
    reports,
    staff,
    surveys,
    when,
)
from .deps import CsrfFailed, Forbidden, LoginRequired, templates

__all__ = ["CsrfFailed", "Forbidden", "LoginRequired", "install", "router"]

TABS = (
    login,
    overview,
    officers,
    items,
    when,
    alerts,
    comments,
    cases,
    devices,
    staff,
    surveys,
    exports,
    reports,
    phone,
)

router = APIRouter(prefix=BASE, include_in_schema=False)
for _tab in TABS:
    router.include_router(_tab.router)


def install(app: FastAPI) -> None:
    """Mount the dashboard on `app` (settings, engine on `app.state`); "/" redirects to /dashboard/."""
    app.state.figures_cache = FiguresCache()
    app.include_router(router)

    async def _to_login(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        target = f"{BASE}/login"
        if exc.next_url and exc.next_url != BASE + "/":
            target += "?" + urlencode({"next": exc.next_url})
        return RedirectResponse(target, status_code=303)

    async def _refused(request: Request, exc: Exception) -> Response:
        t = translator(lang_of(request))
        message = t("csrf.failed") if isinstance(exc, CsrfFailed) else t("error.forbidden")
        page = Page(request=request, db=cast(Session, None), user=None, csrf="")
        return render(templates, page, "error.html", "error", status_code=403, message=message)

    async def _home(request: Request) -> Response:
        return RedirectResponse(BASE + "/", status_code=307)

    app.add_exception_handler(LoginRequired, _to_login)
    app.add_exception_handler(Forbidden, _refused)
    app.add_exception_handler(CsrfFailed, _refused)
    if not any(getattr(r, "path", None) == "/" for r in app.routes):
        app.add_api_route("/", _home, include_in_schema=False)

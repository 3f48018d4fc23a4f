"""Templates, the per-request page context, and small helpers shared by the dashboard routes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from sqlmodel import Session

from sync_server.models import Unit, User
from sync_server.periods import Period, default_key, parse_period

from .auth import Access
from .formatting import Fmt
from .i18n import translator

__all__ = ["BASE", "LANG_COOKIE", "SECURITY_HEADERS", "Page", "make_templates", "render", "safe_back"]

BASE = "/dashboard"
LANG_COOKIE = "ctt_lang"
HERE = Path(__file__).parent

# No script runs on these pages at all; styles only from our own file (and the bars' inline widths).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

NAV: tuple[tuple[str, str, str], ...] = (
    # (key, path, who): who = "all" | "ballots" (leaders, admins) | "admin"
    ("overview", "/", "all"),
    ("officers", "/officers", "all"),
    ("items", "/items", "all"),
    ("when", "/when", "all"),
    ("alerts", "/alerts", "ballots"),
    ("comments", "/comments", "ballots"),
    ("exports", "/exports", "all"),
    ("reports", "/reports", "ballots"),
    ("devices", "/devices", "ballots"),
    ("staff", "/staff", "ballots"),
    ("rules", "/rules", "ballots"),
    ("surveys", "/surveys", "admin"),
    ("phone", "/phone", "all"),
)


def make_templates() -> Jinja2Templates:
    """The Jinja2 environment (autoescaped HTML) over this package's templates."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.autoescape = True
    # One URL path segment: unlike Jinja's `urlencode`, "/" is encoded too (officer ids may hold it).
    templates.env.filters["segment"] = lambda value: quote(str(value), safe="")
    return templates


def lang_of(request: Request) -> str:
    """Vietnamese unless the reader chose English."""
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "vi"


def safe_back(value: str | None, fallback: str = BASE + "/") -> str:
    """A local dashboard path to return to after a form; anything else (another site) is refused."""
    if not value or not value.startswith(BASE + "/") or value.startswith("//") or "\\" in value:
        return fallback
    if any(ch in value for ch in "\r\n"):
        return fallback
    return value


@dataclass
class Page:
    """Everything a page template needs: who reads, in which language, which unit and period."""

    request: Request
    db: Session
    user: User | None
    csrf: str
    units: list[Unit] = field(default_factory=list)
    unit: Unit | None = None
    period: Period | None = None
    flashes: list[tuple[str, str]] = field(default_factory=list)
    # Per-request memo (officer names, the survey) so list pages do not repeat the same query.
    memo: dict[str, Any] = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return lang_of(self.request)

    @property
    def access(self) -> Access:
        return Access(self.user.role if self.user else "")

    @property
    def tz(self) -> str:
        return self.unit.timezone if self.unit else "Asia/Ho_Chi_Minh"

    def today(self) -> dt.date:
        return dt.datetime.now(ZoneInfo(self.tz)).date()

    def qs(self, **overrides: Any) -> str:
        """The query string selecting this page's unit and period, with `overrides` (None removes)."""
        params: dict[str, str] = {}
        if self.unit is not None:
            params["unit"] = self.unit.code
        if self.period is not None:
            params.update(self.period.query)
        for key in ("all", "source"):
            if key in self.request.query_params:
                params[key] = self.request.query_params[key]
        for key, value in overrides.items():
            name = "from" if key == "from_" else key
            if value is None:
                params.pop(name, None)
            else:
                params[name] = str(value)
        return "?" + urlencode(params) if params else ""

    def here(self) -> str:
        url = self.request.url
        return url.path + ("?" + url.query if url.query else "")

    def period_links(self) -> list[tuple[str, str, bool]]:
        if self.period is None:
            return []
        path = self.request.url.path
        out = []
        anchor = min(self.period.date_to, self.today())
        for kind in ("month", "quarter", "half", "year"):
            out.append(
                (
                    kind,
                    path + self.qs(period=kind, key=default_key(kind, anchor), from_=None, to=None),
                    self.period.kind == kind,
                )
            )
        custom = self.qs(
            period="custom",
            key=None,
            from_=self.period.date_from.isoformat(),
            to=self.period.date_to.isoformat(),
        )
        out.append(("custom", path + custom, self.period.kind == "custom"))
        return out

    def period_choices(self) -> list[tuple[str, str]]:
        """Recent periods of the selected kind, newest first, always including the selected one."""
        if self.period is None or self.period.kind == "custom":
            return []
        kind = self.period.kind
        today = self.today()
        keys: list[str] = []
        cursor = today
        count = {"month": 25, "quarter": 12, "half": 8, "year": 6}[kind]
        for _ in range(count):
            key = default_key(kind, cursor)
            keys.append(key)
            cursor = parse_period(kind, key, None, None, today=today).date_from - dt.timedelta(days=1)
        if self.period.key not in keys:
            keys.insert(0, self.period.key)
        return [(k, parse_period(kind, k, None, None, today=today).label(self.lang)) for k in keys]

    def running_text(self) -> str:
        """ "đang diễn ra (đến ngày 07/12/2026)" while the period has not ended, else ""."""
        if self.period is None:
            return ""
        today = self.today()
        if not self.period.date_from <= today <= self.period.date_to:
            return ""
        day = today.isoformat() if self.lang == "en" else today.strftime("%d/%m/%Y")
        return translator(self.lang)("period.running", day=day)

    def context(self, page: str, **extra: Any) -> dict[str, Any]:
        t = translator(self.lang)
        csrf = self.csrf

        def csrf_field() -> Markup:
            return Markup('<input type="hidden" name="csrf_token" value="{}">').format(csrf)

        access = self.access
        nav = [
            (key, path)
            for key, path, who in NAV
            if who == "all"
            or (who == "ballots" and access.sees_ballots)
            or (who == "admin" and access.can_manage)
        ]
        ctx: dict[str, Any] = {
            "t": t,
            "lang": self.lang,
            "f": Fmt(self.lang, self.tz),
            "base": BASE,
            "static_url": BASE + "/static/dashboard.css",
            "user": self.user,
            "page": page,
            "nav_items": nav if self.user else [],
            "csrf_field": csrf_field,
            "qs": self.qs,
            "here": self.here(),
            "units": self.units,
            "unit": self.unit,
            "period": self.period,
            "period_label": self.period.label(self.lang) if self.period else "",
            "period_running": self.running_text(),
            "period_links": self.period_links(),
            "period_choices": self.period_choices(),
            "extra_query": [("all", self.request.query_params["all"])]
            if "all" in self.request.query_params
            else [],
            "source_filter": self.request.query_params.get("source", ""),
            "flashes": self.flashes,
            "can_act": access.can_act,
            "can_manage": access.can_manage,
        }
        ctx.update(extra)
        return ctx


def render(
    templates: Jinja2Templates, page: Page, name: str, key: str, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    """Render `name` with the page context; pages are never cached (they carry figures and tokens)."""
    response = templates.TemplateResponse(
        page.request, name, page.context(key, **extra), status_code=status_code
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(SECURITY_HEADERS)
    return response


def plain(value: str) -> Markup:
    return Markup(escape(value))

"""The dashboard's pages and forms, served under /dashboard by `survey-server serve`.

No `from __future__ import annotations` here: FastAPI must see the dependency aliases built per router.

install(app, settings, engine)      # from create_app: routes, static CSS, log-in redirects
"""

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, cast
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from surveys.loader import Survey, parse_survey
from sync_server.admin import MAX_PHOTO_BYTES, AdminError, create_enrolment_code, revoke_device
from sync_server.db import read_session, write_session
from sync_server.models import Device, Staff, SurveyVersion, Unit
from sync_server.models import Response as Ballot
from sync_server.queries import current_survey, indices_for, subtree, survey_version_row
from sync_server.reports import MEDIA_TYPES, exports, report_filename
from sync_server.reports.content import Labels
from sync_server.reports.service import build_report
from sync_server.security import FailureLimiter, authenticate
from sync_server.settings import Settings

from . import auth
from .cache import FiguresCache, data_version
from .charts import Bar, TrendPoint, bars_html, trend_svg
from .formatting import Fmt, change_of
from .i18n import translator
from .models import AlertAck, CommentState
from .periods import Period, PeriodError, month_keys, parse_period
from .staff_import import MAX_CSV_BYTES, import_uploaded_csv, save_photo, staff_error_text
from .web import BASE, LANG_COOKIE, Page, lang_of, make_templates, render, safe_back

__all__ = ["CsrfFailed", "Forbidden", "LoginRequired", "build_router", "install"]

STATIC = Path(__file__).parent / "static"
ALERT_KINDS = {
    "vi_pham_5_khong": "alerts.kind.violation",
    "rat_khong_hai_long": "alerts.kind.very_dissatisfied",
}
LIST_LIMIT = 500
REPORT_KINDS = ("month", "quarter", "half", "year")
# How far back the reports page offers periods of each kind (running period included).
REPORT_CHOICES = {"month": 25, "quarter": 12, "half": 8, "year": 6}
REPORT_FORMATS = ("pdf", "docx", "xlsx")
ALERT_PAGE = 100


class LoginRequired(Exception):
    """Raised by a page when nobody (or an expired session) is logged in: redirect to the log-in form."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class Forbidden(Exception):
    """The logged-in user may not see this page or unit."""


class CsrfFailed(Exception):
    """A form arrived without the session's CSRF token."""


def install(app: FastAPI, settings: Settings, engine: Engine) -> None:
    """Mount the dashboard on `app`: pages under /dashboard, "/" redirects there."""
    limiter = getattr(app.state, "login_limiter", None)
    app.include_router(
        build_router(settings, engine, limiter if isinstance(limiter, FailureLimiter) else None)
    )
    templates = make_templates()

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


def _cookie_secure(request: Request, settings: Settings) -> bool:
    """Secure cookies over https; `SURVEY_COOKIE_SECURE` (settings.cookie_secure) forces it either way."""
    forced = getattr(settings, "cookie_secure", None)
    if isinstance(forced, bool):
        return forced
    return request.url.scheme == "https"


def build_router(settings: Settings, engine: Engine, limiter: FailureLimiter | None = None) -> APIRouter:
    """All dashboard routes, bound to this server's settings and database engine."""
    router = APIRouter(prefix=BASE, include_in_schema=False)
    templates = make_templates()
    limiter = limiter or FailureLimiter(settings.login_max_failures, settings.login_window_s)
    session_ttl_s = settings.access_token_ttl_s
    cache = FiguresCache()

    def db_read() -> Iterator[Session]:
        with read_session(engine) as db:
            yield db

    def db_write() -> Iterator[Session]:
        with write_session(engine) as db:
            yield db

    ReadDB = Annotated[Session, Depends(db_read)]
    WriteDB = Annotated[Session, Depends(db_write)]

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

    def survey_of(page: Page) -> Survey | None:
        assert page.unit is not None
        if "survey" not in page.memo:
            page.memo["survey"] = current_survey(page.db, page.unit)
        survey: Survey | None = page.memo["survey"]
        return survey

    def figures(
        page: Page, period: Period, by: str = "none", kind: str = "month", unit: Unit | None = None
    ) -> dict[str, Any]:
        """`indices_for` of the page's unit or `unit` (shared: never mutate), cached until new ballots."""
        unit = unit or page.unit
        assert unit is not None and unit.id is not None
        memo_key = f"version:{unit.code}"
        if memo_key not in page.memo:
            row = survey_version_row(page.db, unit)
            ids = subtree(page.db, [unit.id])
            page.memo[memo_key] = (data_version(page.db, ids), row.content_hash if row else None)
        key = (
            unit.code,
            period.date_from,
            period.date_to,
            by,
            kind,
            settings.min_sample,
            page.memo[memo_key],
        )
        code = unit.code
        return cache.get_or_compute(
            key,
            lambda: indices_for(
                page.db,
                code,
                period.date_from,
                period.date_to,
                by=by,
                period=kind,
                min_sample=settings.min_sample,
            ),
        )

    def this_and_previous(page: Page, period: Period) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The figures of a period and of the one before it; one query for calendar periods."""
        before = period.previous()
        if period.kind == "custom":
            now_rows = figures(page, period)["rows"]
            before_rows = figures(page, before)["rows"]
            return (now_rows[0] if now_rows else None), (before_rows[0] if before_rows else None)
        both = Period("custom", "", before.date_from, period.date_to)
        rows = {r["key"]: r for r in figures(page, both, by="period", kind=period.kind)["rows"]}
        return rows.get(period.key), rows.get(before.key)

    def unit_ids(page: Page) -> set[int]:
        assert page.unit is not None and page.unit.id is not None
        return subtree(page.db, [page.unit.id])

    def staff_names(page: Page) -> dict[str, Staff]:
        if "staff" not in page.memo:
            rows = page.db.exec(select(Staff).where(col(Staff.unit_id).in_(unit_ids(page)))).all()
            page.memo["staff"] = {s.id: s for s in rows}
        names: dict[str, Staff] = page.memo["staff"]
        return names

    def officer_label(page: Page, names: dict[str, Staff], staff_id: str | None) -> str:
        if staff_id is None:
            return translator(page.lang)("officers.unknown")
        s = names.get(staff_id)
        return s.name if s else staff_id

    def trend_points(page: Page, rows: list[dict[str, Any]], keys: list[str]) -> list[TrendPoint]:
        by_key = {r["key"]: r for r in rows}
        points = []
        for key in keys:
            r = by_key.get(key)
            ci = (r or {}).get("satisfaction_ci95") or [None, None]
            points.append(
                TrendPoint(
                    key=key,
                    label=f"{key[5:7]}/{key[2:4]}",
                    value=r["satisfaction_index"] if r else None,
                    lo=ci[0],
                    hi=ci[1],
                    n=r["n"] if r else 0,
                    insufficient=bool(r["insufficient"]) if r else True,
                )
            )
        return points

    def trend_window(page: Page) -> Period:
        assert page.period is not None
        end = min(page.period.date_to, page.today())
        keys = month_keys(end, 13)
        first = dt.date.fromisoformat(keys[0] + "-01")
        last = parse_period("month", keys[-1], None, None, today=end).date_to
        return Period("custom", f"{first}..{last}", first, last)

    # ------------------------------------------------------------------ log-in, log-out, language

    @router.get("/static/dashboard.css")
    def stylesheet() -> FileResponse:
        return FileResponse(
            STATIC / "dashboard.css", media_type="text/css", headers={"Cache-Control": "max-age=3600"}
        )

    @router.get("/lang/{lang}")
    def switch_lang(request: Request, lang: str, next: str | None = None) -> RedirectResponse:
        response = RedirectResponse(safe_back(next, BASE + "/"), status_code=303)
        response.set_cookie(
            LANG_COOKIE,
            "en" if lang == "en" else "vi",
            max_age=365 * 86400,
            httponly=True,
            samesite="lax",
            secure=_cookie_secure(request, settings),
            path=BASE,
        )
        return response

    def login_page(
        request: Request,
        db: Session,
        *,
        error: str = "",
        username: str = "",
        next_url: str = "",
        status_code: int = 200,
    ) -> HTMLResponse:
        import secrets

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
            secure=_cookie_secure(request, settings),
            path=BASE,
        )
        return response

    @router.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, db: ReadDB, next: str = "") -> Response:
        if auth.read_session(db, request.cookies.get(auth.SESSION_COOKIE)) is not None:
            return RedirectResponse(safe_back(next), status_code=303)
        return login_page(request, db, next_url=next)

    @router.post("/login", response_class=HTMLResponse)
    def login(
        request: Request,
        db: WriteDB,
        username: Annotated[str, Form(max_length=200)] = "",
        password: Annotated[str, Form(max_length=1000)] = "",
        csrf_token: Annotated[str, Form(max_length=200)] = "",
        next: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        t = translator(lang_of(request))
        if not auth.csrf_ok(request.cookies.get(auth.CSRF_COOKIE), csrf_token):
            return login_page(
                request, db, error=t("csrf.failed"), username=username, next_url=next, status_code=403
            )
        client = request.client.host if request.client else "?"
        key = f"dashboard:{client}:{username.strip().lower()}"
        if limiter.retry_after(key) > 0:
            return login_page(
                request, db, error=t("login.limited"), username=username, next_url=next, status_code=429
            )
        user = authenticate(db, username.strip(), password)
        if user is None:
            limiter.failure(key)
            return login_page(
                request, db, error=t("login.failed"), username=username, next_url=next, status_code=401
            )
        limiter.success(key)
        token, _ = auth.open_session(db, user, session_ttl_s)
        response = RedirectResponse(safe_back(next), status_code=303)
        response.set_cookie(
            auth.SESSION_COOKIE,
            token,
            max_age=session_ttl_s,
            httponly=True,
            samesite="lax",
            secure=_cookie_secure(request, settings),
            path=BASE,
        )
        response.delete_cookie(auth.CSRF_COOKIE, path=BASE)
        return response

    @router.post("/logout")
    def logout(
        request: Request, db: WriteDB, csrf_token: Annotated[str, Form(max_length=200)] = ""
    ) -> Response:
        page = page_for(request, db, with_period=False)
        check_csrf(page, csrf_token)
        auth.close_session(db, request.cookies.get(auth.SESSION_COOKIE))
        response = RedirectResponse(BASE + "/login", status_code=303)
        response.delete_cookie(auth.SESSION_COOKIE, path=BASE)
        return response

    # ------------------------------------------------------------------ figures

    @router.get("/", response_class=HTMLResponse)
    def overview(request: Request, db: ReadDB) -> Response:
        page = page_for(request, db)
        assert page.period is not None
        t = translator(page.lang)
        row, prev = this_and_previous(page, page.period)

        def pick(r: dict[str, Any] | None, name: str) -> float | None:
            return r.get(name) if r else None

        changes = {
            "satisfaction": change_of(pick(row, "satisfaction_index"), pick(prev, "satisfaction_index")),
            "friendly": change_of(pick(row, "friendly_index"), pick(prev, "friendly_index")),
            "service": change_of(pick(row, "service_index"), pick(prev, "service_index")),
        }
        window = trend_window(page)
        trend_rows = figures(page, window, by="period", kind="month")["rows"]
        points = trend_points(page, trend_rows, month_keys(window.date_to, 13))
        survey = survey_of(page)
        fmt = Fmt(page.lang, page.tz)
        groups = (row or {}).get("groups", {})
        friendly: list[Bar] = []
        sipas: list[Bar] = []
        if survey is not None:
            for g in survey.groups:
                value = groups.get(g.id)
                bar = Bar(g.title.get(page.lang), value, fmt.pct(value) if value is not None else "")
                (friendly if g.friendly else sipas if g.sipas else friendly).append(bar)
        open_alerts: list[dict[str, Any]] = []
        open_total = 0
        if page.access.sees_ballots:
            open_alerts, open_total = newest_open_alerts(page, survey)
        return render(
            templates,
            page,
            "overview.html",
            "overview",
            row=row,
            changes=changes,
            min_sample=settings.min_sample,
            trend_svg=trend_svg(points, title=t("overview.trend"), no_data=""),
            trend_points=points,
            friendly_svg=bars_html(friendly, title=t("overview.groups")),
            sipas_svg=bars_html(sipas, title=t("overview.sipas")),
            open_alerts=open_alerts,
            open_alerts_total=open_total,
        )

    @router.get("/officers", response_class=HTMLResponse)
    def officers(request: Request, db: ReadDB) -> Response:
        page = page_for(request, db)
        assert page.period is not None
        assert page.unit is not None
        rows = figures(page, page.period, by="staff")["rows"]
        names = staff_names(page)
        ranks = rank(rows)
        ranked = sorted((r for r in rows if r["key"] in ranks), key=lambda r: ranks[r["key"]])
        rest = [r for r in rows if r["key"] not in ranks]
        rest.sort(key=lambda r: (r["key"] is None, officer_label(page, names, r["key"])))
        listed = []
        for r in [*ranked, *rest]:
            s = names.get(r["key"]) if r["key"] else None
            listed.append(
                {
                    "row": r,
                    "rank": ranks.get(r["key"]) if r["key"] else None,
                    "name": officer_label(page, names, r["key"]),
                    "counter": s.counter if s else "",
                    "slug": r["key"] if r["key"] is not None else "_none",
                }
            )
        # Officer ids are unique within a commune only: across communes the same id is another person,
        # so a unit above communes compares its sub-units instead of ranking officers.
        staff_ids = page.db.exec(select(col(Staff.id)).where(col(Staff.unit_id).in_(unit_ids(page)))).all()
        merged = len(staff_ids) != len(set(staff_ids))
        children = [u for u in page.units if u.parent_id == page.unit.id]
        sub_units = []
        if children:
            child_rows = {}
            for u in children:
                found = figures(page, page.period, unit=u)["rows"]
                child_rows[u.code] = found[0] if found else None
            unit_ranks = rank([{**r, "key": code} for code, r in child_rows.items() if r is not None])
            for u in sorted(children, key=lambda u: (unit_ranks.get(u.code, 10**9), u.name)):
                sub_units.append({"unit": u, "row": child_rows[u.code], "rank": unit_ranks.get(u.code)})
        return render(
            templates,
            page,
            "officers.html",
            "officers",
            officers=[] if merged else listed,
            officers_merged=merged,
            sub_units=sub_units,
            min_sample=settings.min_sample,
        )

    def rank(rows: list[dict[str, Any]]) -> dict[str, int]:
        """Competition ranks (1, 2, 2, 4) by satisfaction index of the rows with a key and enough ballots."""
        ranked = sorted(
            (
                r
                for r in rows
                if r["key"] is not None and not r["insufficient"] and r["satisfaction_index"] is not None
            ),
            key=lambda r: -r["satisfaction_index"],
        )
        ranks: dict[str, int] = {}
        for i, r in enumerate(ranked):
            before = ranked[i - 1] if i else None
            same = before is not None and before["satisfaction_index"] == r["satisfaction_index"]
            ranks[r["key"]] = ranks[before["key"]] if same and before is not None else i + 1
        return ranks

    def item_views(
        page: Page, row: dict[str, Any] | None, survey: Survey | None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        if survey is None:
            return [], []
        items = (row or {}).get("items", {})
        group_titles = {g.id: g.title.get(page.lang) for g in survey.groups}
        short = Labels.from_survey(survey).items if page.lang == "vi" else {}
        out: list[dict[str, Any]] = []
        violations: list[dict[str, Any]] = []
        for q in survey.questions:
            if q.type not in ("rating5", "checklist"):
                continue
            it = items.get(q.id) or {"n": 0, "index": None}
            out.append(
                {
                    "id": q.id,
                    "text": short.get(q.id) or q.text.get(page.lang),
                    "full": q.text.get(page.lang),
                    "groups": ", ".join(group_titles.get(g, g) for g in q.groups),
                    "n": it.get("n", 0),
                    "index": it.get("index"),
                    "checklist": q.type == "checklist",
                }
            )
            if q.type == "checklist":
                rates = it.get("violation_rates") or {}
                n = it.get("n", 0) or 0
                for o in q.options:
                    rate = rates.get(o.id)
                    # Counts are rebuilt from the rate and n (exact while n < 1,000; see docs/decisions.md).
                    count = round((rate or 0.0) * n / 100) if rate is not None else 0
                    violations.append(
                        {"text": o.text.get(page.lang), "count": count, "rate": rate if n else None}
                    )
        return out, violations

    # `path`: an officer id may hold "/" (the link encodes it, but the server sees it decoded).
    @router.get("/officers/{slug:path}", response_class=HTMLResponse)
    def officer(request: Request, db: ReadDB, slug: str) -> Response:
        page = page_for(request, db)
        assert page.period is not None
        staff_id = None if slug == "_none" else slug
        names = staff_names(page)
        if staff_id is not None and staff_id not in names:
            return render(
                templates,
                page,
                "error.html",
                "officers",
                status_code=404,
                message=translator(page.lang)("error.not_found"),
            )
        rows = figures(page, page.period, by="staff")["rows"]
        row = next((r for r in rows if r["key"] == staff_id), None)
        window = trend_window(page)
        months: list[dict[str, Any]] = []
        for key in month_keys(window.date_to, 13):
            month = parse_period("month", key, None, None, today=window.date_to)
            month_rows = figures(page, month, by="staff")["rows"]
            m = next((r for r in month_rows if r["key"] == staff_id), None)
            months.append(
                {
                    **(
                        m
                        or {
                            "n": 0,
                            "satisfaction_index": None,
                            "satisfaction_ci95": None,
                            "friendly_index": None,
                            "insufficient": True,
                        }
                    ),
                    "key": key,
                }
            )
        points = trend_points(
            page, [{**m, "key": m["key"]} for m in months if m["n"]], [m["key"] for m in months]
        )
        survey = survey_of(page)
        items, violations = item_views(page, row, survey)
        t = translator(page.lang)
        return render(
            templates,
            page,
            "officer.html",
            "officers",
            slug=slug,
            row=row,
            officer_name=officer_label(page, names, staff_id),
            months=[m for m in reversed(months) if m["n"]],
            trend_svg=trend_svg(points, title=t("officers.by_month"), no_data=""),
            items=items,
            violations=violations,
        )

    @router.get("/items", response_class=HTMLResponse)
    def items_page(request: Request, db: ReadDB) -> Response:
        page = page_for(request, db)
        assert page.period is not None
        rows = figures(page, page.period)["rows"]
        items, violations = item_views(page, rows[0] if rows else None, survey_of(page))
        return render(templates, page, "items.html", "items", items=items, violations=violations)

    # ------------------------------------------------------------------ alerts and comments

    def alerts_query(
        page: Page, *, only_open: bool, limit: int = LIST_LIMIT
    ) -> tuple[list[tuple[Ballot, AlertAck | None]], int]:
        ids = unit_ids(page)
        base = (
            select(Ballot, AlertAck)
            .join(AlertAck, col(AlertAck.response_id) == col(Ballot.id), isouter=True)
            .where(col(Ballot.unit_id).in_(ids), col(Ballot.alert_kind).is_not(None))
        )
        count_q = (
            select(func.count())
            .select_from(Ballot)
            .join(AlertAck, col(AlertAck.response_id) == col(Ballot.id), isouter=True)
            .where(
                col(Ballot.unit_id).in_(ids),
                col(Ballot.alert_kind).is_not(None),
                col(AlertAck.response_id).is_(None),
            )
        )
        if only_open:
            # Open alerts stay on the list whatever the period, until someone acknowledges them.
            base = base.where(col(AlertAck.response_id).is_(None))
        else:
            assert page.period is not None
            base = base.where(
                col(Ballot.bucket_day) >= page.period.date_from, col(Ballot.bucket_day) <= page.period.date_to
            )
        base = base.order_by(col(Ballot.submitted_at).desc()).limit(limit)
        found: list[tuple[Ballot, AlertAck | None]] = [(b, a) for b, a in page.db.exec(base).all()]
        total = int(page.db.exec(count_q).one())
        return found, total

    def newest_open_alerts(page: Page, survey: Survey | None) -> tuple[list[dict[str, Any]], int]:
        """The five newest open alerts and how many are open, cached until a ballot or an acknowledgement."""
        assert page.unit is not None
        figures_version = page.memo.get(f"version:{page.unit.code}") or data_version(page.db, unit_ids(page))
        acks = int(page.db.exec(select(func.count()).select_from(AlertAck)).one())
        key = ("open-alerts", page.unit.code, page.lang, page.access.can_act, figures_version, acks)

        def compute() -> tuple[list[dict[str, Any]], int]:
            found, total = alerts_query(page, only_open=True, limit=5)
            return [alert_view(page, b, a, survey) for b, a in found], total

        value: tuple[list[dict[str, Any]], int] = cache.get_or_compute(key, compute)
        return value

    def rating_label(page: Page, survey: Survey | None, value: Any) -> str:
        if not isinstance(value, int) or not 1 <= value <= 5:
            return "—"
        if survey is None:
            return str(value)
        return f"{value} – {survey.scale_label(value).get(page.lang)}"

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
        show_all = request.query_params.get("all") == "1"
        found, open_total = alerts_query(page, only_open=not show_all, limit=ALERT_PAGE)
        survey = survey_of(page)
        return render(
            templates,
            page,
            "alerts.html",
            "alerts",
            show_all=show_all,
            alerts=[alert_view(page, b, a, survey) for b, a in found],
            shown=len(found),
            total=len(found) if show_all else open_total,
        )

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
            db.commit()
        return RedirectResponse(safe_back(back, BASE + "/alerts"), status_code=303)

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

    @router.get("/comments", response_class=HTMLResponse)
    def comments(request: Request, db: ReadDB) -> Response:
        page = page_for(request, db, need="ballots")
        assert page.period is not None
        query = (
            select(Ballot, CommentState)
            .join(CommentState, col(CommentState.response_id) == col(Ballot.id), isouter=True)
            .where(
                col(Ballot.unit_id).in_(unit_ids(page)),
                col(Ballot.has_comment).is_(True),
                col(Ballot.bucket_day) >= page.period.date_from,
                col(Ballot.bucket_day) <= page.period.date_to,
            )
            .order_by(col(Ballot.submitted_at).desc())
            .limit(LIST_LIMIT)
        )
        survey = survey_of(page)
        names = staff_names(page)
        listed = [
            {
                "id": b.id,
                "submitted_at": b.submitted_at,
                "officer": officer_label(page, names, b.staff_id),
                "rating_label": rating_label(page, survey, b.answers.get("tong_the")),
                "comment": b.comment or "",
                "phone": b.contact_phone if page.access.can_act else None,
                "has_phone": bool(b.contact_phone),
                "handled": bool(s and s.handled),
                "state": s,
            }
            for b, s in db.exec(query).all()
        ]
        return render(
            templates, page, "comments.html", "comments", comments=listed, show_phone=page.access.can_act
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
        db.commit()
        return RedirectResponse(safe_back(back, BASE + "/comments"), status_code=303)

    # ------------------------------------------------------------------ devices, staff, surveys

    def devices_page(page: Page, new_code: str | None = None) -> Response:
        devices = page.db.exec(
            select(Device).where(col(Device.unit_id).in_(unit_ids(page))).order_by(col(Device.name))
        ).all()
        views = []
        for d in devices:
            off = d.clock_offset_s
            if off is None:
                text = "—"
            elif abs(off) < 120:
                text = f"{off:+.0f} s"
            elif abs(off) < 7200:
                text = f"{off / 60:+.0f} min"
            else:
                text = f"{off / 3600:+.1f} h"
            views.append({**d.model_dump(), "offset_text": text.replace("-", "−")})
        return render(templates, page, "devices.html", "devices", devices=views, new_code=new_code)

    @router.get("/devices", response_class=HTMLResponse)
    def devices(request: Request, db: ReadDB) -> Response:
        return devices_page(page_for(request, db, need="ballots", with_period=False))

    @router.post("/devices/code", response_class=HTMLResponse)
    def new_code(
        request: Request, db: WriteDB, csrf_token: Annotated[str, Form(max_length=200)] = ""
    ) -> Response:
        page = page_for(request, db, need="admin", with_period=False)
        check_csrf(page, csrf_token)
        assert page.unit is not None and page.unit.id is not None
        code, _ = create_enrolment_code(
            db, page.unit.code, dt.datetime.now(dt.UTC), settings.enrolment_code_ttl_s
        )
        db.commit()
        return devices_page(page, new_code=code)

    @router.post("/devices/{device_id}/revoke")
    def revoke(
        request: Request, db: WriteDB, device_id: str, csrf_token: Annotated[str, Form(max_length=200)] = ""
    ) -> Response:
        page = page_for(request, db, need="admin", with_period=False)
        check_csrf(page, csrf_token)
        device = db.get(Device, device_id)
        if device is None or device.unit_id not in unit_ids_of_user(page):
            return render(
                templates,
                page,
                "error.html",
                "devices",
                status_code=404,
                message=translator(page.lang)("error.not_found"),
            )
        revoke_device(db, device_id)
        db.commit()
        return RedirectResponse(BASE + "/devices" + page.qs(), status_code=303)

    def staff_page(page: Page) -> Response:
        assert page.unit is not None
        rows = page.db.exec(
            select(Staff)
            .where(col(Staff.unit_id) == page.unit.id)
            .order_by(col(Staff.active).desc(), col(Staff.id))
        ).all()
        return render(templates, page, "staff.html", "staff", staff=rows)

    @router.get("/staff", response_class=HTMLResponse)
    def staff(request: Request, db: ReadDB) -> Response:
        return staff_page(page_for(request, db, need="ballots", with_period=False))

    @router.post("/staff/import", response_class=HTMLResponse)
    async def staff_import(
        request: Request, db: WriteDB, file: UploadFile, csrf_token: Annotated[str, Form(max_length=200)] = ""
    ) -> Response:
        page = page_for(request, db, need="admin", with_period=False)
        check_csrf(page, csrf_token)
        assert page.unit is not None
        t = translator(page.lang)
        raw = await file.read(MAX_CSV_BYTES + 1)
        try:
            result = import_uploaded_csv(db, page.unit, raw, settings.photo_dir)
        except AdminError as exc:
            db.rollback()
            page.flashes.append(("error", staff_error_text(str(exc), page.lang)))
            response = staff_page(page)
            response.status_code = 400
            return response
        page.flashes.append(
            (
                "",
                t(
                    "staff.imported",
                    created=result.added,
                    updated=result.updated,
                    deactivated=result.deactivated,
                ),
            )
        )
        return staff_page(page)

    def own_staff(page: Page, pk: int) -> Staff | None:
        s = page.db.get(Staff, pk)
        return s if s is not None and s.unit_id in unit_ids_of_user(page) else None

    @router.get("/staff/{pk}/photo")
    def staff_photo(request: Request, db: ReadDB, pk: int) -> Response:
        page = page_for(request, db, with_period=False)
        s = own_staff(page, pk)
        if s is None or not s.photo_path:
            return Response(status_code=404)
        path = Path(s.photo_path)
        if not path.is_absolute():
            path = settings.photo_dir / path
        if not path.is_file():
            return Response(status_code=404)
        return FileResponse(path, headers={"Cache-Control": "private, max-age=300"})

    @router.post("/staff/{pk}/photo", response_class=HTMLResponse)
    async def staff_photo_upload(
        request: Request,
        db: WriteDB,
        pk: int,
        photo: UploadFile,
        csrf_token: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        page = page_for(request, db, need="admin", with_period=False)
        check_csrf(page, csrf_token)
        t = translator(page.lang)
        s = own_staff(page, pk)
        if s is None:
            return render(
                templates, page, "error.html", "staff", status_code=404, message=t("error.not_found")
            )
        raw = await photo.read(MAX_PHOTO_BYTES + 1)
        if not save_photo(s, raw, settings.photo_dir):
            page.flashes.append(("error", t("staff.photo_bad")))
            response = staff_page(page)
            response.status_code = 400
            return response
        s.updated_at = dt.datetime.now(dt.UTC)
        db.add(s)
        db.commit()
        page.flashes.append(("", t("staff.photo_saved")))
        return staff_page(page)

    @router.post("/staff/{pk}/active")
    def staff_active(
        request: Request,
        db: WriteDB,
        pk: int,
        active: Annotated[str, Form(max_length=1)] = "0",
        csrf_token: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        page = page_for(request, db, need="admin", with_period=False)
        check_csrf(page, csrf_token)
        s = own_staff(page, pk)
        if s is None:
            return render(
                templates,
                page,
                "error.html",
                "staff",
                status_code=404,
                message=translator(page.lang)("error.not_found"),
            )
        s.active = active == "1"
        s.updated_at = dt.datetime.now(dt.UTC)
        db.add(s)
        db.commit()
        return RedirectResponse(BASE + "/staff" + page.qs(), status_code=303)

    @router.get("/surveys", response_class=HTMLResponse)
    def surveys(request: Request, db: ReadDB) -> Response:
        page = page_for(request, db, need="admin", with_period=False)
        rows = db.exec(select(SurveyVersion).order_by(col(SurveyVersion.loaded_at).desc())).all()
        views = [
            {
                "pk": r.pk,
                "survey_id": r.survey_id,
                "version": r.version,
                "content_hash": r.content_hash,
                "loaded_at": r.loaded_at,
                "title": (r.json_.get("title") or {}).get(page.lang, r.survey_id),
            }
            for r in rows
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

    # ------------------------------------------------------------------ exports

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
            query = (
                select(Ballot)
                .where(
                    col(Ballot.unit_id).in_(unit_ids(page)),
                    col(Ballot.bucket_day) >= page.period.date_from,
                    col(Ballot.bucket_day) <= page.period.date_to,
                )
                .order_by(col(Ballot.submitted_at))
            )
            ballots = db.exec(query).all()
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

    # ------------------------------------------------------------------ reports

    def report_period(page: Page) -> Period:
        """The period picked on the reports page: the query's if it has ended, else the last complete one.

        The running period is offered in the list but never picked by default: a report is for a period
        that is over, and the other pages' links carry the running period.
        """
        q = page.request.query_params
        kind = q.get("period") if q.get("period") in REPORT_KINDS else "month"
        today = page.today()
        last_complete = parse_period(kind, None, None, None, today=today).previous()
        try:
            chosen = parse_period(kind, q.get("key"), None, None, today=today) if q.get("key") else None
        except PeriodError:
            page.flashes.append(("error", translator(page.lang)("reports.bad_period")))
            chosen = None
        return chosen if chosen is not None and chosen.date_to < today else last_complete

    def report_choices(page: Page, kind: str) -> list[tuple[str, str]]:
        """The running period of `kind` and the ones before it, newest first, as (key, label).

        An older period picked by its key is listed last, so the form still shows it.
        """
        assert page.period is not None
        t = translator(page.lang)
        today = page.today()
        period = parse_period(kind, None, None, None, today=today)
        out = [(period.key, f"{period.label(page.lang)} ({t('reports.running')})")]
        for _ in range(REPORT_CHOICES[kind] - 1):
            period = period.previous()
            out.append((period.key, period.label(page.lang)))
        if page.period.key not in {key for key, _ in out}:
            out.append((page.period.key, page.period.label(page.lang)))
        return out

    def reports_page(page: Page, status_code: int = 200) -> Response:
        assert page.period is not None and page.unit is not None
        kind = page.period.kind
        rows = figures(page, page.period)["rows"]
        kinds = [(k, BASE + "/reports" + page.qs(period=k, key=None), k == kind) for k in REPORT_KINDS]
        return render(
            templates,
            page,
            "reports.html",
            "reports",
            status_code=status_code,
            kind=kind,
            kinds=kinds,
            choices=report_choices(page, kind),
            formats=REPORT_FORMATS,
            row=rows[0] if rows else None,
            min_sample=settings.min_sample,
        )

    @router.get("/reports", response_class=HTMLResponse)
    def reports(request: Request, db: ReadDB) -> Response:
        page = page_for(request, db, need="ballots", with_period=False)
        page.period = report_period(page)
        return reports_page(page)

    @router.get("/reports/file")
    def report_file(request: Request, db: ReadDB) -> Response:
        page = page_for(request, db, need="ballots", with_period=False)
        assert page.unit is not None
        t = translator(page.lang)
        q = request.query_params
        kind, fmt = q.get("period") or "", q.get("format") or ""
        try:
            if kind not in REPORT_KINDS:
                raise PeriodError(f"unknown report period kind {kind!r}")
            period = parse_period(kind, q.get("key"), None, None, today=page.today())
        except PeriodError:
            page.period = report_period(page)  # which may have said so already
            if ("error", t("reports.bad_period")) not in page.flashes:
                page.flashes.append(("error", t("reports.bad_period")))
            return reports_page(page, status_code=400)
        page.period = period
        if period.date_from > page.today():
            page.period = report_period(page)
            page.flashes.append(("error", t("reports.future")))
            return reports_page(page, status_code=400)
        if fmt not in REPORT_FORMATS:
            page.flashes.append(("error", t("reports.bad_format")))
            return reports_page(page, status_code=400)
        blob = build_report(db, page.unit.code, period.key, fmt, min_sample=settings.min_sample)
        name = report_filename(page.unit.code, period.key, fmt)
        return Response(
            blob,
            media_type=MEDIA_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )

    return router

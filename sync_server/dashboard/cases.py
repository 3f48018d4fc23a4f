"""The case lists of the comments and alerts tabs: filters from the query string, one page of cases
with their history, and the CSV export of the same selection.

    filters = CaseFilters.parse(page)           # never raises: a bad value is dropped with a flash
    listing = case_listing(page, ("comment",), filters)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any

from surveys.topics import fold
from sync_server.alert_rules import TOPIC_REASON, move_case, taxonomy
from sync_server.models import CASE_OPEN_STATES, CASE_STATES, Case, CaseEvent, Unit
from sync_server.models import Response as Ballot
from sync_server.queries import case_history, case_page, subtree

from .formatting import Fmt
from .i18n import translator
from .views import officer_label, rating_label, staff_names, survey_of, unit_ids
from .web import Page

__all__ = ["PAGE_SIZE", "CaseFilters", "case_csv", "case_listing", "state_label"]

PAGE_SIZE = 50
NO_OFFICER = "__none__"
ALERT_REASONS = {
    "vi_pham_5_khong": "alerts.kind.violation",
    "rat_khong_hai_long": "alerts.kind.very_dissatisfied",
    "window_unhappy": "rules.kind.window_unhappy",
    "day_below": "rules.kind.day_below",
    "month_above": "rules.kind.month_above",
}


def state_label(lang: str, state: str) -> str:
    return translator(lang)("case.state." + state)


@dataclass
class CaseFilters:
    state: str = "open"  # "open", "all" or one of CASE_STATES
    officer: str = ""
    rating: int | None = None
    topic: str = ""
    q: str = ""
    sub: str = ""  # a unit code inside the page's unit
    page_no: int = 1

    @classmethod
    def parse(cls, page: Page, default_state: str = "open") -> CaseFilters:
        q = page.request.query_params
        t = translator(page.lang)
        f = cls(state=default_state)
        state = q.get("state", default_state)
        f.state = state if state in ("open", "all", *CASE_STATES) else default_state
        f.officer = q.get("officer", "")[:64]
        rating = q.get("rating", "")
        f.rating = int(rating) if rating in ("1", "2", "3", "4", "5") else None
        topic = q.get("topic", "")
        f.topic = topic if taxonomy().topic(topic) is not None else ""
        f.q = " ".join(q.get("q", "").split())[:100]
        f.sub = q.get("sub", "")[:64]
        raw_page = q.get("p", "1")
        f.page_no = int(raw_page) if raw_page.isdigit() and 0 < len(raw_page) < 7 else 1
        if f.page_no < 1:
            f.page_no = 1
        if (state != f.state) or (rating and f.rating is None) or (topic and not f.topic):
            page.flashes.append(("error", t("case.bad_filter")))
        return f

    def states(self) -> tuple[str, ...]:
        if self.state == "open":
            return CASE_OPEN_STATES
        return () if self.state == "all" else (self.state,)

    def query(self) -> dict[str, str]:
        out = {
            "state": self.state,
            "officer": self.officer,
            "rating": str(self.rating or ""),
            "topic": self.topic,
            "q": self.q,
            "sub": self.sub,
        }
        return {k: v for k, v in out.items() if v}


def _scope(page: Page, filters: CaseFilters) -> tuple[set[int], list[Unit]]:
    """The unit ids to list and the sub-units one may choose (the page's unit and those below it)."""
    ids = unit_ids(page)
    below = sorted((u for u in page.units if u.id in ids), key=lambda u: u.code)
    if filters.sub:
        match = [u for u in below if u.code == filters.sub]
        if match and match[0].id is not None:
            return subtree(page.db, [match[0].id]), below
        filters.sub = ""
    return ids, below


def _select(page: Page, kinds: tuple[str, ...], filters: CaseFilters, offset: int, limit: int) -> Any:
    assert page.period is not None
    ids, below = _scope(page, filters)
    found, total = case_page(
        page.db,
        ids,
        kinds=kinds,
        date_from=page.period.date_from,
        date_to=page.period.date_to,
        states=filters.states(),
        staff_id=filters.officer if filters.officer and filters.officer != NO_OFFICER else None,
        no_staff=filters.officer == NO_OFFICER,
        rating=filters.rating,
        topic=filters.topic or None,
        folded_text=fold(filters.q) if filters.q else None,
        offset=offset,
        limit=limit,
    )
    return found, total, below


def _reasons(page: Page, case: Case) -> list[str]:
    t = translator(page.lang)
    out = []
    for reason in (r for r in case.reasons.split(",") if r):
        if reason.startswith(TOPIC_REASON):
            topic = taxonomy().topic(reason[len(TOPIC_REASON) :])
            out.append(t("case.serious_topic", topic=topic.name(page.lang) if topic else reason))
        else:
            out.append(t(ALERT_REASONS.get(reason, reason)))
    return out


def _rule_text(page: Page, case: Case) -> str:
    """What a rule alert measured, in a sentence."""
    if case.kind != "rule" or not case.detail:
        return ""
    t = translator(page.lang)
    d = json.loads(case.detail)
    f = Fmt(page.lang, page.tz)
    if case.reasons == "window_unhappy":
        return t(
            "rules.text.window",
            share=f.pct(d["share"]),
            unhappy=d["unhappy"],
            answers=d["answers"],
            start=f.when(_parse(d["from"])),
            end=f.when(_parse(d["to"])),
        )
    key = case.window_key or ""
    if case.reasons == "day_below":
        return t("rules.text.day", index=f.pct(d["index"]), n=d["n"], day=case.day.strftime("%d/%m/%Y"))
    return t("rules.text.month", index=f.pct(d["index"]), n=d["n"], month=f.month(key))


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def _topic_names(page: Page, case: Case) -> list[tuple[str, bool]]:
    out = []
    for tid in (x for x in case.topics.split(",") if x):
        topic = taxonomy().topic(tid)
        if topic is not None:
            out.append((topic.name(page.lang), topic.serious))
    return out


def _view(
    page: Page, case: Case, ballot: Ballot | None, unit: Unit, history: list[CaseEvent]
) -> dict[str, Any]:
    names = staff_names(page)
    survey = survey_of(page)
    return {
        "id": case.id,
        "kind": case.kind,
        "when": case.opened_at,
        "unit": unit,
        "officer": officer_label(page, names, case.staff_id) if case.kind != "rule" else "",
        "rating": rating_label(page, survey, case.rating) if case.rating else "—",
        "comment": (ballot.comment or "") if ballot is not None else "",
        "phone": ballot.contact_phone if ballot is not None and page.access.can_act else None,
        "has_phone": bool(ballot is not None and ballot.contact_phone),
        "topics": _topic_names(page, case),
        "reasons": _reasons(page, case),
        "rule_text": _rule_text(page, case),
        "positive": case.positive,
        "state": case.state,
        "state_label": state_label(page.lang, case.state),
        "open": case.state in CASE_OPEN_STATES,
        "history": history,
        "response_id": case.response_id,
    }


def case_listing(
    page: Page, kinds: tuple[str, ...], filters: CaseFilters, size: int = PAGE_SIZE
) -> dict[str, Any]:
    """Everything the comments or alerts template shows: the page of cases, paging and filter choices."""
    offset = (filters.page_no - 1) * size
    found, total, below = _select(page, kinds, filters, offset, size)
    pages = max(1, -(-total // size))
    if filters.page_no > pages and total:
        filters.page_no = pages
        offset = (pages - 1) * size
        found, total, below = _select(page, kinds, filters, offset, size)
    history = case_history(page.db, [c.id for c, _b, _u in found if c.id is not None])
    t = translator(page.lang)
    officers = sorted(staff_names(page).values(), key=lambda s: (s.name, s.id))
    return {
        "cases": [_view(page, c, b, u, history.get(c.id or 0, [])) for c, b, u in found],
        "total": total,
        "page_no": filters.page_no,
        "pages": pages,
        "first": offset + 1 if total else 0,
        "last": offset + len(found),
        "cf": filters,
        "filter_query": filters.query(),
        "sub_units": below,
        "officers": [(s.id, s.name) for s in officers] + [(NO_OFFICER, t("officers.unknown"))],
        "topics": [(x.id, x.name(page.lang)) for x in taxonomy().topics],
        "states": [(s, state_label(page.lang, s)) for s in CASE_STATES],
        "next_states": CASE_STATES[1:],
    }


def case_csv(page: Page, kinds: tuple[str, ...], filters: CaseFilters, limit: int = 100_000) -> bytes:
    """The selected cases with their unit and whole history, as CSV (UTF-8 with BOM for Excel).
    Phone numbers are never in it."""
    found, _total, _below = _select(page, kinds, filters, 0, limit)
    history = case_history(page.db, [c.id for c, _b, _u in found if c.id is not None])
    t = translator(page.lang)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            t(k)
            for k in (
                "case.col.unit_code",
                "unit",
                "alerts.when",
                "alerts.officer",
                "comments.rating",
                "case.topics",
                "case.reasons",
                "comments.text",
                "alerts.state",
                "case.history",
            )
        ]
    )
    f = Fmt(page.lang, page.tz)
    for c, b, u in found:
        v = _view(page, c, b, u, history.get(c.id or 0, []))
        steps = " | ".join(
            f"{f.when(e.at)} · {e.username} · {state_label(page.lang, e.state)} · {e.note}"
            for e in v["history"]
        )
        writer.writerow(
            [
                _cell(u.code),
                _cell(u.name),
                f.when(c.opened_at),
                _cell(v["officer"]),
                v["rating"],
                "; ".join(name for name, _s in v["topics"]),
                "; ".join(v["reasons"] + ([v["rule_text"]] if v["rule_text"] else [])),
                _cell(v["comment"]),
                v["state_label"],
                _cell(steps),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


ALERT_CASES = ("alert", "rule")


def close_ballot_case(
    db: Any, page: Page, kind: str, response_id: str, note: str, reopen: bool = False
) -> None:
    """The older one-step forms (acknowledge an alert, mark a comment handled) move the ballot's case."""
    from sqlmodel import col, select

    case = db.execute(
        select(Case).where(col(Case.kind) == kind, col(Case.response_id) == response_id)
    ).scalar_one_or_none()
    if case is not None:
        move_case(db, case, "moi" if reopen else "da_xu_ly", page.user, note, dt.datetime.now(dt.UTC))

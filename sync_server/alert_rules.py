"""Cases and alert rules, evaluated on a batch's stored ballots at ingest (issue 15).

    after_ingest(session, unit_id, ancestry, rows, now, zone)   # one call from ingest_batch
    move_case(session, case, "dang_xu_ly", user, "Đã gọi điện cho công dân", now)

At ingest, from the rows just stored (never a scan of ballots):
- each comment becomes a "comment" case with its topics (surveys/taxonomy/topics.toml) and its text
  without diacritics (the search compares that);
- an alert ballot, or a comment on a serious topic (money, gifts, harassment), becomes an "alert" case;
- the active rules of the unit and of every unit above it are evaluated:
  * window_unhappy: share of "không hài lòng" (overall 1–2) ≥ threshold % among at least
    `min_answers` overall answers given within `window_min` minutes. Counted per unit and UTC minute
    in `rule_window_count` (only for units with such a rule); the window ending at minute m holds the
    minutes m − window_min + 1 … m. One alert per rule while windows overlap.
  * day_below: a local day's satisfaction index under the threshold with at least `min_answers`,
    read from the day roll-ups once the day is over (a batch of a later day, or ingest after it).
  * month_above (positive): a month's index at or over the target, likewise once the month is over.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, insert, literal, or_, select, update
from sqlmodel import Session, col

from surveys.topics import Taxonomy, default_topics_path, fold, load_topics

from .models import (
    CASE_STATES,
    AlertAck,
    AlertRule,
    Case,
    CaseEvent,
    CommentState,
    Response,
    RollupDayTally,
    RollupDevice,
    RollupHour,
    RollupTally,
    RuleWindowCount,
    User,
    table_of,
)

__all__ = [
    "TOPIC_REASON",
    "after_ingest",
    "backfill_cases",
    "ballot_cases",
    "move_case",
    "taxonomy",
]

OVERALL = "tong_the"
TOPIC_REASON = "chu_de:"
UNHAPPY = (1, 2)
SATISFIED = ("4", "5")


@lru_cache(maxsize=1)
def taxonomy() -> Taxonomy:
    """The comment topics shipped beside the survey."""
    return load_topics(default_topics_path())


def _rating(answers: Any) -> int | None:
    value = answers.get(OVERALL) if isinstance(answers, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5 else None


def ballot_cases(rows: Iterable[dict[str, Any]], now: dt.datetime) -> list[dict[str, Any]]:
    """The case rows ("comment", "alert") of stored ballot rows (dicts with the Response columns)."""
    tax = taxonomy()
    out: list[dict[str, Any]] = []
    for row in rows:
        comment = row.get("comment") if row.get("has_comment") else None
        topics = tax.topics_of(comment) if comment else []
        reasons = [k for k in (row.get("alert_kind") or "").split(",") if k]
        reasons += [TOPIC_REASON + t.id for t in topics if t.serious]
        base = {
            "unit_id": row["unit_id"],
            "response_id": row["id"],
            "rule_id": None,
            "window_key": None,
            "opened_at": row["submitted_at"],
            "day": row["bucket_day"],
            "staff_id": row.get("staff_id"),
            "rating": _rating(row.get("answers")),
            "topics": "," + ",".join(t.id for t in topics) + "," if topics else "",
            "detail": None,
            "folded": fold(comment) if comment else "",
            "positive": False,
            "state": "moi",
            "updated_at": now,
            "updated_by": "",
        }
        if comment:
            out.append({**base, "kind": "comment", "reasons": ""})
        if reasons:
            out.append({**base, "kind": "alert", "reasons": ",".join(reasons)})
    return out


def move_case(
    session: Session, case: Case, state: str, user: User | None, note: str, now: dt.datetime
) -> None:
    """Move a case to `state`, keeping the step (who, when, note) in its history."""
    if state not in CASE_STATES:
        raise ValueError(f"unknown case state {state!r}")
    assert case.id is not None
    name = user.username if user else "hệ thống"
    case.state, case.updated_at, case.updated_by = state, now, name
    session.add(case)
    session.add(
        CaseEvent(
            case_id=case.id, state=state, user_id=user.id if user else None, username=name, note=note, at=now
        )
    )


# --------------------------------------------------------------------------------------------- rules


def _minute(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(second=0, microsecond=0)


def _add_counts(
    session: Session | Connection, table: Any, keys: Sequence[str], rows: list[dict[str, Any]]
) -> None:
    """`INSERT … ON CONFLICT (keys) DO UPDATE` adding every non-key column of `rows`."""
    if not rows:
        return
    dialect = (session.get_bind() if isinstance(session, Session) else session).dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    stmt = upsert(table)
    counted = [name for name in rows[0] if name not in keys]
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={name: table.c[name] + stmt.excluded[name] for name in counted}
    )
    session.execute(stmt, rows)  # one executemany


def _upsert_minutes(session: Session, rows: list[tuple[int, dt.datetime, int, int]]) -> None:
    values = [{"unit_id": u, "minute": m, "answers": a, "unhappy": h} for u, m, a, h in rows]
    _add_counts(session, table_of(RuleWindowCount), ("unit_id", "minute"), values)


def when_counts(
    rows: Iterable[dict[str, Any]], ancestry: Sequence[int], now: dt.datetime, zone: ZoneInfo
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The hour and device roll-up rows of stored ballots (overall answered, not flagged): hours for
    the unit and each unit above it, devices for the ballot's own unit."""
    hours: Counter[tuple[dt.date, int, str]] = Counter()
    devices: Counter[tuple[int, str, dt.date, str]] = Counter()
    for r in rows:
        rating = _rating(r.get("answers"))
        if rating is None or r.get("misuse"):
            continue
        local = (now if r.get("clock_suspect") else r["submitted_at"]).astimezone(zone)
        day = r["bucket_day"]
        good = int(rating >= 4)
        hours[(day, local.hour, "a")] += 1
        hours[(day, local.hour, "s")] += good
        devices[(r["unit_id"], r["device_id"], day, "a")] += 1
        devices[(r["unit_id"], r["device_id"], day, "s")] += good
    hour_rows = [
        {"unit_id": u, "day": d, "hour": h, "answers": n, "satisfied": hours[(d, h, "s")]}
        for (d, h, kind), n in hours.items()
        if kind == "a"
        for u in ancestry
    ]
    device_rows = [
        {"unit_id": u, "device_id": dev, "day": d, "answers": n, "satisfied": devices[(u, dev, d, "s")]}
        for (u, dev, d, kind), n in devices.items()
        if kind == "a"
    ]
    return hour_rows, device_rows


def store_when(
    session: Session | Connection, hour_rows: list[dict[str, Any]], device_rows: list[dict[str, Any]]
) -> None:
    _add_counts(session, table_of(RollupHour), ("unit_id", "day", "hour"), hour_rows)
    _add_counts(session, table_of(RollupDevice), ("unit_id", "device_id", "day"), device_rows)


def _rule_case(
    rule: AlertRule, key: str, opened: dt.datetime, day: dt.date, detail: dict[str, Any], now: dt.datetime
) -> dict[str, Any]:
    return {
        "kind": "rule",
        "unit_id": rule.unit_id,
        "response_id": None,
        "rule_id": rule.id,
        "window_key": key,
        "opened_at": opened,
        "day": day,
        "staff_id": None,
        "rating": None,
        "topics": "",
        "reasons": rule.kind,
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True),
        "folded": "",
        "positive": rule.kind == "month_above",
        "state": "moi",
        "updated_at": now,
        "updated_by": "",
    }


def _windows(
    session: Session, rule: AlertRule, minutes: Sequence[dt.datetime], zone: ZoneInfo, now: dt.datetime
) -> list[dict[str, Any]]:
    """Alerts of a window rule for the windows ending at the batch's minutes."""
    assert rule.window_min is not None and rule.id is not None
    span = dt.timedelta(minutes=rule.window_min)
    first, last = min(minutes) - span, max(minutes)
    counts = {
        m: (a, h)
        for m, a, h in session.execute(
            select(
                col(RuleWindowCount.minute), col(RuleWindowCount.answers), col(RuleWindowCount.unhappy)
            ).where(
                col(RuleWindowCount.unit_id) == rule.unit_id,
                col(RuleWindowCount.minute) > first,
                col(RuleWindowCount.minute) <= last,
            )
        ).all()
    }
    latest = session.execute(
        select(func.max(Case.opened_at)).where(
            col(Case.rule_id) == rule.id, col(Case.opened_at) > first - span
        )
    ).scalar_one_or_none()
    out: list[dict[str, Any]] = []
    for end in sorted(set(minutes)):
        if latest is not None and latest.astimezone(dt.UTC) > end - span:
            continue  # this window overlaps the one that already raised the alert
        start = end - span
        answers = unhappy = 0
        for m, (a, h) in counts.items():
            if start < m <= end:
                answers += a
                unhappy += h
        if answers >= rule.min_answers and answers and 100 * unhappy >= rule.threshold * answers:
            detail = {
                "answers": answers,
                "unhappy": unhappy,
                "share": round(100 * unhappy / answers, 1),
                "from": (start + dt.timedelta(minutes=1)).isoformat(),
                "to": end.isoformat(),
            }
            key = end.strftime("%Y-%m-%dT%H:%M")
            out.append(_rule_case(rule, key, end, end.astimezone(zone).date(), detail, now))
            latest = end
    return out


def _index(counts: Counter[str]) -> tuple[int, float | None]:
    n = sum(counts[v] for v in ("1", "2", "3", "4", "5"))
    s = counts["4"] + counts["5"]
    return n, ((2000 * s + n) // (2 * n) / 10 if n else None)


def _overall_counts(session: Session, table: Any, unit_id: int, when: Any) -> Counter[str]:
    """The unit's overall answers per value in one day (`rollup_day_tally`) or month (`rollup_tally`)."""
    key = table.c.day if "day" in table.c else table.c.month
    found: Counter[str] = Counter()
    for value, count in session.execute(
        select(table.c.value, table.c.count).where(
            table.c.unit_id == unit_id,
            key == when,
            table.c.question_id == OVERALL,
            table.c.flagged.is_(False),
        )
    ):
        found[value] += count
    return found


def _already(session: Session, rule_id: int, keys: Iterable[str]) -> set[str]:
    wanted = list(keys)
    if not wanted:
        return set()
    query = select(col(Case.window_key)).where(col(Case.rule_id) == rule_id, col(Case.window_key).in_(wanted))
    return {k for k in session.execute(query).scalars() if k is not None}


def _month_before(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def _finished_days(days: set[dt.date], today: dt.date) -> set[dt.date]:
    return {d for d in days if d < today} | {d - dt.timedelta(days=1) for d in days}


def after_ingest(
    session: Session,
    unit_id: int,
    ancestry: Sequence[int],
    rows: list[dict[str, Any]],
    now: dt.datetime,
    zone: ZoneInfo,
) -> None:
    """Cases of the batch's stored ballots, then the rules of the unit and the units above it."""
    cases = ballot_cases(rows, now)
    store_when(session, *when_counts(rows, ancestry, now, zone))
    rules = list(
        session.execute(
            select(AlertRule).where(
                col(AlertRule.unit_id).in_(list(ancestry)), col(AlertRule.active).is_(True)
            )
        ).scalars()
    )
    counted = [r for r in rows if not r.get("misuse") and _rating(r.get("answers")) is not None]
    window_units = {r.unit_id for r in rules if r.kind == "window_unhappy"}
    if window_units and counted:
        per_minute: Counter[tuple[dt.datetime, str]] = Counter()
        for r in counted:
            m = _minute(r["submitted_at"])
            per_minute[(m, "a")] += 1
            per_minute[(m, "h")] += _rating(r["answers"]) in UNHAPPY
        minutes = sorted({m for m, _ in per_minute})
        _upsert_minutes(
            session,
            [
                (u, m, per_minute[(m, "a")], per_minute[(m, "h")])
                for u in sorted(window_units)
                for m in minutes
            ],
        )
    today = now.astimezone(zone).date()
    days = {r["bucket_day"] for r in counted}
    for rule in rules:
        assert rule.id is not None
        if rule.kind == "window_unhappy" and counted:
            cases += _windows(session, rule, [_minute(r["submitted_at"]) for r in counted], zone, now)
        elif rule.kind == "day_below":
            due = _finished_days(days, today)
            done = _already(session, rule.id, (d.isoformat() for d in due))
            for day in sorted(due):
                if day.isoformat() in done:
                    continue
                n, index = _index(_overall_counts(session, table_of(RollupDayTally), rule.unit_id, day))
                if index is not None and n >= rule.min_answers and index < rule.threshold:
                    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
                    cases.append(_rule_case(rule, day.isoformat(), end, day, {"n": n, "index": index}, now))
        elif rule.kind == "month_above":
            months = {f"{d:%Y-%m}" for d in days}
            this_month = f"{today:%Y-%m}"
            due_m = {m for m in months if m < this_month} | {_month_before(m) for m in months}
            done = _already(session, rule.id, due_m)
            for month in sorted(due_m - done):
                n, index = _index(_overall_counts(session, table_of(RollupTally), rule.unit_id, month))
                if index is not None and n >= rule.min_answers and index >= rule.threshold:
                    first = dt.date.fromisoformat(month + "-01")
                    nxt = (first + dt.timedelta(days=32)).replace(day=1)
                    end = dt.datetime.combine(nxt, dt.time(), zone).astimezone(dt.UTC)
                    last_day = nxt - dt.timedelta(days=1)
                    cases.append(_rule_case(rule, month, end, last_day, {"n": n, "index": index}, now))
    if cases:
        session.execute(insert(table_of(Case)), cases)


# ------------------------------------------------------------------------------------------ backfill


def backfill_cases(connection: Connection, chunk: int = 2000) -> None:
    """Cases of every stored comment and alert ballot (migration 0012); acknowledged alerts and
    comments marked handled start as "đã xử lý" with that step in their history."""
    now = dt.datetime.now(dt.UTC)
    table, events = table_of(Case), table_of(CaseEvent)
    ballots = table_of(Response)
    names = ("id", "unit_id", "submitted_at", "bucket_day", "staff_id", "answers", "comment", "alert_kind")
    last = ""
    while True:
        query = (
            select(*(ballots.c[n] for n in names), ballots.c.has_comment)
            .where(
                or_(ballots.c.has_comment.is_(True), ballots.c.alert_kind.is_not(None)), ballots.c.id > last
            )
            .order_by(ballots.c.id)
            .limit(chunk)
        )
        found = [dict(r) for r in connection.execute(query).mappings().all()]
        if not found:
            break
        cases = ballot_cases(found, now)
        if cases:
            connection.execute(insert(table), cases)
        last = found[-1]["id"]
    acks, states = table_of(AlertAck), table_of(CommentState)
    handled = (
        ("alert", select(acks.c.response_id, acks.c.user_id, acks.c.username, acks.c.note, acks.c.acked_at)),
        (
            "comment",
            select(
                states.c.response_id, states.c.user_id, states.c.username, literal(""), states.c.changed_at
            ).where(states.c.handled.is_(True)),
        ),
    )
    for kind, select_handled in handled:
        for rid, user_id, username, note, at in connection.execute(select_handled).all():
            case_id = connection.execute(
                select(table.c.id).where(table.c.kind == kind, table.c.response_id == rid)
            ).scalar_one_or_none()
            if case_id is None:
                continue
            connection.execute(
                table.update()
                .where(table.c.id == case_id)
                .values(state="da_xu_ly", updated_at=at, updated_by=username)
            )
            connection.execute(
                insert(events).values(
                    case_id=case_id, state="da_xu_ly", user_id=user_id, username=username, note=note, at=at
                )
            )


def erase_in_cases(session: Session, unit_ids: Iterable[int], pattern: Any, erased: str) -> int:
    """A phone number erased on request also leaves the cases: their searchable text (refolded
    from the cleaned comment) and the notes of their steps. Returns how many notes changed."""
    ids = list(unit_ids)
    cases = session.execute(
        select(col(Case.id), col(Response.comment))
        .join(Response, col(Response.id) == col(Case.response_id))
        .where(col(Case.unit_id).in_(ids), col(Case.kind) == "comment")
    ).all()
    for case_id, comment in cases:
        session.execute(update(Case).where(col(Case.id) == case_id).values(folded=fold(comment or "")))
    changed = 0
    notes = session.execute(
        select(col(CaseEvent.id), col(CaseEvent.note))
        .join(Case, col(Case.id) == col(CaseEvent.case_id))
        .where(col(Case.unit_id).in_(ids))
    ).all()
    for event_id, note in notes:
        cleaned = pattern.sub(erased, note)
        if cleaned != note:
            session.execute(update(CaseEvent).where(col(CaseEvent.id) == event_id).values(note=cleaned))
            changed += 1
    return changed


def backfill_when(connection: Connection, chunk: int = 5000) -> None:
    """The hour and device roll-ups of every stored ballot (migration 0012), unit by unit."""
    from zoneinfo import ZoneInfo as Zone

    from .models import Unit

    units = table_of(Unit)
    parents = dict(connection.execute(select(units.c.id, units.c.parent_id)).all())
    zones = dict(connection.execute(select(units.c.id, units.c.timezone)).all())
    ballots = table_of(Response)
    names = ("id", "unit_id", "device_id", "submitted_at", "received_at", "bucket_day", "answers")
    for unit_id in sorted(parents):
        chain = [unit_id]
        while parents.get(chain[-1]) is not None and parents[chain[-1]] not in chain:
            chain.append(parents[chain[-1]])
        last = ""
        while True:
            query = (
                select(*(ballots.c[n] for n in names), ballots.c.misuse, ballots.c.clock_suspect)
                .where(ballots.c.unit_id == unit_id, ballots.c.id > last)
                .order_by(ballots.c.id)
                .limit(chunk)
            )
            found = [dict(r) for r in connection.execute(query).mappings().all()]
            if not found:
                break
            for row in found:  # a suspect clock was bucketed by its arrival
                if row["clock_suspect"]:
                    row["submitted_at"], row["clock_suspect"] = row["received_at"], False
            hour_rows, device_rows = when_counts(found, chain, dt.datetime.now(dt.UTC), Zone(zones[unit_id]))
            store_when(connection, hour_rows, device_rows)
            last = found[-1]["id"]

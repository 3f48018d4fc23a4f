"""Read-side queries shared by the API, the dashboard and the reports, so figures are equal everywhere.

body = indices_for(session, "XA01", date(2024, 7, 1), date(2024, 9, 30), by="staff")
ids = unit_scope(session, user)
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from surveys.loader import Survey, parse_survey

from . import indices as ix
from .models import (
    CASE_OPEN_STATES,
    AlertAck,
    AlertRule,
    Case,
    CaseEvent,
    CommentState,
    Device,
    Response,
    RollupBallots,
    RollupDayBallots,
    RollupDayTally,
    RollupDevice,
    RollupHour,
    RollupTally,
    Staff,
    SurveyVersion,
    Tally,
    TallyBallots,
    TallyYear,
    TallyYearBallots,
    Unit,
    User,
    table_of,
)
from .tallying import count_answers, stored_rules

__all__ = [
    "UnknownUnit",
    "acknowledgement_count",
    "alert_ballots",
    "ballots_between",
    "case_change_count",
    "case_history",
    "case_page",
    "comment_ballots",
    "current_survey",
    "devices_of",
    "indices_for",
    "open_case_count",
    "rules_of",
    "staff_ids_of",
    "staff_of",
    "staff_of_unit",
    "subtree",
    "survey_version_row",
    "survey_versions",
    "unit_by_code",
    "unit_scope",
    "when_by_device",
    "when_by_hour",
]


class UnknownUnit(LookupError):
    """No unit has this code."""


def unit_by_code(session: Session, code: str) -> Unit:
    """The unit with this code; raises UnknownUnit."""
    # A NUL can never be in a code, and PostgreSQL refuses it even as a parameter.
    unit = (
        None
        if "\x00" in code
        else session.execute(select(Unit).where(col(Unit.code) == code)).scalars().first()
    )
    if unit is None:
        raise UnknownUnit(f"There is no unit with code {code!r}.")
    return unit


def subtree(session: Session, unit_ids: Iterable[int]) -> set[int]:
    """The given units and every unit below them (via `parent`)."""
    children: dict[int | None, list[int]] = {}
    for uid, parent in session.execute(select(col(Unit.id), col(Unit.parent_id))):
        children.setdefault(parent, []).append(uid)
    found: set[int] = set()
    todo = list(unit_ids)
    while todo:
        uid = todo.pop()
        if uid in found:
            continue
        found.add(uid)
        todo.extend(children.get(uid, []))
    return found


def unit_scope(session: Session, user: User) -> set[int]:
    """Ids of the units a user may see: all for an admin without unit, else the unit and its children."""
    if user.unit_id is None:
        if user.role == "admin":
            return set(session.execute(select(col(Unit.id))).scalars())
        return set()
    return subtree(session, [user.unit_id])


def survey_version_row(session: Session, unit: Unit) -> SurveyVersion | None:
    """The newest loaded definition of the unit's survey (any survey when the unit names none)."""
    query = select(SurveyVersion)
    if unit.survey_id:
        query = query.where(col(SurveyVersion.survey_id) == unit.survey_id)
    query = query.order_by(col(SurveyVersion.loaded_at).desc(), col(SurveyVersion.pk).desc()).limit(1)
    return session.execute(query).scalars().first()


_SURVEYS: dict[str, Survey] = {}


def current_survey(session: Session, unit: Unit) -> Survey | None:
    """The unit's current survey definition as a loader `Survey` (cached by content hash)."""
    row = survey_version_row(session, unit)
    if row is None:
        return None
    survey = _SURVEYS.get(row.content_hash)
    if survey is None:
        survey = _SURVEYS[row.content_hash] = parse_survey(row.json_, source=f"{row.survey_id} {row.version}")
    return survey


def _stored_tallies(
    session: Session,
    unit_ids: set[int],
    survey_id: str,
    first: str,
    last: str,
    include_flagged: bool,
    by: str = "period",
) -> ix.Tallies:
    """The per-officer tallies of whole months `first..last`: for `by=staff`, each whole calendar
    year inside the range from the officers' year tallies (one row per officer and value instead of
    twelve), the months around them from the month tallies."""
    if by != "staff":
        return _month_tallies(session, unit_ids, survey_id, first, last, include_flagged, by)
    years, month_ranges = whole_years(first, last)
    parts = [
        _month_tallies(session, unit_ids, survey_id, lo, hi, include_flagged, by, label=first)
        for lo, hi in month_ranges
    ]
    if years:
        parts.append(_year_tallies(session, unit_ids, survey_id, years, first, include_flagged))
    return sum(parts, ix.Tallies())


def whole_years(first: str, last: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The calendar years wholly inside the months `first..last` ("2024-01".."2025-03"), and the
    month ranges left around them.

    >>> whole_years("2023-11", "2025-03")
    (['2024'], [('2023-11', '2023-12'), ('2025-01', '2025-03')])
    >>> whole_years("2024-02", "2024-12")
    ([], [('2024-02', '2024-12')])
    """
    first_year = int(first[:4]) + (first[5:7] != "01")
    last_year = int(last[:4]) - (last[5:7] != "12")
    if first_year > last_year:
        return [], [(first, last)]
    ranges = []
    if first[5:7] != "01":
        ranges.append((first, f"{first[:4]}-12"))
    if last[5:7] != "12":
        ranges.append((f"{last[:4]}-01", last))
    return [f"{y:04d}" for y in range(first_year, last_year + 1)], ranges


def _year_tallies(
    session: Session, unit_ids: set[int], survey_id: str, years: list[str], month: str, include_flagged: bool
) -> ix.Tallies:
    """Officers' tallies of whole years, keyed under `month` (a `by=staff` row has no month). Rows are
    read as stored, unsummed: the same officer key in two units (or flagged and not) adds up in
    `Tallies.from_rows`, which costs less than a GROUP BY over as many rows."""
    a, b = table_of(TallyYear).c, table_of(TallyYearBallots).c
    answers = select(a.staff_key, a.question_id, a.value, a.count).where(
        a.unit_id.in_(unit_ids), a.survey_id == survey_id, a.year.in_(years)
    )
    ballots = select(b.staff_key, b.count).where(
        b.unit_id.in_(unit_ids), b.survey_id == survey_id, b.year.in_(years)
    )
    if not include_flagged:
        answers = answers.where(a.flagged.is_(False))
        ballots = ballots.where(b.flagged.is_(False))
    return ix.Tallies.from_rows(
        ((month, staff or None, qid, value, count) for staff, qid, value, count in session.execute(answers)),
        ((month, staff or None, count) for staff, count in session.execute(ballots) if count),
    )


def _month_tallies(
    session: Session,
    unit_ids: set[int],
    survey_id: str,
    first: str,
    last: str,
    include_flagged: bool,
    by: str = "period",
    label: str | None = None,
) -> ix.Tallies:
    # Only the dimensions the rows need are grouped in SQL (months for `by=period`, officers for
    # `by=staff`): the rows Python reads stay few even over a province's year.
    keep_month, keep_staff = by == "period", by == "staff"
    a_keys = [col(Tally.month)] * keep_month + [col(Tally.staff_key)] * keep_staff
    b_keys = [col(TallyBallots.month)] * keep_month + [col(TallyBallots.staff_key)] * keep_staff
    answers = (
        select(*a_keys, col(Tally.question_id), col(Tally.value), func.sum(col(Tally.count)))
        .where(
            col(Tally.unit_id).in_(unit_ids),
            col(Tally.survey_id) == survey_id,
            col(Tally.month) >= first,
            col(Tally.month) <= last,
        )
        .group_by(*a_keys, col(Tally.question_id), col(Tally.value))
    )
    ballots = select(*b_keys, func.sum(col(TallyBallots.count))).where(
        col(TallyBallots.unit_id).in_(unit_ids),
        col(TallyBallots.survey_id) == survey_id,
        col(TallyBallots.month) >= first,
        col(TallyBallots.month) <= last,
    )
    if b_keys:
        ballots = ballots.group_by(*b_keys)
    if not include_flagged:
        answers = answers.where(col(Tally.flagged).is_(False))
        ballots = ballots.where(col(TallyBallots.flagged).is_(False))

    def key(row: Any) -> tuple[str, str | None]:
        month = row[0] if keep_month else (label or first)
        staff = row[0] if keep_staff else None
        return month, staff or None

    width = keep_month + keep_staff
    return ix.Tallies.from_rows(
        ((*key(r), r[width], r[width + 1], int(r[width + 2])) for r in session.execute(answers)),
        ((*key(r), int(r[width] or 0)) for r in session.execute(ballots) if r[width]),
    )


def _rollup_tallies(
    session: Session,
    unit_id: int,
    survey_id: str,
    first: Any,
    last: Any,
    include_flagged: bool,
    by: str,
    *,
    daily: bool,
) -> ix.Tallies:
    """Officer-free tallies of one unit with everything below it, from the month (or day) roll-up:
    a province reads its own few thousand rows, never its communes'."""
    if daily:
        a, b = table_of(RollupDayTally).c, table_of(RollupDayBallots).c
        a_time, b_time = a.day, b.day
    else:
        a, b = table_of(RollupTally).c, table_of(RollupBallots).c
        a_time, b_time = a.month, b.month
    keep_month = by == "period"
    a_keys = [a_time] * keep_month
    b_keys = [b_time] * keep_month
    answers = (
        select(*a_keys, a.question_id, a.value, func.sum(a.count))
        .where(a.unit_id == unit_id, a.survey_id == survey_id, a_time >= first, a_time <= last)
        .group_by(*a_keys, a.question_id, a.value)
    )
    ballots = select(*b_keys, func.sum(b.count)).where(
        b.unit_id == unit_id, b.survey_id == survey_id, b_time >= first, b_time <= last
    )
    if b_keys:
        ballots = ballots.group_by(*b_keys)
    if not include_flagged:
        answers = answers.where(a.flagged.is_(False))
        ballots = ballots.where(b.flagged.is_(False))
    default_month = first.isoformat()[:7] if daily else first

    def month_of(row: Any) -> str:
        if not keep_month:
            return str(default_month)
        return row[0].isoformat()[:7] if daily else str(row[0])

    width = int(keep_month)
    return ix.Tallies.from_rows(
        ((month_of(r), None, r[width], r[width + 1], int(r[width + 2])) for r in session.execute(answers)),
        ((month_of(r), None, int(r[width] or 0)) for r in session.execute(ballots) if r[width]),
    )


def _edge_tallies(
    session: Session,
    unit_ids: set[int],
    survey_id: str,
    first_day: dt.date,
    last_day: dt.date,
    include_flagged: bool,
    source: str | None = None,
) -> ix.Tallies:
    """Tallies of the raw ballots of some days (a range's partial edge months), of one `source` if given."""
    query = select(
        col(Response.survey_id),
        col(Response.survey_version),
        col(Response.bucket_month),
        col(Response.staff_id),
        col(Response.answers),
        col(Response.misuse),
    ).where(
        col(Response.unit_id).in_(unit_ids),
        col(Response.bucket_day) >= first_day,
        col(Response.bucket_day) <= last_day,
        col(Response.survey_id) == survey_id,
    )
    if not include_flagged:
        query = query.where(col(Response.misuse).is_(False))
    if source is not None:
        query = query.where(col(Response.source) == source)
    groups: dict[tuple[str, str, str, str | None], list[dict[str, Any]]] = {}
    for sid, ver, month, staff, answers, _misuse in session.execute(query):
        groups.setdefault((sid, ver, month, staff or None), []).append(answers)
    if not groups:
        return ix.Tallies()
    rules = stored_rules(session)
    answer_rows: list[tuple[str, str | None, str, str, int]] = []
    ballot_rows: list[tuple[str, str | None, int]] = []
    for (sid, ver, month, staff), answer_sets in groups.items():
        counts = count_answers(answer_sets, rules[(sid, ver)].types)
        answer_rows.extend((month, staff, qid, value, n) for (qid, value), n in counts.items())
        ballot_rows.append((month, staff, len(answer_sets)))
    return ix.Tallies.from_rows(answer_rows, ballot_rows)


def _minus(total: ix.Tallies, part: ix.Tallies, *, keep_staff: bool) -> ix.Tallies:
    """`total` without `part` (a subset of its ballots); officer-free when `total` is (roll-ups)."""
    answers: Counter[tuple[str, str | None, str, str]] = Counter()
    ballots: Counter[tuple[str, str | None]] = Counter()
    for month, staff, question, value, count in total.answer_rows():
        answers[(month, staff, question, value)] += count
    for month, staff, count in total.ballot_rows():
        ballots[(month, staff)] += count
    for month, staff, question, value, count in part.answer_rows():
        answers[(month, staff if keep_staff else None, question, value)] -= count
    for month, staff, count in part.ballot_rows():
        ballots[(month, staff if keep_staff else None)] -= count
    return ix.Tallies.from_rows(
        ((*key, n) for key, n in answers.items() if n > 0), ((*key, n) for key, n in ballots.items() if n > 0)
    )


def indices_for(
    session: Session,
    unit_code: str,
    date_from: dt.date,
    date_to: dt.date,
    by: str = "none",
    period: str = "month",
    include_flagged: bool = False,
    min_sample: int = ix.DEFAULT_MIN_SAMPLE,
    source: str | None = None,
) -> dict[str, Any]:
    """The body of `GET /api/v1/indices` for a unit and its child units, dates inclusive (local time).

    Whole months come from the tally tables; partial edge months from the raw ballots of those days.
    With `source` only that source's ballots count. The tallies do not keep the source: "web" (and any
    other) is counted from its raw ballots, "kiosk" is every tally less the phone ballots' raw tallies.
    Raises UnknownUnit, or ValueError for a bad range, `by` or `period`.
    """
    unit = unit_by_code(session, unit_code)
    assert unit.id is not None
    plan = ix.plan_range(date_from, date_to)
    survey_row = survey_version_row(session, unit)
    survey = current_survey(session, unit)
    rows: list[ix.Row] = []
    if survey_row is not None and survey is not None:
        unit_ids = subtree(session, [unit.id])
        parts: list[ix.Tallies] = []
        survey_id = survey_row.survey_id
        if source is not None and source != "kiosk":
            parts.append(
                _edge_tallies(session, unit_ids, survey_id, date_from, date_to, include_flagged, source)
            )
        elif by == "staff":
            # Officers are kept per unit only (their ids are unique within a commune).
            unit_ids = subtree(session, [unit.id])
            if plan.whole_months is not None:
                first, last = plan.whole_months
                parts.append(_stored_tallies(session, unit_ids, survey_id, first, last, include_flagged, by))
            for first_day, last_day in plan.partial_days:
                parts.append(
                    _edge_tallies(session, unit_ids, survey_id, first_day, last_day, include_flagged)
                )
        else:
            if plan.whole_months is not None:
                first, last = plan.whole_months
                parts.append(
                    _rollup_tallies(
                        session, unit.id, survey_id, first, last, include_flagged, by, daily=False
                    )
                )
            for first_day, last_day in plan.partial_days:
                parts.append(
                    _rollup_tallies(
                        session, unit.id, survey_id, first_day, last_day, include_flagged, by, daily=True
                    )
                )
        tallies = sum(parts, ix.Tallies())
        if source == "kiosk":  # every ballot but the (few) phone ballots, which come from raw rows
            web = _edge_tallies(session, unit_ids, survey_id, date_from, date_to, include_flagged, "web")
            tallies = _minus(tallies, web, keep_staff=by == "staff")
        rows = ix.compute_rows(tallies, survey, by=by, period=period, min_sample=min_sample)
    elif by not in ("none", "staff", "period") or period not in ("month", "quarter", "half", "year"):
        raise ValueError("by must be none, staff or period; period month, quarter, half or year")
    return ix.indices_response(unit.code, date_from, date_to, rows)


# ---------------------------------------------------------------- lists the dashboard pages show


def staff_of(session: Session, unit_ids: Iterable[int]) -> list[Staff]:
    """The officers of these units."""
    return list(session.execute(select(Staff).where(col(Staff.unit_id).in_(list(unit_ids)))).scalars())


def staff_ids_of(session: Session, unit_ids: Iterable[int]) -> list[str]:
    """The officer ids of these units, one per officer (the same id may stand in two communes)."""
    query = select(col(Staff.id)).where(col(Staff.unit_id).in_(list(unit_ids)))
    return list(session.execute(query).scalars())


def staff_of_unit(session: Session, unit_id: int) -> list[Staff]:
    """The officers of one unit, active first, by id (the staff page)."""
    query = (
        select(Staff).where(col(Staff.unit_id) == unit_id).order_by(col(Staff.active).desc(), col(Staff.id))
    )
    return list(session.execute(query).scalars())


def alert_ballots(
    session: Session,
    unit_ids: Iterable[int],
    *,
    only_open: bool,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: int,
) -> tuple[list[tuple[Response, AlertAck | None]], int]:
    """Alert ballots, newest first (open ones of any day, or all of `date_from..date_to`); open count."""
    ids = list(unit_ids)
    base = (
        select(Response, AlertAck)
        .join(AlertAck, col(AlertAck.response_id) == col(Response.id), isouter=True)
        .where(col(Response.unit_id).in_(ids), col(Response.alert_kind).is_not(None))
    )
    count_q = (
        select(func.count())
        .select_from(Response)
        .join(AlertAck, col(AlertAck.response_id) == col(Response.id), isouter=True)
        .where(
            col(Response.unit_id).in_(ids),
            col(Response.alert_kind).is_not(None),
            col(AlertAck.response_id).is_(None),
        )
    )
    if only_open:
        # Open alerts stay on the list whatever the period, until someone acknowledges them.
        base = base.where(col(AlertAck.response_id).is_(None))
    else:
        assert date_from is not None and date_to is not None
        base = base.where(col(Response.bucket_day) >= date_from, col(Response.bucket_day) <= date_to)
    base = base.order_by(col(Response.submitted_at).desc()).limit(limit)
    found: list[tuple[Response, AlertAck | None]] = [(b, a) for b, a in session.execute(base).all()]
    total = int(session.execute(count_q).scalar_one())
    return found, total


def acknowledgement_count(session: Session) -> int:
    """How many alerts were ever acknowledged (a cache key: it changes with every acknowledgement)."""
    return int(session.execute(select(func.count()).select_from(AlertAck)).scalar_one())


def comment_ballots(
    session: Session, unit_ids: Iterable[int], date_from: dt.date, date_to: dt.date, *, limit: int
) -> list[tuple[Response, CommentState | None]]:
    """Ballots with a comment in `date_from..date_to`, newest first, with their handled state."""
    query = (
        select(Response, CommentState)
        .join(CommentState, col(CommentState.response_id) == col(Response.id), isouter=True)
        .where(
            col(Response.unit_id).in_(list(unit_ids)),
            col(Response.has_comment).is_(True),
            col(Response.bucket_day) >= date_from,
            col(Response.bucket_day) <= date_to,
        )
        .order_by(col(Response.submitted_at).desc())
        .limit(limit)
    )
    return [(b, c) for b, c in session.execute(query).all()]


def ballots_between(
    session: Session, unit_ids: Iterable[int], date_from: dt.date, date_to: dt.date
) -> list[Response]:
    """Every ballot of these units in `date_from..date_to`, oldest first (the ballots export)."""
    query = (
        select(Response)
        .where(
            col(Response.unit_id).in_(list(unit_ids)),
            col(Response.bucket_day) >= date_from,
            col(Response.bucket_day) <= date_to,
        )
        .order_by(col(Response.submitted_at))
    )
    return list(session.execute(query).scalars())


def devices_of(session: Session, unit_ids: Iterable[int]) -> list[Device]:
    """The kiosks of these units, by name."""
    query = select(Device).where(col(Device.unit_id).in_(list(unit_ids))).order_by(col(Device.name))
    return list(session.execute(query).scalars())


def survey_versions(session: Session) -> list[SurveyVersion]:
    """Every loaded survey definition, newest first."""
    query = select(SurveyVersion).order_by(col(SurveyVersion.loaded_at).desc())
    return list(session.execute(query).scalars())


# ---------------------------------------------------------------- cases, rules (issue 15)


def _like(text: str) -> str:
    """A LIKE pattern finding `text` anywhere (its own %, _ and \\ taken literally)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def case_page(
    session: Session,
    unit_ids: Iterable[int],
    *,
    kinds: tuple[str, ...],
    date_from: dt.date,
    date_to: dt.date,
    states: tuple[str, ...] = (),
    staff_id: str | None = None,
    no_staff: bool = False,
    rating: int | None = None,
    topic: str | None = None,
    folded_text: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[tuple[Case, Response | None, Unit]], int]:
    """One page of cases of these units and kinds in `date_from..date_to`, newest first, and how many
    match. Each word of `folded_text` must be in the comment without diacritics (`surveys.topics.fold`)."""
    conditions: list[Any] = [
        col(Case.unit_id).in_(list(unit_ids)),
        col(Case.kind).in_(kinds),
        col(Case.day) >= date_from,
        col(Case.day) <= date_to,
    ]
    if states:
        conditions.append(col(Case.state).in_(states))
    if no_staff:
        conditions.append(col(Case.staff_id).is_(None))
    elif staff_id:
        conditions.append(col(Case.staff_id) == staff_id)
    if rating is not None:
        conditions.append(col(Case.rating) == rating)
    if topic:
        conditions.append(col(Case.topics).like(_like("," + topic + ","), escape="\\"))
    for word in (folded_text or "").split()[:10]:  # every word, anywhere, in any order
        conditions.append(col(Case.folded).like(_like(word), escape="\\"))
    total = int(session.execute(select(func.count()).select_from(Case).where(*conditions)).scalar_one())
    # The page's ids first, from the index (unit, kind, day, opened_at) alone; then their rows.
    newest: list[Any] = [col(Case.day).desc(), col(Case.opened_at).desc(), col(Case.id).desc()]
    ids = list(
        session.execute(
            select(col(Case.id)).where(*conditions).order_by(*newest).offset(offset).limit(limit)
        ).scalars()
    )
    if not ids:
        return [], total
    query = (
        select(Case, Response, Unit)
        .join(Response, col(Response.id) == col(Case.response_id), isouter=True)
        .join(Unit, col(Unit.id) == col(Case.unit_id))
        .where(col(Case.id).in_(ids))
        .order_by(*newest)
    )
    return [(c, b, u) for c, b, u in session.execute(query).all()], total


def case_history(session: Session, case_ids: Iterable[int]) -> dict[int, list[CaseEvent]]:
    """Every step of these cases, oldest first."""
    ids = list(case_ids)
    out: dict[int, list[CaseEvent]] = {i: [] for i in ids}
    if not ids:
        return out
    query = select(CaseEvent).where(col(CaseEvent.case_id).in_(ids)).order_by(col(CaseEvent.id))
    for event in session.execute(query).scalars():
        out[event.case_id].append(event)
    return out


def case_change_count(session: Session) -> int:
    """The newest case step's id (a cache key: it changes with every step)."""
    return int(session.execute(select(func.coalesce(func.max(CaseEvent.id), 0))).scalar_one())


def open_case_count(session: Session, unit_ids: Iterable[int], kinds: tuple[str, ...]) -> int:
    """Open cases of these kinds, of any day."""
    query = (
        select(func.count())
        .select_from(Case)
        .where(
            col(Case.unit_id).in_(list(unit_ids)),
            col(Case.kind).in_(kinds),
            col(Case.state).in_(CASE_OPEN_STATES),
        )
    )
    return int(session.execute(query).scalar_one())


def rules_of(session: Session, unit_ids: Iterable[int]) -> list[tuple[AlertRule, Unit]]:
    """The alert rules of these units, newest first."""
    query = (
        select(AlertRule, Unit)
        .join(Unit, col(Unit.id) == col(AlertRule.unit_id))
        .where(col(AlertRule.unit_id).in_(list(unit_ids)))
        .order_by(col(AlertRule.id).desc())
    )
    return [(r, u) for r, u in session.execute(query).all()]


def when_by_hour(
    session: Session, unit_id: int, date_from: dt.date, date_to: dt.date
) -> list[tuple[dt.date, int, int, int]]:
    """(local day, hour, overall answers, satisfied) of a unit and every unit below it."""
    query = select(
        col(RollupHour.day), col(RollupHour.hour), col(RollupHour.answers), col(RollupHour.satisfied)
    ).where(
        col(RollupHour.unit_id) == unit_id, col(RollupHour.day) >= date_from, col(RollupHour.day) <= date_to
    )
    return [(d, h, a, s) for d, h, a, s in session.execute(query).all()]


def when_by_device(
    session: Session, unit_ids: Iterable[int], date_from: dt.date, date_to: dt.date
) -> list[tuple[str, int, int, int]]:
    """(device id, its unit id, overall answers, satisfied) of the kiosks of these units."""
    query = (
        select(
            col(RollupDevice.device_id),
            col(RollupDevice.unit_id),
            func.sum(RollupDevice.answers),
            func.sum(RollupDevice.satisfied),
        )
        .where(
            col(RollupDevice.unit_id).in_(list(unit_ids)),
            col(RollupDevice.day) >= date_from,
            col(RollupDevice.day) <= date_to,
        )
        .group_by(col(RollupDevice.device_id), col(RollupDevice.unit_id))
    )
    return [(d, u, int(a or 0), int(s or 0)) for d, u, a, s in session.execute(query).all()]

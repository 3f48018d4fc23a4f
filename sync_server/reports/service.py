"""Reports from the server's database: figures via `queries.indices_for`, names and comments from tables.

>>> with read_session(engine) as session:
...     pdf = build_report(session, "XA-DEMO", "2024-Q3", "pdf", min_sample=30)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session, col

from sync_server import queries
from sync_server.models import Response, Staff, Unit
from sync_server.reports.build import assemble_report, render
from sync_server.reports.content import (
    Comment,
    Labels,
    OfficialNames,
    ReportData,
    StaffInfo,
    UnitInfo,
    admin_name,
)
from sync_server.reports.periods import ReportPeriod, parse_period

__all__ = ["build_report", "period_basis", "report_data_for", "unit_info", "unit_level"]

_NO_LABELS = Labels(groups={}, group_items={}, items={}, options={})
# Quotes are picked from at most this many of the period's latest comments.
MAX_COMMENTS_READ = 20_000


def _unit_info(session: Session, unit: Unit) -> UnitInfo:
    parent = session.get(Unit, unit.parent_id) if unit.parent_id is not None else None
    official = OfficialNames(
        governing_body=unit.governing_body,
        issuing_body=unit.issuing_body,
        place_name=unit.place_name,
        signer_name=unit.signer_name,
        signer_title=unit.signer_title,
        deputy_signs=unit.deputy_signs,
        number_series=unit.number_series,
        recipients=tuple(json.loads(unit.recipients)) if unit.recipients else None,
    )
    return UnitInfo(
        unit.code,
        unit.name,
        parent.name if parent else None,
        unit.timezone,
        official,
        level=unit_level(session, unit),
    )


def unit_info(session: Session, unit_id: int) -> UnitInfo:
    """A unit's names as its documents print them (raises KeyError for an unknown id)."""
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise KeyError(unit_id)
    return _unit_info(session, unit)


def unit_level(session: Session, unit: Unit) -> str:
    """ "commune" for a unit with its own desk; "province" or "ministry" (a "Bộ …") for one with sub-units."""
    has_children = session.execute(
        select(col(Unit.id)).where(col(Unit.parent_id) == unit.id).limit(1)
    ).first()
    if has_children is None:
        return "commune"
    return "ministry" if admin_name(unit.name).startswith("Bộ ") else "province"


def period_basis(unit: Unit) -> str:
    """The unit's report periods: "calendar" (default) or "cutoff" (NĐ 09/2019)."""
    return unit.report_periods or "calendar"


def _data_since(session: Session, unit_ids: set[int]) -> dt.date | None:
    first = session.execute(
        select(func.min(Response.bucket_day)).where(
            col(Response.unit_id).in_(unit_ids), col(Response.misuse).is_(False)
        )
    ).scalar_one()
    return first if isinstance(first, dt.date) or first is None else dt.date.fromisoformat(str(first))


def _staff(session: Session, unit_ids: set[int]) -> dict[str, StaffInfo]:
    query = select(Staff).where(col(Staff.unit_id).in_(unit_ids)).order_by(col(Staff.active).desc())
    found: dict[str, StaffInfo] = {}
    for s in session.execute(query).scalars():
        # Active officers win over deactivated ones with a reused id.
        found.setdefault(s.id, StaffInfo(s.id, s.name, s.title, s.counter))
    return found


def _spread(rows: list[Any], count: int) -> list[Any]:
    """`count` rows evenly spaced through `rows` (so a year's quotes are not all from its last day)."""
    if count <= 0 or not rows:
        return []
    if len(rows) <= count:
        return list(rows)
    step = len(rows) / count
    return [rows[int(i * step)] for i in range(count)]


def _comments(
    session: Session,
    unit_ids: set[int],
    period: ReportPeriod,
    staff: Mapping[str, StaffInfo],
    limit: int,
    unit_names: Mapping[int, str] | None = None,
) -> tuple[list[Comment], int, int]:
    where = (
        col(Response.unit_id).in_(unit_ids),
        col(Response.bucket_day) >= period.start,
        col(Response.bucket_day) <= period.end,
        col(Response.misuse).is_(False),
    )
    comment_count = session.execute(
        select(func.count()).select_from(Response).where(*where, col(Response.has_comment).is_(True))
    ).scalar_one()
    contact_count = session.execute(
        select(func.count()).select_from(Response).where(*where, col(Response.contact_phone).is_not(None))
    ).scalar_one()
    rows = session.execute(
        select(
            col(Response.bucket_day),
            col(Response.staff_id),
            col(Response.comment),
            col(Response.answers),
            col(Response.unit_id),
        )
        .where(*where, col(Response.has_comment).is_(True))
        .order_by(col(Response.submitted_at).desc())
        .limit(MAX_COMMENTS_READ)
    ).all()
    seen: set[str] = set()
    distinct = []
    for r in rows:  # the same words twice say nothing new
        key = " ".join((r[2] or "").lower().split())
        if key and key not in seen:
            seen.add(key)
            distinct.append(r)
    # Unhappy comments are the ones a leader must act on: up to half the quotes; the rest spread over time.
    unhappy = [r for r in distinct if (r[3] or {}).get("tong_the") in (1, 2)]
    chosen = _spread(unhappy, (limit + 1) // 2)
    chosen += _spread([r for r in distinct if r not in chosen], limit - len(chosen))
    chosen.sort(key=lambda r: r[0], reverse=True)
    comments = []
    for day, sid, text, _answers, unit_id in chosen:
        place = unit_names.get(unit_id) if unit_names else None  # a parent unit's report names the commune
        comments.append(Comment(day, staff[sid].name if sid in staff else None, text, place))
    return comments, int(comment_count), int(contact_count)


def report_data_for(
    session: Session,
    unit_code: str,
    period: ReportPeriod,
    *,
    min_sample: int,
    issued_on: dt.date | None = None,
    max_comments: int = 10,
) -> ReportData:
    """Everything a report shows for a unit (and its child units) over a period.

    Raises queries.UnknownUnit for an unknown code.
    """
    unit = queries.unit_by_code(session, unit_code)
    assert unit.id is not None
    info = _unit_info(session, unit)
    survey = queries.current_survey(session, unit)
    labels = Labels.from_survey(survey) if survey is not None else _NO_LABELS
    unit_ids = queries.subtree(session, [unit.id])
    staff = _staff(session, unit_ids)
    children = list(
        session.execute(select(Unit).where(col(Unit.parent_id) == unit.id).order_by(col(Unit.code))).scalars()
    )
    unit_names = (
        {u.id: u.name for u in session.execute(select(Unit).where(col(Unit.id).in_(unit_ids))).scalars()}
        if children
        else None
    )
    comments, comment_count, contact_count = _comments(
        session, unit_ids, period, staff, max_comments, unit_names
    )

    def indices(start: dt.date, end: dt.date, by: str, per: str) -> Mapping[str, Any]:
        return queries.indices_for(session, unit.code, start, end, by=by, period=per, min_sample=min_sample)

    data = assemble_report(
        info,
        period,
        indices,
        labels,
        min_sample=min_sample,
        staff=staff,
        comments=comments,
        comment_count=comment_count,
        contact_count=contact_count,
        issued_on=issued_on or dt.datetime.now(ZoneInfo(unit.timezone)).date(),
        by_staff=not children,
    )
    data = replace(data, data_since=_data_since(session, unit_ids))
    child_rows: list[tuple[UnitInfo, Mapping[str, Any] | None]] = []
    for child in children:
        body = queries.indices_for(session, child.code, period.start, period.end, min_sample=min_sample)
        rows = body.get("rows") or []
        child_rows.append(
            (UnitInfo(child.code, child.name, unit.name, child.timezone), rows[0] if rows else None)
        )
    return replace(data, children=child_rows) if child_rows else data


def build_report(
    session: Session,
    unit_code: str,
    period_key: str,
    fmt: str,
    *,
    min_sample: int,
    issued_on: dt.date | None = None,
) -> bytes:
    """A unit's report for a period ("2024-09", "2024-Q3", "2024-H2", "2024") as xlsx, docx or pdf bytes.

    Periods follow the unit's basis (calendar, or the NĐ 09/2019 cut-off).
    Raises PeriodError, queries.UnknownUnit or ValueError (unknown format).
    """
    period = parse_period(period_key, period_basis(queries.unit_by_code(session, unit_code)))
    data = report_data_for(session, unit_code, period, min_sample=min_sample, issued_on=issued_on)
    return render(data, fmt)

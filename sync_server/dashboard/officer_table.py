"""The officers table: each officer's figures, change against the previous period, a small trend, and
server-side sorting (a column header is a link; no script).

table = officer_table(page, rows, previous_rows, month_rows, sort="change", direction="desc")
table.rows, table.improved, table.declined
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sync_server.models import Staff

from .formatting import Change, change_of

__all__ = ["SORTS", "OfficerLine", "OfficerTable", "officer_table", "sort_key_of"]

# column → how it sorts; the default (rank ascending) is what the page showed before.
SORTS = ("rank", "name", "n", "index", "change")


@dataclass(frozen=True)
class OfficerLine:
    row: dict[str, Any]
    key: str | None
    name: str
    counter: str
    slug: str
    rank: int | None
    # None: "chưa đủ mẫu" (this or the previous period under the minimum sample, or no ballots then).
    change: Change | None
    spark: list[float | None]


@dataclass(frozen=True)
class OfficerTable:
    rows: list[OfficerLine]
    improved: list[OfficerLine]
    declined: list[OfficerLine]


def _enough(r: dict[str, Any] | None) -> bool:
    return r is not None and not r["insufficient"] and r["satisfaction_index"] is not None


def sort_key_of(value: str | None, direction: str | None) -> tuple[str, str]:
    """The asked sort, or the default (rank, ascending) for anything else."""
    sort = value if value in SORTS else "rank"
    return sort, "desc" if direction == "desc" else "asc"


def officer_table(
    rows: Sequence[dict[str, Any]],
    previous: Sequence[dict[str, Any]],
    months: Sequence[Sequence[dict[str, Any]]],
    ranks: dict[str, int],
    names: dict[str, Staff],
    label: Any,
    *,
    sort: str = "rank",
    direction: str = "asc",
    top: int = 3,
) -> OfficerTable:
    """`rows`/`previous`: by-staff rows of the period and the one before; `months`: by-staff rows of
    each trend month, oldest first. A month under the minimum sample is a gap in the trend."""
    before = {r["key"]: r for r in previous}
    per_month = [{r["key"]: r for r in m} for m in months]
    lines: list[OfficerLine] = []
    for r in rows:
        key = r["key"]
        prev = before.get(key)
        change = (
            change_of(r["satisfaction_index"], prev["satisfaction_index"])
            if _enough(r) and prev is not None and _enough(prev)
            else None
        )
        spark = [m[key]["satisfaction_index"] if key in m and _enough(m[key]) else None for m in per_month]
        s = names.get(key) if key else None
        lines.append(
            OfficerLine(
                row=r,
                key=key,
                name=label(key),
                counter=s.counter if s else "",
                slug=key if key is not None else "_none",
                rank=ranks.get(key) if key else None,
                change=change,
                spark=spark,
            )
        )
    # Changes only between officers, not "officer not known"; the biggest first; ties by name.
    moved = [x for x in lines if x.key is not None and x.change is not None and x.change.delta]
    improved = sorted((x for x in moved if _delta(x) > 0), key=_by_delta_desc)
    declined = sorted((x for x in moved if _delta(x) < 0), key=_by_delta_asc)
    return OfficerTable(_sorted(lines, sort, direction), improved[:top], declined[:top])


def _delta(x: OfficerLine) -> float:
    return x.change.delta if x.change is not None and x.change.delta is not None else 0.0


def _by_delta_desc(x: OfficerLine) -> tuple[float, str]:
    return (-_delta(x), x.name)


def _by_delta_asc(x: OfficerLine) -> tuple[float, str]:
    return (_delta(x), x.name)


def _value(x: OfficerLine, sort: str) -> Any:
    if sort == "name":
        return x.name.casefold()
    if sort == "n":
        return x.row["n"]
    if sort == "index":
        return x.row["satisfaction_index"] if _enough(x.row) else None
    if sort == "change":
        return x.change.delta if x.change is not None else None
    return x.rank


def _sorted(lines: list[OfficerLine], sort: str, direction: str) -> list[OfficerLine]:
    """Sorted by the column; rows without a value ("chưa đủ mẫu", no rank) stay last either way,
    ordered by name, with "officer not known" at the very end."""
    with_value = [x for x in lines if x.key is not None and _value(x, sort) is not None]
    without = [x for x in lines if x.key is None or _value(x, sort) is None]
    with_value.sort(key=lambda x: x.name.casefold())
    with_value.sort(key=lambda x: _value(x, sort), reverse=direction == "desc")
    without.sort(key=lambda x: (x.key is None, x.name.casefold()))
    return with_value + without

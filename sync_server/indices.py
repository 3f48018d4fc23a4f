"""Satisfaction indices (method ``ctt-sipas-1``): pure functions from tallies to figures.

No SQL and no HTTP here: the server reads tallies from its database and passes them in. Every formula
is in ``/work/shared/spec/indices.md``; the tally format is Seam 2 of ``docs/architecture.md``.

    tallies = tally_ballots(ballots, survey, tz="Asia/Ho_Chi_Minh")
    rows = compute_rows(tallies, survey, by="period", period="quarter")
    body = indices_response("XA01", date(2024, 7, 1), date(2024, 9, 30), rows)

A tally counts ``(month, staff_id, question_id, value)`` plus ballots per ``(month, staff_id)``.
Internally each ``(month, staff_id)`` cell keeps all of its counts packed into one Python integer,
64 bits per count ("lane"), so that adding two cells is a single big-integer addition done in C:
grouping a province's year (24,000 cells) costs milliseconds, not a loop over millions of counts.
"""

from __future__ import annotations

import math
import re
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from operator import add, itemgetter
from typing import Any, Literal, NotRequired, Protocol, TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "ANSWERED",
    "DEFAULT_MIN_SAMPLE",
    "DEFAULT_TIMEZONE",
    "EMPTY",
    "METHOD",
    "OVERALL",
    "Ballot",
    "By",
    "Item",
    "Period",
    "RangePlan",
    "Row",
    "Tallies",
    "bucket_instant",
    "compute_rows",
    "indices_response",
    "local_date",
    "month_of",
    "period_key",
    "plan_range",
    "round_half_up",
    "tally_ballots",
    "utc_window",
    "wilson",
]

METHOD = "ctt-sipas-1"
DEFAULT_MIN_SAMPLE = 30
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
OVERALL = "tong_the"
ANSWERED = "__answered__"
EMPTY = "__empty__"
Z95 = 1.96

By = Literal["none", "staff", "period"]
Period = Literal["month", "quarter", "half", "year"]
_BYS = ("none", "staff", "period")
_PERIODS = ("month", "quarter", "half", "year")
_MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_RATINGS = ("1", "2", "3", "4", "5")

# 64-bit lanes: no realistic count (ballots of a nation over decades) comes near 2**64.
_LANE_BITS = 64
_LANE_BYTES = _LANE_BITS // 8
_BIG_ENDIAN = sys.byteorder == "big"


# --- what the engine needs from a survey definition (surveys.loader.Survey fits) ---------------------


class OptionLike(Protocol):
    @property
    def id(self) -> str: ...


class QuestionLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def groups(self) -> Sequence[str]: ...
    @property
    def options(self) -> Sequence[OptionLike]: ...


class GroupLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def friendly(self) -> bool: ...
    @property
    def sipas(self) -> bool: ...


class SurveyLike(Protocol):
    @property
    def questions(self) -> Sequence[QuestionLike]: ...
    @property
    def groups(self) -> Sequence[GroupLike]: ...


# --- the response shape (sync-protocol.md, Administrator API) ------------------------------------------


class Item(TypedDict):
    n: int
    index: float | None
    violation_rates: NotRequired[dict[str, float | None]]


class Row(TypedDict):
    key: str | None
    n: int
    satisfaction_index: float | None
    satisfaction_ci95: list[float] | None
    mean_score: float | None
    friendly_index: float | None
    service_index: float | None
    groups: dict[str, float | None]
    items: dict[str, Item]
    insufficient: bool


# --- rounding and the Wilson interval -------------------------------------------------------------------


def round_half_up(x: int | float | Fraction | Decimal, digits: int) -> float:
    """Round half away from zero: ``round_half_up(55.55, 1) == 55.6`` (Python's round() gives 55.5).

    A float is taken at its shortest decimal spelling (``repr``), as a person reads it; an int or
    Fraction is rounded exactly.
    """
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"cannot round {x!r}")
        x = Decimal(repr(x))
    if isinstance(x, Decimal):
        return float(x.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
    q = Fraction(x) * 10**digits
    sign = -1 if q < 0 else 1
    whole = (2 * abs(q.numerator) + q.denominator) // (2 * q.denominator)
    return sign * whole / 10**digits + 0.0


def _wilson_interval(k: int, n: int) -> list[float]:
    p = k / n
    z2 = Z95 * Z95
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    # The interval is irrational: round its float value; clamp away float noise outside [0, 100].
    lo = max(0.0, _rounded(100 * (centre - half)))
    hi = min(100.0, _rounded(100 * (centre + half)))
    return [lo, hi]


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson score 95 % interval (z = 1.96) for k successes in n, in percent, 1 decimal.

    ``wilson(5, 9) == (26.7, 81.1)``. Raises ValueError when n = 0 (no data has no interval).
    """
    if n <= 0 or k < 0 or k > n:
        raise ValueError(f"Wilson interval needs 0 <= k <= n and n > 0, got k={k}, n={n}")
    lo, hi = _wilson_interval(k, n)
    return lo, hi


# --- time zones, months and periods ---------------------------------------------------------------------


def _zone(tz: str | ZoneInfo) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {tz!r}") from None


def _instant(value: datetime | str, what: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{what} is not an RFC 3339 time: {value!r}") from None
    if not isinstance(value, datetime):
        raise ValueError(f"{what} must be a datetime or an RFC 3339 string, got {type(value).__name__}")
    # Naive times come from database columns that store UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Ballot:
    """One stored response, as the index engine sees it (answers keyed by question id)."""

    submitted_at: datetime | str
    received_at: datetime | str | None
    clock_suspect: bool
    staff_id: str | None
    answers: Mapping[str, Any]
    flagged_misuse: bool = False


def bucket_instant(ballot: Ballot) -> datetime:
    """The instant a ballot is counted at: ``submitted_at``, or ``received_at`` if the clock is suspect."""
    if ballot.clock_suspect:
        if ballot.received_at is None:
            raise ValueError("a clock_suspect ballot needs received_at to be bucketed")
        return _instant(ballot.received_at, "received_at")
    return _instant(ballot.submitted_at, "submitted_at")


def local_date(ballot: Ballot, tz: str | ZoneInfo = DEFAULT_TIMEZONE) -> date:
    """The ballot's day in the unit's time zone (see :func:`bucket_instant`)."""
    return bucket_instant(ballot).astimezone(_zone(tz)).date()


def month_of(ballot: Ballot, tz: str | ZoneInfo = DEFAULT_TIMEZONE) -> str:
    """The ballot's tally month ``"YYYY-MM"`` in the unit's time zone."""
    d = bucket_instant(ballot).astimezone(_zone(tz))
    return f"{d.year:04d}-{d.month:02d}"


def _check_month(month: str) -> str:
    if not isinstance(month, str) or not _MONTH_RE.fullmatch(month):
        raise ValueError(f"a tally month must look like '2024-09', got {month!r}")
    return month


def period_key(month: str, period: str) -> str:
    """The key of the period holding a month: ``period_key("2024-09", "quarter") == "2024-Q3"``."""
    _check_month(month)
    year, mm = month[:4], int(month[5:])
    if period == "month":
        return month
    if period == "quarter":
        return f"{year}-Q{(mm - 1) // 3 + 1}"
    if period == "half":
        return f"{year}-H{1 if mm <= 6 else 2}"
    if period == "year":
        return year
    raise ValueError(f"period must be one of {', '.join(_PERIODS)}, got {period!r}")


@dataclass(frozen=True, slots=True)
class RangePlan:
    """How to answer an inclusive date range: whole months from stored tallies, edge days from ballots.

    ``whole_months`` is ``(first, last)`` month, or None when no calendar month lies wholly inside;
    ``partial_days`` holds at most two inclusive ``(first_day, last_day)`` spans to tally from raw
    ballots (``tally_ballots(..., from_date=, to_date=)``).
    """

    whole_months: tuple[str, str] | None
    partial_days: tuple[tuple[date, date], ...]


def _month_str(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _month_end(d: date) -> date:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def plan_range(from_date: date, to_date: date) -> RangePlan:
    """Split ``[from_date, to_date]`` into whole tally months and partial edge days.

    ``plan_range(date(2024, 9, 15), date(2024, 12, 10))`` → whole 2024-10..2024-11, partial
    Sep 15–30 and Dec 1–10.
    """
    if to_date < from_date:
        raise ValueError(f"the range ends ({to_date}) before it starts ({from_date})")
    first_whole = from_date if from_date.day == 1 else _month_end(from_date) + timedelta(days=1)
    last_whole = to_date if to_date == _month_end(to_date) else to_date.replace(day=1) - timedelta(days=1)
    if first_whole > last_whole:
        # No whole month inside: the range sits within one month or straddles two partial ones.
        if from_date.month == to_date.month and from_date.year == to_date.year:
            return RangePlan(None, ((from_date, to_date),))
        return RangePlan(None, ((from_date, _month_end(from_date)), (to_date.replace(day=1), to_date)))
    partial: list[tuple[date, date]] = []
    if first_whole != from_date:
        partial.append((from_date, first_whole - timedelta(days=1)))
    if last_whole != to_date:
        partial.append((last_whole + timedelta(days=1), to_date))
    return RangePlan((_month_str(first_whole), _month_str(last_whole.replace(day=1))), tuple(partial))


def utc_window(
    first_day: date, last_day: date, tz: str | ZoneInfo = DEFAULT_TIMEZONE
) -> tuple[datetime, datetime]:
    """Half-open UTC instants ``[start, end)`` covering the local days ``first_day..last_day``."""
    zone = _zone(tz)
    start = datetime.combine(first_day, datetime.min.time(), zone).astimezone(UTC)
    end = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), zone).astimezone(UTC)
    return start, end


# --- lanes ----------------------------------------------------------------------------------------------


def _pack(counts: Sequence[int]) -> int:
    a = array("Q", counts)
    if _BIG_ENDIAN:
        a.byteswap()
    return int.from_bytes(a.tobytes(), "little")


def _unpack(packed: int, lanes: int) -> list[int]:
    a = array("Q")
    a.frombytes(packed.to_bytes(lanes * _LANE_BYTES, "little"))
    if _BIG_ENDIAN:
        a.byteswap()
    return a.tolist()


Cell = tuple[str, str | None]
Slot = tuple[str, str]


class _Builder:
    """Accumulates counts in plain lists, then packs them once into a :class:`Tallies`."""

    __slots__ = ("cells", "index", "slots")

    def __init__(self, slots: Sequence[Slot] = ()) -> None:
        # Lane 0 of every cell is its ballot count; lane i > 0 counts slots[i - 1].
        self.slots: list[Slot] = list(slots)
        self.index: dict[Slot, int] = {s: i + 1 for i, s in enumerate(self.slots)}
        self.cells: dict[Cell, list[int]] = {}

    def lane(self, slot: Slot) -> int:
        lane = self.index.get(slot)
        if lane is None:
            self.slots.append(slot)
            lane = self.index[slot] = len(self.slots)
        return lane

    def counts(self, month: str, staff_id: str | None) -> list[int]:
        key = (month, staff_id)
        counts = self.cells.get(key)
        if counts is None:
            _check_month(month)
            if staff_id is not None and not isinstance(staff_id, str):
                raise ValueError(f"a staff id must be a string or None, got {staff_id!r}")
            counts = self.cells[key] = [0] * (len(self.slots) + 1)
        return counts

    def add(self, counts: list[int], lane: int, count: int) -> None:
        if lane >= len(counts):
            counts.extend([0] * (len(self.slots) + 1 - len(counts)))
        counts[lane] += count

    def build(self) -> Tallies:
        lanes = len(self.slots) + 1
        packed: dict[Cell, int] = {}
        for key, counts in self.cells.items():
            if len(counts) < lanes:
                counts.extend([0] * (lanes - len(counts)))
            packed[key] = _pack(counts)
        return Tallies._make(tuple(self.slots), packed)


def _count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a non-negative integer, got {value!r}")
    return value


class Tallies:
    """Counts per ``(month, staff_id, question_id, value)`` and ballots per ``(month, staff_id)``.

    Immutable. ``a + b`` is the union (counts added); ``t.between("2024-01", "2024-06")`` keeps whole
    months. Build with :func:`tally_ballots` or :meth:`from_rows`.
    """

    __slots__ = ("_cells", "_lanes", "_slots")

    _slots: tuple[Slot, ...]
    _lanes: int
    _cells: dict[Cell, int]

    def __init__(self) -> None:
        self._slots = ()
        self._lanes = 1
        self._cells = {}

    @classmethod
    def _make(cls, slots: tuple[Slot, ...], cells: dict[Cell, int]) -> Tallies:
        t = cls.__new__(cls)
        t._slots = slots
        t._lanes = len(slots) + 1
        t._cells = cells
        return t

    @classmethod
    def from_rows(
        cls,
        answer_rows: Iterable[tuple[str, str | None, str, str, int]],
        ballot_rows: Iterable[tuple[str, str | None, int]],
    ) -> Tallies:
        """Tallies from database rows ``(month, staff_id, question_id, value, count)`` and
        ``(month, staff_id, ballots)``; repeated keys add up.

        ``Tallies.from_rows([("2024-09", "cb01", "tong_the", "5", 12)], [("2024-09", "cb01", 12)])``
        """
        b = _Builder()
        cells, index = b.cells, b.index
        # The server feeds a province's year through here (millions of rows): method calls only on
        # the first sight of a cell or an answer kind.
        for month, staff_id, question_id, value, count in answer_rows:
            if (type(count) is not int or count <= 0) and _count(count, "a tally count") == 0:
                continue
            slot = (question_id, value)
            lane = index.get(slot)
            if lane is None:
                lane = b.lane(slot)
            counts = cells.get((month, staff_id))
            if counts is None:
                counts = b.counts(month, staff_id)
            if lane < len(counts):
                counts[lane] += count
            else:
                b.add(counts, lane, count)
        for month, staff_id, ballots in ballot_rows:
            b.add(b.counts(month, staff_id), 0, _count(ballots, "a ballot count"))
        return b.build()

    # -- reading ---------------------------------------------------------------------------------------

    def answer_rows(self) -> Iterator[tuple[str, str | None, str, str, int]]:
        """``(month, staff_id, question_id, value, count)`` for every non-zero count, sorted."""
        order = sorted(range(len(self._slots)), key=self._slots.__getitem__)
        for month, staff_id in self._sorted_cells():
            counts = _unpack(self._cells[(month, staff_id)], self._lanes)
            for i in order:
                if counts[i + 1]:
                    question_id, value = self._slots[i]
                    yield month, staff_id, question_id, value, counts[i + 1]

    def ballot_rows(self) -> Iterator[tuple[str, str | None, int]]:
        """``(month, staff_id, ballots)`` for every cell with ballots, sorted."""
        for month, staff_id in self._sorted_cells():
            n = self._cells[(month, staff_id)] & ((1 << _LANE_BITS) - 1)
            if n:
                yield month, staff_id, n

    def _sorted_cells(self) -> list[Cell]:
        return sorted(self._cells, key=lambda c: (c[0], c[1] is None, c[1] or ""))

    @property
    def ballots(self) -> int:
        """Ballots counted in every month and officer together."""
        return sum(self._cells.values()) & ((1 << _LANE_BITS) - 1)

    def months(self) -> list[str]:
        """The months that hold counts, in order."""
        return sorted({m for m, _ in self._cells})

    def between(self, first_month: str | None = None, last_month: str | None = None) -> Tallies:
        """Only the months from ``first_month`` to ``last_month`` (inclusive; None = open end)."""
        lo = _check_month(first_month) if first_month is not None else ""
        hi = _check_month(last_month) if last_month is not None else "9999-99"
        return Tallies._make(self._slots, {c: v for c, v in self._cells.items() if lo <= c[0] <= hi})

    def is_empty(self) -> bool:
        return not any(self._cells.values())

    def _canonical(self) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
        return set(self.answer_rows()), set(self.ballot_rows())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tallies):
            return NotImplemented
        return self._canonical() == other._canonical()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Tallies {len(self._cells)} cells, {self.ballots} ballots, {len(self._slots)} answer kinds>"

    # -- union -----------------------------------------------------------------------------------------

    def _relaid(self, slots: tuple[Slot, ...]) -> dict[Cell, int]:
        """This tally's cells packed in another lane layout (``slots`` must hold all of ours)."""
        if slots[: len(self._slots)] == self._slots:
            return self._cells  # our lanes are a prefix: the packed integers are already right
        where = {s: i + 1 for i, s in enumerate(slots)}
        targets = [where[s] for s in self._slots]
        lanes = len(slots) + 1
        out: dict[Cell, int] = {}
        for key, packed in self._cells.items():
            counts = _unpack(packed, self._lanes)
            moved = [0] * lanes
            moved[0] = counts[0]
            for src, dst in enumerate(targets, start=1):
                moved[dst] = counts[src]
            out[key] = _pack(moved)
        return out

    def __add__(self, other: Tallies) -> Tallies:
        if not isinstance(other, Tallies):
            return NotImplemented
        # Keep the bigger tally's layout so only the smaller one is ever repacked.
        big, small = (self, other) if len(self._cells) >= len(other._cells) else (other, self)
        known = set(big._slots)
        slots = big._slots + tuple(s for s in small._slots if s not in known)
        cells = dict(big._relaid(slots))
        for key, packed in small._relaid(slots).items():
            cells[key] = cells.get(key, 0) + packed
        return Tallies._make(slots, cells)

    def __radd__(self, other: object) -> Tallies:
        # Lets sum([t1, t2, ...]) start from 0.
        if other == 0:
            return self
        return NotImplemented


# --- building tallies from raw ballots ------------------------------------------------------------------


def _survey_layout(survey: SurveyLike) -> tuple[list[Slot], dict[str, str], dict[str, frozenset[str]]]:
    slots: list[Slot] = []
    kinds: dict[str, str] = {}
    options: dict[str, frozenset[str]] = {}
    for q in survey.questions:
        if q.type == "rating5":
            kinds[q.id] = "rating5"
            slots.extend((q.id, v) for v in _RATINGS)
        elif q.type == "checklist":
            kinds[q.id] = "checklist"
            options[q.id] = frozenset(o.id for o in q.options)
            slots.append((q.id, ANSWERED))
            slots.append((q.id, EMPTY))
            slots.extend((q.id, o.id) for o in q.options)
    return slots, kinds, options


def tally_ballots(
    ballots: Iterable[Ballot],
    survey: SurveyLike,
    tz: str | ZoneInfo = DEFAULT_TIMEZONE,
    *,
    include_flagged: bool = False,
    from_date: date | None = None,
    to_date: date | None = None,
) -> Tallies:
    """Tally raw ballots (tests, small data, the edge days of a range).

    Ballots flagged ``misuse`` are left out unless ``include_flagged``. With ``from_date``/``to_date``
    only ballots whose local day lies in that inclusive span count. Answers to questions the survey
    does not rate (choice, text, unknown ids) are not tallied; a value that does not fit its question
    raises ValueError.

    ``tally_ballots([Ballot("2024-09-03T08:15:02+07:00", None, False, "cb01", {"tong_the": 5})], survey)``
    """
    zone = _zone(tz)
    slots, kinds, options = _survey_layout(survey)
    b = _Builder(slots)
    lane = b.index
    for ballot in ballots:
        if ballot.flagged_misuse and not include_flagged:
            continue
        local = bucket_instant(ballot).astimezone(zone)
        if (from_date is not None and local.date() < from_date) or (
            to_date is not None and local.date() > to_date
        ):
            continue
        counts = b.counts(f"{local.year:04d}-{local.month:02d}", ballot.staff_id)
        counts[0] += 1
        for question_id, value in ballot.answers.items():
            kind = kinds.get(question_id)
            if kind is None or value is None:
                continue
            if kind == "rating5":
                if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                    raise ValueError(f"question {question_id!r}: a rating must be 1–5 or null, got {value!r}")
                counts[lane[(question_id, _RATINGS[value - 1])]] += 1
            else:
                if not isinstance(value, list | tuple) or not all(isinstance(o, str) for o in value):
                    raise ValueError(
                        f"question {question_id!r}: a checklist answer must be a list of option ids, "
                        f"got {value!r}"
                    )
                ticked = set(value)
                unknown = ticked - options[question_id]
                if unknown:
                    raise ValueError(f"question {question_id!r}: unknown option {sorted(unknown)[0]!r}")
                counts[lane[(question_id, ANSWERED)]] += 1
                if not ticked:
                    counts[lane[(question_id, EMPTY)]] += 1
                for option_id in ticked:
                    counts[lane[(question_id, option_id)]] += 1
    return b.build()


# --- figures --------------------------------------------------------------------------------------------


def _picker(positions: Sequence[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A C-speed ``lambda seq: tuple(seq[i] for i in positions)`` (itemgetter, always a tuple)."""
    if len(positions) == 1:
        only = positions[0]
        return lambda seq: (seq[only],)
    if not positions:
        return lambda seq: ()
    return itemgetter(*positions)


@dataclass(frozen=True, slots=True)
class _Plan:
    """A survey compiled against a tally's lane layout; lane -1 reads a zero appended to the counts.

    Items are numbered rating5 questions first, then checklists; ``item_ids`` keeps survey order
    for the output. Groups name item numbers; ``friendly``/``sipas`` name group numbers.
    """

    item_ids: tuple[str, ...]
    ratings: tuple[str, ...]
    rating_lanes: tuple[tuple[int, ...], ...]  # per rating question: lanes of "1".."5"
    by_value: tuple[Callable[[Sequence[Any]], tuple[Any, ...]], ...]  # counts of value v, every rating
    checklists: tuple[tuple[str, int, int, tuple[tuple[str, int], ...]], ...]  # id, answered, empty, options
    overall: int  # item number of tong_the, or -1
    groups: tuple[tuple[str, Callable[[Sequence[Any]], tuple[Any, ...]]], ...]
    group_members: tuple[tuple[int, ...], ...]
    friendly: Callable[[Sequence[Any]], tuple[Any, ...]]
    sipas: Callable[[Sequence[Any]], tuple[Any, ...]]
    friendly_groups: tuple[int, ...]
    sipas_groups: tuple[int, ...]


def _compile(survey: SurveyLike, slots: Sequence[Slot]) -> _Plan:
    where = {s: i + 1 for i, s in enumerate(slots)}
    ratings = [q for q in survey.questions if q.type == "rating5"]
    checklists = [q for q in survey.questions if q.type == "checklist"]
    rating_lanes = tuple(tuple(where.get((q.id, v), -1) for v in _RATINGS) for q in ratings)
    number = {q.id: i for i, q in enumerate([*ratings, *checklists])}
    members = [
        tuple(number[q.id] for q in survey.questions if g.id in q.groups and q.id in number)
        for g in survey.groups
    ]
    friendly = tuple(i for i, g in enumerate(survey.groups) if g.friendly)
    sipas = tuple(i for i, g in enumerate(survey.groups) if g.sipas)
    return _Plan(
        item_ids=tuple(q.id for q in survey.questions if q.id in number),
        ratings=tuple(q.id for q in ratings),
        rating_lanes=rating_lanes,
        by_value=tuple(_picker([lanes[v] for lanes in rating_lanes]) for v in range(5)),
        checklists=tuple(
            (
                q.id,
                where.get((q.id, ANSWERED), -1),
                where.get((q.id, EMPTY), -1),
                tuple((o.id, where.get((q.id, o.id), -1)) for o in q.options),
            )
            for q in checklists
        ),
        overall=next((i for i, q in enumerate(ratings) if q.id == OVERALL), -1),
        groups=tuple((g.id, _picker(m)) for g, m in zip(survey.groups, members, strict=True)),
        group_members=tuple(members),
        friendly=_picker(friendly),
        sipas=_picker(sipas),
        friendly_groups=friendly,
        sipas_groups=sipas,
    )


# Figures that are means of means are summed in floats (fast); a float within this distance of a
# rounding tie is recomputed exactly from the counts, so the float error (~1e-13) never decides.
_TIE = 1e-7


def _round1(x: float) -> float | None:
    """x ≥ 0 rounded half up to 1 decimal, or None when x is too close to a tie to trust the float."""
    y = x * 10.0
    whole = int(y)
    d = y - whole - 0.5
    if -_TIE < d < _TIE:
        return None
    return (whole + (d > 0)) / 10


def _rounded(x: float) -> float:
    r = _round1(x)
    return r if r is not None else round_half_up(x, 1)


def _exact_item(plan: _Plan, c: list[int], number: int) -> Fraction | None:
    if number < len(plan.ratings):
        lanes = plan.rating_lanes[number]
        nq = sum(c[lane] for lane in lanes)
        return Fraction(100 * (c[lanes[3]] + c[lanes[4]]), nq) if nq else None
    _qid, answered, empty, _opts = plan.checklists[number - len(plan.ratings)]
    return Fraction(100 * c[empty], c[answered]) if c[answered] else None


def _exact_mean(values: Iterable[Fraction | None]) -> Fraction | None:
    known = [v for v in values if v is not None]
    return sum(known, Fraction(0)) / len(known) if known else None


def _exact_group(plan: _Plan, c: list[int], group: int) -> Fraction | None:
    return _exact_mean(_exact_item(plan, c, i) for i in plan.group_members[group])


def _exact_rounded(x: Fraction | None) -> float:
    assert x is not None, "a figure with data has an exact value"
    return round_half_up(x, 1)


def _figures(plan: _Plan, c: list[int], key: str | None, min_sample: int) -> Row:
    """One row from one key's summed counts ``c`` (lane 0 = ballots, last element = 0).

    Item figures are exact integer arithmetic; the loops run over whole columns (itemgetter, map)
    because this is the hot path of a province-wide ``by=staff``.
    """
    items: dict[str, Item] = dict.fromkeys(plan.item_ids)  # type: ignore[assignment]  # filled below
    ones, twos, threes, fours, fives = (pick(c) for pick in plan.by_value)
    sats = list(map(add, fours, fives))
    ns = list(map(add, map(add, map(add, ones, twos), threes), sats))
    figs: list[float | None] = [100 * s / n if n else None for s, n in zip(sats, ns, strict=True)]
    for qid, s, n in zip(plan.ratings, sats, ns, strict=True):
        items[qid] = {"n": n, "index": (2000 * s + n) // (2 * n) / 10} if n else {"n": 0, "index": None}
    for qid, answered, empty, opts in plan.checklists:
        na = c[answered]
        if na:
            e = c[empty]
            figs.append(100 * e / na)
            items[qid] = {
                "n": na,
                "index": (2000 * e + na) // (2 * na) / 10,
                "violation_rates": {oid: (2000 * c[lane] + na) // (2 * na) / 10 for oid, lane in opts},
            }
        else:
            figs.append(None)
            items[qid] = {"n": 0, "index": None, "violation_rates": {oid: None for oid, _ in opts}}

    sat_index = mean_score = ci95 = None
    o = plan.overall
    if o >= 0 and ns[o]:
        n_o, s_o = ns[o], sats[o]
        sat_index = (2000 * s_o + n_o) // (2 * n_o) / 10
        total = ones[o] + 2 * twos[o] + 3 * threes[o] + 4 * fours[o] + 5 * fives[o]
        mean_score = (200 * total + n_o) // (2 * n_o) / 100
        ci95 = _wilson_interval(s_o, n_o)

    groups: dict[str, float | None] = {}
    gfigs: list[float | None] = []
    for number, (gid, pick) in enumerate(plan.groups):
        known = pick(figs)
        if None in known:  # large samples rarely miss an item: filter only when needed
            known = tuple(f for f in known if f is not None)
        if known:
            g = sum(known) / len(known)
            r = _round1(g)
            gfigs.append(g)
            groups[gid] = r if r is not None else _exact_rounded(_exact_group(plan, c, number))
        else:
            gfigs.append(None)
            groups[gid] = None

    headline: list[float | None] = []
    for pick, chosen in ((plan.friendly, plan.friendly_groups), (plan.sipas, plan.sipas_groups)):
        known = pick(gfigs)
        if None in known:
            known = tuple(f for f in known if f is not None)
        h = _round1(sum(known) / len(known)) if known else None
        if known and h is None:
            h = _exact_rounded(_exact_mean(_exact_group(plan, c, i) for i in chosen))
        headline.append(h)

    n = c[0]
    return {
        "key": key,
        "n": n,
        "satisfaction_index": sat_index,
        "satisfaction_ci95": ci95,
        "mean_score": mean_score,
        "friendly_index": headline[0],
        "service_index": headline[1],
        "groups": groups,
        "items": items,
        "insufficient": n < min_sample,
    }


def _sort_key(key: str | None) -> tuple[bool, str]:
    return (key is None, key or "")


def compute_rows(
    tallies: Tallies,
    survey: SurveyLike,
    by: str = "none",
    period: str = "month",
    min_sample: int = DEFAULT_MIN_SAMPLE,
) -> list[Row]:
    """Every figure of indices.md, one row per key (rows with no ballots are left out).

    ``by="none"`` → one row keyed None; ``"staff"`` → one per officer id (None = "không rõ", last);
    ``"period"`` → one per ``period`` ("2024-09", "2024-Q3", "2024-H2", "2024"), in time order.
    """
    if by not in _BYS:
        raise ValueError(f"by must be one of {', '.join(_BYS)}, got {by!r}")
    if period not in _PERIODS:
        raise ValueError(f"period must be one of {', '.join(_PERIODS)}, got {period!r}")
    if isinstance(min_sample, bool) or not isinstance(min_sample, int) or min_sample < 0:
        raise ValueError(f"min_sample must be a non-negative integer, got {min_sample!r}")
    cells = tallies._cells
    sums: dict[str | None, int] = {}
    if by == "none":
        if cells:
            sums[None] = sum(cells.values())
    elif by == "staff":
        for (_month, staff_id), packed in cells.items():
            sums[staff_id] = sums.get(staff_id, 0) + packed
    else:
        keys: dict[str, str] = {}
        for (month, _staff_id), packed in cells.items():
            key = keys.get(month)
            if key is None:
                key = keys[month] = period_key(month, period)
            sums[key] = sums.get(key, 0) + packed
    plan = _compile(survey, tallies._slots)
    lanes = tallies._lanes
    ballot_mask = (1 << _LANE_BITS) - 1
    rows: list[Row] = []
    for key in sorted(sums, key=_sort_key):
        packed = sums[key]
        if not packed & ballot_mask:
            continue
        counts = _unpack(packed, lanes)
        counts.append(0)
        rows.append(_figures(plan, counts, key, min_sample))
    return rows


def indices_response(
    unit_code: str, from_date: date | str, to_date: date | str, rows: list[Row]
) -> dict[str, Any]:
    """The body of ``GET /api/v1/indices``: ``{"method", "unit", "from", "to", "rows"}``."""
    return {
        "method": METHOD,
        "unit": unit_code,
        "from": from_date.isoformat() if isinstance(from_date, date) else from_date,
        "to": to_date.isoformat() if isinstance(to_date, date) else to_date,
        "rows": rows,
    }

"""Validate and store a batch of responses: one result per item, one transaction per batch.

    results = ingest_batch(session, device, items, now=utcnow(), clock_offset_s=2.5)
    session.commit()

Rows go in with bulk Core inserts (never one ORM object per ballot), and the index tallies are
upserted in the same transaction, so reading figures never scans ballots.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from surveys.canonical import checked_hash

from . import alert_rules
from .models import (
    Device,
    Response,
    ResponseConflict,
    ResponseQuarantine,
    RollupBallots,
    RollupDayBallots,
    RollupDayTally,
    RollupTally,
    Staff,
    Tally,
    TallyBallots,
    TallyYear,
    TallyYearBallots,
    Unit,
    table_of,
)
from .tallying import SurveyRules, count_answers, stored_rules

__all__ = [
    "ALERT_NEGATIVE",
    "ALERT_VIOLATION",
    "IngestRules",
    "ItemResult",
    "SurveyRules",
    "canonical_hash",
    "ingest_batch",
    "rebuild_officer_years",
    "rebuild_rollups",
]

ALERT_NEGATIVE = "rat_khong_hai_long"
ALERT_VIOLATION = "vi_pham_5_khong"
OVERALL_QUESTION = "tong_the"
VIOLATION_QUESTION = "nam_khong"
# A low score's reason about money is the "5 không" violation it names (survey-format.md, follow-ups).
MONEY_REASONS = (("ly_do_chua_hai_long", "doi_tien_qua"),)
EARLIEST_CLOCK = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
MAX_COMMENT = 1000
MAX_TEXT_ANSWER = 1000
MAX_ID_CHARS = 100
MAX_SEQ = 2**62
# A seq this far above the highest one in line is out of line (a corrupt counter, or a probe): the
# ballot is stored, but it neither moves the device's seq nor counts the numbers skipped as gaps.
SEQ_JUMP_LIMIT = 1_000_000
# What the quarantine and conflict audit keep (see docs/decisions.md, "Ingest hardening").
MAX_AUDIT_RAW_BYTES = 64 * 1024
MAX_AUDIT_ROWS_PER_DAY = 1_000
NO_CONSENT = "[dropped: no consent]"
PHONE_CHARS = frozenset("0123456789+-. ()")
_ID_CHUNK = 500
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch


@dataclass(slots=True)  # not frozen: a frozen init costs a call per field, per ballot
class ItemResult:
    """The outcome for one item: `created`, `duplicate`, `conflict` or `rejected` (with `error`)."""

    id: str | None
    status: str
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "error": self.error}


@dataclass(frozen=True)
class IngestRules:
    """Thresholds of the clock and misuse rules (see docs/decisions.md)."""

    clock_future_s: float = 24 * 3600
    misuse_gap_s: float = 10.0
    misuse_run: int = 3


class _Reject(Exception):
    """An item broke a rule; the message says which."""


def canonical_hash(item: Any) -> str:
    """SHA-256 of the item's canonical JSON: sorted keys, no spaces, UTF-8. Equal hash = identical."""
    return checked_hash(item)[0]


def _without_contact(item: Any) -> Any:
    """The item as the audit may keep it: a contact without `"consent": true` is dropped."""
    if not isinstance(item, dict) or "contact" not in item:
        return item
    contact = item["contact"]
    if contact is None or (isinstance(contact, dict) and contact.get("consent") is True):
        return item
    return dict(item, contact=NO_CONSENT)


def _storable(text: str) -> str:
    """Text any database stores: lone surrogates and NUL written as JSON escapes (\\ud800, \\u0000)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text.replace("\x00", "\\u0000")


def _raw(item: Any) -> tuple[str, int]:
    """The audit copy of an item (at most MAX_AUDIT_RAW_BYTES of its JSON) and its full size in bytes."""
    item = _without_contact(item)
    try:
        text = json.dumps(item, ensure_ascii=False)
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate: JSON with every non-ASCII character escaped still reads back exactly.
        text = json.dumps(item, ensure_ascii=True)
        data = text.encode("utf-8")
    if len(data) <= MAX_AUDIT_RAW_BYTES:
        return text, len(data)
    return data[:MAX_AUDIT_RAW_BYTES].decode("utf-8", "ignore"), len(data)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _parse_time(value: Any, name: str) -> dt.datetime:
    if not isinstance(value, str) or len(value) > 40 or ("T" not in value and "t" not in value):
        raise _Reject(f"{name} must be an RFC 3339 time with an offset")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _Reject(f"{name} is not a valid RFC 3339 time: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        raise _Reject(f"{name} has no UTC offset")
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:
        raise _Reject(f"{name} lies outside the years 1–9999 once converted to UTC") from None


def _check_answer(qid: str, qtype: str, options: frozenset[str], value: Any) -> None:
    if value is None:
        if qtype == "checklist":
            raise _Reject(f"answer {qid!r} must be a list of option ids ([] for none)")
        return
    if qtype == "rating5":
        if type(value) is not int or not 1 <= value <= 5:
            raise _Reject(f"answer {qid!r} must be 1–5 or null")
    elif qtype == "checklist":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _Reject(f"answer {qid!r} must be a list of option ids")
        if len(set(value)) != len(value):
            raise _Reject(f"answer {qid!r} repeats an option")
        unknown = [v for v in value if v not in options]
        if unknown:
            raise _Reject(f"answer {qid!r} has an unknown option {unknown[0][:MAX_ID_CHARS]!r}")
    elif qtype == "choice":
        if not isinstance(value, str) or value not in options:
            raise _Reject(f"answer {qid!r} must be one of its option ids or null")
    elif qtype == "text":
        if not isinstance(value, str) or len(value) > MAX_TEXT_ANSWER:
            raise _Reject(f"answer {qid!r} must be text of at most {MAX_TEXT_ANSWER} characters")
    else:
        raise _Reject(f"question {qid!r} has a type this server cannot check: {qtype!r}")


@dataclass
class _Context:
    unit: Unit
    device: Device
    now: dt.datetime
    clock_offset_s: float | None
    rules: IngestRules
    surveys: dict[tuple[str, str], SurveyRules]
    staff_ids: frozenset[str]
    zone: ZoneInfo
    ancestry: tuple[int, ...]
    source: str = "kiosk"
    future_limit: dt.datetime = field(init=False)
    unit_id: int = field(init=False)
    device_id: str = field(init=False)

    def __post_init__(self) -> None:
        self.future_limit = self.now + dt.timedelta(seconds=self.rules.clock_future_s)
        # Plain copies: instrumented ORM attributes cost a call per access, per ballot.
        assert self.unit.id is not None
        self.unit_id, self.device_id = self.unit.id, self.device.id


# The `response` columns in the order a stored row (a list, one per ballot) holds them.
_COLUMNS = (
    "id",
    "unit_id",
    "device_id",
    "seq",
    "survey_id",
    "survey_version",
    "staff_id",
    "started_at",
    "submitted_at",
    "received_at",
    "clock_offset_s",
    "bucket_month",
    "bucket_day",
    "answers",
    "comment",
    "contact_phone",
    "lang",
    "clock_suspect",
    "misuse",
    "alert_kind",
    "has_comment",
    "content_hash",
    "source",
)
_SEQ, _SURVEY, _VERSION, _STAFF, _STARTED, _SUBMITTED, _RECEIVED = 3, 4, 5, 6, 7, 8, 9
_MONTH, _DAY, _ANSWERS, _MISUSE, _HASH = 11, 12, 13, 18, 21
_SENT_STARTED, _SENT_SUBMITTED = 23, 24
# Text kept per date and per hour across batches (bounded: cleared when it grows past a few years).
_MONTHS: dict[dt.date, str] = {}
_DAYS: dict[dt.date, str] = {}
_HOURS: dict[str, str] = {}


def _validate(item: dict[str, Any], rid: str, ctx: _Context) -> list[Any]:
    """The `response` row (a list in `_COLUMNS` order) for a valid item; raises _Reject naming the
    broken rule."""
    seq = item.get("seq")
    if type(seq) is not int or not 1 <= seq < MAX_SEQ:
        raise _Reject("seq must be a whole number ≥ 1")
    survey_id, version = item.get("survey_id"), item.get("survey_version")
    if not isinstance(survey_id, str) or not isinstance(version, str):
        raise _Reject("survey_id and survey_version must be strings")
    rules = ctx.surveys.get((survey_id, version))
    if rules is None:
        raise _Reject(f"unknown survey or version: {survey_id[:MAX_ID_CHARS]!r} {version[:MAX_ID_CHARS]!r}")
    staff_id = item.get("staff_id")
    if staff_id is not None and (not isinstance(staff_id, str) or staff_id not in ctx.staff_ids):
        shown = staff_id[:MAX_ID_CHARS] if isinstance(staff_id, str) else staff_id
        raise _Reject(f"staff_id {shown!r} is not an officer of this unit")
    started_at = _parse_time(item.get("started_at"), "started_at")
    submitted_at = _parse_time(item.get("submitted_at"), "submitted_at")
    answers = item.get("answers")
    if not isinstance(answers, dict):
        raise _Reject("answers must be an object")
    types = rules.types
    for qid, value in answers.items():
        qtype = types.get(qid)
        if qtype is None:
            raise _Reject(f"unknown question {qid[:MAX_ID_CHARS]!r}")
        if qtype == "rating5" and (value is None or (type(value) is int and 1 <= value <= 5)):
            continue  # the common case, without a call
        _check_answer(qid, qtype, rules.options[qid], value)
    for qid in rules.required:
        if answers.get(qid) is None:
            raise _Reject(f"required question {qid!r} has no answer")
    comment = item.get("comment")
    if comment is not None:
        if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
            raise _Reject(f"comment must be text of at most {MAX_COMMENT} characters, or null")
        if "\x00" in comment:
            raise _Reject("comment contains a NUL character")
        comment = unicodedata.normalize("NFC", comment)
    phone = None
    contact = item.get("contact")
    if contact is not None:
        if not isinstance(contact, dict):
            raise _Reject('contact must be {"phone": …, "consent": true} or null')
        raw_phone, consent = contact.get("phone"), contact.get("consent")
        if not isinstance(raw_phone, str) or not isinstance(consent, bool):
            raise _Reject("contact needs a phone string and a consent true/false")
        if (
            len(raw_phone) > 32
            or not set(raw_phone) <= PHONE_CHARS
            or not any(c.isdigit() for c in raw_phone)
        ):
            raise _Reject("contact phone is not a phone number")
        # Without explicit consent the number is never stored (personal-data law, 2025).
        phone = raw_phone.strip() if consent else None
    lang = item.get("lang")
    if lang not in ("vi", "en"):
        raise _Reject('lang must be "vi" or "en"')

    now = ctx.now
    clock_suspect = submitted_at > ctx.future_limit or submitted_at < EARLIEST_CLOCK
    local = (now if clock_suspect else submitted_at).astimezone(ctx.zone)
    day = local.date()
    month = _MONTHS.get(day)
    if month is None:
        month = _MONTHS[day] = f"{day.year:04d}-{day.month:02d}"
    alert = None
    if answers.get(OVERALL_QUESTION) == 1:
        alert = ALERT_NEGATIVE
    violation = types.get(VIOLATION_QUESTION) == "checklist" and bool(answers.get(VIOLATION_QUESTION))
    if violation or any(
        types.get(qid) == "checklist" and option in (answers.get(qid) or ()) for qid, option in MONEY_REASONS
    ):
        alert = f"{alert},{ALERT_VIOLATION}" if alert else ALERT_VIOLATION
    return [
        rid,
        ctx.unit_id,
        ctx.device_id,
        seq,
        survey_id,
        version,
        staff_id,
        started_at,
        submitted_at,
        now,
        ctx.clock_offset_s,
        month,
        day,
        answers,
        comment,
        phone,
        lang,
        clock_suspect,
        False,
        alert,
        bool(comment and comment.strip()),
        "",
        ctx.source,
        item["started_at"],  # as sent: past the columns, for `_sqlite_time`
        item["submitted_at"],
    ]


def _existing(session: Session, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """(content_hash, device_id) of the ids already stored; driver-level SQL, since compiling an
    IN list of hundreds of bound values costs SQLAlchemy more than the lookup itself."""
    found: dict[str, tuple[str, str]] = {}
    mark = "?" if session.get_bind().dialect.name == "sqlite" else "%s"
    connection = session.connection()
    for start in range(0, len(ids), _ID_CHUNK):
        chunk = tuple(ids[start : start + _ID_CHUNK])
        sql = (
            f"SELECT id, content_hash, device_id FROM response WHERE id IN ({', '.join(mark for _ in chunk)})"
        )
        for rid, content_hash, device_id in connection.exec_driver_sql(sql, chunk):
            found[rid] = (content_hash, device_id)
    return found


def _flag_misuse(rows: list[list[Any]], device: Device, rules: IngestRules) -> None:
    """Flag runs of ballots submitted seconds apart (see docs/decisions.md), in seq order."""
    last_at, run = device.last_submitted_at, device.burst_run
    last_seq, gap_s, min_run = device.last_seq, rules.misuse_gap_s, rules.misuse_run
    for row in sorted(rows, key=itemgetter(_SEQ)):
        if row[_SEQ] <= last_seq:
            continue  # a late gap filler: its neighbours were judged already
        at = row[_SUBMITTED]
        gap = (at - last_at).total_seconds() if last_at is not None else None
        run = run + 1 if gap is not None and 0 <= gap < gap_s else 1
        row[_MISUSE] = run >= min_run
        last_at = at
    device.last_submitted_at, device.burst_run = last_at, run


def _track_seq(seqs: Iterable[int], device: Device) -> None:
    last, gaps = device.last_seq, device.seq_gaps
    for seq in sorted(set(seqs)):
        if seq > last + SEQ_JUMP_LIMIT:
            break  # out of line: neither the device's seq nor a gap (see docs/decisions.md)
        if seq > last:
            gaps += seq - last - 1
            last = seq
        elif seq < last and gaps > 0:
            gaps -= 1
    device.last_seq, device.seq_gaps = last, gaps


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
# The text `_JSON.encode(answers)` writes, from the C encoder built once instead of on every call.
_C_JSON = (
    _c_make_encoder(None, _JSON.default, json.encoder.encode_basestring, None, ":", ",", False, False, True)
    if _c_make_encoder is not None
    else None
)


def _answers_json(answers: dict[str, Any]) -> str:
    return "".join(_C_JSON(answers, 0)) if _C_JSON is not None else _JSON.encode(answers)


def _sqlite_time(sent: str, utc: dt.datetime) -> str:
    """The text SQLAlchemy's SQLite DATETIME writes for `utc` ("2024-09-03 01:15:02.000000"), so reads
    and comparisons agree. Formatting a datetime costs ~15,000 instructions (replace + isoformat):
    for a time sent to the second with a whole-hour offset ("2024-09-03T08:15:02+07:00", what kiosks
    send) only the date and hour change, so the UTC "YYYY-MM-DD HH" is kept per sent hour and offset."""
    if len(sent) == 25 and sent[19] in "+-" and sent.endswith(":00") and sent[10:17:3] in ("T::", "t::"):
        key = sent[:13] + sent[19:]
        hour = _HOURS.get(key)
        if hour is None:
            hour = _HOURS[key] = utc.replace(tzinfo=None).isoformat(" ")[:13]
        return f"{hour}{sent[13:19]}.000000"
    return utc.replace(tzinfo=None).isoformat(" ", "microseconds")


def _insert_responses(session: Session, rows: list[list[Any]]) -> None:
    """One driver-level executemany of the batch's rows, with the values as each database keeps them."""
    connection = session.connection()
    names = ", ".join(_COLUMNS)
    if connection.dialect.name == "sqlite":
        encode = _answers_json
        received = rows[0][_RECEIVED]
        received_text = _sqlite_time(received.isoformat(), received.astimezone(dt.UTC))
        width = len(_COLUMNS)
        days = _DAYS
        params = []
        for row in rows:
            values = row[:width]
            values[_STARTED] = _sqlite_time(row[_SENT_STARTED], row[_STARTED])
            values[_SUBMITTED] = _sqlite_time(row[_SENT_SUBMITTED], row[_SUBMITTED])
            values[_RECEIVED] = received_text
            day = row[_DAY]
            text = days.get(day)
            if text is None:
                text = days[day] = day.isoformat()
            values[_DAY] = text
            values[_ANSWERS] = encode(row[_ANSWERS])
            params.append(tuple(values))
        if len(_HOURS) > 100_000 or len(_DAYS) > 10_000 or len(_MONTHS) > 10_000:
            for cache in (_HOURS, _DAYS, _MONTHS):
                cache.clear()
        marks = ", ".join("?" for _ in _COLUMNS)
        connection.exec_driver_sql(f"INSERT INTO response ({names}) VALUES ({marks})", params)
        return
    # PostgreSQL: one statement over column arrays (`unnest`), not a protocol round per row.
    table = table_of(Response)
    types = [table.c[name].type.compile(dialect=connection.dialect) for name in _COLUMNS]
    arrays = ", ".join(f"%s::{kind}[]" for kind in types)
    columns: list[list[Any]] = [[row[i] for row in rows] for i in range(len(_COLUMNS))]
    columns[_ANSWERS] = [_answers_json(answers) for answers in columns[_ANSWERS]]
    sql = f"INSERT INTO response ({names}) SELECT * FROM unnest({arrays})"
    connection.exec_driver_sql(sql, tuple(columns))


def _upsert(session: Session, table: Table, keys: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Add counts: `INSERT … ON CONFLICT (keys) DO UPDATE SET count = count + excluded.count`
    (one executemany on SQLite; one statement over `unnest` column arrays on PostgreSQL).
    Each row is the key's values, in `keys` order, then the count."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise RuntimeError(f"tallies need SQLite or PostgreSQL, not {dialect}")
    names = [*keys, "count"]
    conflict = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET count = {table.name}.count + excluded.count"
    connection = session.connection()
    if dialect == "postgresql":
        # One statement over column arrays: an executemany costs a round of the protocol per row
        # (~2,000 rows per 1,000 ballots), which made the upsert the largest part of an ingest.
        # The rows are pre-aggregated per key, so no key appears twice in the statement.
        types = [table.c[n].type.compile(dialect=connection.dialect) for n in names]
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}) {conflict}"
        connection.exec_driver_sql(sql, tuple(list(column) for column in zip(*rows, strict=True)))
        return
    marks = ", ".join("?" for _ in names)
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks}) {conflict}"
    connection.exec_driver_sql(sql, rows)


_TALLY_KEYS = ("unit_id", "survey_id", "month", "staff_key", "question_id", "value", "flagged")
_BALLOT_KEYS = ("unit_id", "survey_id", "month", "staff_key", "flagged")
_ROLLUP_KEYS = ("unit_id", "survey_id", "month", "question_id", "value", "flagged")
_ROLLUP_BALLOT_KEYS = ("unit_id", "survey_id", "month", "flagged")
_DAY_KEYS = ("unit_id", "survey_id", "day", "question_id", "value", "flagged")
_DAY_BALLOT_KEYS = ("unit_id", "survey_id", "day", "flagged")
_YEAR_KEYS = ("unit_id", "survey_id", "year", "staff_key", "question_id", "value", "flagged")
_YEAR_BALLOT_KEYS = ("unit_id", "survey_id", "year", "staff_key", "flagged")

# table name → (model, key columns, per-officer: only the ballot's own unit, else it and its ancestors)
_TABLES: dict[str, tuple[type[Any], tuple[str, ...], bool]] = {
    "tally": (Tally, _TALLY_KEYS, True),
    "tally_ballots": (TallyBallots, _BALLOT_KEYS, True),
    "tally_year": (TallyYear, _YEAR_KEYS, True),
    "tally_year_ballots": (TallyYearBallots, _YEAR_BALLOT_KEYS, True),
    "rollup_tally": (RollupTally, _ROLLUP_KEYS, False),
    "rollup_ballots": (RollupBallots, _ROLLUP_BALLOT_KEYS, False),
    "rollup_day_tally": (RollupDayTally, _DAY_KEYS, False),
    "rollup_day_ballots": (RollupDayBallots, _DAY_BALLOT_KEYS, False),
}
_MONTH_TABLES = (
    "tally",
    "tally_ballots",
    "tally_year",
    "tally_year_ballots",
    "rollup_tally",
    "rollup_ballots",
)
_DAY_TABLES = ("rollup_day_tally", "rollup_day_ballots")


def _add(target: dict[Any, int], key: Any, n: int) -> None:
    target[key] = target.get(key, 0) + n


def _aggregate(
    groups: dict[tuple[Any, ...], list[dict[str, Any]]],
    surveys: dict[tuple[str, str], SurveyRules],
    sqlite: bool,
    tables: Sequence[str] = tuple(_TABLES),
) -> dict[str, dict[tuple[Any, ...], int]]:
    """The counts of each tally and roll-up table (without the unit), keyed by table name.

    `groups` holds the answers of checked ballots per (survey, version, month, officer key, day,
    flagged) cell. Each cell is counted once by the kernel, then folded into the cells of each table:
    a month is a function of the day, so no count is lost or doubled."""
    officer: dict[tuple[Any, ...], dict[tuple[str, str], int]] = {}
    officer_n: dict[tuple[Any, ...], int] = {}
    day: dict[tuple[Any, ...], dict[tuple[str, str], int]] = {}
    day_n: dict[tuple[Any, ...], int] = {}
    want_months = any(name in _MONTH_TABLES for name in tables)
    want_days = any(name in _DAY_TABLES for name in tables)
    for (survey_id, version, month, staff_key, day_key, flagged), answer_sets in groups.items():
        counts = count_answers(answer_sets, surveys[(survey_id, version)].types)
        n = len(answer_sets)
        if want_months:
            key = (survey_id, month, staff_key, flagged)
            _add(officer_n, key, n)
            target = officer.setdefault(key, {})
            for pair, k in counts.items():
                target[pair] = target.get(pair, 0) + k
        if want_days:
            day_cell = (survey_id, day_key.isoformat() if sqlite else day_key, flagged)
            _add(day_n, day_cell, n)
            target = day.setdefault(day_cell, {})
            for pair, k in counts.items():
                target[pair] = target.get(pair, 0) + k
    out: dict[str, dict[tuple[Any, ...], int]] = {name: {} for name in tables}
    tally, month_rollup = out.get("tally", {}), out.get("rollup_tally", {})
    year_tally = out.get("tally_year", {})
    for (survey_id, month, staff_key, flagged), counts in officer.items():
        year = month[:4]
        for (qid, value), n in counts.items():
            tally[(survey_id, month, staff_key, qid, value, flagged)] = n
            _add(month_rollup, (survey_id, month, qid, value, flagged), n)
            _add(year_tally, (survey_id, year, staff_key, qid, value, flagged), n)
    tally_ballots, month_ballots = out.get("tally_ballots", {}), out.get("rollup_ballots", {})
    year_ballots = out.get("tally_year_ballots", {})
    for (survey_id, month, staff_key, flagged), n in officer_n.items():
        year = month[:4]
        tally_ballots[(survey_id, month, staff_key, flagged)] = n
        _add(month_ballots, (survey_id, month, flagged), n)
        _add(year_ballots, (survey_id, year, staff_key, flagged), n)
    day_tally = out.get("rollup_day_tally", {})
    for (survey_id, day_key, flagged), counts in day.items():
        for (qid, value), n in counts.items():
            day_tally[(survey_id, day_key, qid, value, flagged)] = n
    if "rollup_day_ballots" in out:
        out["rollup_day_ballots"].update((key, n) for key, n in day_n.items())
    return out


def _write_counts(
    session: Session, counts: dict[str, dict[tuple[Any, ...], int]], own: int, chain: Sequence[int]
) -> None:
    postgresql = session.get_bind().dialect.name == "postgresql"
    for name, by_key in counts.items():
        model, keys, per_officer = _TABLES[name]
        # Sorted keys on PostgreSQL: concurrent batches lock shared roll-up rows in one order, no cycle.
        items = sorted(by_key.items()) if postgresql else by_key.items()
        units = (own,) if per_officer else chain
        _upsert(session, table_of(model), keys, [(unit, *key, n) for unit in units for key, n in items])


def _group(rows: Iterable[Sequence[Any]]) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    """Stored rows' answers per (survey, version, month, officer key, day, flagged) cell."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        key = (row[_SURVEY], row[_VERSION], row[_MONTH], row[_STAFF] or "", row[_DAY], bool(row[_MISUSE]))
        answer_sets = groups.get(key)
        if answer_sets is None:
            groups[key] = [row[_ANSWERS]]
        else:
            answer_sets.append(row[_ANSWERS])
    return groups


def _store_tallies(session: Session, ctx: _Context, rows: list[list[Any]]) -> None:
    """Upsert the batch's per-officer tallies and the roll-ups of its unit and each ancestor."""
    counts = _aggregate(_group(rows), ctx.surveys, session.get_bind().dialect.name == "sqlite")
    _write_counts(session, counts, ctx.unit_id, ctx.ancestry)


# (unit, ancestor) for every unit and each unit above it, itself included.
_CLOSURE = """WITH RECURSIVE closure (unit_id, ancestor_id) AS (
    SELECT id, id FROM unit
    UNION ALL
    SELECT closure.unit_id, unit.parent_id FROM closure JOIN unit ON unit.id = closure.ancestor_id
    WHERE unit.parent_id IS NOT NULL
)"""


def rebuild_rollups(session: Session) -> None:
    """Refill every roll-up: months and the officers' years from the per-officer month tallies
    (one INSERT … SELECT each), days from the stored ballots, unit by unit. For data loaded around
    ingest (benchmarks, migration 0010) and for a change of a unit's parent, which no command makes
    today (see docs/decisions.md). The caller commits."""
    connection = session.connection()
    for name in ("rollup_tally", "rollup_ballots", "rollup_day_tally", "rollup_day_ballots"):
        connection.exec_driver_sql(f"DELETE FROM {name}")
    rebuild_officer_years(session)
    connection.exec_driver_sql(
        f"""INSERT INTO rollup_tally (unit_id, survey_id, month, question_id, value, flagged, count)
        {_CLOSURE}
        SELECT closure.ancestor_id, t.survey_id, t.month, t.question_id, t.value, t.flagged, sum(t.count)
        FROM tally t JOIN closure ON closure.unit_id = t.unit_id
        GROUP BY closure.ancestor_id, t.survey_id, t.month, t.question_id, t.value, t.flagged"""
    )
    connection.exec_driver_sql(
        f"""INSERT INTO rollup_ballots (unit_id, survey_id, month, flagged, count)
        {_CLOSURE}
        SELECT closure.ancestor_id, t.survey_id, t.month, t.flagged, sum(t.count)
        FROM tally_ballots t JOIN closure ON closure.unit_id = t.unit_id
        GROUP BY closure.ancestor_id, t.survey_id, t.month, t.flagged"""
    )
    surveys = stored_rules(session)
    sqlite = session.get_bind().dialect.name == "sqlite"
    columns = [col(Response.survey_id), col(Response.survey_version), col(Response.bucket_day)]
    columns += [col(Response.answers), col(Response.misuse)]
    unit_ids = session.execute(select(col(Response.unit_id)).distinct()).scalars().all()
    for unit_id in sorted(unit_ids):
        unit = session.get(Unit, unit_id)
        assert unit is not None
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for survey_id, version, day, answers, misuse in session.execute(
            select(*columns).where(col(Response.unit_id) == unit_id)
        ):
            # Only the day roll-ups are made here: the month and officer keys are not needed.
            groups.setdefault((survey_id, version, "", "", day, bool(misuse)), []).append(answers)
        counts = _aggregate(groups, surveys, sqlite, _DAY_TABLES)
        _write_counts(session, counts, unit_id, _ancestry(session, unit))


def rebuild_officer_years(session: Session) -> None:
    """Refill the officers' year tallies from their month tallies. The caller commits."""
    connection = session.connection()
    for name in ("tally_year", "tally_year_ballots"):
        connection.exec_driver_sql(f"DELETE FROM {name}")
    connection.exec_driver_sql(
        """INSERT INTO tally_year (unit_id, survey_id, year, staff_key, question_id, value, flagged, count)
        SELECT unit_id, survey_id, substr(month, 1, 4), staff_key, question_id, value, flagged, sum(count)
        FROM tally GROUP BY unit_id, survey_id, substr(month, 1, 4), staff_key, question_id, value, flagged"""
    )
    connection.exec_driver_sql(
        """INSERT INTO tally_year_ballots (unit_id, survey_id, year, staff_key, flagged, count)
        SELECT unit_id, survey_id, substr(month, 1, 4), staff_key, flagged, sum(count)
        FROM tally_ballots GROUP BY unit_id, survey_id, substr(month, 1, 4), staff_key, flagged"""
    )


def _ancestry(session: Session, unit: Unit) -> tuple[int, ...]:
    """The unit's id and those of every unit above it, nearest first."""
    assert unit.id is not None
    chain = [unit.id]
    parent = unit.parent_id
    while parent is not None and parent not in chain:
        chain.append(parent)
        parent = session.execute(
            select(col(Unit.parent_id)).where(col(Unit.id) == parent)
        ).scalar_one_or_none()
    return tuple(chain)


_RACE_RETRIES = 5


def _classify(
    session: Session, ctx: _Context, prepared: list[tuple[Any, str | None, str | None, str, str | None]]
) -> tuple[list[ItemResult], list[list[Any]], list[tuple[str, dict[str, Any], Any]], list[int]]:
    """Results in input order, the rows to store, the audit rows (table, row) and the seqs received."""
    now, device_id, unit_id = ctx.now, ctx.device_id, ctx.unit_id
    existing = _existing(session, sorted({p[2] for p in prepared if p[2] is not None}))
    results: list[ItemResult] = []
    created: list[list[Any]] = []
    audit: list[tuple[str, dict[str, Any], Any]] = []
    received_seqs: list[int] = []
    for item, raw_id, rid, content_hash, problem in prepared:
        # Text columns cannot hold NUL or a lone surrogate: the id is kept escaped (`raw` has it exactly).
        if raw_id is None:
            shown_id = None
        elif rid == raw_id:
            shown_id = raw_id  # a canonical UUID: nothing to escape or cut
        else:
            shown_id = _storable(raw_id[:MAX_ID_CHARS])
        if rid is not None and rid in existing:
            first_hash, first_device = existing[rid]
            if first_hash == content_hash and first_device == device_id:
                results.append(ItemResult(shown_id, "duplicate"))
                continue
            audit.append(
                (
                    "conflict",
                    {
                        "response_id": rid,
                        "device_id": device_id,
                        "received_at": now,
                        "content_hash": content_hash,
                    },
                    item,
                )
            )
            results.append(
                ItemResult(shown_id, "conflict", "this id was stored before with different content")
            )
            continue
        try:
            if not isinstance(item, dict):
                raise _Reject("an item must be a JSON object")
            if rid is None:
                raise _Reject("id must be a UUID string")
            if problem is not None:
                raise _Reject(problem)
            row = _validate(item, rid, ctx)
        except _Reject as reason:
            seq = item.get("seq") if isinstance(item, dict) else None
            # Only a seq that passes the rule counts as received: a huge one would overflow BIGINT.
            if type(seq) is int and 1 <= seq < MAX_SEQ:
                received_seqs.append(seq)
            text = _storable(str(reason))
            audit.append(
                (
                    "quarantine",
                    {
                        "response_id": shown_id,
                        "device_id": device_id,
                        "unit_id": unit_id,
                        "received_at": now,
                        "reason": text,
                    },
                    item,
                )
            )
            results.append(ItemResult(shown_id, "rejected", text))
            continue
        row[_HASH] = content_hash
        existing[rid] = (content_hash, device_id)  # a repeat later in the same batch is a replay
        created.append(row)
        received_seqs.append(row[_SEQ])
        results.append(ItemResult(shown_id, "created"))
    return results, created, audit, received_seqs


def _store_audit(session: Session, ctx: _Context, audit: list[tuple[str, dict[str, Any], Any]]) -> None:
    """Keep refused items, at most MAX_AUDIT_ROWS_PER_DAY per device per local day; count the rest."""
    if not audit:
        return
    local = ctx.now.astimezone(ctx.zone)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)
    kept = 0
    for model in (ResponseQuarantine, ResponseConflict):
        kept += session.execute(
            select(func.count())
            .select_from(model)
            .where(col(model.device_id) == ctx.device_id, col(model.received_at) >= day_start)
        ).scalar_one()
    room = max(0, MAX_AUDIT_ROWS_PER_DAY - kept)
    stored, dropped = audit[:room], len(audit) - min(room, len(audit))
    quarantine: list[dict[str, Any]] = []
    conflicts: list[dict[str, Any]] = []
    for kind, row, item in stored:  # the raw copy is made only for what is kept
        row["raw"], row["raw_size"] = _raw(item)
        (quarantine if kind == "quarantine" else conflicts).append(row)
    if conflicts:
        session.execute(insert(table_of(ResponseConflict)), conflicts)
    if quarantine:
        session.execute(insert(table_of(ResponseQuarantine)), quarantine)
    if dropped:
        ctx.device.audit_dropped = (ctx.device.audit_dropped or 0) + dropped


def _prepare(items: list[Any]) -> list[tuple[Any, str | None, str | None, str, str | None]]:
    """(item, its id if a string, its canonical UUID or None, content hash, unstorable-text problem)."""
    prepared: list[tuple[Any, str | None, str | None, str, str | None]] = []
    for item in items:
        raw_id = item.get("id") if isinstance(item, dict) else None
        rid: str | None = None
        if isinstance(raw_id, str) and len(raw_id) <= MAX_ID_CHARS:
            if _CANONICAL_UUID(raw_id) is not None:
                rid = raw_id  # already the form str(uuid.UUID(...)) gives: skip the parse
            else:
                try:
                    rid = str(uuid.UUID(raw_id))
                except ValueError:
                    rid = None
        content_hash, problem = checked_hash(item)
        prepared.append((item, raw_id if isinstance(raw_id, str) else None, rid, content_hash, problem))
    return prepared


def ingest_batch(
    session: Session,
    device: Device,
    items: list[Any],
    now: dt.datetime,
    *,
    clock_offset_s: float | None = None,
    rules: IngestRules | None = None,
    source: str = "kiosk",
) -> list[ItemResult]:
    """Validate and stage every item of a batch; the caller commits. Results come in input order.
    `source` is stored on each ballot: "kiosk", or "web" for a phone ballot."""
    rules = rules or IngestRules()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # Two batches of one device never interleave: the device row is the lock, and its seq and
        # misuse state are re-read under it (the caller may have loaded them before waiting).
        if device in session:
            session.refresh(device, with_for_update=True)
        else:
            session.execute(select(col(Device.id)).where(col(Device.id) == device.id).with_for_update())
    unit = session.get(Unit, device.unit_id)
    assert unit is not None and unit.id is not None
    ctx = _Context(
        unit=unit,
        device=device,
        now=now,
        clock_offset_s=clock_offset_s,
        rules=rules,
        surveys=stored_rules(session),
        staff_ids=frozenset(
            session.execute(select(col(Staff.id)).where(col(Staff.unit_id) == unit.id)).scalars()
        ),
        zone=_zone(unit.timezone),
        ancestry=_ancestry(session, unit),
        source=source,
    )
    prepared = _prepare(items)

    state = (device.last_seq, device.seq_gaps, device.last_submitted_at, device.burst_run)
    postgresql = dialect == "postgresql"
    for attempt in range(_RACE_RETRIES):
        outcome = _classify(session, ctx, prepared)
        results, created, audit, received_seqs = outcome
        _flag_misuse(created, device, rules)
        _track_seq(received_seqs, device)
        if not created:
            break
        if not postgresql:  # SQLite: the batch holds the write lock, no other writer can race
            _insert_responses(session, created)
            break
        # Another device may store the same id between the lookup and the insert: its commit makes
        # ours fail on the unique key; the batch is then judged again (that id is now a conflict).
        savepoint = session.begin_nested()
        try:
            _insert_responses(session, created)
        except IntegrityError:
            savepoint.rollback()
            device.last_seq, device.seq_gaps, device.last_submitted_at, device.burst_run = state
            if attempt == _RACE_RETRIES - 1:
                raise
            continue
        savepoint.commit()
        break
    if created:
        # The batch's stored ballots (rows in `_COLUMNS` order) are all known here.
        _store_tallies(session, ctx, created)
        # The rows carry the sent times as text after the columns: the rules read the columns only.
        stored = [dict(zip(_COLUMNS, row, strict=False)) for row in created]
        alert_rules.after_ingest(session, unit.id, ctx.ancestry, stored, now, ctx.zone)
    _store_audit(session, ctx, audit)
    device.last_seen = now
    if clock_offset_s is not None:
        device.clock_offset_s = clock_offset_s
    session.execute(
        update(Device)
        .where(col(Device.id) == device.id)
        .values(
            last_seen=device.last_seen,
            clock_offset_s=device.clock_offset_s,
            last_seq=device.last_seq,
            seq_gaps=device.seq_gaps,
            last_submitted_at=device.last_submitted_at,
            burst_run=device.burst_run,
            audit_dropped=device.audit_dropped,
        )
    )
    return results

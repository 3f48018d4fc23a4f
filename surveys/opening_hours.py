"""A unit's opening hours: the shape both sides share, a text form for the command line, and checks.

In the configuration (`settings.opening_hours`, sync protocol, additive) the hours are a JSON object
from weekday to a list of [open, close] local times; a day left out is closed, and no object at all
means always open:

    >>> hours = parse_hours("T2-T6 07:30-11:30, 13:30-17:00; T7 07:30-11:30")
    >>> hours["mon"], hours["sat"], "sun" in hours
    ([['07:30', '11:30'], ['13:30', '17:00']], [['07:30', '11:30']], False)
    >>> from datetime import datetime
    >>> is_open(hours, datetime(2026, 12, 7, 9, 0)), is_open(hours, datetime(2026, 12, 7, 12, 0))
    (True, False)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

__all__ = ["DAYS", "HoursError", "check_hours", "describe_hours", "is_open", "parse_hours"]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_WORDS = {
    **{f"t{n}": DAYS[n - 2] for n in range(2, 8)},
    "cn": "sun",
    **{d: d for d in DAYS},
}
_VI_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
_EN_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

Hours = dict[str, list[list[str]]]


class HoursError(ValueError):
    """Opening hours that cannot be used; the message says what is wrong in one sentence."""


def _minutes(text: str) -> int:
    match = _TIME.match(text)
    if not match:
        raise HoursError(f"{text!r} is not a time like 07:30.")
    return int(match.group(1)) * 60 + int(match.group(2))


def check_hours(data: Any) -> Hours:
    """The configuration's `opening_hours` object, checked and normalised (days in week order).

    >>> check_hours({"mon": [["13:30", "17:00"], ["07:30", "11:30"]]})
    {'mon': [['07:30', '11:30'], ['13:30', '17:00']]}
    """
    if not isinstance(data, Mapping):
        raise HoursError("opening hours must be an object from weekday to [open, close] times.")
    hours: Hours = {}
    for day in DAYS:
        spans = data.get(day)
        if spans is None:
            continue
        if not isinstance(spans, list) or not all(
            isinstance(s, list) and len(s) == 2 and all(isinstance(t, str) for t in s) for s in spans
        ):
            raise HoursError(f"opening hours for {day} must be a list of [open, close] times.")
        ordered = sorted(spans, key=lambda s: _minutes(s[0]))
        end = -1
        for start, close in ordered:
            if _minutes(close) <= _minutes(start):
                raise HoursError(f"on {day}, {start}-{close} closes before it opens.")
            if _minutes(start) < end:
                raise HoursError(f"on {day}, the opening times overlap.")
            end = _minutes(close)
        if ordered:
            hours[day] = [list(s) for s in ordered]
    unknown = set(data) - set(DAYS)
    if unknown:
        raise HoursError(f"unknown weekday {sorted(unknown)[0]!r} in the opening hours (use mon … sun).")
    return hours


def parse_hours(text: str) -> Hours:
    """ "T2-T6 07:30-11:30, 13:30-17:00; T7 07:30-11:30" (or mon-fri …) → the configuration's object."""
    hours: dict[str, list[list[str]]] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        days_text, _, times_text = part.partition(" ")
        days = _day_range(days_text)
        spans = []
        for span in (s.strip() for s in times_text.split(",")):
            start, dash, close = span.replace("–", "-").partition("-")
            if not dash:
                raise HoursError(f"{span!r} should look like 07:30-11:30.")
            spans.append([start.strip(), close.strip()])
        for day in days:
            hours.setdefault(day, []).extend(spans)
    if not hours:
        raise HoursError('give the hours like "T2-T6 07:30-11:30, 13:30-17:00; T7 07:30-11:30".')
    return check_hours(hours)


def _day_range(text: str) -> list[str]:
    first, dash, last = text.lower().replace("–", "-").partition("-")
    try:
        a = DAYS.index(_DAY_WORDS[first])
        b = DAYS.index(_DAY_WORDS[last]) if dash else a
    except KeyError:
        raise HoursError(f"{text!r} is not a weekday or a range like T2-T6 (T2 … T7, CN).") from None
    if b < a:
        raise HoursError(f"{text!r}: the week runs from T2 (Monday) to CN (Sunday).")
    return list(DAYS[a : b + 1])


def is_open(hours: Mapping[str, list[list[str]]] | None, now: datetime) -> bool:
    """True when `now` (local time of the unit) is inside the hours; None hours: always open."""
    if hours is None:
        return True
    minute = now.hour * 60 + now.minute
    spans = hours.get(DAYS[now.weekday()], [])
    return any(_minutes(start) <= minute < _minutes(close) for start, close in spans)


def describe_hours(hours: Mapping[str, list[list[str]]], lang: str = "vi") -> list[str]:
    """One line per run of days with the same hours, for the kiosk's resting screen.

    >>> describe_hours(parse_hours("T2-T6 07:30-11:30, 13:30-17:00; T7 07:30-11:30"))
    ['Thứ Hai – Thứ Sáu: 07:30–11:30, 13:30–17:00', 'Thứ Bảy: 07:30–11:30']
    """
    names = _EN_NAMES if lang == "en" else _VI_NAMES
    lines: list[str] = []
    i = 0
    while i < len(DAYS):
        spans = hours.get(DAYS[i])
        j = i
        while j + 1 < len(DAYS) and hours.get(DAYS[j + 1]) == spans:
            j += 1
        if spans:
            days = names[i] if i == j else f"{names[i]} – {names[j]}"
            lines.append(f"{days}: " + ", ".join(f"{a}–{b}" for a, b in spans))
        i = j + 1
    return lines

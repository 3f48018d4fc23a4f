"""Numbers, dates and changes as a reader of each language expects them.

>>> Fmt("vi").pct(85.25), Fmt("en").pct(85.25), Fmt("vi").int(12345)
('85,3', '85.3', '12.345')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

__all__ = ["Change", "Fmt", "change_of"]


def _round(value: float, digits: int) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Change:
    """The change of a figure against the previous period, in percentage points."""

    direction: str  # "up" | "down" | "same" | "none"
    delta: float | None


def change_of(now: float | None, before: float | None) -> Change:
    """Compare the figures as shown (1 decimal), so the arrow agrees with the numbers on screen."""
    if now is None or before is None:
        return Change("none", None)
    delta = float(_round(now, 1) - _round(before, 1))
    if abs(delta) < 0.05:
        return Change("same", 0.0)
    return Change("up" if delta > 0 else "down", delta)


@dataclass(frozen=True)
class Fmt:
    """Formatters bound to a language and a time zone, used by the templates as `f.pct(x)`."""

    lang: str
    tz: str = "Asia/Ho_Chi_Minh"

    def _num(self, text: str) -> str:
        if self.lang == "en":
            return text
        return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")

    def pct(self, value: float | None) -> str:
        """An index to one decimal; None (no data) as a dash."""
        return "—" if value is None else self._num(f"{_round(value, 1):.1f}")

    def mean(self, value: float | None) -> str:
        return "—" if value is None else self._num(f"{_round(value, 2):.2f}")

    def int(self, value: int | None) -> str:
        return "—" if value is None else self._num(f"{value:,}")

    def ci(self, pair: list[float] | tuple[float, float] | None) -> str:
        if not pair or pair[0] is None or pair[1] is None:
            return "—"
        return f"{self.pct(pair[0])} – {self.pct(pair[1])}"

    def delta(self, change: Change) -> str:
        if change.delta is None:
            return "—"
        sign = "+" if change.delta > 0 else "−" if change.delta < 0 else "±"
        return sign + self.pct(abs(change.delta))

    def arrow(self, change: Change) -> str:
        return {"up": "▲", "down": "▼", "same": "■"}.get(change.direction, "")

    def when(self, value: dt.datetime | None) -> str:
        """A UTC time shown in the unit's time zone: "03/09/2024 08:15" (vi), "2024-09-03 08:15" (en)."""
        if value is None:
            return "—"
        local = value.astimezone(ZoneInfo(self.tz))
        return local.strftime("%Y-%m-%d %H:%M" if self.lang == "en" else "%d/%m/%Y %H:%M")

    def month(self, key: str) -> str:
        """ "2024-09" → "09/2024" (vi) or "Sep 2024" (en)."""
        year, month = key.split("-")
        if self.lang == "en":
            return dt.date(int(year), int(month), 1).strftime("%b %Y")
        return f"{month}/{year}"

    def month_short(self, key: str) -> str:
        year, month = key.split("-")
        return f"{month}/{year[2:]}"

"""A clock for the kiosk's touch rules that moves only when a test says so.

The kiosk ignores touches on a screen shown less than the settle time (0.3 s) and repeats within
the repeat delay (kiosk/input_rules.py). A test taps at a citizen's pace by moving this clock
on before each touch, instead of sleeping; a ghost-tap test moves it by 50 ms.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CITIZEN_GAP_S", "PacedClock", "paced"]

CITIZEN_GAP_S = 1.0  # an unhurried citizen: a second between one tap and the next


class PacedClock:
    """Callable like time.monotonic; starts at 1000 s and moves by `advance`."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t


def paced(app: Any) -> PacedClock:
    """Put a PacedClock under `app`'s touch rules and return it."""
    clock = PacedClock()
    app.clock = clock
    return clock

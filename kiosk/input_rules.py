"""Which touches count at the counter: one deliberate tap is one answer (EN 301 549 §5.8).

Pure: no Kivy, no clock of its own (times are passed in, in seconds), so every rule is tested
with plain numbers. The UI (kiosk/ui/app.py) asks the gate about every touch the window gets.

The rules, in the order a touch meets them:

* A screen must have been shown for `settle_s` (default 0.3 s) before a touch on it counts; a
  touch that began on an earlier screen never acts on this one (each screen shown gets a new
  generation number, stamped on the touches it accepts).
* Only the first finger counts; every other finger is ignored until all fingers are up.
* After an accepted answer, further answers within `repeat_delay_s` (default 0.5 s, adjustable
  from 0.3 to 2 s) are ignored, and so is the same target tapped again within it (a double tap on
  a tick box or a keypad key is one tap).
* A key of the on-screen text keyboard struck again within `key_repeat_s` (default 0.2 s) is one
  strike: Telex needs doubled letters ("aa" → "â"), so its delay is shorter than the answers'.

>>> gate = TouchGate(settle_s=0.3, repeat_delay_s=0.5)
>>> gen = gate.screen_shown(10.0)
>>> gate.down(1, 10.1) is None  # 0.1 s after the screen appeared: ignored
True
>>> gate.up(1, None), gate.down(2, 10.4) == gen
(False, True)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DEFAULT_KEY_REPEAT_S",
    "DEFAULT_REPEAT_DELAY_S",
    "DEFAULT_SETTLE_S",
    "REPEAT_DELAY_CHOICES",
    "REPEAT_DELAY_RANGE",
    "TouchGate",
    "check_repeat_delay",
]

DEFAULT_SETTLE_S = 0.3
DEFAULT_REPEAT_DELAY_S = 0.5
DEFAULT_KEY_REPEAT_S = 0.2
REPEAT_DELAY_RANGE = (0.3, 2.0)
# What the kiosk's admin screen offers, in turn.
REPEAT_DELAY_CHOICES = (0.3, 0.5, 1.0, 1.5, 2.0)


def check_repeat_delay(value: float) -> float:
    """`value` if it is an allowed repeat delay, else ValueError naming the range.

    >>> check_repeat_delay(0.5)
    0.5
    """
    low, high = REPEAT_DELAY_RANGE
    if not low <= float(value) <= high:
        raise ValueError(f"the repeat delay must be from {low} to {high} seconds, not {value!r}")
    return float(value)


@dataclass
class _Strike:
    target: object
    at: float


class TouchGate:
    """The counter's touch rules for one window; see the module's text."""

    def __init__(
        self,
        *,
        settle_s: float = DEFAULT_SETTLE_S,
        repeat_delay_s: float = DEFAULT_REPEAT_DELAY_S,
        key_repeat_s: float = DEFAULT_KEY_REPEAT_S,
    ) -> None:
        self.settle_s = max(0.0, float(settle_s))
        self.repeat_delay_s = max(0.0, float(repeat_delay_s))
        self.key_repeat_s = max(0.0, float(key_repeat_s))
        self.generation = 0
        self.shown_at = float("-inf")
        self._down: set[object] = set()  # every finger on the glass, accepted or not
        self._accepted: set[object] = set()
        self._answer_at = float("-inf")
        self._last: _Strike | None = None
        self._last_key: _Strike | None = None

    # --- screens -----------------------------------------------------------------------------------

    def screen_shown(self, now: float) -> int:
        """A new screen (or new content on the same screen) is on the glass; returns its generation."""
        self.generation += 1
        self.shown_at = now
        return self.generation

    def settled(self, now: float) -> bool:
        """True once the screen on the glass has been shown for the settle time."""
        return now - self.shown_at >= self.settle_s

    # --- fingers -----------------------------------------------------------------------------------

    def down(self, finger: object, now: float, alive: set[object] | None = None) -> int | None:
        """A finger touched the glass: the generation to stamp on it, or None to ignore it.

        `alive`, when given, is every finger the input system still knows (a lift can be lost,
        e.g. to a widget that grabbed the touch exclusively); fingers not in it are forgotten.
        """
        if alive is not None:
            self._down &= alive
            self._accepted &= alive
        others = bool(self._down - {finger})
        self._down.add(finger)
        if others or not self.settled(now):
            return None
        self._accepted.add(finger)
        return self.generation

    def up(self, finger: object, stamp: int | None) -> bool:
        """A finger left the glass: True when its tap may act (accepted, and on the same screen)."""
        self._down.discard(finger)
        accepted = finger in self._accepted
        self._accepted.discard(finger)
        return accepted and stamp is not None and stamp == self.generation

    def current(self, stamp: int | None) -> bool:
        """True when a touch stamped `stamp` began on the screen still shown."""
        return stamp is not None and stamp == self.generation

    def fingers_down(self) -> int:
        """How many fingers are on the glass now."""
        return len(self._down)

    def reset_fingers(self) -> None:
        """Forget every finger (the window lost them, e.g. after a pause of the app)."""
        self._down.clear()
        self._accepted.clear()

    # --- repeats -----------------------------------------------------------------------------------

    def tap(self, target: object, now: float) -> bool:
        """A tap on `target` (a button, a tick box, a key) is about to act: False for a repeat."""
        last = self._last
        if last is not None and last.target is target and now - last.at < self.repeat_delay_s:
            return False
        self._last = _Strike(target, now)
        return True

    def answer(self, now: float) -> bool:
        """An answer is about to be recorded: False while the repeat delay of the last one runs."""
        if now - self._answer_at < self.repeat_delay_s:
            return False
        self._answer_at = now
        return True

    def key(self, key: object, now: float) -> bool:
        """A key of the on-screen text keyboard was struck: False for the same key again too soon."""
        last = self._last_key
        if last is not None and last.target == key and now - last.at < self.key_repeat_s:
            return False
        self._last_key = _Strike(key, now)
        return True

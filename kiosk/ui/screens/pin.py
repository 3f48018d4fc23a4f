"""The admin PIN gate: the first use sets the PIN (typed twice); later uses check it (hashed)."""

from __future__ import annotations

import random
import time

from kivy.properties import StringProperty
from kivy.uix.widget import Widget

from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.strings import tr

__all__ = ["PIN_MAX", "PIN_MIN", "PinScreen"]

PIN_MIN, PIN_MAX = 4, 8
_MAX_TRIES = 5
_LOCK_S = 60.0


class PinScreen(KioskScreen):
    """Modes: "enter" (check), "new" (a change), "confirm" (the new PIN again), "none" (no PIN yet)."""

    mode = StringProperty("enter")
    digits = StringProperty("")
    error = StringProperty("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._first = ""
        self._fails = 0
        self._locked_until = 0.0

    def prepare(self, mode: str) -> None:
        """Start in `mode`: "enter" when a PIN is set, else "new"."""
        self.mode = mode
        self.digits = ""
        self.error = ""
        self._first = ""

    def title(self, mode: str, lang: str) -> str:
        names = {"enter": "pin_enter", "new": "pin_new", "confirm": "pin_confirm", "none": "pin_none"}
        return tr(names[mode], lang)

    def key(self, key: str) -> None:
        self.error = ""
        if key == "del":
            self.digits = self.digits[:-1]
        elif len(self.digits) < PIN_MAX:
            self.digits += key

    def ok(self) -> None:
        lang = self.kiosk.lang
        if self.mode == "none":
            return
        now = time.monotonic()
        if self.mode == "enter":
            if now < self._locked_until:
                self.error = tr("pin_locked", lang, s=int(self._locked_until - now) + 1)
                self.digits = ""
                return
            if self.kiosk.check_pin(self.digits):
                self._fails = 0
                self.digits = ""
                self.kiosk.pin_accepted()
                return
            self._fails += 1
            self.digits = ""
            if self._fails >= _MAX_TRIES:
                # Slow down guessing: a 4-digit PIN is short, so wrong tries are rationed.
                self._fails = 0
                self._locked_until = now + _LOCK_S
                self.error = tr("pin_locked", lang, s=int(_LOCK_S))
            else:
                self.error = tr("pin_wrong", lang)
        elif self.mode == "new":
            if not PIN_MIN <= len(self.digits) <= PIN_MAX:
                self.error = tr("pin_short", lang)
                return
            self._first, self.digits, self.mode = self.digits, "", "confirm"
        else:
            if self.digits != self._first:
                self.error = tr("pin_mismatch", lang)
                self.prepare("new")
                self.error = tr("pin_mismatch", lang)
                return
            self.kiosk.set_pin(self.digits)
            self.digits = ""
            self.kiosk.pin_accepted()

    def pilot_target(self, rng: random.Random) -> Widget | None:
        return None

"""Optional phone number, behind the consent box (unticked by default) and a big numeric keypad."""

from __future__ import annotations

import random

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.widget import Widget

from kiosk.ui.screens.base import KioskScreen

__all__ = ["PHONE_MAX_DIGITS", "ContactScreen", "format_phone"]

PHONE_MAX_DIGITS = 12


def format_phone(digits: str) -> str:
    """Digits grouped for reading back, Vietnamese style.

    >>> format_phone("0912345678")
    '0912 345 678'
    """
    if len(digits) <= 4:
        return digits
    head, rest = digits[:4], digits[4:]
    groups = [rest[i : i + 3] for i in range(0, len(rest), 3)]
    return " ".join([head, *groups])


class ContactScreen(KioskScreen):
    """Consent first; the keypad stays disabled until the box is ticked, and unticking clears the number."""

    digits = StringProperty("")
    consent = BooleanProperty(False)
    error = StringProperty("")
    inline_send = BooleanProperty(False)  # "Gửi đánh giá" in the bottom bar (short landscape screens)

    def prepare(self) -> None:
        """A fresh, unticked form (consent is never carried over between ballots)."""
        self.digits = ""
        self.error = ""
        self.consent = False
        self.ids.consent_row.active = False
        self.ids.info_scroll.scroll_y = 1

    def on_consent(self, _instance: object, value: bool) -> None:
        if not value:
            self.digits = ""
        self.error = ""

    def key(self, key: str) -> None:
        self.error = ""
        if key == "del":
            self.digits = self.digits[:-1]
        elif len(self.digits) < PHONE_MAX_DIGITS:
            self.digits += key
        self.kiosk.note_activity()

    def send(self) -> None:
        self.kiosk.contact_done(self.digits if self.consent else None, self.consent)

    def send_without(self) -> None:
        self.kiosk.contact_done(None, False)

    def pilot_target(self, rng: random.Random) -> Widget | None:
        if not self.consent:
            return self.named("consent") if rng.random() < 0.25 else self.named("send")
        if len(self.digits) < 10:
            key = "0" if not self.digits else ("9" if len(self.digits) == 1 else str(rng.randint(0, 9)))
            return self.named(f"key_{key}")
        return self.named("send")

"""The idle warning (WCAG 2.2.1): "Ông/Bà có cần thêm thời gian không?" with a countdown and "Tiếp tục".

Full-screen, so whoever stands at the counter no longer sees the ballot's answers; when the
countdown runs out the App closes the ballot as it stands.
"""

from __future__ import annotations

import random

from kivy.properties import NumericProperty
from kivy.uix.widget import Widget

from kiosk.ui.screens.base import KioskScreen

__all__ = ["StillThereScreen"]


class StillThereScreen(KioskScreen):
    """Shows `seconds_left`; "Tiếp tục" calls `app.extend_time()`."""

    seconds_left = NumericProperty(0)

    def pilot_target(self, rng: random.Random) -> Widget | None:
        return self.named("still_continue")

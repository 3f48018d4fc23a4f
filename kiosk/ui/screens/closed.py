"""Outside the unit's opening hours: a resting screen that takes no ballot."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.ui.screens.base import KioskScreen

__all__ = ["ClosedScreen"]


class ClosedScreen(KioskScreen):
    """Says the office is closed and when it opens; only the hidden admin corner works here."""

    hours = StringProperty("")  # one line per run of days, from surveys.opening_hours.describe_hours

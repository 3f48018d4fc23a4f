"""The calm message a citizen sees when the kiosk cannot store ballots (StoreUnavailable)."""

from __future__ import annotations

import random

from kivy.uix.widget import Widget

from kiosk.ui.screens.base import KioskScreen

__all__ = ["FaultScreen"]


class FaultScreen(KioskScreen):
    """No technical detail here: that is on the admin screen."""

    def pilot_target(self, rng: random.Random) -> Widget | None:
        return None

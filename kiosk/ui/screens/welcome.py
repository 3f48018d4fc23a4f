"""Welcome: unit name, greeting, "Bắt đầu đánh giá", language and larger-text toggles."""

from __future__ import annotations

import random

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.widget import Widget

from kiosk.ui.screens.base import KioskScreen

__all__ = ["WelcomeScreen"]


class WelcomeScreen(KioskScreen):
    """The resting screen; the hidden top-left corner opens the admin PIN."""

    notice = StringProperty("")  # a calm one-line message under the start button
    audio_on = BooleanProperty(False)  # the audio mode is on (kiosk/ui/speech.py)

    def start(self) -> None:
        self.kiosk.start_ballot()

    def pilot_target(self, rng: random.Random) -> Widget | None:
        return self.named("start")

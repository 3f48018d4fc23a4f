"""Thank-you: "Xin trân trọng cảm ơn Ông/Bà!", then back to welcome by itself (or on a tap)."""

from __future__ import annotations

import random
from typing import Any

from kivy.properties import NumericProperty, StringProperty
from kivy.uix.widget import Widget

from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets.qr import hotline_text

__all__ = ["ThanksScreen"]


class ThanksScreen(KioskScreen):
    """A tap anywhere also returns to the welcome screen; `rating` is the ballot's tong_the (0: none)."""

    rating = NumericProperty(0)
    staff_id = StringProperty("")  # the ballot's officer: the phone-ballot token carries it
    hotline = StringProperty("")

    def on_pre_enter(self, *_args: Any) -> None:
        # A fresh single-use token each time the thanks are shown (issue 17).
        self.ids.phone_qr.refresh(self.staff_id or None)
        self.ids.channels.refresh(self.kiosk.lang)
        self.hotline = hotline_text(self.kiosk.lang)

    def on_touch_down(self, touch: Any) -> bool:
        # Only a touch that starts here counts: the lift of the "Gửi" tap must not skip the thanks.
        if self.collide_point(*touch.pos):
            touch.ud["thanks_touch"] = True
        return bool(super().on_touch_down(touch))

    def on_touch_up(self, touch: Any) -> bool:
        if touch.ud.get("thanks_touch") and self.manager and self.manager.current == self.name:
            self.kiosk.thanks_done()
            return True
        return bool(super().on_touch_up(touch))

    def pilot_target(self, rng: random.Random) -> Widget | None:
        return self.ids.message

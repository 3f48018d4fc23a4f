"""After the overall rating: "Gửi đánh giá" (done: one tap) beside "Trả lời thêm" (the details)."""

from __future__ import annotations

import random

from kivy.properties import NumericProperty, StringProperty
from kivy.uix.widget import Widget

from kiosk.ui.screens.base import KioskScreen

__all__ = ["OfferScreen"]


class OfferScreen(KioskScreen):
    """Shows the face the citizen chose, so the choice is seen before it is sent."""

    rating = NumericProperty(0)
    rating_label = StringProperty("")

    def prepare(self, rating: int, lang: str) -> None:
        self.rating = rating
        survey = self.kiosk.config_.survey
        self.rating_label = survey.scale_label(rating).get(lang) if 1 <= rating <= 5 else ""

    def pilot_target(self, rng: random.Random) -> Widget | None:
        return self.named("send_now" if rng.random() < 0.25 else "answer_more")

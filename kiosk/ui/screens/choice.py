"""A `choice` question (one big button per option) or a `text` question (a field and "Tiếp tục")."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.widget import Widget

from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets import KioskButton

__all__ = ["ChoiceScreen"]


class ChoiceScreen(KioskScreen):
    """Options as full-width buttons; with no options, a free-text field instead."""

    question_id = StringProperty("")
    question_text = StringProperty("")
    progress = StringProperty("")
    optional = BooleanProperty(True)
    is_text = BooleanProperty(False)

    def prepare(
        self,
        question_id: str,
        text: str,
        options: Sequence[tuple[str, str]],
        progress: str,
        optional: bool,
        selected: Any,
        is_text: bool,
    ) -> None:
        """Show one question; `selected` is the earlier answer after "Quay lại"."""
        self.question_id = question_id
        self.question_text = text
        self.progress = progress
        self.optional = optional
        self.is_text = is_text
        box = self.ids.options
        box.clear_widgets()
        for option_id, option_text in options:
            button = KioskButton(text=option_text, selected=option_id == selected, name=f"opt_{option_id}")
            button.bind(on_release=lambda _b, oid=option_id: self.kiosk.answer(self.question_id, oid))
            box.add_widget(button)
        self.ids.field.text = selected if is_text and isinstance(selected, str) else ""

    def confirm_text(self) -> None:
        self.kiosk.answer(self.question_id, self.ids.field.text)

    def view_label(self) -> str:
        return f"choice-{self.question_id}"

    def pilot_target(self, rng: random.Random) -> Widget | None:
        options = list(self.ids.options.children)
        if self.is_text or not options:
            return self.named("skip") if self.optional else None
        return rng.choice(options)

"""A checklist question ("5 không"): tick what was met, or "Không gặp hành vi nào"."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.widget import Widget

from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets import CheckRow, scroll_into_view

__all__ = ["ChecklistScreen"]


class ChecklistScreen(KioskScreen):
    """One tick row per option; "Tiếp tục" stores the ticks, "Không gặp hành vi nào" stores []."""

    question_id = StringProperty("")
    question_text = StringProperty("")
    progress = StringProperty("")
    optional = BooleanProperty(True)
    any_ticked = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[tuple[str, str], ...] = ()

    def prepare(
        self,
        question_id: str,
        text: str,
        options: Sequence[tuple[str, str]],
        progress: str,
        optional: bool,
        ticked: Sequence[str] | None,
    ) -> None:
        """Show the options (id, text); `ticked` restores an earlier answer after "Quay lại"."""
        self.question_id = question_id
        self.question_text = text
        self.progress = progress
        self.optional = optional
        box = self.ids.options
        shown = tuple(options)
        if shown == self._shown and box.children:
            # The same options as last time: only the ticks change (no new rows, no new textures).
            for row in box.children:
                row.active = row.option_id in (ticked or ())
        else:
            self._shown = shown
            box.clear_widgets()
            for option_id, option_text in options:
                row = CheckRow(text=option_text, active=option_id in (ticked or ()), name=f"opt_{option_id}")
                row.option_id = option_id
                row.bind(active=self._changed)
                box.add_widget(row)
        self._changed()
        self.ids.scroll.scroll_y = 1
        self.arrange(self.kiosk.sz.portrait)

    def arrange(self, portrait: bool) -> None:
        """Landscape: back, skip, none, continue in one row; portrait: the answers above the navigation."""
        ids = self.ids
        order = (
            [ids.none_btn, ids.confirm_btn, ids.back_btn, ids.skip_btn]
            if portrait
            else [ids.back_btn, ids.skip_btn, ids.none_btn, ids.confirm_btn]
        )
        grid = ids.controls
        if list(reversed(grid.children)) != order:
            grid.clear_widgets()
            for button in order:
                grid.add_widget(button)

    def ticked(self) -> list[str]:
        """The option ids ticked now, in the survey's order."""
        return [row.option_id for row in reversed(self.ids.options.children) if row.active]

    def _changed(self, *_args: Any) -> None:
        self.any_ticked = bool(self.ticked())

    def confirm(self) -> None:
        self.kiosk.answer(self.question_id, self.ticked())

    def none_met(self) -> None:
        self.kiosk.answer(self.question_id, [])

    def view_label(self) -> str:
        return f"checklist-{self.question_id}"

    def pilot_target(self, rng: random.Random) -> Widget | None:
        rows = list(self.ids.options.children)
        if self.any_ticked and rng.random() < 0.6:
            return self.named("confirm")
        if not self.any_ticked and (not rows or rng.random() < 0.7):
            return self.named("none_of_these")
        row = rng.choice(rows)
        scroll_into_view(self.ids.scroll, row)
        return row

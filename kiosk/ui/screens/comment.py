"""Optional comment: tap-able quick comments, plus a text field for those who want to write."""

from __future__ import annotations

import random
import unicodedata
from typing import Any

from kivy.properties import BooleanProperty, ListProperty
from kivy.uix.widget import Widget

from kiosk.flow import COMMENT_MAX_CHARS
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.strings import QUICK_COMMENTS
from kiosk.ui.widgets import KioskButton

__all__ = ["CommentScreen", "compose_comment"]


def compose_comment(chosen: list[str], typed: str) -> str | None:
    """The stored comment: the quick comments tapped, then the typed text; None when empty.

    >>> compose_comment(["Cán bộ rất tận tình"], " Cảm ơn ")
    'Cán bộ rất tận tình. Cảm ơn'
    """
    parts = [*chosen, typed.strip()]
    text = unicodedata.normalize("NFC", ". ".join(p for p in parts if p))
    return text[:COMMENT_MAX_CHARS] or None


class CommentScreen(KioskScreen):
    """Quick comments toggle on and off; "Tiếp tục" goes to the optional phone number."""

    chosen = ListProperty([])
    aside = BooleanProperty(False)  # typing in landscape: the quick comments and the bar step aside
    inline = BooleanProperty(False)  # ... and "Tiếp tục" stands beside the field (short screens)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lang = ""

    def prepare(self, lang: str, comment_draft: tuple[list[str], str] | None) -> None:
        """Fill the quick comments in `lang`; a draft restores the screen after "Quay lại"."""
        chosen, typed = comment_draft or ([], "")
        self.chosen = list(chosen)
        grid = self.ids.chips
        if lang == self._lang and grid.children:
            # Same language as the last ballot: reuse the chips (no new widgets or textures).
            for chip in grid.children:
                chip.selected = chip.text in self.chosen
        else:
            self._lang = lang
            grid.clear_widgets()
            for i, entry in enumerate(QUICK_COMMENTS):
                text = entry.get(lang) or entry["vi"]
                chip = KioskButton(text=text, selected=text in self.chosen, name=f"quick_{i}")
                chip.bind(on_release=self._toggle)
                grid.add_widget(chip)
        self.ids.field.text = typed

    def _toggle(self, chip: KioskButton) -> None:
        chip.selected = not chip.selected
        chosen = [c.text for c in reversed(self.ids.chips.children) if c.selected]
        self.chosen = chosen
        self.kiosk.note_activity()

    def draft(self) -> tuple[list[str], str]:
        """(quick comments chosen, text typed)."""
        return list(self.chosen), self.ids.field.text

    def confirm(self) -> None:
        self.ids.field.focus = False
        self.kiosk.comment_done(self.draft())

    def skip(self) -> None:
        self.ids.field.focus = False
        self.kiosk.comment_done(None)

    def pilot_target(self, rng: random.Random) -> Widget | None:
        if not self.chosen and rng.random() < 0.5:
            return rng.choice(list(self.ids.chips.children))
        return self.named("confirm") if self.chosen else self.named("skip")

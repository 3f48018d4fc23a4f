"""A rating5 question: five large faces labelled in words, plus "Không áp dụng" for details."""

from __future__ import annotations

import random
from typing import Any

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.theme import face_path
from kiosk.ui.widgets import FaceButton

__all__ = ["RatingScreen"]


class RatingScreen(KioskScreen):
    """Faces in one row (landscape) or two rows of 3 + 2 (portrait)."""

    question_id = StringProperty("")
    question_text = StringProperty("")
    progress = StringProperty("")
    optional = BooleanProperty(True)  # shows "Không áp dụng" and "Bỏ qua"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._labels: list[str] = [""] * 5
        self._selected: int | None = None
        self._portrait: bool | None = None
        self._faces: list[FaceButton] = []

    def prepare(
        self,
        question_id: str,
        text: str,
        labels: list[str],
        progress: str,
        optional: bool,
        selected: int | None,
        portrait: bool,
    ) -> None:
        """Show one question; `selected` is the earlier answer after a "Quay lại"."""
        self.question_id = question_id
        self.question_text = text
        self.progress = progress
        self.optional = optional
        self._selected = selected
        if labels == self._labels and portrait == self._portrait and self._faces:
            # Same faces as the last question: only the selection changes (no new textures to draw).
            for face in self._faces:
                face.selected = face.value == selected
                face.state = "normal"
            return
        self._labels = labels
        self._portrait = portrait
        self._build_faces()

    def relayout(self, portrait: bool) -> None:
        """The window turned: rebuild the face rows."""
        if portrait != self._portrait and self.question_id:
            self._portrait = portrait
            self._build_faces()

    def _build_faces(self) -> None:
        box = self.ids.faces
        box.clear_widgets()
        self._faces = []
        rows = [[1, 2, 3], [4, 5]] if self._portrait else [[1, 2, 3, 4, 5]]
        for levels in rows:
            row = BoxLayout(orientation="horizontal", size_hint_y=None, spacing=self.kiosk.sz.gap)
            row.bind(minimum_height=row.setter("height"))
            # An incomplete row keeps the full rows' button width and sits centred.
            pad = (3 - len(levels)) / 2 if self._portrait else 0
            if pad:
                row.add_widget(Widget(size_hint_x=pad))
            for level in levels:
                face = FaceButton(
                    value=level,
                    source=face_path(level),
                    label=self._labels[level - 1],
                    selected=self._selected == level,
                    name=f"face_{level}",
                )
                face.bind(on_release=self._tapped)
                self._faces.append(face)
                row.add_widget(face)
            if pad:
                row.add_widget(Widget(size_hint_x=pad))
            box.add_widget(row)

    def _tapped(self, face: FaceButton) -> None:
        self.kiosk.answer(self.question_id, int(face.value))

    def view_label(self) -> str:
        return f"rating-{self.question_id}"

    def pilot_target(self, rng: random.Random) -> Widget | None:
        roll = rng.random()
        if self.optional and roll < 0.06:
            return self.named("not_applicable")
        if self.optional and roll < 0.10:
            return self.named("skip")
        level = rng.choices([1, 2, 3, 4, 5], weights=[1, 2, 4, 8, 10])[0]
        return self.named(f"face_{level}")

"""Choose the officer who served: photo or initials, name, title, counter; or "Không rõ cán bộ".

More officers than fit on the screen are shown page by page, with big "‹ Trang trước" / "Trang sau ›"
buttons and a dot per page between them (a thin scrollbar is missed by first-time touch users).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kivy.clock import Clock
from kivy.properties import NumericProperty
from kivy.uix.widget import Widget

from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.strings import counter_label
from kiosk.ui.widgets import OfficerCard

if TYPE_CHECKING:
    from kiosk.config import Officer

__all__ = ["StaffScreen", "grid_columns", "rows_that_fit"]


def grid_columns(width: float, unit: float) -> int:
    """Officer cards per row: each needs about 360 px at unit 1 (1280 px → 3, 800 px → 2)."""
    return max(1, min(4, int(width // (360 * unit))))


def rows_that_fit(height: float, card_h: float, gap: float) -> int:
    """Rows of cards `card_h` tall, `gap` apart, in `height` px (at least one).

    >>> rows_that_fit(316, 150, 16), rows_that_fit(100, 150, 16)
    (2, 1)
    """
    return max(1, int((height + gap) // (card_h + gap)))


class StaffScreen(KioskScreen):
    """The roster as big cards, a page at a time."""

    page = NumericProperty(0)
    pages = NumericProperty(1)
    cols = NumericProperty(1)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._staff: list[Officer] = []
        self._selected: str | None = None
        self._lang = "vi"
        self._rows = 0  # rows per page; 0 = work it out from the room there is
        self._cards: list[OfficerCard] = []
        self._anchor = 0  # the roster index whose page is shown
        self._scale = 1.0  # the cards' type scale (OfficerCard.fit)
        self._fit = Clock.create_trigger(self._check_fit, -1)

    def on_kv_post(self, _base: Any) -> None:
        self._repage = Clock.create_trigger(self._on_room, -1)
        self.bind(size=self._repage)
        self.ids.heading.bind(height=self._repage)
        # Cards take their width from the grid: a fit measured before it had its width is redone.
        self.ids.grid.bind(width=self._repage)
        self.ids.grid.bind(minimum_height=lambda *_a: self._fit())

    def prepare(self, staff: Sequence[Officer], selected: str | None, lang: str) -> None:
        """Show the roster from its first page, or the page of `selected` (chosen before a "Quay lại")."""
        self._staff, self._selected, self._lang = list(staff), selected, lang
        self._rows, self._scale = 0, 1.0
        ids = [o.id for o in self._staff]
        self._anchor = ids.index(selected) if selected in ids else 0
        self._paginate()

    def turn(self, step: int) -> None:
        """ "Trang trước" (-1) or "Trang sau" (+1)."""
        page = max(0, min(self.pages - 1, self.page + step))
        if page != self.page:
            per_page, _rows = self._per_page()
            self._anchor = page * per_page
            self._show_page(page)
            self.kiosk.note_activity()

    # --- pages ---------------------------------------------------------------------------------------

    def _room(self, paged: bool) -> float:
        """The height left for cards: the screen less its heading, buttons, padding and gaps."""
        sz, ids = self.kiosk.sz, self.ids
        fixed = ids.heading.height + ids.unknown.height + ids.nav.height + 2 * sz.pad + 4 * sz.gap
        return self.height - fixed - (sz.nav_h if paged else 0)

    def _per_page(self) -> tuple[int, int]:
        """(cards per page, rows per page) for the room the screen has now."""
        sz = self.kiosk.sz
        self.cols = grid_columns(self.width - 2 * sz.pad, sz.unit)
        if self._rows:
            return self.cols * self._rows, self._rows
        rows = rows_that_fit(self._room(False), sz.card_h, sz.gap)
        if len(self._staff) > rows * self.cols:
            # More than one page: the page buttons take a row of their own.
            rows = rows_that_fit(self._room(True), sz.card_h, sz.gap)
        return self.cols * rows, rows

    def _paginate(self) -> None:
        """Pages for the room there is, showing the one that holds the anchor (an officer to keep)."""
        per_page, _rows = self._per_page()
        self.pages = max(1, math.ceil(len(self._staff) / per_page))
        self._show_page(min(self._anchor, max(0, len(self._staff) - 1)) // per_page)

    def _show_page(self, page: int) -> None:
        per_page, _rows = self._per_page()
        self.page = page
        grid = self.ids.grid
        grid.clear_widgets()
        for i, officer in enumerate(self._staff[page * per_page : (page + 1) * per_page]):
            # Cards are reused from page to page: turning a page makes no new widgets.
            if i == len(self._cards):
                card = OfficerCard()
                card.bind(on_release=self._chosen)
                self._cards.append(card)
            card = self._cards[i]
            card.fit = self._scale
            card.staff_id = officer.id
            card.officer_name = officer.name
            card.title = officer.title or ""
            card.counter = counter_label(officer.counter or "", self._lang)
            card.photo = str(officer.photo_path) if officer.photo_path else ""
            card.selected = officer.id == self._selected
            card.name = f"staff_{officer.id}"
            grid.add_widget(card)
        self._fit()

    def _on_room(self, *_args: Any) -> None:
        if self._staff:
            self._rows, self._scale = 0, 1.0
            self._paginate()

    def _check_fit(self, *_args: Any) -> None:
        """Long names in large type make cards taller: the type gets a little smaller (to 80 %), then
        a page keeps the rows that still fit, and a single row that does not has smaller type still
        (never below 60 %)."""
        grid = self.ids.grid
        room = self._room(self.pages > 1)
        if grid.minimum_height <= room + 1 or room <= 0:
            return
        # Wrapped text shrinks about as the square of its type size.
        step = min(0.95, (room / grid.minimum_height) ** 0.5)
        if self._scale > 0.8:
            self._set_scale(max(0.8, self._scale * step))  # the same officers, a little smaller
            return
        _per_page, rows = self._per_page()
        cards = list(reversed(grid.children))
        cols = max(1, self.cols)
        heights = [max(c.height for c in cards[i : i + cols]) for i in range(0, len(cards), cols)]
        fitting, used = 0, -self.kiosk.sz.gap
        for height in heights:
            used += height + self.kiosk.sz.gap
            if used > room + 1:
                break
            fitting += 1
        if 0 < fitting < rows:
            self._rows = fitting
            self._paginate()
        elif self._scale > 0.6:
            self._set_scale(max(0.6, self._scale * step))

    def _set_scale(self, scale: float) -> None:
        self._scale = scale
        for card in self.ids.grid.children:
            card.fit = scale

    def _chosen(self, card: Any) -> None:
        self.kiosk.choose_staff(card.staff_id)

    def pilot_target(self, rng: random.Random) -> Widget | None:
        cards = list(self.ids.grid.children)
        if not cards or rng.random() < 0.15:
            return self.named("staff_unknown")
        if self.pages > 1 and rng.random() < 0.3:
            return self.named("page_next" if self.page < self.pages - 1 else "page_prev")
        return rng.choice(cards)

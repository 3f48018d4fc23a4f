"""Choose the officer who served: photo or initials, name, title, counter; or "Không rõ cán bộ"."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kivy.uix.widget import Widget

from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.strings import counter_label
from kiosk.ui.widgets import OfficerCard, scroll_into_view

if TYPE_CHECKING:
    from kiosk.config import Officer

__all__ = ["StaffScreen", "grid_columns"]


def grid_columns(width: float, unit: float) -> int:
    """Officer cards per row: each needs about 360 px at unit 1 (1280 px → 3, 800 px → 2)."""
    return max(1, min(4, int(width // (360 * unit))))


class StaffScreen(KioskScreen):
    """The roster as big cards in a scrolling grid."""

    def prepare(self, staff: Sequence[Officer], selected: str | None, lang: str) -> None:
        """Fill the grid; `selected` marks the officer chosen before a "Quay lại"."""
        grid = self.ids.grid
        grid.clear_widgets()
        for officer in staff:
            card = OfficerCard(
                staff_id=officer.id,
                officer_name=officer.name,
                title=officer.title or "",
                counter=counter_label(officer.counter or "", lang),
                photo=str(officer.photo_path) if officer.photo_path else "",
                selected=officer.id == selected,
                name=f"staff_{officer.id}",
            )
            card.bind(on_release=self._chosen)
            grid.add_widget(card)
        self.ids.scroll.scroll_y = 1

    def _chosen(self, card: Any) -> None:
        self.kiosk.choose_staff(card.staff_id)

    def pilot_target(self, rng: random.Random) -> Widget | None:
        cards = list(self.ids.grid.children)
        if not cards or rng.random() < 0.15:
            return self.named("staff_unknown")
        card = rng.choice(cards)
        # Only a card on screen can be touched; scroll it into view first, as a citizen would.
        scroll_into_view(self.ids.scroll, card)
        return card

"""The base of every kiosk screen: access to the App and a hook for the autopilot."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, cast

from kivy.app import App
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp

__all__ = ["KioskScreen", "find_named"]


def _shown(widget: Widget, root: Widget) -> bool:
    node: Widget | None = widget
    while node is not None and node is not root:
        if node.opacity <= 0:
            return False
        node = node.parent
    return True


def find_named(root: Widget, name: str) -> Widget | None:
    """The widget under `root` whose `name` is `name` (tests, autopilot).

    Some screens hold two layouts (portrait, landscape) with the same names; the one shown and
    enabled wins, then the one shown, then any.
    """
    matches = [w for w in root.walk(restrict=True) if w is not root and getattr(w, "name", None) == name]
    for wanted in (lambda w: _shown(w, root) and not w.disabled, lambda w: _shown(w, root), lambda w: True):
        for widget in matches:
            if wanted(widget):
                return widget
    return None


class KioskScreen(Screen):
    """A screen of the kiosk; `pilot_target` says what a random but valid citizen would tap."""

    @property
    def kiosk(self) -> KioskApp:
        app = App.get_running_app()
        assert app is not None
        return cast("KioskApp", app)

    def view_label(self) -> str:
        """What this screen shows now, for FRAME lines and screenshot names."""
        return str(self.name)

    def pilot_target(self, rng: random.Random) -> Widget | None:
        """The widget the autopilot taps next on this screen, or None to wait."""
        return None

    def named(self, name: str) -> Widget:
        """The widget called `name` on this screen (KeyError if missing)."""
        widget = find_named(self, name)
        if widget is None:
            raise KeyError(name)
        return widget

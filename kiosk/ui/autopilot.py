"""`survey-kiosk run --autopilot N`: taps through N ballots with real touch events, then quits.

Each tap is a touch-down and a touch-up at the centre of a real widget on the current screen,
posted through Kivy's input queue exactly like a finger (the widgets cannot tell the difference).
Choices are random but valid (the screens' `pilot_target`); the seed makes a run repeatable.
"""

from __future__ import annotations

import random
import sys
import time
from typing import TYPE_CHECKING, Any

from kivy.base import EventLoop
from kivy.clock import Clock
from kivy.input.motionevent import MotionEvent

if TYPE_CHECKING:
    from kivy.uix.widget import Widget

    from kiosk.ui.app import KioskApp

__all__ = ["HUMAN_TAP_S", "Autopilot", "PilotTouch"]

HUMAN_TAP_S = 1.2  # seconds between taps at --speed 1: an unhurried citizen
_PRESS_S = 0.08  # finger down → up
_STALL_S = 60.0  # real seconds without a finished ballot: something is wrong


try:  # Kivy's own test touch, when its test helpers (which need pytest) are installed
    from kivy.tests.common import UnitTestTouch as PilotTouch
except ImportError:  # pragma: no cover - same behaviour, without the pytest dependency

    class PilotTouch(MotionEvent):  # type: ignore[no-redef]
        """A single-finger touch at window pixel (x, y); mirrors kivy.tests.common.UnitTestTouch."""

        def __init__(self, x: float, y: float) -> None:
            win = EventLoop.window
            super().__init__(
                "PilotTouch",
                99,
                {"x": x / (win.width - 1.0), "y": y / (win.height - 1.0)},
                is_touch=True,
                type_id="touch",
            )
            self.profile = ["pos"]

        def depack(self, args: dict[str, float]) -> None:
            self.sx = args["x"]
            self.sy = args["y"]
            super().depack(args)

        def touch_down(self, *_args: Any) -> None:
            EventLoop.post_dispatch_input("begin", self)

        def touch_up(self, *_args: Any) -> None:
            EventLoop.post_dispatch_input("end", self)


class Autopilot:
    """Drives the running App; `start()` once the first screen is up."""

    def __init__(self, app: KioskApp, ballots: int, *, seed: int = 0, speed: float = 1.0) -> None:
        self.app = app
        self.target = max(0, int(ballots))
        self.rng = random.Random(seed)
        self.delay = HUMAN_TAP_S / max(speed, 0.01)
        self.taps = 0
        self._last_progress = time.monotonic()
        self._seen = -1
        self._stopped = False
        self._event: Any = None

    def start(self) -> None:
        self._event = Clock.schedule_once(self._step, self.delay)

    def stop(self) -> None:
        """No more taps."""
        self._stopped = True
        if self._event is not None:
            self._event.cancel()

    def _step(self, _dt: float) -> None:
        if self._stopped:
            return
        app = self.app
        if app.ballots_finished != self._seen:
            self._seen = app.ballots_finished
            self._last_progress = time.monotonic()
        if app.ballots_finished >= self.target and app.sm.current in ("welcome", "thanks"):
            print(f"autopilot: {app.ballots_finished} ballots, {self.taps} taps", file=sys.stderr)
            app.quit(0)
            return
        if time.monotonic() - self._last_progress > _STALL_S:
            print(f"autopilot: stuck on the {app.sm.current!r} screen", file=sys.stderr)
            app.quit(1)
            return
        if app.sm.current == "fault":
            print(f"autopilot: the kiosk shows a storage fault: {app.store_fault}", file=sys.stderr)
            app.quit(1)
            return
        widget = app.sm.current_screen.pilot_target(self.rng)
        if widget is not None:
            # A scroll_to may have moved the widget: tap it after the layout settles.
            Clock.schedule_once(lambda _dt: self.tap(widget), 0)
        self._event = Clock.schedule_once(self._step, self.delay)

    def tap(self, widget: Widget) -> None:
        """A real touch at the centre of `widget`."""
        x, y = widget.to_window(*widget.center)
        touch = PilotTouch(x, y)
        touch.touch_down()
        self.taps += 1
        Clock.schedule_once(lambda _dt: touch.touch_up(), min(_PRESS_S, self.delay / 3))

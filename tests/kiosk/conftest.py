"""The counter UI in a real headless Kivy window: the window, a fresh App per test, paced real touches.

One window per process (Kivy's rule), shared by the UI tests; each test gets a fresh App, home
folder and store (`make_kiosk`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

# Kivy reads these once, at its first import; keep its logging out of the root logger.
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KCFG_KIVY_LOG_LEVEL", "warning")
# Software GL (llvmpipe) rasterising in the calling thread: on this shared 2-core machine its worker
# threads starve and every frame waits for them.
os.environ.setdefault("LP_NUM_THREADS", "0")

from kiosk.config import load_config
from kiosk.settings import KioskSettings
from kiosk.store import KioskStore
from tests.kiosk_pace import CITIZEN_GAP_S, PacedClock, paced

__all__ = ["ROSTER", "Kiosk", "comment_keyboard", "press_key"]

ROSTER = """id,name,title,counter,photo
nv01,Nguyễn Thị Lan,Công chức Tư pháp – Hộ tịch,1,
nv02,Trần Văn Minh,Công chức Địa chính – Xây dựng,2,
nv03,Lê Thị Hồng Nhung,Công chức Văn hoá – Xã hội,3,
"""


class Kiosk:
    """A running KioskApp plus the touch and wait helpers a test needs."""

    def __init__(self, app: Any, store: KioskStore) -> None:
        from kivy.base import EventLoop

        self.app = app
        self.store = store
        self.loop = EventLoop
        self.clock: PacedClock = paced(app)

    @property
    def screen(self) -> str:
        return str(self.app.sm.current)

    def pump(self, frames: int = 3) -> None:
        for _ in range(frames):
            self.loop.idle()

    def wait_for(self, check: Callable[[], bool], what: str, limit_s: float = 20.0) -> None:
        """Pump frames until `check()` holds; the limit only stops a hung test."""
        deadline = time.monotonic() + limit_s
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up waiting for {what} (screen: {self.screen})")
            self.loop.idle()

    def widget(self, name: str) -> Any:
        from kiosk.ui.screens import find_named

        found = find_named(self.app.sm.current_screen, name)
        assert found is not None, f"no widget {name!r} on the {self.screen} screen"
        return found

    def touch(self, widget: Any, *, after_s: float = CITIZEN_GAP_S, hold_s: float = 0.1) -> None:
        """A finger down and up at the widget's centre, as the window receives it.

        `after_s` is the time since the last tap on the kiosk's touch clock, `hold_s` the finger's time
        on the glass.
        """
        from kivy.tests.common import UnitTestTouch
        from kivy.uix.scrollview import ScrollView

        from kiosk.ui.widgets import scroll_into_view

        # A screen switch completes on the next frame; until then the screen manager ignores touches.
        self.pump(1)
        parent = widget.parent
        while parent is not None and parent is not parent.parent:
            if isinstance(parent, ScrollView):
                # A finger can only touch what is on screen: scroll it into view first.
                scroll_into_view(parent, widget)
                self.pump(2)
                break
            parent = parent.parent
        touch = UnitTestTouch(*widget.to_window(*widget.center))
        self.clock.advance(after_s)
        touch.touch_down()
        self.pump(1)
        self.clock.advance(hold_s)
        touch.touch_up()
        self.pump(1)

    def tap(self, name: str) -> None:
        self.touch(self.widget(name))

    def question_id(self) -> str:
        return str(self.app.sm.current_screen.question_id)

    def ballots(self) -> list[dict[str, Any]]:
        return self.store.ballots()


@pytest.fixture(scope="module")
def window() -> Iterator[Any]:
    from kivy.base import EventLoop

    EventLoop.ensure_window()
    window = EventLoop.window
    window.size = (1280, 800)
    yield window


@pytest.fixture
def make_kiosk(window: Any, tmp_path: Path) -> Iterator[Callable[..., Kiosk]]:
    """Start a KioskApp on the shared window; keyword arguments override the settings."""
    from kivy.app import App

    from kiosk.ui.app import KioskApp

    started: list[Kiosk] = []

    def start(
        *,
        size: tuple[int, int] = (800, 600),
        setup: Callable[[KioskStore], None] | None = None,
        **overrides: Any,
    ) -> Kiosk:
        roster = tmp_path / "staff.csv"
        roster.write_text(ROSTER, encoding="utf-8")
        # No espeak-ng render behind every UI test: the speech tests render what they play.
        values: dict[str, Any] = {
            "cooldown_s": 0.0,
            "idle_timeout_s": 60.0,
            "config_file": roster,
            "speech_prerender": False,
        }
        values.update(overrides)
        settings = KioskSettings.from_env({}, home=tmp_path / "home", **values)
        store = KioskStore(settings.db_path)
        if setup is not None:
            setup(store)
        config = load_config(store, settings.home, settings.config_file)
        window.size = size
        app = KioskApp(settings, store, config)
        app._run_prepare()
        kiosk = Kiosk(app, store)
        started.append(kiosk)
        kiosk.wait_for(lambda: kiosk.screen == "welcome", "the welcome screen")
        # SDL applies a new window size on its next event poll; lay out for it before touching.
        kiosk.wait_for(lambda: tuple(app.root.size) == tuple(window.size), "the window size")
        kiosk.pump(2)
        return kiosk

    yield start
    for kiosk in started:
        kiosk.app.dispatch("on_stop")
        for child in list(window.children):
            window.remove_widget(child)
        App._running_app = None
        kiosk.store.close()
    window.size = (1280, 800)


def press_key(kiosk: Kiosk, keyboard: Any, shown: str, *, after_s: float = CITIZEN_GAP_S) -> None:
    """A finger on the on-screen key labelled `shown` (capital letters via the caps-lock key).

    `after_s`: the time since the last touch, on the kiosk's touch clock.
    """
    from kivy.tests.common import UnitTestTouch

    if shown != shown.lower() and keyboard.layout_mode == "normal":
        press_key(kiosk, keyboard, "\u21ea")
        assert keyboard.layout_mode == "shift", "caps lock did not take"
        press_key(kiosk, keyboard, shown)
        press_key(kiosk, keyboard, "\u21ea")
        return
    layout = keyboard.available_layouts[keyboard.layout]
    for line in range(1, layout["rows"] + 1):
        keys = layout[f"{keyboard.layout_mode}_{line}"]
        for index, key in enumerate(keys):
            if key[0] == shown:
                (x, y), (w, h) = keyboard.layout_geometry[f"LINE_HINT_{line}"][index]
                touch = UnitTestTouch(
                    *keyboard.to_parent((x + w / 2) * keyboard.width, (y + h / 2) * keyboard.height)
                )
                kiosk.clock.advance(after_s)
                touch.touch_down()
                kiosk.pump(1)
                kiosk.clock.advance(0.02)
                touch.touch_up()
                kiosk.pump(1)
                return
    raise AssertionError(f"no key {shown!r} on the {keyboard.layout_mode} keyboard")


@contextmanager
def comment_keyboard(kiosk: Kiosk) -> Iterator[tuple[Any, Any]]:
    """Kiosk mode's docked on-screen keyboard, opened on the comment field: yields (field, keyboard)."""
    from kivy.config import Config
    from kivy.uix.vkeyboard import VKeyboard

    window = kiosk.app.root_window
    mode = Config.get("kivy", "keyboard_mode")
    # What `survey-kiosk run` in kiosk mode sets up: Kivy's keyboard docked at the bottom.
    Config.set("kivy", "keyboard_mode", "systemanddock")
    window.configure_keyboards()
    try:
        for name in ("start", "staff_unknown", "face_4", "answer_more"):
            kiosk.tap(name)
        field = kiosk.app.sm.current_screen.ids.field
        kiosk.touch(field)
        kiosk.pump(3)
        yield field, next(w for w in window.children if isinstance(w, VKeyboard))
    finally:
        Config.set("kivy", "keyboard_mode", mode)
        window.configure_keyboards()

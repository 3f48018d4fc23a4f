"""'Đồng bộ ngay' on the admin screen of the real app, in a headless Kivy window, against the real server.

The sync runs on the scheduler's worker while the window keeps drawing frames; the outcome comes back
through the Kivy clock, and a new configuration waits for the ballot in progress to end.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KCFG_KIVY_LOG_LEVEL", "warning")
# Software GL rasterising in the calling thread: on a shared 2-core machine its workers starve.
os.environ.setdefault("LP_NUM_THREADS", "0")

from kiosk.config import load_config
from kiosk.settings import KioskSettings
from kiosk.store import KioskStore, hash_pin
from kiosk.sync.client import SyncClient
from surveys.loader import Survey
from tests.kiosk_pace import CITIZEN_GAP_S, paced

from .conftest import Server, make_ballots

pytestmark = pytest.mark.slow
SHOTS = Path(os.environ.get("SURVEY_TEST_SHOTS", "var/test-shots/sync"))


@pytest.fixture(scope="module")
def window() -> Iterator[Any]:
    from kivy.base import EventLoop

    EventLoop.ensure_window()
    window = EventLoop.window
    window.size = (1024, 700)
    yield window


def _pump_until(check: Callable[[], bool], what: str, limit_s: float = 60.0) -> int:
    """Draw frames until ``check()`` holds; returns how many frames were drawn meanwhile."""
    from kivy.base import EventLoop

    frames = 0
    deadline = time.monotonic() + limit_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        EventLoop.idle()
        frames += 1
    return frames


def _touch(widget: Any) -> None:
    """A tap at a citizen's pace on the kiosk's touch clock (tests/kiosk_pace.py)."""
    from kivy.app import App
    from kivy.base import EventLoop
    from kivy.tests.common import UnitTestTouch

    EventLoop.idle()
    App.get_running_app().clock.advance(CITIZEN_GAP_S)  # type: ignore[union-attr]
    touch = UnitTestTouch(*widget.to_window(*widget.center))
    touch.touch_down()
    EventLoop.idle()
    touch.touch_up()
    EventLoop.idle()


def _named(app: Any, name: str) -> Any:
    from kiosk.ui.screens import find_named

    found = find_named(app.sm.current_screen, name)
    assert found is not None, f"no widget {name!r} on the {app.sm.current} screen"
    return found


def test_sync_now_shows_progress_and_outcome_without_blocking_the_window(
    window: Any, server: Server, survey: Survey, tmp_path: Path
) -> None:
    from kivy.app import App

    from kiosk.ui.app import KioskApp
    from kiosk.ui.widgets import HotCorner

    settings = KioskSettings.from_env({}, home=tmp_path / "home", cooldown_s=0.0)
    store = KioskStore(settings.db_path)
    with SyncClient(server.url) as client:
        reply = client.enrol(server.new_code(), "Quầy 3")
    for key, value in (("server_url", server.url), ("token", reply.token), ("device_id", reply.device_id)):
        store.set(key, value)
    store.set("admin_pin_hash", hash_pin("1234"))
    taken = make_ballots(store, survey, 40, seed=71)
    app = KioskApp(settings, store, load_config(store, settings.home, None))
    paced(app)
    app._run_prepare()
    try:
        _pump_until(lambda: app.sm.current == "welcome", "the welcome screen")
        corner = next(w for w in app.sm.current_screen.walk() if isinstance(w, HotCorner))
        for _ in range(5):
            _touch(corner)
        for digit in "1234":
            _touch(_named(app, f"key_{digit}"))
        _touch(_named(app, "pin_ok"))
        assert app.sm.current == "admin"
        _touch(_named(app, "admin_sync_now"))
        screen = app.sm.current_screen
        frames = _pump_until(lambda: "còn chờ 0" in screen.action_text, "the sync outcome")
        assert frames > 0  # the window kept drawing while the sync ran on its worker
        assert "Đã gửi 40 (mới 40" in screen.action_text
        _pump_until(lambda: "Đang chờ gửi: 0" in _named(app, "admin_status").text, "the refreshed counts")
        # The config pulled by the sync reached the app: it now speaks for the server's unit.
        assert app.config_.unit_code == "XA01"
        SHOTS.mkdir(parents=True, exist_ok=True)
        app.root.export_to_png(str(SHOTS / "admin-after-sync-now.png"))
        stored = server.stored(reply.device_id)
        assert sorted(stored) == sorted(taken) and set(stored.values()) == {1}
    finally:
        app.dispatch("on_stop")
        for child in list(window.children):
            window.remove_widget(child)
        App._running_app = None
        store.close()


def test_a_new_configuration_waits_for_the_ballot_in_progress(
    window: Any, server: Server, survey: Survey, tmp_path: Path
) -> None:
    from kivy.app import App

    from kiosk.ui.app import KioskApp

    settings = KioskSettings.from_env({}, home=tmp_path / "home", cooldown_s=0.0)
    store = KioskStore(settings.db_path)
    with SyncClient(server.url) as client:
        reply = client.enrol(server.new_code(), "Quầy 4")
    for key, value in (("server_url", server.url), ("token", reply.token), ("device_id", reply.device_id)):
        store.set(key, value)
    app = KioskApp(settings, store, load_config(store, settings.home, None))
    paced(app)
    app._run_prepare()
    try:
        _pump_until(lambda: app.sm.current == "welcome", "the welcome screen")
        before = app.config_.unit_code
        assert before != "XA01"  # not pulled yet: the bundled default
        _touch(_named(app, "start"))
        assert app.session is not None
        answers: list[str] = []
        app.sync_hook.sync_now(answers.append, "unavailable")
        _pump_until(lambda: bool(answers), "the sync outcome")
        _pump_until(lambda: app._pending_config is not None, "the new configuration to arrive")
        # Mid-ballot: the citizen keeps the survey and roster the ballot started with.
        assert app.config_.unit_code == before and app.session is not None
        app.go_welcome()
        _pump_until(lambda: app.config_.unit_code == "XA01", "the configuration applied between ballots")
    finally:
        app.dispatch("on_stop")
        for child in list(window.children):
            window.remove_widget(child)
        App._running_app = None
        store.close()

"""The counter UI in a real headless Kivy window, driven by real touches on the real widgets.

One window per process (Kivy's rule), shared by the tests of this module; each test gets a fresh
App, home folder and store.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
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
from surveys.loader import default_survey_path, load_survey

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

    def touch(self, widget: Any) -> None:
        """A finger down and up at the widget's centre, as the window receives it."""
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
        touch.touch_down()
        self.pump(1)
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
        values: dict[str, Any] = {"cooldown_s": 0.0, "idle_timeout_s": 60.0, "config_file": roster}
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


def _answer_current(kiosk: Kiosk, rating: int = 5) -> None:
    """Answer whatever question is on screen with a valid tap."""
    if kiosk.screen == "rating":
        kiosk.tap(f"face_{rating}")
    elif kiosk.screen == "checklist":
        kiosk.tap("none_of_these")
    elif kiosk.screen == "choice":
        kiosk.tap("skip")
    else:
        raise AssertionError(f"not a question screen: {kiosk.screen}")


def _all_answered_but(skip: str) -> Callable[[KioskStore], None]:
    """Store one earlier ballot answering every detail item but `skip`, which the rotation then asks first."""

    def setup(store: KioskStore) -> None:
        survey = load_survey(default_survey_path())
        ballot_id = store.start_ballot(
            survey_id=survey.id, survey_version=survey.version, staff_id=None, lang="vi"
        )
        for question in survey.questions:
            if question.id != skip:
                store.record_answer(ballot_id, question.id, [] if question.type == "checklist" else 3)
        store.finish_ballot(ballot_id)

    return setup


def test_a_full_ballot_through_every_screen_is_stored_as_tapped(make_kiosk: Callable[..., Kiosk]) -> None:
    # The rotation asks the least-answered items first: "5 không" (a checklist), then a rating.
    kiosk = make_kiosk(detail_items_per_ballot=2, setup=_all_answered_but("nam_khong"))
    earlier = {b["id"] for b in kiosk.ballots()}
    kiosk.tap("start")
    assert kiosk.screen == "staff"
    kiosk.tap("staff_nv02")
    assert (kiosk.screen, kiosk.question_id()) == ("rating", "tong_the")
    kiosk.tap("face_4")
    seen_checklist = False
    while kiosk.screen in ("rating", "checklist", "choice"):
        if kiosk.screen == "checklist":
            seen_checklist = True
            options = [w for w in kiosk.app.sm.current_screen.ids.options.children]
            first = options[-1]  # children are in reverse order
            assert kiosk.widget("confirm").disabled  # nothing ticked yet
            kiosk.touch(first)
            assert first.active
            checklist_id, ticked = kiosk.question_id(), first.option_id
            kiosk.tap("confirm")
        else:
            kiosk.tap("face_5")
    assert seen_checklist
    assert kiosk.screen == "comment"
    kiosk.tap("quick_0")
    kiosk.tap("confirm")
    assert kiosk.screen == "contact"
    # The keypad is locked until the consent box is ticked.
    kiosk.tap("key_0")
    assert kiosk.app.sm.current_screen.digits == ""
    kiosk.tap("consent")
    for digit in "0912345678":
        kiosk.tap(f"key_{digit}")
    kiosk.tap("send")
    assert kiosk.screen == "thanks"

    [ballot] = [b for b in kiosk.ballots() if b["id"] not in earlier]
    assert ballot["status"] == "pending"
    assert ballot["staff_id"] == "nv02"
    assert ballot["answers"]["tong_the"] == 4
    assert ballot["answers"][checklist_id] == [ticked]
    assert ballot["comment"] == "Cán bộ rất tận tình"
    assert ballot["contact"] == {"phone": "0912345678", "consent": True}
    assert ballot["lang"] == "vi"


def test_thanks_returns_to_welcome_by_itself(make_kiosk: Callable[..., Kiosk], monkeypatch: Any) -> None:
    import kiosk.ui.app as app_module

    # Short, yet long enough that the frames drawn during the "send" tap (a fresh App, cold
    # textures, a loaded machine) never outlast it before the test sees the thanks.
    monkeypatch.setattr(app_module, "THANKS_S", 1.5)
    kiosk = make_kiosk(detail_items_per_ballot=0)
    kiosk.tap("start")
    kiosk.tap("staff_unknown")
    kiosk.tap("face_3")
    kiosk.tap("skip")  # comment
    kiosk.tap("send")  # contact, no consent
    assert kiosk.screen == "thanks"
    kiosk.wait_for(lambda: kiosk.screen == "welcome", "the welcome screen after the thanks")
    [ballot] = kiosk.ballots()
    assert ballot["staff_id"] is None and ballot["contact"] is None and ballot["comment"] is None


def test_back_shows_the_earlier_answer_and_a_new_tap_replaces_it(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(detail_items_per_ballot=2)
    kiosk.tap("start")
    kiosk.tap("staff_nv01")
    kiosk.tap("face_2")
    assert kiosk.question_id() != "tong_the"
    kiosk.tap("back")
    assert kiosk.question_id() == "tong_the"
    assert kiosk.widget("face_2").selected
    kiosk.tap("face_5")
    kiosk.tap("back")
    kiosk.tap("back")
    assert kiosk.screen == "staff"
    assert kiosk.widget("staff_nv01").selected
    kiosk.tap("staff_nv03")
    [ballot] = kiosk.ballots()
    assert ballot["answers"]["tong_the"] == 5
    assert ballot["staff_id"] == "nv03"


def test_skip_and_not_applicable_store_null(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(detail_items_per_ballot=2)
    kiosk.tap("start")
    kiosk.tap("skip")  # "Bỏ qua" on the officer screen = "Không rõ cán bộ"
    assert kiosk.question_id() == "tong_the"
    assert kiosk.widget("skip").opacity == 0  # tong_the cannot be skipped
    kiosk.tap("face_1")
    first = kiosk.question_id()
    if kiosk.screen == "rating":
        kiosk.tap("not_applicable")
    else:
        kiosk.tap("skip")
    second = kiosk.question_id()
    kiosk.tap("skip")
    assert kiosk.screen == "comment"
    [ballot] = kiosk.ballots()
    assert ballot["answers"] == {"tong_the": 1, first: None, second: None}


def test_idle_keeps_a_rated_ballot_and_discards_an_unrated_one(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(idle_timeout_s=3.0, detail_items_per_ballot=3)
    kiosk.tap("start")
    kiosk.tap("staff_nv01")
    kiosk.tap("face_4")
    kiosk.wait_for(lambda: kiosk.screen == "welcome", "the idle timeout")
    [kept] = kiosk.ballots()
    assert kept["status"] == "pending" and kept["answers"]["tong_the"] == 4

    kiosk.tap("start")
    assert kiosk.screen == "staff"
    kiosk.tap("staff_nv02")
    assert kiosk.screen == "rating"
    kiosk.wait_for(lambda: kiosk.screen == "welcome", "the idle timeout")
    assert [b["id"] for b in kiosk.ballots()] == [kept["id"]]
    assert kiosk.store.counts_by_status().get("open", 0) == 0


def test_a_tablet_bound_to_an_officer_skips_the_officer_screen(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(setup=lambda store: store.set("bound_staff_id", "nv03"))
    kiosk.tap("start")
    assert (kiosk.screen, kiosk.question_id()) == ("rating", "tong_the")
    kiosk.tap("face_5")
    [ballot] = kiosk.ballots()
    assert ballot["staff_id"] == "nv03"
    # "Quay lại" from the first question goes home, not to an officer list.
    kiosk.tap("back")
    kiosk.tap("back")
    assert kiosk.screen == "welcome"


def _open_admin(kiosk: Kiosk) -> None:
    from kiosk.ui.widgets import HotCorner

    corner = next(w for w in kiosk.app.sm.current_screen.walk() if isinstance(w, HotCorner))
    for _ in range(5):
        kiosk.touch(corner)


def _type_pin(kiosk: Kiosk, pin: str) -> None:
    for digit in pin:
        kiosk.tap(f"key_{digit}")
    kiosk.tap("pin_ok")


def test_admin_needs_the_pin_which_the_first_use_sets(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk()
    _open_admin(kiosk)
    assert kiosk.screen == "pin" and kiosk.app.sm.current_screen.mode == "new"
    _type_pin(kiosk, "2468")
    assert kiosk.app.sm.current_screen.mode == "confirm"
    _type_pin(kiosk, "2468")
    assert kiosk.screen == "admin"
    stored = kiosk.store.get("admin_pin_hash") or ""
    assert stored and "2468" not in stored
    assert "Đang chờ gửi: 0" in kiosk.widget("admin_status").text
    kiosk.app.sm.current_screen.ids.code.text = ""
    kiosk.tap("admin_back")
    assert kiosk.screen == "welcome"

    _open_admin(kiosk)
    assert kiosk.app.sm.current_screen.mode == "enter"
    _type_pin(kiosk, "1111")
    assert kiosk.screen == "pin"
    assert kiosk.widget("pin_error").text == "Mã PIN không đúng."
    _type_pin(kiosk, "2468")
    assert kiosk.screen == "admin"


def test_admin_settings_change_the_next_ballot(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(setup=lambda store: store.set("admin_pin_hash", _hash("1234")))
    _open_admin(kiosk)
    _type_pin(kiosk, "1234")
    kiosk.tap("admin_lang_en")
    assert kiosk.store.get("default_lang") == "en"
    spinner = kiosk.widget("admin_bound")
    spinner.text = next(v for v in spinner.values if "(nv02)" in v)
    kiosk.pump()
    assert kiosk.store.get("bound_staff_id") == "nv02"
    kiosk.tap("admin_sync_now")
    kiosk.wait_for(lambda: kiosk.app.sm.current_screen.action_text != "Đang thực hiện…", "the sync answer")
    kiosk.tap("admin_back")
    assert kiosk.widget("start").text == "Start"
    kiosk.tap("start")
    assert kiosk.screen == "rating"
    assert kiosk.app.sm.current_screen.question_text.startswith("Overall")


def _hash(pin: str) -> str:
    from kiosk.store import hash_pin

    return hash_pin(pin)


def test_a_storage_fault_shows_the_calm_message_and_the_admin_screen_names_it(
    make_kiosk: Callable[..., Kiosk],
) -> None:
    kiosk = make_kiosk(setup=lambda store: store.set("admin_pin_hash", _hash("1234")))
    # The SQLite connection refuses writes from now on, as on a card that went read-only.
    connection = kiosk.store._conn
    assert connection is not None
    connection.execute("PRAGMA query_only = ON")
    kiosk.tap("start")
    kiosk.tap("staff_nv01")
    kiosk.tap("face_5")
    assert kiosk.screen == "fault"
    assert kiosk.widget("fault_message").text == (
        "Xin lỗi Ông/Bà, máy tạm thời chưa ghi nhận được đánh giá. Vui lòng báo cán bộ."
    )
    _open_admin(kiosk)
    _type_pin(kiosk, "1234")
    assert "LỖI: read-only storage" in kiosk.widget("admin_status").text
    kiosk.tap("admin_back")
    assert kiosk.screen == "fault"  # still failing: the calm message stays
    connection.execute("PRAGMA query_only = OFF")
    kiosk.tap("retry")
    assert kiosk.screen == "welcome"
    assert kiosk.ballots() == []  # the failed tap left nothing half-written


def test_english_from_the_welcome_screen_is_used_for_the_ballot(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(detail_items_per_ballot=1)
    kiosk.tap("lang_en")
    assert kiosk.widget("start").text == "Start"
    kiosk.tap("start")
    assert kiosk.widget("staff_unknown").text == "I don't know"
    kiosk.tap("staff_unknown")
    assert "Very satisfied" in [f.label for f in kiosk.app.sm.current_screen.walk() if hasattr(f, "label")]
    kiosk.tap("face_5")
    [ballot] = kiosk.ballots()
    assert ballot["lang"] == "en"


def test_the_cool_down_ignores_start_right_after_a_ballot(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(cooldown_s=600, detail_items_per_ballot=0)
    kiosk.tap("start")
    kiosk.tap("staff_unknown")
    kiosk.tap("face_5")
    kiosk.tap("skip")
    kiosk.tap("send")
    kiosk.touch(kiosk.app.sm.current_screen.ids.message)  # a tap on the thanks returns to welcome
    assert kiosk.screen == "welcome"
    kiosk.tap("start")
    assert kiosk.screen == "welcome"
    assert kiosk.app.sm.current_screen.notice == "Xin Ông/Bà chờ giây lát rồi bấm lại."


def test_layout_follows_the_window_shape(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(size=(800, 1280))
    kiosk.tap("start")
    assert kiosk.app.sm.current_screen.ids.grid.cols == 2
    kiosk.tap("staff_nv01")
    rows = kiosk.app.sm.current_screen.ids.faces.children
    assert len(rows) == 2  # 3 + 2 faces in portrait
    kiosk.app.root_window.size = (1280, 800)
    kiosk.pump(4)
    assert len(kiosk.app.sm.current_screen.ids.faces.children) == 1
    question = kiosk.app.sm.current_screen
    assert kiosk.app.sz.question >= 28
    assert question.width == 1280


def test_larger_text_makes_the_type_bigger_and_the_contrast_higher(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk()
    before = kiosk.app.sz.question
    kiosk.tap("large_text")
    assert kiosk.app.sz.question > before
    assert kiosk.app.pal.name == "high_contrast"
    assert kiosk.widget("large_text").text == "Chữ bình thường"


def test_a_new_configuration_waits_for_the_ballot_in_progress(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk()
    kiosk.tap("start")
    new = replace(kiosk.app.config_, unit_name="UBND xã Mới", staff=kiosk.app.config_.staff[:1])
    kiosk.app.on_config_changed(new)
    kiosk.pump()
    assert kiosk.app.unit_name != "UBND xã Mới"
    assert len(kiosk.app.sm.current_screen.ids.grid.children) == 3
    kiosk.tap("back")
    assert kiosk.screen == "welcome"
    assert kiosk.app.unit_name == "UBND xã Mới"
    kiosk.tap("start")
    assert len(kiosk.app.sm.current_screen.ids.grid.children) == 1


def test_kiosk_mode_keeps_the_app_open_on_escape_and_close(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(mode="kiosk")
    window = kiosk.app.root_window
    kiosk.tap("start")
    assert window.dispatch("on_keyboard", 27, 0, None, []) is True  # Escape swallowed
    assert window.dispatch("on_request_close") is True
    kiosk.pump()
    assert kiosk.screen == "staff" and kiosk.app.root.parent is window


def _press_key(kiosk: Kiosk, keyboard: Any, shown: str) -> None:
    """A finger on the on-screen key labelled `shown` (capital letters via the caps-lock key)."""
    from kivy.tests.common import UnitTestTouch

    if shown != shown.lower() and keyboard.layout_mode == "normal":
        _press_key(kiosk, keyboard, "\u21ea")
        assert keyboard.layout_mode == "shift", "caps lock did not take"
        _press_key(kiosk, keyboard, shown)
        _press_key(kiosk, keyboard, "\u21ea")
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
                touch.touch_down()
                kiosk.pump(1)
                touch.touch_up()
                kiosk.pump(1)
                return
    raise AssertionError(f"no key {shown!r} on the {keyboard.layout_mode} keyboard")


def test_a_vietnamese_comment_typed_on_the_on_screen_keyboard(make_kiosk: Callable[..., Kiosk]) -> None:
    from kivy.config import Config
    from kivy.uix.vkeyboard import VKeyboard

    from kiosk.ui.widgets import VI_KEYBOARD

    kiosk = make_kiosk(mode="kiosk", detail_items_per_ballot=0, size=(1280, 800))
    window = kiosk.app.root_window
    mode = Config.get("kivy", "keyboard_mode")
    # What `survey-kiosk run` in kiosk mode sets up: Kivy's keyboard docked at the bottom.
    Config.set("kivy", "keyboard_mode", "systemanddock")
    window.configure_keyboards()
    try:
        kiosk.tap("start")
        kiosk.tap("staff_unknown")
        kiosk.tap("face_4")
        assert kiosk.screen == "comment"
        field = kiosk.app.sm.current_screen.ids.field
        kiosk.touch(field)
        kiosk.pump(3)
        keyboard = next(w for w in window.children if isinstance(w, VKeyboard))
        assert keyboard.layout == VI_KEYBOARD
        # The docked keyboard is scaled to the window's width; the field and "Tiếp tục" stay above it.
        keyboard_top = keyboard.to_parent(0, keyboard.height)[1]
        assert keyboard_top > 300
        assert field.y > kiosk.widget("confirm").y >= keyboard_top
        # Telex, as on a phone: "Cans booj ..." shows "Cán bộ ...".
        for key in "Cans booj raats nhieetj tinhf":
            _press_key(kiosk, keyboard, key)
        # Or the letter keys and the tone bar: ơ, then "huyền" onto the word before the cursor.
        for key in [" ", "x", "i", "n", " ", "c", "a", "m", "ả hỏi", " ", "ơ", "n"]:
            _press_key(kiosk, keyboard, key)
        assert field.text == "Cán bộ rất nhiệt tình xin cảm ơn"
        _press_key(kiosk, keyboard, "\u232b")  # backspace
        _press_key(kiosk, keyboard, "n")
        kiosk.tap("confirm")
        kiosk.tap("send")
        [ballot] = kiosk.ballots()
        assert ballot["comment"] == "Cán bộ rất nhiệt tình xin cảm ơn"
    finally:
        Config.set("kivy", "keyboard_mode", mode)
        window.configure_keyboards()


def test_the_next_citizen_finds_the_quick_comments_unticked(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(detail_items_per_ballot=0)
    for expected in ("Cán bộ rất tận tình", None):
        kiosk.tap("start")
        kiosk.tap("staff_unknown")
        kiosk.tap("face_5")
        assert not kiosk.widget("quick_0").selected  # the chips are reused, their ticks are not
        if expected:
            kiosk.tap("quick_0")
            kiosk.tap("confirm")
        else:
            kiosk.tap("skip")
        kiosk.tap("send")
        kiosk.touch(kiosk.app.sm.current_screen.ids.message)  # the thanks: back to welcome
    assert sorted(str(b["comment"]) for b in kiosk.ballots()) == ["Cán bộ rất tận tình", "None"]

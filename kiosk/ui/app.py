"""The kiosk's one Kivy App: screens, the ballot in progress, idle timeout, admin and lockdown.

    >>> run_app(KioskSettings.from_env(), autopilot=5, seed=1, screenshots=Path("shots"))
    0

Importing this module runs `kiosk.ui/__init__`, which prepares Kivy's environment first.
Taps reach the store synchronously (one small SQLite commit) and never wait for the network;
other threads (sync) reach widgets only through `Clock.schedule_once`.
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from kivy.app import App
from kivy.clock import Clock
from kivy.config import Config
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

from kiosk.config import ConfigError, KioskConfig, config_from_json, load_config
from kiosk.flow import (
    OVERALL_ID,
    STEP_COMMENT,
    STEP_OFFER,
    STEP_QUESTION,
    STEP_STAFF,
    STEP_THANKS,
    BurstGuard,
    FlowError,
    choose_details,
)
from kiosk.input_rules import REPEAT_DELAY_RANGE, TouchGate
from kiosk.settings import KioskSettings
from kiosk.store import KioskStore, StoreUnavailable, hash_pin, verify_pin
from kiosk.ui.session import BallotSession
from kiosk.ui.strings import tr
from kiosk.ui.theme import CALM, HIGH_CONTRAST, font_path, sizes
from surveys.opening_hours import describe_hours, is_open

__all__ = ["THANKS_S", "KioskApp", "configure_kivy", "run_app"]

THANKS_S = 6.0  # the thank-you stays this long, then the welcome screen returns by itself
_SCREENS_DIR = Path(__file__).with_name("screens")
_SCREEN_NAMES = (
    "welcome",
    "staff",
    "rating",
    "offer",
    "checklist",
    "choice",
    "comment",
    "contact",
    "thanks",
    "still_there",
    "fault",
    "pin",
    "admin",
    "closed",
)
T = TypeVar("T")


def configure_kivy(settings: KioskSettings, mode: str) -> None:
    """Window and input settings; must run before the window exists (first `kivy.core.window` import)."""
    kiosk_mode = mode == "kiosk"
    Config.set("kivy", "exit_on_escape", "0")  # a citizen must not be able to quit
    Config.set("kivy", "keyboard_mode", "systemanddock" if kiosk_mode else "system")
    Config.set("graphics", "allow_screensaver", "0")
    Config.set("graphics", "fullscreen", "auto" if settings.fullscreen else "0")
    Config.set("graphics", "show_cursor", "0" if kiosk_mode else "1")
    Config.set("graphics", "resizable", "0" if kiosk_mode else "1")
    # Touch screens that also send mouse events would double every tap.
    Config.set("input", "mouse", "mouse,disable_multitouch")


class KioskApp(App):
    """The counter app; build it with `KioskApp(settings, store, config)` and `run()`."""

    lang = StringProperty("vi")
    large_text = BooleanProperty(False)
    high_contrast = BooleanProperty(False)
    # rebind: kv rules read `app.pal.text`, `app.sz.question`; without it Kivy binds nothing through a
    # plain object, and the widgets kept the sizes and colours they were built with.
    pal = ObjectProperty(CALM, rebind=True)
    sz = ObjectProperty(sizes(1280, 800, large=False), rebind=True)
    font = StringProperty(font_path())
    font_bold = StringProperty(font_path(bold=True))
    unit_name = StringProperty("")
    store_fault = StringProperty("")
    sync_status = StringProperty("")
    config_version = StringProperty("")  # changes when a new configuration is applied (widgets refresh)

    def __init__(
        self,
        settings: KioskSettings,
        store: KioskStore,
        config: KioskConfig,
        *,
        autopilot: int | None = None,
        seed: int = 0,
        speed: float = 1.0,
        screenshots: Path | None = None,
        trace: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.store = store
        self.config_ = config
        self.title = "Chính quyền thân thiện"
        self.exit_code = 0
        self._stopping = False
        self.session: BallotSession | None = None
        # Simulated time runs `time_scale` times faster under the autopilot, so cool-down,
        # idle and thank-you delays shrink with it while keeping their proportions.
        self.time_scale = max(float(speed), 0.01) if autopilot else 1.0
        # The clock of every touch rule; tests replace it to tap at a chosen pace.
        self.clock: Callable[[], float] = time.monotonic
        self.gate = TouchGate(
            settle_s=settings.settle_s,
            repeat_delay_s=settings.repeat_delay_s,
            key_repeat_s=settings.key_repeat_s,
        )
        self.gate.repeat_delay_s = self.repeat_delay_s
        self.guard = BurstGuard(settings.cooldown_s)
        self.rng = random.Random(seed)
        self.autopilot_n = autopilot
        self.autopilot_seed = seed
        self.autopilot_speed = max(float(speed), 0.01)
        self.screenshots = screenshots
        self.trace = trace
        self.ballots_finished = 0
        self._pending_config: KioskConfig | None = None
        self._idle_event: Any = None
        self._countdown_event: Any = None
        self._old_sigterm: Any = None
        self._resume_screen = ""
        self.extensions = 0  # "Tiếp tục" taps on the idle warning during this ballot
        self._thanks_event: Any = None
        self._notice_event: Any = None
        self._comment_draft: tuple[list[str], str] | None = None
        self._in_contact = False
        self._admin_return = "welcome"
        self.recorder: Any = None
        self.pilot: Any = None
        self.sync_hook: Any = None
        self.speech: Any = None  # kiosk/ui/speech.py, made in build()
        self.keys: Any = None  # kiosk/ui/keys.py
        self.lang = self.default_lang
        # The wall clock for the opening hours (local time of the unit); tests fix it.
        self.wall_clock: Callable[[], datetime] = self._unit_now

    # --- settings the counter staff change on the admin screen ---------------------------------------

    @property
    def default_lang(self) -> str:
        stored = self._safe(lambda: self.store.get("default_lang"), None)
        return stored if stored in ("vi", "en") else self.settings.lang

    @property
    def mode(self) -> str:
        stored = self._safe(lambda: self.store.get("mode"), None)
        return stored if stored in ("kiosk", "tablet") else self.settings.mode

    @property
    def bound_staff_id(self) -> str | None:
        staff_id = self._safe(lambda: self.store.get("bound_staff_id"), None)
        if staff_id and any(o.id == staff_id for o in self.config_.staff):
            return staff_id
        return None

    @property
    def idle_timeout_s(self) -> float:
        # An enrolled kiosk follows its server; otherwise the local settings.
        if self.config_.source == "server":
            return self.config_.idle_timeout_s
        return self.settings.idle_timeout_s

    @property
    def detail_items(self) -> int:
        if self.config_.source == "server":
            return self.config_.detail_items_per_ballot
        return self.settings.detail_items_per_ballot

    @property
    def repeat_delay_s(self) -> float:
        """Answers again within this many seconds are ignored; the admin screen sets it (0.3–2 s)."""
        stored = self._safe(lambda: self.store.get("repeat_delay_s"), None)
        try:
            value = float(stored) if stored else self.settings.repeat_delay_s
        except ValueError:
            value = self.settings.repeat_delay_s
        low, high = REPEAT_DELAY_RANGE
        return value if stored is None or low <= value <= high else self.settings.repeat_delay_s

    def _unit_now(self) -> datetime:
        from zoneinfo import ZoneInfo

        try:
            return datetime.now(ZoneInfo(self.config_.timezone))
        except (KeyError, ValueError):
            return datetime.now()

    def is_open(self) -> bool:
        """Inside the unit's opening hours (always, when the configuration gives none)."""
        return is_open(self.config_.opening_hours, self.wall_clock())

    def _check_hours(self, _dt: float = 0) -> None:
        """Every 30 s: the resting screen follows the opening hours (never in the middle of a ballot)."""
        current = self.sm.current if hasattr(self, "sm") else ""
        if current in ("welcome", "closed") and (current == "closed") == self.is_open():
            self._show("welcome")

    def now(self) -> float:
        """The (possibly compressed) clock of the touch rules and the misuse guard."""
        return self.clock() * self.time_scale

    # --- building ------------------------------------------------------------------------------------

    def build(self) -> Any:
        from kivy.core.window import Window
        from kivy.uix.screenmanager import NoTransition, ScreenManager

        from kiosk.ui.recorder import FrameRecorder
        from kiosk.ui.screens import SCREEN_CLASSES
        from kiosk.ui.sync_hook import SyncHook
        from kiosk.ui.widgets import KioskVKeyboard, load_kv

        load_kv()
        Window.set_vkeyboard_class(KioskVKeyboard)
        for name in ("common", *_SCREEN_NAMES):
            path = str(_SCREENS_DIR / f"{name}.kv")
            # Loading a kv file twice would apply its rules twice (a second App in one process).
            if path not in Builder.files:
                Builder.load_file(path)
        self.unit_name = self.config_.unit_name
        self._resize(Window, Window.size)
        Window.bind(size=self._resize, on_request_close=self._on_request_close)
        Window.bind(**self._touch_handlers())
        Window.bind(on_keyboard=self._on_keyboard)
        Window.clearcolor = self.pal.bg
        if self.mode == "kiosk":
            Window.show_cursor = False
        self.recorder = FrameRecorder(trace=self.trace, screenshots=self.screenshots)
        self.sync_hook = SyncHook(self.settings, self.store)
        self.sync_hook.start_background(self.on_config_changed, self.post_sync_status)
        self._start_speech()
        self._catch_sigterm()
        # No transition animation: the next screen appears in the very next frame, and nothing
        # keeps redrawing while the kiosk waits (idle CPU near zero).
        sm = ScreenManager(transition=NoTransition())
        for name in _SCREEN_NAMES:
            sm.add_widget(SCREEN_CLASSES[name](name=name))
        self.sm = sm
        # Build the five faces now, while the welcome screen waits, not under the first citizen's
        # finger: the first rating screen otherwise makes its widgets and face textures on the tap.
        Clock.schedule_once(lambda _dt: self._prebuild_rating(), 0.3)
        Clock.schedule_interval(self._check_hours, 30)
        recovered = self._safe(lambda: self.store.recover_open_ballots(), None)
        if recovered is None and self.store_fault:
            Clock.schedule_once(lambda _dt: self._show("fault"), 0)
        else:
            Clock.schedule_once(lambda _dt: self._show("welcome"), 0)
        if self.autopilot_n is not None:
            from kiosk.ui.autopilot import Autopilot

            self.pilot = Autopilot(
                self, self.autopilot_n, seed=self.autopilot_seed, speed=self.autopilot_speed
            )
            Clock.schedule_once(lambda _dt: self.pilot.start(), 0.2)
        return sm

    def on_stop(self) -> None:
        from kivy.core.window import Window

        if self.session is not None:
            # Quitting mid-ballot is like walking away: kept once tong_the is answered.
            self._safe(self._abandon_session, None)
        for event in (self._idle_event, self._thanks_event, self._notice_event, self._countdown_event):
            self._cancel(event)
        Window.unbind(size=self._resize, on_request_close=self._on_request_close)
        Window.unbind(**self._touch_handlers())
        Window.unbind(on_keyboard=self._on_keyboard)
        if self.speech is not None:
            self.speech.shutdown()
            self.keys.unbind()
        if self.recorder is not None:
            self.recorder.close()
        if self.pilot is not None:
            self.pilot.stop()
        if self.sync_hook is not None:
            self.sync_hook.shutdown()
        if self._old_sigterm is not None:
            import signal

            signal.signal(signal.SIGTERM, self._old_sigterm)
            self._old_sigterm = None

    def _catch_sigterm(self) -> None:
        """`systemctl stop` (SIGTERM) ends the app cleanly: the open ballot kept, the store closed.

        SDL turns SIGTERM into a window-close request, which kiosk mode refuses (a citizen must not
        close the app); our own handler, installed after the window exists, quits instead.
        """
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():
            return  # signals reach only the main thread (tests may build the app elsewhere)

        def on_term(_signum: int, _frame: Any) -> None:
            Clock.schedule_once(lambda _dt: self.quit(0), 0)

        self._old_sigterm = signal.signal(signal.SIGTERM, on_term)

    def _resize(self, _window: Any, size: tuple[int, int]) -> None:
        was_portrait = self.sz.portrait
        self.sz = sizes(size[0], size[1], large=self.large_text, diagonal_in=self.settings.screen_diagonal_in)
        if was_portrait != self.sz.portrait and hasattr(self, "sm"):
            self.sm.get_screen("rating").relayout(self.sz.portrait)
            self.sm.get_screen("checklist").arrange(self.sz.portrait)

    def _on_request_close(self, *_args: Any, **_kwargs: Any) -> bool:
        # In kiosk mode the window cannot be closed from the keyboard or the window manager;
        # the admin screen's "Thoát ứng dụng" calls stop().
        return self.mode == "kiosk" and not self._stopping

    def _on_keyboard(self, _window: Any, key: int, *_args: Any) -> bool:
        # Escape (27) and Android back (1001) are swallowed in kiosk mode.
        return bool(key in (27, 1001) and self.mode == "kiosk")

    def quit(self, code: int = 0) -> None:
        """Leave the app for real (admin "Thoát", the autopilot's end)."""
        self.exit_code = code
        self._stopping = True
        self.stop()

    # --- look ----------------------------------------------------------------------------------------

    def set_lang(self, lang: str) -> None:
        self.lang = lang if lang in ("vi", "en") else "vi"
        self._refresh_view()

    def toggle_large_text(self) -> None:
        """ "Chữ to": larger type and taller buttons on every screen; the colours stay as they are."""
        from kivy.core.window import Window

        self.large_text = not self.large_text
        self.sz = sizes(
            Window.width, Window.height, large=self.large_text, diagonal_in=self.settings.screen_diagonal_in
        )
        self._refresh_view()

    def toggle_high_contrast(self) -> None:
        """ "Tương phản cao": black on white, navy buttons, yellow selection; the sizes stay as they are."""
        from kivy.core.window import Window

        self.high_contrast = not self.high_contrast
        self.pal = HIGH_CONTRAST if self.high_contrast else CALM
        Window.clearcolor = self.pal.bg
        self._refresh_view()

    def _refresh_view(self) -> None:
        if self.recorder is not None and hasattr(self, "sm"):
            self.recorder.frame(f"{self.sm.current_screen.view_label()}-{self.lang}", screenshot=True)

    # --- the ballot ----------------------------------------------------------------------------------

    def start_ballot(self) -> None:
        """'Bắt đầu đánh giá': a new ballot, unless in the cool-down after the last one."""
        welcome = self.sm.get_screen("welcome")
        if not self.is_open():
            self._show("welcome")  # the hours ended while the welcome screen was up: the resting screen
            return
        if not self.guard.can_start(self.now()):
            welcome.notice = tr("cooldown", self.lang)
            self._schedule_notice_clear()
            return
        welcome.notice = ""
        self._apply_pending_config()
        config = self.config_
        counts = self._safe(lambda: self.store.answer_counts(config.survey.id), None)
        if counts is None:
            self._show("fault")
            return
        details = choose_details(config.survey, counts, self.detail_items, self.rng)
        self.session = BallotSession(
            self.store,
            config.survey,
            detail_ids=details,
            lang=self.lang,
            bound_staff_id=self.bound_staff_id,
            ask_staff=bool(config.staff),
            on_stored=self._on_stored,
        )
        self._comment_draft = None
        self._in_contact = False
        self._show_step()

    def choose_staff(self, staff_id: str | None) -> None:
        if self.gate.answer(self.now()):
            self._act(lambda s: s.choose_staff(staff_id))

    def answer(self, question_id: str, value: Any) -> None:
        if self.gate.answer(self.now()):
            self._act(lambda s: s.answer(question_id, value))

    def skip(self) -> None:
        if self.gate.answer(self.now()):
            self._act(lambda s: s.skip())

    def send_now(self) -> None:
        """ "Gửi đánh giá" right after the overall rating: the ballot is sent as it stands."""
        if self.gate.answer(self.now()):
            self._act(lambda s: s.send_now())

    def answer_more(self) -> None:
        """ "Trả lời thêm": the rotated details, the comment, the phone number."""
        if self.gate.answer(self.now()):
            self._act(lambda s: s.more())

    def go_back(self) -> None:
        """'Quay lại': the previous screen; from the first one, back to welcome (nothing kept)."""
        session = self.session
        if session is None:
            self.go_welcome()
            return
        if self._in_contact:
            self._in_contact = False
            self._show_step()
            return
        if session.flow.index == 0:
            self._safe(self._abandon_session, None)
            self.go_welcome()
            return
        self._act(lambda s: s.back())

    def comment_done(self, draft: tuple[list[str], str] | None) -> None:
        """From the comment screen to the phone-number screen."""
        self._comment_draft = draft
        self._in_contact = True
        self._show_step()

    def contact_done(self, phone: str | None, consent: bool) -> None:
        """'Gửi đánh giá': comment and (with consent) phone stored, then the thanks."""
        from kiosk.ui.screens.comment import compose_comment

        chosen, typed = self._comment_draft or ([], "")
        comment = compose_comment(chosen, typed)
        contact = self.sm.get_screen("contact")
        try:
            self._act(lambda s: s.set_comment(comment, phone or None, consent), raise_flow=True)
        except FlowError:
            contact.error = tr("phone_invalid", self.lang)
            self._frame()

    def thanks_done(self) -> None:
        if self.sm.current == "thanks":
            self.go_welcome()

    def go_welcome(self) -> None:
        """Back to the resting screen for the next citizen: the ballot closed, keyboard and overlays gone."""
        if self.session is not None and not self.session.flow.finished:
            self._safe(self._abandon_session, None)
        self.session = None
        self._comment_draft = None
        self._in_contact = False
        self.extensions = 0
        self._cancel(self._thanks_event)
        self._cancel(self._countdown_event)
        self._countdown_event = None
        self._close_overlays()
        self.lang = self.default_lang
        if self.speech is not None:
            self.speech.reset()
        if self.large_text:
            self.toggle_large_text()
        if self.high_contrast:
            self.toggle_high_contrast()
        self._apply_pending_config()
        if self.store_fault and not self.store.probe():
            self._show("fault")
            return
        self.store_fault = ""
        self._show("welcome")

    def extend_time(self) -> None:
        """ "Tiếp tục" on the idle warning: back to the ballot where it was, with the full idle time again."""
        if self.sm.current != "still_there" or self.session is None:
            return
        self._cancel(self._countdown_event)
        self._countdown_event = None
        self.extensions += 1
        self._show(self._resume_screen or "welcome")

    def note_activity(self) -> None:
        """A tap or key that is not a touch on the window (e.g. typing): restart the idle timer."""
        self._arm_idle()

    # --- admin ---------------------------------------------------------------------------------------

    def open_admin(self) -> None:
        """The hidden gesture: PIN first."""
        if self.session is not None:
            return  # never in the middle of a citizen's ballot
        # The PIN and admin screens are the staff's: always in the normal look.
        if self.large_text:
            self.toggle_large_text()
        if self.high_contrast:
            self.toggle_high_contrast()
        # No PIN yet: the glass never sets the first one (the first finder would own the kiosk);
        # it comes with `survey-kiosk enrol --pin`, `survey-kiosk pin` or the unit's configuration.
        self.sm.get_screen("pin").prepare("enter" if self._pin_hash() else "none")
        self._show("pin")

    def _pin_hash(self) -> str:
        stored = self._safe(lambda: self.store.get("admin_pin_hash"), None)
        return stored or self.config_.kiosk_pin_hash or ""

    def check_pin(self, pin: str) -> bool:
        hashed = self._pin_hash()
        return bool(hashed) and verify_pin(pin, hashed)

    def set_pin(self, pin: str) -> None:
        self._safe(lambda: self.store.set("admin_pin_hash", hash_pin(pin)), None)

    def pin_accepted(self) -> None:
        self.sm.get_screen("admin").prepare()
        self._show("admin")

    def change_pin(self) -> None:
        self.sm.get_screen("pin").prepare("new")
        self._show("pin")

    def set_setting(self, key: str, value: str | None) -> None:
        """A device setting from the admin screen (default_lang, mode, bound_staff_id)."""
        self._safe(lambda: self.store.set(key, value), None)
        if key == "repeat_delay_s":
            self.gate.repeat_delay_s = self.repeat_delay_s
        if key == "speech_volume" and self.speech is not None:
            self.speech.default_volume = self.speech.volume = self.speech_volume
        if key == "default_lang" and value:
            self.lang = value
        if key == "mode":
            from kivy.core.window import Window

            Window.show_cursor = value != "kiosk"
        self.sm.get_screen("admin").prepare()

    # --- hooks for the sync engineer -----------------------------------------------------------------

    def on_config_changed(self, new_config: KioskConfig | Mapping[str, Any]) -> None:
        """A new configuration (KioskConfig or the protocol's config body), from any thread.

        Applied between ballots, never in the middle of one.
        """

        def apply(_dt: float) -> None:
            config = new_config
            if not isinstance(config, KioskConfig):
                try:
                    config = config_from_json(dict(config), self.settings.photos_dir)
                except Exception as exc:  # a bad body must not take the kiosk down
                    self.sync_status = f"cấu hình mới không dùng được: {exc}"
                    return
            self._pending_config = config
            if self.session is None:
                self._apply_pending_config()
                if self.sm.current == "welcome":
                    self._frame()
            elif self.sm.current == "admin":
                self.sm.get_screen("admin").prepare()

        Clock.schedule_once(apply, 0)

    def post_sync_status(self, message: str) -> None:
        """A line for the admin screen's status area, from any thread."""

        def apply(_dt: float) -> None:
            self.sync_status = message
            if self.sm.current == "admin":
                self.sm.get_screen("admin").prepare()

        Clock.schedule_once(apply, 0)

    def _apply_pending_config(self) -> None:
        if self._pending_config is not None and self.session is None:
            self.config_ = self._pending_config
            self._pending_config = None
            self.unit_name = self.config_.unit_name
            self.config_version = self.config_.config_version
            if self.speech is not None and self.settings.speech_prerender:
                self.speech.render_in_background(self.config_)

    # --- speech and keys (kiosk/ui/speech.py, kiosk/ui/keys.py) -------------------------------------

    @property
    def speech_volume(self) -> float:
        """The volume each citizen starts with; the admin screen may change it (store key speech_volume)."""
        stored = self._safe(lambda: self.store.get("speech_volume"), None)
        try:
            return min(1.0, max(0.05, float(stored))) if stored else self.settings.speech_volume
        except ValueError:
            return self.settings.speech_volume

    def _start_speech(self) -> None:
        from kiosk.speech import SpeechLibrary
        from kiosk.ui.keys import KeyController
        from kiosk.ui.speech import SpeechController

        library = SpeechLibrary(self.settings.speech_dir, self.settings.recordings_dir)
        self.speech = SpeechController(self, library, self.speech_volume)
        self.keys = KeyController(self)
        if self.settings.speech_prerender:
            self.speech.render_in_background(self.config_)

    # --- internals -----------------------------------------------------------------------------------

    def _act(self, action: Callable[[BallotSession], None], *, raise_flow: bool = False) -> None:
        session = self.session
        if session is None:
            self.go_welcome()
            return
        try:
            action(session)
        except StoreUnavailable as exc:
            self._fault(exc)
            return
        except FlowError:
            if raise_flow:
                raise
            # A tap that no longer fits (e.g. a double tap already moved on): show the truth.
        self._show_step()

    def _show_step(self) -> None:
        session = self.session
        if session is None:
            self._show("welcome")
            return
        flow = session.flow
        step = flow.current
        lang = self.lang
        if step.kind == STEP_STAFF:
            self.sm.get_screen("staff").prepare(
                self.config_.staff, flow.staff_id if flow.staff_chosen else None, lang
            )
            self._show("staff")
        elif step.kind == STEP_QUESTION:
            self._show_question()
        elif step.kind == STEP_OFFER:
            overall = flow.answers.get(OVERALL_ID)
            self.sm.get_screen("offer").prepare(int(overall) if overall else 0, lang)
            self._show("offer")
        elif step.kind == STEP_COMMENT:
            if self._in_contact:
                contact = self.sm.get_screen("contact")
                contact.prepare()
                self._show("contact")
            else:
                self.sm.get_screen("comment").prepare(lang, self._comment_draft)
                self._show("comment")
        elif step.kind == STEP_THANKS:
            self._finish()

    def _show_question(self) -> None:
        assert self.session is not None
        flow = self.session.flow
        question = flow.question
        assert question is not None
        lang = self.lang
        done, total = flow.progress
        progress = tr("progress", lang, done=done + 1, total=total)
        optional = not (question.required or question.id == "tong_the")
        previous = flow.answers.get(question.id)
        text = question.text.get(lang)
        if question.type == "rating5":
            labels = [self.config_.survey.scale_label(v).get(lang) for v in range(1, 6)]
            self.sm.get_screen("rating").prepare(
                question.id, text, labels, progress, optional, previous, self.sz.portrait
            )
            self._show("rating")
        elif question.type == "checklist":
            options = [(o.id, o.text.get(lang)) for o in question.options]
            self.sm.get_screen("checklist").prepare(question.id, text, options, progress, optional, previous)
            self._show("checklist")
        else:
            options = [(o.id, o.text.get(lang)) for o in question.options]
            self.sm.get_screen("choice").prepare(
                question.id, text, options, progress, optional, previous, question.type == "text"
            )
            self._show("choice")

    def _prebuild_rating(self) -> None:
        if self.session is not None or not hasattr(self, "sm"):
            return
        survey = self.config_.survey
        labels = [survey.scale_label(v).get(self.lang) for v in range(1, 6)]
        text = survey.question("tong_the").text.get(self.lang)
        self.sm.get_screen("rating").prepare("tong_the", text, labels, "", False, None, self.sz.portrait)

    def _finish(self) -> None:
        session = self.session
        assert session is not None
        flags = self.guard.record_ballot(self.now()) if session.is_complete else []
        try:
            session.finish(flags)
        except StoreUnavailable as exc:
            self._fault(exc)
            return
        self.session = None
        self.ballots_finished += 1
        self.sm.get_screen("thanks").rating = int(session.flow.answers.get(OVERALL_ID) or 0)
        self.sm.get_screen("thanks").staff_id = session.flow.staff_id or ""
        self._show("thanks")
        self._thanks_event = Clock.schedule_once(lambda _dt: self.thanks_done(), THANKS_S / self.time_scale)

    def _abandon_session(self) -> None:
        session, self.session = self.session, None
        if session is None:
            return
        if session.is_complete and session.ballot_id is not None:
            flags = self.guard.record_ballot(self.now())
            if flags:
                self.store.add_flags(session.ballot_id, flags)
        session.abandon()

    def _fault(self, exc: BaseException) -> None:
        self.store_fault = str(exc) or type(exc).__name__
        self.session = None
        self._show("fault")

    def _safe(self, call: Callable[[], T], default: T) -> T:
        """Run a store call; on StoreUnavailable remember the fault and return `default`."""
        try:
            return call()
        except StoreUnavailable as exc:
            self.store_fault = str(exc) or type(exc).__name__
            return default

    def _show(self, name: str) -> None:
        if name == "welcome" and not self.is_open():
            name = "closed"  # outside the opening hours no ballot starts
            hours = self.config_.opening_hours or {}
            self.sm.get_screen("closed").hours = "\n".join(describe_hours(hours, self.lang))
        self.sm.current = name
        # New content on the glass: touches that began before it never act on it, and it takes
        # touches once it has been seen for the settle time.
        self.gate.screen_shown(self.now())
        self._frame()
        if self.speech is not None:
            self.keys.screen_shown()
            self.speech.screen_shown(name)
        if name in ("welcome", "fault", "still_there", "closed"):
            self._cancel(self._idle_event)
            self._idle_event = None
        elif name != "thanks":
            self._arm_idle()
        else:
            self._cancel(self._idle_event)

    def _frame(self) -> None:
        if self.recorder is not None:
            self.recorder.frame(f"{self.sm.current_screen.view_label()}-{self.lang}", screenshot=True)

    def _arm_idle(self) -> None:
        self._cancel(self._idle_event)
        if self.sm.current in ("welcome", "fault", "thanks", "still_there"):
            self._idle_event = None
            return
        self._idle_event = Clock.schedule_once(self._on_idle, self.idle_timeout_s / self.time_scale)

    def _on_idle(self, _dt: float) -> None:
        self._idle_event = None
        current = self.sm.current
        if current in ("welcome", "fault", "thanks", "still_there"):
            return
        if self.session is None:
            self.go_welcome()  # the PIN or admin screen left open
            return
        if self.speech is not None and self.speech.speaking:
            self._arm_idle()  # a citizen listening to the screen has not walked away
            return
        self._warn_idle()

    def _warn_idle(self) -> None:
        """Nobody has touched the ballot for the idle time: ask, full screen, with a countdown."""
        self._resume_screen = self.sm.current
        if self._resume_screen == "comment":
            # Kept as typed: shown again on "Tiếp tục", stored if the countdown runs out.
            self._comment_draft = self.sm.get_screen("comment").draft()
        self._close_overlays()
        screen = self.sm.get_screen("still_there")
        warning_s = self.settings.idle_warning_s
        screen.seconds_left = warning_s
        self._show("still_there")
        ends = self.now() + warning_s
        scale = self.time_scale

        def tick(_dt: float) -> bool:
            left = ends - self.now()
            if self.sm.current != "still_there":
                return False
            if left <= 0:
                self._countdown_event = None
                self._close_ballot()
                return False
            screen.seconds_left = max(1, int(left + 0.999))
            return True

        self._countdown_event = Clock.schedule_interval(tick, min(1.0, warning_s) / scale)

    def _close_ballot(self) -> None:
        """The warning ran out: the ballot closes as it stands, a typed comment kept; a clean start next."""
        session = self.session
        resume = self._resume_screen
        if session is not None and session.flow.current.kind == STEP_COMMENT and session.ballot_id:
            from kiosk.ui.screens.comment import compose_comment

            chosen, typed = self._comment_draft or ([], "")
            comment = compose_comment(chosen, typed)
            phone, consent = None, False
            if resume == "contact":
                contact = self.sm.get_screen("contact")
                consent = bool(contact.consent)
                phone = contact.digits if consent else None
            for number, agreed in ((phone, consent), (None, False)):  # an unfinished number is dropped
                if not (comment or number):
                    break
                try:
                    session.set_comment(comment, number, agreed)
                    break
                except FlowError:
                    continue
                except StoreUnavailable as exc:
                    self.store_fault = str(exc) or type(exc).__name__
                    break
        self._safe(self._abandon_session, None)  # kept once tong_the is answered, else discarded
        self.go_welcome()

    def _close_overlays(self) -> None:
        """No keyboard, focus or pop-up outlives the screen it belongs to."""
        from kivy.core.window import Window
        from kivy.uix.modalview import ModalView

        field = self.sm.get_screen("comment").ids.get("field") if hasattr(self, "sm") else None
        if field is not None:
            field.focus = False
        Window.release_all_keyboards()
        for child in list(Window.children):
            if isinstance(child, ModalView):
                child.dismiss(animation=False)

    def _schedule_notice_clear(self) -> None:
        self._cancel(self._notice_event)
        left = self.guard.cooldown_left(self.now()) / self.time_scale

        def clear(_dt: float) -> None:
            self.sm.get_screen("welcome").notice = ""

        self._notice_event = Clock.schedule_once(clear, max(left, 0.5))

    def _touch_handlers(self) -> dict[str, Callable[..., bool]]:
        return {
            "on_touch_down": self._on_touch_down,
            "on_touch_move": self._on_touch_move,
            "on_touch_up": self._on_touch_up,
        }

    def _on_touch_down(self, _window: Any, touch: Any) -> bool:
        """Every touch meets the gate first; True swallows it (no widget sees it)."""
        from kivy.base import EventLoop

        if self.recorder is not None:
            self.recorder.line(f"TOUCH {int(touch.x)} {int(touch.y)} {_t_ms()}")
        if self._idle_event is not None:
            self._arm_idle()
        alive = {m.uid for m in EventLoop.me_list}
        stamp = self.gate.down(touch.uid, self.now(), alive=alive)
        touch.ud["kiosk_gen"] = stamp
        if stamp is None:
            from kivy.uix.behaviors import FocusBehavior

            # An ignored touch is nothing: it must not take the focus from a field being typed in.
            FocusBehavior.ignored_touch.append(touch)
            return True
        if self.speech is not None and self.speech.on:
            self.speech.stop()  # a new touch interrupts the speech
        return False

    def _on_touch_move(self, _window: Any, touch: Any) -> bool:
        return touch.ud.get("kiosk_gen", 0) is None

    def _on_touch_up(self, _window: Any, touch: Any) -> bool:
        stamp = touch.ud.get("kiosk_gen", 0)
        acts = self.gate.up(touch.uid, stamp)
        # The tap's effect (a new screen, a ticked box) is drawn in the next frame.
        if self.recorder is not None and self.trace and hasattr(self, "sm"):
            self.recorder.line(f"RELEASE {int(touch.x)} {int(touch.y)} {_t_ms()}")
            self.recorder.frame(f"{self.sm.current_screen.view_label()}-{self.lang}")
        # A lift whose touch began on an earlier screen, or was refused, reaches no widget; a
        # widget that grabbed it is told apart by TapGate.
        return not acts

    def _on_stored(self, ballot_id: str, what: str) -> None:
        if self.recorder is not None:
            self.recorder.line(f"TAP stored {ballot_id} {what} {_t_ms()}")

    @staticmethod
    def _cancel(event: Any) -> None:
        if event is not None:
            event.cancel()


def _t_ms() -> int:
    return time.monotonic_ns() // 1_000_000


def run_app(
    settings: KioskSettings,
    *,
    autopilot: int | None = None,
    seed: int = 0,
    speed: float = 1.0,
    screenshots: Path | None = None,
    config_path: Path | None = None,
) -> int:
    """Open the store and configuration, run the touch UI until it quits; returns the exit status."""
    trace = os.environ.get("SURVEY_KIOSK_TRACE", "") in ("1", "true", "yes")
    try:
        store = KioskStore.from_settings(settings)
    except StoreUnavailable as exc:
        print(f"The kiosk's storage is unavailable: {exc}.", file=sys.stderr)
        return 1
    try:
        config = load_config(store, settings.home, config_path or settings.config_file)
        stored_mode = store.get("mode")
    except (ConfigError, StoreUnavailable) as exc:
        store.close()
        print(f"The kiosk cannot start: {exc}", file=sys.stderr)
        return 1
    mode = stored_mode if stored_mode in ("kiosk", "tablet") else settings.mode
    configure_kivy(settings, mode)
    app = KioskApp(
        settings,
        store,
        config,
        autopilot=autopilot,
        seed=seed,
        speed=speed,
        screenshots=screenshots,
        trace=trace,
    )
    try:
        app.run()
    finally:
        store.close()
    return app.exit_code

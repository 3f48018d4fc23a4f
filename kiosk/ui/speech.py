"""The counter's voice: audio mode, screen readings, explore-by-touch, volume; playback through SDL2.

    app.speech.start_audio()        # "Đọc to / Nghe hướng dẫn", or the first key pressed
    app.speech.screen_shown("rating")  # each screen is read when it appears (audio mode only)
    app.speech.repeat()             # "Đọc lại", the keypad's "."

Clips come from `kiosk.speech.SpeechLibrary` (rendered ahead of time in a background thread when a
configuration arrives), so speaking is only playback. A new touch or key interrupts what is playing.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.clock import Clock
from kivy.logger import Logger

from kiosk.speech import SpeechLibrary, SpeechUnavailable, phrases_for
from kiosk.speech.catalogue import catalogue, plain, texts_by_phrase

if TYPE_CHECKING:
    from kiosk.config import KioskConfig
    from kiosk.ui.app import KioskApp

__all__ = ["AUDIO_CONTROLS", "EXPLORE_WINDOW_S", "VOLUME_STEP", "SpeechController"]

EXPLORE_WINDOW_S = 4.0  # a second tap on the same target within this chooses it
EXPLORE_BOUNCE_S = 0.1  # ... but not a bounce of the same finger
VOLUME_STEP = 0.15
GAP_S = 0.12  # pause between two clips of one reading
# Buttons that act at once in audio mode (they are the audio controls themselves).
AUDIO_CONTROLS = frozenset({"audio", "audio_repeat", "audio_louder", "audio_softer"})


class SpeechController:
    """One per App; every method runs on Kivy's main thread except the background render."""

    def __init__(self, app: KioskApp, library: SpeechLibrary, default_volume: float) -> None:
        self.app = app
        self.library = library
        self.default_volume = min(1.0, max(0.05, float(default_volume)))
        self.volume = self.default_volume
        self.on = False
        self.last_reading: list[str] = []
        self.spoken: list[str] = []  # every phrase id started, in order (tests, the recording's transcript)
        self._queue: list[str] = []
        self._sound: Any = None
        self._next: Any = None
        self._sounds: dict[Path, Any] = {}
        self._explored: Any = None
        self._explored_at = float("-inf")
        self._texts: dict[tuple[int, str], dict[str, str]] = {}
        self._render_lock = threading.Lock()
        self._render_thread: threading.Thread | None = None
        self.last_render: Any = None
        self._bar: Any = None

    # --- the audio mode -----------------------------------------------------------------------------

    def start_audio(self) -> None:
        """Audio mode on: the help, then the screen on the glass."""
        self.on = True
        self._show_bar(True)
        self.say(["say.audio_on", *self.reading(self.app.sm.current)])

    def toggle_audio(self) -> None:
        """The welcome screen's "Đọc to / Nghe hướng dẫn" button."""
        if self.on:
            self.say(["say.audio_off"])
            self.on = False
            self._show_bar(False)
        else:
            self.start_audio()

    def reset(self) -> None:
        """The next citizen: silence, audio mode off, the administrator's volume again."""
        self.stop()
        self.on = False
        self.volume = self.default_volume
        self._explored = None
        self._show_bar(False)

    def screen_shown(self, name: str) -> None:
        """A screen appeared: in audio mode it is read, interrupting what was said before."""
        self._explored = None
        if self.on:
            self.say(self.reading(name))
            # The targets a finger may explore next, decoded while the reading plays.
            targets = [f"face.{v}" for v in range(1, 6)] if name == "rating" else []
            if name == "staff":
                targets = [f"staff.{o.id}" for o in self.app.config_.staff]
            Clock.schedule_once(lambda _dt: self.preload(targets), 0.2)

    def repeat(self) -> None:
        """ "Đọc lại": the screen again from its start."""
        if self.on:
            self.say(self.reading(self.app.sm.current))

    def louder(self) -> None:
        self._set_volume(self.volume + VOLUME_STEP, "ui.louder")

    def softer(self) -> None:
        self._set_volume(self.volume - VOLUME_STEP, "ui.softer")

    def _set_volume(self, value: float, phrase: str) -> None:
        self.volume = round(min(1.0, max(0.1, value)), 2)
        if self._sound is not None:
            self._sound.volume = self.volume
        if self.on:
            self.say([phrase])

    # --- what a screen says -------------------------------------------------------------------------

    def reading(self, name: str) -> list[str]:
        """The phrase ids that read screen `name` as it is now."""
        app = self.app
        screen = app.sm.get_screen(name)
        if name == "welcome":
            return ["ui.greeting", "ui.invite", "ui.anonymous", "say.welcome_keys"]
        if name == "staff":
            ids = ["ui.staff_question"]
            for number, officer in enumerate(app.config_.staff[:9], start=1):
                ids += [f"digit.{number}", f"staff.{officer.id}"]
            return [*ids, "say.staff_keys"]
        if name == "rating":
            skip = ["say.rating_skip"] if screen.optional else []
            return [f"q.{screen.question_id}", "say.rating_keys", *skip]
        if name == "offer":
            return ["say.chosen", f"face.{int(screen.rating)}", "ui.offer_question", "say.offer_keys"]
        if name == "checklist":
            ids = [f"q.{screen.question_id}"]
            for number, row in enumerate(reversed(screen.ids.options.children), start=1):
                ids += [f"digit.{number}", f"q.{screen.question_id}.{row.option_id}"]
            return [*ids, "say.checklist_keys"]
        if name == "choice":
            qid = screen.question_id
            if screen.is_text:
                return [f"q.{qid}", "say.text_keys"]
            ids = [f"q.{qid}"]
            question = app.config_.survey.question(qid)
            for number, option in enumerate(question.options, start=1):
                ids += [f"digit.{number}", f"q.{qid}.{option.id}"]
            return [*ids, "say.choice_keys"]
        if name == "comment":
            ids = ["ui.comment_question"]
            for number, chip in enumerate(reversed(screen.ids.chips.children), start=1):
                ids += [f"digit.{number}", f"quick.{chip.name.removeprefix('quick_')}"]
            return [*ids, "say.comment_keys"]
        if name == "contact":
            if screen.consent:
                return ["say.contact_agreed"]
            return ["ui.contact_question", "ui.contact_privacy", "say.contact_keys"]
        if name == "thanks":
            rating = int(screen.rating)
            return ["ui.thanks", "ui.thanks_sub" if rating >= 3 or not rating else "ui.thanks_sub_low"]
        if name == "still_there":
            return ["ui.still_question", "say.still_keys"]
        if name == "fault":
            return ["ui.store_fault"]
        return []

    def describe(self, widget: Any) -> list[str]:
        """What a touched target says (explore-by-touch); [] when it has nothing to say."""
        kind = type(widget).__name__
        name = str(getattr(widget, "name", "") or "")
        if kind == "FaceButton":
            return [f"face.{int(widget.value)}"]
        if kind == "OfficerCard":
            return [f"staff.{widget.staff_id}"]
        if kind == "CheckRow" and hasattr(widget, "option_id"):
            question_id = self.app.sm.current_screen.question_id
            return [f"q.{question_id}.{widget.option_id}", *(["say.ticked"] if widget.active else [])]
        if name.startswith("quick_"):
            return [f"quick.{name.removeprefix('quick_')}", *(["say.chosen"] if widget.selected else [])]
        if name.startswith("key_") and name != "key_del":
            return [f"digit.{name.removeprefix('key_')}"]
        text = plain(str(getattr(widget, "text", "") or ""))
        found = self._text_index().get(text)
        return [found] if found else []

    def _text_index(self) -> dict[str, str]:
        key = (id(self.app.config_), self.app.lang)
        if key not in self._texts:
            config = self.app.config_
            self._texts = {key: texts_by_phrase(catalogue(config.survey, config.staff, self.app.lang))}
        return self._texts[key]

    # --- explore-by-touch ---------------------------------------------------------------------------

    def explore(self, widget: Any, now: float) -> str | None:
        """A tap released on `widget` in audio mode: "speak" (first tap), "act" (second tap), or None.

        None means the tap is an ordinary one (audio mode off, an audio control, nothing to say).
        """
        if not self.on or str(getattr(widget, "name", "")) in AUDIO_CONTROLS:
            return None
        ids = self.describe(widget)
        if not ids:
            return None
        if self._explored is widget and EXPLORE_BOUNCE_S <= now - self._explored_at <= EXPLORE_WINDOW_S:
            self._explored = None
            return "act"
        if self._explored is widget and now - self._explored_at < EXPLORE_BOUNCE_S:
            return "speak"  # a bounce of the first tap: it neither chooses nor restarts the speech
        self._explored = widget
        self._explored_at = now
        self.say(ids)
        return "speak"

    def acted(self, widget: Any) -> None:
        """After a tick box, chip or key acted (the screen stays): say its new state."""
        name = str(getattr(widget, "name", ""))
        is_row = type(widget).__name__ == "CheckRow"
        if not self.on or not (is_row or name.startswith(("quick_", "key_"))):
            return
        ids = self.describe(widget)
        off = (is_row and not widget.active) or (name.startswith("quick_") and not widget.selected)
        self.say([ids[0], "say.unticked"] if off and ids else ids)

    # --- playback -----------------------------------------------------------------------------------

    def say(self, phrase_ids: Sequence[str]) -> None:
        """Stop what is playing and play these phrases one after another (missing clips are skipped)."""
        self.stop()
        ids = list(phrase_ids)
        if not ids:
            return
        if ids and not ids[0].startswith(("ui.louder", "ui.softer")):
            self.last_reading = ids
        self._queue = ids
        self._advance(0)

    def stop(self) -> None:
        """Silence at once."""
        self._queue = []
        if self._next is not None:
            self._next.cancel()
            self._next = None
        if self._sound is not None:
            self._sound.stop()
            self._sound = None

    @property
    def speaking(self) -> bool:
        return self._sound is not None

    def _advance(self, _dt: float) -> None:
        self._next = None
        self._sound = None
        if self.app._idle_event is not None:
            # The idle time counts from the end of the speech: listening is not walking away.
            self.app._arm_idle()
        while self._queue:
            phrase_id = self._queue.pop(0)
            sound = self._load(phrase_id)
            if sound is None:
                continue
            sound.volume = self.volume
            sound.play()
            self._sound = sound
            self.spoken.append(phrase_id)
            self._next = Clock.schedule_once(self._advance, max(0.05, float(sound.length or 0)) + GAP_S)
            return

    def _load(self, phrase_id: str) -> Any:
        path = self.library.clip(self.app.lang, phrase_id)
        if path is None:
            return None
        sound = self._sounds.get(path)
        if sound is None:
            from kivy.core.audio import SoundLoader

            sound = SoundLoader.load(str(path))
            if sound is None:
                return None
            if len(self._sounds) > 96:
                self._sounds.pop(next(iter(self._sounds))).unload()
            self._sounds[path] = sound
        return sound

    def preload(self, phrase_ids: Sequence[str]) -> None:
        """Decode these clips now, so a tap on them starts sound without reading a file."""
        for phrase_id in phrase_ids:
            self._load(phrase_id)

    # --- rendering ----------------------------------------------------------------------------------

    def render_in_background(self, config: KioskConfig) -> threading.Thread:
        """Render every phrase of `config` (both languages) in a thread; the kiosk keeps serving."""

        def work() -> None:
            with self._render_lock:
                try:
                    self.last_render = self.library.render(phrases_for(config.survey, config.staff))
                except SpeechUnavailable as exc:
                    Logger.warning("Speech: %s", exc)
                    return
                if self.last_render.failed:
                    Logger.warning(
                        "Speech: %d phrases failed: %s",
                        len(self.last_render.failed),
                        self.last_render.failed[:3],
                    )
                # Clips that changed must be read from disk again.
                Clock.schedule_once(lambda _dt: self._forget_sounds(), 0)

        thread = threading.Thread(target=work, name="speech-render", daemon=True)
        thread.start()
        self._render_thread = thread
        return thread

    def _forget_sounds(self) -> None:
        playing = self._sound
        for path, sound in list(self._sounds.items()):
            if sound is not playing:
                sound.unload()
                del self._sounds[path]

    def wait_rendered(self, timeout: float = 120.0) -> None:
        """Block until the background render is done (tests, bench)."""
        if self._render_thread is not None:
            self._render_thread.join(timeout)

    # --- the on-screen audio controls ---------------------------------------------------------------

    def _show_bar(self, visible: bool) -> None:
        from kivy.core.window import Window

        if hasattr(self.app, "sm"):
            self.app.sm.get_screen("welcome").audio_on = visible

        if visible and self._bar is None:
            self._bar = _audio_bar(self.app)
        if self._bar is None:
            return
        if visible and self._bar.parent is None:
            Window.add_widget(self._bar)
        elif not visible and self._bar.parent is not None:
            self._bar.parent.remove_widget(self._bar)
        self._bar.place()

    def shutdown(self) -> None:
        """The app stops: silence, the bar gone. No kv-bound property is touched here: during on_stop
        that would make Kivy's `app` proxy cache this stopping app for the next one (tests start many)."""
        self.stop()
        if self._bar is not None:
            from kivy.core.window import Window

            Window.unbind(size=self._bar.place)
            if self._bar.parent is not None:
                self._bar.parent.remove_widget(self._bar)
        for sound in self._sounds.values():
            sound.unload()
        self._sounds.clear()


def _audio_bar(app: KioskApp) -> Any:
    """ "−  Đọc lại  +" in the top-right corner while audio mode is on."""
    from kivy.uix.boxlayout import BoxLayout

    from kiosk.ui.strings import tr
    from kiosk.ui.widgets import KioskButton

    bar = BoxLayout(orientation="horizontal", size_hint=(None, None))

    def place(*_args: Any) -> None:
        from kivy.core.window import Window

        sz = app.sz
        bar.spacing = sz.gap * 0.5
        bar.height = sz.nav_h
        bar.width = min(Window.width - sz.pad, sz.nav_h * 7)
        for button in bar.children:
            button.base_height = sz.nav_h
            button.font_size = sz.body
        strip = bar.height + sz.pad * 0.5
        bar.pos = (Window.width - bar.width - sz.pad * 0.5, Window.height - strip)
        # The screens step down under the bar while it is there, so it covers nothing.
        root = app.root
        if root is not None:
            shown = bar.parent is not None
            root.size_hint_y = None if shown else 1
            root.height = Window.height - strip if shown else Window.height
            root.y = 0

    for name, text, action in (
        ("audio_softer", tr("softer", app.lang), lambda *_: app.speech.softer()),
        ("audio_repeat", tr("repeat", app.lang), lambda *_: app.speech.repeat()),
        ("audio_louder", tr("louder", app.lang), lambda *_: app.speech.louder()),
    ):
        button = KioskButton(name=name, text=text, primary=name == "audio_repeat")
        button.size_hint_x = 1.6 if name == "audio_repeat" else 1
        button.bind(on_release=action)
        bar.add_widget(button)

    def relabel(*_args: Any) -> None:
        for button, key in zip(reversed(bar.children), ("softer", "repeat", "louder"), strict=True):
            button.text = tr(key, app.lang)

    app.bind(sz=place, lang=relabel)
    from kivy.core.window import Window

    Window.bind(size=place)
    bar.place = place  # unbound by SpeechController.shutdown
    place()
    return bar

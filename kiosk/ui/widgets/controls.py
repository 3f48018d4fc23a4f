"""Big, calm touch controls: buttons, face buttons, officer cards, check rows, the keypad.

Looks live in `controls.kv`; these classes hold only state and events.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.image import Image as CoreImage
from kivy.graphics import Color, Ellipse, Line
from kivy.graphics.texture import Texture
from kivy.properties import (
    BooleanProperty,
    ColorProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior, FocusBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.textinput import TextInput
from kivy.uix.vkeyboard import VKeyboard
from kivy.uix.widget import Widget

from kiosk.telex import TONE_MARKS, add_tone, split_tone, type_key
from kiosk.ui.theme import KEYBOARD, sizes

__all__ = [
    "VI_KEYBOARD",
    "AvatarCircle",
    "CheckRow",
    "FaceButton",
    "HotCorner",
    "Keypad",
    "KioskButton",
    "KioskTextInput",
    "KioskVKeyboard",
    "NavBar",
    "OfficerCard",
    "PageDots",
    "TapGate",
    "initials",
    "scroll_into_view",
]

VI_KEYBOARD = str(Path(__file__).resolve().parents[1] / "keyboards" / "vi.json")
_TONE_MARKS = frozenset(TONE_MARKS.values())
_AVATAR_COLOURS = ("#0F5C63", "#1B4F72", "#5B4A8B", "#7A4B2A", "#2E6B3F", "#8A3B5A", "#3C5A6E")


def scroll_into_view(scroll: Any, widget: Any) -> None:
    """Scroll `widget` into view at once, as a finger would before tapping it (autopilot, tests).

    ScrollView.scroll_to without animation leaves the scroll effect's position stale, and the next
    touch would snap the list back; re-syncing the effect keeps it where it was put.
    """
    viewport = scroll.children[0] if scroll.children else None
    if viewport is None or viewport.height <= scroll.height:
        return  # everything is on screen already
    scroll.scroll_to(widget, padding=10, animate=False)

    def sync(*_args: Any) -> None:
        update = getattr(scroll, "_update_effect_bounds", None)
        if callable(update) and viewport.height > scroll.height:
            update()

    sync()
    Clock.schedule_once(sync, 0)


def initials(name: str) -> str:
    """Two letters for an avatar, Vietnamese style: the given name is the last word.

    >>> initials("Nguyễn Thị Lan")
    'NL'
    """
    words = [w for w in name.split() if w]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[-1][0]).upper()


def _gate() -> tuple[Any, Any]:
    """The running kiosk's TouchGate (kiosk/input_rules.py), or None outside the kiosk app."""
    from kivy.app import App

    app = App.get_running_app()
    return getattr(app, "gate", None), app


class TapGate:
    """Mixed in before ButtonBehavior: a release acts only if the touch began on the screen still shown.

    The window's gate (KioskApp._on_touch_down) already refuses touches during the settle time and
    every finger after the first; this is the other half. Kivy hands a touch's lift to the widget
    that grabbed it even when its screen has gone, so a finger that went down on the last question
    would otherwise answer the next one. A second tap on the same target within the repeat delay is
    ignored too (a double tap on a tick box is one tick); keys (`gate_as_key`) use the shorter key
    delay, so a telephone number's "00" can be typed at a normal pace.
    """

    gate_as_key = False

    def on_touch_up(self, touch: Any) -> bool:
        if touch.grab_current is self:
            gate, app = _gate()
            # Audio mode (kiosk/ui/speech.py): a first tap speaks the target, a second one chooses it.
            speech = getattr(app, "speech", None)
            if gate is not None and gate.current(touch.ud.get("kiosk_gen")) and speech is not None:
                verdict = speech.explore(self, app.now())
                if verdict == "act":
                    done = bool(super().on_touch_up(touch))  # type: ignore[misc]
                    speech.acted(self)
                    return done
                if verdict == "speak":
                    touch.ungrab(self)
                    self._do_release()
                    return True
            if gate is not None and (
                not gate.current(touch.ud.get("kiosk_gen"))
                or not (gate.key if self.gate_as_key else gate.tap)(self, app.now())
            ):
                touch.ungrab(self)
                self._do_release()  # back to "normal", no on_release
                return True
        return bool(super().on_touch_up(touch))  # type: ignore[misc]


class KioskVKeyboard(VKeyboard):
    """Kivy's on-screen keyboard under the counter's rules.

    The same key struck again within the gate's key delay types once (a double tap is one letter;
    Telex's doubled letters need a deliberate second strike), and a held key never repeats by itself.
    Docked, it is as tall as the theme's `keyboard_h`, so that every key is at least 10 mm on the
    declared screen (Kivy's own keyboard, 2/7 of the width, gave 8×7 mm keys on a 7-inch tablet).
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("margin_hint", [KEYBOARD.margin_y, KEYBOARD.margin_x] * 2)
        kwargs.setdefault("key_margin", [KEYBOARD.key_margin] * 4)
        super().__init__(**kwargs)

    def setup_mode_dock(self, *args: Any) -> None:
        self._fit_height()
        super().setup_mode_dock(*args)

    def _update_dock_mode(self, win: Any, *args: Any) -> None:
        self._fit_height(win)
        super()._update_dock_mode(win, *args)

    def _fit_height(self, win: Any = None) -> None:
        from kivy.app import App

        win = win or self.get_parent_window()
        settings = getattr(App.get_running_app(), "settings", None)
        if win is None or not win.width:
            return
        diagonal = getattr(settings, "screen_diagonal_in", 10.1)
        wanted = sizes(win.width, win.height, large=False, diagonal_in=diagonal).keyboard_h
        # Drawn KEYBOARD.base_width wide, then scaled to the window's width.
        height = wanted * KEYBOARD.base_width / win.width
        if (self.width, self.height) != (KEYBOARD.base_width, height):
            self.size = (KEYBOARD.base_width, height)
            if self.layout in self.available_layouts:
                self.refresh(True)

    def on_touch_down(self, touch: Any) -> bool:
        x, y = touch.pos
        gate, app = _gate()
        if gate is not None and self.collide_point(x, y) and not self.disabled:
            lx, ly = self.to_local(x, y)
            if not self.collide_margin(lx, ly):
                key = self.get_key_at_pos(lx, ly)
                if key and not gate.key((self.layout_mode, key[1]), app.now()):
                    # Swallowed: the same key again too soon. Like any key touch, it keeps the focus.
                    FocusBehavior.ignored_touch.append(touch)
                    return True
        return bool(super().on_touch_down(touch))

    def _start_repeat_key(self, *_args: Any) -> None:
        """A held key types once (EN 301 549 §5.8: no auto-repeat unless it can be slowed)."""


class KioskButton(TapGate, ButtonBehavior, Label):
    """A large rounded button; `primary` for the main action of a screen."""

    primary = BooleanProperty(False)
    selected = BooleanProperty(False)
    base_height = NumericProperty(0)  # 0 = the theme's button height
    # Height 0: gone from the layout, and unlike a hidden widget it takes no touches.
    collapsed = BooleanProperty(False)
    name = StringProperty("")  # stable handle for tests and the autopilot


class KioskTextInput(TextInput):
    """A text field in the kiosk's look (flat, bordered, large type).

    With `telex`, letters typed are Telex ("vieetj" shows "việt", kiosk/telex.py) and a combining
    tone mark (the tone bar of the Vietnamese on-screen keyboard) goes onto the word before the
    cursor. `keyboard_layout` is the docked on-screen keyboard's layout while this field has focus.
    """

    telex = BooleanProperty(False)
    keyboard_layout = StringProperty("")

    def on_focus(self, _instance: Any, focused: bool) -> None:
        if focused and self.keyboard_layout:
            # The docked keyboard is made when focus arrives; set its layout once it exists.
            Clock.schedule_once(self._apply_layout, 0)

    def _apply_layout(self, _dt: float) -> None:
        keyboard = getattr(self, "_keyboard", None)
        widget = getattr(keyboard, "widget", None)
        if widget is not None and self.keyboard_layout and widget.layout != self.keyboard_layout:
            widget.layout = self.keyboard_layout

    def insert_text(self, substring: str, from_undo: bool = False) -> None:
        tone_key = substring in _TONE_MARKS
        if from_undo or len(substring) != 1 or not (tone_key or (self.telex and substring.isalpha())):
            super().insert_text(substring, from_undo=from_undo)
            return
        index = self.cursor_index()
        text: str = str(self.text)  # type: ignore[has-type]  # a Kivy AliasProperty
        start = index
        while start > 0 and text[start - 1].isalpha():
            start -= 1
        word = text[start:index]
        if tone_key:
            # The same tone again takes it back, as typing its Telex letter twice does.
            new = add_tone(word, "" if split_tone(word)[1] == substring else substring)
            if new == word:
                return  # no vowel before the cursor: a bare tone mark means nothing
        else:
            new = type_key(word, substring)
            if new == word + substring:
                super().insert_text(substring, from_undo=from_undo)
                return
        if len(new) > len(word) and callable(self.input_filter) and not self.input_filter(substring, False):
            return  # the field is full
        self.text = text[:start] + new + text[index:]
        self.cursor = self.get_cursor_from_index(start + len(new))


class FaceButton(TapGate, ButtonBehavior, BoxLayout):
    """One face of the 1..5 scale with its label in words."""

    value = NumericProperty(0)
    source = StringProperty("")
    label = StringProperty("")
    selected = BooleanProperty(False)
    name = StringProperty("")


class AvatarCircle(Label):
    """A round officer photo, or the officer's initials on a colour taken from the name."""

    source = StringProperty("")
    person = StringProperty("")
    tint = ColorProperty((0.06, 0.36, 0.39, 1))

    def __init__(self, **kwargs: Any) -> None:
        self._photo: Texture | None = None
        super().__init__(**kwargs)
        self.bind(pos=self._redraw, size=self._redraw, tint=self._redraw)

    def on_person(self, _instance: Any, value: str) -> None:
        digest = hashlib.sha1(value.encode("utf-8")).digest()
        code = _AVATAR_COLOURS[digest[0] % len(_AVATAR_COLOURS)].lstrip("#")
        self.tint = (*(int(code[i : i + 2], 16) / 255 for i in (0, 2, 4)), 1.0)
        self._update_text()

    def on_source(self, _instance: Any, value: str) -> None:
        self._photo = None
        if value and Path(value).is_file():
            try:
                texture = CoreImage(value).texture
            except Exception:  # a broken photo file falls back to the initials
                texture = None
            if texture is not None:
                # Centre square crop, so faces are not stretched into the circle.
                side = min(texture.width, texture.height)
                x, y = (texture.width - side) // 2, (texture.height - side) // 2
                self._photo = texture.get_region(x, y, side, side)
        self._update_text()
        self._redraw()

    def _update_text(self) -> None:
        self.text = "" if self._photo is not None else initials(self.person)

    def _redraw(self, *_args: Any) -> None:
        self.canvas.before.clear()
        with self.canvas.before:
            if self._photo is not None:
                Color(1, 1, 1, 1)
                Ellipse(pos=self.pos, size=self.size, texture=self._photo)
            else:
                Color(*self.tint)
                Ellipse(pos=self.pos, size=self.size)


class OfficerCard(TapGate, ButtonBehavior, BoxLayout):
    """An officer to choose: photo or initials, name, title, counter."""

    staff_id = StringProperty("")
    officer_name = StringProperty("")
    title = StringProperty("")
    counter = StringProperty("")
    photo = StringProperty("")
    selected = BooleanProperty(False)
    name = StringProperty("")
    fit = NumericProperty(1.0)  # type scale, below 1 when a long name would not fit the page


class PageDots(Widget):
    """A dot per page, the current one filled: drawn, since the fonts lack reliable ● ○ glyphs."""

    pages = NumericProperty(1)
    page = NumericProperty(0)
    colour = ColorProperty((0.06, 0.36, 0.39, 1))

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name in ("pos", "size", "pages", "page", "colour"):
            self.fbind(name, self._redraw)

    def _redraw(self, *_args: Any) -> None:
        self.canvas.clear()
        count = int(self.pages)
        if count <= 1:
            return
        d = min(self.height * 0.7, self.width / (count * 2))
        step = d * 2
        x0 = self.center_x - step * (count - 1) / 2
        with self.canvas:
            Color(*self.colour)
            for i in range(count):
                x, y = x0 + i * step - d / 2, self.center_y - d / 2
                if i == self.page:
                    Ellipse(pos=(x, y), size=(d, d))
                else:
                    Line(ellipse=(x, y, d, d), width=1.5)


class CheckRow(TapGate, ButtonBehavior, BoxLayout):
    """A full-width tick box with its text; tapping anywhere on the row toggles it."""

    text = StringProperty("")
    active = BooleanProperty(False)
    enabled = BooleanProperty(True)
    name = StringProperty("")

    def on_release(self) -> None:
        if self.enabled:
            self.active = not self.active


class Keypad(GridLayout):
    """A big numeric keypad (1–9, 0 and Delete); dispatches `on_key` with "0".."9" or "del"."""

    enabled = BooleanProperty(True)
    erase_text = StringProperty("Xoá")
    key_height = NumericProperty(80)
    __events__ = ("on_key",)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cols = 3
        self.keys: dict[str, KioskButton] = {}
        for key in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "", "0", "del"):
            if not key:
                self.add_widget(Widget(size_hint_y=None, height=0))
                continue
            button = KioskButton(text=self.erase_text if key == "del" else key, name=f"key_{key}")
            button.gate_as_key = True
            button.base_height = self.key_height
            button.bind(on_release=lambda _b, k=key: self.press(k))
            self.keys[key] = button
            self.add_widget(button)
        self.bind(enabled=self._sync_enabled, erase_text=self._sync_erase, key_height=self._sync_height)
        self._sync_enabled()

    def _sync_enabled(self, *_args: Any) -> None:
        for button in self.keys.values():
            button.disabled = not self.enabled

    def _sync_height(self, *_args: Any) -> None:
        for button in self.keys.values():
            button.base_height = self.key_height

    def _sync_erase(self, *_args: Any) -> None:
        self.keys["del"].text = self.erase_text

    def on_key(self, key: str) -> None:
        """Default handler: nothing."""

    def press(self, key: str) -> None:
        """A key was tapped."""
        if self.enabled:
            self.dispatch("on_key", key)


class NavBar(BoxLayout):
    """The bottom bar of every ballot screen: "Quay lại" on the left, "Bỏ qua" on the right."""

    back_text = StringProperty("Quay lại")
    skip_text = StringProperty("Bỏ qua")
    show_back = BooleanProperty(True)
    show_skip = BooleanProperty(True)
    __events__ = ("on_back", "on_skip")

    def on_back(self) -> None:
        """Default handler: nothing."""

    def on_skip(self) -> None:
        """Default handler: nothing."""


class HotCorner(Widget):
    """The hidden admin gesture: hold 3 s, or tap 5 times within 4 s; dispatches `on_trigger`.

    Invisible and small, in the top-left corner, so a citizen does not find it by accident.
    """

    hold_s = NumericProperty(3.0)
    taps_needed = NumericProperty(5)
    taps_window_s = NumericProperty(4.0)
    _event = ObjectProperty(None, allownone=True)
    __events__ = ("on_trigger",)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._taps: list[float] = []

    def on_trigger(self) -> None:
        """Default handler: nothing."""

    def on_touch_down(self, touch: Any) -> bool:
        if not self.collide_point(*touch.pos):
            return False
        touch.grab(self)
        self._cancel()
        self._event = Clock.schedule_once(self._fire, self.hold_s)
        now = time.monotonic()
        self._taps = [t for t in self._taps if now - t <= self.taps_window_s] + [now]
        if len(self._taps) >= self.taps_needed:
            self._taps.clear()
            self._fire(0)
        return True

    def on_touch_up(self, touch: Any) -> bool:
        if touch.grab_current is self:
            touch.ungrab(self)
            self._cancel()
            return True
        return False

    def _cancel(self) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None

    def _fire(self, _dt: float) -> None:
        self._cancel()
        self.dispatch("on_trigger")

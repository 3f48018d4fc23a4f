"""A USB numeric keypad (or any keyboard) at the counter: every screen can be used without touching it.

Keys: 1–5 a face (on the officer screen 1–9 an officer, on a list the item's number), 0 "Không áp
dụng" / skip, Enter confirms, Backspace goes back, "." reads the screen again, "+" / "−" the volume,
the arrows walk a tick list. The first key pressed turns the audio mode on and does nothing else, so a
citizen who cannot see the screen hears what the keys do before any key acts.

The touch rules hold for keys too (kiosk/input_rules.py): a key on a screen shown for less than the
settle time is ignored, a held key never repeats by itself, the same key again within the repeat
delay is one press (the phone number's digits use the shorter key delay), and answers go through the
same repeat delay as touches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp

__all__ = ["KeyController", "action_for"]

_DIGITS = {**{48 + d: d for d in range(10)}, **{256 + d: d for d in range(10)}}
_NAMED = {
    13: "enter",
    271: "enter",
    8: "back",
    46: "repeat",
    266: "repeat",
    43: "louder",
    270: "louder",
    45: "softer",
    269: "softer",
    273: "up",
    274: "down",
}
# Screens where keys are for the staff, not the citizen (the PIN and admin screens type into fields).
_NOT_CITIZEN = ("pin", "admin")
# Screens where Backspace is "Quay lại".
_BALLOT_SCREENS = ("staff", "rating", "offer", "checklist", "choice", "comment")


def action_for(key: int, codepoint: str | None = None) -> str:
    """What a key code means at the counter: "0".."9", "enter", "back", "repeat", "louder", ... or "other".

    >>> action_for(257), action_for(13), action_for(61, "+")
    ('1', 'enter', 'louder')
    """
    if key in _DIGITS:
        return str(_DIGITS[key])
    if codepoint == "+":
        return "louder"
    return _NAMED.get(key, "other")


class KeyController:
    """Binds the window's key events for one KioskApp; `unbind()` on stop."""

    def __init__(self, app: KioskApp) -> None:
        from kivy.core.window import Window

        self.app = app
        self._held: set[int] = set()
        self._last: tuple[str, float] | None = None
        self.focus_index = -1  # the tick list's row walked to with the arrows
        Window.bind(on_key_down=self._on_key_down, on_key_up=self._on_key_up)

    def unbind(self) -> None:
        from kivy.core.window import Window

        Window.unbind(on_key_down=self._on_key_down, on_key_up=self._on_key_up)

    def screen_shown(self) -> None:
        self.focus_index = -1

    def _on_key_up(self, _window: Any, key: int, *_args: Any) -> bool:
        self._held.discard(key)
        return False

    def _on_key_down(
        self, _window: Any, key: int, _scancode: int = 0, codepoint: str | None = None, _modifiers: Any = None
    ) -> bool:
        app = self.app
        if not hasattr(app, "sm") or app.sm.current in _NOT_CITIZEN or self._typing():
            return False
        if key in (27, 1001):
            return False  # Escape: the App's own rule (swallowed in kiosk mode)
        if key in self._held:
            return True  # a held key repeats by itself: ignored
        self._held.add(key)
        now = app.now()
        if app._idle_event is not None:
            app._arm_idle()
        speech = app.speech
        if not speech.on:
            speech.start_audio()
            return True
        action = action_for(key, codepoint)
        if action == "other":
            speech.repeat()
            return True
        contact_digit = app.sm.current == "contact" and action.isdigit()
        delay = app.gate.key_repeat_s if contact_digit else app.gate.repeat_delay_s
        if self._last is not None and self._last[0] == action and now - self._last[1] < delay:
            return True
        if not app.gate.settled(now):
            return True
        self._last = (action, now)
        speech.stop()  # a new key interrupts the speech
        self.act(app.sm.current, action)
        return True

    def _typing(self) -> bool:
        """True while a text field has the focus (the comment field): keys are letters then."""
        from kivy.uix.textinput import TextInput

        screen = self.app.sm.current_screen
        return any(isinstance(w, TextInput) and w.focus for w in screen.walk(restrict=True))

    # --- what each key does on each screen ----------------------------------------------------------

    def act(self, screen_name: str, action: str) -> None:
        """Do `action` on the screen called `screen_name`."""
        app = self.app
        speech = app.speech
        screen = app.sm.get_screen(screen_name)
        if action == "repeat":
            speech.repeat()
            return
        if action == "louder":
            speech.louder()
            return
        if action == "softer":
            speech.softer()
            return
        handler = getattr(self, f"_on_{screen_name}", None)
        if handler is not None and handler(screen, action):
            return
        if action == "back" and screen_name in _BALLOT_SCREENS:
            app.go_back()
        else:
            speech.repeat()  # a key that means nothing here: the screen again, so the citizen knows where

    def _on_welcome(self, _screen: Any, action: str) -> bool:
        if action == "enter":
            self.app.start_ballot()
            return True
        return False

    def _on_staff(self, _screen: Any, action: str) -> bool:
        app = self.app
        staff = app.config_.staff
        if action == "0":
            app.choose_staff(None)
        elif action.isdigit() and 1 <= int(action) <= min(9, len(staff)):
            app.choose_staff(staff[int(action) - 1].id)
        else:
            return False
        return True

    def _on_rating(self, screen: Any, action: str) -> bool:
        app = self.app
        if action in ("1", "2", "3", "4", "5"):
            app.answer(screen.question_id, int(action))
        elif action == "0" and screen.optional:
            app.skip()
        else:
            return False
        return True

    def _on_offer(self, _screen: Any, action: str) -> bool:
        app = self.app
        if action in ("1", "enter"):
            app.send_now()
        elif action == "2":
            app.answer_more()
        else:
            return False
        return True

    def _on_checklist(self, screen: Any, action: str) -> bool:
        app = self.app
        rows = list(reversed(screen.ids.options.children))
        if action in ("up", "down") and rows:
            step = 1 if action == "down" else -1
            self.focus_index = (
                (self.focus_index + step) % len(rows)
                if self.focus_index >= 0
                else (0 if step > 0 else len(rows) - 1)
            )
            app.speech.say(app.speech.describe(rows[self.focus_index]))
        elif action == "enter" and 0 <= self.focus_index < len(rows):
            self._toggle(rows[self.focus_index])
        elif action == "9" or action == "enter":
            screen.confirm() if screen.any_ticked else screen.none_met()
        elif action.isdigit() and 1 <= int(action) <= len(rows):
            self.focus_index = int(action) - 1
            self._toggle(rows[self.focus_index])
        elif action == "0" and screen.optional:
            app.skip()
        else:
            return False
        return True

    def _toggle(self, row: Any) -> None:
        row.active = not row.active
        self.app.note_activity()
        self.app.speech.acted(row)

    def _on_choice(self, screen: Any, action: str) -> bool:
        app = self.app
        question = app.config_.survey.question(screen.question_id)
        options = question.options
        if action == "0" or (screen.is_text and action == "enter"):
            if not screen.optional:
                return False
            app.skip()
        elif action.isdigit() and 1 <= int(action) <= len(options) and not screen.is_text:
            app.answer(question.id, options[int(action) - 1].id)
        else:
            return False
        return True

    def _on_comment(self, screen: Any, action: str) -> bool:
        chips = list(reversed(screen.ids.chips.children))
        if action.isdigit() and 1 <= int(action) <= len(chips):
            chip = chips[int(action) - 1]
            screen._toggle(chip)
            self.app.speech.acted(chip)
        elif action == "0":
            screen.skip()
        elif action == "enter":
            screen.confirm()
        else:
            return False
        return True

    def _on_contact(self, screen: Any, action: str) -> bool:
        speech = self.app.speech
        if not screen.consent:
            if action == "1":
                screen.ids.consent_row.active = True
                speech.say(["say.contact_agreed"])
            elif action in ("enter", "0"):
                screen.send_without()
            elif action == "back":
                self.app.go_back()
            else:
                return False
            return True
        if action.isdigit():
            screen.key(action)
            speech.say([f"digit.{action}"])
        elif action == "back":
            if screen.digits:
                screen.key("del")
                speech.say(["ui.erase"])
            else:
                screen.ids.consent_row.active = False
                speech.repeat()
        elif action == "enter":
            screen.send()
            if self.app.sm.current == "contact" and screen.error:
                speech.say(["ui.phone_invalid"])
        else:
            return False
        return True

    def _on_thanks(self, _screen: Any, _action: str) -> bool:
        self.app.thanks_done()
        return True

    def _on_still_there(self, _screen: Any, _action: str) -> bool:
        self.app.extend_time()
        return True

    def _on_fault(self, _screen: Any, _action: str) -> bool:
        return False

"""One deliberate tap is one answer (EN 301 549 §5.8), in a real headless Kivy window.

Each test taps like a hurried or unsteady hand — a double tap 50 ms apart, ten taps in 400 ms, a
second finger, a touch held while the screen changes — and checks the store holds exactly what one
deliberate tap would have stored. The kiosk's touch clock is paced by the test (tests/kiosk_pace.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.tests.common import UnitTestTouch

from kiosk.store import KioskStore
from surveys.loader import default_survey_path, load_survey
from tests.kiosk.conftest import Kiosk, press_key


def _at(widget: Any) -> tuple[float, float]:
    x, y = widget.to_window(*widget.center)
    return float(x), float(y)


def _taps(
    kiosk: Kiosk,
    pos: tuple[float, float],
    count: int,
    gap_s: float,
    hold_s: float = 0.02,
    after_s: float = 1.0,
) -> None:
    """`count` taps at window position `pos`, `gap_s` apart (finger down to next finger down)."""
    kiosk.pump(1)
    kiosk.clock.advance(after_s)
    for i in range(count):
        if i:
            kiosk.clock.advance(gap_s - hold_s)
        touch = UnitTestTouch(*pos)
        touch.touch_down()
        kiosk.pump(1)
        kiosk.clock.advance(hold_s)
        touch.touch_up()
        kiosk.pump(1)


def _only_unanswered(first: str) -> Callable[[KioskStore], None]:
    """An earlier ballot answering every item but `first`, so the rotation asks `first` next."""

    def setup(store: KioskStore) -> None:
        survey = load_survey(default_survey_path())
        ballot_id = store.start_ballot(
            survey_id=survey.id, survey_version=survey.version, staff_id=None, lang="vi"
        )
        for question in survey.questions:
            if question.id != first:
                store.record_answer(ballot_id, question.id, [] if question.type == "checklist" else 3)
        store.finish_ballot(ballot_id)

    return setup


def _open_ballot(kiosk: Kiosk) -> dict[str, Any] | None:
    ballots = [b for b in kiosk.ballots() if b["status"] == "open"]
    return ballots[0] if ballots else None


def test_a_double_click_on_an_officer_chooses_her_and_nothing_else(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(size=(1280, 800))
    kiosk.tap("start")
    card = kiosk.widget("staff_nv02")
    _taps(kiosk, _at(card), 2, gap_s=0.05)
    assert (kiosk.screen, kiosk.question_id()) == ("rating", "tong_the")
    assert kiosk.app.session is not None and kiosk.app.session.flow.staff_id == "nv02"
    assert kiosk.ballots() == []  # the second click landed on the faces: nothing stored
    assert not any(kiosk.widget(f"face_{v}").selected for v in range(1, 6))


def test_a_double_tap_on_a_face_answers_one_question(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(size=(1280, 800), setup=_only_unanswered("xin_chao"), detail_items_per_ballot=2)
    kiosk.tap("start")
    kiosk.tap("staff_nv01")
    _taps(kiosk, _at(kiosk.widget("face_4")), 2, gap_s=0.05)
    # The second tap fell on the next screen ("Gửi đánh giá" / "Trả lời thêm"): ignored.
    assert kiosk.screen == "offer"
    ballot = _open_ballot(kiosk)
    assert ballot is not None and ballot["answers"] == {"tong_the": 4}


def test_ten_taps_in_400_ms_on_one_face_answer_one_question(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(size=(1280, 800), setup=_only_unanswered("xin_chao"), detail_items_per_ballot=3)
    kiosk.tap("start")
    kiosk.tap("staff_nv01")
    _taps(kiosk, _at(kiosk.widget("face_5")), 10, gap_s=0.04)
    ballot = _open_ballot(kiosk)
    assert ballot is not None and ballot["answers"] == {"tong_the": 5}
    assert kiosk.screen == "offer"
    kiosk.tap("answer_more")
    # Taps slower than the repeat delay are deliberate: each answers the question then on screen.
    _taps(kiosk, _at(kiosk.widget("face_5")), 2, gap_s=0.6)
    ballot = _open_ballot(kiosk)
    assert ballot is not None and len(ballot["answers"]) == 3


def test_the_repeat_delay_is_the_administrators_choice(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(size=(1280, 800), setup=_only_unanswered("xin_chao"), detail_items_per_ballot=3)
    kiosk.app.set_setting("repeat_delay_s", "2.0")
    assert kiosk.app.gate.repeat_delay_s == 2.0
    kiosk.tap("start")
    kiosk.tap("staff_nv01")
    _taps(kiosk, _at(kiosk.widget("face_5")), 2, gap_s=1.5, after_s=2.5)  # 1.5 s < 2 s: one answer
    assert kiosk.screen == "offer"
    ballot = _open_ballot(kiosk)
    assert ballot is not None and ballot["answers"] == {"tong_the": 5}


def test_a_double_tap_on_a_tick_box_or_a_chip_is_one_tick(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(size=(1280, 800), setup=_only_unanswered("nam_khong"), detail_items_per_ballot=1)
    kiosk.tap("start")
    kiosk.tap("staff_unknown")
    kiosk.tap("face_4")
    kiosk.tap("answer_more")
    assert kiosk.screen == "checklist"
    rows = [w for w in kiosk.app.sm.current_screen.ids.options.children]
    row = rows[-1]
    _taps(kiosk, _at(row), 2, gap_s=0.05)
    assert row.active  # ticked once, not ticked and unticked
    kiosk.tap("confirm")
    assert kiosk.screen == "comment"
    chip = kiosk.widget("quick_0")
    _taps(kiosk, _at(chip), 2, gap_s=0.05)
    assert chip.selected
    kiosk.tap("confirm")
    ballot = _open_ballot(kiosk)
    assert ballot is not None and ballot["answers"]["nam_khong"] == [row.name.removeprefix("opt_")]


def test_a_double_tap_on_a_keypad_key_is_one_digit(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(size=(1280, 800), detail_items_per_ballot=0)
    kiosk.tap("start")
    kiosk.tap("staff_unknown")
    kiosk.tap("face_5")
    kiosk.tap("answer_more")
    kiosk.tap("skip")
    assert kiosk.screen == "contact"
    screen = kiosk.app.sm.current_screen
    kiosk.tap("consent")  # the keypad takes digits once consent is ticked
    key = kiosk.widget("key_0")
    _taps(kiosk, _at(key), 2, gap_s=0.05)
    assert screen.digits == "0"
    # A deliberate "00" at a normal typing pace is two digits.
    _taps(kiosk, _at(key), 2, gap_s=0.3)
    assert screen.digits == "000"


def test_only_the_first_finger_counts(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(size=(1280, 800), setup=_only_unanswered("xin_chao"), detail_items_per_ballot=2)
    kiosk.tap("start")
    kiosk.tap("staff_nv01")
    kiosk.pump(1)
    kiosk.clock.advance(1.0)
    first = UnitTestTouch(*_at(kiosk.widget("face_3")))
    second = UnitTestTouch(*_at(kiosk.widget("face_5")))
    first.touch_down()
    kiosk.pump(1)
    kiosk.clock.advance(0.05)
    second.touch_down()
    kiosk.pump(1)
    kiosk.clock.advance(0.05)
    first.touch_up()  # answers tong_the = 3; the next question comes up under the second finger
    kiosk.pump(1)
    kiosk.clock.advance(0.6)
    second.touch_up()  # lifted on the new question: ignored
    kiosk.pump(1)
    ballot = _open_ballot(kiosk)
    assert ballot is not None and ballot["answers"] == {"tong_the": 3}
    assert kiosk.screen == "offer"
    kiosk.tap("answer_more")
    assert kiosk.question_id() == "xin_chao"
    # While a palm rests on the glass (beside the faces), another finger's taps do nothing.
    resting = UnitTestTouch(4.0, 400.0)
    resting.touch_down()
    kiosk.pump(1)
    _taps(kiosk, _at(kiosk.widget("face_2")), 1, gap_s=1.0)
    assert kiosk.question_id() == "xin_chao"
    resting.touch_up()
    kiosk.pump(1)
    kiosk.tap("face_2")  # every finger up: the next tap counts
    ballot = _open_ballot(kiosk)
    assert ballot is not None and ballot["answers"] == {"tong_the": 3, "xin_chao": 2}


def test_a_double_tap_on_a_keyboard_key_is_one_letter_and_telex_still_doubles(
    make_kiosk: Callable[..., Kiosk],
) -> None:
    from kivy.config import Config
    from kivy.uix.vkeyboard import VKeyboard

    kiosk = make_kiosk(mode="kiosk", detail_items_per_ballot=0, size=(1280, 800))
    window = kiosk.app.root_window
    mode = Config.get("kivy", "keyboard_mode")
    Config.set("kivy", "keyboard_mode", "systemanddock")
    window.configure_keyboards()
    try:
        kiosk.tap("start")
        kiosk.tap("staff_unknown")
        kiosk.tap("face_4")
        kiosk.tap("answer_more")
        field = kiosk.app.sm.current_screen.ids.field
        kiosk.touch(field)
        kiosk.pump(3)
        keyboard = next(w for w in window.children if isinstance(w, VKeyboard))
        press_key(kiosk, keyboard, "t")
        press_key(kiosk, keyboard, "o", after_s=0.5)
        press_key(kiosk, keyboard, "o", after_s=0.05)  # a bounce: one "o"
        assert field.text == "to"
        press_key(kiosk, keyboard, "o", after_s=0.3)  # a deliberate second strike: Telex "oo" → "ô"
        assert field.text == "tô" and field.focus
    finally:
        Config.set("kivy", "keyboard_mode", mode)
        window.configure_keyboards()


# --- walking away (WCAG 2.2.1) --------------------------------------------------------------------


def _idle_warning(kiosk: Kiosk) -> Any:
    kiosk.wait_for(lambda: kiosk.screen == "still_there", "the idle warning")
    return kiosk.app.sm.current_screen


def test_the_idle_warning_counts_down_and_continue_extends_again_and_again(
    make_kiosk: Callable[..., Kiosk],
) -> None:
    kiosk = make_kiosk(size=(1280, 800), idle_timeout_s=1.0, setup=_only_unanswered("xin_chao"))
    kiosk.tap("start")
    kiosk.tap("staff_nv01")
    kiosk.tap("face_3")
    kiosk.tap("answer_more")
    assert kiosk.question_id() == "xin_chao"
    for extension in range(12):
        warning = _idle_warning(kiosk)
        # Full screen: the ballot's answers are out of sight; the countdown gives at least 20 s.
        assert warning.seconds_left == 30 and "30 giây" in kiosk.widget("still_countdown").text
        kiosk.clock.advance(15)  # halfway through the countdown
        kiosk.pump(2)
        kiosk.tap("still_continue")
        assert (kiosk.screen, kiosk.question_id()) == ("rating", "xin_chao"), f"extension {extension}"
    assert kiosk.app.extensions == 12
    kiosk.tap("face_5")
    ballot = _open_ballot(kiosk)
    assert ballot is not None and ballot["answers"] == {"tong_the": 3, "xin_chao": 5}


def test_a_ballot_closes_as_it_stands_with_its_typed_comment_and_cannot_be_changed(
    make_kiosk: Callable[..., Kiosk],
) -> None:
    from kivy.config import Config
    from kivy.uix.vkeyboard import VKeyboard

    kiosk = make_kiosk(mode="kiosk", size=(1280, 800), idle_timeout_s=1.5, detail_items_per_ballot=0)
    window = kiosk.app.root_window
    mode = Config.get("kivy", "keyboard_mode")
    Config.set("kivy", "keyboard_mode", "systemanddock")
    window.configure_keyboards()
    try:
        kiosk.tap("start")
        kiosk.tap("staff_nv02")
        kiosk.tap("face_3")
        kiosk.tap("answer_more")
        field = kiosk.app.sm.current_screen.ids.field
        kiosk.touch(field)
        kiosk.pump(3)
        keyboard = next(w for w in window.children if isinstance(w, VKeyboard))
        for key in "chaajm":
            press_key(kiosk, keyboard, key)
        assert field.text == "chậm"
        _idle_warning(kiosk)
        assert not field.focus  # the keyboard does not cover the warning
        kiosk.clock.advance(31)
        kiosk.wait_for(lambda: kiosk.screen == "welcome", "the end of the warning")
        kiosk.pump(3)
        # The ballot is closed as it stood, the typed comment included.
        [ballot] = kiosk.ballots()
        assert ballot["status"] == "pending"
        assert ballot["answers"] == {"tong_the": 3} and ballot["comment"] == "chậm"
        # The next citizen: no keyboard over the welcome screen, and "Bắt đầu đánh giá" reachable.
        assert not any(isinstance(w, VKeyboard) and w.parent for w in window.children)
        start = kiosk.widget("start")
        assert window.children[0] is kiosk.app.root or not window.children[0].collide_point(*_at(start))
        kiosk.tap("start")
        assert kiosk.screen == "staff"
        assert not any(c.selected for c in kiosk.app.sm.current_screen.ids.grid.children)
        kiosk.tap("back")
        assert kiosk.screen == "welcome"  # "Quay lại" never reaches the closed ballot
        assert kiosk.ballots()[0]["answers"] == {"tong_the": 3}
    finally:
        Config.set("kivy", "keyboard_mode", mode)
        window.configure_keyboards()


def test_a_touch_held_while_the_screen_changes_never_acts_on_the_new_one(
    make_kiosk: Callable[..., Kiosk],
) -> None:
    kiosk = make_kiosk(size=(1280, 800), idle_timeout_s=1.0, setup=_only_unanswered("xin_chao"))
    kiosk.tap("start")
    kiosk.tap("staff_nv01")
    kiosk.tap("face_3")
    kiosk.tap("answer_more")
    kiosk.pump(1)
    kiosk.clock.advance(1.0)
    held = UnitTestTouch(*_at(kiosk.widget("face_3")))
    held.touch_down()  # a finger rests on "3" of xin_chao, under where "Tiếp tục" will be ...
    _idle_warning(kiosk)  # ... while the idle warning comes up
    kiosk.clock.advance(0.5)
    held.touch_up()  # lifted on the warning: it began on the question, so it acts on neither
    kiosk.pump(2)
    assert kiosk.screen == "still_there" and kiosk.app.extensions == 0
    ballot = _open_ballot(kiosk)
    assert ballot is not None and ballot["answers"] == {"tong_the": 3}
    kiosk.tap("still_continue")
    assert kiosk.question_id() == "xin_chao"
    ballot = _open_ballot(kiosk)
    assert ballot is not None and ballot["answers"] == {"tong_the": 3}

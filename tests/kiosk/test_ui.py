"""The counter UI in a real headless Kivy window, driven by real touches on the real widgets.

The window, the App per test and the touch helpers are in conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from kiosk.store import KioskStore
from surveys.loader import default_survey_path, load_survey
from tests.kiosk.conftest import Kiosk, press_key


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
    assert kiosk.screen == "offer"  # "Gửi đánh giá" beside "Trả lời thêm"
    kiosk.tap("answer_more")
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
    kiosk.tap("send_now")  # "Gửi đánh giá": done in four taps
    assert kiosk.screen == "thanks"
    kiosk.wait_for(lambda: kiosk.screen == "welcome", "the welcome screen after the thanks")
    [ballot] = kiosk.ballots()
    assert ballot["staff_id"] is None and ballot["contact"] is None and ballot["comment"] is None


def test_back_shows_the_earlier_answer_and_a_new_tap_replaces_it(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(detail_items_per_ballot=2)
    kiosk.tap("start")
    kiosk.tap("staff_nv01")
    kiosk.tap("face_3")
    assert kiosk.screen == "offer"
    kiosk.tap("back")
    assert kiosk.question_id() == "tong_the"
    assert kiosk.widget("face_3").selected
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
    assert kiosk.widget("skip").disabled  # one way to say it on the officer screen: "Không rõ cán bộ"
    kiosk.tap("staff_unknown")
    assert kiosk.question_id() == "tong_the"
    assert kiosk.widget("skip").opacity == 0  # tong_the cannot be skipped
    kiosk.tap("face_3")
    kiosk.tap("answer_more")
    first = kiosk.question_id()
    if kiosk.screen == "rating":
        kiosk.tap("not_applicable")
    else:
        kiosk.tap("skip")
    second = kiosk.question_id()
    kiosk.tap("skip")
    assert kiosk.screen == "comment"
    [ballot] = kiosk.ballots()
    assert ballot["answers"] == {"tong_the": 3, first: None, second: None}


def test_idle_keeps_a_rated_ballot_and_discards_an_unrated_one(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(idle_timeout_s=3.0, detail_items_per_ballot=3)
    kiosk.tap("start")
    kiosk.tap("staff_nv01")
    kiosk.tap("face_4")
    kiosk.wait_for(lambda: kiosk.screen == "still_there", "the idle warning")
    kiosk.clock.advance(31)  # nobody answers the warning
    kiosk.wait_for(lambda: kiosk.screen == "welcome", "the end of the warning")
    [kept] = kiosk.ballots()
    assert kept["status"] == "pending" and kept["answers"]["tong_the"] == 4

    kiosk.tap("start")
    assert kiosk.screen == "staff"
    kiosk.tap("staff_nv02")
    assert kiosk.screen == "rating"
    kiosk.wait_for(lambda: kiosk.screen == "still_there", "the idle warning")
    kiosk.clock.advance(31)
    kiosk.wait_for(lambda: kiosk.screen == "welcome", "the end of the warning")
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


def test_no_one_at_the_glass_can_set_the_first_pin(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk()
    _open_admin(kiosk)
    screen = kiosk.app.sm.current_screen
    # No PIN yet: the five-tap corner only says how the IT officer sets one; nothing opens.
    assert kiosk.screen == "pin" and screen.mode == "none"
    assert "survey-kiosk pin" in kiosk.widget("pin_title").text
    assert kiosk.widget("pin_ok").disabled
    for digit in "2468":
        kiosk.tap(f"key_{digit}")
    assert screen.digits == "" and kiosk.store.get("admin_pin_hash") is None
    kiosk.tap("pin_cancel")
    assert kiosk.screen == "welcome"


def test_the_admin_pin_set_by_the_it_officer_opens_the_settings_and_can_be_changed(
    make_kiosk: Callable[..., Kiosk],
) -> None:
    kiosk = make_kiosk(setup=lambda store: store.set("admin_pin_hash", _hash("2468")))
    _open_admin(kiosk)
    assert kiosk.app.sm.current_screen.mode == "enter"
    _type_pin(kiosk, "1111")
    assert kiosk.screen == "pin"
    assert kiosk.widget("pin_error").text == "Mã PIN không đúng."
    _type_pin(kiosk, "2468")
    assert kiosk.screen == "admin"
    assert "Đang chờ gửi: 0" in kiosk.widget("admin_status").text
    kiosk.tap("admin_change_pin")
    _type_pin(kiosk, "1357")
    _type_pin(kiosk, "1357")
    assert kiosk.screen == "admin"
    stored = kiosk.store.get("admin_pin_hash") or ""
    assert stored and "1357" not in stored
    kiosk.app.sm.current_screen.ids.code.text = ""
    kiosk.tap("admin_back")
    _open_admin(kiosk)
    _type_pin(kiosk, "1357")
    assert kiosk.screen == "admin"


def test_the_units_kiosk_pin_from_the_configuration_opens_the_settings(
    make_kiosk: Callable[..., Kiosk],
) -> None:
    from dataclasses import replace as with_values

    kiosk = make_kiosk()
    kiosk.app.config_ = with_values(kiosk.app.config_, kiosk_pin_hash=_hash("8642"))
    _open_admin(kiosk)
    assert kiosk.app.sm.current_screen.mode == "enter"
    _type_pin(kiosk, "8642")
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
    kiosk.tap("send_now")
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


def test_larger_text_and_high_contrast_are_two_modes(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk()
    before = kiosk.app.sz.question
    kiosk.tap("large_text")
    assert kiosk.app.sz.question > before
    assert kiosk.app.pal.name == "calm"
    assert kiosk.widget("large_text").text == "Chữ bình thường"
    kiosk.tap("high_contrast")
    assert kiosk.app.pal.name == "high_contrast"
    assert kiosk.widget("high_contrast").text == "Màu bình thường"
    kiosk.tap("large_text")
    assert kiosk.app.sz.question == before and kiosk.app.pal.name == "high_contrast"


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
        kiosk.tap("answer_more")
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
            press_key(kiosk, keyboard, key)
        # Or the letter keys and the tone bar: ơ, then "huyền" onto the word before the cursor.
        for key in [" ", "x", "i", "n", " ", "c", "a", "m", "ả hỏi", " ", "ơ", "n"]:
            press_key(kiosk, keyboard, key)
        assert field.text == "Cán bộ rất nhiệt tình xin cảm ơn"
        press_key(kiosk, keyboard, "\u232b")  # backspace
        press_key(kiosk, keyboard, "n")
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
        kiosk.tap("answer_more")
        assert not kiosk.widget("quick_0").selected  # the chips are reused, their ticks are not
        if expected:
            kiosk.tap("quick_0")
            kiosk.tap("confirm")
        else:
            kiosk.tap("skip")
        kiosk.tap("send")
        kiosk.touch(kiosk.app.sm.current_screen.ids.message)  # the thanks: back to welcome
    assert sorted(str(b["comment"]) for b in kiosk.ballots()) == ["Cán bộ rất tận tình", "None"]

"""The ballot's steps, answer checks, rotation, idle and misuse rules (pure, no window)."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from kiosk.flow import (
    STEP_COMMENT,
    STEP_OFFER,
    STEP_QUESTION,
    STEP_STAFF,
    STEP_THANKS,
    BallotFlow,
    BurstGuard,
    FlowError,
    Step,
    check_value,
    choose_details,
    idle_outcome,
)
from surveys.loader import Survey, default_survey_path, load_survey, parse_survey


@pytest.fixture(scope="module")
def survey() -> Survey:
    return load_survey(default_survey_path())


def _text(vi: str) -> dict[str, str]:
    return {"vi": vi, "en": vi}


@pytest.fixture(scope="module")
def mixed_survey() -> Survey:
    """A small survey with every question type, read by the real loader."""
    return parse_survey(
        {
            "id": "thu",
            "version": "1",
            "title": _text("Thử"),
            "groups": [],
            "questions": [
                {"id": "tong_the", "type": "rating5", "required": True, "groups": [], "text": _text("Chung")},
                {
                    "id": "nam_khong",
                    "type": "checklist",
                    "groups": [],
                    "text": _text("Năm không"),
                    "options": [{"id": "a", "text": _text("A")}, {"id": "b", "text": _text("B")}],
                },
                {
                    "id": "kenh",
                    "type": "choice",
                    "groups": [],
                    "text": _text("Kênh"),
                    "options": [{"id": "x", "text": _text("X")}, {"id": "y", "text": _text("Y")}],
                },
                {"id": "goi_y", "type": "text", "groups": [], "text": _text("Gợi ý")},
            ],
            "scale": {"rating5": {str(i): _text(f"Mức {i}") for i in range(1, 6)}},
        },
        source="test",
    )


def test_steps_ask_officer_then_overall_then_details_then_comment(survey: Survey) -> None:
    flow = BallotFlow(survey, ["xin_chao", "nam_khong"])
    assert flow.steps == (
        Step(STEP_STAFF),
        Step(STEP_QUESTION, "tong_the"),
        Step(STEP_OFFER),
        Step(STEP_QUESTION, "xin_chao"),
        Step(STEP_QUESTION, "nam_khong"),
        Step(STEP_COMMENT),
        Step(STEP_THANKS),
    )
    assert flow.current == Step(STEP_STAFF)
    assert flow.progress == (0, 3)


def test_a_tablet_bound_to_an_officer_never_asks_who(survey: Survey) -> None:
    flow = BallotFlow(survey, ["xin_chao"], bound_staff_id="nv07")
    assert flow.current == Step(STEP_QUESTION, "tong_the")
    assert flow.staff_id == "nv07" and flow.staff_chosen
    assert STEP_STAFF not in [s.kind for s in flow.steps]
    unasked = BallotFlow(survey, [], ask_staff=False)
    assert unasked.current.question_id == "tong_the" and unasked.staff_id is None


def test_one_tap_on_the_overall_question_makes_a_keepable_ballot(survey: Survey) -> None:
    flow = BallotFlow(survey, ["xin_chao", "xin_loi"])
    flow.choose_staff(None)  # "Không rõ cán bộ"
    assert flow.staff_chosen and flow.staff_id is None
    assert idle_outcome(flow) == "discard"
    flow.answer("tong_the", 4)
    assert flow.is_complete and idle_outcome(flow) == "keep"
    assert flow.current.kind == STEP_OFFER
    flow.send_now()  # "Gửi đánh giá": the shortest valid ballot is done
    assert flow.finished and flow.answers == {"tong_the": 4}


def test_a_whole_ballot_reaches_thanks_with_every_answer(survey: Survey) -> None:
    flow = BallotFlow(survey, ["xin_chao", "nam_khong"])
    flow.choose_staff("nv01")
    flow.answer("tong_the", 5)
    flow.more()
    flow.skip()
    flow.answer("nam_khong", ["tham_nhung_lang_phi", "cua_quyen_hach_dich", "cua_quyen_hach_dich"])
    flow.set_comment("  Cán bộ nhiệt tình  ", "0912 345 678", consent=True)
    assert flow.finished
    assert flow.answers == {
        "tong_the": 5,
        "xin_chao": None,
        # the definition's order, repeats dropped
        "nam_khong": ["cua_quyen_hach_dich", "tham_nhung_lang_phi"],
    }
    assert flow.comment == "Cán bộ nhiệt tình"
    assert flow.contact == {"phone": "0912345678", "consent": True}
    assert flow.progress == (3, 3)


def test_a_skipped_checklist_is_absent_never_null(survey: Survey) -> None:
    # The protocol's checklist is a list ([] = "none of these"): a null would have the server reject the
    # whole ballot, so a skipped checklist leaves no answer at all; ticking it after "back" still works.
    flow = BallotFlow(survey, ["nam_khong", "xin_chao"], ask_staff=False)
    flow.answer("tong_the", 4)
    flow.more()
    flow.answer("nam_khong", ["tham_nhung_lang_phi"])
    flow.back()
    flow.skip()
    assert "nam_khong" not in flow.answers
    flow.skip()
    assert flow.answers == {"tong_the": 4, "xin_chao": None}


def test_phone_without_consent_is_never_kept(survey: Survey) -> None:
    flow = BallotFlow(survey, [], ask_staff=False)
    flow.answer("tong_the", 3)
    flow.more()
    flow.set_comment("", "0912345678", consent=False)
    assert flow.contact is None and flow.comment is None and flow.finished


def test_a_malformed_phone_asks_the_citizen_to_check_it(survey: Survey) -> None:
    flow = BallotFlow(survey, [], ask_staff=False)
    flow.answer("tong_the", 3)
    flow.more()
    with pytest.raises(FlowError, match="Ông/Bà vui lòng kiểm tra lại"):
        flow.set_comment("ok", "12ab", consent=True)
    assert flow.current.kind == STEP_COMMENT and flow.comment is None
    with pytest.raises(FlowError, match="1000"):
        flow.set_comment("x" * 1001, None, consent=False)


def test_comment_text_is_stored_nfc(survey: Survey) -> None:
    flow = BallotFlow(survey, [], ask_staff=False)
    flow.answer("tong_the", 3)
    flow.more()
    decomposed = "Ho\u0302\u0300 so\u031b"  # "Hồ sơ" typed with combining marks
    flow.set_comment(decomposed, None, consent=False)
    assert flow.comment == "Hồ sơ"


@pytest.mark.parametrize("value", [0, 6, 3.5, "5", True, None, [5]])
def test_overall_question_takes_only_a_rating(survey: Survey, value: object) -> None:
    flow = BallotFlow(survey, [], ask_staff=False)
    with pytest.raises(FlowError):
        flow.answer("tong_the", value)
    assert flow.answers == {} and flow.current.question_id == "tong_the"


def test_overall_question_cannot_be_skipped(survey: Survey) -> None:
    flow = BallotFlow(survey, ["xin_chao"], ask_staff=False)
    with pytest.raises(FlowError, match="cannot be skipped"):
        flow.skip()
    assert not flow.is_complete


def test_taps_that_do_not_fit_the_screen_change_nothing(survey: Survey) -> None:
    flow = BallotFlow(survey, ["xin_chao"])
    with pytest.raises(FlowError, match="shows staff"):
        flow.answer("tong_the", 5)
    flow.choose_staff("nv01")
    with pytest.raises(FlowError):
        flow.answer("xin_chao", 5)  # a stale tap from a previous screen
    with pytest.raises(FlowError):
        flow.choose_staff("nv02")
    with pytest.raises(FlowError):
        flow.set_comment("x", None, consent=False)
    assert flow.answers == {} and flow.staff_id == "nv01"


def test_back_keeps_answers_and_a_new_tap_replaces_them(survey: Survey) -> None:
    flow = BallotFlow(survey, ["xin_chao"])
    flow.back()  # no-op at the start
    assert flow.index == 0
    flow.choose_staff("nv01")
    flow.answer("tong_the", 2)
    flow.back()
    assert flow.current.question_id == "tong_the" and flow.answers["tong_the"] == 2
    flow.answer("tong_the", 5)
    flow.more()
    assert flow.answers["tong_the"] == 5 and flow.current.question_id == "xin_chao"
    flow.back()
    assert flow.current.kind == STEP_OFFER
    flow.back()
    flow.back()
    assert flow.current.kind == STEP_STAFF and flow.staff_id == "nv01"


def test_nothing_goes_back_from_the_thanks(survey: Survey) -> None:
    flow = BallotFlow(survey, [], ask_staff=False)
    flow.answer("tong_the", 5)
    flow.more()
    flow.set_comment(None, None, consent=False)
    with pytest.raises(FlowError):
        flow.back()


def test_unknown_detail_items_are_refused(survey: Survey) -> None:
    with pytest.raises(KeyError):
        BallotFlow(survey, ["khong_co"])
    flow = BallotFlow(survey, ["tong_the", "xin_chao", "xin_chao"])
    assert flow.question_ids == ["tong_the", "xin_chao"]


def test_values_fit_each_question_type(mixed_survey: Survey) -> None:
    q = mixed_survey.question
    assert check_value(q("nam_khong"), []) == []
    assert check_value(q("nam_khong"), ("b", "a")) == ["a", "b"]
    assert check_value(q("kenh"), "y") == "y"
    assert check_value(q("kenh"), None) is None
    assert check_value(q("goi_y"), "  ") is None
    assert check_value(q("goi_y"), "Tốt") == "Tốt"
    for question_id, bad in [("nam_khong", "a"), ("nam_khong", ["z"]), ("kenh", "z"), ("goi_y", 5)]:
        with pytest.raises(FlowError):
            check_value(q(question_id), bad)


def test_rotation_asks_the_least_answered_items_first(survey: Survey) -> None:
    details = [q.id for q in survey.detail_questions]
    counts = {qid: 10 for qid in details}
    counts.update({"van_minh": 0, "pakn_de_dang": 1, "xin_phep": 2})
    chosen = choose_details(survey, counts, 3, random.Random(7))
    assert chosen == ["van_minh", "pakn_de_dang", "xin_phep"]
    assert "tong_the" not in choose_details(survey, {}, 100, random.Random(1))
    assert len(choose_details(survey, {}, 100, random.Random(1))) == len(details)
    assert choose_details(survey, {}, 0, random.Random(1)) == []


def test_rotation_is_reproducible_and_balanced_over_many_ballots(survey: Survey) -> None:
    assert choose_details(survey, {}, 4, random.Random(3)) == choose_details(survey, {}, 4, random.Random(3))
    rng = random.Random(42)
    counts: Counter[str] = Counter()
    for _ in range(240):
        counts.update(choose_details(survey, counts, 4, rng))
    detail_count = len(survey.detail_questions)
    assert set(counts) == {q.id for q in survey.detail_questions}
    # Fewest-first keeps every item within one answer of the others.
    assert max(counts.values()) - min(counts.values()) <= 1
    assert sum(counts.values()) == 240 * 4 and detail_count == 24


def test_cooldown_ignores_start_taps_right_after_a_ballot() -> None:
    guard = BurstGuard(cooldown_s=3.0)
    assert guard.can_start(0.0)
    assert guard.record_ballot(100.0) == []
    assert not guard.can_start(101.0)
    assert guard.cooldown_left(101.0) == pytest.approx(2.0)
    assert guard.can_start(103.0) and guard.cooldown_left(103.0) == 0.0


def test_a_burst_of_ballots_is_flagged_not_refused() -> None:
    guard = BurstGuard(cooldown_s=3.0, burst_window_s=60, burst_count=5)
    flags = [guard.record_ballot(t) for t in (0.0, 10.0, 20.0, 30.0, 40.0, 50.0)]
    assert flags == [[], [], [], [], ["burst"], ["burst"]]
    # A normal pace after the burst is not flagged: the window has moved on.
    assert guard.record_ballot(200.0) == []
    assert guard.record_ballot(300.0) == []

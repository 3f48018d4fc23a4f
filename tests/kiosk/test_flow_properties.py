"""Any sequence of taps, valid or not, leaves the ballot consistent (hypothesis)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from kiosk.flow import STEP_THANKS, BallotFlow, FlowError, idle_outcome
from surveys.loader import default_survey_path, load_survey

SURVEY = load_survey(default_survey_path())
QUESTION_IDS = [q.id for q in SURVEY.questions]
NAM_KHONG = [o.id for o in SURVEY.question("nam_khong").options]

values = st.one_of(
    st.none(),
    st.integers(-1, 7),
    st.booleans(),
    st.text(max_size=5),
    st.lists(st.sampled_from([*NAM_KHONG, "khac"]), max_size=4),
)
taps = st.one_of(
    st.tuples(st.just("staff"), st.sampled_from([None, "nv01", "nv02"])),
    st.tuples(st.just("answer"), st.tuples(st.sampled_from(QUESTION_IDS), values)),
    # the question on screen, so that sequences get deep into the ballot
    st.tuples(st.just("current"), st.one_of(st.integers(1, 5), st.lists(st.sampled_from(NAM_KHONG)), values)),
    st.tuples(st.just("skip"), st.none()),
    st.tuples(st.just("send_now"), st.none()),
    st.tuples(st.just("more"), st.none()),
    st.tuples(st.just("back"), st.none()),
    st.tuples(
        st.just("comment"),
        st.tuples(st.text(max_size=20), st.text("0123456789 +", max_size=14), st.booleans()),
    ),
)


def _state(flow: BallotFlow) -> dict[str, Any]:
    return copy.deepcopy(
        {k: getattr(flow, k) for k in ("index", "answers", "staff_id", "staff_chosen", "comment", "contact")}
    )


@settings(max_examples=300, deadline=None)
@given(
    details=st.lists(st.sampled_from(QUESTION_IDS[1:]), max_size=6, unique=True),
    ask_staff=st.booleans(),
    sequence=st.lists(taps, max_size=30),
)
def test_any_tap_sequence_keeps_the_ballot_consistent(
    details: list[str], ask_staff: bool, sequence: list[tuple[str, Any]]
) -> None:
    flow = BallotFlow(SURVEY, details, ask_staff=ask_staff)
    # What the citizen said to the overall question, worked out from the taps alone (not from the flow).
    overall: Any = None
    for kind, payload in sequence:
        before = _state(flow)
        try:
            if kind == "staff":
                flow.choose_staff(payload)
            elif kind == "answer":
                flow.answer(*payload)
                if payload[0] == "tong_the":
                    overall = payload[1]
            elif kind == "current":
                question = flow.question
                if question is None:
                    continue
                flow.answer(question.id, payload)
                if question.id == "tong_the":
                    overall = payload
            elif kind == "skip":
                flow.skip()
            elif kind == "send_now":
                flow.send_now()
            elif kind == "more":
                flow.more()
            elif kind == "back":
                flow.back()
            else:
                flow.set_comment(*payload)
        except FlowError:
            assert _state(flow) == before  # a refused tap changes nothing
        assert 0 <= flow.index < len(flow.steps)
        assert set(flow.answers) <= set(flow.question_ids)
        # Walked away now, the ballot is kept exactly when the citizen gave the overall rating 1 to 5.
        given_overall = type(overall) is int and 1 <= overall <= 5
        assert idle_outcome(flow) == ("keep" if given_overall else "discard")
        if flow.current.kind == STEP_THANKS:
            assert given_overall, "thanked without an overall rating"
        if flow.contact is not None:
            assert flow.contact["consent"] is True and flow.contact["phone"].lstrip("+").isdigit()
        event(f"on {flow.current.kind}")
        for question_id, value in flow.answers.items():
            qtype = SURVEY.question(question_id).type
            if qtype == "rating5":
                assert value is None or (type(value) is int and 1 <= value <= 5)
            elif qtype == "checklist":
                assert value is None or (isinstance(value, list) and set(value) <= set(NAM_KHONG))

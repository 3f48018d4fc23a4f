"""What the citizen sees next: the ballot's steps, answer checks, rotation, idle and misuse rules.

Pure: no Kivy, no SQLite, no clock of its own (times are passed in), so every rule is tested with
plain data.

>>> flow = BallotFlow(survey, choose_details(survey, {}, 4, random.Random(1)))
>>> flow.choose_staff("nv01"); flow.answer("tong_the", 5); flow.is_complete
True
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from surveys.loader import Question, Survey

__all__ = [
    "COMMENT_MAX_CHARS",
    "OVERALL_ID",
    "STEP_COMMENT",
    "STEP_OFFER",
    "STEP_QUESTION",
    "STEP_STAFF",
    "STEP_THANKS",
    "BallotFlow",
    "BurstGuard",
    "FlowError",
    "Step",
    "check_value",
    "choose_details",
    "idle_outcome",
    "normalise_phone",
]

STEP_STAFF, STEP_QUESTION, STEP_COMMENT, STEP_THANKS = "staff", "question", "comment", "thanks"
# After the overall rating (and its follow-up, if asked): "Gửi đánh giá" beside "Trả lời thêm".
STEP_OFFER = "offer"
OVERALL_ID = "tong_the"
COMMENT_MAX_CHARS = 1000
_PHONE = re.compile(r"^\+?[0-9]{8,15}$")


class FlowError(ValueError):
    """A tap or value the ballot cannot take (wrong step, value out of range); nothing is recorded."""


@dataclass(frozen=True)
class Step:
    """One screen of the ballot: the officer list, a question, the comment form or the thanks."""

    kind: str
    question_id: str | None = None
    follows: str | None = None  # a follow-up question: the question whose answer asked it


def choose_details(survey: Survey, answer_counts: Mapping[str, int], k: int, rng: random.Random) -> list[str]:
    """The `k` detail items with the fewest answers so far, fewest first, ties broken by `rng`.

    >>> choose_details(survey, {"xin_chao": 9}, 2, random.Random(0))
    ['tiep_can_noi_lam_thu_tuc', 'xin_phep']
    """
    candidates = [q.id for q in survey.detail_questions if q.id != OVERALL_ID]
    # One random key per candidate, drawn in file order, keeps a seeded run reproducible.
    keyed = [(answer_counts.get(qid, 0), rng.random(), qid) for qid in candidates]
    keyed.sort()
    return [qid for _, _, qid in keyed[: max(k, 0)]]


def check_value(question: Question, value: Any) -> Any:
    """`value` made canonical for `question`'s type (sync-protocol.md), or FlowError.

    >>> check_value(survey.question("tong_the"), 4)
    4
    """
    qtype = question.type
    if value is None:
        if question.required or question.id == OVERALL_ID:
            raise FlowError(f"question {question.id!r} needs an answer")
        return None
    if qtype == "rating5":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise FlowError(f"question {question.id!r} takes a rating from 1 to 5, not {value!r}")
        return value
    option_ids = {o.id for o in question.options}
    if qtype == "checklist":
        if isinstance(value, str | bytes) or not isinstance(value, Sequence | set | frozenset):
            raise FlowError(f"question {question.id!r} takes a list of option ids, not {value!r}")
        ticked = list(value)
        unknown = [v for v in ticked if v not in option_ids]
        if unknown:
            raise FlowError(f"question {question.id!r} has no option {unknown[0]!r}")
        # Keep the definition's order and drop repeats, so equal ticks make equal ballots.
        return [o.id for o in question.options if o.id in ticked]
    if qtype == "choice":
        if value not in option_ids:
            raise FlowError(f"question {question.id!r} has no option {value!r}")
        return value
    if qtype == "text":
        if not isinstance(value, str):
            raise FlowError(f"question {question.id!r} takes text, not {value!r}")
        text = unicodedata.normalize("NFC", value).strip()
        if len(text) > COMMENT_MAX_CHARS:
            raise FlowError(f"question {question.id!r} takes at most {COMMENT_MAX_CHARS} characters")
        return text or None
    raise FlowError(f"question {question.id!r} has an unknown type {qtype!r}")


def normalise_phone(phone: str) -> str:
    """A phone number without spaces, dots or dashes; FlowError when it cannot be one.

    >>> normalise_phone("0912 345 678")
    '0912345678'
    """
    cleaned = re.sub(r"[\s.\-()]", "", phone)
    if not _PHONE.match(cleaned):
        raise FlowError("Số điện thoại chưa đúng, Ông/Bà vui lòng kiểm tra lại.")
    return cleaned


class BallotFlow:
    """One citizen's ballot: [officer], tong_the, [follow-up], the offer, the details, comment, thanks.

    The offer lets the shortest valid ballot end at once: "Gửi đánh giá" goes to the thanks,
    "Trả lời thêm" to the details. A follow-up (survey-format.md, `ask_when`) is asked right after
    the question it follows, only while that answer fits.

    Every tap method raises FlowError, leaving the ballot unchanged, when the tap does not fit the
    current step; otherwise it records and advances.
    """

    def __init__(
        self,
        survey: Survey,
        detail_ids: Sequence[str],
        bound_staff_id: str | None = None,
        ask_staff: bool = True,
    ) -> None:
        self.survey = survey
        for qid in detail_ids:
            survey.question(qid)  # KeyError names an id the survey does not have
        details = [qid for qid in dict.fromkeys(detail_ids) if qid != OVERALL_ID]
        steps: list[Step] = []
        # A tablet bound to one officer never asks who served the citizen.
        if ask_staff and bound_staff_id is None:
            steps.append(Step(STEP_STAFF))
        steps.append(Step(STEP_QUESTION, OVERALL_ID))
        steps.append(Step(STEP_OFFER))
        steps.extend(Step(STEP_QUESTION, qid) for qid in details)
        steps.append(Step(STEP_COMMENT))
        steps.append(Step(STEP_THANKS))
        self.steps: tuple[Step, ...] = tuple(steps)
        self._followups = getattr(survey, "followups", None)
        self.index = 0
        self.answers: dict[str, Any] = {}
        self.staff_id: str | None = bound_staff_id
        self.staff_chosen = bound_staff_id is not None
        self.comment: str | None = None
        self.contact: dict[str, Any] | None = None

    @property
    def current(self) -> Step:
        """The step on screen now."""
        return self.steps[self.index]

    @property
    def question(self) -> Question | None:
        """The question on screen now, if the current step is one."""
        qid = self.current.question_id
        return self.survey.question(qid) if qid is not None else None

    @property
    def question_ids(self) -> list[str]:
        """The questions of this ballot, in the order asked."""
        return [s.question_id for s in self.steps if s.question_id is not None]

    @property
    def progress(self) -> tuple[int, int]:
        """(questions answered or passed, questions in this ballot), for a progress bar."""
        total = len(self.question_ids)
        done = sum(1 for s in self.steps[: self.index] if s.kind == STEP_QUESTION)
        return done, total

    def choose_staff(self, staff_id: str | None) -> None:
        """Record the officer (None = "Không rõ cán bộ") and advance."""
        self._expect(STEP_STAFF)
        self.staff_id = staff_id
        self.staff_chosen = True
        self._advance()

    def answer(self, question_id: str, value: Any) -> None:
        """Record a checked answer for the question on screen and advance."""
        self._expect(STEP_QUESTION, question_id)
        question = self.survey.question(question_id)
        self.answers[question_id] = check_value(question, value)
        self._ask_followups(question_id)
        self._advance()

    def send_now(self) -> None:
        """ "Gửi đánh giá" on the offer: the ballot as it stands goes to the thanks."""
        self._expect(STEP_OFFER)
        self.index = len(self.steps) - 1

    def more(self) -> None:
        """ "Trả lời thêm" on the offer: on to the details."""
        self._expect(STEP_OFFER)
        self._advance()

    def skip(self) -> None:
        """Pass the question on screen ("không áp dụng"): its answer is null. tong_the cannot be skipped."""
        self._expect(STEP_QUESTION)
        question = self.question
        assert question is not None
        if question.required or question.id == OVERALL_ID:
            raise FlowError(f"question {question.id!r} cannot be skipped")
        if question.type == "checklist":
            # A skipped checklist is absent: the protocol has no null there ([] is "none of these").
            self.answers.pop(question.id, None)
        else:
            self.answers[question.id] = None
        self._advance()

    def back(self) -> None:
        """Go to the previous step, keeping its answer so it shows as selected; no-op at the start."""
        if self.finished:
            raise FlowError("the ballot is finished")
        if self.index > 0:
            self.index -= 1

    def set_comment(self, comment: str | None, phone: str | None, consent: bool) -> None:
        """Record the comment and, only with consent, the phone number; advance to the thanks."""
        self._expect(STEP_COMMENT)
        text = unicodedata.normalize("NFC", comment).strip() if comment else ""
        if len(text) > COMMENT_MAX_CHARS:
            raise FlowError(f"Ý kiến dài quá {COMMENT_MAX_CHARS} ký tự, Ông/Bà vui lòng rút gọn.")
        contact = None
        # Without the ticked consent the number is dropped, never stored (personal-data law, 2025).
        if consent and phone and phone.strip():
            contact = {"phone": normalise_phone(phone), "consent": True}
        self.comment = text or None
        self.contact = contact
        self._advance()

    @property
    def is_complete(self) -> bool:
        """True once tong_the has an answer: from then on the ballot is kept."""
        return self.answers.get(OVERALL_ID) is not None

    @property
    def finished(self) -> bool:
        """True on the thank-you screen."""
        return self.current.kind == STEP_THANKS

    def _expect(self, kind: str, question_id: str | None = None) -> None:
        step = self.current
        if step.kind != kind or (question_id is not None and step.question_id != question_id):
            wanted = f"{kind} {question_id}" if question_id else kind
            shown = f"{step.kind} {step.question_id}" if step.question_id else step.kind
            raise FlowError(f"the ballot shows {shown}, not {wanted}")

    def _ask_followups(self, question_id: str) -> None:
        """Put the follow-ups the answer to `question_id` calls for right after it; drop the others."""
        if self._followups is None:
            return
        old = [s for s in self.steps if s.follows == question_id]
        for step in old:
            if step.question_id is not None:
                self.answers.pop(step.question_id, None)
        value = self.answers.get(question_id)
        asked = self._followups(question_id, value) if value is not None else ()
        new = [Step(STEP_QUESTION, q.id, follows=question_id) for q in asked]
        if not old and not new:
            return
        rest = [s for s in self.steps if s.follows != question_id]
        at = rest.index(self.steps[self.index]) + 1
        self.steps = tuple(rest[:at] + new + rest[at:])

    def _advance(self) -> None:
        self.index = min(self.index + 1, len(self.steps) - 1)


def idle_outcome(flow: BallotFlow) -> str:
    """What the idle timeout does with an abandoned ballot: "keep" once tong_the is answered."""
    return "keep" if flow.is_complete else "discard"


class BurstGuard:
    """Misuse guard: a cool-down after each ballot, and a "burst" flag on too many ballots too fast.

    Flagged ballots are kept (nothing is lost); the server leaves them out of the index by default.

    >>> guard = BurstGuard(cooldown_s=3)
    >>> guard.record_ballot(100.0), guard.can_start(101.0), guard.can_start(103.5)
    ([], False, True)
    """

    def __init__(self, cooldown_s: float, burst_window_s: float = 60, burst_count: int = 5) -> None:
        self.cooldown_s = cooldown_s
        self.burst_window_s = burst_window_s
        self.burst_count = burst_count
        self._recent: deque[float] = deque()

    def can_start(self, now: float) -> bool:
        """False during the cool-down that follows a ballot (taps on "Bắt đầu" are ignored)."""
        return not self._recent or now - self._recent[-1] >= self.cooldown_s

    def record_ballot(self, now: float) -> list[str]:
        """Note a finished ballot; ["burst"] when it is the burst_count-th within burst_window_s or later."""
        self._recent.append(now)
        while self._recent and now - self._recent[0] > self.burst_window_s:
            self._recent.popleft()
        return ["burst"] if len(self._recent) >= self.burst_count else []

    def cooldown_left(self, now: float) -> float:
        """Seconds until "Bắt đầu" works again (0 when it does)."""
        if not self._recent:
            return 0.0
        return max(0.0, self.cooldown_s - (now - self._recent[-1]))

"""One citizen's ballot as the UI drives it: the pure flow plus its durable copy in the store.

No Kivy here, so the order "validate, commit, then advance" is tested without a window.

>>> session = BallotSession(store, survey, detail_ids=["xin_chao"], lang="vi")
>>> session.choose_staff("nv01"); session.answer("tong_the", 5); session.ballot_id is not None
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from kiosk.flow import OVERALL_ID, BallotFlow, FlowError, check_value

if TYPE_CHECKING:
    from kiosk.store import KioskStore
    from surveys.loader import Survey

__all__ = ["BallotSession"]

StoredHook = Callable[[str, str], None]


class BallotSession:
    """A ballot from "Bắt đầu" to the thanks; every tap that changes the ballot is committed at once.

    The ballot row is created by the `tong_the` tap, carrying the officer chosen before it: a
    citizen who walks away before rating leaves nothing behind and burns no `seq` number. Each
    method commits first and advances the flow second, so a StoreUnavailable leaves the flow on
    the screen where the tap failed.
    """

    def __init__(
        self,
        store: KioskStore,
        survey: Survey,
        *,
        detail_ids: Sequence[str],
        lang: str,
        bound_staff_id: str | None = None,
        ask_staff: bool = True,
        on_stored: StoredHook | None = None,
    ) -> None:
        self.store = store
        self.survey = survey
        self.lang = lang
        self.flow = BallotFlow(survey, detail_ids, bound_staff_id=bound_staff_id, ask_staff=ask_staff)
        self.ballot_id: str | None = None
        self._on_stored = on_stored

    def choose_staff(self, staff_id: str | None) -> None:
        """The officer (None = "Không rõ cán bộ"); committed if the ballot already exists."""
        if self.ballot_id is not None:
            self.store.set_staff(self.ballot_id, staff_id)
            self._stored("staff")
        self.flow.choose_staff(staff_id)

    def answer(self, question_id: str, value: Any) -> None:
        """A checked answer to the question on screen, committed, then the flow advances."""
        value = check_value(self.survey.question(question_id), value)
        if self.ballot_id is None:
            if question_id != OVERALL_ID:
                # Only reachable after "back" past tong_the, which the flow forbids skipping.
                raise RuntimeError("a detail answer before tong_the")
            self.ballot_id = self.store.start_ballot(
                survey_id=self.survey.id,
                survey_version=self.survey.version,
                staff_id=self.flow.staff_id,
                lang=self.lang,
            )
        self.store.record_answer(self.ballot_id, question_id, value)
        self._stored(question_id)
        before = set(self.flow.answers)
        self.flow.answer(question_id, value)
        # A follow-up the new answer no longer calls for (e.g. tong_the changed from 2 to 5): not answered.
        for dropped in sorted(before - set(self.flow.answers) - {question_id}):
            self.store.record_answer(self.ballot_id, dropped, None)
            self._stored(dropped)

    def send_now(self) -> None:
        """ "Gửi đánh giá" after the overall rating: nothing more to store; the flow goes to the thanks."""
        self.flow.send_now()

    def more(self) -> None:
        """ "Trả lời thêm": on to the details."""
        self.flow.more()

    def skip(self) -> None:
        """Pass the question on screen ("Bỏ qua" / "Không áp dụng"): its answer is stored as null."""
        question = self.flow.question
        if question is None:
            raise FlowError("no question on screen to skip")  # a stale tap: nothing changes
        if self.ballot_id is not None:
            if question.type == "checklist":
                self.store.forget_answer(self.ballot_id, question.id)
            else:
                self.store.record_answer(self.ballot_id, question.id, None)
            self._stored(question.id)
        self.flow.skip()

    def back(self) -> None:
        """The previous screen; answers stay as given until changed."""
        self.flow.back()

    def set_comment(self, comment: str | None, phone: str | None, consent: bool) -> None:
        """Comment and (only with consent) phone; validated by the flow, then committed."""
        # The flow owns the rules (length, phone format, consent): let it check, then commit what it kept.
        index = self.flow.index
        self.flow.set_comment(comment, phone, consent)
        if self.ballot_id is not None:
            try:
                self.store.set_comment(self.ballot_id, self.flow.comment, self.flow.contact)
            except Exception:
                self.flow.index = index
                raise
            self._stored("comment")

    def finish(self, flags: Iterable[str] = ()) -> bool:
        """Close the ballot (status pending) with its misuse flags; False when there was none."""
        if self.ballot_id is None:
            return False
        flags = list(flags)
        if flags:
            self.store.add_flags(self.ballot_id, flags)
        self.store.finish_ballot(self.ballot_id)
        self._stored("finish")
        return True

    def abandon(self) -> str:
        """The citizen walked away: "kept" (tong_the answered), "discarded", or "none" (no row yet)."""
        if self.ballot_id is None:
            return "none"
        outcome = self.store.abandon_ballot(self.ballot_id)
        self._stored("abandon")
        return outcome

    @property
    def is_complete(self) -> bool:
        """True once tong_the is answered (the ballot will be kept)."""
        return self.flow.is_complete

    def _stored(self, what: str) -> None:
        if self._on_stored is not None and self.ballot_id is not None:
            self._on_stored(self.ballot_id, what)

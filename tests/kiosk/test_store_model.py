"""The store against a plain-Python model: any sequence of taps, timeouts, syncs and restarts agrees."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from kiosk.store import KioskStore

SURVEY = {"survey_id": "chinh-quyen-than-thien", "survey_version": "2024.1"}
QUESTIONS = ["tong_the", "xin_chao", "nam_khong", "van_minh"]


@dataclass
class Model:
    status: str = "open"
    answers: dict[str, Any] = field(default_factory=dict)
    seq: int = 0


class StoreMachine(RuleBasedStateMachine):
    open_ballots = Bundle("open_ballots")
    sent = Bundle("sent")

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="kiosk-model-"))
        self.store = KioskStore(self.folder / "kiosk.db")
        self.model: dict[str, Model] = {}
        self.last_seq = 0
        self.counts: dict[str, int] = {}

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _count(self, question_id: str, delta: int) -> None:
        self.counts[question_id] = max(0, self.counts.get(question_id, 0) + delta)

    @rule(target=open_ballots, first=st.one_of(st.none(), st.integers(1, 5)))
    def start(self, first: int | None) -> str:
        answers = {"tong_the": first} if first is not None else None
        ballot_id = self.store.start_ballot(**SURVEY, staff_id=None, lang="vi", answers=answers)
        self.last_seq += 1
        self.model[ballot_id] = Model(answers=dict(answers or {}), seq=self.last_seq)
        if first is not None:
            self._count("tong_the", 1)
        return ballot_id

    @rule(
        ballot=open_ballots,
        question=st.sampled_from(QUESTIONS),
        value=st.one_of(st.none(), st.integers(1, 5)),
    )
    def answer(self, ballot: str, question: str, value: int | None) -> None:
        model = self.model.get(ballot)
        if model is None or model.status != "open":
            return  # a stale reference: the ballot was closed by another rule
        self.store.record_answer(ballot, question, value)
        before = model.answers.get(question)
        self._count(question, (value is not None) - (before is not None))
        model.answers[question] = value

    @rule(target=sent, ballot=consumes(open_ballots), idle=st.booleans())
    def close(self, ballot: str, idle: bool) -> str:
        model = self.model.get(ballot)
        if model is None or model.status != "open":
            return ballot
        complete = model.answers.get("tong_the") is not None
        if idle:
            outcome = self.store.abandon_ballot(ballot)
            assert outcome == ("kept" if complete else "discarded")
        elif complete:
            self.store.finish_ballot(ballot)
        else:
            return ballot  # the UI cannot submit without tong_the; it stays open
        if complete:
            model.status = "pending"
        else:
            for question, value in model.answers.items():
                if value is not None:
                    self._count(question, -1)
            del self.model[ballot]
        return ballot

    @rule(ballot=sent, result=st.sampled_from(["created", "duplicate", "conflict", "rejected"]))
    def sync_result(self, ballot: str, result: str) -> None:
        model = self.model.get(ballot)
        self.store.mark_results([(ballot, result, "x" if result == "rejected" else None)])
        if model is not None and model.status != "open":
            model.status = "synced" if result in ("created", "duplicate") else result

    @rule()
    def purge(self) -> None:
        self.store.purge_synced(timedelta(0), now=datetime.now(UTC) + timedelta(seconds=5))
        self.model = {k: m for k, m in self.model.items() if m.status != "synced"}

    @rule()
    def restart(self) -> None:
        self.store.close()
        self.store = KioskStore(self.folder / "kiosk.db")
        recovered = self.store.recover_open_ballots()
        kept = discarded = 0
        for ballot_id, model in list(self.model.items()):
            if model.status != "open":
                continue
            if model.answers.get("tong_the") is not None:
                model.status = "pending"
                kept += 1
            else:
                for question, value in model.answers.items():
                    if value is not None:
                        self._count(question, -1)
                del self.model[ballot_id]
                discarded += 1
        assert recovered == {"kept": kept, "discarded": discarded}

    @invariant()
    def agrees_with_the_model(self) -> None:
        expected = dict.fromkeys(("open", "pending", "synced", "conflict", "rejected"), 0)
        for model in self.model.values():
            expected[model.status] += 1
        assert self.store.counts_by_status() == expected
        assert {k: v for k, v in self.store.answer_counts(SURVEY["survey_id"]).items() if v} == {
            k: v for k, v in self.counts.items() if v
        }
        pending = self.store.pending_batch(1000)
        assert [b["id"] for b in pending] == sorted(
            (k for k, m in self.model.items() if m.status == "pending"), key=lambda k: self.model[k].seq
        )
        for item in pending:
            assert item["answers"] == self.model[item["id"]].answers
            assert item["seq"] == self.model[item["id"]].seq


StoreMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)
test_store_agrees_with_its_model = StoreMachine.TestCase

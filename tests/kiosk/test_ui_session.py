"""BallotSession: what a tap commits, and in which order (no Kivy, a real SQLite store)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.flow import FlowError
from kiosk.store import KioskStore, StoreUnavailable
from kiosk.ui.session import BallotSession
from surveys.loader import Survey, default_survey_path, load_survey


@pytest.fixture
def survey() -> Survey:
    return load_survey(default_survey_path())


@pytest.fixture
def store(tmp_path: Path) -> Iterator[KioskStore]:
    with KioskStore(tmp_path / "kiosk.db") as store:
        yield store


def _session(store: KioskStore, survey: Survey, **kwargs: Any) -> BallotSession:
    return BallotSession(store, survey, detail_ids=["xin_chao", "nam_khong"], lang="vi", **kwargs)


def test_walking_away_before_rating_leaves_nothing(store: KioskStore, survey: Survey) -> None:
    session = _session(store, survey)
    session.choose_staff("nv01")
    assert session.ballot_id is None
    assert session.abandon() == "none"
    assert store.ballots() == []


def test_the_rating_tap_creates_the_ballot_with_the_officer_chosen_before(
    store: KioskStore, survey: Survey
) -> None:
    stored: list[tuple[str, str]] = []
    session = _session(store, survey, on_stored=lambda ballot, what: stored.append((ballot, what)))
    session.choose_staff("nv02")
    session.answer("tong_the", 4)
    session.more()  # "Trả lời thêm"
    session.skip()  # xin_chao: null
    session.answer("nam_khong", [])
    session.set_comment("Cán bộ rất tận tình", "0912 345 678", consent=True)
    assert session.finish(["burst"])
    [ballot] = store.ballots()
    assert ballot["staff_id"] == "nv02"
    assert ballot["answers"] == {"tong_the": 4, "xin_chao": None, "nam_khong": []}
    assert ballot["contact"] == {"phone": "0912345678", "consent": True}
    assert ballot["status"] == "pending" and "burst" in ballot["flags"]
    assert [what for _, what in stored] == ["tong_the", "xin_chao", "nam_khong", "comment", "finish"]


def test_a_phone_without_consent_is_never_stored(store: KioskStore, survey: Survey) -> None:
    session = _session(store, survey, bound_staff_id="nv03")
    session.answer("tong_the", 5)
    session.more()
    session.skip()
    session.skip()
    session.set_comment(None, "0912345678", consent=False)
    [ballot] = store.ballots()
    assert ballot["contact"] is None and ballot["staff_id"] == "nv03"


def test_a_bad_value_commits_nothing_and_keeps_the_screen(store: KioskStore, survey: Survey) -> None:
    session = _session(store, survey, ask_staff=False)
    with pytest.raises(FlowError):
        session.answer("tong_the", 7)
    assert store.ballots() == [] and session.flow.current.question_id == "tong_the"


def test_a_storage_fault_leaves_the_flow_on_the_tapped_screen(store: KioskStore, survey: Survey) -> None:
    session = _session(store, survey, ask_staff=False)
    session.answer("tong_the", 3)
    session.more()
    store.close()
    with pytest.raises(StoreUnavailable):
        session.answer("xin_chao", 5)
    assert session.flow.current.question_id == "xin_chao"
    assert "xin_chao" not in session.flow.answers

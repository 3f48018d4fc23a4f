"""Crash durability: a real process taps, prints "stored" after the commit, and is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kiosk.store import KioskStore

# Taps ballots with the real flow and the real store; the store's trace prints "stored <id> <what>"
# after each commit. With HANG_AFTER set, it stops (alive) after that tap so the test can kill it there.
DRIVER = textwrap.dedent(
    """
    import os, random, sys, time
    from kiosk.config import load_config
    from kiosk.flow import BallotFlow, choose_details
    from kiosk.settings import KioskSettings
    from kiosk.store import KioskStore

    settings = KioskSettings.from_env(trace_taps=True)
    store = KioskStore.from_settings(settings)
    store.recover_open_ballots()
    survey = load_config(store, settings.home).survey
    rng = random.Random(int(os.environ.get("SEED", "1")))
    hang_after = os.environ.get("HANG_AFTER")
    print("ready", flush=True)
    for _ in range(int(os.environ.get("BALLOTS", "1000000"))):
        details = choose_details(survey, store.answer_counts(survey.id), 4, rng)
        flow = BallotFlow(survey, details, ask_staff=False)
        ballot_id = None
        while not flow.finished:
            question = flow.question
            if flow.current.kind == "offer":
                flow.more()  # "Trả lời thêm"
                continue
            if question is None:
                flow.set_comment("Cán bộ tận tình", None, consent=False)
                store.set_comment(ballot_id, flow.comment, flow.contact)
                continue
            value = rng.randint(1, 5) if question.type == "rating5" else []
            if ballot_id is None:
                ballot_id = store.start_ballot(
                    survey_id=survey.id, survey_version=survey.version, staff_id=None, lang="vi"
                )
            store.record_answer(ballot_id, question.id, value)
            flow.answer(question.id, value)
            print("value", ballot_id, question.id, value, flush=True)
            if hang_after == question.id:
                time.sleep(3600)
        store.finish_ballot(ballot_id)
    """
)


def _start(home: Path, tmp_path: Path, **env: str) -> subprocess.Popen[str]:
    script = tmp_path / "driver.py"
    script.write_text(DRIVER, encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "SURVEY_KIOSK_HOME": str(home),
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
            **env,
        },
    )


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def test_a_tap_acknowledged_just_before_sigkill_is_found_after_restart(tmp_path: Path) -> None:
    home = tmp_path / "home"
    process = _start(home, tmp_path, BALLOTS="1", HANG_AFTER="tong_the")
    assert process.stdout is not None
    stored = None
    for line in process.stdout:
        if line.startswith("stored ") and line.split()[2] == "tong_the":
            stored = line.split()[1]
            _kill(process)  # right after the tap's commit, before the next screen
            break
    assert stored is not None, "the driver never stored a tap"
    with KioskStore(home / "kiosk.db") as store:
        before = store.ballot(stored)
        assert (
            before is not None and before["status"] == "open" and before["answers"]["tong_the"] in range(1, 6)
        )
        # On restart the abandoned ballot is kept as complete: tong_the was answered.
        assert store.recover_open_ballots() == {"kept": 1, "discarded": 0}
        batch = store.pending_batch(10)
        assert [b["id"] for b in batch] == [stored] and batch[0]["seq"] == 1


@pytest.mark.parametrize("kill_after", [7, 53])
def test_every_acknowledged_tap_survives_a_kill_in_a_tap_storm(tmp_path: Path, kill_after: int) -> None:
    home = tmp_path / "home"
    process = _start(home, tmp_path, SEED=str(kill_after))
    assert process.stdout is not None
    acknowledged: dict[tuple[str, str], str] = {}
    committed: set[tuple[str, str]] = set()
    stored_lines = 0
    for line in process.stdout:
        words = line.split(maxsplit=3)
        if words[0] == "value":
            acknowledged[(words[1], words[2])] = words[3].strip()
        elif words[0] == "stored":
            stored_lines += 1
            if words[2] not in ("start", "staff", "comment", "flags", "finish", "abandon"):
                committed.add((words[1], words[2]))
            if stored_lines == kill_after:
                _kill(process)
                break
    with KioskStore(home / "kiosk.db") as store:
        store.recover_open_ballots()
        ballots = {b["id"]: b for b in store.pending_batch(100_000)}
    for ballot_id, question_id in committed:
        assert question_id in ballots[ballot_id]["answers"], f"{question_id} of {ballot_id} was lost"
    for (ballot_id, question_id), value in acknowledged.items():
        assert ballot_id in ballots, f"ballot {ballot_id} was lost"
        assert str(ballots[ballot_id]["answers"][question_id]) == value
    # seq has no gaps: every ballot is there, in order.
    assert sorted(b["seq"] for b in ballots.values()) == list(range(1, len(ballots) + 1))
    # A restarted kiosk carries on with the next seq.
    process = _start(home, tmp_path, BALLOTS="1")
    assert process.wait(timeout=60) == 0
    with KioskStore(home / "kiosk.db") as store:
        assert store.counts_by_status()["pending"] == len(ballots) + 1


def test_the_real_app_killed_right_after_a_tap_keeps_the_ballot(tmp_path: Path) -> None:
    pytest.importorskip("kivy")
    home = tmp_path / "home"
    command = [sys.executable, "-m", "kiosk.cli", "run", "--autopilot", "3", "--seed", "4", "--speed", "8"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "SURVEY_KIOSK_HOME": str(home), "SURVEY_KIOSK_TRACE_TAPS": "1"},
    )
    assert process.stdout is not None
    answered: list[str] = []
    ballot_id = None
    ballots_seen: list[str] = []
    try:
        for line in process.stdout:
            words = line.split()
            if words[:1] != ["stored"] or words[2] in ("start", "staff", "comment", "flags", "finish"):
                continue
            if words[1] != ballot_id:  # a new ballot (the last one may have been sent after tong_the)
                ballot_id, answered = words[1], []
                ballots_seen.append(ballot_id)
            answered.append(words[2])
            if len(answered) == 2:  # tong_the and one detail item, mid-ballot
                _kill(process)
                break
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert ballot_id is not None and answered[0] == "tong_the", "the app never stored a tap"
    with KioskStore(home / "kiosk.db") as store:
        ballot = store.ballot(ballot_id)
        assert ballot is not None and ballot["status"] == "open"
        assert set(answered) <= set(ballot["answers"])
    # The restarted app recovers it as complete, then carries on with the next seq.
    done = subprocess.run(
        [*command[:5], "1", "--speed", "20"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SURVEY_KIOSK_HOME": str(home)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with KioskStore(home / "kiosk.db") as store:
        batch = store.pending_batch(10)
    assert [b["seq"] for b in batch] == list(range(1, len(ballots_seen) + 2))
    killed = batch[len(ballots_seen) - 1]
    assert killed["id"] == ballot_id and set(answered) <= set(killed["answers"])


def test_the_real_app_on_a_full_store_shows_the_fault_and_loses_nothing(tmp_path: Path) -> None:
    pytest.importorskip("kivy")
    home = tmp_path / "home"
    with KioskStore(home / "kiosk.db", max_db_mb=0.2) as store:  # the card is nearly full
        kept = []
        try:
            while True:
                ballot_id = store.start_ballot(
                    survey_id="chinh-quyen-than-thien",
                    survey_version="2024.1",
                    staff_id=None,
                    lang="vi",
                    answers={"tong_the": 5},
                )
                store.set_comment(ballot_id, "Ý kiến " * 60, None)
                store.finish_ballot(ballot_id)
                kept.append(ballot_id)
        except Exception:  # StoreUnavailable: full
            pass
        assert len(kept) > 10
    shots = tmp_path / "shots"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiosk.cli",
            "run",
            "--autopilot",
            "2",
            "--speed",
            "8",
            "--screenshots",
            str(shots),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={
            **os.environ,
            "SURVEY_KIOSK_HOME": str(home),
            "SURVEY_KIOSK_TRACE": "1",
            "SURVEY_KIOSK_MAX_DB_MB": "0.2",
        },
    )
    assert process.stdout is not None
    shown = []
    try:
        for line in process.stdout:
            if line.startswith("FRAME "):
                shown.append(line.split()[1])
                if shown[-1].startswith("fault"):
                    break
        # The PNG of the calm message is written just after its FRAME line.
        deadline = time.monotonic() + 30
        while not list(shots.glob("*fault*.png")) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.kill()
        process.wait()
    assert shown and shown[-1].startswith("fault"), shown
    assert list(shots.glob("*fault*.png")), sorted(p.name for p in shots.iterdir())
    with KioskStore(home / "kiosk.db") as store:
        store.recover_open_ballots()
        pending = store.pending_batch(100_000)
    # Every earlier ballot is intact; a citizen's tong_the that fitted before the fault is kept too.
    assert [b["id"] for b in pending[: len(kept)]] == kept
    assert len(pending) - len(kept) in (0, 1)
    assert all(b["answers"]["tong_the"] in range(1, 6) for b in pending)

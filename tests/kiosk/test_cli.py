"""`survey-kiosk` as an operator types it: status lines, one-sentence mistakes, sync hand-off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.store import KioskStore
from surveys.loader import default_survey_path, load_survey

SCRIPT = Path(sys.executable).parent / "survey-kiosk"


def _kiosk(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "kiosk.cli"]
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SURVEY_KIOSK_HOME": str(home)},
    )


def _one_sentence(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr


def test_status_of_a_fresh_kiosk_reads_well_and_creates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = _kiosk(home, "status")
    assert done.returncode == 0, done.stderr
    assert "server:         not enrolled" in done.stdout
    assert "last sync:      never" in done.stdout
    assert "  pending:  0" in done.stdout
    assert not home.exists()


def test_status_shows_counts_sync_state_and_config(tmp_path: Path) -> None:
    home = tmp_path / "home"
    survey = load_survey(default_survey_path())
    with KioskStore(home / "kiosk.db") as store:
        ids = []
        for _ in range(3):
            ballot_id = store.start_ballot(
                survey_id=survey.id, survey_version=survey.version, staff_id=None, lang="vi"
            )
            store.record_answer(ballot_id, "tong_the", 5)
            store.finish_ballot(ballot_id)
            ids.append(ballot_id)
        store.mark_results([(ids[0], "created", None), (ids[1], "rejected", "unknown staff")])
        store.set("server_url", "https://khaosat.anphu.gov.vn")
        store.set("device_name", "Quầy 1")
        store.set("device_id", "d-7")
        store.set("last_sync_at", "2024-09-03T02:14:00+07:00")
        store.set("last_error", "máy chủ không trả lời (hết thời gian chờ)")
        config = {
            "config_version": "v42",
            "unit": {"code": "PX-AN-PHU", "name": "UBND phường An Phú", "timezone": "Asia/Ho_Chi_Minh"},
            "survey": survey.to_json(),
            "staff": [],
            "settings": {},
        }
        store.set("config_json", json.dumps(config, ensure_ascii=False))
    done = _kiosk(home, "status")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "device:         Quầy 1 (d-7)" in out
    assert "server:         https://khaosat.anphu.gov.vn" in out
    assert "unit:           UBND phường An Phú (PX-AN-PHU)" in out
    assert "config version: v42" in out
    assert "last sync:      2024-09-03T02:14:00+07:00" in out
    assert "last error:     máy chủ không trả lời (hết thời gian chờ)" in out
    for line in ("  pending:  1", "  synced:   1", "  rejected: 1", "  conflict: 0", "  open:     0"):
        assert line in out
    assert f"data:           {home / 'kiosk.db'} (" in out and "MB free on its disk)" in out


def test_status_of_a_damaged_database_is_one_sentence(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "kiosk.db").write_bytes(b"garbage" * 1000)
    done = _kiosk(home, "status")
    assert done.returncode == 1
    _one_sentence(done.stderr)
    assert "cannot be read" in done.stderr and "database damaged" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--autopilot", "0"], "--autopilot: 0 is not 1 or more"),
        (["run", "--speed", "fast"], "--speed: 'fast' is not a number"),
        (["run", "--mode", "wall"], "invalid choice: 'wall'"),
        (["run", "--config", "no-such-roster.csv"], "no-such-roster.csv does not exist"),
        (["enrol", "--server", "http://x"], "required: --code"),
        ([], "required: COMMAND"),
    ],
)
def test_operator_mistakes_are_one_sentence_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = _kiosk(tmp_path / "home", *args)
    assert done.returncode == 2
    _one_sentence(done.stderr)
    assert message in done.stderr


def test_a_bad_roster_stops_run_before_the_window_opens(tmp_path: Path) -> None:
    roster = tmp_path / "staff.csv"
    roster.write_text("id,name\nnv01,Lan\nnv01,Lan again\n", encoding="utf-8")
    done = _kiosk(tmp_path / "home", "run", "--config", str(roster))
    assert done.returncode == 2
    _one_sentence(done.stderr)
    assert "officer id 'nv01' appears twice" in done.stderr


def test_a_bad_environment_setting_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SURVEY_KIOSK_IDLE_TIMEOUT_S", "soon")
    done = _kiosk(tmp_path / "home", "status")
    assert done.returncode == 2
    _one_sentence(done.stderr)
    assert "SURVEY_KIOSK_IDLE_TIMEOUT_S" in done.stderr


@pytest.mark.parametrize("args", [["sync"], ["enrol", "--server", "http://127.0.0.1:9", "--code", "X"]])
def test_without_the_sync_package_enrol_and_sync_say_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    # None in sys.modules is how Python marks a module as not importable.
    monkeypatch.setitem(sys.modules, "kiosk.sync.cli", None)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.strip() == "survey-kiosk: sync is not installed in this build."


def test_help_lists_every_command(tmp_path: Path) -> None:
    done = _kiosk(tmp_path / "home", "--help")
    assert done.returncode == 0
    for command in ("run", "status", "enrol", "sync"):
        assert command in done.stdout
    run_help = _kiosk(tmp_path / "home", "run", "--help").stdout
    for option in ("--autopilot", "--seed", "--speed", "--screenshots", "--config", "--fullscreen", "--lang"):
        assert option in run_help


def test_run_with_a_roster_autopilots_ballots_and_saves_screenshots(tmp_path: Path) -> None:
    pytest.importorskip("kivy")
    roster = tmp_path / "staff.csv"
    roster.write_text("id,name,title,counter\nnv01,Nguyễn Thị Lan,Công chức,Quầy 1\n", encoding="utf-8")
    shots = tmp_path / "shots"
    home = tmp_path / "home"
    args = ["run", "--autopilot", "2", "--seed", "3", "--speed", "20", "--screenshots", str(shots)]
    done = _kiosk(home, *args, "--config", str(roster))
    assert done.returncode == 0, done.stderr[-2000:]
    names = sorted(p.name for p in shots.glob("*.png"))
    assert any("staff" in name for name in names), names  # the roster's officer was offered
    assert any("thanks" in name for name in names)
    with KioskStore(home / "kiosk.db") as store:
        counts = store.counts_by_status()
        batch = store.pending_batch(10)
    # Two finished ballots; on a loaded machine the (sped-up) idle timeout may also have closed one
    # mid-way, which is kept because tong_the was answered.
    assert counts["pending"] >= 2 and counts["open"] == 0
    assert all(b["staff_id"] in ("nv01", None) and b["answers"]["tong_the"] for b in batch)
    status = _kiosk(home, "status")
    assert f"  pending:  {counts['pending']}" in status.stdout


def test_run_on_a_damaged_database_is_one_sentence_and_keeps_the_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    damaged = b"not a database" * 500
    (home / "kiosk.db").write_bytes(damaged)
    done = _kiosk(home, "run", "--autopilot", "1")
    assert done.returncode == 1
    _one_sentence(done.stderr)
    assert "the kiosk's data cannot be opened: database damaged" in done.stderr
    assert (home / "kiosk.db").read_bytes() == damaged


def test_the_it_officer_sets_the_admin_pin_from_the_command_line(tmp_path: Path) -> None:
    from kiosk.store import verify_pin

    home = tmp_path / "home"
    bad = _kiosk(home, "pin", "--pin", "12")
    assert bad.returncode == 2 and "4 to 8 digits" in bad.stderr
    _one_sentence(bad.stderr)
    done = _kiosk(home, "pin", "--pin", "2468")
    assert done.returncode == 0, done.stderr
    assert "2468" not in done.stdout + done.stderr
    with KioskStore(home / "kiosk.db") as store:
        hashed = store.get("admin_pin_hash") or ""
    assert verify_pin("2468", hashed) and "2468" not in hashed

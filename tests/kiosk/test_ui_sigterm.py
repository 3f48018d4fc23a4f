"""`systemctl stop` sends SIGTERM: the kiosk ends at once, its open ballot kept, its store closed cleanly."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from kiosk.store import KioskStore

SCRIPT = Path(sys.executable).parent / "survey-kiosk"
ROSTER = "id,name,title,counter,photo\nnv01,Nguyễn Thị Lan,Công chức Tư pháp – Hộ tịch,1,\n"


def test_sigterm_ends_the_kiosk_mode_app_within_seconds_keeping_the_open_ballot(tmp_path: Path) -> None:
    home, roster = tmp_path / "home", tmp_path / "staff.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "kiosk.cli"]
    env = {
        **os.environ,
        "SURVEY_KIOSK_HOME": str(home),
        "KIVY_HOME": str(home / "kivy"),
        "SURVEY_KIOSK_TRACE": "1",
        "KCFG_GRAPHICS_WIDTH": "800",
        "KCFG_GRAPHICS_HEIGHT": "600",
        "LP_NUM_THREADS": os.environ.get("LP_NUM_THREADS", "0"),
        "PYTHONUNBUFFERED": "1",
    }
    # Kiosk mode: the window refuses to be closed, as at the counter; the autopilot taps slowly.
    args = ["run", "--mode", "kiosk", "--config", str(roster), "--autopilot", "50", "--speed", "4"]
    proc = subprocess.Popen(
        [*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    try:
        deadline = time.monotonic() + 120
        for line in proc.stdout:
            if line.startswith("TAP stored ") and line.split()[3] == "tong_the":
                break  # a ballot is open: rated, not finished
            assert time.monotonic() < deadline, "the kiosk never stored a rating"
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=15)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    print(f"SIGTERM → exit in {took:.2f} s")
    assert rc == 0, proc.stderr.read()[-2000:] if proc.stderr else rc
    # The store was closed cleanly: no write-ahead log left to replay, the file intact.
    wal = home / "kiosk.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    with sqlite3.connect(home / "kiosk.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = KioskStore(home / "kiosk.db")
    try:
        ballots = store.ballots()
    finally:
        store.close()
    # The ballot open at the signal was kept (it had its overall rating), none is left open.
    assert ballots and all(b["status"] == "pending" for b in ballots)
    assert all(b["answers"]["tong_the"] in range(1, 6) for b in ballots)

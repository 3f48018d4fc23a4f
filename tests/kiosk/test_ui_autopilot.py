"""`survey-kiosk run --autopilot N --screenshots DIR` as a real process on a headless window."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from kiosk.store import KioskStore

SCRIPT = Path(sys.executable).parent / "survey-kiosk"
ROSTER = """id,name,title,counter,photo
nv01,Nguyễn Thị Lan,Công chức Tư pháp – Hộ tịch,1,
nv02,Trần Văn Minh,Công chức Địa chính – Xây dựng,2,
"""


@pytest.mark.slow
def test_autopilot_taps_five_ballots_and_saves_a_png_of_every_screen(tmp_path: Path) -> None:
    home, shots, roster = tmp_path / "home", tmp_path / "shots", tmp_path / "staff.csv"
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
    }
    args = ["run", "--mode", "tablet", "--config", str(roster)]
    args += ["--autopilot", "5", "--seed", "3", "--speed", "20", "--screenshots", str(shots)]
    done = subprocess.run([*command, *args], capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stderr[-2000:]

    pngs = sorted(shots.glob("*.png"))
    shown = {p.stem.split("-", 1)[1].split("-")[0] for p in pngs}
    assert {"welcome", "staff", "rating", "comment", "contact", "thanks"} <= shown
    assert not list(shots.glob("_frame*")), "Kivy's own screenshot names are renamed"
    with Image.open(pngs[0]) as first:
        assert first.size == (800, 600)
        # A real frame, not a blank buffer: the welcome screen has more than a few colours.
        assert len(first.convert("RGB").getcolors(maxcolors=100_000) or []) > 20

    store = KioskStore(home / "kiosk.db")
    try:
        ballots = store.ballots()
    finally:
        store.close()
    assert len(ballots) == 5
    assert all(b["status"] == "pending" and b["answers"]["tong_the"] in range(1, 6) for b in ballots)
    # Every "TAP stored" line names an answer that is in the database.
    by_id = {b["id"]: b for b in ballots}
    taps = [line.split() for line in done.stdout.splitlines() if line.startswith("TAP stored ")]
    answers = [(t[2], t[3]) for t in taps if t[3] not in ("staff", "comment", "finish", "abandon")]
    assert answers and all(qid in by_id[bid]["answers"] for bid, qid in answers)
    assert any(line.startswith("FRAME thanks-") for line in done.stdout.splitlines())

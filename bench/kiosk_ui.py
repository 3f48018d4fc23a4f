"""Kiosk UI figures: tap → visible frame, tap → durable commit, and CPU at rest on the welcome screen.

    .venv/bin/python bench/kiosk_ui.py [--ballots 10] [--speed 4] [--size 1280x800] [--idle-s 10]

Runs the real `survey-kiosk run` (headless SDL window, llvmpipe software GL) with
SURVEY_KIOSK_TRACE=1 and reads its RELEASE / TAP / FRAME lines. Figures depend on the machine:
software rendering on a shared 2-core box is far slower than a tablet's GPU, so read them as an
upper bound and compare runs on the same machine only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROSTER = "id,name,title,counter,photo\nnv01,Nguyễn Thị Lan,Công chức Tư pháp – Hộ tịch,1,\n"


def _command() -> list[str]:
    script = Path(sys.executable).parent / "survey-kiosk"
    return [str(script)] if script.exists() else [sys.executable, "-m", "kiosk.cli"]


def _env(home: Path, size: str) -> dict[str, str]:
    width, height = size.lower().split("x")
    return {
        **os.environ,
        "SURVEY_KIOSK_HOME": str(home),
        "KIVY_HOME": str(home / "kivy"),
        "SURVEY_KIOSK_TRACE": "1",
        "KCFG_GRAPHICS_WIDTH": width,
        "KCFG_GRAPHICS_HEIGHT": height,
    }


def _summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name}: no samples"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{name}: n={len(values)} median={statistics.median(values):.0f} ms "
        f"p95={p95:.0f} ms max={ordered[-1]:.0f} ms"
    )


def latency(ballots: int, speed: float, size: str) -> None:
    """Autopilot run; pair each finger lift with the next FRAME and the next TAP stored."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        roster = Path(tmp) / "staff.csv"
        roster.write_text(ROSTER, encoding="utf-8")
        args = ["run", "--mode", "tablet", "--config", str(roster), "--autopilot", str(ballots)]
        args += ["--seed", "1", "--speed", str(speed)]
        started = time.monotonic()
        done = subprocess.run(
            [*_command(), *args], capture_output=True, text=True, env=_env(home, size), timeout=1800
        )
        wall = time.monotonic() - started
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"the autopilot run failed with status {done.returncode}")
    events = [line.split() for line in done.stdout.splitlines() if line[:4] in ("RELE", "FRAM", "TAP ")]
    to_frame: list[float] = []
    to_durable: list[float] = []
    by_view: dict[str, list[float]] = {}
    for i, event in enumerate(events):
        if event[0] != "RELEASE":
            continue
        released = int(event[3])
        frame = tap = None
        for later in events[i + 1 :]:
            if later[0] == "RELEASE":
                break
            if later[0] == "FRAME" and frame is None:
                frame = int(later[2]) - released
                view = later[1].rsplit("-", 1)[0]
                by_view.setdefault(view.split("-", 1)[0], []).append(frame)
            if later[0] == "TAP" and tap is None:
                tap = int(later[4]) - released
        if frame is not None:
            to_frame.append(frame)
        if tap is not None:
            to_durable.append(tap)
    print(f"autopilot: {ballots} ballots at --speed {speed}, window {size}, {wall:.1f} s wall")
    first = next((int(e[2]) for e in events if e[0] == "FRAME"), None)
    if first is not None:
        # FRAME times are time.monotonic() ms, system-wide: comparable with ours.
        print(f"start-up (process start -> first frame drawn): {first - started * 1000:.0f} ms")
    print(_summary("finger lift -> frame drawn", to_frame))
    print(_summary("finger lift -> answer committed (fsync)", to_durable))
    for view, values in sorted(by_view.items()):
        print("  " + _summary(f"-> {view}", values))


def idle_cpu(seconds: float, size: str) -> None:
    """CPU used by the app resting on the welcome screen (no animation should mean ~0 %)."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        process = subprocess.Popen(
            [*_command(), "run", "--mode", "tablet"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=_env(home, size),
        )
        try:
            time.sleep(8.0)  # start-up and the first frames
            ticks = os.sysconf("SC_CLK_TCK")

            def cpu() -> float:
                fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / ticks

            before, t0 = cpu(), time.monotonic()
            time.sleep(seconds)
            used, elapsed = cpu() - before, time.monotonic() - t0
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(f"welcome screen at rest: {100 * used / elapsed:.1f} % of one core over {elapsed:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=10)
    parser.add_argument("--speed", type=float, default=4.0)
    parser.add_argument("--size", default="1280x800")
    parser.add_argument("--idle-s", type=float, default=10.0)
    args = parser.parse_args()
    threads = os.environ.get("LP_NUM_THREADS", "default")
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f} (shared), LP_NUM_THREADS={threads}")
    latency(args.ballots, args.speed, args.size)
    idle_cpu(args.idle_s, args.size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

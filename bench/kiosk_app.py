"""The whole kiosk app under autopilot: start-up, tap → durable → frame, peak RSS, idle CPU, 1M ballots.

    .venv/bin/python bench/kiosk_app.py [--ballots 20] [--speed 4] [--big 1000000] [--idle 10]

Runs the real `survey-kiosk run` headless (SDL offscreen) with SURVEY_KIOSK_TRACE=1 and pairs its
lines, which share the system-wide monotonic clock:
  tap → stored  = RELEASE (finger lift) → "TAP stored" (flow, checks, SQLite commit with fsync)
  tap → frame   = RELEASE → the next "FRAME" (the new screen drawn, after on_flip)
  start-up      = spawning the process → its first FRAME
  peak RSS      = the child's ru_maxrss;  idle CPU = /proc/<pid>/stat over --idle s on the welcome screen
With --big, the same autopilot on a copy of bench/kiosk_store.py's cached file of that many ballots.
(bench/kiosk_ui.py, the UI's own, reports the tap figures at other window sizes.)
Caveats: 2 cores shared with other engineers' test runs, software GL (Mesa llvmpipe) instead of a
GPU, a virtual disk; figures are for comparison on this machine, not guarantees.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def now_ms() -> int:
    return time.monotonic_ns() // 1_000_000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def spawn(home: Path, ballots: int, seed: int, speed: float) -> tuple[subprocess.Popen[str], int]:
    script = Path(sys.executable).parent / "survey-kiosk"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "kiosk.cli"]
    args = ["run", "--seed", str(seed), "--speed", str(speed)]
    if ballots:
        args += ["--autopilot", str(ballots)]
    env = {
        **os.environ,
        "SURVEY_KIOSK_HOME": str(home),
        "KIVY_HOME": str(home / "kivy"),
        "KIVY_NO_ARGS": "1",
        "SURVEY_KIOSK_TRACE": "1",
        "PYTHONPATH": str(ROOT),
    }
    started = now_ms()
    process = subprocess.Popen(
        [*command, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    )
    return process, started


def autopilot_run(home: Path, ballots: int, seed: int, speed: float) -> dict[str, list[float]]:
    process, started = spawn(home, ballots, seed, speed)
    assert process.stdout is not None
    figures: dict[str, list[float]] = {"start-up": [], "tap → stored": [], "tap → frame": []}
    up: int | None = None
    slow: list[tuple[int, str]] = []
    for line in process.stdout:
        words = line.split()
        if not words:
            continue
        if words[0] == "FRAME":
            t = int(words[-1])
            if not figures["start-up"]:
                figures["start-up"].append(t - started)
            if up is not None:
                figures["tap → frame"].append(t - up)
                slow.append((t - up, words[1]))
                up = None
        elif words[0] == "RELEASE":
            up = int(words[-1])
        elif words[:2] == ["TAP", "stored"] and up is not None:
            figures["tap → stored"].append(int(words[-1]) - up)
    if process.wait() != 0:
        print(
            f"  WARNING: the app exited with status {process.returncode} (autopilot stalled?);"
            " partial figures"
        )
    worst = ", ".join(f"{label} {ms} ms" for ms, label in sorted(slow, reverse=True)[:4])
    print(f"  slowest frames after a tap: {worst}")
    return figures


def idle_cpu(home: Path, seconds: float) -> float:
    """Percent of one core used on the welcome screen, after a 3 s settle."""
    process, _ = spawn(home, 0, 0, 1.0)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("FRAME"):
            break
    time.sleep(3)
    tick = os.sysconf("SC_CLK_TCK")

    def cpu() -> float:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick  # utime + stime

    before, t0 = cpu(), time.monotonic()
    time.sleep(seconds)
    used, elapsed = cpu() - before, time.monotonic() - t0
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return 100 * used / elapsed


def report(label: str, figures: dict[str, list[float]]) -> None:
    print(f"\n{label}")
    for name, values in figures.items():
        if not values:
            print(f"  {name:<13} no samples")
        elif len(values) == 1:
            print(f"  {name:<13} {values[0]:.0f} ms")
        else:
            print(
                f"  {name:<13} n={len(values):>4}  median {statistics.median(values):6.1f} ms"
                f"  p95 {percentile(values, 95):6.1f} ms  max {max(values):6.1f} ms"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--speed", type=float, default=4.0, help="autopilot speed (1 = 1.2 s between taps)")
    parser.add_argument(
        "--idle", type=float, default=10.0, help="seconds of idle CPU measurement (0 to skip)"
    )
    parser.add_argument("--big", type=int, default=1_000_000, help="ballots already stored (0 to skip)")
    parser.add_argument("--cache", type=Path, default=ROOT / "var" / "bench")
    args = parser.parse_args()
    print("kiosk app benchmark — 2 shared cores, software GL, virtual disk; figures for comparison only")
    print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other engineers' runs)")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "empty" / "home"
        home.mkdir(parents=True)
        report(
            f"empty store, autopilot {args.ballots} ballots at speed {args.speed}",
            autopilot_run(home, args.ballots, args.seed, args.speed),
        )
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"  peak RSS      {rss_mb:.0f} MB")
        if args.idle:
            print(f"  idle CPU      {idle_cpu(home, args.idle):.2f} % of one core over {args.idle:.0f} s")
        if args.big:
            cached = args.cache / f"kiosk-{args.big}.db"
            if not cached.exists():
                print(f"\n(no {cached}: run bench/kiosk_store.py --big {args.big} first)")
                return 0
            big_home = Path(tmp) / "big" / "home"
            big_home.mkdir(parents=True)
            shutil.copy(cached, big_home / "kiosk.db")
            report(
                f"{args.big:,} ballots already stored, same autopilot",
                autopilot_run(big_home, args.ballots, args.seed, args.speed),
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

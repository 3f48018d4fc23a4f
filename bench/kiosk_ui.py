"""Kiosk UI figures: tap → visible frame, tap → durable commit, and CPU at rest on the welcome screen.

    .venv/bin/python bench/kiosk_ui.py [--ballots 10] [--speed 4] [--size 1280x800] [--idle-s 10]

Runs the real `survey-kiosk run` (headless SDL window, llvmpipe software GL) with
SURVEY_KIOSK_TRACE=1 and reads its RELEASE / TAP / FRAME lines. In the same run it measures a bare
Kivy reference the same way: a ScreenManager (no transition) switching between two screens of a
question and five buttons on each tap, and prints the kiosk's p95 as a ratio of the bare one (the
goal is ≤ 1.2×). Figures depend on the machine: software rendering on a shared 2-core box is far
slower than a tablet's GPU, so read the ratio, and compare runs on the same machine only.
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


def _lift_to_frame(lines: list[str]) -> list[float]:
    """Each RELEASE paired with the FRAME drawn after it (before the next RELEASE), in ms."""
    events = [line.split() for line in lines if line[:4] in ("RELE", "FRAM")]
    found: list[float] = []
    for i, event in enumerate(events):
        if event[0] != "RELEASE":
            continue
        for later in events[i + 1 :]:
            if later[0] == "RELEASE":
                break
            if later[0] == "FRAME":
                found.append(int(later[2]) - int(event[3]))
                break
    return found


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] if ordered else float("nan")


def bare(taps: int, speed: float, size: str) -> list[float]:
    """The reference: a bare Kivy screen switch in its own process, same window size and pace."""
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(Path(tmp), size)
        done = subprocess.run(
            [sys.executable, __file__, "--bare-run", str(taps), "--speed", str(speed)],
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"the bare Kivy reference failed with status {done.returncode}")
    return _lift_to_frame(done.stdout.splitlines())


def _bare_run(taps: int, speed: float) -> int:
    """In this process: the bare app, tapped `taps` times; prints RELEASE / FRAME lines like the kiosk."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.graphics.opengl import glFinish
    from kivy.tests.common import UnitTestTouch
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.button import Button
    from kivy.uix.label import Label
    from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager

    def t_ms() -> int:
        return time.monotonic_ns() // 1_000_000

    pending: list[str] = []

    def on_flip(*_args: object) -> None:
        if pending:
            glFinish()
            print(f"FRAME {pending.pop()} {t_ms()}", flush=True)

    class Bare(App):
        def build(self) -> ScreenManager:
            sm = ScreenManager(transition=NoTransition())
            for n in range(2):
                screen = Screen(name=f"q{n}")
                box = BoxLayout(orientation="vertical", padding=24, spacing=16)
                box.add_widget(Label(text=f"Question {n}: how satisfied are you?", font_size=36))
                row = BoxLayout(spacing=16)
                for level in range(1, 6):
                    button = Button(text=str(level), font_size=32)
                    button.bind(on_release=lambda _b, sm=sm: switch(sm))
                    row.add_widget(button)
                box.add_widget(row)
                screen.add_widget(box)
                sm.add_widget(screen)
            Window.bind(on_flip=on_flip, on_touch_up=on_release)
            Clock.schedule_interval(tap, 1.2 / speed)
            return sm

    def switch(sm: ScreenManager) -> None:
        sm.current = "q1" if sm.current == "q0" else "q0"
        pending.append(sm.current)

    count = [0]

    def tap(_dt: float) -> None:
        if count[0] >= taps:
            App.get_running_app().stop()
            return
        count[0] += 1
        x, y = Window.width * (0.1 + 0.2 * (count[0] % 5)), Window.height * 0.25
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        Clock.schedule_once(lambda _dt: touch.touch_up(), 0.1 / speed)

    def on_release(_window: object, touch: object) -> bool:
        # Stamped where the kiosk stamps its RELEASE: the window's lift handler, before any widget.
        print(f"RELEASE {int(touch.x)} {int(touch.y)} {t_ms()}", flush=True)  # type: ignore[attr-defined]
        return False

    Bare().run()
    return 0


def latency(ballots: int, speed: float, size: str) -> list[float]:
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
    return to_frame


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
    parser.add_argument("--bare-run", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_run:
        return _bare_run(args.bare_run, args.speed)
    threads = os.environ.get("LP_NUM_THREADS", "default")
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f} (shared), LP_NUM_THREADS={threads}")
    kiosk = latency(args.ballots, args.speed, args.size)
    reference = bare(max(len(kiosk), 40), args.speed, args.size)
    print(_summary("bare Kivy screen switch: finger lift -> frame drawn", reference))
    ratio = _p95(kiosk) / _p95(reference) if reference else float("nan")
    print(f"kiosk p95 / bare p95: {ratio:.2f}× (goal ≤ 1.2×)")
    idle_cpu(args.idle_s, args.size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

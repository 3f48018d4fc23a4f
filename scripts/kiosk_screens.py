#!/usr/bin/env python3
"""Screenshots of every kiosk screen at the supported sizes and modes, for docs/screenshots/kiosk/.

    .venv/bin/python scripts/kiosk_screens.py [--out docs/screenshots/kiosk] [--size 1280x800 ...]

Each size × mode runs in its own process (Kivy allows one window per process) on a headless window,
taps through a ballot with real touch events and saves `<size>-<mode>-<screen>.png`, then a contact
sheet `sheet-<size>-<mode>.png` of them all, for looking through at a glance.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path

SIZES = ("1280x800", "800x1280", "1024x600")
MODES = ("normal", "large", "contrast")  # "Chữ to" and "Tương phản cao", the welcome screen's two toggles
TOGGLES = {"normal": (), "large": ("large_text",), "contrast": ("high_contrast",)}
ROSTER = """id,name,title,counter,photo
nv01,Nguyễn Thị Lan,Công chức Tư pháp – Hộ tịch,1,
nv02,Tôn Nữ Thị Hoàng Phương Thảo,Quầy tiếp nhận hồ sơ đất đai,2,
nv03,Lê Thị Hồng Nhung,Công chức Văn hoá – Xã hội,3,
nv04,Trần Văn Minh,Công chức Địa chính – Xây dựng,4,
nv05,Phạm Thị Hương,Công chức Văn phòng – Thống kê,5,
nv06,Hoàng Văn Nam,Công chức Tài chính – Kế toán,6,
nv07,Đỗ Thị Mai,Công chức Văn hoá – Xã hội,7,
nv08,Vũ Văn Hải,Chỉ huy trưởng Quân sự,8,
nv09,Bùi Thị Thu,Công chức Tư pháp – Hộ tịch,9,
"""


def shoot(size: str, mode: str, out: Path) -> int:
    """In this process: one window at `size`, every screen in `mode`."""
    width, height = (int(v) for v in size.split("x"))
    os.environ["KCFG_GRAPHICS_WIDTH"], os.environ["KCFG_GRAPHICS_HEIGHT"] = str(width), str(height)
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KCFG_KIVY_LOG_LEVEL", "warning")
    os.environ.setdefault("LP_NUM_THREADS", "0")
    home = Path(tempfile.mkdtemp(prefix="kiosk-shots-"))
    os.environ["KIVY_HOME"] = str(home / "kivy")
    roster = home / "staff.csv"
    roster.write_text(ROSTER, encoding="utf-8")

    from kivy.base import EventLoop

    from kiosk.config import load_config
    from kiosk.settings import KioskSettings
    from kiosk.store import KioskStore, hash_pin
    from kiosk.ui.app import KioskApp
    from kiosk.ui.autopilot import PilotTouch
    from kiosk.ui.screens import find_named
    from surveys.opening_hours import parse_hours

    settings = KioskSettings.from_env(
        {},
        home=home / "kiosk",
        config_file=roster,
        cooldown_s=0,
        detail_items_per_ballot=2,
        mode="kiosk",
        screen_diagonal_in=7.0 if size == "1024x600" else 10.1,  # the 7-inch tablet
    )
    store = KioskStore(settings.db_path)
    store.set("admin_pin_hash", hash_pin("2468"))
    app = KioskApp(settings, store, load_config(store, settings.home, settings.config_file))
    clock = [1000.0]
    app.clock = lambda: clock[0]
    app._run_prepare()
    window = EventLoop.window
    window.size = (width, height)

    def pump(n: int = 4) -> None:
        for _ in range(n):
            EventLoop.idle()

    def tap(name: str) -> None:
        pump(2)
        widget = find_named(app.sm.current_screen, name)
        assert widget is not None, f"no {name} on {app.sm.current}"
        touch = PilotTouch(*widget.to_window(*widget.center))
        clock[0] += 1.0
        touch.touch_down()
        pump(1)
        clock[0] += 0.1
        touch.touch_up()
        pump(3)

    shots: list[Path] = []

    def snap(label: str) -> None:
        pump(6)
        path = out / f"{size}-{mode}-{label}.png"
        window.screenshot(str(path.with_name(path.stem + ".png")))
        # Kivy appends a counter: x.png → x0001.png
        written = sorted(path.parent.glob(path.stem + "[0-9][0-9][0-9][0-9].png"))
        if written:
            written[-1].replace(path)
        shots.append(path)

    def set_mode() -> None:
        for toggle in TOGGLES[mode]:
            tap(toggle)

    pump(10)
    set_mode()
    snap("welcome")
    tap("start")
    snap("staff")
    tap("staff_nv02")
    snap("rating-tong_the")
    tap("face_2")
    snap("rating-followup" if app.sm.current == "checklist" else "offer")
    if app.sm.current == "checklist":
        tap("none_of_these")
        snap("offer")
    tap("answer_more")
    snap(f"{app.sm.current}-detail1")
    while app.sm.current in ("rating", "checklist", "choice"):
        if app.sm.current == "rating":
            tap("face_4")
        elif app.sm.current == "checklist":
            tap("none_of_these")
        else:
            tap("skip")
        if app.sm.current in ("rating", "checklist", "choice"):
            snap(f"{app.sm.current}-detail2")
    snap("comment")
    app._on_idle(0)
    snap("still_there")
    app.extend_time()
    tap("skip")
    tap("consent")
    for digit in "0912345678":
        tap(f"key_{digit}")
    snap("contact")
    tap("send")
    snap("thanks-low")
    app.go_welcome()
    set_mode()
    tap("start")
    if app.sm.current_screen.pages > 1:
        tap("page_next")
        snap("staff-page2")
        tap("page_prev")
    tap("staff_nv01")
    tap("face_5")
    tap("send_now")
    snap("thanks")
    app.go_welcome()
    set_mode()
    # Outside the opening hours (a Sunday): the resting screen.
    hours = parse_hours("T2-T6 07:30-11:30, 13:30-17:00; T7 07:30-11:30")
    app.config_ = replace(app.config_, opening_hours=hours)
    app.wall_clock = lambda: datetime(2026, 12, 13, 9, 0)
    app._check_hours()
    snap("closed")
    app.open_admin()  # the staff's screens: always the normal look
    snap("pin")
    app.dispatch("on_stop")
    store.close()
    sheet(shots, out / f"sheet-{size}-{mode}.png", width, height)
    print(f"{size} {mode}: {len(shots)} screens")
    return 0


def sheet(paths: list[Path], target: Path, width: int, height: int) -> None:
    from PIL import Image, ImageDraw

    cols = 4
    scale = 320 / max(width, height)
    tw, th = int(width * scale), int(height * scale)
    rows = (len(paths) + cols - 1) // cols
    board = Image.new("RGB", (cols * (tw + 8) + 8, rows * (th + 28) + 8), "white")
    draw = ImageDraw.Draw(board)
    for i, path in enumerate(paths):
        with Image.open(path) as shot:
            thumb = shot.convert("RGB").resize((tw, th))
        x, y = 8 + (i % cols) * (tw + 8), 8 + (i // cols) * (th + 28)
        board.paste(thumb, (x, y + 20))
        draw.text((x, y + 4), path.stem, fill="black")
    board.save(target)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots/kiosk"))
    parser.add_argument("--size", action="append", choices=SIZES)
    parser.add_argument("--mode", action="append", choices=MODES)
    parser.add_argument("--one", nargs=2, metavar=("SIZE", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.one:
        return shoot(args.one[0], args.one[1], args.out)
    status = 0
    for size in args.size or SIZES:
        for mode in args.mode or MODES:
            done = subprocess.run([sys.executable, __file__, "--out", str(args.out), "--one", size, mode])
            status = status or done.returncode
    return status


if __name__ == "__main__":
    sys.exit(main())

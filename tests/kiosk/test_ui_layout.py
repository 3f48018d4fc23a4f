"""Every screen, at every supported window size and both orientations, in the normal, large-text and
high-contrast modes: no label overlaps another or leaves its parent, large text is larger on the
widgets themselves, and the high-contrast colours reach every label.

The screens are walked through the App's own actions (not the autopilot), and laid out without
drawing frames, so the 8 sizes × 3 modes × 14 screens stay quick on software GL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.store import KioskStore, hash_pin
from kiosk.ui.theme import CALM, HIGH_CONTRAST, Palette
from tests.kiosk.conftest import Kiosk
from tests.kiosk.layout_checks import layout_problems, visible_labels

SIZES = [(800, 600), (1024, 600), (1280, 800), (1920, 1080)]
SIZES += [(h, w) for w, h in SIZES]
MODES = ("normal", "large", "contrast")
STAFF_SCREENS = ("pin", "admin", "fault")  # opened from the hidden corner: always the normal look
# Officer cards shrink their type to keep a page whole (tests/kiosk/test_ui_staff_pages.py).
FITTED = ("staff", *STAFF_SCREENS)
ROSTER = """id,name,title,counter,photo
nv01,Tôn Nữ Thị Hoàng Phương Thảo,Công chức Tư pháp – Hộ tịch,Quầy tiếp nhận hồ sơ đất đai,
nv02,Nguyễn Thị Lan,Công chức Văn hoá – Xã hội,2,
nv03,Lê Thị Hồng Nhung,Công chức Địa chính – Xây dựng,3,
nv04,Trần Văn Minh,Công chức Văn phòng – Thống kê,4,
"""


def _settle(kiosk: Kiosk) -> None:
    """Lay out and make textures as a frame would, without drawing one."""
    from kivy.clock import Clock

    for _ in range(3):
        Clock.tick()
        Clock.tick_draw()


def _set_mode(kiosk: Kiosk, mode: str) -> None:
    app = kiosk.app
    if app.large_text != (mode == "large"):
        app.toggle_large_text()
    if app.high_contrast != (mode == "contrast"):
        app.toggle_high_contrast()


def _walk(kiosk: Kiosk, mode: str) -> Iterator[str]:
    """Show every screen in turn (the App's actions, paced on its touch clock); yields each name."""
    app = kiosk.app

    def act(action: Callable[[], Any]) -> str:
        kiosk.clock.advance(1.0)
        action()
        _settle(kiosk)
        return str(app.sm.current)

    act(app.go_welcome)
    _set_mode(kiosk, mode)
    yield act(lambda: None)
    yield act(app.start_ballot)
    yield act(lambda: app.choose_staff("nv01"))
    yield act(lambda: app.answer("tong_the", 2))  # a low score: its reasons are asked
    yield act(lambda: app.answer("ly_do_chua_hai_long", ["cho_lau"]))
    seen = act(app.answer_more)
    while seen in ("rating", "checklist", "choice"):
        yield seen
        screen = app.sm.current_screen
        qid = screen.question_id
        if seen == "rating":
            seen = act(lambda q=qid: app.answer(q, 4))
        elif seen == "checklist":
            seen = act(lambda q=qid: app.answer(q, []))
        else:
            seen = act(app.skip)
    yield seen  # the comment
    yield act(lambda: app.comment_done((["x"], "Cán bộ rất tận tình")))
    yield act(app._warn_idle)
    yield act(app.extend_time)
    yield act(lambda: app.contact_done(None, False))
    act(app.go_welcome)
    _set_mode(kiosk, mode)
    yield act(app.open_admin)
    yield act(app.pin_accepted)
    yield act(lambda: app._fault(OSError("đĩa đầy")))
    app.store_fault = ""


def _colours(palette: Palette) -> set[tuple[float, ...]]:
    named = (
        palette.text,
        palette.muted,
        palette.primary,
        palette.on_primary,
        palette.on_header,
        palette.danger,
    )
    return {tuple(round(c, 3) for c in colour) for colour in (*named, (1, 1, 1, 1))}


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_no_label_overlaps_or_spills_on_any_screen_in_any_mode(
    make_kiosk: Callable[..., Kiosk], tmp_path: Path, size: tuple[int, int]
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")

    def with_pin(store: KioskStore) -> None:
        store.set("admin_pin_hash", hash_pin("2468"))

    kiosk = make_kiosk(size=size, config_file=roster, detail_items_per_ballot=3, setup=with_pin)
    problems: list[str] = []
    fonts: dict[str, dict[tuple[str, str], float]] = {}
    walked: dict[str, list[str]] = {}
    for mode in MODES:
        walked[mode] = []
        for name in _walk(kiosk, mode):
            contrast = mode == "contrast" and name not in STAFF_SCREENS
            allowed = _colours(HIGH_CONTRAST if contrast else CALM)
            screen = kiosk.app.sm.current_screen
            walked[mode].append(name)
            problems += [f"{size} {mode} {name}: {p}" for p in layout_problems(screen)]
            for label in visible_labels(screen):
                key = (name, str(label.text))
                fonts.setdefault(mode, {})[key] = float(label.font_size)
                colour = tuple(round(c, 3) for c in label.color)
                if colour not in allowed:
                    problems.append(f"{size} {mode} {name}: {label.text[:30]!r} has colour {colour}")
    assert problems == [], "\n".join(problems)
    assert walked["normal"] == walked["large"] == walked["contrast"]
    assert {"welcome", "staff", "rating", "checklist", "offer", "comment", "contact", "still_there"} <= set(
        walked["normal"]
    )
    assert {"thanks", "pin", "admin", "fault"} <= set(walked["normal"])
    # Large text is larger on the widgets themselves, not only in the App's sizes.
    grew = [
        fonts["large"][k] / v
        for k, v in fonts["normal"].items()
        if k in fonts["large"] and k[0] not in FITTED
    ]
    assert len(grew) > 40 and min(grew) >= 1.0 and sorted(grew)[len(grew) // 2] >= 1.2
    question = next(k for k in fonts["normal"] if k[0] == "rating" and k[1].endswith("?"))
    assert fonts["large"][question] >= 1.2 * fonts["normal"][question]
    # High contrast changes colours only (the rotated questions differ between walks: compare the same).
    same = [k for k in fonts["normal"] if k in fonts["contrast"] and k[0] != "staff"]
    assert len(same) > 40 and all(fonts["contrast"][k] == fonts["normal"][k] for k in same)

"""Touch targets measured in millimetres on the declared screen, and borders that can be seen.

A 7-inch 1024×600 tablet is the smallest screen the kiosk supports: on it, answer targets are at least
15 mm, navigation and keypad keys at least 12 mm (real widgets after layout, real window).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.ui.theme import CALM, HIGH_CONTRAST
from tests.kiosk.conftest import Kiosk, comment_keyboard, press_key

ANSWER_MM, NAV_MM = 15.0, 12.0


def _mm(kiosk: Kiosk, widget: Any) -> tuple[float, float]:
    per_mm = kiosk.app.sz.mm
    return widget.width / per_mm, widget.height / per_mm


def _at_least(kiosk: Kiosk, name: str, floor: float) -> None:
    width, height = _mm(kiosk, kiosk.widget(name))
    assert min(width, height) >= floor, f"{name} on {kiosk.screen}: {width:.1f}×{height:.1f} mm < {floor} mm"


def test_targets_on_a_seven_inch_tablet(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(size=(1024, 600), screen_diagonal_in=7.0, detail_items_per_ballot=0)
    assert 6.5 < kiosk.app.sz.mm < 6.8  # 1186 px across 177.8 mm
    _at_least(kiosk, "start", ANSWER_MM)
    kiosk.tap("start")
    kiosk.pump(2)
    _at_least(kiosk, "staff_unknown", ANSWER_MM)
    _at_least(kiosk, "staff_nv01", ANSWER_MM)
    _at_least(kiosk, "back", NAV_MM)
    kiosk.tap("staff_nv01")
    kiosk.pump(2)
    for level in range(1, 6):
        _at_least(kiosk, f"face_{level}", ANSWER_MM)
    kiosk.tap("face_4")
    kiosk.pump(2)
    _at_least(kiosk, "send_now", ANSWER_MM)
    _at_least(kiosk, "answer_more", ANSWER_MM)
    kiosk.tap("answer_more")
    kiosk.pump(2)
    _at_least(kiosk, "quick_0", ANSWER_MM * 0.8)  # a chip of a comment, not an answer
    kiosk.tap("skip")
    kiosk.pump(2)
    assert kiosk.screen == "contact"
    _at_least(kiosk, "consent", ANSWER_MM)
    for key in ("key_1", "key_0", "key_del"):
        _at_least(kiosk, key, NAV_MM)
    _at_least(kiosk, "send", NAV_MM)


def _luminance(rgba: tuple[float, ...]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgba[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_control_borders_stand_out_three_to_one() -> None:
    for palette in (CALM, HIGH_CONTRAST):
        for background in (palette.bg, palette.surface):
            assert _contrast(palette.border, background) >= 3.0, palette.name


KEY_MM = 10.0


def test_on_screen_keyboard_keys_on_a_seven_inch_tablet(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(size=(1024, 600), screen_diagonal_in=7.0, mode="kiosk", detail_items_per_ballot=0)
    with comment_keyboard(kiosk) as (field, keyboard):
        per_mm = kiosk.app.sz.mm
        layout = keyboard.available_layouts[keyboard.layout]
        drawn = 0
        for line in range(1, layout["rows"] + 1):
            for index, (_pos, (w, h)) in enumerate(keyboard.layout_geometry[f"LINE_{line}"]):
                label = layout[f"{keyboard.layout_mode}_{line}"][index][0]
                width_mm, height_mm = w * keyboard.scale / per_mm, h * keyboard.scale / per_mm
                assert min(width_mm, height_mm) >= KEY_MM, f"key {label!r}: {width_mm:.1f}×{height_mm:.1f} mm"
                drawn += 1
        assert drawn == sum(len(layout[f"normal_{n}"]) for n in range(1, layout["rows"] + 1))
        # Kivy's keyboard at its own size had 9.0 × 7.7 mm keys here. The field and "Tiếp tục" stay above it.
        keyboard_top = keyboard.to_parent(0, keyboard.height)[1]
        confirm = kiosk.widget("confirm")
        assert field.y >= keyboard_top and confirm.y >= keyboard_top
        assert field.top <= kiosk.app.root_window.height and confirm.top <= kiosk.app.root_window.height
        _at_least(kiosk, "confirm", NAV_MM)
        for key in "xin chaof":
            press_key(kiosk, keyboard, key)
        assert field.text == "xin chào"
        kiosk.tap("confirm")
        assert kiosk.screen == "contact"

"""Reusable touch controls of the kiosk UI; `load_kv()` registers their looks once."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.ui.widgets.controls import (
    VI_KEYBOARD,
    AvatarCircle,
    CheckRow,
    FaceButton,
    HotCorner,
    Keypad,
    KioskButton,
    KioskTextInput,
    KioskVKeyboard,
    NavBar,
    OfficerCard,
    PageDots,
    TapGate,
    initials,
    scroll_into_view,
)

__all__ = [
    "VI_KEYBOARD",
    "AvatarCircle",
    "CheckRow",
    "FaceButton",
    "HotCorner",
    "Keypad",
    "KioskButton",
    "KioskTextInput",
    "KioskVKeyboard",
    "NavBar",
    "OfficerCard",
    "PageDots",
    "TapGate",
    "initials",
    "load_kv",
    "scroll_into_view",
]

_KV = Path(__file__).with_name("controls.kv")


def load_kv() -> None:
    """Load controls.kv (idempotent)."""
    if str(_KV) not in Builder.files:
        Builder.load_file(str(_KV))

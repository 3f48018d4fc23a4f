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
from kiosk.ui.widgets.qr import ChannelCodes, PhoneBallotEntry, PhoneBallotPanel, PhoneBallotPopup, QrCode

__all__ = [
    "VI_KEYBOARD",
    "AvatarCircle",
    "ChannelCodes",
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
    "PhoneBallotEntry",
    "PhoneBallotPanel",
    "PhoneBallotPopup",
    "QrCode",
    "TapGate",
    "initials",
    "load_kv",
    "scroll_into_view",
]

_KV = Path(__file__).with_name("controls.kv")
_QR_KV = Path(__file__).with_name("qr.kv")


def load_kv() -> None:
    """Load controls.kv and qr.kv (idempotent)."""
    for path in (str(_KV), str(_QR_KV)):
        if path not in Builder.files:
            Builder.load_file(path)

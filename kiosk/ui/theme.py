"""Colours, type sizes and asset paths of the kiosk UI (plain data; the App exposes them to kv).

>>> sizes(1280, 800, large=False).question >= 28
True
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = [
    "CALM",
    "HIGH_CONTRAST",
    "KEYBOARD",
    "Palette",
    "Sizes",
    "assets_dir",
    "face_path",
    "font_path",
    "hex_rgba",
    "sizes",
]

_CHECKOUT_ASSETS = Path(__file__).resolve().parents[2] / "assets"
_MARKER = Path("faces") / "face_1.png"


def assets_dir(candidates: Iterable[Path] | None = None) -> Path:
    """The folder holding `faces/` and `fonts/`: the first candidate that has the faces.

    Candidates, in order: `SURVEY_KIOSK_ASSETS` (an installer's shared data folder), the
    checkout's `assets/` (editable install), then `assets/` inside the installed `kiosk.ui`
    package (a wheel built with the assets copied in as package data). None found: the
    checkout's path, so a missing file names the place it was looked for.
    """
    if candidates is None:
        found = [Path(os.environ["SURVEY_KIOSK_ASSETS"])] if os.environ.get("SURVEY_KIOSK_ASSETS") else []
        found.append(_CHECKOUT_ASSETS)
        found.append(Path(str(resources.files("kiosk.ui").joinpath("assets"))))
        candidates = found
    for folder in candidates:
        if (folder / _MARKER).is_file():
            return folder
    return _CHECKOUT_ASSETS


_SYSTEM_NOTO = Path("/usr/share/fonts/truetype/noto")

RGBA = tuple[float, float, float, float]


def hex_rgba(code: str, alpha: float = 1.0) -> RGBA:
    """'#0F5C63' -> (r, g, b, a) in 0..1, as Kivy colours want."""
    code = code.lstrip("#")
    r, g, b = (int(code[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, alpha)


@dataclass(frozen=True)
class Palette:
    """The colours of one look; every pair used for text meets WCAG AA contrast or better."""

    name: str
    bg: RGBA  # page background
    surface: RGBA  # cards and secondary buttons
    surface_down: RGBA  # a pressed card
    selected: RGBA  # a ticked option or chosen answer
    primary: RGBA  # the main action
    primary_down: RGBA
    on_primary: RGBA  # text on the main action
    text: RGBA
    muted: RGBA  # secondary text
    border: RGBA
    header: RGBA  # top band
    on_header: RGBA
    danger: RGBA
    disabled: RGBA


CALM = Palette(
    name="calm",
    bg=hex_rgba("#FBF7F0"),
    surface=hex_rgba("#FFFFFF"),
    surface_down=hex_rgba("#DCEBEA"),
    selected=hex_rgba("#CFE6E3"),
    primary=hex_rgba("#0F5C63"),
    primary_down=hex_rgba("#0A4146"),
    on_primary=hex_rgba("#FFFFFF"),
    text=hex_rgba("#1B2A41"),
    muted=hex_rgba("#4E5D6C"),
    # Control borders at 3.4:1 against the page (WCAG 1.4.11 asks 3:1; the earlier #C9D3D6 was 1.4:1).
    border=hex_rgba("#76858F"),
    header=hex_rgba("#1B2A41"),
    on_header=hex_rgba("#FFFFFF"),
    danger=hex_rgba("#9B2C2C"),
    disabled=hex_rgba("#E6E2DA"),
)

HIGH_CONTRAST = Palette(
    name="high_contrast",
    bg=hex_rgba("#FFFFFF"),
    surface=hex_rgba("#FFFFFF"),
    surface_down=hex_rgba("#FFE27A"),
    selected=hex_rgba("#FFD400"),
    primary=hex_rgba("#00205B"),
    primary_down=hex_rgba("#000000"),
    on_primary=hex_rgba("#FFFFFF"),
    text=hex_rgba("#000000"),
    muted=hex_rgba("#000000"),
    border=hex_rgba("#000000"),
    header=hex_rgba("#000000"),
    on_header=hex_rgba("#FFFFFF"),
    danger=hex_rgba("#8B0000"),
    disabled=hex_rgba("#D0D0D0"),
)


@dataclass(frozen=True)
class Sizes:
    """Pixel sizes for one window size; everything scales with the short side."""

    unit: float  # 1.0 at 800 px short side
    pad: float
    gap: float
    title: float
    question: float
    body: float
    button: float
    small: float
    button_h: float  # height of a main action button
    nav_h: float  # height of the back/skip bar
    face: float  # face button icon size
    radius: float
    portrait: bool
    narrow: bool  # short of room for five faces in one row
    mm: float = 3.0  # pixels per millimetre on the declared screen
    key_h: float = 80.0  # height of a keypad key (PIN, phone number)
    keyboard_h: float = 230.0  # height of the docked on-screen keyboard
    card_h: float = 150.0  # an officer card's height (it grows for a long name)


@dataclass(frozen=True)
class KeyboardGeometry:
    """The docked on-screen keyboard (widgets.KioskVKeyboard) in Kivy's VKeyboard terms."""

    base_width: float = 700.0  # Kivy draws the keyboard this wide, then scales it to the window
    rows: int = 5  # keyboards/vi.json
    cols: int = 13
    margin_x: float = 0.005  # left and right margins, as a fraction of the width
    margin_y: float = 0.015  # top and bottom margins, as a fraction of the height
    key_margin: float = 1.5  # around each drawn key, before scaling
    key_mm: float = 10.2  # every drawn key at least this tall (≥ 10 mm after Kivy rounds to pixels)

    def height(self, width: float, mm: float) -> float:
        """The keyboard's height in window pixels: Kivy's 2/7 of the width, taller if keys need it."""
        scale = width / self.base_width
        # Kivy floors each key to whole unscaled pixels: one more unscaled pixel covers it.
        row = self.key_mm * mm + (2 * self.key_margin + 1) * scale
        return max(width * 2 / 7, row * self.rows / (1 - 2 * self.margin_y))


KEYBOARD = KeyboardGeometry()


def sizes(width: float, height: float, *, large: bool, diagonal_in: float = 10.1) -> Sizes:
    """Sizes for a window of `width`×`height` px; `large` is the larger-text mode.

    `diagonal_in` is the declared screen's diagonal: targets have a floor in millimetres on it —
    answers ≥ 15 mm (check rows are 0.8 of a button), navigation and keypad keys ≥ 12 mm.

    >>> s = sizes(1024, 600, large=False, diagonal_in=7)
    >>> round(s.button_h * 0.8 / s.mm, 1) >= 15, round(s.nav_h / s.mm, 1) >= 12
    (True, True)
    """
    mm = math.hypot(width, height) / (max(diagonal_in, 3.0) * 25.4)
    short = max(min(width, height), 300.0)
    u = short / 800.0
    t = 1.22 if large else 1.0
    portrait = height > width
    # In portrait the faces go to two rows (3 + 2) so that their word labels keep room.
    narrow = portrait
    per_row = 3 if narrow else 5
    face = min((210 if narrow else 150) * u, (width - 48 * u - 16 * u * (per_row - 1)) / per_row * 0.85)
    if narrow:  # two rows of faces: keep room above them for a two-line question
        face = min(face, height * (0.135 if large else 0.15))
    return Sizes(
        unit=u,
        pad=24 * u,
        gap=16 * u,
        title=44 * u * t,
        question=36 * u * t,
        body=28 * u * t,
        button=32 * u * t,
        small=22 * u * t,
        button_h=max(96 * u * (1.1 if large else 1.0), 19 * mm),
        nav_h=max(84 * u, 12.5 * mm),
        face=face,
        radius=18 * u,
        portrait=portrait,
        narrow=narrow,
        mm=mm,
        key_h=max(80 * u, 12.5 * mm),
        keyboard_h=KEYBOARD.height(width, mm),
        card_h=max(150 * u * (1.15 if large else 1.0), 17 * mm),
    )


def font_path(bold: bool = False) -> str:
    """The bundled Noto Sans (OFL), falling back to the system copy."""
    name = "NotoSans-Bold.ttf" if bold else "NotoSans-Regular.ttf"
    for folder in (assets_dir() / "fonts", _SYSTEM_NOTO):
        if (folder / name).exists():
            return str(folder / name)
    return "Roboto-Bold" if bold else "Roboto"


def face_path(level: int) -> str:
    """The drawn face for rating `level` 1..5 (assets/make_faces.py)."""
    return str(assets_dir() / "faces" / f"face_{level}.png")

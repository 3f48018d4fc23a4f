"""Fonts with Vietnamese glyphs for PDF reports and charts.

Reports (NĐ 30/2020) are set in Times New Roman; the PDF uses Liberation Serif, its metric-compatible
free twin with full Vietnamese coverage, bundled in `assets/fonts/` (SIL OFL, licence beside it) and
shipped in the wheel with the kiosk's assets. Charts keep the sans family (Noto Sans).

>>> font_path("serif", "bold").name
'LiberationSerif-Bold.ttf'
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Literal

__all__ = ["SERIF_FAMILY", "FontMissingError", "font_path"]

Style = Literal["regular", "bold", "italic", "bolditalic"]

SERIF_FAMILY = "Liberation Serif"
_CHECKOUT = Path(__file__).resolve().parents[2] / "assets" / "fonts"
_SYSTEM = (Path("/usr/share/fonts/truetype/liberation2"), Path("/usr/share/fonts/truetype/noto"))
_SUFFIX = {"regular": "Regular", "bold": "Bold", "italic": "Italic", "bolditalic": "BoldItalic"}


class FontMissingError(RuntimeError):
    """No font with Vietnamese glyphs was found."""


def _folders() -> list[Path]:
    folders = [_CHECKOUT]
    # In a wheel the assets live inside kiosk.ui; find it without importing it (that would set up Kivy).
    spec = importlib.util.find_spec("kiosk.ui")
    if spec is not None and spec.submodule_search_locations:
        folders += [Path(p) / "assets" / "fonts" for p in spec.submodule_search_locations]
    return [*folders, *_SYSTEM]


def font_path(kind: Literal["serif", "sans"], style: Style) -> Path:
    """The TTF file for a family and style, falling back to the nearest one that exists."""
    families = ["LiberationSerif", "NotoSerif"] if kind == "serif" else ["NotoSans", "NotoSerif"]
    styles = [_SUFFIX[style], "Bold" if "bold" in style else "Regular", "Regular"]
    folders = _folders()
    for family in families:
        for suffix in styles:
            for folder in folders:
                candidate = folder / f"{family}-{suffix}.ttf"
                if candidate.is_file():
                    return candidate
    raise FontMissingError(
        "no report font found in assets/fonts or /usr/share/fonts; reinstall the package "
        "or install fonts-liberation2."
    )

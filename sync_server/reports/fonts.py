"""Fonts with Vietnamese glyphs for PDF reports and charts.

Noto Serif (the closest free cousin of Times New Roman) from Debian's fonts-noto-core, else the Noto Sans
bundled in `assets/fonts/`.

>>> font_path("serif", "bold")
PosixPath('/usr/share/fonts/truetype/noto/NotoSerif-Bold.ttf')
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

__all__ = ["FontMissingError", "font_path"]

Style = Literal["regular", "bold", "italic", "bolditalic"]

_SYSTEM = Path("/usr/share/fonts/truetype/noto")
_BUNDLED = Path(__file__).resolve().parents[2] / "assets" / "fonts"
_SUFFIX = {"regular": "Regular", "bold": "Bold", "italic": "Italic", "bolditalic": "BoldItalic"}


class FontMissingError(RuntimeError):
    """No font with Vietnamese glyphs was found."""


def font_path(kind: Literal["serif", "sans"], style: Style) -> Path:
    """The TTF file for a family and style, falling back to the nearest one that exists."""
    families = ["NotoSerif", "NotoSans"] if kind == "serif" else ["NotoSans", "NotoSerif"]
    styles = [_SUFFIX[style], "Bold" if "bold" in style else "Regular", "Regular"]
    for family in families:
        for folder in (_SYSTEM, _BUNDLED):
            for suffix in styles:
                candidate = folder / f"{family}-{suffix}.ttf"
                if candidate.is_file():
                    return candidate
    raise FontMissingError(
        "no Noto font found in /usr/share/fonts/truetype/noto or assets/fonts; install fonts-noto-core."
    )

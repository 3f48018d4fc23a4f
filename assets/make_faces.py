"""Draw the kiosk's five rating faces (1 very unhappy, red … 5 very happy, green) as PNGs.

Usage: ``.venv/bin/python assets/make_faces.py [--size 256] [--out assets/faces]``
The PNGs are committed; re-run only to change the drawing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image, ImageDraw

__all__ = ["FACE_COLOURS", "draw_face", "main"]

# Red → green through amber: distinguishable for the common red-green colour blindness by
# the mouth shape as well, which is why every face also differs in drawing, not only colour.
FACE_COLOURS: dict[int, tuple[str, str]] = {
    1: ("#D84343", "#8E1F1F"),
    2: ("#EE8A3C", "#9A4B12"),
    3: ("#F2C230", "#8C6A05"),
    4: ("#8BC34A", "#3F6B16"),
    5: ("#2E9D57", "#15522B"),
}
INK = "#2B2B2B"
SUPERSAMPLE = 4


def draw_face(level: int, size: int = 256) -> Image.Image:
    """Return one RGBA face, e.g. ``draw_face(5).save("face_5.png")``."""
    if level not in FACE_COLOURS:
        raise ValueError(f"level must be 1..5, not {level}")
    big = size * SUPERSAMPLE
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    fill, rim = FACE_COLOURS[level]
    pad = big * 0.04
    d.ellipse((pad, pad, big - pad, big - pad), fill=fill, outline=rim, width=int(big * 0.035))

    def box(cx: float, cy: float, rx: float, ry: float) -> tuple[float, float, float, float]:
        return (cx - rx, cy - ry, cx + rx, cy + ry)

    # Eyes
    eye_y = big * 0.40
    eye_rx, eye_ry = big * 0.055, big * 0.075
    if level == 5:
        # Closed, happy eyes: upward arcs.
        for cx in (big * 0.36, big * 0.64):
            d.arc(
                box(cx, eye_y + big * 0.03, big * 0.07, big * 0.06), 200, 340, fill=INK, width=int(big * 0.03)
            )
    else:
        for cx in (big * 0.36, big * 0.64):
            d.ellipse(box(cx, eye_y, eye_rx, eye_ry), fill=INK)
    # Brows for the unhappy faces: raised in the middle, so they read as sad rather than angry.
    if level in (1, 2):
        tilt = big * (0.06 if level == 1 else 0.03)
        w = int(big * 0.028)
        by = big * 0.27
        d.line((big * 0.27, by + tilt, big * 0.44, by), fill=INK, width=w)
        d.line((big * 0.73, by + tilt, big * 0.56, by), fill=INK, width=w)

    # Mouth
    mw = int(big * 0.035)
    cx, my = big * 0.5, big * 0.68
    if level == 1:
        d.arc(box(cx, my + big * 0.10, big * 0.20, big * 0.13), 205, 335, fill=INK, width=mw)
    elif level == 2:
        d.arc(box(cx, my + big * 0.12, big * 0.18, big * 0.09), 215, 325, fill=INK, width=mw)
    elif level == 3:
        d.line((cx - big * 0.15, my, cx + big * 0.15, my), fill=INK, width=mw)
    elif level == 4:
        d.arc(box(cx, my - big * 0.10, big * 0.19, big * 0.12), 25, 155, fill=INK, width=mw)
    else:
        mouth = box(cx, my - big * 0.07, big * 0.21, big * 0.17)
        d.chord(mouth, 0, 180, fill=INK)
        d.chord(box(cx, my + big * 0.07, big * 0.10, big * 0.05), 180, 360, fill="#E57373")
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main(argv: list[str] | None = None) -> int:
    """Write ``face_1.png`` … ``face_5.png`` into the output folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "faces")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for level in FACE_COLOURS:
        draw_face(level, args.size).save(args.out / f"face_{level}.png", optimize=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

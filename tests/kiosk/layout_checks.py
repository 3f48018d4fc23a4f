"""What a citizen would call a broken screen, measured on the real widgets after layout.

`layout_problems(screen)` lists every visible label whose text spills out of its own widget, whose
widget leaves its parent or the window, or whose text overlaps another label's text; [] is a clean screen.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["Rect", "layout_problems", "text_rect", "visible_labels"]

Rect = tuple[float, float, float, float]  # left, bottom, right, top in window coordinates
SLACK = 1.5  # pixels: Kivy rounds texture positions to whole pixels


def _window_rect(widget: Any, x: float, y: float, w: float, h: float) -> Rect:
    left, bottom = widget.to_window(x, y)
    right, top = widget.to_window(x + w, y + h)
    return (left, bottom, right, top)


def _intersect(a: Rect, b: Rect) -> Rect | None:
    left, bottom, right, top = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (left, bottom, right, top) if right - left > SLACK and top - bottom > SLACK else None


def _inside(inner: Rect, outer: Rect) -> bool:
    return (
        inner[0] >= outer[0] - SLACK
        and inner[1] >= outer[1] - SLACK
        and inner[2] <= outer[2] + SLACK
        and inner[3] <= outer[3] + SLACK
    )


def _shown(widget: Any, root: Any) -> bool:
    node = widget
    while node is not None:
        if node.opacity <= 0 or node.width <= 0 or node.height <= 0:
            return False
        if node is root:
            return True
        node = node.parent
    return True


def visible_labels(root: Any) -> Iterator[Any]:
    """Every Label under `root` that shows text (not hidden, collapsed or empty)."""
    from kivy.uix.label import Label

    for widget in root.walk(restrict=True):
        if isinstance(widget, Label) and str(widget.text).strip() and _shown(widget, root):
            yield widget


def text_rect(label: Any) -> Rect:
    """Where the label's text is drawn: its texture, centred on the widget (Kivy's Label rule)."""
    tw, th = label.texture_size
    return _window_rect(label, label.center_x - tw / 2, label.center_y - th / 2, tw, th)


def _clip(label: Any, rect: Rect) -> Rect | None:
    """`rect` as seen through the scrolling panes around the label (None: scrolled out of sight)."""
    from kivy.uix.scrollview import ScrollView

    node = label.parent
    clipped: Rect | None = rect
    while node is not None and node is not node.parent and clipped is not None:
        if isinstance(node, ScrollView):
            clipped = _intersect(clipped, _window_rect(node, node.x, node.y, node.width, node.height))
        node = node.parent
    return clipped


def _name(label: Any) -> str:
    return f"{type(label).__name__} {str(label.text)[:40]!r}"


def layout_problems(root: Any) -> list[str]:
    """Labels that spill, leave their parent or the window, or overlap another's text."""
    from kivy.core.window import Window

    screen = (0.0, 0.0, float(Window.width), float(Window.height))
    problems: list[str] = []
    seen: list[tuple[Any, Rect]] = []
    for label in visible_labels(root):
        own = _window_rect(label, label.x, label.y, label.width, label.height)
        text = text_rect(label)
        visible = _clip(label, text)
        if visible is None:
            continue  # scrolled out of sight
        content = getattr(getattr(label, "_label", None), "content_height", 0) or 0
        if content > label.texture_size[1] + SLACK:
            problems.append(f"{_name(label)}: text cut off ({content:.0f} > {label.texture_size[1]:.0f} px)")
        if not _inside(text, own):
            problems.append(f"{_name(label)}: text {_fmt(text)} spills out of its widget {_fmt(own)}")
        parent = label.parent
        if parent is not None and parent is not root and parent.parent is not None:
            box = _window_rect(parent, parent.x, parent.y, parent.width, parent.height)
            if not _inside(own, box):
                problems.append(f"{_name(label)}: {_fmt(own)} leaves its parent {_fmt(box)}")
        if not _inside(visible, screen):
            problems.append(f"{_name(label)}: {_fmt(visible)} leaves the window")
        for other, rect in seen:
            if _intersect(visible, rect):
                problems.append(f"{_name(label)} overlaps {_name(other)}")
        seen.append((label, visible))
    return problems


def _fmt(rect: Rect) -> str:
    return "(" + ", ".join(f"{v:.0f}" for v in rect) + ")"

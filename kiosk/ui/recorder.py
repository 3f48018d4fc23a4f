"""After-the-frame hooks: `FRAME <view> <t_ms>` trace lines and a PNG of every view shown.

Both run in the window's `on_flip`, once the frame's drawing commands are issued and before the
buffers swap. A FRAME line first waits for the GL to finish them (`glFinish`): a software or
off-screen GL may otherwise rasterise lazily, later, so the time is when the pixels are really
there, as a swap on a real display would wait for them. The screenshot holds that very frame.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.graphics.opengl import glFinish

__all__ = ["FrameRecorder", "t_ms"]


def t_ms() -> int:
    """Milliseconds on the system-wide monotonic clock: comparable between TOUCH, TAP and FRAME lines."""
    return time.monotonic_ns() // 1_000_000


class FrameRecorder:
    """Emits FRAME lines (when tracing) and screenshots (when given a folder) after the next frame."""

    def __init__(self, *, trace: bool, screenshots: Path | None, out: TextIO | None = None) -> None:
        self.trace = trace
        self.folder = screenshots
        self.out = out or sys.stdout
        self.count = 0
        self._frame_label: str | None = None
        self._shot_label: str | None = None
        self._shot_armed: str | None = None
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
        Window.bind(on_flip=self._on_flip)

    def close(self) -> None:
        """Save a picture still owed (the app may stop before the view settles), then stop listening."""
        owed = self._shot_armed or self._shot_label
        self._shot_armed = self._shot_label = None
        if owed is not None:
            self._save(owed)
        Window.unbind(on_flip=self._on_flip)

    def line(self, text: str) -> None:
        """One trace line on stdout, flushed at once (a test may kill us right after reading it)."""
        if self.trace:
            self.out.write(f"{text}\n")
            self.out.flush()

    def frame(self, label: str, *, screenshot: bool = False) -> None:
        """Report the next drawn frame as `label`; with `screenshot`, also save it as a PNG."""
        self._frame_label = label
        if screenshot and self.folder is not None:
            self._shot_label = label
            self._shot_armed = None  # a view replaced before it settled is not worth a picture
        Window.canvas.ask_update()

    def _on_flip(self, *_args: Any) -> None:
        label, self._frame_label = self._frame_label, None
        if label is not None and self.trace:
            glFinish()
            self.line(f"FRAME {label} {t_ms()}")
        if self._shot_armed is not None:
            self._save(self._shot_armed)
            self._shot_armed = None
        if self._shot_label is not None:
            # Labels size their text in the frame after the first one; shoot the settled frame.
            self._shot_armed, self._shot_label = self._shot_label, None
            Clock.schedule_once(lambda _dt: Window.canvas.ask_update(), 0)

    def _save(self, shot: str) -> None:
        if self.folder is not None:
            self.count += 1
            safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", shot)
            target = self.folder / f"{self.count:04d}-{safe}.png"
            # Kivy appends a counter to the name it is given; save, then rename to ours.
            saved = Window.screenshot(name=str(self.folder / "_frame.png"))
            if saved:
                os.replace(saved, target)

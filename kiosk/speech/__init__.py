"""Speech for the counter: the phrase catalogue (pure), the clips on disk (espeak-ng or recordings).

Playback lives in `kiosk/ui/speech.py` (the only place that touches Kivy's audio).
"""

from __future__ import annotations

from kiosk.speech.catalogue import LANGS, catalogue, phrases_for, spoken
from kiosk.speech.library import RenderReport, SpeechLibrary, SpeechUnavailable

__all__ = [
    "LANGS",
    "RenderReport",
    "SpeechLibrary",
    "SpeechUnavailable",
    "catalogue",
    "phrases_for",
    "spoken",
]

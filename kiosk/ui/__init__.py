"""The kiosk's Kivy touch UI: `run_app(settings)` in `kiosk.ui.app` starts it.

The only package that imports Kivy. Kivy reads its environment when first imported, so the
defaults it needs are set here, before any `kivy` import below this package.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

# Kivy parses sys.argv at import unless told not to; our CLI owns the arguments.
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KCFG_KIVY_LOG_LEVEL", "warning")
# Speech plays through SDL2's mixer (kiosk/ui/speech.py), whatever other audio libraries are installed.
os.environ.setdefault("KIVY_AUDIO", "sdl2")
# Kivy keeps its config and logs under the kiosk's home, not in the user's ~/.kivy.
os.environ.setdefault("KIVY_HOME", str(Path(os.environ.get("SURVEY_KIOSK_HOME") or "var/kiosk") / "kivy"))
# Kivy creates only the last folder of KIVY_HOME; make the parents so a fresh home works.
# If that fails, Kivy reports the folder problem itself.
with contextlib.suppress(OSError):
    Path(os.environ["KIVY_HOME"]).mkdir(parents=True, exist_ok=True)

"""The Android entry point (buildozer.spec): the kiosk app with its store in the app's private folder.

python-for-android sets ANDROID_PRIVATE to the app's private files folder; elsewhere this runs like
`survey-kiosk run --fullscreen --mode kiosk` from the current folder.

>>> kiosk_home({"ANDROID_PRIVATE": "/data/user/0/vn.gov.cttkiosk/files"})
PosixPath('/data/user/0/vn.gov.cttkiosk/files/kiosk')
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["kiosk_home", "main"]


def kiosk_home(env: Mapping[str, str]) -> Path:
    """Where the kiosk keeps its store on this device."""
    return Path(env.get("ANDROID_PRIVATE") or ".") / "kiosk"


def main() -> None:
    os.environ.setdefault("SURVEY_KIOSK_HOME", str(kiosk_home(os.environ)))
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kiosk.cli import main as cli_main

    sys.exit(cli_main(["run", "--fullscreen", "--mode", "kiosk"]))


if __name__ == "__main__":
    main()

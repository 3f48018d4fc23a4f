"""The kiosk's start-up settings: where its state lives and how it behaves at the counter.

>>> settings = KioskSettings.from_env(mode="tablet")
>>> settings.db_path
PosixPath('var/kiosk/kiosk.db')
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

__all__ = ["LANGS", "MODES", "KioskSettings", "SettingsError"]

MODES = ("kiosk", "tablet")
LANGS = ("vi", "en")


class SettingsError(ValueError):
    """A setting has a value the kiosk cannot use; the message names it."""


@dataclass(frozen=True)
class KioskSettings:
    """Everything the kiosk needs to start; passed in, never read at import time."""

    home: Path
    mode: str = "kiosk"
    lang: str = "vi"
    fullscreen: bool = False
    idle_timeout_s: float = 45.0
    # After the idle time, "Ông/Bà có cần thêm thời gian không?" counts down this long (WCAG 2.2.1: ≥ 20 s).
    idle_warning_s: float = 30.0
    detail_items_per_ballot: int = 4
    cooldown_s: float = 3.0
    # Touch rules (kiosk/input_rules.py): a screen takes touches once shown this long; answers and
    # the same target again within the repeat delay are ignored (the admin screen may change it,
    # 0.3–2 s); the same on-screen key again within the key delay types once.
    settle_s: float = 0.3
    repeat_delay_s: float = 0.5
    key_repeat_s: float = 0.2
    # The screen's diagonal in inches: touch targets are sized in millimetres on it.
    screen_diagonal_in: float = 10.1
    # A roster (JSON/CSV) or a protocol config body used until the device is enrolled.
    config_file: Path | None = None
    # Print "stored <ballot_id> <what>" on stdout after every durable commit (tests, soak runs).
    trace_taps: bool = False
    # Cap on the database size so the kiosk never fills the SD card; None = no cap.
    max_db_mb: float | None = None
    # Synced ballots are deleted from the device this long after their upload.
    retention_days: float = 90.0
    # Audio mode (kiosk/ui/speech.py): the volume each citizen starts with (0.05–1; the admin screen
    # may change it), and whether every phrase is rendered when a configuration arrives.
    speech_volume: float = 0.8
    speech_prerender: bool = True

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise SettingsError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}.")
        if self.lang not in LANGS:
            raise SettingsError(f"lang must be one of {', '.join(LANGS)}, not {self.lang!r}.")
        if not self.idle_timeout_s > 0:
            raise SettingsError(f"idle_timeout_s must be positive, not {self.idle_timeout_s!r}.")
        if not 20 <= self.idle_warning_s <= 600:
            raise SettingsError(f"idle_warning_s must be from 20 to 600 s, not {self.idle_warning_s!r}.")
        if self.detail_items_per_ballot < 0:
            raise SettingsError("detail_items_per_ballot must be 0 or more.")
        if self.cooldown_s < 0:
            raise SettingsError("cooldown_s must be 0 or more.")
        for name in ("settle_s", "key_repeat_s"):
            if not 0 <= getattr(self, name) <= 5:
                raise SettingsError(f"{name} must be from 0 to 5 seconds, not {getattr(self, name)!r}.")
        if not 3 <= self.screen_diagonal_in <= 100:
            raise SettingsError(f"screen_diagonal_in must be from 3 to 100, not {self.screen_diagonal_in!r}.")
        if not 0 <= self.repeat_delay_s <= 2:
            raise SettingsError(f"repeat_delay_s must be from 0 to 2 seconds, not {self.repeat_delay_s!r}.")
        if self.max_db_mb is not None and not self.max_db_mb > 0:
            raise SettingsError("max_db_mb must be positive.")
        if not self.retention_days > 0:
            raise SettingsError("retention_days must be positive.")
        if not 0.05 <= self.speech_volume <= 1:
            raise SettingsError(f"speech_volume must be from 0.05 to 1, not {self.speech_volume!r}.")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> KioskSettings:
        """Settings from `SURVEY_KIOSK_*` variables, then `overrides` (None values are ignored).

        >>> KioskSettings.from_env({"SURVEY_KIOSK_HOME": "/srv/kiosk"}, lang="en").lang
        'en'
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {"home": Path(env.get("SURVEY_KIOSK_HOME") or "var/kiosk")}
        readers: dict[str, Any] = {
            "mode": str,
            "lang": str,
            "fullscreen": _flag,
            "idle_timeout_s": float,
            "idle_warning_s": float,
            "detail_items_per_ballot": int,
            "cooldown_s": float,
            "settle_s": float,
            "repeat_delay_s": float,
            "key_repeat_s": float,
            "screen_diagonal_in": float,
            "config_file": Path,
            "trace_taps": _flag,
            "max_db_mb": float,
            "retention_days": float,
            "speech_volume": float,
            "speech_prerender": _flag,
        }
        for name, read in readers.items():
            var = f"SURVEY_KIOSK_{name.upper()}"
            raw = env.get(var)
            if raw is None or raw == "":
                continue
            try:
                values[name] = read(raw)
            except ValueError:
                raise SettingsError(f"{var} has a value the kiosk cannot read: {raw!r}.") from None
        known = {f.name for f in fields(cls)}
        for name, value in overrides.items():
            if name not in known:
                raise TypeError(f"unknown kiosk setting {name!r}")
            if value is not None:
                values[name] = Path(value) if name in ("home", "config_file") else value
        return cls(**values)

    @property
    def db_path(self) -> Path:
        """The kiosk's only database file."""
        return self.home / "kiosk.db"

    @property
    def kivy_home(self) -> Path:
        """Kivy's own settings and logs, kept under the kiosk's home."""
        return self.home / "kivy"

    @property
    def speech_dir(self) -> Path:
        """Clips rendered by espeak-ng, `<lang>/<phrase id>-<hash>.wav`."""
        return self.home / "speech"

    @property
    def recordings_dir(self) -> Path:
        """The office's own recordings, `<lang>/<phrase id>.wav`: they win over synthesis."""
        return self.home / "recordings"

    @property
    def photos_dir(self) -> Path:
        """Officer photos downloaded with the configuration, named `<officer id>.<ext>`."""
        return self.home / "photos"


def _flag(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)

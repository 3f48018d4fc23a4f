"""Start-up settings from SURVEY_KIOSK_* variables and command-line overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.settings import KioskSettings, SettingsError


def test_defaults_follow_the_brief() -> None:
    settings = KioskSettings.from_env({})
    assert settings.home == Path("var/kiosk") and settings.db_path == Path("var/kiosk/kiosk.db")
    assert (settings.mode, settings.lang, settings.fullscreen) == ("kiosk", "vi", False)
    assert (settings.idle_timeout_s, settings.detail_items_per_ballot, settings.cooldown_s) == (45.0, 4, 3.0)
    assert settings.kivy_home == Path("var/kiosk/kivy") and settings.retention_days == 90.0


def test_environment_then_overrides() -> None:
    env = {
        "SURVEY_KIOSK_HOME": "/srv/kiosk",
        "SURVEY_KIOSK_MODE": "tablet",
        "SURVEY_KIOSK_FULLSCREEN": "yes",
        "SURVEY_KIOSK_IDLE_TIMEOUT_S": "30",
        "SURVEY_KIOSK_TRACE_TAPS": "1",
        "SURVEY_KIOSK_MAX_DB_MB": "512",
        "SURVEY_KIOSK_LANG": "",  # empty means unset
    }
    settings = KioskSettings.from_env(env, lang="en", mode=None)
    assert settings.home == Path("/srv/kiosk") and settings.mode == "tablet" and settings.fullscreen
    assert settings.idle_timeout_s == 30.0 and settings.trace_taps and settings.max_db_mb == 512.0
    assert settings.lang == "en"


@pytest.mark.parametrize(
    ("env", "overrides", "message"),
    [
        ({"SURVEY_KIOSK_FULLSCREEN": "maybe"}, {}, "SURVEY_KIOSK_FULLSCREEN"),
        ({"SURVEY_KIOSK_DETAIL_ITEMS_PER_BALLOT": "four"}, {}, "SURVEY_KIOSK_DETAIL_ITEMS_PER_BALLOT"),
        ({}, {"mode": "wall"}, "mode must be one of kiosk, tablet"),
        ({}, {"lang": "fr"}, "lang must be one of vi, en"),
        ({}, {"idle_timeout_s": 0}, "idle_timeout_s must be positive"),
        ({"SURVEY_KIOSK_RETENTION_DAYS": "-1"}, {}, "retention_days must be positive"),
    ],
)
def test_bad_values_are_named(env: dict[str, str], overrides: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        KioskSettings.from_env(env, **overrides)


def test_an_unknown_override_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="colour"):
        KioskSettings.from_env({}, colour="red")

"""Shared test fixtures: every test gets its own temporary state folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep Kivy and the apps from writing into the user's home or the checkout."""
    monkeypatch.setenv("KIVY_HOME", os.environ.get("KIVY_HOME") or str(tmp_path / "kivy"))
    monkeypatch.setenv("KIVY_NO_ARGS", "1")
    monkeypatch.setenv("SURVEY_KIOSK_HOME", str(tmp_path / "kiosk-home"))

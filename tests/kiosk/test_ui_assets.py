"""Where the kiosk finds its faces and fonts: a checkout, an installed package, or an installer's folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.ui.theme import assets_dir, face_path, font_path


def _assets(folder: Path) -> Path:
    (folder / "faces").mkdir(parents=True)
    (folder / "faces" / "face_1.png").write_bytes(b"\x89PNG")
    return folder


def test_the_checkout_assets_are_found_with_their_faces_and_fonts() -> None:
    folder = assets_dir()
    assert (folder / "faces" / "face_5.png").is_file()
    assert Path(face_path(3)).is_file()
    assert Path(font_path(bold=True)).is_file()


def test_the_first_folder_holding_the_faces_wins(tmp_path: Path) -> None:
    empty = tmp_path / "checkout" / "assets"  # e.g. an installed package: no checkout beside it
    empty.mkdir(parents=True)
    packaged = _assets(tmp_path / "site-packages" / "kiosk" / "ui" / "assets")
    assert assets_dir([empty, packaged]) == packaged
    installer = _assets(tmp_path / "share")
    assert assets_dir([installer, empty, packaged]) == installer


def test_an_installer_folder_in_the_environment_comes_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = _assets(tmp_path / "share" / "ctt-survey" / "assets")
    monkeypatch.setenv("SURVEY_KIOSK_ASSETS", str(shared))
    assert assets_dir() == shared
    assert face_path(1) == str(shared / "faces" / "face_1.png")

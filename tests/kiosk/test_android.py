"""The Android build's recipe names the kiosk's entry point and every package the kiosk needs at run time."""

from __future__ import annotations

import configparser
import re
import tomllib
from pathlib import Path

from kiosk.android_main import kiosk_home

ROOT = Path(__file__).resolve().parents[2]


def test_buildozer_spec_names_the_entry_point_and_the_kiosk_packages() -> None:
    spec = configparser.ConfigParser()
    spec.read(ROOT / "buildozer.spec", encoding="utf-8")
    app = spec["app"]
    assert (ROOT / app["entrypoint"]).is_file()
    recipes = {re.split(r"[=<>]", r.strip())[0].lower() for r in app["requirements"].split(",")}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    needed = [*project["dependencies"], *project["optional-dependencies"]["kiosk"]]
    for requirement in needed:
        name = re.split(r"[=<>\[ ]", requirement)[0].lower()
        if name == "sqlmodel":  # the kiosk never imports it: only the server does
            continue
        assert name in recipes, f"buildozer.spec lacks {name}"
    assert "INTERNET" in app["android.permissions"]


def test_the_store_goes_in_the_apps_private_folder() -> None:
    assert kiosk_home({"ANDROID_PRIVATE": "/data/x/files"}) == Path("/data/x/files/kiosk")
    assert kiosk_home({}) == Path("kiosk")

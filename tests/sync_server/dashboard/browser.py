"""Helpers for the real-browser test: a `survey-server serve` process and headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def browser_missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            return f"{path} is not installed"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(db_url: str, data_dir: Path, log: Path) -> Iterator[str]:
    """Run `survey-server serve` on a free loopback port; yields its base URL."""
    port = free_port()
    env = {**os.environ, "SURVEY_DATABASE_URL": db_url, "SURVEY_DATA_DIR": str(data_dir)}
    exe = shutil.which("survey-server", path=str(Path(sys.executable).parent)) or "survey-server"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [exe, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"survey-server serve exited: {log.read_text()[-2000:]}")
                try:
                    if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("survey-server serve did not answer within 60 s")
                time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def chromium(
    profile: Path, downloads: Path, width: int = 1280, height: int = 900
) -> Iterator[webdriver.Chrome]:
    """Headless Debian Chromium with a throw-away profile, downloading into `downloads`."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        "--lang=vi",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.set_page_load_timeout(60)
        yield driver
    finally:
        driver.quit()


def full_page_screenshot(driver: webdriver.Chrome, path: Path, width: int) -> None:
    """A PNG of the whole page at `width` CSS pixels (the window is grown to the page height)."""
    driver.set_window_size(width, 900)
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    # The window's size includes the browser's own frame; the page sees only the inner height.
    frame = int(driver.execute_script("return window.outerHeight - window.innerHeight"))
    driver.set_window_size(width, min(max(height + frame, 400), 4000))
    path.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(path))

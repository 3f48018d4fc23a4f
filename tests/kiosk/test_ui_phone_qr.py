"""Phone-ballot QR codes in a real headless Kivy window: the welcome button's pop-up and the thank-you
screen show a fresh token's URL that zbarimg reads back from a screenshot; the hotline and a QR per
office channel come from the unit's configuration; nothing is shown while the unit has phone ballots off."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from kiosk import phone_ballot
from kiosk.store import KioskStore
from surveys import ballot_token as bt
from surveys.loader import default_survey_path, load_survey
from tests.kiosk.conftest import Kiosk

SERVER = "https://danhgia.hoabinh.gov.vn"
DEVICE = "3f1b6f5e-8d0c-4c57-9a1e-2b7d9c1e4a10"
pytestmark = pytest.mark.skipif(not shutil.which("zbarimg"), reason="zbarimg (Debian zbar-tools) is needed")


def _enrolled(store: KioskStore) -> None:
    phone_ballot.ensure_key(store)
    store.set("server_url", SERVER)
    store.set("device_id", DEVICE)


def _config(on: bool) -> dict[str, Any]:
    """A configuration body as the server sends it (sync-protocol.md), with the additive unit fields."""
    staff = [{"id": "nv01", "name": "Nguyễn Thị Lan", "title": "Tư pháp", "counter": "1", "photo_url": None}]
    return {
        "config_version": "phone-" + ("on" if on else "off"),
        "unit": {
            "code": "XA-01",
            "name": "UBND xã Hòa Bình",
            "timezone": "Asia/Ho_Chi_Minh",
            "web_ballots": on,
            "channels": {
                "hotline": "0210 3 456 789",
                "zalo": "0912000111",
                "feedback_box": "Cửa phòng một cửa",
            },
        },
        "survey": load_survey(default_survey_path()).to_json(),
        "staff": staff,
        "settings": {"idle_timeout_s": 60, "detail_items_per_ballot": 0},
    }


def _shot(kiosk: Kiosk, path: Path) -> Path:
    kiosk.pump(6)
    path.parent.mkdir(parents=True, exist_ok=True)
    kiosk.app.root_window.screenshot(str(path))
    written = sorted(path.parent.glob(path.stem + "[0-9][0-9][0-9][0-9].png"))  # Kivy adds a counter
    written[-1].replace(path)
    return path


def _decode(path: Path) -> list[str]:
    out = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True, check=False
    )
    return [line for line in out.stdout.splitlines() if line]


def _in_popup(kiosk: Kiosk, name: str) -> Any:
    from kivy.uix.modalview import ModalView

    from kiosk.ui.screens import find_named

    for child in kiosk.app.root_window.children:
        if isinstance(child, ModalView):
            return find_named(child, name)
    return None


def _claims(store: KioskStore, url: str) -> bt.BallotToken:
    public = bt.unb64(phone_ballot.ensure_key(store))
    return bt.verify(urlsplit(url).path.removeprefix("/r/"), public)


def test_the_welcome_and_thanks_show_a_fresh_qr_that_decodes(
    make_kiosk: Callable[..., Kiosk], tmp_path: Path
) -> None:
    shots = Path(os.environ.get("SURVEY_PHONE_SCREENSHOTS") or tmp_path)
    kiosk = make_kiosk(size=(800, 600), setup=_enrolled)
    assert kiosk.widget("phone_ballot").opacity == 0  # the roster file's config: phone ballots off
    kiosk.app.on_config_changed(_config(True))  # what the sync thread hands over
    kiosk.wait_for(lambda: kiosk.widget("phone_ballot").opacity == 1, "the phone-ballot button")
    assert kiosk.widget("hotline").text == "Đường dây nóng: 0210 3 456 789"
    _shot(kiosk, shots / "kiosk-welcome-phone.png")
    kiosk.tap("phone_ballot")
    kiosk.wait_for(lambda: _in_popup(kiosk, "phone_close") is not None, "the pop-up")
    popup = _decode(_shot(kiosk, shots / "kiosk-welcome-phone-qr.png"))
    ballot_urls = [u for u in popup if u.startswith(SERVER + "/r/")]
    assert len(ballot_urls) == 1 and "https://zalo.me/0912000111" in popup and "tel:02103456789" in popup
    first = _claims(kiosk.store, ballot_urls[0])
    assert (first.issuer, first.staff_id) == (DEVICE, None)
    kiosk.touch(_in_popup(kiosk, "phone_close"))
    kiosk.wait_for(lambda: _in_popup(kiosk, "phone_close") is None, "the pop-up to close")
    for name in ("start", "staff_nv01", "face_4", "send_now"):
        kiosk.tap(name)
    assert kiosk.screen == "thanks"
    thanks = _decode(_shot(kiosk, shots / "kiosk-thanks-phone.png"))
    (url,) = [u for u in thanks if u.startswith(SERVER + "/r/")]
    claims = _claims(kiosk.store, url)
    assert claims.staff_id == "nv01"  # the officer just rated
    assert claims.counter > first.counter  # a fresh token each time it is shown
    # In larger text the welcome row still fits: the hotline and the button side by side, on screen.
    kiosk.app.thanks_done()
    kiosk.tap("large_text")
    kiosk.pump(6)
    hotline, button = kiosk.widget("hotline"), kiosk.widget("phone_ballot")
    assert hotline.x >= 0 and hotline.right <= button.x and button.right <= kiosk.app.root.width
    assert hotline.texture_size[0] <= hotline.width + 1
    _shot(kiosk, shots / "kiosk-welcome-phone-large.png")


def test_nothing_is_offered_while_the_unit_has_phone_ballots_off(
    make_kiosk: Callable[..., Kiosk], tmp_path: Path
) -> None:
    kiosk = make_kiosk(size=(800, 600), setup=_enrolled)
    kiosk.app.on_config_changed(_config(False))
    kiosk.wait_for(lambda: kiosk.app.config_version == "phone-off", "the new configuration")
    kiosk.pump(4)
    assert kiosk.widget("phone_ballot").opacity == 0
    assert kiosk.widget("hotline").text == "Đường dây nóng: 0210 3 456 789"  # the hotline is always shown
    for name in ("start", "staff_nv01", "face_5", "send_now"):
        kiosk.tap(name)
    found = [u for u in _decode(_shot(kiosk, tmp_path / "thanks.png")) if "/r/" in u]
    assert found == []

"""The kiosk's phone-ballot key and tokens: made once, kept in the store, minted with no network."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kiosk import phone_ballot
from kiosk.store import KioskStore
from surveys import ballot_token

NOW = dt.datetime(2026, 3, 2, 8, 15, tzinfo=dt.UTC)


def test_the_key_survives_a_restart_and_every_token_is_fresh(tmp_path: Path) -> None:
    with KioskStore(tmp_path / "kiosk.db") as store:
        assert phone_ballot.ballot_url(store) is None  # not enrolled: no QR to show
        public = phone_ballot.ensure_key(store)
        store.set("device_id", "0d6f6c1e-8a57-4b8e-9a55-3c2a1f0e9b77")
        store.set("server_url", "https://dgxa.example.vn/")
        first = phone_ballot.ballot_url(store, staff_id="nv01", now=NOW)
    with KioskStore(tmp_path / "kiosk.db") as store:
        assert phone_ballot.ensure_key(store) == public
        second = phone_ballot.ballot_url(store, now=NOW)
        private = store.get(phone_ballot.PRIVATE_KEY)
    assert first is not None and second is not None
    assert first.startswith("https://dgxa.example.vn/r/") and first != second
    key = ballot_token.unb64(public)
    one = ballot_token.verify(first.rsplit("/", 1)[1], key)
    two = ballot_token.verify(second.rsplit("/", 1)[1], key)
    assert (one.counter, one.staff_id, one.expires_at) == (1, "nv01", NOW + dt.timedelta(days=7))
    assert (two.counter, two.staff_id) == (2, None)
    # The private key stays in the store: neither the URL nor the token carries it.
    assert private is not None and private not in first and private != public


def test_the_url_fits_a_small_qr_that_decodes_back_with_zbarimg(tmp_path: Path) -> None:
    import shutil
    import subprocess

    import pytest
    import qrcode

    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.skip("zbarimg (Debian zbar-tools) is not installed: scripts/bootstrap installs it")
    with KioskStore(tmp_path / "kiosk.db") as store:
        phone_ballot.ensure_key(store)
        store.set("device_id", "0d6f6c1e-8a57-4b8e-9a55-3c2a1f0e9b77")
        store.set("server_url", "https://danhgia.hoabinh.gov.vn")
        url = phone_ballot.ballot_url(store, staff_id="cb01", now=NOW)
    assert url is not None
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=4)
    code.add_data(url)
    code.make(fit=True)
    assert code.version <= 10  # 57 modules: about 3 cm on a slip, scanned by any phone
    code.make_image().save(tmp_path / "qr.png")
    done = subprocess.run(
        [zbarimg, "--quiet", "--raw", str(tmp_path / "qr.png")], capture_output=True, text=True, timeout=30
    )
    assert done.stdout.strip() == url

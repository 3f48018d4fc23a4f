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

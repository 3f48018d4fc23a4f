"""Phone-ballot tokens: compact, signed, and refused when any byte changes."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from surveys import ballot_token as bt

ISSUED = dt.datetime(2026, 3, 2, 8, 15, tzinfo=dt.UTC)
DEVICE = str(uuid.UUID("0d6f6c1e-8a57-4b8e-9a55-3c2a1f0e9b77"))


def _claims(**changes: object) -> bt.BallotToken:
    fields: dict[str, object] = {
        "kind": bt.ISSUER_DEVICE,
        "issuer": DEVICE,
        "counter": 41,
        "issued_at": ISSUED,
        "expires_at": ISSUED + bt.DEFAULT_VALIDITY,
        "staff_id": "nv01",
        "dossier": None,
    }
    fields.update(changes)
    return bt.BallotToken(**fields)  # type: ignore[arg-type]


def test_a_token_round_trips_and_is_short_enough_for_a_small_qr() -> None:
    key = bt.new_private_key()
    text = bt.mint(key, _claims(dossier="000.00.12.H26-260302-0001"))
    assert len(text) <= 170  # with "https://…/r/" a version-10 QR (57 modules) at level M
    claims = bt.verify(text, bt.public_key_of(key))
    assert claims == _claims(dossier="000.00.12.H26-260302-0001")
    assert not claims.expired(ISSUED + dt.timedelta(days=6, hours=23))
    assert claims.expired(ISSUED + dt.timedelta(days=7))


def test_a_server_slip_names_its_unit_and_verifies_with_the_key_derived_from_the_secret() -> None:
    key = bt.server_private_key("the server's secret")
    text = bt.mint(key, _claims(kind=bt.ISSUER_SERVER, issuer="XA01", staff_id=None))
    claims = bt.verify(text, bt.public_key_of(bt.server_private_key("the server's secret")))
    assert (claims.kind, claims.issuer, claims.staff_id) == (bt.ISSUER_SERVER, "XA01", None)
    with pytest.raises(bt.TokenError):
        bt.verify(text, bt.public_key_of(bt.server_private_key("another secret")))


def test_changing_any_byte_or_truncating_is_refused() -> None:
    key = bt.new_private_key()
    public = bt.public_key_of(key)
    raw = bt.unb64(bt.mint(key, _claims()))
    for index in range(len(raw)):
        for flip in (0x01, 0x80):
            changed = bytearray(raw)
            changed[index] ^= flip
            with pytest.raises(bt.TokenError):
                bt.verify(bt.b64(bytes(changed)), public)
    for cut in (1, 10, 64, len(raw) - 1):
        with pytest.raises(bt.TokenError):
            bt.verify(bt.b64(raw[:-cut]), public)
    for junk in ("", "%%%", "a" * 500, "AQ", "é"):
        with pytest.raises(bt.TokenError) as refused:
            bt.verify(junk, public)
        assert refused.value.reason == "malformed"


def test_another_devices_key_does_not_verify() -> None:
    text = bt.mint(bt.new_private_key(), _claims())
    with pytest.raises(bt.TokenError) as refused:
        bt.verify(text, bt.public_key_of(bt.new_private_key()))
    assert refused.value.reason == "signature"

"""Ballot tokens for the phone ballot (`/r/<token>`): minted offline, signed with Ed25519, verified later.

Shared by the kiosk (mints with its own key) and the server (verifies; mints desk slips with its key).

    key = new_private_key()
    text = mint(key, BallotToken(ISSUER_DEVICE, device_id, 7, issued, issued + DEFAULT_VALIDITY, "nv01"))
    token = verify(text, public_key_of(key))        # raises TokenError("signature") if any byte changed

Layout (then base64url without padding): version (1 byte), issuer kind (1), issuer (16-byte device UUID,
or length-prefixed unit code for the server's slips), counter (uint32), issue time (uint32 Unix
seconds), validity (uint16 hours), officer and dossier code (length-prefixed UTF-8, empty = none),
signature (64 bytes, over a domain prefix and everything before it). About 130 characters.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import struct
import uuid
from dataclasses import dataclass

import qrcode
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

__all__ = [
    "DEFAULT_VALIDITY",
    "ISSUER_DEVICE",
    "ISSUER_SERVER",
    "MAX_TEXT",
    "BallotToken",
    "TokenError",
    "b64",
    "mint",
    "new_private_key",
    "public_key_of",
    "qr_modules",
    "read",
    "server_private_key",
    "unb64",
    "verify",
]

VERSION = 1
ISSUER_DEVICE = 1  # signed by a kiosk's key (registered at enrolment)
ISSUER_SERVER = 2  # signed by the server's slip key (desk slips, no kiosk needed)
DEFAULT_VALIDITY = dt.timedelta(days=7)
MAX_TEXT = 64  # bytes of UTF-8 for the officer id and the dossier code
_DOMAIN = b"ctt-ballot-token\x00"
_HEAD = struct.Struct(">BB")
_BODY = struct.Struct(">IIH")
_SIGNATURE = 64


class TokenError(ValueError):
    """A token that cannot be used; `reason` is `malformed` or `signature`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class BallotToken:
    """What a token says: who issued it, its number, when it stops working, officer and dossier."""

    kind: int
    issuer: str  # the device id (kind 1) or the unit code (kind 2)
    counter: int
    issued_at: dt.datetime
    expires_at: dt.datetime
    staff_id: str | None = None
    dossier: str | None = None

    def expired(self, now: dt.datetime) -> bool:
        return now >= self.expires_at


def b64(data: bytes) -> str:
    """base64url without padding: `b64(b"\\xff") == "_w"`."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    """The inverse of `b64`; raises TokenError("malformed") on anything else."""
    if not text or len(text) > 400 or not all(c.isalnum() or c in "-_" for c in text) or not text.isascii():
        raise TokenError("malformed")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise TokenError("malformed") from None


def new_private_key() -> bytes:
    """32 random bytes: a new Ed25519 private key (kept in the kiosk's store, never sent)."""
    return Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def server_private_key(secret: str) -> bytes:
    """The server's slip key, derived from its signing secret (a new secret ends the old slips)."""
    return hashlib.sha256(b"ctt-ballot-slip\x00" + secret.encode("utf-8")).digest()


def public_key_of(private_key: bytes) -> bytes:
    """The 32-byte public key of a private key."""
    key = Ed25519PrivateKey.from_private_bytes(private_key).public_key()
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _text(value: str | None) -> bytes:
    raw = (value or "").encode("utf-8")
    if len(raw) > MAX_TEXT:
        raise ValueError(f"at most {MAX_TEXT} bytes: {value!r}")
    return bytes([len(raw)]) + raw


def _unix(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def mint(private_key: bytes, token: BallotToken) -> str:
    """The signed, encoded token (the part after `/r/`)."""
    if token.kind == ISSUER_DEVICE:
        issuer = uuid.UUID(token.issuer).bytes
    elif token.kind == ISSUER_SERVER:
        issuer = _text(token.issuer)
    else:
        raise ValueError(f"unknown issuer kind {token.kind}")
    hours = int((token.expires_at - token.issued_at).total_seconds() // 3600)
    if not 1 <= hours <= 0xFFFF:
        raise ValueError("a token is valid for 1 hour to 7 years")
    body = (
        _HEAD.pack(VERSION, token.kind)
        + issuer
        + _BODY.pack(token.counter, _unix(token.issued_at), hours)
        + _text(token.staff_id)
        + _text(token.dossier)
    )
    signature = Ed25519PrivateKey.from_private_bytes(private_key).sign(_DOMAIN + body)
    return b64(body + signature)


def _take_text(data: bytes, at: int) -> tuple[str | None, int]:
    if at >= len(data):
        raise TokenError("malformed")
    size = data[at]
    raw = data[at + 1 : at + 1 + size]
    if len(raw) != size:
        raise TokenError("malformed")
    try:
        return (raw.decode("utf-8") or None), at + 1 + size
    except UnicodeDecodeError:
        raise TokenError("malformed") from None


def read(text: str) -> tuple[BallotToken, bytes, bytes]:
    """The token's claims, the signed bytes and the signature, NOT yet verified."""
    data = unb64(text)
    if len(data) < _HEAD.size + _SIGNATURE:
        raise TokenError("malformed")
    body, signature = data[:-_SIGNATURE], data[-_SIGNATURE:]
    version, kind = _HEAD.unpack_from(body)
    if version != VERSION:
        raise TokenError("malformed")
    at = _HEAD.size
    if kind == ISSUER_DEVICE:
        if len(body) < at + 16:
            raise TokenError("malformed")
        issuer: str | None = str(uuid.UUID(bytes=body[at : at + 16]))
        at += 16
    elif kind == ISSUER_SERVER:
        issuer, at = _take_text(body, at)
    else:
        raise TokenError("malformed")
    if not issuer or len(body) < at + _BODY.size:
        raise TokenError("malformed")
    counter, issued, hours = _BODY.unpack_from(body, at)
    staff_id, at = _take_text(body, at + _BODY.size)
    dossier, at = _take_text(body, at)
    if at != len(body):
        raise TokenError("malformed")
    issued_at = dt.datetime.fromtimestamp(issued, dt.UTC)
    claims = BallotToken(
        kind, issuer, counter, issued_at, issued_at + dt.timedelta(hours=hours), staff_id, dossier
    )
    return claims, _DOMAIN + body, signature


def verify(text: str, public_key: bytes) -> BallotToken:
    """The claims of a token signed by `public_key`; raises TokenError otherwise (expiry not checked)."""
    claims, signed, signature = read(text)
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, signed)
    except (InvalidSignature, ValueError):
        raise TokenError("signature") from None
    return claims


def qr_modules(text: str) -> list[list[bool]]:
    """The dark (True) and light modules of `text`'s QR code (level M, with its 4-module quiet zone).

    >>> len(qr_modules("https://example.org/r/abc"))  # version 2: 25 modules and the quiet zone
    33
    """
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]

"""Phone-ballot tokens made on the kiosk, with no network: its own key, its own counter, its own clock.

    public = ensure_key(store)              # at enrolment: made once, kept in the store, never sent
    url = ballot_url(store, staff_id="nv01")  # "https://server/r/AQE…", or None before enrolment

The private key stays in the store's settings (`ballot_private_key`); the server learns the public
key with the enrolment (sync-protocol.md, Device enrolment, `ballot_key`).
"""

from __future__ import annotations

import datetime as dt
import re

from kiosk.store import KioskStore
from surveys import ballot_token

__all__ = ["PRIVATE_KEY", "ballot_url", "channel_link", "ensure_key", "mint"]

PRIVATE_KEY = "ballot_private_key"
COUNTER = "ballot_token_counter"


def ensure_key(store: KioskStore) -> str:
    """The public key (base64url) of this kiosk's token key, made and stored on the first call."""
    stored = store.get(PRIVATE_KEY)
    if stored is None:
        stored = ballot_token.b64(ballot_token.new_private_key())
        store.set(PRIVATE_KEY, stored)
    return ballot_token.b64(ballot_token.public_key_of(ballot_token.unb64(stored)))


def mint(
    store: KioskStore,
    *,
    staff_id: str | None = None,
    now: dt.datetime | None = None,
    validity: dt.timedelta = ballot_token.DEFAULT_VALIDITY,
) -> str | None:
    """A fresh signed token (a new counter each call), or None when the kiosk has no key or device id."""
    key, device_id = store.get(PRIVATE_KEY), store.get("device_id")
    if key is None or device_id is None:
        return None
    issued = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    if staff_id is not None and len(staff_id.encode("utf-8")) > ballot_token.MAX_TEXT:
        staff_id = None  # too long to carry: the citizen chooses the officer on the phone
    claims = ballot_token.BallotToken(
        ballot_token.ISSUER_DEVICE,
        device_id,
        store.next_number(COUNTER),
        issued,
        issued + validity,
        staff_id,
    )
    return ballot_token.mint(ballot_token.unb64(key), claims)


def ballot_url(
    store: KioskStore, *, staff_id: str | None = None, now: dt.datetime | None = None
) -> str | None:
    """`<server>/r/<token>` for a fresh token, or None before enrolment."""
    server = store.get("server_url")
    token = mint(store, staff_id=staff_id, now=now)
    if server is None or token is None:
        return None
    return f"{server.rstrip('/')}/r/{token}"


def channel_link(name: str, value: str) -> str | None:
    """What a channel's QR code opens on a phone, or None for a channel that is a place (the box).

    >>> channel_link("hotline", "0210 3.456 789"), channel_link("zalo", "0912 000 111")
    ('tel:02103456789', 'https://zalo.me/0912000111')
    """
    text = value.strip()
    if not text or name == "feedback_box":
        return None
    if text.lower().startswith(("http://", "https://")):
        return text
    digits = re.sub(r"[\s.\-()]", "", text)
    if name == "hotline":
        return "tel:" + digits
    if name == "email":
        return "mailto:" + text if "@" in text else None
    if name == "zalo":
        return "https://zalo.me/" + digits if digits.lstrip("+").isdigit() else None
    if name == "facebook":
        return "https://facebook.com/" + text.lstrip("@/")
    return None

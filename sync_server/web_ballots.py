"""Phone-ballot tokens on the server: is this token good for one ballot, and spend it.

    checked = check_token(session, text, now, secret)   # raises Refusal("used" | "expired" | …)
    spend(session, checked, now)                        # the caller commits with the ballot

No HTTP here; the `/r/<token>` pages (to come) show each refusal's Vietnamese page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from surveys import ballot_token as bt
from sync_server.models import Device, Staff, Unit, WebTokenUse

__all__ = ["REASONS", "Checked", "Refusal", "check_token", "spend"]

# Why a token is refused, and the sentence its page shows.
REASONS = {
    "malformed": "Mã đánh giá không đúng. Ông/Bà vui lòng quét lại mã QR.",
    "signature": "Mã đánh giá không hợp lệ (có thể đã bị sửa). Ông/Bà vui lòng quét lại mã QR.",
    "expired": "Mã đánh giá đã hết hạn.",
    "used": "Mã đánh giá này đã được dùng. Mỗi mã chỉ đánh giá được một lần.",
    "revoked": "Thiết bị phát mã này đã bị thu hồi; mã không còn dùng được.",
    "foreign": "Mã đánh giá này không thuộc đơn vị đã phát mã.",
    "disabled": "Đơn vị chưa mở đánh giá trên điện thoại.",
}


class Refusal(Exception):
    """A token that gives no ballot; `reason` is a key of REASONS."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Checked:
    claims: bt.BallotToken
    unit: Unit
    issuer_key: str  # "device:<id>" or "unit:<code>": the spent-token key


def _dossier_hash(unit: Unit, dossier: str) -> str:
    return hashlib.sha256(f"{unit.code}\x00{dossier.strip().upper()}".encode()).hexdigest()


def check_token(session: Session, text: str, now: dt.datetime, secret: str) -> Checked:
    """The claims and unit of a token good for one ballot now; raises Refusal otherwise."""
    try:
        claims, _signed, _signature = bt.read(text)
    except bt.TokenError as exc:
        raise Refusal(exc.reason) from None
    if claims.kind == bt.ISSUER_DEVICE:
        device = session.get(Device, claims.issuer)
        if device is None or not device.ballot_key:
            raise Refusal("signature")
        public = bt.unb64(device.ballot_key)
        unit = session.get(Unit, device.unit_id)
        issuer_key = f"device:{device.id}"
    else:
        unit = session.execute(select(Unit).where(col(Unit.code) == claims.issuer)).scalars().first()
        public = bt.public_key_of(bt.server_private_key(secret))
        device, issuer_key = None, f"unit:{claims.issuer}"
    try:
        bt.verify(text, public)
    except bt.TokenError as exc:
        raise Refusal(exc.reason) from None
    if unit is None or unit.id is None:
        raise Refusal("foreign")
    if device is not None and device.revoked:
        raise Refusal("revoked")
    if claims.expired(now):
        raise Refusal("expired")
    if claims.staff_id is not None:
        staff = session.execute(
            select(col(Staff.id)).where(col(Staff.unit_id) == unit.id, col(Staff.id) == claims.staff_id)
        ).first()
        if staff is None:
            raise Refusal("foreign")
    used = session.get(WebTokenUse, (issuer_key[:64], claims.counter))
    if used is not None:
        raise Refusal("used")
    if claims.dossier is not None:
        rated = session.execute(
            select(col(WebTokenUse.counter)).where(
                col(WebTokenUse.unit_id) == unit.id,
                col(WebTokenUse.dossier_hash) == _dossier_hash(unit, claims.dossier),
            )
        ).first()
        if rated is not None:
            raise Refusal("used")
    return Checked(claims, unit, issuer_key[:64])


def spend(session: Session, checked: Checked, now: dt.datetime) -> None:
    """Mark the token (and its dossier) used, in the caller's transaction."""
    assert checked.unit.id is not None
    dossier = checked.claims.dossier
    session.add(
        WebTokenUse(
            issuer=checked.issuer_key,
            counter=checked.claims.counter,
            unit_id=checked.unit.id,
            dossier_hash=_dossier_hash(checked.unit, dossier) if dossier else None,
            used_on=now.date(),
        )
    )
    session.flush()

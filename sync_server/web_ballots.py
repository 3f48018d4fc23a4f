"""Phone-ballot tokens on the server: is this token good for one ballot, spend it, store the ballot.

    checked = check_token(session, text, now, secret)   # raises Refusal("used" | "expired" | …)
    spend(session, checked, now)                        # the caller commits with the ballot
    store_ballot(session, text, now, secret, ballot)    # check, spend and ingest (source "web") at once
    wait = take_limits(engine, ["ip:…", "issuer:…"], now, WebLimits())   # > 0: too many, answer 429

No HTTP here; the `/r/<token>` pages (`sync_server/web/phone.py`) show each refusal's Vietnamese page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from surveys import ballot_token as bt
from sync_server.db import write_session
from sync_server.ingest import ingest_batch
from sync_server.login_limits import lock_counters, sweep
from sync_server.models import Device, LoginAttempt, ServerSetting, Staff, Unit, WebTokenUse

__all__ = [
    "CHANNELS",
    "MAX_SLIPS",
    "REASONS",
    "Checked",
    "PhoneBallot",
    "Refusal",
    "WebLimits",
    "channels_of",
    "check_token",
    "limit_key",
    "mint_slips",
    "spend",
    "store_ballot",
    "take_limits",
    "web_device",
]

# Why a token is refused, and the sentence its page shows.
REASONS = {
    "malformed": "Mã đánh giá không đúng. Ông/Bà vui lòng quét lại mã QR.",
    "signature": "Mã đánh giá không hợp lệ (có thể đã bị sửa). Ông/Bà vui lòng quét lại mã QR.",
    "expired": "Mã đánh giá đã hết hạn.",
    "used": "Mã đánh giá này đã được dùng. Mỗi mã chỉ đánh giá được một lần.",
    "revoked": "Thiết bị phát mã này đã bị thu hồi; mã không còn dùng được.",
    "foreign": "Mã đánh giá này không thuộc đơn vị đã phát mã.",
    "disabled": "Đơn vị chưa mở đánh giá trên điện thoại.",
    "busy": "Có quá nhiều lượt đánh giá trong thời gian ngắn. Ông/Bà vui lòng thử lại sau ít phút.",
}


class Refusal(Exception):
    """A token that gives no ballot; `reason` is a key of REASONS."""

    def __init__(self, reason: str, unit: Unit | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.unit = unit  # the issuing unit, once the signature held (its page lists the unit's channels)


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
        raise Refusal("revoked", unit)
    if claims.expired(now):
        raise Refusal("expired", unit)
    if claims.staff_id is not None:
        staff = session.execute(
            select(col(Staff.id)).where(col(Staff.unit_id) == unit.id, col(Staff.id) == claims.staff_id)
        ).first()
        if staff is None:
            raise Refusal("foreign")
    used = session.get(WebTokenUse, (issuer_key[:64], claims.counter))
    if used is not None:
        raise Refusal("used", unit)
    if claims.dossier is not None:
        rated = session.execute(
            select(col(WebTokenUse.counter)).where(
                col(WebTokenUse.unit_id) == unit.id,
                col(WebTokenUse.dossier_hash) == _dossier_hash(unit, claims.dossier),
            )
        ).first()
        if rated is not None:
            raise Refusal("used", unit)
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


@dataclass(frozen=True)
class PhoneBallot:
    """What the citizen answered on the phone (the flow's result), ready to store."""

    survey_id: str
    survey_version: str
    staff_id: str | None
    answers: dict[str, Any]
    comment: str | None
    contact: dict[str, Any] | None
    lang: str
    started_at: dt.datetime


# The unit's other channels (columns of `unit`), in the order the kiosk and the pages list them.
CHANNELS = ("hotline", "feedback_box", "email", "zalo", "facebook")


def channels_of(unit: Unit | None) -> list[tuple[str, str]]:
    """The unit's channels that are filled in: [("hotline", "0210 3 123 456"), …]."""
    if unit is None:
        return []
    return [(name, value) for name in CHANNELS if (value := (getattr(unit, name) or "").strip())]


WEB_DEVICE_NAME = "Đánh giá trên điện thoại"


def web_device(session: Session, unit: Unit) -> Device:
    """The unit's `kind = "web"` device that phone ballots are stored under (made on first use).

    Its bearer token is a hash of random bytes nobody was given: it can never sync."""
    assert unit.id is not None
    if session.get_bind().dialect.name == "postgresql":  # two first phone ballots must not make two
        session.execute(select(col(Unit.id)).where(col(Unit.id) == unit.id).with_for_update())
    query = select(Device).where(col(Device.unit_id) == unit.id, col(Device.kind) == "web")
    device = session.execute(query).scalars().first()
    if device is None:
        device = Device(
            id=str(uuid.uuid4()),
            unit_id=unit.id,
            name=WEB_DEVICE_NAME,
            token_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
            kind="web",
        )
        session.add(device)
        session.flush()
    return device


def store_ballot(session: Session, text: str, now: dt.datetime, secret: str, ballot: PhoneBallot) -> None:
    """Check the token again, spend it and ingest the ballot (source "web") in the caller's transaction.

    Raises Refusal (nothing staged) when the token is no longer good or the unit turned phone ballots
    off; the caller commits, or rolls back on any exception."""
    checked = check_token(session, text, now, secret)
    if not checked.unit.web_ballots_enabled:
        raise Refusal("disabled", checked.unit)
    try:
        with session.begin_nested():
            spend(session, checked, now)  # two phones with one token: the second hits the primary key
    except IntegrityError:
        raise Refusal("used", checked.unit) from None
    device = web_device(session, checked.unit)
    if session.get_bind().dialect.name == "postgresql":
        session.refresh(device, with_for_update=True)  # the next seq is read under the row's lock
    item = {
        "id": str(uuid.uuid4()),
        "seq": device.last_seq + 1,
        "survey_id": ballot.survey_id,
        "survey_version": ballot.survey_version,
        "staff_id": ballot.staff_id,
        "started_at": ballot.started_at.isoformat(),
        "submitted_at": now.isoformat(),
        "answers": ballot.answers,
        "comment": ballot.comment,
        "contact": ballot.contact,
        "lang": ballot.lang,
    }
    (result,) = ingest_batch(session, device, [item], now, clock_offset_s=0.0, source="web")
    if result.status != "created":
        raise ValueError(f"the phone ballot was refused by ingest: {result.error}")


@dataclass(frozen=True)
class WebLimits:
    """Phone ballots (and refused tokens) allowed per address, and ballots per issuer, per window."""

    ip_max: int = 20
    issuer_max: int = 300
    window_s: int = 3600


def limit_key(kind: str, value: str, secret: str) -> str:
    """A counter's key; the address is kept only as a keyed hash, and only for the window."""
    if kind == "ip":
        value = hashlib.sha256(f"{secret}\x00{value}".encode()).hexdigest()[:32]
    return f"web-{kind}:{value}"[:255]


def take_limits(engine: Engine, keys: dict[str, int], now: dt.datetime, window_s: int) -> int:
    """Count one event on each key (key -> its maximum); the Retry-After seconds when one is full, else 0.

    The counters live in the log-in limits' table, so every server process shares them."""
    table = LoginAttempt.__table__  # type: ignore[attr-defined]
    window = dt.timedelta(seconds=window_s)
    with write_session(engine) as session:
        counters = lock_counters(session, keys, now)
        live = {k: (n, end) if end > now else (0, now + window) for k, (n, end) in counters.items()}
        full = [end for key, (n, end) in live.items() if n >= keys[key]]
        if full:
            session.rollback()
            return max(1, int((max(full) - now).total_seconds() + 0.999))
        for key, (n, end) in live.items():
            session.execute(update(table).where(table.c.key == key).values(failures=n + 1, window_end=end))
        sweep(session, keys, now)
        session.commit()
    return 0


SLIP_VALIDITY = dt.timedelta(days=30)
MAX_SLIPS = 200  # per request: 25 pages


def mint_slips(
    session: Session,
    unit: Unit,
    staff_id: str | None,
    dossiers: list[str | None],
    now: dt.datetime,
    secret: str,
    validity: dt.timedelta = SLIP_VALIDITY,
) -> list[str]:
    """One server-signed token per entry of `dossiers` (None: a slip with no dossier code), for the
    unit's officer; numbered from the unit's slip counter (kept in `server_setting`). The caller commits."""
    key = f"web_slip_counter:{unit.code}"[:100]
    row = session.get(ServerSetting, key, with_for_update=True)
    first = int(row.value) + 1 if row is not None else 1
    if row is None:
        row = ServerSetting(key=key, value="0")
        session.add(row)
    row.value = str(first + len(dossiers) - 1)
    private = bt.server_private_key(secret)
    issued = now.replace(microsecond=0)
    return [
        bt.mint(
            private,
            bt.BallotToken(
                bt.ISSUER_SERVER, unit.code, first + n, issued, issued + validity, staff_id, dossier
            ),
        )
        for n, dossier in enumerate(dossiers)
    ]

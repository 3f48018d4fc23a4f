"""Citizens' consented phone numbers: erased N days after the ballot was received, or sooner on request.

The ballot and its comment stay; only the number goes, from every place the server keeps it (the
ballot's `contact_phone`, the raw copies in the quarantine and conflict audit, and, on request,
the number written inside a comment or a leader's acknowledgement note)::

    report = erase_expired_contacts(session, now, days=90)       # the nightly step
    report = erase_phone(session, "XA01", "0912 345 678")        # a citizen asked at the desk
    report.ballots                                                # how many ballots lost the number

On SQLite the erase turns `secure_delete` on, so the old bytes are overwritten with zeros, and the
write-ahead log is truncated after the commit (`scrub_sqlite`): the number is then gone from the file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from .alert_rules import erase_in_cases
from .models import AlertAck, Device, Response, ResponseConflict, ResponseQuarantine, Unit

__all__ = [
    "ERASED",
    "ContactError",
    "Erasure",
    "erase_expired_contacts",
    "erase_phone",
    "normalise_phone",
    "phone_key",
    "scrub_sqlite",
]

# What replaces a number inside a comment, a note or an audit copy.
ERASED = "[đã xoá số điện thoại]"
_SEPARATORS = re.compile(r"[\s.\-()]")
_PHONE = re.compile(r"^\+?[0-9]{8,15}$")  # the kiosk's own rule (kiosk/flow.py)
# The value of any "phone" key in an audit copy's JSON, also when the copy was cut inside the string.
_RAW_PHONE = re.compile(r'("phone"\s*:\s*)(?:"(?:[^"\\]|\\.)*(?:"|$)|[-+0-9.eE]+)')


class ContactError(ValueError):
    """A request the erase cannot act on (unknown unit, not a phone number): one sentence."""


@dataclass
class Erasure:
    """What an erase changed: ballots that lost their number, audit copies and texts rewritten."""

    ballots: int = 0
    audit: int = 0
    texts: int = 0

    def summary(self) -> str:
        return (
            f"{self.ballots} ballots lost the phone number; {self.audit} audit copies"
            f" and {self.texts} comments or notes were cleaned."
        )


def normalise_phone(phone: str) -> str:
    """The number as the kiosk stores it: no spaces, dots, dashes or brackets; ContactError otherwise.

    >>> normalise_phone("0912.345 678")
    '0912345678'
    """
    cleaned = _SEPARATORS.sub("", phone)
    if not _PHONE.match(cleaned):
        # The sentence never repeats the number: it may end up in a log.
        raise ContactError("That is not a phone number: give 8 to 15 digits, optionally after a +.")
    return cleaned


def phone_key(phone: str) -> str:
    """One spelling per Vietnamese number, to compare: `+84 912…` and `0084912…` are `0912…`.

    >>> phone_key("+84 912 345 678")
    '0912345678'
    """
    digits = _SEPARATORS.sub("", phone)
    if digits.startswith("+84"):
        return "0" + digits[3:]
    if digits.startswith("0084"):
        return "0" + digits[4:]
    return digits.lstrip("+")


def _number_pattern(key: str) -> re.Pattern[str]:
    """The number written any way a person writes it (separators, +84), not inside a longer number."""
    national = key[1:] if key.startswith("0") else key
    sep = r"[\s.\-()]*"
    body = sep.join(re.escape(d) for d in national)
    prefix = r"(?:\+\s*84|0084|0)" if key.startswith("0") else r"\+?"
    return re.compile(rf"(?<![0-9]){prefix}{sep}{body}(?![0-9])")


def _unit_ids(session: Session, code: str) -> list[int]:
    """The unit and every unit below it."""
    units = list(session.scalars(select(Unit)))
    root = next((u for u in units if u.code == code), None)
    if root is None or root.id is None:
        raise ContactError(f"There is no unit {code!r}: see the unit codes on the dashboard.")
    ids, frontier = [root.id], [root.id]
    while frontier:
        frontier = [u.id for u in units if u.parent_id in frontier and u.id is not None]
        ids += frontier
    return ids


def _sqlite_secure_delete(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("PRAGMA secure_delete=ON")


def scrub_sqlite(engine: Engine) -> bool:
    """After an erase: checkpoint and empty SQLite's write-ahead log, which still holds the old pages.

    True when the log was emptied (False while a reader keeps it, or on PostgreSQL)."""
    if engine.dialect.name != "sqlite":
        return False
    raw = engine.raw_connection()
    try:
        busy = raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()  # type: ignore[union-attr]
    finally:
        raw.close()
    return bool(busy) and busy[0] == 0


def _clean_raw(
    session: Session,
    model: type[ResponseQuarantine] | type[ResponseConflict],
    rows: Iterable[tuple[int, str]],
    clean: re.Pattern[str],
    replacement: str,
) -> int:
    changed = 0
    for pk, raw in rows:
        cleaned = clean.sub(replacement, raw)
        if cleaned != raw:
            session.execute(update(model).where(col(model.pk) == pk).values(raw=cleaned))
            changed += 1
    return changed


def erase_expired_contacts(session: Session, now: dt.datetime, days: int) -> Erasure:
    """Erase the numbers of ballots (and audit copies) received more than `days` days before `now`."""
    cutoff = now - dt.timedelta(days=days)
    _sqlite_secure_delete(session)
    result = session.execute(
        update(Response)
        .where(col(Response.contact_phone).is_not(None), col(Response.received_at) < cutoff)
        .values(contact_phone=None)
    )
    report = Erasure(ballots=int(getattr(result, "rowcount", 0) or 0))
    for model in (ResponseQuarantine, ResponseConflict):
        rows = session.execute(
            select(col(model.pk), col(model.raw)).where(
                col(model.received_at) < cutoff, col(model.raw).contains('"phone"')
            )
        ).all()
        report.audit += _clean_raw(session, model, rows, _RAW_PHONE, r"\1null")
    return report


def erase_phone(session: Session, unit_code: str, phone: str) -> Erasure:
    """Erase one number from every ballot of a unit (and its sub-units), wherever the server keeps it."""
    key = phone_key(normalise_phone(phone))
    ids = _unit_ids(session, unit_code)
    pattern = _number_pattern(key)
    _sqlite_secure_delete(session)
    report = Erasure()
    held = session.execute(
        select(col(Response.id), col(Response.contact_phone)).where(
            col(Response.unit_id).in_(ids), col(Response.contact_phone).is_not(None)
        )
    ).all()
    matching = [rid for rid, stored in held if phone_key(stored) == key]
    for start in range(0, len(matching), 500):
        chunk = matching[start : start + 500]
        session.execute(update(Response).where(col(Response.id).in_(chunk)).values(contact_phone=None))
    report.ballots = len(matching)
    comments = session.execute(
        select(col(Response.id), col(Response.comment)).where(
            col(Response.unit_id).in_(ids), col(Response.comment).is_not(None)
        )
    ).all()
    for rid, comment in comments:
        cleaned = pattern.sub(ERASED, comment)
        if cleaned != comment:
            session.execute(update(Response).where(col(Response.id) == rid).values(comment=cleaned))
            report.texts += 1
    notes = session.execute(
        select(col(AlertAck.response_id), col(AlertAck.note))
        .join(Response, col(Response.id) == col(AlertAck.response_id))
        .where(col(Response.unit_id).in_(ids))
    ).all()
    for rid, note in notes:
        cleaned = pattern.sub(ERASED, note)
        if cleaned != note:
            session.execute(update(AlertAck).where(col(AlertAck.response_id) == rid).values(note=cleaned))
            report.texts += 1
    report.texts += erase_in_cases(session, ids, pattern, ERASED)  # after the comments are cleaned
    devices = select(col(Device.id)).where(col(Device.unit_id).in_(ids))
    quarantined = session.execute(
        select(col(ResponseQuarantine.pk), col(ResponseQuarantine.raw)).where(
            col(ResponseQuarantine.unit_id).in_(ids)
        )
    ).all()
    conflicts = session.execute(
        select(col(ResponseConflict.pk), col(ResponseConflict.raw)).where(
            col(ResponseConflict.device_id).in_(devices)
        )
    ).all()
    report.audit += _clean_raw(session, ResponseQuarantine, quarantined, pattern, ERASED)
    report.audit += _clean_raw(session, ResponseConflict, conflicts, pattern, ERASED)
    return report

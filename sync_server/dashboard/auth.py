"""Dashboard log-in sessions, CSRF tokens and what each role may do.

A session cookie holds a random token; the database keeps only its SHA-256 with the user and a CSRF
token, so log-out and password changes end a session at once. Every form carries the CSRF token;
the log-in form (no session yet) uses a double-submit cookie instead.

    token, row = open_session(db, user, ttl_s=43200)
    user, row = read_session(db, token)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import Session, col, select

from sync_server.models import DashboardSession, Unit, User
from sync_server.queries import unit_scope

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "Access",
    "close_session",
    "csrf_ok",
    "open_session",
    "read_session",
    "visible_units",
]

SESSION_COOKIE = "ctt_session"
CSRF_COOKIE = "ctt_login_csrf"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def open_session(db: Session, user: User, ttl_s: int) -> tuple[str, DashboardSession]:
    """Start a session for `user`; returns the cookie token (shown once) and the stored row."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    now = _now()
    row = DashboardSession(
        token_hash=_hash(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(24),
        created=now,
        expires=now + dt.timedelta(seconds=ttl_s),
    )
    db.add(row)
    # Expired sessions of anyone are cleared here, so the table never grows without bound.
    db.execute(delete(DashboardSession).where(col(DashboardSession.expires) < now))
    db.commit()
    return token, row


def read_session(db: Session, token: str | None) -> tuple[User, DashboardSession] | None:
    """The active user and session a cookie token names, or None (unknown, expired, user disabled)."""
    if not token or len(token) > 200:
        return None
    row = db.get(DashboardSession, _hash(token))
    if row is None or row.expires <= _now():
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return user, row


def close_session(db: Session, token: str | None) -> None:
    """Forget the session of this cookie token (log-out)."""
    if not token:
        return
    db.execute(delete(DashboardSession).where(col(DashboardSession.token_hash) == _hash(token)))
    db.commit()


def csrf_ok(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of two CSRF tokens; missing either one fails."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def visible_units(db: Session, user: User) -> list[Unit]:
    """The units `user` may see, as the API scopes them (`queries.unit_scope`), ordered by code."""
    ids = unit_scope(db, user)
    if not ids:
        return []
    return list(db.exec(select(Unit).where(col(Unit.id).in_(ids)).order_by(col(Unit.code))).all())


@dataclass(frozen=True)
class Access:
    """What a role may do on the dashboard."""

    role: str

    @property
    def sees_ballots(self) -> bool:
        """Alerts, comments and ballot exports show single ballots: leaders and administrators only."""
        return self.role in ("admin", "leader")

    @property
    def can_act(self) -> bool:
        """Acknowledge alerts, mark comments handled, see phone numbers."""
        return self.role in ("admin", "leader")

    @property
    def can_manage(self) -> bool:
        """Devices, enrolment codes, staff import, photos and deactivation."""
        return self.role == "admin"

"""Log-in failure limits kept in the database: one counter per user name and one per address, shared
by the dashboard's log-in form and `POST /api/v1/auth/token`, by every server process and across restarts.

    limits = Limits.of(settings)
    outcome = attempt_login(engine, "chutich", "secret", "203.0.113.7", limits)
    outcome.user            # the User on success, else None
    outcome.retry_after     # > 0: answer 429 with Retry-After

How an attempt goes (see docs/decisions.md, "Log-in limits"):

1. A short write transaction locks the two counters (`user:NAME`, `ip:ADDRESS`) and, unless the user
   name has reached its own limit, counts the attempt as a failure *before* the password is checked.
   So a burst of parallel guesses can never get more verifications than the limit: each one takes its
   place in the count first.
2. The password is checked with argon2 with no transaction open (no lock held while it runs).
3. On success a second short transaction clears the user's failures and gives back the address's one.

An address over its own limit does not lock out everyone behind it (an office NAT): a wrong password
from it is answered 429, but a correct one is still accepted unless that user's own limit was reached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from sync_server.db import write_session
from sync_server.models import LoginAttempt, User, utcnow
from sync_server.security import check_password, find_user
from sync_server.settings import Settings

__all__ = [
    "Limits",
    "Outcome",
    "attempt_login",
    "failures_of",
    "ip_key",
    "lock_counters",
    "sweep",
    "user_key",
]

_TABLE = LoginAttempt.__table__  # type: ignore[attr-defined]
_KEY_MAX = 255
_SWEEP_ROWS = 200  # expired counters removed per attempt, so a spray of names cannot grow the table


@dataclass(frozen=True)
class Limits:
    """Failures allowed per user name and per address within `window_s` seconds."""

    user_max: int = 5
    ip_max: int = 20
    window_s: int = 15 * 60

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(settings.login_max_failures, settings.login_ip_max_failures, settings.login_window_s)


@dataclass(frozen=True)
class Outcome:
    """What one log-in attempt came to: a user, a refusal for `retry_after` seconds, or a wrong password."""

    user: User | None
    retry_after: int = 0


def user_key(username: str) -> str:
    """The counter of a user name: `user:chutich` (case and surrounding spaces do not make a new one)."""
    return ("user:" + username.strip().lower().replace("\x00", ""))[:_KEY_MAX]


def ip_key(address: str) -> str:
    """The counter of a client address: `ip:203.0.113.7`."""
    return ("ip:" + address.replace("\x00", ""))[:_KEY_MAX]


def _seconds_until(moment: dt.datetime, now: dt.datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))


def lock_counters(
    session: Session, keys: Iterable[str], now: dt.datetime
) -> dict[str, tuple[int, dt.datetime]]:
    """Create the missing counters and lock all of them (in key order, so two attempts never deadlock)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    ordered = sorted(set(keys))
    for key in ordered:
        session.execute(
            insert(_TABLE)
            .values(key=key, failures=0, window_end=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
    rows = session.execute(
        select(_TABLE.c.key, _TABLE.c.failures, _TABLE.c.window_end)
        .where(_TABLE.c.key.in_(ordered))
        .order_by(_TABLE.c.key)
        .with_for_update()  # SQLite: BEGIN IMMEDIATE already serialises writers
    ).all()
    return {key: (failures, window_end) for key, failures, window_end in rows}


def sweep(session: Session, keep: Iterable[str], now: dt.datetime) -> None:
    """Delete some expired counters (PostgreSQL skips rows another attempt holds: no wait, no deadlock)."""
    stale = select(_TABLE.c.key).where(_TABLE.c.window_end < now, _TABLE.c.key.not_in(list(keep)))
    stale = stale.limit(_SWEEP_ROWS)
    if session.get_bind().dialect.name == "postgresql":
        stale = stale.with_for_update(skip_locked=True)
    session.execute(delete(_TABLE).where(_TABLE.c.key.in_(stale.scalar_subquery())))


@dataclass(frozen=True)
class _Ticket:
    user_key: str
    ip_key: str
    ip_over_until: dt.datetime | None


def _begin(engine: Engine, username: str, address: str, limits: Limits, now: dt.datetime) -> _Ticket | int:
    """Count the attempt in advance; an int is the refusal's Retry-After."""
    ukey, ikey = user_key(username), ip_key(address)
    window = dt.timedelta(seconds=limits.window_s)
    with write_session(engine) as session:
        counters = lock_counters(session, (ukey, ikey), now)
        live = {k: (n, end) if end > now else (0, now + window) for k, (n, end) in counters.items()}
        user_failures, user_end = live[ukey]
        if user_failures >= limits.user_max:
            session.rollback()
            return _seconds_until(user_end, now)
        ip_failures, ip_end = live[ikey]
        for key, (failures, end) in live.items():
            session.execute(
                update(_TABLE).where(_TABLE.c.key == key).values(failures=failures + 1, window_end=end)
            )
        sweep(session, (ukey, ikey), now)
        session.commit()
    return _Ticket(ukey, ikey, ip_end if ip_failures >= limits.ip_max else None)


def _succeeded(engine: Engine, ticket: _Ticket, now: dt.datetime) -> None:
    """Forget the user's failures and give the address back the attempt counted in advance."""
    with write_session(engine) as session:
        counters = lock_counters(session, (ticket.user_key, ticket.ip_key), now)
        session.execute(update(_TABLE).where(_TABLE.c.key == ticket.user_key).values(failures=0))
        failures, _ = counters[ticket.ip_key]
        session.execute(
            update(_TABLE).where(_TABLE.c.key == ticket.ip_key).values(failures=max(0, failures - 1))
        )
        session.commit()


def attempt_login(
    engine: Engine,
    username: str,
    password: str,
    address: str,
    limits: Limits,
    *,
    now: Callable[[], dt.datetime] = utcnow,
) -> Outcome:
    """One log-in attempt through the shared limits (see the module's docstring)."""
    ticket = _begin(engine, username, address, limits, now())
    if isinstance(ticket, int):
        return Outcome(None, ticket)
    with Session(engine, expire_on_commit=False) as session:
        found = find_user(session, username)
        if found is not None:
            session.expunge(found)
    # The session is closed: argon2 runs with no transaction (and no SQLite lock) held.
    user = check_password(found, password)
    if user is None:
        wait = _seconds_until(ticket.ip_over_until, now()) if ticket.ip_over_until is not None else 0
        return Outcome(None, wait)
    _succeeded(engine, ticket, now())
    return Outcome(user)


def failures_of(engine: Engine, key: str, *, now: dt.datetime | None = None) -> int:
    """The failures a counter holds now (0 once its window has passed): for tests and the operator."""
    moment = now or utcnow()
    with Session(engine) as session:
        row = session.execute(
            select(_TABLE.c.failures, _TABLE.c.window_end).where(_TABLE.c.key == key)
        ).first()
    if row is None or row[1] <= moment:
        return 0
    return int(row[0])

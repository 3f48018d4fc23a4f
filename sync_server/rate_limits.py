"""Rate limits every server process shares, kept in the database beside the log-in limits (`login_attempt`).

With `serve --workers N`, or several servers behind a load balancer, limits held in one process's memory
would let a caller try N times as often; these count in one place, and survive a restart.

    enrol = SharedFailureLimiter(engine, "enrol", max_failures=10, window_s=900)
    enrol.retry_after("203.0.113.7")      # 0: may try now, else seconds (Retry-After)
    enrol.failure("203.0.113.7")          # one wrong code counted, for every process
    uploads = SharedTokenBucket(engine, "upload", capacity=300, per_s=5.0)
    uploads.take(device_id)               # 0: allowed, else seconds (Retry-After)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable

from sqlalchemy import Connection, DateTime, Engine, Interval, case, delete, literal, select, type_coerce
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from sync_server.db import write_session
from sync_server.models import LoginAttempt, utcnow

__all__ = ["SharedFailureLimiter", "SharedTokenBucket"]

_TABLE = LoginAttempt.__table__  # type: ignore[attr-defined]
_KEY_MAX = 255
_SWEEP_ROWS = 200


def _key(prefix: str, key: str) -> str:
    return f"{prefix}:{key.replace(chr(0), '')}"[:_KEY_MAX]


def _seconds(delta: dt.timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


class SharedFailureLimiter:
    """Failures per key in a fixed window that starts with the first failure (as the log-in limits);
    `retry_after(key)` > 0 means refuse. Same interface as `security.FailureLimiter`."""

    def __init__(
        self,
        engine: Engine,
        prefix: str,
        max_failures: int,
        window_s: float,
        *,
        now: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.engine, self.prefix = engine, prefix
        self.max_failures, self.window = max_failures, dt.timedelta(seconds=window_s)
        self._now = now

    def retry_after(self, key: str) -> int:
        """Seconds until `key` may try again; 0 when it may try now."""
        now = self._now()
        with self.engine.connect() as conn:
            row = conn.execute(
                select(_TABLE.c.failures, _TABLE.c.window_end).where(_TABLE.c.key == _key(self.prefix, key))
            ).first()
        if row is None or row[1] <= now or row[0] < self.max_failures:
            return 0
        return _seconds(row[1] - now)

    def failure(self, key: str) -> None:
        """Count one failed attempt (a new window when the last one has passed)."""
        now = self._now()
        table = _TABLE
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        live = table.c.window_end > now
        stmt = (
            insert(table)
            .values(key=_key(self.prefix, key), failures=1, window_end=now + self.window)
            .on_conflict_do_update(
                index_elements=["key"],
                set_={
                    "failures": case((live, table.c.failures + 1), else_=1),
                    "window_end": case((live, table.c.window_end), else_=now + self.window),
                },
            )
        )
        with write_session(self.engine) as session:
            session.execute(stmt)
            # A spray of addresses must not grow the table: drop some counters whose window has passed.
            stale = select(table.c.key).where(table.c.window_end < now).limit(_SWEEP_ROWS)
            if self.engine.dialect.name == "postgresql":
                stale = stale.with_for_update(skip_locked=True)
            session.execute(delete(table).where(table.c.key.in_(stale.scalar_subquery())))
            session.commit()

    def success(self, key: str) -> None:
        """Forget the failures of `key`."""
        with write_session(self.engine) as session:
            session.execute(delete(_TABLE).where(_TABLE.c.key == _key(self.prefix, key)))
            session.commit()


class SharedTokenBucket:
    """A token bucket per key (`capacity` requests at once, `per_s` sustained), kept as one timestamp.

    The row's `window_end` holds the bucket's "theoretical arrival time" (GCRA): a request at `now` is
    allowed when that time is at most `now + (capacity - 1) / per_s`, and pushes it `1 / per_s` on.
    A time in the past is a full bucket, so expired rows may be deleted at any time. One statement on
    PostgreSQL (an upsert whose condition is the limit); on SQLite the write lock serialises.
    """

    def __init__(
        self,
        engine: Engine,
        prefix: str,
        capacity: float,
        per_s: float,
        *,
        now: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.engine, self.prefix = engine, prefix
        self.capacity, self.per_s = capacity, per_s
        self._now = now

    def take(self, key: str) -> int:
        """Spend one request for `key`: 0 when allowed, else the seconds to wait."""
        if self.per_s <= 0:
            return 0
        now = self._now()
        step = dt.timedelta(seconds=1 / self.per_s)
        limit_at = now + step * max(0.0, self.capacity - 1)
        row_key = _key(self.prefix, key)
        if self.engine.dialect.name == "postgresql":
            return self._take_postgres(row_key, now, step, limit_at)
        with self.engine.connect() as conn:
            # A counter need not survive a power cut: no fsync of its own (WAL, synchronous=NORMAL).
            # Set on the driver's connection, outside any transaction (SQLite refuses it inside one).
            driver = conn.connection.driver_connection
            assert driver is not None
            driver.execute("PRAGMA synchronous=NORMAL")
            try:
                wait = self._take_sqlite(conn, row_key, now, step, limit_at)
            finally:
                conn.rollback()
                driver.execute("PRAGMA synchronous=FULL")
        return wait

    @staticmethod
    def _take_sqlite(
        conn: Connection, row_key: str, now: dt.datetime, step: dt.timedelta, limit_at: dt.datetime
    ) -> int:
        conn = conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            arrival = conn.execute(select(_TABLE.c.window_end).where(_TABLE.c.key == row_key)).scalar()
            if arrival is not None and arrival > limit_at:
                return _seconds(arrival - limit_at)
            moved = max(arrival or now, now) + step
            conn.execute(
                sqlite_insert(_TABLE)
                .values(key=row_key, failures=0, window_end=moved)
                .on_conflict_do_update(index_elements=["key"], set_={"window_end": moved})
            )
        return 0

    def _take_postgres(
        self, row_key: str, now: dt.datetime, step: dt.timedelta, limit_at: dt.datetime
    ) -> int:
        table = _TABLE
        pushed = type_coerce(table.c.window_end, DateTime(timezone=True)) + literal(step, Interval())
        stmt = (
            pg_insert(table)
            .values(key=row_key, failures=0, window_end=now + step)
            .on_conflict_do_update(
                index_elements=["key"],
                set_={"window_end": case((table.c.window_end < now, now + step), else_=pushed)},
                where=table.c.window_end <= limit_at,
            )
            .returning(table.c.window_end)
        )
        with self.engine.begin() as conn:
            if conn.execute(stmt).first() is not None:
                return 0
            arrival = conn.execute(select(table.c.window_end).where(table.c.key == row_key)).scalar()
        return _seconds(arrival - limit_at) if arrival is not None else 1

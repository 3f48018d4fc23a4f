"""Engines and sessions: `make_engine(url)` applies the SQLite pragmas on every connection.

engine = make_engine("sqlite:///var/server/server.db")
with write_session(engine) as session: ...
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, Date, DateTime, Engine, Table, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session

__all__ = ["bulk_insert", "is_sqlite", "make_engine", "read_session", "write_session"]

# A batch waits for a concurrent writer instead of failing at once.
SQLITE_BUSY_TIMEOUT_MS = 30_000

# sqlite3 binds only exact int, float, str and bytes straight away; any other value (None, a bool)
# goes through its adapter registry, which without an entry looks for two protocol attributes and
# formats an AttributeError for each: about a fifth of an ingest's instructions (callgrind, see
# docs/decisions.md). With these entries it is one dict hit; the stored values are unchanged (NULL, 0, 1).
sqlite3.register_adapter(type(None), lambda _value: None)
sqlite3.register_adapter(bool, int)


def is_sqlite(engine: Engine) -> bool:
    """True when the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, `synchronous=FULL`, foreign keys and explicit BEGINs.

    Bound values never reach a log or an error message (`hide_parameters`): they hold phone
    numbers and comments."""
    parsed = make_url(url)
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        # Sync endpoints run on AnyIO's 40 worker threads: a pool smaller than that makes busy
        # nights (hundreds of devices at once) wait on the pool and fail with 500s.
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 20)
        return create_engine(url, **kwargs)
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("check_same_thread", False)
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        # pysqlite's own transaction handling defers BEGIN badly; we emit BEGIN ourselves below.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front so two batches never deadlock on a lock upgrade.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction holds the write lock from its first statement (SQLite)."""
    bind = engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) else engine
    with Session(bind, expire_on_commit=False) as session:
        yield session


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A plain session for reading."""
    with Session(engine) as session:
        yield session


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    # The exact text SQLAlchemy's SQLite DATETIME writes, so reads and comparisons agree.
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _memo(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Remember the last conversion: a batch's rows share `received_at`."""
    last: list[Any] = [object(), None]

    def converted(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, convert(value)
        return last[1]

    return converted


def _converter(column: Column[Any], dialect: str) -> Callable[[Any], Any] | None:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, JSON):
        if dialect == "sqlite":
            encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
            return lambda v: None if v is None else encode(v)
        from psycopg.types.json import Json

        return lambda v: None if v is None else Json(v)
    if dialect == "sqlite":
        if isinstance(kind, DateTime):
            return _memo(_sqlite_datetime)
        if isinstance(kind, Date):
            return lambda v: None if v is None else v.isoformat()
        # Booleans need nothing: sqlite3 stores Python's bool as the integer SQLAlchemy reads back.
    return None


def bulk_insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows with one driver-level executemany (SQLAlchemy's per-row bind processing
    costs more than SQLite's insert itself); other dialects go through Core."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        session.execute(table.insert(), rows)
        return
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    converters = [_converter(c, dialect) for c in columns]
    mark = "?" if dialect == "sqlite" else "%s"
    quoted = ", ".join(f'"{n}"' for n in names)
    sql = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({", ".join(mark for _ in names)})'
    converted = [(i, conv) for i, conv in enumerate(converters) if conv is not None]
    params = []
    for row in rows:
        values = [row[n] for n in names]
        for i, conv in converted:
            values[i] = conv(values[i])
        params.append(tuple(values))
    session.connection().exec_driver_sql(sql, params)

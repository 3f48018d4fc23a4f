"""The kiosk's durable store: ballots, answer tallies for rotation, and key-value settings.

The only module that touches the kiosk's SQLite file. Every public write is one transaction committed
with WAL + synchronous=FULL before the call returns, so a tap survives a power cut the moment the
next screen is drawn. One connection, shared by the UI and sync threads behind a lock.

>>> store = KioskStore(Path("var/kiosk/kiosk.db"))
>>> bid = store.start_ballot(survey_id="chinh-quyen-than-thien", survey_version="2024.1",
...                          staff_id="nv01", lang="vi")
>>> store.record_answer(bid, "tong_the", 5); store.finish_ballot(bid)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

if TYPE_CHECKING:
    from kiosk.settings import KioskSettings

__all__ = [
    "STATUSES",
    "KioskStore",
    "StoreUnavailable",
    "hash_pin",
    "uuid7",
    "verify_pin",
]

STATUSES = ("open", "pending", "synced", "conflict", "rejected")
OVERALL_ID = "tong_the"
# What the server's per-item result means for the ballot on this device.
_RESULT_STATUS = {
    "created": "synced",
    "duplicate": "synced",
    "synced": "synced",
    "conflict": "conflict",
    "rejected": "rejected",
}
# Each entry upgrades the file by one version; applied in order, each in one transaction.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE IF NOT EXISTS ballots (
            seq            INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: a seq is never reused
            id             TEXT NOT NULL UNIQUE,
            survey_id      TEXT NOT NULL,
            survey_version TEXT NOT NULL,
            staff_id       TEXT,
            lang           TEXT NOT NULL,
            started_at     TEXT NOT NULL,
            submitted_at   TEXT,
            answers        TEXT NOT NULL DEFAULT '{}',
            comment        TEXT,
            contact        TEXT,
            flags          TEXT NOT NULL DEFAULT '[]',
            status         TEXT NOT NULL DEFAULT 'open'
                           CHECK (status IN ('open', 'pending', 'synced', 'conflict', 'rejected')),
            complete       INTEGER NOT NULL DEFAULT 0,
            error          TEXT,
            updated_ts     REAL NOT NULL,
            synced_ts      REAL
        )
        """,
        """
        CREATE INDEX IF NOT EXISTS ballots_status_seq ON ballots (status, seq)
        """,
        """
        CREATE TABLE IF NOT EXISTS answer_counts (
            survey_id   TEXT NOT NULL,
            question_id TEXT NOT NULL,
            n           INTEGER NOT NULL,
            PRIMARY KEY (survey_id, question_id)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE IF NOT EXISTS settings (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID
        """,
    ),
    (
        # Status counts kept by triggers: the admin screen and `status` read them at once, even with
        # a million ballots, and a tap (which changes no status) pays nothing.
        """
        CREATE TABLE status_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID
        """,
        """
        INSERT INTO status_counts (status, n)
        SELECT status, count(*) FROM ballots GROUP BY status
        """,
        """
        CREATE TRIGGER ballots_count_insert AFTER INSERT ON ballots BEGIN
            INSERT INTO status_counts (status, n) VALUES (new.status, 1)
            ON CONFLICT (status) DO UPDATE SET n = n + 1;
        END
        """,
        """
        CREATE TRIGGER ballots_count_delete AFTER DELETE ON ballots BEGIN
            UPDATE status_counts SET n = n - 1 WHERE status = old.status;
        END
        """,
        """
        CREATE TRIGGER ballots_count_status AFTER UPDATE OF status ON ballots
        WHEN old.status != new.status BEGIN
            UPDATE status_counts SET n = n - 1 WHERE status = old.status;
            INSERT INTO status_counts (status, n) VALUES (new.status, 1)
            ON CONFLICT (status) DO UPDATE SET n = n + 1;
        END
        """,
    ),
    (
        # Purging synced ballots past retention reads only the rows it deletes.
        """
        CREATE INDEX IF NOT EXISTS ballots_status_synced ON ballots (status, synced_ts)
        """,
    ),
    (
        # Seqs whose row is gone: "discarded" (an unrated ballot, never a ballot) or "purged" (synced,
        # then deleted after the retention). The ledger tells lost ballots (purged) from gaps that
        # never held one (discarded).
        """
        CREATE TABLE IF NOT EXISTS gone_seqs (seq INTEGER PRIMARY KEY, why TEXT NOT NULL) WITHOUT ROWID
        """,
    ),
)
_SCHEMA_VERSION = len(_MIGRATIONS)
# SQLite's automatic checkpoint runs inside the commit that crosses its threshold, i.e. inside a
# citizen's tap (measured: 40-150 ms spikes at a million ballots). We checkpoint on a background
# connection instead, every this many commits (about SQLite's default of 1,000 WAL pages).
_CHECKPOINT_EVERY = 250
_WAL_LIMIT_BYTES = 8 * 1024 * 1024

T = TypeVar("T")


class StoreUnavailable(Exception):
    """The database cannot be written or read (disk full, read-only, corrupt).

    Nothing already committed is lost; the UI shows the citizen a calm message and the admin screen
    shows `str(error)`.
    """


class KioskStore:
    """The kiosk's SQLite file; every write method is one durable commit.

    `trace` receives "stored <ballot id> <what>" after every ballot commit (soak and crash tests);
    `max_db_mb` caps the file so a runaway never fills the SD card.
    """

    def __init__(
        self,
        path: Path,
        *,
        trace: TextIO | None = None,
        max_db_mb: float | None = None,
        retention: timedelta | None = None,
    ) -> None:
        self.path = Path(path)
        self.trace = trace
        self.retention = retention
        self.fault: str | None = None
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._commits = 0
        self._closing = False
        self._checkpoint_wanted = threading.Event()
        self._checkpointer: threading.Thread | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=10)
        except (OSError, sqlite3.Error) as exc:
            raise self._unavailable(exc) from exc
        self._conn = conn
        try:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise sqlite3.OperationalError(f"cannot switch to WAL (journal_mode is {mode})")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA wal_autocheckpoint=0")
            conn.execute(f"PRAGMA journal_size_limit={_WAL_LIMIT_BYTES}")
            if max_db_mb is not None:
                page_size = conn.execute("PRAGMA page_size").fetchone()[0]
                conn.execute(f"PRAGMA max_page_count={max(1, int(max_db_mb * 1024 * 1024 // page_size))}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > _SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"schema version {version} is newer than this kiosk")
            for number in range(version, _SCHEMA_VERSION):
                conn.execute("BEGIN IMMEDIATE")
                for statement in _MIGRATIONS[number]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version={number + 1}")
                conn.execute("COMMIT")
            # The install id (sync-protocol.md, enrolment): made once, kept for the store's life.
            conn.execute(
                "INSERT OR IGNORE INTO settings (key, value) VALUES ('install_id', ?)", (str(uuid.uuid4()),)
            )
        except (OSError, sqlite3.Error) as exc:
            conn.close()
            self._conn = None
            raise self._unavailable(exc) from exc

    @classmethod
    def from_settings(cls, settings: KioskSettings, trace: TextIO | None = None) -> KioskStore:
        """The store for a `KioskSettings`: size cap, retention, and `trace` when settings.trace_taps."""
        out = (trace or sys.stdout) if settings.trace_taps else None
        retention = timedelta(days=settings.retention_days)
        return cls(settings.db_path, trace=out, max_db_mb=settings.max_db_mb, retention=retention)

    def close(self) -> None:
        """Close the file (the WAL is checkpointed); safe to call twice."""
        self._closing = True
        self._checkpoint_wanted.set()
        if self._checkpointer is not None:
            self._checkpointer.join(timeout=30)
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.close()
                finally:
                    self._conn = None

    def __enter__(self) -> KioskStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ballots

    def start_ballot(
        self,
        *,
        survey_id: str,
        survey_version: str,
        staff_id: str | None,
        lang: str,
        now: datetime | None = None,
        answers: Mapping[str, Any] | None = None,
    ) -> str:
        """Create an open ballot at the citizen's first tap; returns its uuid7 id (seq is the next one).

        `answers` (e.g. {"tong_the": 5}) are stored in the same commit, so the first tap costs one fsync.
        """
        moment = _moment(now)
        ballot_id = str(uuid7(int(moment.timestamp() * 1000)))
        first = json.loads(json.dumps(dict(answers or {}), ensure_ascii=False))

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO ballots (id, survey_id, survey_version, staff_id, lang, started_at, updated_ts,"
                " answers, complete) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ballot_id,
                    survey_id,
                    survey_version,
                    staff_id,
                    lang,
                    _rfc3339(moment),
                    moment.timestamp(),
                    json.dumps(first, ensure_ascii=False),
                    int(first.get(OVERALL_ID) is not None),
                ),
            )
            for question_id, value in first.items():
                if value is not None:
                    self._count(conn, survey_id, question_id, 1)

        self._write(write, ballot_id, "start", *first)
        return ballot_id

    def record_answer(self, ballot_id: str, question_id: str, value: Any) -> None:
        """Store (or replace) one answer of an open ballot; null means skipped."""
        encoded = json.dumps(value, ensure_ascii=False)

        def write(conn: sqlite3.Connection) -> None:
            row = self._open_row(conn, ballot_id, "answers, survey_id")
            answers = json.loads(row[0])
            before = answers.get(question_id)
            answers[question_id] = json.loads(encoded)
            delta = (value is not None) - (before is not None)
            if delta:
                self._count(conn, row[1], question_id, delta)
            conn.execute(
                "UPDATE ballots SET answers = ?, complete = ?, updated_ts = ? WHERE id = ?",
                (
                    json.dumps(answers, ensure_ascii=False),
                    int(answers.get(OVERALL_ID) is not None),
                    time.time(),
                    ballot_id,
                ),
            )

        self._write(write, ballot_id, question_id)

    def forget_answer(self, ballot_id: str, question_id: str) -> None:
        """Remove one answer of an open ballot: a skipped checklist is absent, never null (the protocol
        knows only a list there, `[]` meaning "none of these")."""

        def write(conn: sqlite3.Connection) -> None:
            row = self._open_row(conn, ballot_id, "answers, survey_id")
            answers = json.loads(row[0])
            if question_id not in answers:
                return
            if answers.pop(question_id) is not None:
                self._count(conn, row[1], question_id, -1)
            conn.execute(
                "UPDATE ballots SET answers = ?, updated_ts = ? WHERE id = ?",
                (json.dumps(answers, ensure_ascii=False), time.time(), ballot_id),
            )

        self._write(write, ballot_id, question_id)

    def set_staff(self, ballot_id: str, staff_id: str | None) -> None:
        """Change the officer of an open ballot (None = "không rõ")."""

        def write(conn: sqlite3.Connection) -> None:
            self._open_row(conn, ballot_id, "seq")
            conn.execute(
                "UPDATE ballots SET staff_id = ?, updated_ts = ? WHERE id = ?",
                (staff_id, time.time(), ballot_id),
            )

        self._write(write, ballot_id, "staff")

    def set_comment(self, ballot_id: str, comment: str | None, contact: dict[str, Any] | None) -> None:
        """Store the comment and contact (only ever given with consent) of an open ballot."""

        def write(conn: sqlite3.Connection) -> None:
            self._open_row(conn, ballot_id, "seq")
            conn.execute(
                "UPDATE ballots SET comment = ?, contact = ?, updated_ts = ? WHERE id = ?",
                (
                    comment,
                    json.dumps(contact, ensure_ascii=False) if contact is not None else None,
                    time.time(),
                    ballot_id,
                ),
            )

        self._write(write, ballot_id, "comment")

    def add_flags(self, ballot_id: str, flags: Iterable[str]) -> None:
        """Add flags (e.g. "burst") to a ballot, whatever its status; repeats are ignored."""
        new = list(flags)
        if not new:
            return

        def write(conn: sqlite3.Connection) -> None:
            row = conn.execute("SELECT flags FROM ballots WHERE id = ?", (ballot_id,)).fetchone()
            if row is None:
                raise KeyError(f"no ballot {ballot_id}")
            merged = list(dict.fromkeys([*json.loads(row[0]), *new]))
            conn.execute("UPDATE ballots SET flags = ? WHERE id = ?", (json.dumps(merged), ballot_id))

        self._write(write, ballot_id, "flags")

    def finish_ballot(self, ballot_id: str, now: datetime | None = None) -> None:
        """Submit an open ballot (tong_the answered): it becomes pending. A second call is a no-op."""
        moment = _moment(now)

        def write(conn: sqlite3.Connection) -> None:
            row = conn.execute("SELECT status, complete FROM ballots WHERE id = ?", (ballot_id,)).fetchone()
            if row is None:
                raise KeyError(f"no ballot {ballot_id}")
            if row[0] != "open":
                return
            if not row[1]:
                raise ValueError(f"ballot {ballot_id} has no answer to {OVERALL_ID} and cannot be submitted")
            self._submit(conn, ballot_id, moment)

        self._write(write, ballot_id, "finish")

    def abandon_ballot(self, ballot_id: str, now: datetime | None = None) -> str:
        """Idle timeout: keep the ballot as submitted if tong_the was answered, else delete it.

        Returns "kept" or "discarded"; a ballot already submitted is "kept" and left alone.
        """
        moment = _moment(now)
        outcome: list[str] = []

        def write(conn: sqlite3.Connection) -> None:
            row = conn.execute("SELECT status, complete FROM ballots WHERE id = ?", (ballot_id,)).fetchone()
            if row is None:
                outcome.append("discarded")
            elif row[0] != "open":
                outcome.append("kept")
            elif row[1]:
                self._submit(conn, ballot_id, moment)
                outcome.append("kept")
            else:
                self._discard(conn, ballot_id)
                outcome.append("discarded")

        self._write(write, ballot_id, "abandon")
        return outcome[0]

    def recover_open_ballots(self, now: datetime | None = None) -> dict[str, int]:
        """At start-up, close ballots left open by a crash or power cut, as the idle timeout would.

        A kept ballot's submitted_at is its last tap. Returns {"kept": k, "discarded": d}.
        """
        del now  # the last tap's time is truer than the restart's
        result = {"kept": 0, "discarded": 0}

        def write(conn: sqlite3.Connection) -> None:
            rows = conn.execute(
                "SELECT id, complete, updated_ts FROM ballots WHERE status = 'open' ORDER BY seq"
            ).fetchall()
            for ballot_id, complete, updated_ts in rows:
                if complete:
                    self._submit(conn, ballot_id, datetime.fromtimestamp(updated_ts, UTC))
                    result["kept"] += 1
                else:
                    self._discard(conn, ballot_id)
                    result["discarded"] += 1

        self._write(write, None, "recover")
        return result

    def answer_counts(self, survey_id: str) -> dict[str, int]:
        """Non-null answers per question of a survey on this device (for rotation); purges keep them."""
        rows = self._read(
            lambda c: c.execute(
                "SELECT question_id, n FROM answer_counts WHERE survey_id = ?", (survey_id,)
            ).fetchall()
        )
        return {qid: n for qid, n in rows}

    def counts_by_status(self) -> dict[str, int]:
        """Ballots per status, every status present: open, pending, synced, conflict, rejected."""
        rows = self._read(lambda c: c.execute("SELECT status, n FROM status_counts").fetchall())
        counts = dict.fromkeys(STATUSES, 0)
        counts.update({status: n for status, n in rows})
        return counts

    def ballot(self, ballot_id: str) -> dict[str, Any] | None:
        """One ballot as a Response dict plus status, error, complete and flags; None if unknown."""
        row = self._read(
            lambda c: c.execute(f"SELECT {_COLUMNS} FROM ballots WHERE id = ?", (ballot_id,)).fetchone()
        )
        return _ballot_dict(row) if row is not None else None

    def ballots(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest ballots, newest first (admin screen, tests)."""
        rows = self._read(
            lambda c: c.execute(
                f"SELECT {_COLUMNS} FROM ballots ORDER BY seq DESC LIMIT ?", (limit,)
            ).fetchall()
        )
        return [_ballot_dict(r) for r in rows]

    # sync side

    def pending_batch(self, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` pending complete ballots as protocol Response dicts, oldest seq first.

        Each dict also carries "flags" (e.g. ["burst"]), which the payload may send as an added field.
        """
        rows = self._read(
            lambda c: c.execute(
                f"SELECT {_COLUMNS} FROM ballots WHERE status = 'pending' AND complete = 1"
                " ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        )
        batch = []
        for row in rows:
            item = _ballot_dict(row)
            for local in ("status", "error", "complete"):
                del item[local]
            batch.append(item)
        return batch

    def mark_results(self, results: Iterable[tuple[str, str, str | None]]) -> None:
        """Apply the server's per-item results: created/duplicate → synced, conflict, rejected (+ error).

        With a `retention`, synced ballots older than it are purged in the same commit.
        """
        items = []
        for ballot_id, result, error in results:
            if result not in _RESULT_STATUS:
                raise ValueError(f"unknown sync result {result!r} for ballot {ballot_id}")
            items.append((ballot_id, _RESULT_STATUS[result], error))
        stamp = time.time()

        def write(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "UPDATE ballots SET status = ?, error = ?,"
                " synced_ts = CASE WHEN ? = 'synced' THEN ? ELSE synced_ts END"
                " WHERE id = ? AND status != 'open'",
                [(status, error, status, stamp, bid) for bid, status, error in items],
            )
            if self.retention is not None:
                _purge(conn, stamp - self.retention.total_seconds())

        self._write(write, None, "results")

    def purge_synced(self, older_than: timedelta, now: datetime | None = None) -> int:
        """Delete synced ballots whose sync is older than `older_than`; returns how many went."""
        cutoff = _moment(now).timestamp() - older_than.total_seconds()
        deleted: list[int] = []

        def write(conn: sqlite3.Connection) -> None:
            deleted.append(_purge(conn, cutoff))

        self._write(write, None, "purge")
        return deleted[0]

    def reconcile_ledger(self, max_seq: int | None, missing: Iterable[Sequence[int]]) -> tuple[int, int]:
        """Compare the server's ledger with this store: re-queue what it lacks; count what is lost.

        Every ballot marked synced whose seq is above `max_seq` (or any, when the server holds none)
        or inside a missing range goes back to pending. Returns (re-queued, lost): lost are seqs the
        server lacks whose ballot this store purged after its retention — gone on both sides.
        """
        ranges = [(int(r[0]), int(r[1])) for r in missing]
        result: list[int] = []

        def write(conn: sqlite3.Connection) -> None:
            above = -1 if max_seq is None else max_seq
            moved = conn.execute(
                "UPDATE ballots SET status = 'pending', error = NULL WHERE status = 'synced' AND seq > ?",
                (above,),
            ).rowcount
            lost = conn.execute("SELECT count(*) FROM gone_seqs WHERE why = 'purged' AND seq > ?", (above,))
            lost_n = int(lost.fetchone()[0])
            for lo, hi in ranges:
                moved += conn.execute(
                    "UPDATE ballots SET status = 'pending', error = NULL"
                    " WHERE status = 'synced' AND seq BETWEEN ? AND ?",
                    (lo, hi),
                ).rowcount
                lost_n += int(
                    conn.execute(
                        "SELECT count(*) FROM gone_seqs WHERE why = 'purged' AND seq BETWEEN ? AND ?",
                        (lo, hi),
                    ).fetchone()[0]
                )
            result.extend((moved, lost_n))

        self._write(write, None, "ledger")
        return result[0], result[1]

    # key-value settings

    def get(self, key: str, default: str | None = None) -> str | None:
        """A saved setting (server_url, token, config_json, last_sync_at…) or `default`."""
        row = self._read(lambda c: c.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone())
        return row[0] if row is not None else default

    def set(self, key: str, value: str | None) -> None:
        """Save a setting durably; None removes it."""

        def write(conn: sqlite3.Connection) -> None:
            if value is None:
                conn.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                conn.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

        self._write(write, None, None)

    def next_number(self, key: str) -> int:
        """Add one to the counter setting `key` (0 when absent) and return it, in one durable commit."""
        result: list[int] = []

        def write(conn: sqlite3.Connection) -> None:
            row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
            number = (int(row[0]) if row is not None and str(row[0]).isdigit() else 0) + 1
            conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, str(number)),
            )
            result.append(number)

        self._write(write, None, None)
        return result[0]

    def probe(self) -> bool:
        """Try one small durable write; True (and the fault cleared) when the store works again."""
        try:
            self.set("last_probe_at", _rfc3339(_moment(None)))
        except StoreUnavailable:
            return False
        return True

    # internals

    def _write(
        self, body: Callable[[sqlite3.Connection], None], ballot_id: str | None, *what: str | None
    ) -> None:
        with self._lock, self._transaction() as conn:
            body(conn)
        self._commits += 1
        if self._commits % _CHECKPOINT_EVERY == 0:
            self._request_checkpoint()
        if self.trace is not None and ballot_id is not None:
            # The tap is already durable: a closed trace reader must not turn it into an error.
            with suppress(OSError, ValueError):
                self.trace.write("".join(f"stored {ballot_id} {item}\n" for item in what if item is not None))
                self.trace.flush()

    def _request_checkpoint(self) -> None:
        if self._closing:
            return
        if self._checkpointer is None:
            self._checkpointer = threading.Thread(
                target=self._checkpoint_loop, name="kiosk-store-checkpoint", daemon=True
            )
            self._checkpointer.start()
        self._checkpoint_wanted.set()

    def _checkpoint_loop(self) -> None:
        """Copy the WAL into the database on a connection of its own, so no tap waits for it."""
        conn: sqlite3.Connection | None = None
        while True:
            self._checkpoint_wanted.wait()
            self._checkpoint_wanted.clear()
            if self._closing:
                break
            try:
                if conn is None:
                    conn = sqlite3.connect(
                        self.path, isolation_level=None, check_same_thread=False, timeout=10
                    )
                    conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:
                pass  # a real storage fault shows on the next tap's commit; retry at the next request
        if conn is not None:
            conn.close()

    def _read(self, body: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            conn = self._connection()
            try:
                return body(conn)
            except sqlite3.Error as exc:
                raise self._unavailable(exc) from exc

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._unavailable(exc) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            # SQLite may already have rolled back (e.g. SQLITE_FULL); the original error matters.
            with suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise self._unavailable(exc) from exc
            raise
        self.fault = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreUnavailable("the kiosk store is closed")
        return self._conn

    def _unavailable(self, exc: BaseException) -> StoreUnavailable:
        message = str(exc)
        lowered = message.lower()
        if "full" in lowered or getattr(exc, "errno", None) == 28:
            reason = "disk full"
        elif "readonly" in lowered or "read-only" in lowered or isinstance(exc, PermissionError):
            reason = "read-only storage"
        elif "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
            reason = "database damaged"
        elif _read_only(self.path):
            reason = "read-only storage"
        else:
            reason = "storage error"
        self.fault = f"{reason}: {message} ({self.path})"
        return StoreUnavailable(self.fault)

    @staticmethod
    def _open_row(conn: sqlite3.Connection, ballot_id: str, columns: str) -> tuple[Any, ...]:
        row = conn.execute(f"SELECT status, {columns} FROM ballots WHERE id = ?", (ballot_id,)).fetchone()
        if row is None:
            raise KeyError(f"no ballot {ballot_id}")
        if row[0] != "open":
            raise ValueError(f"ballot {ballot_id} is already submitted ({row[0]})")
        return tuple(row[1:])

    @staticmethod
    def _count(conn: sqlite3.Connection, survey_id: str, question_id: str, delta: int) -> None:
        if delta > 0:
            conn.execute(
                "INSERT INTO answer_counts (survey_id, question_id, n) VALUES (?, ?, ?)"
                " ON CONFLICT (survey_id, question_id) DO UPDATE SET n = n + excluded.n",
                (survey_id, question_id, delta),
            )
        else:
            conn.execute(
                "UPDATE answer_counts SET n = max(n + ?, 0) WHERE survey_id = ? AND question_id = ?",
                (delta, survey_id, question_id),
            )

    @staticmethod
    def _submit(conn: sqlite3.Connection, ballot_id: str, moment: datetime) -> None:
        conn.execute(
            "UPDATE ballots SET status = 'pending', submitted_at = ? WHERE id = ?",
            (_rfc3339(moment), ballot_id),
        )

    def _discard(self, conn: sqlite3.Connection, ballot_id: str) -> None:
        row = conn.execute("SELECT survey_id, answers FROM ballots WHERE id = ?", (ballot_id,)).fetchone()
        for qid, value in json.loads(row[1]).items():
            if value is not None:
                self._count(conn, row[0], qid, -1)
        conn.execute(
            "INSERT OR REPLACE INTO gone_seqs (seq, why) SELECT seq, 'discarded' FROM ballots WHERE id = ?",
            (ballot_id,),
        )
        conn.execute("DELETE FROM ballots WHERE id = ?", (ballot_id,))


def _read_only(path: Path) -> bool:
    """True when the file's folder (or its nearest existing parent) cannot be written."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    return not os.access(folder, os.W_OK)


_COLUMNS = (
    "id, seq, survey_id, survey_version, staff_id, started_at, submitted_at, answers, comment, contact,"
    " lang, flags, status, error, complete"
)


def _ballot_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    (bid, seq, survey_id, version, staff_id, started, submitted, answers, comment, contact, lang, flags,
     status, error, complete) = row  # fmt: skip
    return {
        "id": bid,
        "seq": seq,
        "survey_id": survey_id,
        "survey_version": version,
        "staff_id": staff_id,
        "started_at": started,
        "submitted_at": submitted,
        "answers": json.loads(answers),
        "comment": comment,
        "contact": json.loads(contact) if contact is not None else None,
        "lang": lang,
        "flags": json.loads(flags),
        "status": status,
        "error": error,
        "complete": bool(complete),
    }


def _purge(conn: sqlite3.Connection, cutoff: float) -> int:
    """Delete synced ballots synced before `cutoff`, remembering their seqs; returns how many went."""
    conn.execute(
        "INSERT OR REPLACE INTO gone_seqs (seq, why)"
        " SELECT seq, 'purged' FROM ballots WHERE status = 'synced' AND synced_ts < ?",
        (cutoff,),
    )
    return conn.execute("DELETE FROM ballots WHERE status = 'synced' AND synced_ts < ?", (cutoff,)).rowcount


def _moment(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    # A naive time is the device's local time.
    return now if now.tzinfo is not None else now.astimezone()


def _rfc3339(moment: datetime) -> str:
    """The device's local time with its offset, e.g. 2024-09-03T08:15:02+07:00."""
    return moment.astimezone().isoformat(timespec="seconds")


_uuid_lock = threading.Lock()
_uuid_last = [0, 0]  # last millisecond, last 12-bit counter


def uuid7(now_ms: int | None = None) -> uuid.UUID:
    """A time-ordered UUID version 7 (RFC 9562); ids made in this process never go backwards.

    >>> uuid7(1_700_000_000_000).version
    7
    """
    ms = int(time.time() * 1000) if now_ms is None else int(now_ms)
    with _uuid_lock:
        last_ms, last_counter = _uuid_last
        if ms <= last_ms:
            # Same (or earlier) millisecond: count up in rand_a so order follows creation (method 1).
            ms, counter = last_ms, last_counter + 1
            if counter > 0xFFF:
                ms, counter = last_ms + 1, int.from_bytes(os.urandom(2)) & 0x7FF
        else:
            counter = int.from_bytes(os.urandom(2)) & 0x7FF  # room left to count up
        _uuid_last[0], _uuid_last[1] = ms, counter
    rand_b = int.from_bytes(os.urandom(8)) & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_pin(pin: str) -> str:
    """A salted scrypt hash of the admin PIN, safe to keep in the settings table.

    >>> verify_pin("2468", hash_pin("2468"))
    True
    """
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, dklen=32, **_SCRYPT)
    n, r, p = _SCRYPT["n"], _SCRYPT["r"], _SCRYPT["p"]
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_pin(pin: str, hashed: str) -> bool:
    """True when `pin` matches a hash_pin() value; False for a wrong PIN or a malformed hash."""
    try:
        scheme, n, r, p, salt, digest = hashed.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            pin.encode(), salt=base64.b64decode(salt), dklen=len(expected), n=int(n), r=int(r), p=int(p)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")

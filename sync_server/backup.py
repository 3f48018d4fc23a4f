"""Backups and restores of the server's database, safe while the server runs.

    report = backup_database(url, Path("bao-luu.db"))       # SQLite online backup API, or pg_dump
    print(report.summary())
    kept = rotation_to_keep(stamps, parse_keep("7d,4w,12m"))  # which dated backups a rotation keeps
    restore_database(url, Path("bao-luu.db"))               # refuses while a server uses the database

SQLite is copied page by page through `sqlite3.Connection.backup`, which reads a consistent snapshot
that includes what is still in the `-wal` file (a file copy misses it); PostgreSQL through `pg_dump
--format=custom`. Every backup is checked after writing (integrity check or the dump's table of
contents, and row counts). A serving process holds a shared lock on `<database>.lock` (SQLite), and a
restore takes it exclusively, so a restore can never swap the file under a running server.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy.engine import URL, make_url

__all__ = [
    "COUNTED_TABLES",
    "BackupError",
    "BackupReport",
    "backup_database",
    "backup_into_rotation",
    "parse_keep",
    "restore_database",
    "rotation_to_keep",
    "serving_lock",
]

# The tables whose row counts a backup and a restore print: what an IT officer can check by eye.
COUNTED_TABLES = ("unit", "staff", "device", "response", "response_quarantine", "response_conflict", "user")
STAMP = "%Y%m%d-%H%M%S"
NAME = re.compile(r"^survey-(\d{8}-\d{6})\.(db|dump)$")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is one sentence for the operator."""


@dataclass
class BackupReport:
    """What was written or restored, and what the check found."""

    path: Path
    kind: str  # "sqlite" | "postgresql"
    size: int
    check: str
    counts: dict[str, int] = field(default_factory=dict)
    removed: list[Path] = field(default_factory=list)

    def summary(self, verb: str = "Backup written to") -> str:
        counts = ", ".join(f"{table} {n:,}".replace(",", ".") for table, n in self.counts.items())
        lines = [f"{verb} {self.path} ({self.size / 1e6:.1f} MB, {self.kind}): {self.check}; {counts}."]
        lines += [f"Old backup removed by the rotation: {path}" for path in self.removed]
        return "\n".join(lines)


# --- where the database is ---------------------------------------------------------------------


def _url(database_url: str) -> URL:
    try:
        return make_url(database_url)
    except Exception:
        raise BackupError(f"SURVEY_DATABASE_URL {database_url!r} is not a database URL.") from None


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(url.database)


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


@contextmanager
def serving_lock(database_url: str) -> Iterator[None]:
    """Held by `survey-server serve` for its lifetime (shared: several workers may hold it)."""
    url = _url(database_url)
    if not _is_sqlite(url) or not url.database or url.database == ":memory:":
        yield
        return
    path = _lock_path(_sqlite_path(url))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- SQLite -------------------------------------------------------------------------------------


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {
        t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])
        for t in COUNTED_TABLES
        if t in present
    }


def _check_sqlite_file(path: Path) -> tuple[str, dict[str, int]]:
    """Integrity check and row counts of a SQLite file; BackupError when it is not a sound database."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} cannot be opened as a SQLite database ({exc}).") from None
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"{path} failed SQLite's integrity check ({result}).")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "alembic_version" not in tables:
            raise BackupError(f"{path} is a SQLite file but not a survey-server database.")
        return "integrity ok", _sqlite_counts(conn)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a sound SQLite database ({exc}).") from None
    finally:
        conn.close()


def _backup_sqlite(source: Path, out: Path) -> BackupReport:
    if not source.exists():
        raise BackupError(f"The database {source} does not exist: run `survey-server init` first.")
    tmp = out.with_name(f".{out.name}.part")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(tmp)
        try:
            # Copies pages in steps; the WAL's committed pages are part of what it reads.
            src.backup(dst, pages=4096)
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        raise BackupError(f"The backup of {source} failed ({exc}).") from None
    finally:
        src.close()
    try:
        check, counts = _check_sqlite_file(tmp)
    except BackupError:
        tmp.unlink(missing_ok=True)
        raise
    _fsync(tmp)
    os.replace(tmp, out)
    return BackupReport(out, "SQLite online backup", out.stat().st_size, check, counts)


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _restore_sqlite(target: Path, backup: Path) -> BackupReport:
    check, counts = _check_sqlite_file(backup)
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = _lock_path(target)
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(
                f"A server is using {target}: stop `survey-server serve` first, then restore."
            ) from None
        tmp = target.with_name(f".{target.name}.restore")
        shutil.copyfile(backup, tmp)
        _fsync(tmp)
        # The old -wal and -shm belong to the old file: beside the new one they would corrupt it.
        for suffix in ("-wal", "-shm", "-journal"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        os.replace(tmp, target)
        fcntl.flock(handle, fcntl.LOCK_UN)
    return BackupReport(target, "SQLite", target.stat().st_size, check, counts)


# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_env(url: URL) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for key, value in (
        ("PGHOST", url.host),
        ("PGPORT", str(url.port) if url.port else None),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value:
            env[key] = str(value)
    return env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed: install Debian's postgresql-client package.")
    return found


def _run(args: list[str], env: dict[str, str], what: str, stdout: IO[bytes] | None = None) -> str:
    done = subprocess.run(
        args, env=env, stdout=stdout or subprocess.PIPE, stderr=subprocess.PIPE, check=False
    )
    if done.returncode != 0:
        first = (done.stderr.decode(errors="replace").strip().splitlines() or ["no message"])[0]
        raise BackupError(f"{what} failed: {first}")
    return done.stdout.decode(errors="replace") if stdout is None and done.stdout else ""


def _pg_counts(database_url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            return {
                t: int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one())
                for t in COUNTED_TABLES
                if t in present
            }
    finally:
        engine.dispose()


def _backup_pg(database_url: str, url: URL, out: Path) -> BackupReport:
    env = _pg_env(url)
    tmp = out.with_name(f".{out.name}.part")
    counts = _pg_counts(database_url)
    _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={tmp}"], env, "pg_dump")
    try:
        listing = _run([_pg_tool("pg_restore"), "--list", str(tmp)], env, "Reading the dump back")
    except BackupError:
        tmp.unlink(missing_ok=True)
        raise
    entries = sum(1 for line in listing.splitlines() if line and not line.startswith(";"))
    if " TABLE DATA " not in listing or "alembic_version" not in listing:
        tmp.unlink(missing_ok=True)
        raise BackupError("The dump holds no survey-server tables: check SURVEY_DATABASE_URL.")
    _fsync(tmp)
    os.replace(tmp, out)
    check = f"pg_restore reads {entries} entries"
    return BackupReport(out, "PostgreSQL pg_dump custom format", out.stat().st_size, check, counts)


def _restore_pg(database_url: str, url: URL, backup: Path) -> BackupReport:
    from sqlalchemy import create_engine, text

    env = _pg_env(url)
    _run([_pg_tool("pg_restore"), "--list", str(backup)], env, f"Reading {backup}")
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            others = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    if others:
        raise BackupError(
            f"{others} other connection(s) use the database {url.database}: stop `survey-server serve` first."
        )
    args = [_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction"]
    _run([*args, f"--dbname={url.database}", str(backup)], env, "pg_restore")
    counts = _pg_counts(database_url)
    return BackupReport(backup, "PostgreSQL", backup.stat().st_size, "restored in one transaction", counts)


# --- the public commands' work ------------------------------------------------------------------


def backup_database(database_url: str, out: Path) -> BackupReport:
    """Write a checked backup of the database to `out` (replaced atomically when it exists)."""
    url = _url(database_url)
    if out.is_dir():
        raise BackupError(f"{out} is a folder: give a file name, or use --dir for dated backups.")
    if not out.parent.is_dir():
        raise BackupError(f"The folder {out.parent} does not exist.")
    if _is_sqlite(url):
        return _backup_sqlite(_sqlite_path(url), out)
    if url.get_backend_name() == "postgresql":
        return _backup_pg(database_url, url, out)
    raise BackupError(f"Backups of {url.get_backend_name()} databases are not supported.")


def restore_database(database_url: str, backup: Path) -> BackupReport:
    """Replace the database with `backup`; refuses while a server uses it."""
    url = _url(database_url)
    if not backup.is_file():
        raise BackupError(f"The backup {backup} does not exist.")
    if _is_sqlite(url):
        return _restore_sqlite(_sqlite_path(url), backup)
    if url.get_backend_name() == "postgresql":
        return _restore_pg(database_url, url, backup)
    raise BackupError(f"Restores of {url.get_backend_name()} databases are not supported.")


def parse_keep(text: str) -> dict[str, int]:
    """`"7d,4w,12m"` -> {"d": 7, "w": 4, "m": 12}: keep the newest backup of each of the last 7 days, …

    >>> parse_keep("7d,4w,12m")
    {'d': 7, 'w': 4, 'm': 12}
    """
    rules: dict[str, int] = {}
    for part in text.replace(" ", "").split(","):
        match = re.fullmatch(r"(\d+)([dwm])", part)
        if not match or int(match.group(1)) == 0:
            raise BackupError(
                f"--keep {text!r} is not a rotation: write it like 7d,4w,12m (days, weeks, months)."
            )
        rules[match.group(2)] = int(match.group(1))
    return rules


def _bucket(stamp: dt.datetime, unit: str) -> tuple[int, ...]:
    if unit == "d":
        return (stamp.year, stamp.month, stamp.day)
    if unit == "w":
        iso = stamp.isocalendar()
        return (iso.year, iso.week)
    return (stamp.year, stamp.month)


def rotation_to_keep(stamps: Iterable[dt.datetime], rules: dict[str, int]) -> set[dt.datetime]:
    """The backups a rotation keeps: per rule, the newest backup of each of the N newest days/weeks/months.

    >>> days = [dt.datetime(2026, 12, d, 2) for d in range(1, 11)]
    >>> sorted(s.day for s in rotation_to_keep(days, {"d": 3, "m": 1}))
    [8, 9, 10]
    """
    ordered = sorted(set(stamps), reverse=True)
    keep: set[dt.datetime] = set()
    for unit, count in rules.items():
        seen: list[tuple[int, ...]] = []
        for stamp in ordered:
            bucket = _bucket(stamp, unit)
            if bucket in seen:
                continue
            if len(seen) == count:
                break
            seen.append(bucket)
            keep.add(stamp)
    return keep


def backup_into_rotation(database_url: str, folder: Path, keep: str, now: dt.datetime) -> BackupReport:
    """A dated backup `survey-YYYYMMDD-HHMMSS.db|dump` in `folder`, then the rotation's pruning."""
    rules = parse_keep(keep)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = "db" if _is_sqlite(_url(database_url)) else "dump"
    report = backup_database(database_url, folder / f"survey-{now:{STAMP}}.{suffix}")
    dated = {}
    for path in folder.iterdir():
        match = NAME.match(path.name)
        if match:
            dated[dt.datetime.strptime(match.group(1), STAMP)] = path
    kept = rotation_to_keep(dated, rules)
    for stamp, path in sorted(dated.items()):
        if stamp not in kept and path != report.path:
            path.unlink()
            report.removed.append(path)
    return report

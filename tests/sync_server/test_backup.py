"""`survey-server backup` and `restore` as real processes, beside a real `serve`, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from sync_server.backup import BackupError, parse_keep, rotation_to_keep

BIN = Path(sys.executable).parent / "survey-server"


def run(cwd: Path, db: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.update(SURVEY_DATABASE_URL=db, SURVEY_DATA_DIR=str(cwd / "data"), SURVEY_SECRET_KEY="backup-tests")
    return subprocess.run(
        [str(BIN), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180, check=False
    )


def one_sentence(done: subprocess.CompletedProcess[str], words: str) -> None:
    assert done.returncode != 0, done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert "Traceback" not in done.stderr and len(lines) == 1, done.stderr
    assert words in lines[0], lines[0]


@contextmanager
def serving(cwd: Path, db: str) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.update(SURVEY_DATABASE_URL=db, SURVEY_DATA_DIR=str(cwd / "data"), SURVEY_SECRET_KEY="backup-tests")
    proc = subprocess.Popen(
        [str(BIN), "serve", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class Kiosk:
    """A device speaking the protocol to a served database."""

    def __init__(self, url: str, code: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=60)
        enrol = self.client.post("/api/v1/devices/enrol", json={"code": code, "name": "Quầy 1"})
        assert enrol.status_code == 201, enrol.text
        self.client.headers["Authorization"] = f"Bearer {enrol.json()['token']}"
        self.survey = self.client.get("/api/v1/device/config").json()["survey"]
        self.seq = 0

    def send(self, n: int) -> list[str]:
        at = dt.datetime(2026, 9, 3, 2, 0, tzinfo=dt.UTC)
        items = []
        for _ in range(n):
            self.seq += 1
            items.append(
                {
                    "id": str(uuid.uuid4()),
                    "seq": self.seq,
                    "survey_id": self.survey["id"],
                    "survey_version": self.survey["version"],
                    "staff_id": None,
                    "started_at": (at + dt.timedelta(minutes=self.seq)).isoformat(),
                    "submitted_at": (at + dt.timedelta(minutes=self.seq, seconds=40)).isoformat(),
                    "answers": {"tong_the": 1 + self.seq % 5},
                    "comment": None,
                    "contact": None,
                    "lang": "vi",
                }
            )
        reply = self.client.post("/api/v1/device/responses", json={"responses": items})
        assert reply.status_code == 200, reply.text
        assert {r["status"] for r in reply.json()["results"]} == {"created"}
        return [item["id"] for item in items]


def prepared(cwd: Path, db: str) -> str:
    """`init`, a unit, and an enrolment code; returns the code."""
    assert run(cwd, db, "init").returncode == 0
    assert run(cwd, db, "unit", "add", "XA01", "Xã Hòa Bình").returncode == 0
    code = run(cwd, db, "device", "code", "XA01").stdout.strip()
    assert code
    return code


def sqlite_ids(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM response")}


# --- SQLite -------------------------------------------------------------------------------------


def test_a_backup_while_serving_holds_every_acknowledged_ballot_and_restore_puts_it_back(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "server.db"
    db = f"sqlite:///{db_path}"
    code = prepared(tmp_path, db)
    with serving(tmp_path, db) as url:
        kiosk = Kiosk(url, code)
        before = set(kiosk.send(300))
        # The acknowledged ballots are still in the WAL: a plain copy of server.db would miss them.
        assert (tmp_path / "server.db-wal").stat().st_size > 0
        done = run(tmp_path, db, "backup", "--out", "bao-luu.db")
        assert done.returncode == 0, done.stderr
        assert "integrity ok" in done.stdout and "response 300" in done.stdout, done.stdout
        assert sqlite_ids(tmp_path / "bao-luu.db") == before
        after = set(kiosk.send(50))
        one_sentence(run(tmp_path, db, "restore", "bao-luu.db"), "stop `survey-server serve` first")
        stale_wal = (tmp_path / "server.db-wal").read_bytes()
    assert len(sqlite_ids(db_path)) == 350, "the refused restore changed nothing"
    # An old -wal beside the file (a copy left by hand) must not be applied to the restored one.
    (tmp_path / "server.db-wal").write_bytes(stale_wal)
    done = run(tmp_path, db, "restore", "bao-luu.db")
    assert done.returncode == 0, done.stderr
    assert "response 300" in done.stdout and "ledger" in done.stdout, done.stdout
    assert sqlite_ids(db_path) == before and not before & after
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with serving(tmp_path, db) as url:
        assert httpx.get(f"{url}/healthz").status_code == 200


def test_a_rotation_keeps_days_weeks_and_months(tmp_path: Path) -> None:
    stamps = [dt.datetime(2026, 1, 1, 2) + dt.timedelta(days=d) for d in range(120)]
    kept = rotation_to_keep(stamps, parse_keep("7d,4w,3m"))
    newest = stamps[-1]
    assert {s for s in kept if newest - s < dt.timedelta(days=7)} == set(stamps[-7:])
    # One per ISO week for the 4 newest weeks, one per month for the 3 newest months: the newest of each.
    assert dt.datetime(2026, 2, 28, 2) in kept and dt.datetime(2026, 2, 27, 2) not in kept
    assert dt.datetime(2026, 1, 31, 2) not in kept  # January is the fourth month back
    assert len(kept) <= 7 + 4 + 3
    with pytest.raises(BackupError, match="7d,4w,12m"):
        parse_keep("7 ngày")


def test_backup_into_a_folder_prunes_by_the_rotation(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'server.db'}"
    prepared(tmp_path, db)
    folder = tmp_path / "backups"
    folder.mkdir()
    for day in range(1, 6):  # five old daily backups from the first days of a month long ago
        (folder / f"survey-202401{day:02d}-020000.db").write_bytes(b"old")
    done = run(tmp_path, db, "backup", "--dir", str(folder), "--keep", "2d")
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 2 and names[0] == "survey-20240105-020000.db", names
    assert "Old backup removed" in done.stdout


def test_the_nightly_job_writes_a_backup_when_a_folder_is_set(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'server.db'}"
    prepared(tmp_path, db)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.update(SURVEY_DATABASE_URL=db, SURVEY_BACKUP_DIR=str(tmp_path / "dem"), SURVEY_DATA_DIR=str(tmp_path))
    done = subprocess.run(
        [str(BIN), "nightly"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    files = list((tmp_path / "dem").glob("survey-*.db"))
    assert len(files) == 1 and "integrity ok" in done.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["backup"], "--out FILE or --dir DIR"),
        (["backup", "--out", "."], "is a folder"),
        (["backup", "--out", "khong-co/x.db"], "does not exist"),
        (["backup", "--dir", "d", "--keep", "mai"], "7d,4w,12m"),
        (["restore", "khong-co.db"], "does not exist"),
        (["restore", "rac.db"], "not a sound SQLite database"),
        (["restore", "khac.db"], "not a survey-server database"),
    ],
)
def test_mistakes_are_one_sentence_and_change_nothing(tmp_path: Path, args: list[str], words: str) -> None:
    db_path = tmp_path / "server.db"
    db = f"sqlite:///{db_path}"
    prepared(tmp_path, db)
    (tmp_path / "rac.db").write_bytes(b"not a database at all" * 100)
    with sqlite3.connect(tmp_path / "khac.db") as other:
        other.execute("CREATE TABLE t (x)")
    before = db_path.read_bytes()
    one_sentence(run(tmp_path, db, *args), words)
    assert db_path.read_bytes() == before


# --- PostgreSQL ---------------------------------------------------------------------------------


@pytest.fixture()
def pg_url() -> Iterator[str]:
    """A database of its own (a restore replaces every table), dropped afterwards."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    admin = os.environ.get("SURVEY_TEST_PG_URL")
    if not admin:
        pytest.skip(
            "SURVEY_TEST_PG_URL is not set: PostgreSQL tests need a server URL to create databases on"
        )
    if shutil.which("pg_dump") is None:
        pytest.fail("pg_dump is missing: scripts/bootstrap installs Debian's postgresql-client")
    name = f"survey_backup_{secrets.token_hex(4)}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


@pytest.mark.postgres
def test_backup_and_restore_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    from sqlalchemy import create_engine, text

    code = prepared(tmp_path, pg_url)
    with serving(tmp_path, pg_url) as url:
        kiosk = Kiosk(url, code)
        before = set(kiosk.send(200))
        done = run(tmp_path, pg_url, "backup", "--out", "bao-luu.dump")
        assert done.returncode == 0, done.stderr
        assert "pg_restore reads" in done.stdout and "response 200" in done.stdout, done.stdout
        kiosk.send(30)
        one_sentence(run(tmp_path, pg_url, "restore", "bao-luu.dump"), "stop `survey-server serve` first")
    done = run(tmp_path, pg_url, "restore", "bao-luu.dump")
    assert done.returncode == 0, done.stderr
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        ids = {str(row[0]) for row in conn.execute(text("SELECT id FROM response"))}
    engine.dispose()
    assert ids == before
    with serving(tmp_path, pg_url) as url:
        assert httpx.get(f"{url}/healthz").status_code == 200

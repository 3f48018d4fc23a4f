"""A real `survey-server serve` process SIGKILLed in the middle of a 5,000-ballot batch, restarted, and
the batch replayed: every ballot is stored exactly once and the tallies equal the index engine's.

The kills land at different moments: while the body is still streaming in (SQLite run), the instant the
ingest transaction takes its write lock, 150 ms into that transaction, and right after the reply.
On SQLite the test sees the transaction by failing to take the write lock itself; on PostgreSQL by
the server's backend holding a transaction id.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_helpers import populate
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlmodel import Session, col

from surveys.loader import Survey
from sync_server import indices as ix
from sync_server.admin import create_enrolment_code
from sync_server.db import make_engine, write_session
from sync_server.models import Response, Tally, TallyBallots, utcnow
from sync_server.settings import Settings

BIN = Path(sys.executable).parent / "survey-server"
BATCH = 5_000
STAFF = ["cb01", "cb02", None]
START_TIMEOUT_S = 90.0
WAIT_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """`survey-server serve` on a loopback port, started and SIGKILLed at will."""

    url: str
    folder: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        self.port = free_port()
        env = dict(os.environ) | {
            "SURVEY_DATABASE_URL": self.url,
            "SURVEY_DATA_DIR": str(self.folder / "server"),
            "SURVEY_SECRET_KEY": "fault-test",
        }
        self.starts += 1
        log = (self.folder / f"serve-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            [str(BIN), "serve", "--port", str(self.port)],
            cwd=self.folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server did not answer within {START_TIMEOUT_S} s:\n{self.log()}")

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        assert self.process.returncode == -signal.SIGKILL

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def log(self) -> str:
        return (self.folder / f"serve-{self.starts}.log").read_text(errors="replace")[-3000:]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=120)


def uuid7(at: dt.datetime, serial: int) -> str:
    """A version-7 UUID (time-ordered), as kiosks make them."""
    millis = int(at.timestamp() * 1000)
    value = (millis << 80) | (7 << 76) | (serial & ((1 << 62) - 1)) | (2 << 62)
    return str(uuid.UUID(int=value))


def make_batch(survey: Survey, first_seq: int, count: int) -> list[dict[str, Any]]:
    """`count` valid ballots 5 minutes apart (never flagged misuse), with rotated detail answers."""
    details = [q for q in survey.detail_questions if q.type in ("rating5", "checklist")]
    # Far enough back that no ballot lies in the future (that would make it clock-suspect).
    start = utcnow().replace(microsecond=0) - dt.timedelta(days=120)
    out: list[dict[str, Any]] = []
    for seq in range(first_seq, first_seq + count):
        at = start + dt.timedelta(minutes=5 * seq)
        answers: dict[str, Any] = {"tong_the": 1 + seq * 7 % 5}
        for k in range(4):
            question = details[(seq + k * 5) % len(details)]
            if question.type == "rating5":
                answers[question.id] = None if seq % 11 == k else 1 + (seq + k) % 5
            else:
                answers[question.id] = [] if seq % 3 else [question.options[seq % len(question.options)].id]
        out.append(
            {
                "id": uuid7(at, seq),
                "seq": seq,
                "survey_id": survey.id,
                "survey_version": survey.version,
                "staff_id": STAFF[seq % len(STAFF)],
                "started_at": (at - dt.timedelta(seconds=70)).isoformat(),
                "submitted_at": at.isoformat(),
                "answers": answers,
                "comment": "Cán bộ hướng dẫn tận tình" if seq % 17 == 0 else None,
                "contact": None,
                "lang": "vi",
            }
        )
    return out


def raw_request(port: int, token: str, body: bytes) -> tuple[socket.socket, bytes]:
    """An open connection and the HTTP request head for an upload of `body`."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        f"POST /api/v1/device/responses HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    return sock, head


def write_transaction_probe(url: str) -> Callable[[], bool]:
    """A function that is true while another connection holds a write transaction on the database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        conn = sqlite3.connect(str(parsed.database), timeout=0, isolation_level=None)

        def sqlite_busy() -> bool:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                assert "locked" in str(exc) or "busy" in str(exc), exc
                return True
            conn.execute("ROLLBACK")
            return False

        return sqlite_busy
    import psycopg

    pg = psycopg.connect(
        parsed.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True
    )

    def pg_busy() -> bool:
        row = pg.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
        ).fetchone()
        return bool(row and row[0])

    return pg_busy


@dataclass
class Setup:
    server: Server
    token: str
    survey: Survey
    engine: Any
    busy: Callable[[], bool]


@pytest.fixture()
def setup(server_db_url: str, tmp_path: Path) -> Iterator[Setup]:
    settings = Settings(database_url=server_db_url, data_dir=tmp_path / "server")
    engine = make_engine(server_db_url)
    survey = populate(engine, tmp_path, settings)
    with write_session(engine) as session:
        code, _ = create_enrolment_code(session, "XA01", utcnow(), 3600)
        session.commit()
    server = Server(server_db_url, tmp_path)
    server.start()
    try:
        with server.client() as client:
            reply = client.post("/api/v1/devices/enrol", json={"code": code, "name": "Quầy 1"})
            assert reply.status_code == 201, reply.text
        yield Setup(server, reply.json()["token"], survey, engine, write_transaction_probe(server_db_url))
    finally:
        server.stop()
        engine.dispose()


def stored_ids(engine: Any, ids: list[str]) -> int:
    with Session(engine) as session:
        found = 0
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            found += session.execute(
                select(func.count()).select_from(Response).where(col(Response.id).in_(chunk))
            ).scalar_one()
        return found


def kill_while_streaming(setup: Setup, body: bytes) -> None:
    """Half the body sent slowly, then SIGKILL: the server never saw the whole batch."""
    sock, head = raw_request(setup.server.port, setup.token, body)
    with sock:
        sock.sendall(head)
        half = len(body) // 2
        for start in range(0, half, 64 * 1024):
            sock.sendall(body[start : min(start + 64 * 1024, half)])
            time.sleep(0.005)
        setup.server.kill()


def kill_in_transaction(setup: Setup, body: bytes, delay_s: float) -> None:
    """The whole body sent; SIGKILL `delay_s` after the ingest transaction is seen holding its lock."""
    sock, head = raw_request(setup.server.port, setup.token, body)
    with sock:
        sock.sendall(head + body)
        deadline = time.monotonic() + WAIT_TIMEOUT_S
        while not setup.busy():
            assert time.monotonic() < deadline, "the ingest transaction never started"
            time.sleep(0.001)
        if delay_s:
            time.sleep(delay_s)
        setup.server.kill()


def kill_after_reply(setup: Setup, body: bytes) -> None:
    """SIGKILL the moment the 200 has arrived: a reply means durable."""
    with setup.server.client() as client:
        reply = client.post(
            "/api/v1/device/responses",
            content=body,
            headers={"Authorization": f"Bearer {setup.token}", "Content-Type": "application/json"},
        )
    assert reply.status_code == 200
    setup.server.kill()


def upload(setup: Setup, batch: list[dict[str, Any]]) -> list[str]:
    with setup.server.client() as client:
        reply = client.post(
            "/api/v1/device/responses",
            json={"responses": batch},
            headers={"Authorization": f"Bearer {setup.token}"},
        )
    assert reply.status_code == 200, reply.text
    results = reply.json()["results"]
    assert [r["id"] for r in results] == [b["id"] for b in batch]
    return [r["status"] for r in results]


def engine_tallies(batches: list[list[dict[str, Any]]], survey: Survey) -> ix.Tallies:
    ballots = [
        ix.Ballot(b["submitted_at"], None, False, b["staff_id"], b["answers"])
        for batch in batches
        for b in batch
    ]
    return ix.tally_ballots(ballots, survey, tz="Asia/Ho_Chi_Minh")


def stored_tallies(engine: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with Session(engine) as session:
        answers = session.execute(
            select(
                col(Tally.month),
                col(Tally.staff_key),
                col(Tally.question_id),
                col(Tally.value),
                func.sum(col(Tally.count)),
            ).group_by(col(Tally.month), col(Tally.staff_key), col(Tally.question_id), col(Tally.value))
        ).all()
        ballots = session.execute(
            select(
                col(TallyBallots.month), col(TallyBallots.staff_key), func.sum(col(TallyBallots.count))
            ).group_by(col(TallyBallots.month), col(TallyBallots.staff_key))
        ).all()
    return (
        sorted(((m, s or None, q, v, int(n)) for m, s, q, v, n in answers if n), key=_order),
        sorted(((m, s or None, int(n)) for m, s, n in ballots if n), key=_order),
    )


def _order(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple("" if value is None else value for value in row)


def test_sigkill_mid_batch_then_replay_stores_every_ballot_once(setup: Setup) -> None:
    moments: list[tuple[str, Callable[[bytes], None]]] = [
        ("as the transaction takes its lock", lambda body: kill_in_transaction(setup, body, 0.0)),
        ("150 ms into the transaction", lambda body: kill_in_transaction(setup, body, 0.15)),
        ("right after the reply", lambda body: kill_after_reply(setup, body)),
    ]
    if setup.server.url.startswith("sqlite"):
        # Before the body is complete the database is not touched: one backend is enough (a restart
        # costs seconds on a busy machine).
        moments.insert(0, ("while the body streams in", lambda body: kill_while_streaming(setup, body)))
    batches = [make_batch(setup.survey, 1 + i * BATCH, BATCH) for i in range(len(moments))]
    outcomes: dict[str, int] = {}
    for (label, kill), batch in zip(moments, batches, strict=True):
        ids = [b["id"] for b in batch]
        kill(json.dumps({"responses": batch}).encode())
        setup.server.start()
        # All or nothing: a batch is never half stored.
        outcomes[label] = stored_ids(setup.engine, ids)
        assert outcomes[label] in (0, BATCH), (label, outcomes[label])
        statuses = upload(setup, batch)
        expected = "duplicate" if outcomes[label] else "created"
        assert statuses == [expected] * BATCH, (label, sorted(set(statuses)))
        assert stored_ids(setup.engine, ids) == BATCH
    assert outcomes.get("while the body streams in", 0) == 0
    assert outcomes["as the transaction takes its lock"] == 0
    assert outcomes["right after the reply"] == BATCH

    # Each ballot is stored exactly once, and the tallies are the engine's tallies of those ballots.
    with Session(setup.engine) as session:
        total = session.execute(select(func.count()).select_from(Response)).scalar_one()
        distinct = session.execute(select(func.count(func.distinct(col(Response.id))))).scalar_one()
    assert total == distinct == BATCH * len(batches)
    expected_tallies = engine_tallies(batches, setup.survey)
    answers, ballots = stored_tallies(setup.engine)
    assert answers == sorted(expected_tallies.answer_rows(), key=_order)
    assert ballots == sorted(expected_tallies.ballot_rows(), key=_order)
    assert sum(n for *_, n in ballots) == BATCH * len(batches)

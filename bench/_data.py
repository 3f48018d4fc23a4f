"""Shared parts of the server benchmarks: fresh databases, a real `survey-server serve` process with its
CPU time read from /proc, protocol ballots, and a province's year of tallies written in bulk.

Not a test module: the benchmarks print figures and assert nothing about time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from sqlalchemy import Engine, create_engine  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from surveys.loader import Survey, default_survey_path, load_survey  # noqa: E402
from sync_server.admin import (  # noqa: E402
    add_unit,
    add_user,
    create_enrolment_code,
    import_staff,
    load_survey_versions,
)
from sync_server.db import make_engine, write_session  # noqa: E402
from sync_server.migrations import upgrade  # noqa: E402
from sync_server.models import utcnow  # noqa: E402

BIN = Path(sys.executable).parent / "survey-server"
ADMIN = "quan_tri"
ADMIN_PASSWORD = "mật-khẩu-đo-hiệu-năng"
CAVEATS = (
    "Caveats: 2 cores shared with ~6 other engineers' test runs; wall times on loopback, "
    "server and client on the same machine; read figures as orders of magnitude."
)


def pg_admin_url() -> str | None:
    """The PostgreSQL server to create benchmark databases on (`SURVEY_TEST_PG_URL`)."""
    return os.environ.get("SURVEY_BENCH_PG_URL") or os.environ.get("SURVEY_TEST_PG_URL")


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """A migrated, empty database: a SQLite file in `folder`, or a new PostgreSQL database (dropped after)."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'server.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    admin_url = pg_admin_url()
    if not admin_url:
        raise SystemExit("PostgreSQL needs SURVEY_TEST_PG_URL (an admin URL) to create a database on.")
    parsed = make_url(admin_url)
    name = f"survey_bench_{secrets.token_hex(4)}"
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    url = parsed.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def populate(
    engine: Engine, folder: Path, units: list[str], officers: int, parent: str | None = None
) -> Survey:
    """The default survey, optionally a parent unit, `units` with `officers` each (ids `<unit>-cbNN`),
    and an administrator account."""
    survey = load_survey(default_survey_path())
    with write_session(engine) as session:
        load_survey_versions(session, [survey])
        if parent:
            add_unit(session, parent, "UBND tỉnh (đo hiệu năng)")
        for code in units:
            add_unit(session, code, f"UBND xã {code}", parent=parent)
            csv = folder / f"{code}.csv"
            lines = ["id,name,title,counter,photo"]
            lines += [
                f"{code.lower()}-cb{k:02d},Cán bộ {k:02d},Công chức,Quầy {k},," for k in range(officers)
            ]
            csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
            import_staff(session, code, csv, folder / "photos")
        add_user(session, ADMIN, ADMIN_PASSWORD, "admin")
        session.commit()
    return survey


def enrolment_code(engine: Engine, unit: str) -> str:
    with write_session(engine) as session:
        code, _ = create_enrolment_code(session, unit, utcnow(), 3600)
        session.commit()
    return code


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_backends_cpu(url: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving `url`'s database (not this probe); {} on SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return {}
    import psycopg

    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        pids = [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]
    out: dict[int, float] = {}
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # a backend that ended meanwhile
            out[pid] = cpu_seconds(pid)
    return out


@dataclass
class ServerProcess:
    """`survey-server serve` on a free loopback port."""

    url: str
    folder: Path
    process: subprocess.Popen[bytes]
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)


@contextmanager
def serve(url: str, folder: Path) -> Iterator[ServerProcess]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ) | {
        "SURVEY_DATABASE_URL": url,
        "SURVEY_DATA_DIR": str(folder / "server"),
        "SURVEY_SECRET_KEY": "bench",
    }
    log = (folder / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(BIN), "serve", "--port", str(port)], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    server = ServerProcess(url, folder, process, port)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise SystemExit(f"survey-server serve exited:\n{(folder / 'serve.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{server.base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("survey-server serve did not answer within 120 s")
            time.sleep(0.1)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def admin_headers(client: httpx.Client) -> dict[str, str]:
    reply = client.post("/api/v1/auth/token", data={"username": ADMIN, "password": ADMIN_PASSWORD})
    reply.raise_for_status()
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def uuid7(at: dt.datetime, rng: random.Random) -> str:
    """A version-7 UUID (time-ordered), as the kiosks make them."""
    millis = int(at.timestamp() * 1000)
    return str(uuid.UUID(int=(millis << 80) | (7 << 76) | (2 << 62) | rng.getrandbits(62)))


def protocol_ballots(
    survey: Survey, staff: list[str | None], count: int, first_seq: int, rng: random.Random
) -> list[dict[str, Any]]:
    """Valid ballots as a kiosk sends them: `tong_the` plus four rotated detail items, 7 minutes apart."""
    details = [q for q in survey.detail_questions if q.type in ("rating5", "checklist")]
    start = utcnow().replace(microsecond=0) - dt.timedelta(days=400)
    out: list[dict[str, Any]] = []
    for seq in range(first_seq, first_seq + count):
        at = start + dt.timedelta(minutes=7 * seq)
        answers: dict[str, Any] = {"tong_the": rng.choice((1, 2, 3, 4, 4, 5, 5, 5))}
        for question in rng.sample(details, 4):
            if question.type == "rating5":
                answers[question.id] = rng.choice((None, 2, 3, 4, 4, 5, 5))
            else:
                answers[question.id] = [] if rng.random() < 0.85 else [rng.choice(question.options).id]
        out.append(
            {
                "id": uuid7(at, rng),
                "seq": seq,
                "survey_id": survey.id,
                "survey_version": survey.version,
                "staff_id": rng.choice(staff),
                "started_at": (at - dt.timedelta(seconds=rng.randrange(30, 120))).isoformat(),
                "submitted_at": at.isoformat(),
                "answers": answers,
                "comment": "Cán bộ hướng dẫn tận tình, Ông/Bà rất hài lòng" if rng.random() < 0.05 else None,
                "contact": None,
                "lang": "vi",
            }
        )
    return out


# --- a province's year, written straight into the tables ------------------------------------------


def province_tallies(
    survey: Survey,
    unit_ids: dict[str, int],
    officers: int,
    months: list[str],
    per_cell: int,
    rng: random.Random,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Rows of `tally` and `tally_ballots` (without pk) as ingest would have left them.

    Per (unit, month, officer) cell: `per_cell` ballots ± 30 %, `tong_the` on (almost) every ballot,
    four detail items per ballot spread over the other questions, checklists mostly empty.
    """
    ratings = [q.id for q in survey.questions if q.type == "rating5"]
    details = [q for q in ratings if q != "tong_the"]
    checklists = [q for q in survey.questions if q.type == "checklist"]
    share = 4 / (len(details) + len(checklists))
    answers: list[tuple[Any, ...]] = []
    ballots: list[tuple[Any, ...]] = []
    for code, unit_id in unit_ids.items():
        staff = [f"{code.lower()}-cb{k:02d}" for k in range(officers)] + [""]
        for staff_key in staff:
            weights = [0.03, 0.05, 0.12, 0.35, 0.45 * rng.uniform(0.6, 1.4)]
            for month in months:
                n = max(1, int(per_cell * rng.uniform(0.7, 1.3)))
                ballots.append((unit_id, survey.id, month, staff_key, False, n))
                for qid in ratings:
                    asked = n if qid == "tong_the" else int(n * share)
                    picked = rng.choices("12345", weights, k=64)
                    for value in "12345":
                        count = round(asked * picked.count(value) / 64)
                        if count:
                            answers.append((unit_id, survey.id, month, staff_key, qid, value, False, count))
                for question in checklists:
                    asked = int(n * share)
                    empty = int(asked * rng.uniform(0.8, 0.95))
                    answers.append(
                        (unit_id, survey.id, month, staff_key, question.id, "__answered__", False, asked)
                    )
                    answers.append(
                        (unit_id, survey.id, month, staff_key, question.id, "__empty__", False, empty)
                    )
                    for option in question.options:
                        count = int((asked - empty) * rng.uniform(0.1, 0.5))
                        if count:
                            answers.append(
                                (unit_id, survey.id, month, staff_key, question.id, option.id, False, count)
                            )
    return answers, ballots


TALLY_COLUMNS = ("unit_id", "survey_id", "month", "staff_key", "question_id", "value", "flagged", "count")
BALLOT_COLUMNS = ("unit_id", "survey_id", "month", "staff_key", "flagged", "count")


def bulk_load(engine: Engine, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Rows in with COPY (PostgreSQL) or one driver-level executemany (SQLite), in one transaction."""
    names = ", ".join(f'"{c}"' for c in columns)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.execute("BEGIN")
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
            cursor.execute("COMMIT")
        raw.commit()
    finally:
        raw.close()


def raw_response_rows(
    survey: Survey,
    unit_ids: dict[str, int],
    device_ids: dict[str, str],
    officers: int,
    days: list[dt.date],
    per_unit_day: int,
    rng: random.Random,
    dialect: str,
) -> Iterator[tuple[Any, ...]]:
    """Rows of `response` for some days (`RESPONSE_COLUMNS` order), values as the driver takes them."""
    import json

    details = [q for q in survey.detail_questions if q.type in ("rating5", "checklist")]
    seq = 0
    tz = dt.timezone(dt.timedelta(hours=7))
    for code, unit_id in unit_ids.items():
        staff: list[str | None] = [f"{code.lower()}-cb{k:02d}" for k in range(officers)] + [None]
        for day in days:
            for i in range(per_unit_day):
                seq += 1
                local = dt.datetime(day.year, day.month, day.day, 7, 30, tzinfo=tz) + dt.timedelta(
                    seconds=i * 36_000 // max(1, per_unit_day)
                )
                at = local.astimezone(dt.UTC)
                answers: dict[str, Any] = {"tong_the": rng.choice((1, 2, 3, 4, 4, 5, 5, 5))}
                for question in rng.sample(details, 4):
                    if question.type == "rating5":
                        answers[question.id] = rng.choice((None, 3, 4, 5))
                    else:
                        answers[question.id] = []
                text = json.dumps(answers)
                when: Any = (
                    at if dialect == "postgresql" else at.replace(tzinfo=None).isoformat(" ", "microseconds")
                )
                yield (
                    uuid7(at, rng),
                    unit_id,
                    device_ids[code],
                    seq,
                    survey.id,
                    survey.version,
                    rng.choice(staff),
                    when,
                    when,
                    when,
                    f"{day.year:04d}-{day.month:02d}",
                    day if dialect == "postgresql" else day.isoformat(),
                    text,
                    "vi",
                    False,
                    False,
                    False,
                    "0" * 64,
                )


RESPONSE_COLUMNS = (
    "id",
    "unit_id",
    "device_id",
    "seq",
    "survey_id",
    "survey_version",
    "staff_id",
    "started_at",
    "submitted_at",
    "received_at",
    "bucket_month",
    "bucket_day",
    "answers",
    "lang",
    "clock_suspect",
    "misuse",
    "has_comment",
    "content_hash",
)


def bulk_load_iter(
    engine: Engine, table: str, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]]
) -> int:
    """Like `bulk_load`, streaming; returns the number of rows."""
    names = ", ".join(f'"{c}"' for c in columns)
    raw = engine.raw_connection()
    count = 0
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            cursor.execute("BEGIN")
            marks = ", ".join("?" for _ in columns)
            chunk: list[tuple[Any, ...]] = []
            for row in rows:
                chunk.append(row)
                if len(chunk) == 50_000:
                    cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', chunk)
                    count += len(chunk)
                    chunk.clear()
            cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', chunk)
            count += len(chunk)
            cursor.execute("COMMIT")
        raw.commit()
    finally:
        raw.close()
    return count


def fill_rollups(engine: Engine, year_days: list[dt.date], raw_days: list[dt.date]) -> int:
    """The roll-ups as ingest would have left them: `ingest.rebuild_rollups` (months from the tallies,
    days from the raw ballots), then, for a realistic table size, the raw days' day rows copied to
    every other day of `year_days` (cycled). Returns the number of day roll-up rows."""
    from sqlalchemy import text

    from sync_server.db import write_session
    from sync_server.ingest import rebuild_rollups

    with write_session(engine) as session:
        rebuild_rollups(session)
        session.commit()
    sqlite = engine.dialect.name == "sqlite"
    others = [d for d in year_days if d not in set(raw_days)]
    target = ":target" if sqlite else "CAST(:target AS DATE)"
    copy_answers = text(
        "INSERT INTO rollup_day_tally (unit_id, survey_id, day, question_id, value, flagged, count) "
        f"SELECT unit_id, survey_id, {target}, question_id, value, flagged, count "
        "FROM rollup_day_tally WHERE day = :source"
    )
    copy_ballots = text(
        "INSERT INTO rollup_day_ballots (unit_id, survey_id, day, flagged, count) "
        f"SELECT unit_id, survey_id, {target}, flagged, count "
        "FROM rollup_day_ballots WHERE day = :source"
    )
    with engine.begin() as conn:
        for i, day in enumerate(others):
            source = raw_days[i % len(raw_days)]
            params = {
                "target": day.isoformat() if sqlite else day,
                "source": source.isoformat() if sqlite else source,
            }
            conn.execute(copy_answers, params)
            conn.execute(copy_ballots, params)
        return int(conn.execute(text("SELECT count(*) FROM rollup_day_tally")).scalar_one())


def temp_folder(prefix: str) -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix=prefix)

"""The server's nightly job: gap and clock reports, code expiry, hooks, and exactly one runner."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session, SQLModel, select

from sync_server import jobs
from sync_server.db import make_engine
from sync_server.models import Device, EnrolmentCode, Response, ResponseQuarantine, Unit
from sync_server.settings import Settings

NOW = dt.datetime(2024, 9, 3, 20, 0, tzinfo=dt.UTC)


def _response(device: str, unit_id: int, seq: int, *, suspect: bool = False) -> Response:
    at = NOW - dt.timedelta(hours=1)
    return Response(
        id=str(uuid.uuid4()),
        unit_id=unit_id,
        device_id=device,
        seq=seq,
        survey_id="chinh-quyen-than-thien",
        survey_version="2026.1",
        started_at=at,
        submitted_at=at,
        received_at=NOW,
        bucket_month="2024-09",
        bucket_day=at.date(),
        answers={"tong_the": 5},
        lang="vi",
        clock_suspect=suspect,
        content_hash="0" * 64,
    )


def _populate(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        unit = Unit(code="XA01", name="UBND xã Tân Phú")
        session.add(unit)
        session.flush()
        assert unit.id is not None
        for device_id, offset in (("dev-a", 2.0), ("dev-b", -900.0), ("dev-c", 0.5)):
            session.add(
                Device(id=device_id, unit_id=unit.id, name=f"Quầy {device_id[-1]}", token_hash=device_id,
                       clock_offset_s=offset, last_seen=NOW - dt.timedelta(days=3))
            )  # fmt: skip
        session.flush()
        for seq in (1, 2, 4, 5, 9):
            session.add(_response("dev-a", unit.id, seq))
        for seq in (3, 4):
            session.add(_response("dev-b", unit.id, seq))
        for seq in (1, 2, 3):
            session.add(_response("dev-c", unit.id, seq, suspect=seq == 3))
        session.add(
            ResponseQuarantine(device_id="dev-a", unit_id=unit.id, received_at=NOW, reason="x", raw="{}")
        )
        for name, expires, used in (
            ("expired-unused", NOW - dt.timedelta(hours=1), None),
            ("expired-used", NOW - dt.timedelta(hours=1), NOW - dt.timedelta(hours=20)),
            ("fresh", NOW + dt.timedelta(hours=5), None),
        ):
            session.add(
                EnrolmentCode(code_hash=name, unit_id=unit.id, created=NOW - dt.timedelta(days=1),
                              expires=expires, used=used)
            )  # fmt: skip
        session.commit()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'server.db'}", data_dir=tmp_path / "data")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    _populate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _no_leftover_hooks() -> Iterator[None]:
    saved = list(jobs.NIGHTLY_HOOKS)
    yield
    jobs.NIGHTLY_HOOKS[:] = saved


def test_nightly_reports_gaps_clocks_and_expires_codes(engine: Engine, settings: Settings) -> None:
    report = jobs.run_nightly(engine, settings, now=NOW)
    assert report is not None
    assert report["errors"] == {}
    assert report["expired_codes"] == 1
    with Session(engine) as session:
        left = sorted(c.code_hash for c in session.exec(select(EnrolmentCode)))
    assert left == ["expired-used", "fresh"]

    gaps = {g["device_id"]: g for g in report["gaps"]}
    assert set(gaps) == {"dev-a", "dev-b"}  # dev-c is complete
    assert gaps["dev-a"]["ranges"] == [[3, 3], [6, 8]]
    assert gaps["dev-a"]["missing"] == 4
    assert gaps["dev-a"]["quarantined"] == 1
    assert gaps["dev-a"]["unit"] == "XA01"
    assert gaps["dev-b"]["ranges"] == [[1, 2]]

    clock = {c["device_id"]: c for c in report["clock"]}
    assert set(clock) == {"dev-b", "dev-c"}
    assert clock["dev-b"]["clock_offset_s"] == -900.0
    assert clock["dev-c"]["clock_suspect_ballots"] == 1
    assert clock["dev-b"]["silent_days"] == 3

    assert jobs.last_report(engine) == report


def test_hooks_run_and_a_failing_hook_does_not_stop_the_others(engine: Engine, settings: Settings) -> None:
    seen: list[str] = []

    def broken(session: Session, context: jobs.NightlyContext) -> None:
        raise RuntimeError("dashboard cache unavailable")

    def counting(session: Session, context: jobs.NightlyContext) -> dict[str, Any]:
        seen.append(context.report["started_at"])
        return {"units": len(session.exec(select(Unit)).all())}

    jobs.register_nightly_hook("broken", broken)
    jobs.register_nightly_hook("dashboard_cache", counting)
    report = jobs.run_nightly(engine, settings, now=NOW)
    assert report is not None
    assert report["dashboard_cache"] == {"units": 1}
    assert report["errors"] == {"broken": "RuntimeError: dashboard cache unavailable"}
    assert report["expired_codes"] == 1 and len(seen) == 1


def test_second_runner_on_sqlite_backs_off(engine: Engine, settings: Settings) -> None:
    with jobs.nightly_lock(engine, settings) as got:
        assert got
        assert jobs.run_nightly(engine, settings, now=NOW) is None
    assert jobs.run_nightly(engine, settings, now=NOW) is not None


def test_scheduler_plans_next_run(engine: Engine, settings: Settings) -> None:
    scheduler = jobs.NightlyScheduler(engine, settings, cron="30 3 * * *")
    scheduler.start()
    try:
        nxt = scheduler.next_run
        assert nxt is not None
        local = nxt.astimezone(dt.timezone(dt.timedelta(hours=7)))
        assert (local.hour, local.minute) == (3, 30)
    finally:
        scheduler.shutdown()


@pytest.fixture
def pg_url() -> Iterator[str]:
    admin = os.environ.get("SURVEY_TEST_PG_URL")
    if not admin:
        pytest.skip("SURVEY_TEST_PG_URL is not set: skipping the PostgreSQL advisory-lock test")
    name = f"ctt_jobs_{uuid.uuid4().hex[:10]}"
    admin_engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


@pytest.mark.postgres
def test_exactly_one_of_several_processes_runs_it_on_postgres(pg_url: str, tmp_path: Path) -> None:
    setup = make_engine(pg_url)
    _populate(setup)
    setup.dispose()
    calls: list[int] = []
    barrier = threading.Barrier(4)

    def slow(session: Session, context: jobs.NightlyContext) -> None:
        calls.append(1)
        time.sleep(0.5)  # hold the lock while the others try

    jobs.register_nightly_hook("slow", slow)
    reports: list[dict[str, Any] | None] = []

    def server_process(index: int) -> None:
        # Each "process" has its own engine and data folder, as separate servers on separate hosts do.
        settings = Settings(database_url=pg_url, data_dir=tmp_path / f"server-{index}")
        engine = make_engine(pg_url)
        try:
            barrier.wait()
            reports.append(jobs.run_nightly(engine, settings, now=NOW))
        finally:
            engine.dispose()

    threads = [threading.Thread(target=server_process, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    done = [r for r in reports if r is not None]
    assert len(reports) == 4 and len(done) == 1 and len(calls) == 1
    assert done[0]["expired_codes"] == 1
    assert {g["device_id"] for g in done[0]["gaps"]} == {"dev-a", "dev-b"}
    # The lock is released afterwards: tomorrow's run goes ahead.
    engine = make_engine(pg_url)
    try:
        again = jobs.run_nightly(engine, Settings(database_url=pg_url, data_dir=tmp_path / "s"), now=NOW)
        assert again is not None and again["expired_codes"] == 0
    finally:
        engine.dispose()

"""The exactly-once promise with the server on PostgreSQL (a province's set-up): faults and a SIGKILL."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from faultproxy import FaultProxy, seeded_plan
from sqlalchemy import create_engine, text

from kiosk.settings import KioskSettings
from kiosk.store import KioskStore
from kiosk.sync.client import SyncClient
from kiosk.sync.service import SyncOutcome, SyncService
from surveys.loader import Survey

from .conftest import Server, make_ballots

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

FAST = {
    "attempts": 200,
    "backoff_base_s": 0.02,
    "backoff_cap_s": 0.3,
    "timeout_s": 3.0,
    "connect_timeout_s": 1.0,
}


@pytest.fixture(scope="module")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    admin = os.environ.get("SURVEY_TEST_PG_URL")
    if not admin:
        pytest.skip("SURVEY_TEST_PG_URL is not set: skipping the PostgreSQL end-to-end sync tests")
    name = f"ctt_sync_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    server = Server(tmp_path_factory.mktemp("pg-server"), admin.rsplit("/", 1)[0] + "/" + name)
    try:
        server.setup().start()
        yield server
    finally:
        server.stop()
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def _kiosk(server: Server, home: Path, url: str) -> tuple[KioskSettings, KioskStore, str]:
    with SyncClient(server.url) as client:
        reply = client.enrol(server.new_code(), "Quầy PG")
    settings = KioskSettings(home=home)
    store = KioskStore(settings.db_path)
    for key, value in (("server_url", url), ("token", reply.token), ("device_id", reply.device_id)):
        store.set(key, value)
    return settings, store, reply.device_id


def test_faults_and_a_server_crash_on_postgres(pg_server: Server, survey: Survey, tmp_path: Path) -> None:
    # Five seeded fault schedules through the proxy...
    for seed in range(5):
        with FaultProxy(
            pg_server.port, plan=seeded_plan(100 + seed, clean_after=60, delay_range_s=(0.05, 1.0))
        ) as proxy:
            settings, store, device_id = _kiosk(pg_server, tmp_path / f"kiosk-{seed}", proxy.url)
            taken = make_ballots(store, survey, 12, seed=seed)
            outcome = SyncService(store, settings, batch_size=4, **{**FAST, "timeout_s": 0.8}).run_once()  # type: ignore[arg-type]
            assert outcome.ok, (seed, outcome)
            stored = pg_server.stored(device_id)
            assert sorted(stored) == sorted(taken) and set(stored.values()) == {1}, seed
            store.close()

    # ...then SIGKILL of the server while batches are going in, and a restart on the same database.
    settings, store, device_id = _kiosk(pg_server, tmp_path / "kiosk-kill", pg_server.url)
    taken = make_ballots(store, survey, 120, seed=77)
    service = SyncService(store, settings, batch_size=10, **FAST)  # type: ignore[arg-type]
    result: list[SyncOutcome] = []
    runner = threading.Thread(target=lambda: result.append(service.run_once()))
    runner.start()
    try:
        deadline = time.monotonic() + 60
        while len(pg_server.stored(device_id)) < 30 and time.monotonic() < deadline:
            time.sleep(0.05)
        pg_server.kill()
        time.sleep(0.3)
    finally:
        pg_server.start()
    runner.join(120)
    assert result and result[0].ok, result
    stored = pg_server.stored(device_id)
    assert sorted(stored) == sorted(taken) and set(stored.values()) == {1}
    assert store.counts_by_status()["pending"] == 0
    store.close()

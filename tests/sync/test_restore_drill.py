"""The restore drill with real processes: nothing the kiosks still hold is lost by restoring an older backup.

A server and two kiosks sync; a backup is taken; more ballots are synced; the server is stopped and the
backup restored (the ballots acknowledged after it are gone from the server); after a restart, each
kiosk's next sync compares the device ledger with its store and re-sends what the server lost. On SQLite
and PostgreSQL, through `survey-server backup|restore` and `survey-kiosk sync` as real processes.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from kiosk.store import KioskStore
from surveys.loader import Survey

from .conftest import Server, make_ballots, survey_kiosk


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    admin = os.environ.get("SURVEY_TEST_PG_URL")
    if not admin:
        pytest.skip("SURVEY_TEST_PG_URL is not set: skipping the PostgreSQL restore drill")
    name = f"survey_drill_{secrets.token_hex(4)}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


def _sync(home: Path) -> str:
    done = survey_kiosk(home, "sync")
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def test_a_restore_loses_nothing_the_kiosks_hold(
    tmp_path: Path, survey: Survey, database_url: str | None
) -> None:
    server = Server(tmp_path / "server", database_url).setup().start()
    homes = [tmp_path / "quay-1", tmp_path / "quay-2"]
    taken: dict[Path, list[str]] = {}
    try:
        for n, home in enumerate(homes):
            done = survey_kiosk(home, "enrol", "--server", server.url, "--code", server.new_code())
            assert done.returncode == 0, done.stderr
            with KioskStore(home / "kiosk.db") as store:
                taken[home] = make_ballots(store, survey, 20, seed=n)
            _sync(home)
        backup = tmp_path / "sao-luu.bak"
        done = server.cli("backup", "--out", str(backup))
        assert "response 40" in done.stdout, done.stdout
        for n, home in enumerate(homes):
            with KioskStore(home / "kiosk.db") as store:
                taken[home] += make_ballots(store, survey, 15, seed=10 + n)
            assert "created: 15" in _sync(home)
        assert len(server.stored()) == 70
        server.stop()
        done = server.cli("restore", str(backup))
        assert "response 40" in done.stdout, done.stdout
        assert len(server.stored()) == 40  # the 30 acknowledged after the backup are gone from the server
        server.start()
        for home in homes:
            out = _sync(home)
            assert "pending: 0" in out
        stored = server.stored()
        every = [ballot for ids in taken.values() for ballot in ids]
        assert sorted(stored) == sorted(every) and all(count == 1 for count in stored.values())
        for home in homes:
            with KioskStore(home / "kiosk.db") as store:
                assert store.counts_by_status().get("pending", 0) == 0
    finally:
        server.stop()

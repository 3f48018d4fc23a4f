"""Shared test fixtures: every test gets its own temporary state folders."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep Kivy and the apps from writing into the user's home or the checkout."""
    monkeypatch.setenv("KIVY_HOME", os.environ.get("KIVY_HOME") or str(tmp_path / "kivy"))
    monkeypatch.setenv("KIVY_NO_ARGS", "1")
    monkeypatch.setenv("SURVEY_KIOSK_HOME", str(tmp_path / "kiosk-home"))


# --- server databases: SQLite files and a real PostgreSQL --------------------------------------------

SERVER_BACKENDS = ["sqlite", "postgresql"]
_SERVER_TABLES_KEPT = {"alembic_version"}


def _pg_admin_url() -> str:
    url = os.environ.get("SURVEY_TEST_PG_URL")
    if not url:
        pytest.skip(
            "SURVEY_TEST_PG_URL is not set: PostgreSQL tests need a server URL to create databases on"
        )
    return url


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per run; each test gets a copy (migrating costs more than copying)."""
    from sync_server.db import make_engine
    from sync_server.migrations import upgrade

    path = tmp_path_factory.mktemp("server-template") / "server.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[str]:
    """A fresh database `survey_test_<random>` (prefix: `SURVEY_TEST_PG_PREFIX`) for this run, migrated;
    dropped afterwards."""
    import secrets

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from sync_server.db import make_engine
    from sync_server.migrations import upgrade

    admin_url = make_url(_pg_admin_url())
    # SURVEY_TEST_PG_PREFIX keeps the databases of several checkouts sharing one server apart.
    name = f"{os.environ.get('SURVEY_TEST_PG_PREFIX') or 'survey_test_'}{secrets.token_hex(6)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=SERVER_BACKENDS)
def server_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty server database URL: a SQLite file, then the run's PostgreSQL database."""
    import shutil

    if request.param == "sqlite":
        path = tmp_path / "server.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("_pg_database")
    from sqlalchemy import MetaData

    from sync_server.db import make_engine

    engine = make_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    names = ", ".join(f'"{t}"' for t in meta.tables if t not in _SERVER_TABLES_KEPT)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    engine.dispose()
    yield url

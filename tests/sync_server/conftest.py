"""Fixtures for the sync server's API tests: a real app on a real database (SQLite file, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_helpers import Api, populate
from fastapi.testclient import TestClient

from sync_server.app import create_app
from sync_server.db import make_engine
from sync_server.settings import Settings


@pytest.fixture()
def api(server_db_url: str, tmp_path: Path) -> Iterator[Api]:
    """The API on SQLite, then on PostgreSQL, populated by `populate`."""
    settings = Settings(database_url=server_db_url, data_dir=tmp_path / "server", secret_key="test-secret")
    engine = make_engine(server_db_url)
    survey = populate(engine, tmp_path, settings)
    app = create_app(settings, engine=engine)
    with TestClient(app) as client:
        yield Api(client=client, engine=engine, settings=settings, survey=survey, tmp=tmp_path)
    engine.dispose()


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id with small cost parameters: the same code path, milliseconds instead of seconds."""
    from argon2 import PasswordHasher

    from sync_server import security

    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))

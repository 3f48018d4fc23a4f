"""Fixtures: a real migrated SQLite world, and HTTP clients on the real app logged in as each role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dashboard_world import World, build_world, login, make_client
from fastapi.testclient import TestClient


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = build_world(tmp_path_factory.mktemp("dash"))
    yield w
    w.engine.dispose()


@pytest.fixture()
def client(world: World) -> Iterator[TestClient]:
    with make_client(world) as c:
        yield c


@pytest.fixture()
def as_admin(client: TestClient) -> TestClient:
    return login(client, "admin")


@pytest.fixture()
def as_leader(client: TestClient) -> TestClient:
    return login(client, "lanhdao")


@pytest.fixture()
def as_viewer(client: TestClient) -> TestClient:
    return login(client, "xem")

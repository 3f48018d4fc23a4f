"""Fixtures: a real migrated SQLite world, and HTTP clients on the real app logged in as each role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from dashboard_world import TZ, World, ballot, build_world, login, make_client
from fastapi.testclient import TestClient

from sync_server.admin import add_unit, create_enrolment_code, enrol_device, import_staff
from sync_server.db import write_session
from sync_server.ingest import ingest_batch


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


@pytest.fixture(scope="session")
def slash_unit(world: World, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Unit XA03 with officer "tp/01" (an id holding a slash) and 3 ballots last month; returns its month."""
    today = dt.datetime.now(TZ).date()
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    when = dt.datetime(last_month.year, last_month.month, 15, 10, tzinfo=TZ)
    csv_path = tmp_path_factory.mktemp("xa03") / "staff.csv"
    csv_path.write_text(
        "id,name,title,counter,photo\ntp/01,Nguyễn Văn Tư,Tư pháp,Quầy 5,\n", encoding="utf-8"
    )
    with write_session(world.engine) as s:
        add_unit(s, "XA03", "UBND xã Bình An")
        import_staff(s, "XA03", csv_path, world.data_dir / "photos")
        code, _ = create_enrolment_code(s, "XA03", world.now, 86400)
        device, _, _ = enrol_device(s, code, "Quầy 5", world.now)
        items = [
            ballot(i + 1, "tp/01", when + dt.timedelta(minutes=i), {"tong_the": 5 - i}) for i in range(3)
        ]
        results = ingest_batch(s, device, items, world.now)
        s.commit()
    assert all(r.status == "created" for r in results), results
    return last_month.strftime("%Y-%m")

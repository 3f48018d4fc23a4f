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


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """`make_demo` (the five-commune province) as of DEMO_TODAY, in a real migrated SQLite file."""
    from dashboard_world import PASSWORD

    from surveys.loader import default_survey_path, load_survey
    from sync_server.admin import load_survey_versions
    from sync_server.db import make_engine
    from sync_server.demo import make_demo
    from sync_server.migrations import upgrade
    from sync_server.settings import Settings

    tmp = tmp_path_factory.mktemp("demo-world")
    db_url = f"sqlite:///{tmp / 'server.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    with write_session(engine) as s:
        load_survey_versions(s, [load_survey(default_survey_path())])
        s.commit()
    settings = Settings(database_url=db_url, data_dir=tmp / "server", secret_key="test-secret")
    make_demo(engine, settings, today=DEMO_TODAY, admin_password=PASSWORD, leader_password=PASSWORD)
    now = dt.datetime.combine(DEMO_TODAY, dt.time(9), TZ)
    yield World(engine, db_url, tmp / "server", now, f"{DEMO_TODAY:%Y-%m}", now)
    engine.dispose()


DEMO_TODAY = dt.date(2026, 10, 5)


@pytest.fixture()
def demo_client(demo: World) -> Iterator[TestClient]:
    with make_client(demo) as c:
        yield c

"""Several server processes on one PostgreSQL database behind HAProxy: a small fleet of kiosks syncs
exactly once, limits count across processes, a log-in on one process works on another, and no process
shows figures older than a ballot stored through another one."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

import fleet  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CODE_RE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FIGURE_N = re.compile(r'data-figure="n">([0-9.,]+)<')
COMMUNES = 5
DEVICES_PER_COMMUNE = 4
UPLOAD_BURST = 6


@dataclass
class Cluster:
    database_url: str
    env: dict[str, str]
    folder: Path
    a: fleet.Serve  # serve --workers 2
    b: fleet.Serve  # serve (one process)
    balancer: str
    units: list[str]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    admin_url = os.environ.get("SURVEY_TEST_PG_URL")
    if not admin_url:
        pytest.skip("SURVEY_TEST_PG_URL is not set: the several-processes test needs a PostgreSQL server")
    folder = tmp_path_factory.mktemp("cluster")
    with ExitStack() as stack:
        url = stack.enter_context(fleet._data.fresh_database("postgresql", folder))
        engine = fleet.make_engine(url)
        survey = fleet.load_survey(fleet.default_survey_path())
        units = fleet.make_province(engine, folder, survey, COMMUNES, officers=4)
        engine.dispose()
        env = fleet.server_env(
            url,
            folder / "server-data",
            {"SURVEY_UPLOAD_BURST": str(UPLOAD_BURST), "SURVEY_UPLOAD_PER_S": "0.01"},
        )
        a = stack.enter_context(fleet.serving(env, folder, 2, "a", wait=False))
        b = stack.enter_context(fleet.serving(env, folder, 1, "b", wait=False))
        for started in (a, b):
            fleet.wait_healthy(started.url, started.process, started.log)
        balancer = stack.enter_context(fleet.haproxy([a.port, b.port], folder))
        yield Cluster(url, env, folder, a, b, balancer, units)


def cli_codes(cluster: Cluster, unit: str, count: int) -> list[str]:
    done = subprocess.run(
        [str(fleet._data.BIN), "device", "code", unit, "--count", str(count)],
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    codes = done.stdout.split()
    assert len(codes) == count and all(CODE_RE.match(c) for c in codes), done.stdout
    assert (f"{count} one-time codes" if count > 1 else "One-time code") in done.stderr
    return codes


def login(base: str, address: str) -> str:
    """Log in through the dashboard form of one server; the session cookie's value."""
    headers = {"X-Forwarded-For": address}
    with httpx.Client(base_url=base, timeout=30) as client:
        form = client.get("/dashboard/login", headers=headers)
        token = CSRF.search(form.text)
        assert token, form.text[:300]
        reply = client.post(
            "/dashboard/login",
            data={"username": fleet.ADMIN, "password": fleet.ADMIN_PASSWORD, "csrf_token": token.group(1)},
            headers={**headers, "Cookie": f"ctt_login_csrf={form.cookies['ctt_login_csrf']}"},
        )
        assert reply.status_code == 303, reply.text[:300]
        return str(reply.cookies["ctt_session"])


def overview_n(base: str, session: str, unit: str, day: dt.date) -> int:
    """The ballot count the overview of one server shows for a unit over one day."""
    params = {"unit": unit, "period": "custom", "from": day.isoformat(), "to": day.isoformat()}
    reply = httpx.get(base + "/dashboard/", params=params, cookies={"ctt_session": session}, timeout=60)
    assert reply.status_code == 200, reply.text[:300]
    found = FIGURE_N.search(reply.text)
    return int(found.group(1).replace(".", "").replace(",", "")) if found else 0


def test_a_fleet_through_two_servers_and_three_processes(cluster: Cluster) -> None:
    rng = random.Random(7)
    devices = [
        fleet.Device(unit, code, f"Quầy {k + 1}")
        for unit in cluster.units
        for k, code in enumerate(cli_codes(cluster, unit, DEVICES_PER_COMMUNE))
    ]

    async def night() -> tuple[fleet.Night, fleet.Survey, int]:
        client = fleet.Fleet(cluster.balancer, 16, 600.0, rng)
        try:
            await fleet.enrol_all(client, devices)
            configs = await fleet.configs_for(client, devices)
            survey, total = fleet.load_ballots(devices, configs, days=1, per_day=20, rng=rng)
            await fleet.run_night(client, devices, window_s=2.0, max_s=60.0)
            # Every reply lost: each device sends its batches again, and nothing is stored twice.
            await fleet.run_night(client, devices, window_s=0.5, max_s=60.0)
        finally:
            await client.close()
        return client.night, survey, total

    result, survey, total = asyncio.run(night())
    assert result.drained == 2 * len(devices) and result.undrained == 0
    assert result.statuses == {"created": total, "duplicate": total}
    assert not [code for code in result.http if code >= 500] and result.transport_errors == 0

    engine = fleet.make_engine(cluster.database_url)
    try:
        stored, missing, extra = fleet.check_exactly_once(engine, devices)
        assert (stored, missing, extra) == (total, 0, 0)
        checks = fleet.check_tallies(engine, survey)
        assert checks == dict.fromkeys(checks, 0)
        # The recount can tell: one ballot too many on one officer's tally row is found.
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE tally SET count = count + 1 WHERE pk = (SELECT min(pk) FROM tally)")
        assert fleet.check_tallies(engine, survey)["tally vs recount"] == 1
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE tally SET count = count - 1 WHERE pk = (SELECT min(pk) FROM tally)")
    finally:
        engine.dispose()
    province, communes = fleet.check_api_sums(cluster.balancer, cluster.units, days=1)
    assert province == communes == total


def test_a_log_in_on_one_process_serves_on_another_and_figures_are_never_stale(cluster: Cluster) -> None:
    session = login(cluster.a.url, "198.51.100.1")
    unit = cluster.units[0]
    day = dt.datetime.now(fleet.LOCAL).date()
    before = overview_n(cluster.b.url, session, unit, day)  # B computes and caches today's figures
    assert overview_n(cluster.b.url, session, unit, day) == before  # ...and serves them again

    code = cli_codes(cluster, unit, 1)[0]
    enrolled = httpx.post(cluster.a.url + "/api/v1/devices/enrol", json={"code": code, "name": "Quầy mới"})
    auth = {"Authorization": f"Bearer {enrolled.json()['token']}"}
    config = httpx.get(cluster.a.url + "/api/v1/device/config", headers=auth).json()
    survey = fleet.parse_survey(config["survey"], source="config")
    now = dt.datetime.now(fleet.LOCAL).replace(microsecond=0)
    ballots = [
        {
            "id": fleet.uuid7(now - dt.timedelta(minutes=30 - i), random.Random(i)),
            "seq": i + 1,
            "survey_id": survey.id,
            "survey_version": survey.version,
            "staff_id": None,
            "started_at": (now - dt.timedelta(minutes=31 - i)).isoformat(),
            "submitted_at": (now - dt.timedelta(minutes=30 - i)).isoformat(),
            "answers": {"tong_the": 5},
            "comment": None,
            "contact": None,
            "lang": "vi",
        }
        for i in range(3)
    ]
    stored = httpx.post(cluster.a.url + "/api/v1/device/responses", json={"responses": ballots}, headers=auth)
    assert [r["status"] for r in stored.json()["results"]] == ["created"] * 3
    # B's cache was filled before A stored the ballots: B must show them at once.
    assert overview_n(cluster.b.url, session, unit, day) == before + 3
    assert overview_n(cluster.a.url, session, unit, day) == before + 3


def test_limits_count_across_processes(cluster: Cluster) -> None:
    # Wrong enrolment codes from one address, alternating between the two servers: 10 are allowed.
    headers = {"X-Forwarded-For": "203.0.113.9"}
    servers = [cluster.a.url, cluster.b.url]
    answers = [
        httpx.post(servers[i % 2] + "/api/v1/devices/enrol", json={"code": "AAAA-BBBB-CCCC"}, headers=headers)
        for i in range(12)
    ]
    assert [r.status_code for r in answers] == [403] * 10 + [429] * 2
    assert int(answers[-1].headers["Retry-After"]) > 0

    # One device's uploads, alternating between the servers: the burst is shared, not one per process.
    code = cli_codes(cluster, cluster.units[1], 1)[0]
    token = httpx.post(cluster.b.url + "/api/v1/devices/enrol", json={"code": code, "name": "Quầy"}).json()[
        "token"
    ]
    auth = {"Authorization": f"Bearer {token}"}
    statuses = [
        httpx.post(
            servers[i % 2] + "/api/v1/device/responses", json={"responses": []}, headers=auth
        ).status_code
        for i in range(UPLOAD_BURST + 2)
    ]
    assert statuses == [200] * UPLOAD_BURST + [429] * 2

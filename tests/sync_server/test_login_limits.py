"""Log-in limits kept in the database: per user and per address, one count for the dashboard and the API,
atomic under a burst, kept across apps (processes, restarts), and no lock-out of a whole office NAT."""

from __future__ import annotations

import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from api_helpers import PASSWORD, Api
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from sync_server import security
from sync_server.app import create_app
from sync_server.db import make_engine
from sync_server.login_limits import Limits, attempt_login, failures_of, ip_key, user_key

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def dashboard_login(client: TestClient, username: str, password: str) -> int:
    form = client.get("/dashboard/login")
    found = CSRF.search(form.text)
    assert found, "no CSRF field on the log-in form"
    reply = client.post(
        "/dashboard/login",
        data={"username": username, "password": password, "csrf_token": found.group(1)},
        follow_redirects=False,
    )
    return reply.status_code


def api_login(client: TestClient, username: str, password: str) -> int:
    return client.post("/api/v1/auth/token", data={"username": username, "password": password}).status_code


def test_a_spray_of_40_user_names_on_the_dashboard_is_refused(api: Api) -> None:
    codes = [dashboard_login(api.client, f"can_bo_{i}", "mat-khau-doan") for i in range(40)]
    limit = api.settings.login_ip_max_failures
    assert codes[:limit] == [401] * limit
    assert set(codes[limit:]) == {429}, codes
    assert failures_of(api.engine, ip_key("testclient")) == 40


def test_the_dashboard_and_the_api_share_one_count(api: Api) -> None:
    api.add_user("can_bo", "viewer", "XA01")
    assert [dashboard_login(api.client, "can_bo", "sai") for _ in range(3)] == [401] * 3
    assert [api_login(api.client, "Can_Bo ", "sai") for _ in range(2)] == [401] * 2
    # Both doors now refuse even the right password: the user's own limit (5) was reached.
    assert dashboard_login(api.client, "can_bo", PASSWORD) == 429
    assert api_login(api.client, "can_bo", PASSWORD) == 429


def test_the_count_outlives_the_app(api: Api) -> None:
    """Another process or a restart is another app on the same database: it sees the same failures."""
    api.add_user("can_bo", "viewer", "XA01")
    for _ in range(api.settings.login_max_failures):
        assert api_login(api.client, "can_bo", "sai") == 401
    with TestClient(create_app(api.settings)) as restarted:  # its own engine, as a new process has
        assert api_login(restarted, "can_bo", PASSWORD) == 429


def test_a_burst_of_60_parallel_guesses_gets_no_more_than_the_limit(api: Api) -> None:
    api.add_user("chu_tich", "leader", "XA01")
    limits = Limits.of(api.settings)
    engines = [make_engine(api.settings.database_url) for _ in range(3)]  # as three server processes
    try:

        def guess(i: int) -> int:
            outcome = attempt_login(engines[i % 3], "chu_tich", f"doan-{i}", "198.51.100.9", limits)
            return outcome.retry_after

        with ThreadPoolExecutor(max_workers=20) as pool:
            waits = list(pool.map(guess, range(60)))
    finally:
        for engine in engines:
            engine.dispose()
    answered = [w for w in waits if w == 0]  # a wrong password answered 401 after argon2 ran
    assert len(answered) == limits.user_max, waits
    assert failures_of(api.engine, user_key("chu_tich")) == limits.user_max
    assert attempt_login(api.engine, "chu_tich", PASSWORD, "198.51.100.10", limits).retry_after > 0


def test_a_burst_of_60_names_from_one_address_gets_no_more_than_its_limit(api: Api) -> None:
    limits = Limits.of(api.settings)

    def guess(i: int) -> int:
        return attempt_login(api.engine, f"ten_{i}", "doan", "198.51.100.20", limits).retry_after

    with ThreadPoolExecutor(max_workers=20) as pool:
        waits = list(pool.map(guess, range(60)))
    assert waits.count(0) == limits.ip_max, waits


def test_an_office_behind_one_address_is_not_locked_out(api: Api) -> None:
    """Over its per-address limit, the office's address still lets in a correct password, except for
    the user whose own limit was hit."""
    office = "203.0.113.50"
    limits = Limits.of(api.settings)
    api.add_user("ke_toan", "viewer", "XA01")
    api.add_user("van_thu", "viewer", "XA01")
    for i in range(limits.ip_max):
        assert attempt_login(api.engine, f"go_nham_{i % 4}", "sai", office, limits).retry_after == 0
    assert failures_of(api.engine, ip_key(office)) == limits.ip_max
    # A wrong password from the office is now answered "wait" ...
    assert attempt_login(api.engine, "van_thu", "sai", office, limits).retry_after > 0
    # ... but a colleague with the right password gets in, and the success gives the address its count back.
    outcome = attempt_login(api.engine, "ke_toan", PASSWORD, office, limits)
    assert outcome.user is not None and outcome.user.username == "ke_toan"
    # The user whose own limit was hit stays out, right password or not, from the office or elsewhere.
    for _ in range(limits.user_max - 1):
        attempt_login(api.engine, "van_thu", "sai", office, limits)
    assert failures_of(api.engine, user_key("van_thu")) == limits.user_max
    assert attempt_login(api.engine, "van_thu", PASSWORD, office, limits).user is None
    assert attempt_login(api.engine, "van_thu", PASSWORD, "192.0.2.1", limits).retry_after > 0


def test_a_success_clears_the_users_failures(api: Api) -> None:
    api.add_user("can_bo", "viewer", "XA01")
    limits = Limits.of(api.settings)
    for _ in range(limits.user_max - 1):
        attempt_login(api.engine, "can_bo", "sai", "192.0.2.7", limits)
    assert attempt_login(api.engine, "can_bo", PASSWORD, "192.0.2.7", limits).user is not None
    assert failures_of(api.engine, user_key("can_bo")) == 0
    assert failures_of(api.engine, ip_key("192.0.2.7")) == limits.user_max - 1


class _LockProbingHasher(PasswordHasher):
    """Real argon2 that, while it verifies, checks whether anyone holds the SQLite file's write lock."""

    def __init__(self, db_file: Path) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.db_file = db_file
        self.locked_during_verify: list[bool] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        probe = sqlite3.connect(self.db_file, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            self.locked_during_verify.append(False)
        except sqlite3.OperationalError:
            self.locked_during_verify.append(True)
        finally:
            probe.close()
        return super().verify(hash, password)


@pytest.mark.parametrize("door", ["dashboard", "api"])
def test_argon2_runs_with_no_write_lock_held(api: Api, door: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if not api.settings.database_url.startswith("sqlite"):
        pytest.skip("the write lock that stalls kiosk uploads is SQLite's")
    api.add_user("can_bo", "viewer", "XA01")
    probe = _LockProbingHasher(Path(api.settings.database_url.removeprefix("sqlite:///")))
    monkeypatch.setattr(security, "_hasher", probe)
    login = dashboard_login if door == "dashboard" else api_login
    assert login(api.client, "can_bo", "sai") == 401
    assert login(api.client, "can_bo", PASSWORD) in (200, 303)
    assert probe.locked_during_verify == [False, False]

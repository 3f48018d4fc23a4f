"""The demo and a report on PostgreSQL (the province's database), figures equal to `indices_for`."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from sync_server import queries
from sync_server.db import make_engine, read_session
from sync_server.reports import parse_period

BIN = Path(sys.executable).parent / "survey-server"
pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url() -> Iterator[str]:
    admin_url = os.environ.get("SURVEY_TEST_PG_URL")
    if not admin_url:
        pytest.skip("SURVEY_TEST_PG_URL is not set: skipping the PostgreSQL report test")
    name = f"survey_test_reports_{secrets.token_hex(5)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_demo_and_report_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.update(SURVEY_DATABASE_URL=pg_url, SURVEY_DATA_DIR=str(tmp_path / "data"))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )

    made = run("demo")
    assert made.returncode == 0, made.stderr
    key = f"{date.today().replace(day=1) - timedelta(days=1):%Y-%m}"
    done = run("report", "XA-DEMO", "--period", key, "--out", "thang.xlsx")
    assert done.returncode == 0, done.stderr
    period = parse_period(key)
    engine = make_engine(pg_url)
    try:
        with read_session(engine) as session:
            row = queries.indices_for(session, "XA-DEMO", period.start, period.end)["rows"][0]
    finally:
        engine.dispose()
    summary = {
        r[0]: r[1]
        for r in load_workbook(tmp_path / "thang.xlsx")["Tổng hợp"].iter_rows(values_only=True)
        if r[0]
    }
    assert summary["Số phiếu"] == row["n"] > 0
    assert summary["Chỉ số hài lòng chung (%)"] == row["satisfaction_index"]
    assert summary["Chỉ số thân thiện (%)"] == row["friendly_index"]
    again = run("demo", "--reset")
    assert again.returncode == 0, again.stderr

"""Benchmark: downloading reports from the dashboard's "Báo cáo" page, demo commune (13 months of ballots).

    .venv/bin/python bench/dashboard_reports.py [--repeat 3]

Builds the demo (`make_demo`, through the real ingest) in a temporary SQLite file, logs in as the demo
leader through the real app in-process (no network), then times the reports page and each report
(month, quarter, year × PDF, DOCX, XLSX) as the browser asks for them. Figures are server time per
request. Prints figures; asserts nothing. The machine is shared (2 cores, other people's work running):
the best of several runs is the fairest figure, the median shows the noise. A province's report is
measured by bench/reports.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient

from surveys.loader import default_survey_path, load_survey
from sync_server.admin import load_survey_versions
from sync_server.app import create_app
from sync_server.db import make_engine, write_session
from sync_server.demo import DEMO_UNIT, TZ, make_demo
from sync_server.migrations import upgrade
from sync_server.settings import Settings

PASSWORD = "bench-mat-khau-2026"


def _login(client: TestClient) -> None:
    page = client.get("/dashboard/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no log-in form"
    r = client.post(
        "/dashboard/login", data={"username": "lanhdao", "password": PASSWORD, "csrf_token": token.group(1)}
    )
    if r.status_code != 303:
        raise SystemExit(f"log-in failed: {r.status_code}")


def _time(client: TestClient, url: str, repeat: int) -> tuple[float, float, int]:
    runs = []
    size = 0
    for _ in range(repeat):
        start = time.perf_counter()
        r = client.get(url)
        runs.append(time.perf_counter() - start)
        if r.status_code != 200:
            raise SystemExit(f"{url} answered {r.status_code}")
        size = len(r.content)
    return min(runs), statistics.median(runs), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs (shared)")
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/server.db", data_dir=Path(tmp) / "data")
        engine = make_engine(settings.database_url)
        upgrade(engine)
        with write_session(engine) as session:
            load_survey_versions(session, [load_survey(default_survey_path())])
            session.commit()
        start = time.perf_counter()
        make_demo(engine, settings, admin_password=PASSWORD, leader_password=PASSWORD)
        print(f"demo built in {time.perf_counter() - start:.1f} s")
        today = dt.datetime.now(ZoneInfo(TZ)).date()
        last_month = today.replace(day=1) - dt.timedelta(days=1)
        q = (today.month - 1) // 3 + 1
        periods = {
            "month": last_month.strftime("%Y-%m"),
            "quarter": f"{today.year}-Q{q - 1}" if q > 1 else f"{today.year - 1}-Q4",
            "year": str(today.year - 1),
        }
        with TestClient(create_app(settings, engine=engine), follow_redirects=False) as client:
            _login(client)
            best, median, _ = _time(client, "/dashboard/reports?period=quarter", args.repeat)
            print(
                f"reports page (quarter)         best {best * 1000:7.0f} ms  median {median * 1000:7.0f} ms"
            )
            for kind, key in periods.items():
                for fmt in ("pdf", "docx", "xlsx"):
                    url = f"/dashboard/reports/file?unit={DEMO_UNIT}&period={kind}&key={key}&format={fmt}"
                    best, median, size = _time(client, url, args.repeat)
                    print(
                        f"{kind:7} {key:8} {fmt:4}  {size / 1024:6.0f} KiB  "
                        f"best {best * 1000:7.0f} ms  median {median * 1000:7.0f} ms"
                    )
        engine.dispose()


if __name__ == "__main__":
    main()

"""The dashboard on PostgreSQL (the province deployment): pages, figures and forms."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from dashboard_world import build_world, csrf_of, login, make_client
from openpyxl import load_workbook

from sync_server.db import read_session
from sync_server.queries import indices_for

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("server_db_url", ["postgresql"], indirect=True)
def test_dashboard_on_postgresql(server_db_url: str, tmp_path: Path) -> None:
    world = build_world(tmp_path, server_db_url)
    try:
        with make_client(world) as c:
            login(c, "lanhdao")
            q = f"unit=XA01&period=month&key={world.month_key}"
            page = c.get(f"/dashboard/?{q}").text
            first = dt.date.fromisoformat(world.month_key + "-01")
            last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
            with read_session(world.engine) as s:
                row = indices_for(s, "XA01", first, last)["rows"][0]
            shown = re.search(r'data-figure="satisfaction_index">([^<]+)<', page)
            assert shown and shown.group(1) == f"{row['satisfaction_index']:.1f}".replace(".", ",")
            for path in (
                "/officers",
                "/officers/cb01",
                "/items",
                "/alerts",
                "/comments",
                "/devices",
                "/staff",
                "/reports",
            ):
                assert c.get(f"/dashboard{path}?{q}").status_code == 200, path
            rid = world.ids["very"]
            r = c.post(f"/dashboard/alerts/{rid}/ack", data={"note": "Đã xử lý", "csrf_token": csrf_of(page)})
            assert r.status_code == 303
            assert f'data-ballot="{rid}"' not in c.get("/dashboard/alerts").text
            r = c.post(
                f"/dashboard/comments/{rid}/handled", data={"handled": "1", "csrf_token": csrf_of(page)}
            )
            assert r.status_code == 303
            export = c.get(f"/dashboard/exports/ballots.csv?{q}").content.decode("utf-8-sig")
            assert "0912 345 678" in export
            report = c.get(f"/dashboard/reports/file?{q}&format=xlsx")
            assert report.status_code == 200
            summary = {
                r[0]: r[1]
                for r in load_workbook(io.BytesIO(report.content))["Tổng hợp"].iter_rows(values_only=True)
                if r and r[0]
            }
            assert summary["Chỉ số hài lòng chung (%)"] == row["satisfaction_index"]
    finally:
        world.engine.dispose()

"""The province's overview ranks its communes (n, index, interval, change, "chưa đủ mẫu") with a chart;
a click drills into a commune; the demo's cases and rules show on the alerts and comments tabs."""

from __future__ import annotations

import datetime as dt
import re

from dashboard_world import World, login
from fastapi.testclient import TestClient

from sync_server import queries
from sync_server.db import read_session

SEPT = "period=month&key=2026-09"


def _vi(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


def test_the_province_ranks_its_communes_as_the_api_counts(demo_client: TestClient, demo: World) -> None:
    page = login(demo_client, "tinh").get(f"/dashboard/?unit=TINH-DEMO&{SEPT}").text
    table = page.split('<table class="ranking">')[1].split("</table>")[0]
    rows = re.findall(r'<tr data-unit="([^"]+)"( class="insufficient")?>(.*?)</tr>', table, re.S)
    codes = [code for code, _i, _r in rows]
    assert sorted(codes) == sorted(["XA-DEMO", "XA-AN-PHU", "TT-TAN-LAP", "XA-SON-HA", "XA-LONG-KHE"])
    with read_session(demo.engine) as s:
        api = {
            code: queries.indices_for(s, code, dt.date(2026, 9, 1), dt.date(2026, 9, 30), min_sample=30)[
                "rows"
            ][0]
            for code in codes
        }
    ranked = [c for c in codes if not api[c]["insufficient"]]
    indices = [api[c]["satisfaction_index"] for c in ranked]
    assert indices == sorted(indices, reverse=True), "best first"
    assert codes[: len(ranked)] == ranked, "those under the minimum come last"
    for code, insufficient, cells in rows:
        row = api[code]
        assert _vi(row["satisfaction_index"]) in cells and f">{row['n']}<" in cells.replace(".", "")
        assert (insufficient != "") == row["insufficient"]
        if row["insufficient"]:
            assert "chưa đủ mẫu" in cells and re.search(r'<td class="num">—</td>', cells)
        else:
            lo, hi = row["satisfaction_ci95"]
            assert f"{_vi(lo)} – {_vi(hi)}" in cells
    # Long Khê, the small mountain commune, is under the minimum for a month
    assert api["XA-LONG-KHE"]["insufficient"]
    # the chart has a bar per commune, and says so next to the one under the minimum
    chart = page.split('aria-label="Xếp hạng đơn vị trực thuộc"')[1].split("</ul>")[0]
    assert chart.count("<li>") == 5 and "(chưa đủ mẫu)" in chart
    # a click drills into the commune
    link = re.search(r'<a href="(/dashboard/\?[^"]*unit=XA-SON-HA[^"]*)">', table)
    assert link is not None
    commune = demo_client.get(link.group(1).replace("&amp;", "&")).text
    assert "Xã Sơn Hà" in commune.split("<h1>")[1].split("</h1>")[0]
    assert '<table class="ranking">' not in commune  # a commune has nothing below it


def test_a_commune_leader_sees_no_ranking_and_cannot_drill_out(demo_client: TestClient) -> None:
    client = login(demo_client, "lanhdao")
    assert '<table class="ranking">' not in client.get(f"/dashboard/?{SEPT}").text
    assert client.get(f"/dashboard/?unit=XA-SON-HA&{SEPT}").status_code == 403


def test_province_lists_carry_the_unit_and_filter_by_commune(demo_client: TestClient) -> None:
    client = login(demo_client, "tinh")
    html = client.get(f"/dashboard/comments?unit=TINH-DEMO&{SEPT}&state=all").text
    units = set(re.findall(r'<span class="unit-name">([^<]+)</span>', html))
    assert len(units) >= 3
    only = client.get(f"/dashboard/comments?unit=TINH-DEMO&{SEPT}&state=all&sub=XA-AN-PHU").text
    assert set(re.findall(r'<span class="unit-name">([^<]+)</span>', only)) == {"Xã An Phú"}
    alerts = client.get("/dashboard/alerts?unit=TINH-DEMO&period=year&key=2026&state=all").text
    assert "Nhiều phiếu không hài lòng" in alerts and "Tháng đạt mục tiêu" in alerts
    export = client.get(f"/dashboard/cases/alerts.csv?unit=TINH-DEMO&{SEPT}&state=all")
    lines = export.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Mã đơn vị,Đơn vị") and len(lines) > 2


def test_the_running_period_says_so_and_the_unknown_officer_is_marked_only_when_small(
    demo_client: TestClient,
) -> None:
    from dashboard_world import TZ

    client = login(demo_client, "lanhdao")
    today = dt.datetime.now(TZ).date()
    current = client.get("/dashboard/?unit=XA-DEMO").text.split("<h1>")[1].split("</h1>")[0]
    assert f"đang diễn ra (đến ngày {today:%d/%m/%Y})" in current
    past = client.get("/dashboard/?unit=XA-DEMO&period=month&key=2020-01").text
    assert "đang diễn ra" not in past.split("<h1>")[1].split("</h1>")[0]
    # over a year the unknown officer has enough ballots: no rank, and no "chưa đủ mẫu" either
    page = client.get("/dashboard/officers?unit=XA-DEMO&period=custom&from=2025-10-01&to=2026-09-30").text
    row = page.split('data-officer="')
    unknown = next(r for r in row if "Không rõ công chức" in r.split("</tr>")[0]).split("</tr>")[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", unknown, re.S)
    n = int(re.sub(r"\D", "", cells[4]))
    assert n >= 30 and cells[0].strip() == "—"

"""The officers tab on the demo province: change against the previous period, most improved and most
declined, a small trend per officer, sortable columns (server-side links)."""

from __future__ import annotations

import datetime as dt
import html
import re

from dashboard_world import World, login
from fastapi.testclient import TestClient

from sync_server import queries
from sync_server.db import read_session

SEPT = "unit=XA-DEMO&period=month&key=2026-09"


def _rows(page: str) -> list[tuple[str, str, str]]:
    """(officer slug, shown index, shown change) of each table row, in order."""
    found = re.findall(
        r'<tr[^>]*data-officer="([^"]+)">.*?data-col="index">(.*?)</td>\s*'
        r'<td class="num" data-col="change">(.*?)</td>',
        page,
        re.S,
    )
    return [(slug, idx.strip(), re.sub(r"<[^>]+>|[▲▼■]", "", chg).strip()) for slug, idx, chg in found]


def _api(demo: World, first: dt.date, last: dt.date) -> dict[str | None, dict]:
    with read_session(demo.engine) as s:
        body = queries.indices_for(s, "XA-DEMO", first, last, by="staff", min_sample=30)
    return {r["key"]: r for r in body["rows"]}


def _vi(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


def test_change_against_the_previous_month_or_insufficient(demo_client: TestClient, demo: World) -> None:
    page = login(demo_client, "lanhdao").get(f"/dashboard/officers?{SEPT}").text
    now = _api(demo, dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    before = _api(demo, dt.date(2026, 8, 1), dt.date(2026, 8, 31))
    rows = {slug: (idx, chg) for slug, idx, chg in _rows(page)}
    assert len(rows) >= 9
    checked = 0
    for key, r in now.items():
        slug = key or "_none"
        prev = before.get(key)
        if r["insufficient"] or prev is None or prev["insufficient"]:
            assert rows[slug][1] == "chưa đủ mẫu", (slug, rows[slug])
            continue
        delta = round(r["satisfaction_index"], 1) - round(prev["satisfaction_index"], 1)
        sign = "+" if delta > 0.04 else "−" if delta < -0.04 else "±"
        assert rows[slug][1].endswith(sign + _vi(abs(delta))), (slug, rows[slug], delta)
        assert rows[slug][0] == _vi(r["satisfaction_index"])
        checked += 1
    assert checked >= 5
    assert rows["cb09"][1] == "chưa đủ mẫu", "the new officer has too few ballots"
    assert "chưa đủ mẫu" in page and "so với kỳ trước" not in rows["cb01"][1]


def test_most_improved_and_most_declined(demo_client: TestClient, demo: World) -> None:
    page = login(demo_client, "lanhdao").get(f"/dashboard/officers?{SEPT}").text
    deltas = {
        slug: float(chg[1:].replace(",", ".")) * (1 if chg[0] == "+" else -1)
        for slug, _, chg in _rows(page)
        if chg[:1] and chg[:1] in "+−"
    }
    up = re.search(r'data-moves="up">(.*?)</div>', page, re.S)
    down = re.search(r'data-moves="down">(.*?)</div>', page, re.S)
    assert up and down
    ups = re.findall(r"/officers/([^?\"]+)\?", up.group(1))
    downs = re.findall(r"/officers/([^?\"]+)\?", down.group(1))
    best = sorted((s for s, d in deltas.items() if d > 0), key=lambda s: -deltas[s])[:3]
    worst = sorted((s for s, d in deltas.items() if d < 0), key=lambda s: deltas[s])[:3]
    assert [deltas[s] for s in ups] == [deltas[s] for s in best]
    assert [deltas[s] for s in downs] == [deltas[s] for s in worst]
    assert ups or downs


def test_columns_sort_on_the_server_and_insufficient_rows_stay_last(demo_client: TestClient) -> None:
    c = login(demo_client, "lanhdao")
    page = c.get(f"/dashboard/officers?{SEPT}&sort=change&dir=desc").text
    shown = [chg for _, _, chg in _rows(page)]
    numbers = [float(x[1:].replace(",", ".")) * (-1 if x[0] == "−" else 1) for x in shown if x[:1] in "+−±"]
    assert numbers == sorted(numbers, reverse=True) and len(numbers) >= 5
    tail = shown[len(numbers) :]
    assert tail and all(x == "chưa đủ mẫu" for x in tail)
    assert 'aria-sort="descending"' in page
    # the same header again flips the order; the link keeps unit and period
    link = html.unescape(re.search(r'<a href="([^"]*sort=change[^"]*)"', page).group(1))  # type: ignore[union-attr]
    assert "dir=asc" in link and "key=2026-09" in link and "unit=XA-DEMO" in link
    by_name = _rows(c.get(f"/dashboard/officers?{SEPT}&sort=name&dir=asc").text)
    assert [s for s, _, _ in by_name][-1] == "_none", "officer not known last"
    by_n = c.get(f"/dashboard/officers?{SEPT}&sort=n&dir=desc").text
    found = re.findall(r'data-officer="([^"]+)">.*?data-col="n">([0-9.]+)</td>', by_n, re.S)
    assert found[-1][0] == "_none"
    ns = [int(n.replace(".", "")) for _, n in found[:-1]]
    assert ns == sorted(ns, reverse=True) and len(ns) >= 9
    odd = c.get(f"/dashboard/officers?{SEPT}&sort=%3Cscript%3E&dir=sideways")
    assert odd.status_code == 200 and "<script>" not in odd.text
    assert _rows(odd.text) == _rows(c.get(f"/dashboard/officers?{SEPT}").text), "unknown sort: by rank"


def test_a_small_trend_per_officer_without_script(demo_client: TestClient) -> None:
    page = login(demo_client, "lanhdao").get(f"/dashboard/officers?{SEPT}").text
    row = re.search(r'data-officer="cb01">(.*?)</tr>', page, re.S)
    assert row and '<svg class="spark"' in row.group(1) and "<polyline" in row.group(1)
    assert "Chỉ số hài lòng 6 tháng của Nguyễn Thị Hằng" in row.group(1)
    assert "<script" not in page

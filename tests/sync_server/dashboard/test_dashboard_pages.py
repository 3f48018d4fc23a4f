"""Every page over HTTP: figures equal the API's, roles, unit scoping, escaping, phone numbers."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from dashboard_world import HOSTILE, World
from fastapi.testclient import TestClient

from sync_server.db import read_session
from sync_server.queries import indices_for


def _month(world: World) -> str:
    return f"unit=XA01&period=month&key={world.month_key}"


def _vi(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


def test_overview_shows_the_api_figures(as_leader: TestClient, world: World) -> None:
    first = dt.date.fromisoformat(world.month_key + "-01")
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    with read_session(world.engine) as s:
        row = indices_for(s, "XA01", first, last)["rows"][0]
    page = as_leader.get(f"/dashboard/?{_month(world)}").text
    big = re.search(r'data-figure="satisfaction_index">([^<]+)<', page)
    assert big and big.group(1) == _vi(row["satisfaction_index"])
    lo, hi = row["satisfaction_ci95"]
    assert f"{_vi(lo)} – {_vi(hi)}" in page
    assert f'data-figure="n">{row["n"]}<' in page
    assert re.search(r'data-figure="friendly_index">' + re.escape(_vi(row["friendly_index"])), page)
    # the group bars, the 13-month trend and the change against the previous period are there
    assert "4 xin" in page and "5 không" in page and "Xu hướng 13 tháng" in page
    assert page.count("<circle") >= 1 and "không có kỳ trước để so sánh" in page


def test_overview_lists_what_to_act_on_first(as_leader: TestClient, world: World) -> None:
    page = as_leader.get(f"/dashboard/?{_month(world)}").text
    act = page.index("Cần xử lý")
    assert act < page.index("Chỉ số hài lòng")
    assert "Rất không hài lòng" in page[act:]


def test_period_switching(as_leader: TestClient, world: World) -> None:
    year = world.month_key[:4]
    for query, label in (
        (f"period=year&key={year}", f"Năm {year}"),
        (f"period=half&key={year}-H{1 if int(world.month_key[5:]) <= 6 else 2}", "6 tháng"),
        (f"period=quarter&key={year}-Q{(int(world.month_key[5:]) - 1) // 3 + 1}", "Quý"),
        (f"period=custom&from={world.month_key}-01&to={world.month_key}-28", "/"),
    ):
        page = as_leader.get(f"/dashboard/?unit=XA01&{query}")
        assert page.status_code == 200 and label in page.text
    bad = as_leader.get("/dashboard/?period=quarter&key=2024-Q9")
    assert bad.status_code == 200 and "Kỳ không hợp lệ" in bad.text
    empty = as_leader.get("/dashboard/?unit=XA01&period=year&key=2021").text
    assert "Chưa có dữ liệu" in empty


def test_officers_rank_only_with_enough_ballots(as_viewer: TestClient, world: World) -> None:
    page = as_viewer.get(f"/dashboard/officers?{_month(world)}").text
    rows = re.findall(r"<tr[^>]*>\s*<td class=\"num\">(.*?)</td>\s*<td><a[^>]*>([^<]+)</a>", page, re.S)
    ranks = {name: rank.strip() for rank, name in rows}
    assert ranks["Nguyễn Thị Hằng"] == "1"
    assert "chưa đủ mẫu" in ranks["Trần Văn Đức"]
    assert "chưa đủ mẫu" in ranks["Không rõ công chức"]


def test_officer_drill_down_by_item_and_month(as_viewer: TestClient, world: World) -> None:
    page = as_viewer.get(f"/dashboard/officers/cb01?{_month(world)}").text
    assert "Nguyễn Thị Hằng" in page and "Theo câu hỏi" in page and "Theo tháng" in page
    assert "Xin chào" in page and "Tham nhũng, lãng phí" in page
    # aggregates only: no comment, no ballot id, no phone on an officer's page
    assert world.ids["violation"] not in page and "0912" not in page
    assert as_viewer.get(f"/dashboard/officers/nobody?{_month(world)}").status_code == 404


def test_items_page_counts_each_option(as_viewer: TestClient, world: World) -> None:
    page = as_viewer.get(f"/dashboard/items?{_month(world)}").text
    row = re.search(r"Tham nhũng, lãng phí[^<]*</td><td class=\"num\">(\d+)</td>", page)
    assert row and row.group(1) == "1"
    assert "Tỷ lệ không vi phạm" in page


def test_comments_are_escaped(as_leader: TestClient, world: World) -> None:
    page = as_leader.get(f"/dashboard/comments?{_month(world)}").text
    assert HOSTILE not in page and "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in page
    alerts = as_leader.get(f"/dashboard/alerts?{_month(world)}&all=1").text
    assert "<script>alert" not in alerts


def test_phone_numbers_only_for_leaders_and_admins(as_leader: TestClient, world: World) -> None:
    assert "0912 345 678" in as_leader.get(f"/dashboard/comments?{_month(world)}").text
    assert "0912 345 678" in as_leader.get("/dashboard/alerts").text


def test_viewers_see_figures_but_no_single_ballots(as_viewer: TestClient, world: World) -> None:
    assert as_viewer.get(f"/dashboard/?{_month(world)}").status_code == 200
    overview = as_viewer.get(f"/dashboard/?{_month(world)}").text
    assert "Cần xử lý" not in overview and "0912" not in overview
    for path in (
        "/dashboard/alerts",
        "/dashboard/comments",
        "/dashboard/exports/ballots.csv",
        "/dashboard/devices",
    ):
        r = as_viewer.get(path)
        assert r.status_code == 403, path
        assert "0912" not in r.text


def test_unit_scoping_matches_the_api(as_leader: TestClient, world: World) -> None:
    r = as_leader.get("/dashboard/?unit=XA02")
    assert r.status_code == 403 and "không có quyền" in r.text
    # the child unit is inside the leader's scope, the other commune's alert is not listed
    assert as_leader.get("/dashboard/?unit=XA01A").status_code == 200
    assert world.ids["other"] not in as_leader.get("/dashboard/alerts").text
    units = as_leader.get("/dashboard/").text
    assert "UBND xã Tân Phú" not in units and "Điểm tiếp dân thôn Đông" in units


def test_admin_sees_every_unit(as_admin: TestClient, world: World) -> None:
    page = as_admin.get("/dashboard/?unit=XA02").text
    assert "UBND xã Tân Phú" in page and "UBND xã Hòa Bình" in page
    assert world.ids["other"] in as_admin.get("/dashboard/alerts?unit=XA02").text


def test_devices_page(as_admin: TestClient, world: World) -> None:
    page = as_admin.get("/dashboard/devices?unit=XA01").text
    assert "Quầy 1" in page and world.ids["device"] in page
    assert "Lần kết nối cuối" in page and "Lệch đồng hồ" in page and "Phiên bản cấu hình" in page
    assert world.ids["device2"] not in page


def test_surveys_and_preview(as_admin: TestClient) -> None:
    page = as_admin.get("/dashboard/surveys").text
    assert "2026.1" in page
    link = re.search(r'href="(/dashboard/surveys/\d+)', page)
    assert link
    preview = as_admin.get(link.group(1)).text
    assert "Nhìn chung, Ông/Bà hài lòng" in preview and "Rất hài lòng" in preview


def test_surveys_are_for_admins(as_leader: TestClient) -> None:
    assert as_leader.get("/dashboard/surveys").status_code == 403


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_page_renders_in_both_languages(as_admin: TestClient, world: World, lang: str) -> None:
    as_admin.get(f"/dashboard/lang/{lang}")
    for path in (
        "/",
        "/officers",
        "/officers/_none",
        "/items",
        "/alerts",
        "/comments",
        "/exports",
        "/devices",
        "/staff",
        "/surveys",
    ):
        r = as_admin.get(f"/dashboard{path}?{_month(world)}")
        assert r.status_code == 200, (path, r.text[:500])
        assert f'<html lang="{lang}">' in r.text
        assert r.headers["cache-control"] == "no-store"
        assert "script-src" not in r.headers["content-security-policy"]  # default-src 'none': no script
        assert r.headers["x-frame-options"] == "DENY"


def test_new_ballots_show_at_once(as_admin: TestClient, world: World) -> None:
    from dashboard_world import ballot

    from sync_server.db import write_session
    from sync_server.ingest import ingest_batch
    from sync_server.models import Device

    q = f"/dashboard/?unit=XA02&period=month&key={world.month_key}"
    before = re.search(r'data-figure="n">(\d+)<', as_admin.get(q).text)
    assert before
    with write_session(world.engine) as s:
        device = s.get(Device, world.ids["device2"])
        assert device is not None
        ingest_batch(s, device, [ballot(100, "cb09", world.when, {"tong_the": 5})], world.now)
        s.commit()
    after = re.search(r'data-figure="n">(\d+)<', as_admin.get(q).text)
    assert after and int(after.group(1)) == int(before.group(1)) + 1


def test_a_district_compares_its_communes(as_admin: TestClient, world: World, tmp_path: Path) -> None:
    from sync_server.admin import add_unit, import_staff
    from sync_server.db import write_session

    staff = tmp_path / "staff.csv"
    staff.write_text("id,name,title,counter,photo\ncb01,Người Cùng Mã,Công chức,Quầy 1,\n", encoding="utf-8")
    with write_session(world.engine) as s:
        add_unit(s, "HUYEN", "Huyện Thử")
        add_unit(s, "XA91", "Xã Chín Mốt", parent="HUYEN")
        add_unit(s, "XA92", "Xã Chín Hai", parent="HUYEN")
        import_staff(s, "XA91", staff, world.data_dir / "photos")
        import_staff(s, "XA92", staff, world.data_dir / "photos")
        s.commit()
    page = as_admin.get(f"/dashboard/officers?unit=HUYEN&period=month&key={world.month_key}").text
    assert "Các đơn vị trực thuộc" in page and "Xã Chín Mốt" in page and "Xã Chín Hai" in page
    # the same officer id in two communes is two people: no merged ranking of officers
    assert "chọn một đơn vị ở trên" in page and "Người Cùng Mã" not in page
    commune = as_admin.get(f"/dashboard/officers?unit=XA91&period=month&key={world.month_key}").text
    assert "Các đơn vị trực thuộc" not in commune and "Họ và tên" in commune

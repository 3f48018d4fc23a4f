"""The reports page over HTTP: who may download, which units, and files whose headline is the API's."""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from zoneinfo import ZoneInfo

import pytest
from dashboard_world import World, login, make_client
from docx import Document
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader

from sync_server.db import read_session
from sync_server.queries import indices_for
from sync_server.reports import MEDIA_TYPES, report_filename
from sync_server.reports.content import fmt_pct
from sync_server.reports.periods import parse_period
from sync_server.settings import Settings


def _selected(html: str, name: str) -> str:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name!r} on the page"
    chosen = re.search(r'<option value="([^"]+)" selected>', select.group(1))
    assert chosen, f"nothing selected in {name!r}"
    return chosen.group(1)


def _month_before(key: str) -> str:
    first = dt.date.fromisoformat(key + "-01") - dt.timedelta(days=1)
    return first.strftime("%Y-%m")


def _docx_text(blob: bytes) -> str:
    doc = Document(io.BytesIO(blob))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _pdf_text(blob: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(blob)).pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def _api_row(world: World, unit: str, key: str) -> dict:
    period = parse_period(key)
    min_sample = Settings(database_url=world.db_url, data_dir=world.data_dir).min_sample
    with read_session(world.engine) as s:
        rows = indices_for(s, unit, period.start, period.end, min_sample=min_sample)["rows"]
    assert rows, f"the world has no ballots in {key}"
    return dict(rows[0])


def test_leaders_see_reports_in_the_menu_and_last_month_preselected(as_leader: TestClient) -> None:
    home = as_leader.get("/dashboard/").text
    assert 'href="/dashboard/reports?' in home and ">Báo cáo</a>" in home
    page = as_leader.get("/dashboard/reports")
    assert page.status_code == 200
    today = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()  # the units' day, as the page counts
    this_month = today.strftime("%Y-%m")
    # The running month is offered but the last complete one is picked.
    assert f'<option value="{this_month}">' in page.text and "(đang diễn ra)" in page.text
    assert _selected(page.text, "key") == _month_before(this_month)
    for label in ("Báo cáo tháng", "Báo cáo quý", "Báo cáo 6 tháng", "Báo cáo năm", "DOCX", "PDF", "XLSX"):
        assert label in page.text
    quarter = as_leader.get("/dashboard/reports?period=quarter").text
    q = (today.month - 1) // 3 + 1
    last_quarter = f"{today.year}-Q{q - 1}" if q > 1 else f"{today.year - 1}-Q4"
    assert _selected(quarter, "key") == last_quarter and "báo cáo cơ quan cấp trên" in quarter
    year = as_leader.get("/dashboard/reports?period=year&key=2025").text
    assert _selected(year, "key") == "2025"


def test_viewers_get_no_reports(as_viewer: TestClient, world: World) -> None:
    assert "/dashboard/reports" not in as_viewer.get("/dashboard/").text
    assert as_viewer.get("/dashboard/reports").status_code == 403
    r = as_viewer.get(f"/dashboard/reports/file?unit=XA01&period=month&key={world.month_key}&format=pdf")
    assert r.status_code == 403 and not r.content.startswith(b"%PDF")


def test_reports_are_scoped_to_the_users_units(as_leader: TestClient, world: World) -> None:
    query = f"period=month&key={world.month_key}&format=xlsx"
    assert as_leader.get(f"/dashboard/reports/file?unit=XA02&{query}").status_code == 403
    assert as_leader.get("/dashboard/reports?unit=XA02").status_code == 403
    child = as_leader.get(f"/dashboard/reports/file?unit=XA01A&{query}")
    assert child.status_code == 200 and child.headers["content-type"] == MEDIA_TYPES["xlsx"]
    with make_client(world) as other:
        login(other, "lanhdao2")
        assert other.get(f"/dashboard/reports/file?unit=XA01&{query}").status_code == 403
        assert other.get(f"/dashboard/reports/file?unit=XA02&{query}").status_code == 200


@pytest.mark.parametrize("fmt", ["docx", "pdf", "xlsx"])
def test_each_format_opens_and_its_headline_is_the_api_figure(
    as_leader: TestClient, world: World, fmt: str
) -> None:
    r = as_leader.get(f"/dashboard/reports/file?unit=XA01&period=month&key={world.month_key}&format={fmt}")
    assert r.status_code == 200
    assert r.headers["content-type"] == MEDIA_TYPES[fmt]
    name = report_filename("XA01", world.month_key, fmt)
    assert r.headers["content-disposition"] == f'attachment; filename="{name}"'
    row = _api_row(world, "XA01", world.month_key)
    assert row["n"] > 0 and row["satisfaction_index"] is not None
    headline = f"Chỉ số hài lòng chung: {fmt_pct(row['satisfaction_index'])}%"
    if fmt == "docx":
        assert headline in _docx_text(r.content)
    elif fmt == "pdf":
        assert headline in _pdf_text(r.content)
    else:
        sheet = load_workbook(io.BytesIO(r.content))["Tổng hợp"]
        summary = {c[0]: c[1] for c in sheet.iter_rows(values_only=True) if c and c[0]}
        assert summary["Chỉ số hài lòng chung (%)"] == row["satisfaction_index"]
        assert summary["Số phiếu"] == row["n"]


def test_the_page_shows_the_periods_ballots_and_the_report_agrees(as_admin: TestClient, world: World) -> None:
    page = as_admin.get(f"/dashboard/reports?unit=XA01&period=month&key={world.month_key}").text
    # The running month was asked for by name; the page falls back to the last complete month.
    assert _selected(page, "key") == _month_before(world.month_key)
    empty = as_admin.get("/dashboard/reports?unit=XA01&period=quarter&key=2021-Q1").text
    assert _selected(empty, "key") == "2021-Q1"
    assert "Quý I/2021 chưa có phiếu đánh giá nào" in empty
    pdf = as_admin.get("/dashboard/reports/file?unit=XA01&period=quarter&key=2021-Q1&format=pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "không có phiếu đánh giá nào" in _pdf_text(pdf.content)


def test_the_page_announces_the_periods_figures(as_admin: TestClient, world: World, slash_unit: str) -> None:
    row = _api_row(world, "XA03", slash_unit)
    page = as_admin.get("/dashboard/reports?unit=XA03").text
    assert _selected(page, "key") == slash_unit
    assert f'data-report-n="{row["n"]}"' in page and row["n"] == 3
    assert f"3 phiếu, chỉ số hài lòng chung {fmt_pct(row['satisfaction_index'])}%" in page
    assert "chưa đủ mẫu" in page  # 3 ballots are under the minimum sample
    docx = as_admin.get(f"/dashboard/reports/file?unit=XA03&period=month&key={slash_unit}&format=docx")
    assert f"Chỉ số hài lòng chung: {fmt_pct(row['satisfaction_index'])}%" in _docx_text(docx.content)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=month&key=2024-13&format=pdf", "Kỳ báo cáo không hợp lệ"),
        ("period=custom&from=2024-01-01&to=2024-02-01&format=pdf", "Kỳ báo cáo không hợp lệ"),
        ("period=year&key=2999&format=pdf", "Kỳ báo cáo này chưa bắt đầu"),
        ("period=month&key=2024-09&format=exe", "Hãy chọn định dạng PDF, DOCX hoặc XLSX."),
        ("period=month&key=2024-09", "Hãy chọn định dạng PDF, DOCX hoặc XLSX."),
    ],
)
def test_a_bad_request_explains_itself_on_the_page(as_leader: TestClient, query: str, message: str) -> None:
    r = as_leader.get("/dashboard/reports/file?unit=XA01&" + query)
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")
    assert r.text.count(message) == 1 and 'id="report-download"' in r.text


def test_reports_in_english(client: TestClient) -> None:
    login(client, "lanhdao")
    client.cookies.set("ctt_lang", "en", path="/dashboard")
    page = client.get("/dashboard/reports?period=half").text
    assert "<h1>Reports" in page and "Half-yearly report" in page and "Download the report" in page
    assert "PDF — to print and send" in page
    bad = client.get("/dashboard/reports/file?unit=XA01&period=half&key=2024-H1&format=odt")
    assert "Please choose PDF, DOCX or XLSX." in bad.text

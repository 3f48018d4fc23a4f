"""End to end in real headless Chromium against a real `survey-server serve` with the demo data.

Logs in, switches the period, opens an officer, acknowledges an alert and downloads a report.
Screenshots go to a temporary folder, or to `SURVEY_DASHBOARD_SCREENSHOTS` (e.g. docs/screenshots).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser import ROOT, browser_missing, chromium, full_page_screenshot, serve
from docx import Document
from openpyxl import load_workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

PASSWORD = "demo-mat-khau-2026"
pytestmark = pytest.mark.slow


def _wait_for_file(folder: Path, suffix: str, timeout_s: float = 30) -> Path:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(f"*{suffix}") if p.stat().st_size > 0]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} file was downloaded into {folder}")


def _go(element: WebElement) -> None:
    """Click a link or button and wait until the browser has left the page."""
    page = element.parent.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(element.parent, 30).until(ec.staleness_of(page))


def test_leader_week_in_the_browser(tmp_path: Path) -> None:
    missing = browser_missing()
    if missing:
        pytest.skip(f"Chromium is needed for the browser test: {missing}")
    shots = Path(os.environ.get("SURVEY_DASHBOARD_SCREENSHOTS") or tmp_path / "shots")
    if not shots.is_absolute():
        shots = ROOT / shots
    db_url = f"sqlite:///{tmp_path / 'server.db'}"
    env = {
        **os.environ,
        "SURVEY_DATABASE_URL": db_url,
        "SURVEY_DATA_DIR": str(tmp_path / "data"),
        "SURVEY_DEMO_PASSWORD": PASSWORD,
    }
    exe = Path(sys.executable).parent / "survey-server"
    made = subprocess.run(
        [str(exe), "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert made.returncode == 0, made.stderr
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with (
        serve(db_url, tmp_path / "data", tmp_path / "serve.log") as base,
        chromium(tmp_path / "profile", downloads) as d,
    ):
        # log in (the dashboard asks first, in Vietnamese)
        d.get(base + "/dashboard/")
        assert "/dashboard/login" in d.current_url
        full_page_screenshot(d, shots / "dashboard-login.png", 1280)
        d.find_element(By.NAME, "username").send_keys("lanhdao")
        d.find_element(By.NAME, "password").send_keys(PASSWORD)
        _go(d.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
        assert d.find_element(By.CSS_SELECTOR, "[data-figure=satisfaction_index]").text not in ("", "—")
        assert d.find_element(By.TAG_NAME, "h1").text.startswith("Tổng quan")
        full_page_screenshot(d, shots / "dashboard-overview.png", 1280)
        full_page_screenshot(d, shots / "dashboard-overview-phone.png", 390)
        d.set_window_size(1280, 900)

        # switch the period to the quarter
        _go(d.find_element(By.LINK_TEXT, "Quý"))
        assert "period=quarter" in d.current_url
        assert "Quý" in d.find_element(By.TAG_NAME, "h1").text

        # the officers of the quarter, then one officer's drill-down
        _go(d.find_element(By.LINK_TEXT, "Công chức"))
        assert "period=quarter" in d.current_url
        full_page_screenshot(d, shots / "dashboard-officers.png", 1280)
        first = d.find_element(By.CSS_SELECTOR, "table tbody tr td a")
        name = first.text
        _go(first)
        assert d.find_element(By.TAG_NAME, "h1").text.startswith(name)
        assert "Theo câu hỏi" in d.page_source
        full_page_screenshot(d, shots / "dashboard-officer.png", 1280)
        d.set_window_size(1280, 900)

        # close the first alert to act on, with a note: it leaves the open list and keeps its history
        _go(d.find_element(By.LINK_TEXT, "Cảnh báo"))
        card = d.find_element(By.CSS_SELECTOR, "article.case")
        alert_id = card.get_attribute("id")
        card.find_element(By.CSS_SELECTOR, "details.step summary").click()
        Select(card.find_element(By.TAG_NAME, "select")).select_by_visible_text("Đã xử lý")
        card.find_element(By.TAG_NAME, "textarea").send_keys(
            "Đã gọi điện cho người dân, xin lỗi và giải quyết."
        )
        _go(card.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert f'id="{alert_id}"' not in d.page_source
        Select(d.find_element(By.NAME, "state")).select_by_visible_text("Mọi trạng thái")
        _go(d.find_element(By.CSS_SELECTOR, "form.case-filters button[type=submit]"))
        closed = d.find_element(By.ID, alert_id)
        closed.find_element(By.CSS_SELECTOR, "details.history summary").click()
        assert "lanhdao → Đã xử lý" in closed.text and "Đã gọi điện" in closed.text
        d.execute_script("arguments[0].scrollIntoView()", closed)
        d.save_screenshot(str(shots / "dashboard-alert-acknowledged.png"))
        Select(d.find_element(By.NAME, "state")).select_by_visible_text(
            "Chưa xong (mới, đang xử lý, đã liên hệ)"
        )
        _go(d.find_element(By.CSS_SELECTOR, "form.case-filters button[type=submit]"))
        d.find_element(By.CSS_SELECTOR, "article.case details.step summary").click()
        d.save_screenshot(str(shots / "dashboard-alerts.png"))

        # download the figures of the quarter as XLSX
        _go(d.find_element(By.LINK_TEXT, "Xuất dữ liệu"))
        d.find_element(By.ID, "export-figures-xlsx").click()
        xlsx = _wait_for_file(downloads, ".xlsx")
        assert "XA-DEMO" in xlsx.name and "Q" in xlsx.name
        assert "Chỉ số" in load_workbook(xlsx).sheetnames

        # the quarterly report: the last complete quarter is picked; download it as DOCX and open it
        _go(d.find_element(By.LINK_TEXT, "Báo cáo"))
        _go(d.find_element(By.LINK_TEXT, "Báo cáo quý"))
        assert "period=quarter" in d.current_url
        chosen = d.find_element(By.CSS_SELECTOR, "#report-key option:checked")
        assert "đang diễn ra" not in chosen.text and chosen.text.startswith("Quý ")
        announced = d.find_element(By.CSS_SELECTOR, "[data-report-n]").text
        index = re.search(r"chỉ số hài lòng chung ([0-9]+,[0-9])%", announced)
        assert index, announced
        full_page_screenshot(d, shots / "dashboard-reports.png", 1280)
        full_page_screenshot(d, shots / "dashboard-reports-phone.png", 390)
        d.set_window_size(1280, 900)
        d.find_element(By.CSS_SELECTOR, "input[name=format][value=docx]").click()
        d.find_element(By.ID, "report-download").click()
        report = _wait_for_file(downloads, ".docx")
        assert report.name == f"bao-cao-XA-DEMO-{chosen.get_attribute('value')}.docx"
        doc = Document(str(report))
        text = "\n".join(p.text for p in doc.paragraphs)
        assert "BÁO CÁO" in text and f"Chỉ số hài lòng chung: {index.group(1)}%" in text

        # comments of the quarter (phone numbers visible to a leader) and the kiosks
        _go(d.find_element(By.LINK_TEXT, "Góp ý"))
        assert "Góp ý của người dân" in d.page_source
        d.save_screenshot(str(shots / "dashboard-comments.png"))
        _go(d.find_element(By.LINK_TEXT, "Thiết bị"))
        assert "Lệch đồng hồ" in d.page_source
        d.save_screenshot(str(shots / "dashboard-devices.png"))

        # the same overview in English
        _go(d.find_element(By.LINK_TEXT, "English"))
        _go(d.find_element(By.LINK_TEXT, "Overview"))
        assert "Satisfaction index" in d.page_source
        full_page_screenshot(d, shots / "dashboard-overview-en.png", 1280)

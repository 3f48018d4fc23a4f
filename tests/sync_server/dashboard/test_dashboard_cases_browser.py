"""End to end in real headless Chromium against `survey-server serve` with the demo province: the
province's ranking and a drill into a commune, comments searched without diacritics and filtered by
topic, a case moved step by step, a rule's alert, the rules page — at desktop width and at 390 px.
Screenshots go to a temporary folder, or to `SURVEY_DASHBOARD_SCREENSHOTS` (e.g. docs/screenshots)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from browser import ROOT, browser_missing, chromium, full_page_screenshot, serve
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

PASSWORD = "demo-mat-khau-2026"

pytestmark = pytest.mark.slow


def _go(element: WebElement) -> None:
    page = element.parent.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(element.parent, 30).until(ec.staleness_of(page))


def _login(d: WebDriver, base: str, who: str) -> None:
    d.delete_all_cookies()
    d.get(base + "/dashboard/login")
    d.find_element(By.NAME, "username").send_keys(who)
    d.find_element(By.NAME, "password").send_keys(PASSWORD)
    _go(d.find_element(By.CSS_SELECTOR, "form button[type=submit]"))


def _narrowest_text(d: WebDriver, selector: str) -> float:
    """The narrowest width (CSS px) of the visible elements matching `selector`."""
    widths = d.execute_script(
        "return [...document.querySelectorAll(arguments[0])].filter(e => e.offsetParent)"
        ".map(e => e.getBoundingClientRect().width)",
        selector,
    )
    return min(widths) if widths else 0.0


def _no_sideways_scroll(d: WebDriver) -> bool:
    return bool(d.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_province_cases_and_rules_in_the_browser(tmp_path: Path) -> None:
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
    with (
        serve(db_url, tmp_path / "data", tmp_path / "serve.log") as base,
        chromium(tmp_path / "profile", tmp_path / "downloads") as d,
    ):
        # the province official: the communes ranked, with a chart; phone width keeps them readable
        _login(d, base, "tinh")
        _go(d.find_element(By.LINK_TEXT, "Quý"))
        ranking = d.find_element(By.ID, "ranking")
        rows = ranking.find_elements(By.CSS_SELECTOR, "table.ranking tbody tr")
        assert len(rows) == 5
        full_page_screenshot(d, shots / "dashboard-province-ranking.png", 1280)
        full_page_screenshot(d, shots / "dashboard-province-ranking-phone.png", 390)
        assert _no_sideways_scroll(d)
        labels = d.execute_script(
            "return [...document.querySelectorAll('#ranking .bar-label, #ranking .bar-value, #ranking td')]"
            ".map(e => parseFloat(getComputedStyle(e).fontSize))"
        )
        assert min(labels) >= 11, labels
        # the trend's axis labels are drawn at 11 px or more on the phone (the chart scrolls, not shrinks)
        shown = d.execute_script(
            "const s = document.querySelector('svg.chart'); const k = s.getBoundingClientRect().width"
            " / s.viewBox.baseVal.width; return [...s.querySelectorAll('text')]"
            ".map(e => parseFloat(getComputedStyle(e).fontSize) * k)"
        )
        assert shown and min(shown) >= 11, shown
        d.set_window_size(1280, 900)
        # a click drills into the commune
        name = rows[0].find_element(By.TAG_NAME, "a").text
        _go(rows[0].find_element(By.TAG_NAME, "a"))
        assert name in d.find_element(By.TAG_NAME, "h1").text

        # comments: searched without diacritics, across the province, with the unit shown
        _login(d, base, "tinh")
        _go(d.find_element(By.LINK_TEXT, "Góp ý"))
        _go(d.find_element(By.LINK_TEXT, "Quý"))
        Select(d.find_element(By.NAME, "state")).select_by_value("all")
        d.find_element(By.NAME, "q").send_keys("cho lau")
        _go(d.find_element(By.CSS_SELECTOR, "form.case-filters button[type=submit]"))
        cards = d.find_elements(By.CSS_SELECTOR, "article.case")
        assert cards and all("lâu" in c.find_element(By.CSS_SELECTOR, ".comment-text").text for c in cards)
        assert any(c.find_elements(By.CSS_SELECTOR, ".unit-name") for c in cards)
        # the serious topic
        d.find_element(By.NAME, "q").clear()
        Select(d.find_element(By.NAME, "topic")).select_by_value("tien_qua")
        _go(d.find_element(By.CSS_SELECTOR, "form.case-filters button[type=submit]"))
        card = d.find_element(By.CSS_SELECTOR, "article.case")
        assert "Tiền, quà, tiêu cực" in card.text
        # a case moved: in progress, with a note
        card.find_element(By.CSS_SELECTOR, "details.step summary").click()
        Select(card.find_element(By.CSS_SELECTOR, "select[name=state]")).select_by_value("dang_xu_ly")
        card.find_element(By.TAG_NAME, "textarea").send_keys("Đã chuyển Thanh tra xã xác minh.")
        case_id = card.get_attribute("id")
        _go(card.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        moved = d.find_element(By.ID, case_id)
        moved.find_element(By.CSS_SELECTOR, "details.history summary").click()
        assert "tinh → Đang xử lý" in moved.text and "Thanh tra xã" in moved.text
        full_page_screenshot(d, shots / "dashboard-comments-cases.png", 1280)
        full_page_screenshot(d, shots / "dashboard-comments-phone.png", 390)
        assert _no_sideways_scroll(d)
        # the comment is readable at 390 px: its text box is wider than 250 px (not 3 characters a line)
        assert _narrowest_text(d, "article.case .comment-text") > 250
        d.set_window_size(1280, 900)

        # alerts of the year: a rule's alert next to the ballots', paged
        _go(d.find_element(By.LINK_TEXT, "Cảnh báo"))
        _go(d.find_element(By.LINK_TEXT, "Năm"))
        assert "Nhiều phiếu không hài lòng" in d.page_source or "Chỉ số ngày thấp" in d.page_source
        assert d.find_elements(By.CSS_SELECTOR, "a[rel=next]")
        full_page_screenshot(d, shots / "dashboard-alerts-cases.png", 1280)
        full_page_screenshot(d, shots / "dashboard-alerts-phone.png", 390)
        assert _no_sideways_scroll(d)
        d.set_window_size(1280, 900)

        # when and where: the hour × weekday grid and the counters of the year
        _go(d.find_element(By.LINK_TEXT, "Thời gian, quầy"))
        _go(d.find_element(By.LINK_TEXT, "Năm"))
        cells = d.find_elements(By.CSS_SELECTOR, "table.when-grid td[data-n]")
        assert sum(int(c.get_attribute("data-n") or 0) for c in cells) > 1000
        assert len(d.find_elements(By.CSS_SELECTOR, "#counters-h + .table-wrap tbody tr")) == 5
        full_page_screenshot(d, shots / "dashboard-when.png", 1280)
        full_page_screenshot(d, shots / "dashboard-when-phone.png", 390)
        assert _no_sideways_scroll(d)
        d.set_window_size(1280, 900)

        # the officers table at phone width: the index column is on screen
        _go(d.find_element(By.LINK_TEXT, "Công chức"))
        d.set_window_size(390, 900)
        right = d.execute_script(
            "const c = document.querySelector('td[data-col=index]');"
            "return c ? c.getBoundingClientRect().right : 0"
        )
        full_page_screenshot(d, shots / "dashboard-officers-phone.png", 390)
        assert 0 < right <= 390
        d.set_window_size(1280, 900)

        # the administrator's rules
        _login(d, base, "admin")
        d.get(base + "/dashboard/rules?unit=TINH-DEMO")
        assert "Tỷ lệ “không hài lòng” ≥ 50,0 % trong 60 phút" in d.page_source
        full_page_screenshot(d, shots / "dashboard-rules.png", 1280)

"""A whole phone ballot in real headless Chromium at 390 px against a real `survey-server serve`: one
question per page, large targets, no script and no cookie, the consent as on the kiosk, the thanks with
the office's channels, and the used link's page. Screenshots go to a temporary folder, or to
`SURVEY_PHONE_SCREENSHOTS` (e.g. docs/screenshots/phone)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from browser import ROOT, browser_missing, chromium, full_page_screenshot, serve
from dashboard_world import PASSWORD, build_world
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select, update

from sync_server.db import read_session, write_session
from sync_server.models import Response, Unit
from sync_server.web_ballots import mint_slips

pytestmark = pytest.mark.slow
SECRET = "browser-phone-secret"
WIDTH = 390


def _go(element: WebElement) -> None:
    page = element.parent.find_element(By.TAG_NAME, "html")
    element.click()
    wait = WebDriverWait(element.parent, 30)
    wait.until(ec.staleness_of(page))
    # A send is a 303 to the thanks: wait until the page it lands on has loaded.
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")


def test_a_citizen_rates_privately_on_a_phone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = browser_missing()
    if missing:
        pytest.skip(f"Chromium is needed for the browser test: {missing}")
    shots = Path(os.environ.get("SURVEY_PHONE_SCREENSHOTS") or tmp_path / "shots")
    if not shots.is_absolute():
        shots = ROOT / shots
    world = build_world(tmp_path)
    with write_session(world.engine) as session:
        values = {"web_ballots_enabled": True, "hotline": "0210 3 456 789", "zalo": "0912 000 111"}
        values |= {"email": "ubnd@hoabinh.gov.vn", "feedback_box": "Cửa phòng Một cửa, tầng 1"}
        session.execute(update(Unit).where(Unit.code == "XA01").values(**values))  # type: ignore[arg-type]
        unit = session.execute(select(Unit).where(Unit.code == "XA01")).scalars().one()  # type: ignore[arg-type]
        token, used = mint_slips(session, unit, None, [None, None], dt.datetime.now(dt.UTC), SECRET)
        session.commit()
    with read_session(world.engine) as session:
        before = len(session.execute(select(Response)).scalars().all())
    monkeypatch.setenv("SURVEY_SECRET_KEY", SECRET)
    with (
        serve(world.db_url, world.data_dir, tmp_path / "serve.log") as base,
        chromium(tmp_path / "profile", tmp_path / "downloads", width=WIDTH, height=844) as d,
    ):
        d.set_window_size(WIDTH, 844)
        d.get(f"{base}/r/{token}")
        assert d.execute_script("return document.documentElement.clientWidth") <= WIDTH
        assert d.find_element(By.TAG_NAME, "h1").text == "Cán bộ nào đã phục vụ Ông/Bà?"
        for button in d.find_elements(By.CSS_SELECTOR, "button[data-staff]"):
            assert button.size["height"] >= 56 and button.size["width"] >= 300  # large targets
        full_page_screenshot(d, shots / "phone-1-officer.png", WIDTH)
        _go(d.find_element(By.CSS_SELECTOR, 'button[data-staff="cb02"]'))
        assert "Trần Văn Đức" in d.find_element(By.CSS_SELECTOR, ".officer").text
        assert d.find_element(By.CSS_SELECTOR, "h1").get_attribute("data-question") == "tong_the"
        full_page_screenshot(d, shots / "phone-2-rating.png", WIDTH)
        _go(d.find_element(By.CSS_SELECTOR, 'button[data-value="2"]'))
        # A low score asks its reasons, as on the kiosk.
        assert d.find_element(By.CSS_SELECTOR, "h1").get_attribute("data-question") == "ly_do_chua_hai_long"
        d.find_element(By.CSS_SELECTOR, 'input[value="cho_lau"]').click()
        full_page_screenshot(d, shots / "phone-3-reasons.png", WIDTH)
        _go(d.find_element(By.CSS_SELECTOR, 'button[name="do"][value="answer"]'))
        full_page_screenshot(d, shots / "phone-4-offer.png", WIDTH)
        _go(d.find_element(By.CSS_SELECTOR, 'button[data-do="more"]'))
        full_page_screenshot(d, shots / "phone-5-detail.png", WIDTH)
        _go(d.find_element(By.CSS_SELECTOR, 'button[value="5"]'))
        while not d.find_elements(By.NAME, "comment"):
            _go(d.find_element(By.CSS_SELECTOR, 'button[value="skip"]'))
        d.find_element(By.NAME, "comment").send_keys("Chờ hơi lâu ở quầy địa chính.")
        d.find_element(By.NAME, "phone").send_keys("0912 345 678")
        d.find_element(By.NAME, "consent").click()
        full_page_screenshot(d, shots / "phone-6-comment.png", WIDTH)
        _go(d.find_element(By.CSS_SELECTOR, 'button[data-do="send"]'))
        thanks = WebDriverWait(d, 30).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, "[data-step=thanks]"))
        )
        assert thanks.text == "Xin trân trọng cảm ơn Ông/Bà!"
        channels = d.find_element(By.CSS_SELECTOR, "ul.channels").text
        assert "0210 3 456 789" in channels and "Hòm thư góp ý" in channels
        full_page_screenshot(d, shots / "phone-7-thanks.png", WIDTH)
        assert d.get_cookies() == []  # no cookie at all, so nothing to track
        d.get(f"{base}/r/{token}")
        assert "đã được dùng" in d.find_element(By.CSS_SELECTOR, "[data-reason]").text
        assert (
            "0210 3 456 789" in d.find_element(By.CSS_SELECTOR, "ul.channels").text
        )  # still a way to reach us
        full_page_screenshot(d, shots / "phone-8-used.png", WIDTH)
        d.get(f"{base}/r/{used[:-2]}xx")
        assert d.find_element(By.CSS_SELECTOR, "[data-reason]").get_attribute("data-reason") in (
            "signature",
            "malformed",
        )
        full_page_screenshot(d, shots / "phone-9-tampered.png", WIDTH)
        d.get(f"{base}/r/{used}?lang=en")
        assert d.find_element(By.TAG_NAME, "h1").text == "Which officer served you?"
        full_page_screenshot(d, shots / "phone-10-english.png", WIDTH)
        # The administrator's side: the phone tab with the switch, the channels and the slips form.
        d.get(f"{base}/dashboard/login")
        d.find_element(By.NAME, "username").send_keys("admin")
        d.find_element(By.NAME, "password").send_keys(PASSWORD)
        _go(d.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
        d.get(f"{base}/dashboard/phone?unit=XA01")
        assert d.find_element(By.NAME, "enabled").is_selected()
        assert d.find_element(By.NAME, "hotline").get_attribute("value") == "0210 3 456 789"
        full_page_screenshot(d, shots / "dashboard-phone-tab.png", WIDTH)
        # Nothing the CSP had to block (refused pages' 4xx statuses and the favicon are network entries).
        logs = [e for e in d.get_log("browser") if e["level"] == "SEVERE" and e["source"] != "network"]
        assert logs == [], logs
    with read_session(world.engine) as session:
        rows = session.execute(select(Response)).scalars().all()
    web = [r for r in rows if r.source == "web"]
    assert len(rows) == before + 1 and len(web) == 1
    assert (web[0].staff_id, web[0].answers["tong_the"], web[0].contact_phone) == ("cb02", 2, "0912345678")
    world.engine.dispose()

"""Opening hours from the unit's configuration: outside them a resting screen, and no ballot starts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from kiosk.config import config_from_json
from kiosk.store import KioskStore
from surveys.loader import default_survey_path, load_survey
from tests.kiosk.conftest import Kiosk

HOURS = {"mon": [["07:30", "11:30"], ["13:30", "17:00"]], "sat": [["07:30", "11:30"]]}


def _body(hours: Any) -> dict[str, Any]:
    return {
        "config_version": "v1",
        "unit": {"code": "XA-01", "name": "Xã Hòa Bình", "timezone": "Asia/Ho_Chi_Minh"},
        "survey": load_survey(default_survey_path()).to_json(),
        "staff": [{"id": "nv01", "name": "Nguyễn Thị Lan", "title": "", "counter": "1", "photo_url": None}],
        "settings": {"idle_timeout_s": 45, "detail_items_per_ballot": 0, "opening_hours": hours},
    }


def _enrolled(store: KioskStore) -> None:
    store.set("config_json", json.dumps(_body(HOURS)))


class WallClock:
    """The unit's local time, moved by the test (a Monday in December 2026 to start)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 12, 15)  # Monday, the lunch break

    def __call__(self) -> datetime:
        return self.now


def test_outside_the_hours_the_kiosk_rests_and_takes_no_ballot(make_kiosk: Callable[..., Kiosk]) -> None:
    kiosk = make_kiosk(size=(1280, 800), setup=_enrolled)
    clock = WallClock()
    kiosk.app.wall_clock = clock
    kiosk.app._check_hours()
    kiosk.pump(2)
    assert kiosk.screen == "closed"
    assert kiosk.widget("closed_title").text == "Ngoài giờ làm việc"
    assert kiosk.widget("closed_hours").text == "Thứ Hai: 07:30–11:30, 13:30–17:00\nThứ Bảy: 07:30–11:30"
    kiosk.touch(kiosk.widget("closed_title"))  # a tap anywhere starts nothing
    kiosk.app.start_ballot()
    assert kiosk.screen == "closed" and kiosk.ballots() == []
    clock.now = datetime(2026, 12, 7, 13, 30)  # the office opens again
    kiosk.app._check_hours()
    assert kiosk.screen == "welcome"
    kiosk.tap("start")
    kiosk.tap("staff_nv01")
    clock.now = datetime(2026, 12, 7, 17, 0)  # closing time in the middle of a ballot: it goes on
    kiosk.app._check_hours()
    kiosk.tap("face_5")
    kiosk.tap("send_now")
    assert kiosk.screen == "thanks" and len(kiosk.ballots()) == 1
    kiosk.app.thanks_done()
    assert kiosk.screen == "closed"
    clock.now = datetime(2026, 12, 13, 9, 0)  # Sunday: closed all day
    kiosk.app._check_hours()
    assert kiosk.screen == "closed"


def test_no_hours_means_always_open_and_bad_hours_are_ignored_with_a_warning(tmp_path: Any) -> None:
    assert config_from_json(_body(None), tmp_path).opening_hours is None
    config = config_from_json(_body({"mon": [["17:00", "07:30"]]}), tmp_path)
    assert config.opening_hours is None
    assert config.warning is not None and "closes before it opens" in config.warning
    assert config_from_json(_body(HOURS), tmp_path).opening_hours == HOURS


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("T2-T6 7h30-11h30", "is not a time"),
        ("T8 07:30-11:30", "not a weekday"),
        ("T6-T2 07:30-11:30", "runs from"),
    ],
)
def test_a_mistyped_schedule_is_one_clear_sentence(text: str, message: str) -> None:
    from surveys.opening_hours import HoursError, parse_hours

    with pytest.raises(HoursError, match=message):
        parse_hours(text)

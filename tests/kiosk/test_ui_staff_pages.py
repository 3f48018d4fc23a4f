"""More officers than fit on a screen: pages with big arrows and dots, long names that never overlap."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.kiosk.conftest import Kiosk
from tests.kiosk.layout_checks import layout_problems

LONG = [
    ("nv01", "Tôn Nữ Thị Hoàng Phương Thảo", "Công chức Tư pháp – Hộ tịch", "Quầy tiếp nhận hồ sơ đất đai"),
    ("nv02", "Nguyễn Thị Lan", "Công chức Văn hoá – Xã hội", "2"),
    ("nv03", "Công Tằng Tôn Nữ Bảo Khánh Ngọc Diệp", "Công chức Địa chính – Nông nghiệp – Xây dựng", "3"),
]


def _roster(path: Path, count: int, long: int = 3) -> Path:
    usual = "Công chức Văn phòng – Thống kê"
    rows = [*LONG[:long], *((f"nv{i:02d}", f"Trần Văn Minh {i}", usual, str(i)) for i in range(long + 1, 40))]
    lines = ["id,name,title,counter,photo"] + [f"{a},{b},{c},{d}," for a, b, c, d in rows[:count]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _cards(kiosk: Kiosk) -> list[Any]:
    return list(reversed(kiosk.app.sm.current_screen.ids.grid.children))


def _check_page(kiosk: Kiosk) -> None:
    screen = kiosk.app.sm.current_screen
    assert layout_problems(screen) == []
    area = screen.ids.area
    cards = _cards(kiosk)
    for card in cards:
        # Every card whole inside the room for cards: none hidden under the page buttons.
        assert card.y >= area.y - 1 and card.top <= area.top + 1, card.officer_name
        assert card.right <= area.right + 1
    for i, card in enumerate(cards):
        for other in cards[i + 1 :]:
            assert not card.collide_widget(other) or card.right <= other.x + 1 or card.y >= other.top - 1


@pytest.mark.parametrize(("size", "diagonal"), [((1024, 600), 7.0), ((1280, 800), 10.1), ((800, 1280), 10.1)])
@pytest.mark.parametrize("count", [9, 14])
def test_every_officer_is_on_one_page_and_the_arrows_say_there_are_more(
    make_kiosk: Callable[..., Kiosk], tmp_path: Path, size: tuple[int, int], diagonal: float, count: int
) -> None:
    roster = _roster(tmp_path / "roster.csv", count)
    kiosk = make_kiosk(size=size, screen_diagonal_in=diagonal, config_file=roster, detail_items_per_ballot=0)
    kiosk.tap("start")
    screen = kiosk.app.sm.current_screen
    # Upright, a 10.1" tablet shows ten officers at once; 14 need two pages everywhere.
    assert screen.pages > 1 or (size == (800, 1280) and count == 9)
    if screen.pages > 1:
        assert kiosk.widget("page_next").height / kiosk.app.sz.mm >= 12  # a target, not a 10 px scrollbar
        assert kiosk.widget("page_of").text == f"Trang 1 / {screen.pages}"
        assert kiosk.widget("page_prev").disabled
    else:
        assert kiosk.widget("page_next").height == 0
    seen: list[str] = []
    for page in range(screen.pages):
        assert screen.page == page
        _check_page(kiosk)
        seen += [card.staff_id for card in _cards(kiosk)]
        if page < screen.pages - 1:
            kiosk.tap("page_next")
    assert kiosk.widget("page_next").disabled or screen.pages == 1
    assert sorted(seen) == sorted(f"nv{i:02d}" for i in range(1, count + 1))
    last = _cards(kiosk)[-1].staff_id
    kiosk.tap(f"staff_{last}")
    kiosk.tap("face_5")
    kiosk.tap("send_now")
    assert [b["staff_id"] for b in kiosk.ballots()] == [last]


def test_back_returns_to_the_page_of_the_officer_chosen(
    make_kiosk: Callable[..., Kiosk], tmp_path: Path
) -> None:
    roster = _roster(tmp_path / "roster.csv", 14)
    kiosk = make_kiosk(size=(1280, 800), config_file=roster)
    kiosk.tap("start")
    kiosk.tap("page_next")
    kiosk.tap("page_next")
    kiosk.tap("page_prev")
    assert kiosk.app.sm.current_screen.page == 1
    chosen = _cards(kiosk)[0].staff_id
    assert chosen != "nv01"
    kiosk.tap(f"staff_{chosen}")
    kiosk.tap("back")
    # The officer chosen is on the page shown again, marked.
    assert kiosk.screen == "staff" and kiosk.widget(f"staff_{chosen}").selected


def test_six_officers_fit_one_page_without_arrows(make_kiosk: Callable[..., Kiosk], tmp_path: Path) -> None:
    kiosk = make_kiosk(size=(1280, 800), config_file=_roster(tmp_path / "roster.csv", 6, long=1))
    kiosk.tap("start")
    assert kiosk.app.sm.current_screen.pages == 1 and len(_cards(kiosk)) == 6
    assert kiosk.widget("page_next").height == 0
    _check_page(kiosk)

"""Officer cards show the counter as the roster names it, without "Quầy Quầy 1"."""

from kiosk.ui.strings import counter_label


def test_a_bare_counter_number_gets_the_word_for_counter() -> None:
    assert counter_label("2", "vi") == "Quầy 2"
    assert counter_label(" A3 ", "en") == "Counter A3"


def test_a_roster_that_already_says_quay_is_shown_as_it_is() -> None:
    assert counter_label("Quầy 1", "vi") == "Quầy 1"
    assert counter_label("Phòng Một cửa", "en") == "Phòng Một cửa"


def test_no_counter_shows_nothing() -> None:
    assert counter_label("", "vi") == ""
    assert counter_label("  ", "vi") == ""

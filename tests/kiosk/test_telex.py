"""Telex typing: what a citizen types on the kiosk's keyboard and what the comment then says."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.telex import TONE_MARKS, add_tone, split_tone, telex, type_key


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Cans booj raats nhieetj tinhf", "Cán bộ rất nhiệt tình"),
        ("Thur tucj nhanh chongs, xin camr own!", "Thủ tục nhanh chóng, xin cảm ơn!"),
        ("Dduwowngf xa", "Đường xa"),
        ("Vieetj Nam", "Việt Nam"),
        ("THUR TUCJ", "THỦ TỤC"),
        ("awn uoongs", "ăn uống"),
        ("nhw", "như"),
        ("ddi", "đi"),
    ],
)
def test_sentences_come_out_as_written(typed: str, shown: str) -> None:
    assert telex(typed) == shown


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        # Tone on the vowel with a shape, the ơ of ươ.
        ("nguwowif", "người"),
        ("truwowngf", "trường"),
        ("huwux", "hữu"),
        # Final consonant: the last vowel.
        ("hoangf", "hoàng"),
        ("toans", "toán"),
        ("huynhf", "huỳnh"),
        # Two vowels, open: the first (classic: hòa, thủy, khỏe).
        ("muaf", "mùa"),
        ("hoaf", "hòa"),
        ("thuyr", "thủy"),
        ("khoer", "khỏe"),
        # Three vowels: the middle one.
        ("ngoaif", "ngoài"),
        ("khuyru", "khuỷu"),
        # qu and gi are consonants before a vowel.
        ("quas", "quá"),
        ("quys", "quý"),
        ("gias", "giá"),
        ("gif", "gì"),
    ],
)
def test_the_tone_lands_on_the_right_vowel(typed: str, shown: str) -> None:
    assert telex(typed) == shown


def test_the_tone_can_come_before_the_rest_of_the_word() -> None:
    assert telex("tieengs") == telex("tieesng") == telex("tiesneg") == "tiếng"
    assert telex("hoafng") == "hoàng"  # the tone moves when the final consonant arrives


def test_a_key_typed_twice_takes_its_mark_back() -> None:
    assert telex("ass") == "as"
    assert telex("aaa") == "aa"
    assert telex("ddd") == "dd"
    assert telex("tooot") == "toot"
    assert telex("casz") == "ca"  # z removes the tone


def test_letters_that_change_nothing_stay_letters() -> None:
    assert telex("s") == "s"  # no vowel to carry a tone
    assert telex("ok, 12 giờ") == "ok, 12 giờ"  # text already in Vietnamese is kept
    assert type_key("ba", "n") == "ban"
    assert type_key("bán", "h") == "bánh"


def test_a_tone_key_from_the_on_screen_bar_is_the_same_as_its_letter() -> None:
    assert add_tone("Viêt", TONE_MARKS["nang"]) == "Việt"
    assert add_tone("Viết", TONE_MARKS["nang"]) == "Việt"  # a new tone replaces the old one
    assert add_tone("nguơi", TONE_MARKS["huyen"]) == "nguời"
    assert add_tone("người", "") == "ngươi"
    assert split_tone("Việt") == ("Viêt", TONE_MARKS["nang"])


_LETTERS = st.text(alphabet="abcdeghiklmnopqrstuvwxyADEOW ,.", max_size=40)


@given(_LETTERS)
def test_the_output_is_nfc_and_never_longer_than_the_keys(typed: str) -> None:
    shown = telex(typed)
    assert unicodedata.is_normalized("NFC", shown)
    assert len(shown) <= len(typed)


@given(st.text(alphabet="bcghklmnpqtv0123456789 ,.!?", max_size=40))
def test_text_without_telex_keys_is_untouched(typed: str) -> None:
    assert telex(typed) == typed

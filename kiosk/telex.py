"""Telex, the Vietnamese way of typing on a Latin keyboard, one key at a time (pure, no Kivy).

    >>> telex("Cans booj raats nhieetj tinhf")
    'Cán bộ rất nhiệt tình'

Keys: aa → â, aw → ă, ee → ê, oo → ô, ow → ơ, uw → ư (uow → ươ), w alone → ư, dd → đ;
tones s (sắc), f (huyền), r (hỏi), x (ngã), j (nặng), z removes the tone. The tone lands on the
right vowel whatever order the keys came in ("tieengs" and "tieesng" both give "tiếng"); typing a
key twice undoes it and keeps the letter ("ss" → "s"). Output is NFC. Tone placement follows the
classic rule the press uses (hòa, thủy, quá, giá, người, khuỷu, hoàng).
"""

from __future__ import annotations

import unicodedata

__all__ = ["TONE_KEYS", "TONE_MARKS", "add_tone", "split_tone", "telex", "type_key"]

# Combining marks of the five tones, and the Telex key of each.
TONE_MARKS = {
    "sac": "\u0301",
    "huyen": "\u0300",
    "hoi": "\u0309",
    "nga": "\u0303",
    "nang": "\u0323",
}
TONE_KEYS = {
    "s": TONE_MARKS["sac"],
    "f": TONE_MARKS["huyen"],
    "r": TONE_MARKS["hoi"],
    "x": TONE_MARKS["nga"],
    "j": TONE_MARKS["nang"],
}
_TONES = frozenset(TONE_MARKS.values())
_CIRCUMFLEX, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
_VOWELS = frozenset("aeiouy")


def _parts(char: str) -> tuple[str, str, str]:
    """'ấ' -> ('a', circumflex, acute): base letter, vowel modifier, tone (either may be '')."""
    decomposed = unicodedata.normalize("NFD", char)
    base, marks = decomposed[:1], decomposed[1:]
    tone = next((m for m in marks if m in _TONES), "")
    modifier = "".join(m for m in marks if m not in _TONES)
    return base, modifier, tone


def _join(base: str, modifier: str, tone: str = "") -> str:
    return unicodedata.normalize("NFC", base + modifier + tone)


def _is_vowel(char: str) -> bool:
    return _parts(char)[0].lower() in _VOWELS


def split_tone(word: str) -> tuple[str, str]:
    """The word without its tone, and the tone's combining mark ('' when none).

    >>> split_tone("Việt")
    ('Viêt', '̣')
    """
    tone = ""
    letters = []
    for char in word:
        base, modifier, mark = _parts(char)
        tone = mark or tone
        letters.append(_join(base, modifier))
    return "".join(letters), tone


def _vowel_span(word: str) -> tuple[int, int] | None:
    """[start, end) of the syllable's vowel nucleus (the last run of vowels), "qu"/"gi" excluded."""
    end = len(word)
    while end > 0 and not _is_vowel(word[end - 1]):
        end -= 1
    if end == 0:
        return None
    start = end
    while start > 0 and _is_vowel(word[start - 1]):
        start -= 1
    lower = "".join(_parts(c)[0].lower() for c in word)
    # The u of "qu" and the i of "gi" belong to the consonant when a vowel follows them.
    if end - start > 1 and start > 0 and lower[start - 1 : start + 1] in ("qu", "gi"):
        start += 1
    return start, end


def _tone_index(word: str) -> int | None:
    """Where the tone goes in a tone-less word, or None when it has no vowel."""
    span = _vowel_span(word)
    if span is None:
        return None
    start, end = span
    modified = [i for i in range(start, end) if _parts(word[i])[1]]
    if modified:
        return modified[-1]  # ê, ơ, ô, â, ă, ư carry it (ươ: the ơ)
    nucleus = "".join(_parts(c)[0].lower() for c in word[start:end])
    if end < len(word):
        return end - 1  # a final consonant follows: toán, hoàng, huỳnh
    if len(nucleus) >= 3:
        return start + 1  # ngoài, khuỷu
    if len(nucleus) == 2:
        return start  # mùa, hài, cháo, and the classic hòa, khỏe, thủy (as the press writes them)
    return start  # a single vowel


def add_tone(word: str, mark: str) -> str:
    """`word` with tone `mark` (a combining mark of TONE_MARKS, or '' for none) on the right vowel.

    >>> add_tone("hoa", TONE_MARKS["huyen"])
    'hòa'
    """
    plain, _old = split_tone(word)
    index = _tone_index(plain)
    if index is None or not mark:
        return plain
    base, modifier, _ = _parts(plain[index])
    return plain[:index] + _join(base, modifier, mark) + plain[index + 1 :]


def _modify(plain: str, key: str) -> str | None:
    """Apply a vowel-shape key (a, e, o, w) or d to a tone-less word; None when it does not apply."""
    lower = key.lower()
    span = _vowel_span(plain)
    if lower == "d":
        last = plain[-1:] if plain else ""
        if last.lower() == "d":
            return plain[:-1] + ("Đ" if last.isupper() else "đ")
        return None
    if lower in "aeo":
        if span is None:
            return None
        for i in range(span[1] - 1, span[0] - 1, -1):
            base, modifier = _parts(plain[i])[:2]
            if base.lower() == lower and modifier in ("", _BREVE, _HORN):
                return plain[:i] + _join(base, _CIRCUMFLEX) + plain[i + 1 :]
        return None
    if lower == "w":
        if span is None:
            # "w" on its own is ư (nhw → như); not after a final consonant.
            return None if any(_is_vowel(c) for c in plain) else plain + ("Ư" if key.isupper() else "ư")
        start, end = span
        bases = [_parts(c)[0] for c in plain]
        nucleus = "".join(b.lower() for b in bases[start:end])
        at = nucleus.find("uo")
        if at >= 0:  # ươ together, as in người, trường
            i = start + at
            return plain[:i] + _join(bases[i], _HORN) + _join(bases[i + 1], _HORN) + plain[i + 2 :]
        for i in range(end - 1, start - 1, -1):
            base, modifier = _parts(plain[i])[:2]
            if base.lower() in "aou" and modifier in ("", _CIRCUMFLEX):
                return plain[:i] + _join(base, _BREVE if base.lower() == "a" else _HORN) + plain[i + 1 :]
        return None
    return None


def _undo(plain: str, key: str) -> str | None:
    """The second press of a shape key takes the shape back and keeps the letter (aaa → aa)."""
    lower = key.lower()
    wanted = {"a": (_CIRCUMFLEX,), "e": (_CIRCUMFLEX,), "o": (_CIRCUMFLEX,), "w": (_BREVE, _HORN)}
    if lower == "d" and plain[-1:].lower() == "đ":
        return plain[:-1] + ("D" if plain[-1] == "Đ" else "d") + key
    if lower not in wanted:
        return None
    span = _vowel_span(plain)
    if span is None:
        return None
    changed = False
    letters = list(plain)
    for i in range(span[1] - 1, span[0] - 1, -1):
        base, modifier = _parts(letters[i])[:2]
        if modifier in wanted[lower] and (lower == "w" or base.lower() == lower):
            letters[i] = base
            changed = True
            if lower != "w":
                break
    return "".join(letters) + key if changed else None


def type_key(word: str, key: str) -> str:
    """The word after typing one more `key` at its end, Telex rules applied.

    >>> type_key("viêt", "j")
    'việt'
    """
    if len(key) != 1 or not key.isalpha():
        return word + key
    lower = key.lower()
    plain, tone = split_tone(word)
    if lower in TONE_KEYS or lower == "z":
        if _tone_index(plain) is None:
            return word + key
        mark = TONE_KEYS.get(lower, "")
        if lower == "z":
            return plain if tone else word + key
        if tone == mark:
            return plain + key  # the same tone twice: take it back, keep the letter
        return add_tone(plain, mark)
    if lower in "aeowd":
        shaped = _modify(plain, key)
        if shaped is None:
            shaped = _undo(plain, key)
            if shaped is None:
                return add_tone(plain + key, tone)
        return add_tone(shaped, tone)
    return add_tone(plain + key, tone) if tone else word + key


def telex(text: str) -> str:
    """Convert a whole Telex-typed text, word by word, as if typed key by key (NFC).

    >>> telex("Dduwowngf xa")
    'Đường xa'
    """
    out: list[str] = []
    word = ""
    for char in unicodedata.normalize("NFC", text):
        if char.isalpha():
            word = type_key(word, char)
        else:
            out.append(word + char)
            word = ""
    out.append(word)
    return unicodedata.normalize("NFC", "".join(out))

"""The topics of citizens' comments: a taxonomy kept as data beside the survey
(surveys/taxonomy/topics.toml, outside the folder of survey definitions).

    >>> taxonomy = load_topics(default_topics_path())
    >>> [t.id for t in taxonomy.topics_of("Chờ lâu quá, phải nộp thêm tiền")]
    ['tien_qua', 'cho_lau']

Words are compared after NFC normalisation and lower-casing. A word written without any diacritic
matches the same word with any diacritics ("cho" finds "chờ" and "chợ"); a word written with them
matches only itself ("quá" does not find "quà"). `fold` gives the text without diacritics (đ → d),
which the dashboard's search compares. The only exception the loader raises is `TopicsError`.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "Taxonomy",
    "Topic",
    "TopicsError",
    "default_topics_path",
    "fold",
    "load_topics",
    "parse_topics",
    "words",
]

_ID_RE = re.compile(r"[a-z0-9][a-z0-9_]{0,39}")
_WORD_RE = re.compile(r"\w+")
_FILE_KEYS = {"version", "topics"}
_TOPIC_KEYS = {"id", "name", "serious", "keywords"}
MAX_TOPICS = 50
MAX_KEYWORDS = 200


class TopicsError(Exception):
    """The taxonomy file is not valid; the message names the file and the topic."""


def fold(text: str) -> str:
    """Lower case, NFC, without diacritics (đ → d): 'Chờ LÂU' → 'cho lau'."""
    lowered = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    bare = "".join(ch for ch in lowered if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare)


def words(text: str) -> list[str]:
    """The words of `text`, NFC and lower case."""
    return _WORD_RE.findall(unicodedata.normalize("NFC", text).lower())


def _word_matches(keyword_word: str, text_word: str) -> bool:
    if keyword_word == text_word:
        return True
    bare_k, bare_t = fold(keyword_word), fold(text_word)
    return bare_k == bare_t and (bare_k == keyword_word or bare_t == text_word)


@dataclass(frozen=True)
class Topic:
    id: str
    name_vi: str
    name_en: str
    serious: bool
    keywords: tuple[tuple[str, ...], ...]  # each keyword as its words

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_vi

    def matches(self, text_words: Sequence[str]) -> bool:
        for phrase in self.keywords:
            size = len(phrase)
            for start in range(len(text_words) - size + 1):
                if all(_word_matches(k, text_words[start + i]) for i, k in enumerate(phrase)):
                    return True
        return False


@dataclass(frozen=True)
class Taxonomy:
    version: str
    topics: tuple[Topic, ...]

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def topics_of(self, text: str | None) -> list[Topic]:
        """The topics of a comment, in the file's order."""
        if not text:
            return []
        found = words(text)
        return [t for t in self.topics if t.matches(found)]


def default_topics_path() -> Path:
    return Path(__file__).with_name("taxonomy") / "topics.toml"


def load_topics(path: str | Path) -> Taxonomy:
    """Read and check a taxonomy file; raises TopicsError."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TopicsError(f"{path}: cannot read the file ({exc.strerror}).") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TopicsError(f"{path}: not valid UTF-8 TOML: {exc}.") from None
    return parse_topics(data, str(path))


def _text(where: str, value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TopicsError(f"{where}: {what} must be a non-empty text.")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise TopicsError(f"{where}: {what} holds a control character.")
    return unicodedata.normalize("NFC", value.strip())


def parse_topics(data: Any, source: str) -> Taxonomy:
    """Check the parsed TOML of a taxonomy; raises TopicsError naming `source` and the topic."""
    if not isinstance(data, dict):
        raise TopicsError(f"{source}: the file must be a TOML table.")
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        raise TopicsError(f"{source}: unknown key {unknown[0]!r} (allowed: version, topics).")
    version = _text(source, data.get("version"), "version")
    entries = data.get("topics")
    if not isinstance(entries, list) or not entries:
        raise TopicsError(f"{source}: [[topics]] must list at least one topic.")
    if len(entries) > MAX_TOPICS:
        raise TopicsError(f"{source}: at most {MAX_TOPICS} topics.")
    topics: list[Topic] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        where = f"{source}: topic {number}"
        if not isinstance(entry, dict):
            raise TopicsError(f"{where} must be a table.")
        tid = entry.get("id")
        if not isinstance(tid, str) or not _ID_RE.fullmatch(tid):
            raise TopicsError(f"{where}: id must be lower-case letters, digits and '_' (got {tid!r}).")
        where = f"{source}: topic {tid!r}"
        unknown = sorted(set(entry) - _TOPIC_KEYS)
        if unknown:
            raise TopicsError(f"{where}: unknown key {unknown[0]!r}.")
        if tid in seen:
            raise TopicsError(f"{where} is listed twice.")
        seen.add(tid)
        name = entry.get("name")
        if not isinstance(name, dict) or set(name) != {"vi", "en"}:
            raise TopicsError(f'{where}: name must be {{ vi = "…", en = "…" }}.')
        serious = entry.get("serious", False)
        if not isinstance(serious, bool):
            raise TopicsError(f"{where}: serious must be true or false.")
        keywords = entry.get("keywords")
        if not isinstance(keywords, list) or not keywords or len(keywords) > MAX_KEYWORDS:
            raise TopicsError(f"{where}: keywords must list 1 to {MAX_KEYWORDS} texts.")
        phrases: list[tuple[str, ...]] = []
        for keyword in keywords:
            text = _text(where, keyword, "each keyword")
            phrase = tuple(words(text))
            if not phrase or " ".join(phrase) != " ".join(text.lower().split()):
                raise TopicsError(f"{where}: keyword {text!r} must be words separated by spaces.")
            if phrase in phrases:
                raise TopicsError(f"{where}: keyword {text!r} is listed twice.")
            phrases.append(phrase)
        topics.append(
            Topic(
                id=tid,
                name_vi=_text(where, name["vi"], "name.vi"),
                name_en=_text(where, name["en"], "name.en"),
                serious=serious,
                keywords=tuple(phrases),
            )
        )
    return Taxonomy(version=version, topics=tuple(topics))

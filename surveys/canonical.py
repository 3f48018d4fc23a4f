"""Canonical JSON and its hash: the one definition every part uses.

Canonical JSON is sorted keys, no whitespace, UTF-8 text (non-ASCII written as is). A survey's content
hash, the configuration's ETag and a ballot's content hash (exactly-once: equal hash = identical item)
are all the SHA-256 of this text, so it must never change.

>>> canonical_json({"b": 1, "a": "ô"})
'{"a":"ô","b":1}'
>>> canonical_hash({"a": 1}) == canonical_hash({"a": 1})
True
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical_hash", "canonical_json", "checked_hash"]

_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
# The C encoder built once, as JSONEncoder.encode would build it on every call (same arguments, so
# the same text), without the circular-reference markers: parsed JSON has no cycles.
_C_ENCODER = (
    _c_make_encoder(None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", True, False, True)
    if _c_make_encoder is not None
    else None
)


def canonical_json(value: Any) -> str:
    """The canonical JSON text of `value` (what `json.dumps(value, sort_keys=True,
    separators=(",", ":"), ensure_ascii=False)` writes)."""
    if _C_ENCODER is not None and type(value) is dict:
        return "".join(_C_ENCODER(value, 0))
    return _ENCODER.encode(value)


def canonical_hash(value: Any) -> str:
    """SHA-256 hex of the canonical JSON's UTF-8 bytes."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def checked_hash(value: Any) -> tuple[str, str | None]:
    """The canonical hash and, when `value` holds a string no database can store, the reason.

    A lone surrogate is not UTF-8: it is hashed as Python holds it (stable), and named."""
    text = canonical_json(value)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), (
            "a string holds a lone surrogate (not valid Unicode text)"
        )
    problem = None
    if "\\u0000" in text and _has_nul(value):  # the encoder writes NUL as \u0000
        problem = "a string holds a NUL character"
    return hashlib.sha256(data).hexdigest(), problem


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any("\x00" in k or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False

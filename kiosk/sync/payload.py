"""Pure helpers for the sync protocol: batching, gzip bodies, reply checks, back-off and jitter.

Nothing here touches the network, the disk or the clock, so all of it is tested with plain data::

    batches = plan_batches(responses)            # each fits the server's limits
    body = encode_batch(batches[0])              # gzip JSON, ready to POST
    results = parse_results(reply_json, [r["id"] for r in batches[0]])
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MAX_BATCH_BYTES",
    "MAX_BATCH_ITEMS",
    "RESULT_STATUSES",
    "BrokenReply",
    "ItemResult",
    "backoff_delay",
    "device_offset_s",
    "encode_batch",
    "local_status",
    "parse_results",
    "parse_retry_after",
    "plan_batches",
    "split_batch",
]

MAX_BATCH_ITEMS = 5000
MAX_BATCH_BYTES = 8 * 1024 * 1024
# Leave room for the {"responses": [...]} envelope and the commas between items.
_ENVELOPE_BYTES = 64
RESULT_STATUSES = frozenset({"created", "duplicate", "conflict", "rejected"})


class BrokenReply(ValueError):
    """The server answered 200 with a body that does not follow the protocol."""


@dataclass(frozen=True)
class ItemResult:
    """One item's result as the server reported it."""

    id: str
    status: str
    error: str | None


def _item_bytes(response: Mapping[str, Any]) -> int:
    return len(json.dumps(response, ensure_ascii=False, separators=(",", ":")).encode("utf-8")) + 1


def encode_batch(responses: Sequence[Mapping[str, Any]], *, level: int = 6) -> bytes:
    """Return the gzip-compressed JSON body ``{"responses": [...]}``.

    >>> len(gzip.decompress(encode_batch([{"id": "a"}]))) > 0
    True
    """
    raw = json.dumps({"responses": list(responses)}, ensure_ascii=False, separators=(",", ":"))
    # mtime=0 keeps the body byte-identical for the same batch, which makes replays easy to compare.
    return gzip.compress(raw.encode("utf-8"), compresslevel=level, mtime=0)


def plan_batches(
    responses: Sequence[Mapping[str, Any]],
    *,
    max_items: int = MAX_BATCH_ITEMS,
    max_bytes: int = MAX_BATCH_BYTES,
) -> list[list[Mapping[str, Any]]]:
    """Cut ``responses`` (kept in order) into batches under both server limits.

    An item that alone exceeds ``max_bytes`` still gets a batch of its own: the server's 413 for it
    is handled by the caller, never by dropping it here.
    """
    if max_items < 1 or max_bytes < 1:
        raise ValueError("batch limits must be positive")
    batches: list[list[Mapping[str, Any]]] = []
    current: list[Mapping[str, Any]] = []
    size = _ENVELOPE_BYTES
    for response in responses:
        item = _item_bytes(response)
        if current and (len(current) >= max_items or size + item > max_bytes):
            batches.append(current)
            current, size = [], _ENVELOPE_BYTES
        current.append(response)
        size += item
    if current:
        batches.append(current)
    return batches


def split_batch(
    batch: Sequence[Mapping[str, Any]],
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """Halve a batch the server refused as too large (413); order is kept.

    >>> split_batch([1, 2, 3])
    ([1], [2, 3])
    """
    if len(batch) < 2:
        raise ValueError("a batch of one item cannot be split")
    middle = len(batch) // 2
    return list(batch[:middle]), list(batch[middle:])


def parse_results(body: Any, sent_ids: Sequence[str]) -> list[ItemResult]:
    """Check a 200 reply against the ids sent and return one result per item, in order.

    Raises ``BrokenReply`` when the reply is not the protocol's shape; the caller then treats the
    whole batch as not acknowledged and sends it again later (the server deduplicates).
    """
    if not isinstance(body, Mapping) or not isinstance(body.get("results"), list):
        raise BrokenReply("the reply has no list of results")
    raw = body["results"]
    if len(raw) != len(sent_ids):
        raise BrokenReply(f"the reply has {len(raw)} results for {len(sent_ids)} items")
    results: list[ItemResult] = []
    for sent_id, item in zip(sent_ids, raw, strict=True):
        if not isinstance(item, Mapping):
            raise BrokenReply("a result is not an object")
        status, error = item.get("status"), item.get("error")
        if str(item.get("id")) != str(sent_id):
            raise BrokenReply(f"result for {item.get('id')!r} where {sent_id!r} was sent")
        if status not in RESULT_STATUSES:
            raise BrokenReply(f"unknown result status {status!r}")
        if error is not None and not isinstance(error, str):
            error = json.dumps(error, ensure_ascii=False)
        results.append(ItemResult(id=str(sent_id), status=str(status), error=error))
    return results


def local_status(server_status: str) -> str:
    """Map a server result to the kiosk's ballot status (``created``/``duplicate`` → ``synced``)."""
    if server_status in ("created", "duplicate"):
        return "synced"
    if server_status in ("conflict", "rejected"):
        return server_status
    raise ValueError(f"unknown result status {server_status!r}")


def backoff_delay(attempt: int, rng: random.Random, *, base_s: float = 2.0, cap_s: float = 900.0) -> float:
    """Seconds to wait before retry number ``attempt`` (1, 2, …): exponential with full jitter.

    Full jitter (a uniform draw below the exponential ceiling) spreads devices that failed together.

    >>> 0.0 <= backoff_delay(3, random.Random(1), base_s=1, cap_s=60) <= 8
    True
    """
    if attempt < 1:
        return 0.0
    ceiling = min(cap_s, base_s * (2 ** min(attempt - 1, 32)))
    return rng.uniform(0.0, ceiling)


def parse_retry_after(value: str | None, *, default_s: float = 60.0, max_s: float = 6 * 3600.0) -> float:
    """Seconds asked by a ``Retry-After`` header (delta-seconds; an HTTP date falls back to the default)."""
    if value is None:
        return default_s
    try:
        seconds = float(value.strip())
    except ValueError:
        return default_s
    if seconds != seconds or seconds < 0:  # NaN or negative
        return default_s
    return min(seconds, max_s)


def device_offset_s(device_id: str, jitter_s: int) -> int:
    """A stable offset in ``[0, jitter_s)`` seconds for this device, so devices spread out every night.

    >>> device_offset_s("dev-1", 1800) == device_offset_s("dev-1", 1800)
    True
    """
    if jitter_s <= 0:
        return 0
    digest = hashlib.sha256(device_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % int(jitter_s)

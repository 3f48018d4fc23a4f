"""The pure sync helpers: batches within limits, gzip bodies, reply checks, back-off, jitter."""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter
from typing import Any

import pytest

from kiosk.sync.payload import (
    BrokenReply,
    backoff_delay,
    device_offset_s,
    encode_batch,
    local_status,
    parse_results,
    parse_retry_after,
    plan_batches,
    split_batch,
)


def _ballot(i: int, comment: str | None = None) -> dict[str, Any]:
    return {"id": f"id-{i:05d}", "seq": i, "answers": {"tong_the": 5}, "comment": comment}


def test_gzip_body_round_trips_vietnamese_text() -> None:
    batch = [_ballot(1, "Cán bộ rất nhiệt tình, xin cảm ơn Ông/Bà")]
    body = encode_batch(batch)
    assert json.loads(gzip.decompress(body)) == {"responses": batch}
    assert encode_batch(batch) == body  # byte-identical replays


def test_batches_keep_order_and_respect_item_limit() -> None:
    ballots = [_ballot(i) for i in range(1, 12)]
    batches = plan_batches(ballots, max_items=5)
    assert [len(b) for b in batches] == [5, 5, 1]
    assert [b["id"] for batch in batches for b in batch] == [b["id"] for b in ballots]


def test_batches_respect_byte_limit() -> None:
    ballots = [_ballot(i, "x" * 1000) for i in range(1, 21)]
    limit = 5000
    batches = plan_batches(ballots, max_bytes=limit)
    assert len(batches) > 1
    for batch in batches:
        assert len(json.dumps({"responses": batch}, separators=(",", ":")).encode()) <= limit


def test_oversized_single_item_gets_its_own_batch() -> None:
    batches = plan_batches([_ballot(1), _ballot(2, "y" * 500), _ballot(3)], max_bytes=300)
    assert [[b["seq"] for b in batch] for batch in batches] == [[1], [2], [3]]


def test_split_halves_in_order_and_refuses_single() -> None:
    assert split_batch([1, 2, 3, 4, 5]) == ([1, 2], [3, 4, 5])
    with pytest.raises(ValueError):
        split_batch([1])


def test_parse_results_accepts_protocol_reply() -> None:
    body = {
        "server_time": "2024-09-03T08:15:02+07:00",
        "results": [
            {"id": "a", "status": "created", "error": None},
            {"id": "b", "status": "rejected", "error": "unknown question 'xin_chao2'"},
        ],
    }
    results = parse_results(body, ["a", "b"])
    assert [(r.id, r.status, r.error) for r in results] == [
        ("a", "created", None),
        ("b", "rejected", "unknown question 'xin_chao2'"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        None,
        {"results": "nope"},
        {"results": [{"id": "a", "status": "created"}]},  # one result for two items
        {"results": [{"id": "b", "status": "created"}, {"id": "a", "status": "created"}]},
        {"results": [{"id": "a", "status": "stored"}, {"id": "b", "status": "created"}]},
    ],
)
def test_parse_results_refuses_broken_replies(body: Any) -> None:
    with pytest.raises(BrokenReply):
        parse_results(body, ["a", "b"])


def test_local_status_maps_server_verdicts() -> None:
    assert [local_status(s) for s in ("created", "duplicate", "conflict", "rejected")] == [
        "synced",
        "synced",
        "conflict",
        "rejected",
    ]


def test_backoff_grows_then_caps_with_jitter() -> None:
    rng = random.Random(42)
    draws = {
        attempt: [backoff_delay(attempt, rng, base_s=1, cap_s=60) for _ in range(200)]
        for attempt in (1, 4, 20)
    }
    assert max(draws[1]) <= 1 and max(draws[4]) <= 8 and max(draws[20]) <= 60
    assert max(draws[20]) > 30  # capped, not stuck small
    assert len(set(draws[4])) > 150  # jittered: devices do not retry in lockstep


def test_retry_after_parsing() -> None:
    assert parse_retry_after("120") == 120
    assert parse_retry_after(None, default_s=30) == 30
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", default_s=45) == 45
    assert parse_retry_after("999999", max_s=3600) == 3600


def test_device_offset_is_stable_and_spreads_devices() -> None:
    assert device_offset_s("a1", 1800) == device_offset_s("a1", 1800)
    offsets = [device_offset_s(f"device-{i}", 1800) for i in range(10_000)]
    assert all(0 <= o < 1800 for o in offsets)
    # 10,000 devices over 1,800 s: no second gets more than a handful of arrivals.
    busiest = max(Counter(offsets).values())
    assert busiest < 20
    assert device_offset_s("a1", 0) == 0

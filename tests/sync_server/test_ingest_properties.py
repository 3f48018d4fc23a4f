"""One item of a batch mutated at random (any JSON value in any field, any Unicode including lone
surrogates and NUL, extreme numbers and dates): the batch still gets 200, one result per item, every
valid neighbour is created, and the bad item changes no stored ballot and no tally."""

from __future__ import annotations

import json
from typing import Any

from api_helpers import Api
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlmodel import col

from sync_server.models import Response, ResponseQuarantine, RollupBallots, TallyBallots
from sync_server.security import TokenBucket

# Any code point, lone surrogates included (json.dumps writes them as \ud800, as a buggy kiosk would).
ANY_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=30),
    st.sampled_from(["\ud800", "a\udfffb", "\x00", "Tốt\x00", "\ud83d\ude00", ""]),
)
EXTREME_INTS = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 2**31, 2**53 + 1, 2**62 - 1, 2**62, 2**63, -(2**63) - 1, 10**300]),
)
FLOATS = st.floats(allow_nan=True, allow_infinity=True)
TIMES = st.one_of(
    st.sampled_from(
        [
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-12:00",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999+00:00",
            "2024-02-30T10:00:00+07:00",
            "2024-09-03T08:15:02",
            "2024-09-03T08:15:02+24:00",
            "2024-09-03T08:15:02+07:00\x00",
            "2024-09-03t08:15:02z",
        ]
    ),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
)
SCALARS = st.one_of(st.none(), st.booleans(), EXTREME_INTS, FLOATS, ANY_TEXT, TIMES)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(ANY_TEXT, inner, max_size=4)),
    max_leaves=8,
)
FIELDS = [
    "id",
    "seq",
    "survey_id",
    "survey_version",
    "staff_id",
    "started_at",
    "submitted_at",
    "answers",
    "comment",
    "contact",
    "lang",
]
QUESTIONS = ["tong_the", "xin_chao", "nam_khong"]


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, Any, Any]:
    """(where, key, value): a top-level field, an answer, the phone, a new key, or the whole item."""
    where = draw(st.sampled_from(["field", "field", "field", "answer", "phone", "new_key", "item"]))
    value = draw(JSON_VALUES)
    if where == "field":
        name = draw(st.sampled_from(FIELDS))
        if name in ("started_at", "submitted_at"):
            value = draw(st.one_of(TIMES, JSON_VALUES))
        return where, name, value
    if where == "answer":
        return where, draw(st.one_of(st.sampled_from(QUESTIONS), ANY_TEXT)), value
    if where == "new_key":
        return where, draw(ANY_TEXT), value
    return where, None, value


def mutate(item: dict[str, Any], where: str, key: Any, value: Any) -> Any:
    if where == "item":
        return value
    item = dict(item)
    if where == "field":
        item[key] = value
    elif where == "answer":
        item["answers"] = dict(item["answers"], **{key: value})
    elif where == "phone":
        item["contact"] = {"phone": value, "consent": True}
    else:
        item[key] = value
    return item


def counts(api: Api) -> tuple[set[str], int, int, int]:
    with api.session() as session:
        ids = set(session.execute(select(col(Response.id))).scalars())
        ballots = session.execute(select(func.coalesce(func.sum(TallyBallots.count), 0))).scalar_one()
        rollups = session.execute(select(func.coalesce(func.sum(RollupBallots.count), 0))).scalar_one()
        kept = session.execute(select(func.count()).select_from(ResponseQuarantine)).scalar_one()
    return ids, int(ballots), int(rollups), int(kept)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(size=st.integers(2, 5), data=st.data(), mutation=mutations())
def test_one_mutated_item_never_harms_its_batch(
    api: Api, size: int, data: st.DataObject, mutation: tuple[str, Any, Any]
) -> None:
    api.client.app.state.upload_limiter = TokenBucket(10**9, 10**9)  # type: ignore[attr-defined]
    if not hasattr(api, "device"):
        api.device = api.enrol()  # type: ignore[attr-defined]
    device: dict[str, str] = api.device  # type: ignore[attr-defined]
    items: list[Any] = [api.ballot(device) for _ in range(size)]
    bad = data.draw(st.integers(0, size - 1))
    items[bad] = mutate(items[bad], *mutation)
    body = json.dumps({"responses": items})  # NaN and Infinity as Python writes them
    before = counts(api)
    reply = api.client.post(
        "/api/v1/device/responses",
        content=body.encode("utf-8"),
        headers=device | {"Content-Type": "application/json"},
    )
    assert reply.status_code == 200, reply.text
    results = reply.json()["results"]
    assert len(results) == size
    for i, result in enumerate(results):
        if i != bad:
            assert result["status"] == "created", (i, result)
    ids, ballots, rollups, kept = counts(api)
    neighbours = {items[i]["id"] for i in range(size) if i != bad}
    if results[bad]["status"] == "rejected":
        assert ids == before[0] | neighbours
        assert ballots == before[1] + size - 1
        assert rollups == before[2] + 2 * (size - 1)  # the unit and its parent
        assert kept == before[3] + 1
        with api.session() as session:
            raw = session.execute(
                select(col(ResponseQuarantine.raw)).order_by(col(ResponseQuarantine.pk).desc()).limit(1)
            ).scalar_one()
        json.loads(raw)  # readable: it parses back
    else:  # the mutation happened to make a valid ballot
        assert results[bad]["status"] == "created", results[bad]
        assert len(ids) == len(before[0]) + size
        assert ballots == before[1] + size

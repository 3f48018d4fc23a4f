"""Bad input never changes what is stored: each request gets its specified status, and a snapshot of
every table that holds ballots, tallies, devices and codes is the same before and after (only the
quarantine or conflict audit grows, by exactly the items refused).

The per-rule wording of item errors is tested in test_ingest.py; here the point is "nothing lost,
nothing changed" on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from typing import Any

import pytest
from api_helpers import PASSWORD, Api
from sqlalchemy import select
from sqlmodel import col

from sync_server.admin import revoke_device
from sync_server.db import write_session
from sync_server.models import (
    Device,
    EnrolmentCode,
    Response,
    ResponseConflict,
    ResponseQuarantine,
    Tally,
    TallyBallots,
    User,
    utcnow,
)

JSON = {"Content-Type": "application/json"}
SQLISH = "x'); DROP TABLE response; -- \" OR 1=1 /*"
BIG = "Đ" * 10_240  # 10 k characters (20 kB in UTF-8)


def snapshot(api: Api) -> dict[str, Any]:
    """Everything a bad request must leave alone, and the audit tables' sizes."""
    with api.session() as session:

        def rows(*columns: Any) -> list[tuple[Any, ...]]:
            return sorted(tuple(r) for r in session.execute(select(*columns)).all())

        return {
            "responses": rows(col(Response.id), col(Response.content_hash), col(Response.misuse)),
            "tally": rows(
                col(Tally.unit_id),
                col(Tally.month),
                col(Tally.staff_key),
                col(Tally.question_id),
                col(Tally.value),
                col(Tally.flagged),
                col(Tally.count),
            ),
            "tally_ballots": rows(
                col(TallyBallots.unit_id),
                col(TallyBallots.month),
                col(TallyBallots.staff_key),
                col(TallyBallots.flagged),
                col(TallyBallots.count),
            ),
            "devices": rows(col(Device.id), col(Device.unit_id), col(Device.revoked), col(Device.token_hash)),
            "codes": rows(
                col(EnrolmentCode.code_hash), col(EnrolmentCode.used), col(EnrolmentCode.device_id)
            ),
            "users": rows(col(User.username), col(User.password_hash)),
            "quarantine": len(rows(col(ResponseQuarantine.pk))),
            "conflicts": len(rows(col(ResponseConflict.pk))),
        }


def unchanged(
    before: dict[str, Any], after: dict[str, Any], quarantined: int = 0, conflicts: int = 0
) -> None:
    assert after["quarantine"] == before["quarantine"] + quarantined
    assert after["conflicts"] == before["conflicts"] + conflicts
    for key in before.keys() - {"quarantine", "conflicts"}:
        assert after[key] == before[key], key


@pytest.fixture()
def stored(api: Api) -> tuple[Api, dict[str, str], dict[str, str], list[dict[str, Any]]]:
    """Two units' devices with ballots already stored: XA01 (6 ballots) and XA02 (3)."""
    xa01, xa02 = api.enrol("XA01"), api.enrol("XA02", name="Quầy 1 Tân Lập")
    ballots = [api.ballot(xa01, answers={"tong_the": 1 + i % 5, "xin_chao": 4}) for i in range(6)]
    assert api.statuses(api.upload(xa01, ballots)) == ["created"] * 6
    other = [api.ballot(xa02, staff_id="cb09") for _ in range(3)]
    assert api.statuses(api.upload(xa02, other)) == ["created"] * 3
    return api, xa01, xa02, ballots


def post(api: Api, headers: dict[str, str], body: bytes, **extra: str) -> Any:
    return api.client.post("/api/v1/device/responses", content=body, headers=headers | JSON | extra)


def batch(items: list[Any]) -> bytes:
    return json.dumps({"responses": items}).encode()


def test_whole_batch_errors_store_nothing(
    stored: tuple[Api, dict[str, str], dict[str, str], list[dict[str, Any]]],
) -> None:
    api, device, _other, _ballots = stored
    fresh = [api.ballot(device) for _ in range(5)]  # valid ballots inside every broken body
    good = batch(fresh)
    gzip_ = {"Content-Encoding": "gzip"}
    cases: list[tuple[str, bytes, dict[str, str], int, str]] = [
        ("cut JSON", good[:-7], {}, 400, "malformed_json"),
        ("not UTF-8", good.replace(b"vi", b"v\xff"), {}, 400, "malformed_json"),
        ("nested 100,000 deep", b"[" * 100_000 + b"]" * 100_000, {}, 400, "malformed_json"),
        ("plain body said gzip", good, gzip_, 400, "malformed_json"),
        ("truncated gzip", gzip.compress(good)[:-9], gzip_, 400, "malformed_json"),
        ("gzip then garbage", gzip.compress(good) + b"garbage", gzip_, 400, "malformed_json"),
        ("gzip of broken JSON", gzip.compress(good[:-3]), gzip_, 400, "malformed_json"),
        ("deflate", good, {"Content-Encoding": "deflate"}, 415, "unsupported_encoding"),
        (
            "responses is text",
            b'{"responses": "' + good.replace(b'"', b"'") + b'"}',
            {},
            400,
            "invalid_request",
        ),
        ("responses is null", b'{"responses": null}', {}, 400, "invalid_request"),
        ("a bare list", json.dumps(fresh).encode(), {}, 400, "invalid_request"),
        ("a number", b"5000", {}, 400, "invalid_request"),
        ("5,001 items", batch(fresh * 1001), {}, 413, "batch_too_large"),
        ("9 MiB plain", batch([*fresh, {"comment": "a" * (9 << 20)}]), {}, 413, "batch_too_large"),
        (
            "9 MiB inflated from 9 kB",
            gzip.compress(b'{"responses": [' + b" " * (9 << 20) + good[15:]),
            gzip_,
            413,
            "batch_too_large",
        ),
    ]
    for label, body, extra, status, error in cases:
        before = snapshot(api)
        reply = post(api, device, body, **extra)
        assert (reply.status_code, reply.json()["error"]) == (status, error), label
        assert reply.json()["detail"], label
        unchanged(before, snapshot(api))
    # The same ballots, sent properly, are all new: none was half-stored by a refused body.
    assert api.statuses(post(api, device, gzip.compress(good), **gzip_)) == ["created"] * 5


def test_bad_items_are_quarantined_and_change_nothing_else(
    stored: tuple[Api, dict[str, str], dict[str, str], list[dict[str, Any]]],
) -> None:
    api, device, _other, ballots = stored
    when = utcnow().isoformat()
    bad_items: list[tuple[str, Any]] = [
        ("unknown survey version", api.ballot(device, survey_version="2099.1")),
        ("unknown survey", api.ballot(device, survey_id="khao-sat-khac")),
        ("foreign officer (XA02's cb09)", api.ballot(device, staff_id="cb09")),
        ("officer id that exists nowhere", api.ballot(device, staff_id="cb99")),
        ("seq as text", api.ballot(device, seq="7")),
        ("seq past BIGINT", api.ballot(device, seq=2**63)),
        ("seq far past BIGINT", api.ballot(device, seq=10**30)),
        ("negative seq", api.ballot(device, seq=-4)),
        ("rating as text", api.ballot(device, answers={"tong_the": "5"})),
        ("rating as float", api.ballot(device, answers={"tong_the": 4.5})),
        ("answers as list", api.ballot(device, answers=[5])),
        ("time as number", api.ballot(device, submitted_at=1_725_326_102)),
        ("lang as bool", api.ballot(device, lang=True)),
        ("comment as object", api.ballot(device, comment={"text": "x"})),
        ("SQL in staff_id", api.ballot(device, staff_id=SQLISH)),
        ("SQL in survey_id", api.ballot(device, survey_id=SQLISH)),
        ("SQL in a question id", api.ballot(device, answers={"tong_the": 5, SQLISH: 1})),
        ("SQL in an option", api.ballot(device, answers={"tong_the": 5, "nam_khong": [SQLISH]})),
        ("SQL as the id", api.ballot(device, id=SQLISH)),
        ("10 k id", api.ballot(device, id=BIG)),
        ("10 k staff_id", api.ballot(device, staff_id=BIG)),
        ("10 k survey_version", api.ballot(device, survey_version=BIG)),
        ("10 k comment", api.ballot(device, comment=BIG)),
        ("10 k time", api.ballot(device, submitted_at=when + BIG)),
        ("10 k phone", api.ballot(device, contact={"phone": "0" * 10_240, "consent": True})),
        ("10 k question id", api.ballot(device, answers={"tong_the": 5, BIG: 3})),
        ("not an object", SQLISH),
    ]
    before = snapshot(api)
    reply = post(api, device, batch([item for _, item in bad_items]))
    assert reply.status_code == 200, reply.text
    results = reply.json()["results"]
    for (label, _item), result in zip(bad_items, results, strict=True):
        assert result["status"] == "rejected", (label, result)
        assert result["error"] and len(result["error"]) < 400, label
        assert result["id"] is None or len(result["id"]) <= 100, label
    unchanged(before, snapshot(api), quarantined=len(bad_items))
    with api.session() as session:
        kept = (
            session.execute(select(col(ResponseQuarantine.raw)).order_by(col(ResponseQuarantine.pk)))
            .scalars()
            .all()
        )
    # Nothing lost: each refused item is kept exactly as received, 10 kB strings included.
    sent = sorted(json.dumps(item, sort_keys=True) for _, item in bad_items)
    assert sorted(json.dumps(json.loads(raw), sort_keys=True) for raw in kept[-len(bad_items) :]) == sent

    # A changed copy of a stored ballot is a conflict: the first copy stays, the second is audited.
    before = snapshot(api)
    changed = dict(ballots[0], answers={"tong_the": 1}, comment=SQLISH)
    assert api.statuses(post(api, device, batch([changed]))) == ["conflict"]
    unchanged(before, snapshot(api), conflicts=1)


def test_tokens_codes_and_other_units(
    stored: tuple[Api, dict[str, str], dict[str, str], list[dict[str, Any]]],
) -> None:
    api, xa01, xa02, ballots = stored
    api.add_user("xem_xa02", "viewer", "XA02")
    viewer = api.login("xem_xa02")
    expired = api.code("XA01", now=utcnow() - dt.timedelta(hours=24, seconds=1))
    used = api.code("XA01")
    assert api.client.post("/api/v1/devices/enrol", json={"code": used, "name": "Quầy 2"}).status_code == 201
    revoked_token = api.enrol("XA01", name="Quầy cũ")
    with write_session(api.engine) as session:
        revoke_device(session, api_device_id(api, "Quầy cũ"))
        session.commit()
    new_ballot = api.ballot(xa01)

    def enrol(code: str) -> Any:
        return api.client.post("/api/v1/devices/enrol", json={"code": code, "name": "Quầy 3"})

    def get(url: str, headers: dict[str, str]) -> Any:
        return api.client.get(url, headers=headers)

    calls: list[tuple[str, Any, int, str, int, int]] = [
        # label, call, status, error, quarantined, conflicts
        ("expired code", lambda: enrol(expired), 403, "invalid_code", 0, 0),
        ("used code", lambda: enrol(used), 403, "invalid_code", 0, 0),
        ("SQL as code", lambda: enrol(SQLISH), 403, "invalid_code", 0, 0),
        ("10 k code", lambda: enrol(BIG), 400, "invalid_request", 0, 0),
        ("revoked token uploads", lambda: api.upload(revoked_token, [new_ballot]), 401, "unauthorized", 0, 0),
        (
            "revoked token, config",
            lambda: get("/api/v1/device/config", revoked_token),
            401,
            "unauthorized",
            0,
            0,
        ),
        (
            "SQL as token",
            lambda: api.upload({"Authorization": f"Bearer {SQLISH}"}, [new_ballot]),
            401,
            "unauthorized",
            0,
            0,
        ),
        (
            "10 k token",
            lambda: api.upload({"Authorization": f"Bearer {'A' * 10_240}"}, [new_ballot]),
            401,
            "unauthorized",
            0,
            0,
        ),
        (
            "device token for indices",
            lambda: get("/api/v1/indices?unit=XA01", xa01),
            401,
            "unauthorized",
            0,
            0,
        ),
        ("another unit's viewer", lambda: get("/api/v1/indices?unit=XA01", viewer), 403, "forbidden", 0, 0),
        ("SQL as unit", lambda: get(f"/api/v1/indices?unit={SQLISH}", viewer), 404, "not_found", 0, 0),
        (
            "wrong date type",
            lambda: get("/api/v1/indices?unit=XA02&from=hôm-qua", viewer),
            400,
            "invalid_request",
            0,
            0,
        ),
        (
            "SQL as username",
            lambda: api.client.post("/api/v1/auth/token", data={"username": SQLISH, "password": PASSWORD}),
            401,
            "invalid_credentials",
            0,
            0,
        ),
        ("XA02 photo of XA01", lambda: get("/api/v1/device/photos/cb01", xa02), 404, "not_found", 0, 0),
    ]
    for label, call, status, error, quarantined, conflicts in calls:
        before = snapshot(api)
        reply = call()
        assert (reply.status_code, reply.json().get("error")) == (status, error), (label, reply.text[:200])
        unchanged(before, snapshot(api), quarantined, conflicts)

    # Another unit's device: it cannot rate XA01's officers, nor overwrite an XA01 ballot by its id.
    before = snapshot(api)
    reply = api.upload(xa02, [api.ballot(xa02, staff_id="cb01"), ballots[0]])
    assert api.statuses(reply) == ["rejected", "conflict"]
    unchanged(before, snapshot(api), quarantined=1, conflicts=1)


def api_device_id(api: Api, name: str) -> str:
    with api.session() as session:
        return str(session.execute(select(col(Device.id)).where(col(Device.name) == name)).scalar_one())


def test_a_refused_batch_can_be_sent_again_whole(
    stored: tuple[Api, dict[str, str], dict[str, str], list[dict[str, Any]]],
) -> None:
    """After any refusal the kiosk resends the same batch: valid items are created exactly once."""
    api, device, _other, ballots = stored
    fresh = [api.ballot(device) for _ in range(3)]
    bad = api.ballot(device, seq=2**64)
    body = batch([*ballots[:2], *fresh, bad])
    assert post(api, device, body[:-1]).status_code == 400
    first = api.statuses(post(api, device, body))
    assert first == ["duplicate", "duplicate", "created", "created", "created", "rejected"]
    again = api.statuses(post(api, device, body))
    assert again == ["duplicate"] * 5 + ["rejected"]
    ids = {b["id"] for b in [*ballots, *fresh]}
    with api.session() as session:
        assert set(session.execute(select(col(Response.id))).scalars()) >= ids

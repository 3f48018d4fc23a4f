"""Uploading ballots: one result per item, quarantine, gzip, limits, flags, seq gaps and tallies."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from typing import Any

from api_helpers import Api
from sqlalchemy import func, select
from sqlmodel import col

from sync_server.models import (
    Device,
    Response,
    ResponseConflict,
    ResponseQuarantine,
    Tally,
    TallyBallots,
    utcnow,
)


def _counts(api: Api) -> dict[str, int]:
    with api.session() as session:
        return {
            model.__name__: session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Response, ResponseConflict, ResponseQuarantine)
        } | {"tally": session.execute(select(func.coalesce(func.sum(Tally.count), 0))).scalar_one()}


def _stored(api: Api, rid: str) -> Response:
    with api.session() as session:
        return session.execute(select(Response).where(col(Response.id) == rid)).scalar_one()


def test_created_duplicate_conflict_and_rejected_in_one_batch(api: Api) -> None:
    device = api.enrol()
    first = api.ballot(device)
    assert api.statuses(api.upload(device, [first])) == ["created"]
    changed = dict(first, answers={"tong_the": 1})
    bad = api.ballot(device, answers={"tong_the": 7})
    new = api.ballot(device)
    reply = api.upload(device, [first, changed, bad, new])
    results = reply.json()["results"]
    assert [r["status"] for r in results] == ["duplicate", "conflict", "rejected", "created"]
    assert [r["id"] for r in results] == [first["id"], first["id"], bad["id"], new["id"]]
    assert results[0]["error"] is None and results[3]["error"] is None
    assert "tong_the" in results[2]["error"]
    assert _stored(api, first["id"]).answers == first["answers"]  # the first copy is kept
    with api.session() as session:
        conflict = session.execute(select(ResponseConflict)).scalar_one()
        assert conflict.response_id == first["id"]
        assert json.loads(conflict.raw) == changed
        quarantined = session.execute(select(ResponseQuarantine)).scalar_one()
        assert json.loads(quarantined.raw) == bad
        assert quarantined.response_id == bad["id"] and "1–5" in quarantined.reason
    assert "server_time" in reply.json()


def test_a_rejected_item_changes_nothing_stored_but_the_quarantine(api: Api) -> None:
    device = api.enrol()
    assert api.statuses(api.upload(device, [api.ballot(device)])) == ["created"]
    before = _counts(api)
    bad = api.ballot(device, answers={"tong_the": 5, "no_such_question": 3})
    reply = api.upload(device, [bad])
    assert api.statuses(reply) == ["rejected"]
    assert reply.json()["results"][0]["error"] == "unknown question 'no_such_question'"
    after = _counts(api)
    assert after == before | {"ResponseQuarantine": before["ResponseQuarantine"] + 1}
    # The same id, corrected, is accepted later.
    fixed = dict(bad, answers={"tong_the": 5})
    assert api.statuses(api.upload(device, [fixed])) == ["created"]


WRONG_ITEMS: list[tuple[dict[str, Any], str]] = [
    ({"id": "not-a-uuid"}, "id must be a UUID"),
    ({"id": 12}, "id must be a UUID"),
    ({"seq": "3"}, "seq must be"),
    ({"seq": 0}, "seq must be"),
    ({"seq": True}, "seq must be"),
    ({"survey_version": "1999.9"}, "unknown survey or version"),
    ({"survey_id": "other"}, "unknown survey or version"),
    ({"staff_id": "cb09"}, "not an officer of this unit"),
    ({"staff_id": 7}, "not an officer of this unit"),
    ({"submitted_at": "yesterday"}, "submitted_at"),
    ({"submitted_at": "2024-09-03T08:15:02"}, "no UTC offset"),
    ({"started_at": None}, "started_at"),
    ({"answers": []}, "answers must be an object"),
    ({"answers": {"xin_chao": 4}}, "required question 'tong_the'"),
    ({"answers": {"tong_the": None}}, "required question 'tong_the'"),
    ({"answers": {"tong_the": 4.0}}, "1–5"),
    ({"answers": {"tong_the": True}}, "1–5"),
    ({"answers": {"tong_the": 0}}, "1–5"),
    ({"answers": {"tong_the": 5, "nam_khong": "quan_lieu_vo_cam"}}, "list of option ids"),
    ({"answers": {"tong_the": 5, "nam_khong": ["hoi_lo"]}}, "unknown option 'hoi_lo'"),
    ({"answers": {"tong_the": 5, "nam_khong": None}}, "list of option ids"),
    ({"comment": "x" * 1001}, "comment"),
    ({"comment": 5}, "comment"),
    ({"contact": {"phone": "0912 345 678"}}, "consent"),
    ({"contact": {"phone": "call me", "consent": True}}, "not a phone number"),
    ({"contact": "0912345678"}, "contact"),
    ({"lang": "fr"}, "lang"),
]


def test_wrong_items_are_rejected_with_the_rule(api: Api) -> None:
    device = api.enrol()
    items = []
    for fields, _error in WRONG_ITEMS:
        items += [api.ballot(device, **fields), api.ballot(device)]
    results = api.upload(device, items).json()["results"]
    # One bad item never hurts its neighbour.
    assert [r["status"] for r in results] == ["rejected", "created"] * len(WRONG_ITEMS)
    for (fields, error), result in zip(WRONG_ITEMS, results[::2], strict=True):
        assert error in result["error"], (fields, result)
    assert _counts(api)["ResponseQuarantine"] == len(WRONG_ITEMS)


def test_non_object_items_are_rejected_and_kept(api: Api) -> None:
    device = api.enrol()
    reply = api.upload(device, [42, None, "ballot", [1, 2]])
    assert api.statuses(reply) == ["rejected"] * 4
    assert [r["id"] for r in reply.json()["results"]] == [None] * 4
    assert _counts(api)["ResponseQuarantine"] == 4


def test_sql_like_and_huge_strings_are_harmless(api: Api) -> None:
    device = api.enrol()
    evil = "'); DROP TABLE response; --"
    items = [
        api.ballot(device, comment=evil),
        api.ballot(device, staff_id=evil),
        api.ballot(device, survey_version=evil * 400),
        api.ballot(device, answers={"tong_the": 5, evil: 1}),
        api.ballot(device, comment="Cán bộ rất nhiệt tình " * 500),
        api.ballot(device, id="x" * 10_000),
    ]
    reply = api.upload(device, items)
    assert api.statuses(reply) == ["created", "rejected", "rejected", "rejected", "rejected", "rejected"]
    assert _stored(api, items[0]["id"]).comment == evil
    assert all(len(r["error"]) < 400 for r in reply.json()["results"][1:])
    assert len(reply.json()["results"][5]["id"] or "") <= 100
    assert _counts(api)["ResponseQuarantine"] == 5


def test_gzip_bodies_are_accepted(api: Api) -> None:
    device = api.enrol()
    items = [api.ballot(device) for _ in range(20)]
    assert api.statuses(api.upload(device, items, gzip_body=True)) == ["created"] * 20


BAD_BODIES: list[tuple[bytes, str | None, int, str]] = [
    (b"{not json", None, 400, "malformed_json"),
    (b"\xff\xfe", None, 400, "malformed_json"),
    (b"not gzip at all", "gzip", 400, "malformed_json"),
    (gzip.compress(b'{"responses": []}')[:-6], "gzip", 400, "malformed_json"),
    (gzip.compress(b"{broken"), "gzip", 400, "malformed_json"),
    (b'{"responses": {}}', None, 400, "invalid_request"),
    (b"[1, 2]", None, 400, "invalid_request"),
    (b'{"responses": []}', "br", 415, "unsupported_encoding"),
]


def test_whole_batch_errors(api: Api) -> None:
    device = api.enrol()
    for body, encoding, status, error in BAD_BODIES:
        headers = device | {"Content-Type": "application/json"}
        if encoding:
            headers["Content-Encoding"] = encoding
        reply = api.client.post("/api/v1/device/responses", content=body, headers=headers)
        assert (reply.status_code, reply.json()["error"]) == (status, error), body[:20]
        assert reply.json()["detail"]
    assert _counts(api)["ResponseQuarantine"] == 0


def test_oversized_batches_get_413_and_store_nothing(api: Api) -> None:
    device = api.enrol()
    too_many = [api.ballot(device) for _ in range(api.settings.max_batch_items + 1)]
    reply = api.upload(device, too_many)
    assert reply.status_code == 413 and reply.json()["error"] == "batch_too_large"
    # 9 MiB of JSON that gzips to a few kB: refused while inflating.
    bomb = gzip.compress(b'{"responses": [' + b" " * (9 * 1024 * 1024) + b"]}")
    reply = api.client.post(
        "/api/v1/device/responses",
        content=bomb,
        headers=device | {"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert reply.status_code == 413
    plain = b'{"responses": [' + b" " * (9 * 1024 * 1024) + b"]}"
    assert api.client.post("/api/v1/device/responses", content=plain, headers=device).status_code == 413
    assert _counts(api) == {"Response": 0, "ResponseConflict": 0, "ResponseQuarantine": 0, "tally": 0}


def test_clock_suspect_and_device_clock_offset(api: Api) -> None:
    device = api.enrol()
    now = utcnow()
    future = api.ballot(device, submitted_at=(now + dt.timedelta(hours=25)).isoformat())
    unset = api.ballot(
        device, submitted_at="2019-12-31T23:00:00+07:00", started_at="2019-12-31T22:59:00+07:00"
    )
    months_ago = api.ballot(device, submitted_at=(now - dt.timedelta(days=120)).isoformat())
    device_time = (now + dt.timedelta(minutes=10)).isoformat()
    reply = api.upload(device, [future, unset, months_ago], **{"X-Device-Time": device_time})
    assert api.statuses(reply) == ["created"] * 3
    assert _stored(api, future["id"]).clock_suspect
    assert _stored(api, unset["id"]).clock_suspect
    stored = _stored(api, months_ago["id"])
    assert not stored.clock_suspect  # syncing after a long time offline is normal
    local = (now - dt.timedelta(days=120)).astimezone(dt.timezone(dt.timedelta(hours=7)))
    assert stored.bucket_month == f"{local.year:04d}-{local.month:02d}"
    assert stored.clock_offset_s is not None and 590 <= stored.clock_offset_s <= 610
    # A suspect ballot is counted in the month it arrived.
    arrived = now.astimezone(dt.timezone(dt.timedelta(hours=7)))
    assert _stored(api, unset["id"]).bucket_month == f"{arrived.year:04d}-{arrived.month:02d}"
    with api.session() as session:
        offset = session.execute(select(Device.clock_offset_s)).scalars().first()
        assert offset is not None and 590 <= offset <= 610


def test_seq_gaps_are_tracked_and_filled(api: Api) -> None:
    device = api.enrol()
    items = [api.ballot(device) for _ in range(6)]  # seq 1..6
    assert api.statuses(api.upload(device, [items[0], items[3], items[5]])) == ["created"] * 3

    def gaps() -> tuple[int, int]:
        with api.session() as session:
            row = session.execute(select(Device.last_seq, Device.seq_gaps)).one()
            return row[0], row[1]

    assert gaps() == (6, 3)  # 2, 3 and 5 are missing
    api.upload(device, [items[1], items[4]])
    assert gaps() == (6, 1)
    api.upload(device, [dict(items[2], answers={"tong_the": 9})])  # rejected, but received
    assert gaps() == (6, 0)


def test_bursts_seconds_apart_are_flagged_misuse_not_dropped(api: Api) -> None:
    device = api.enrol()
    start = utcnow() - dt.timedelta(hours=3)
    spaced = [
        api.ballot(device, submitted_at=(start + dt.timedelta(minutes=i)).isoformat()) for i in range(2)
    ]
    burst_start = start + dt.timedelta(minutes=30)
    burst = [
        api.ballot(device, submitted_at=(burst_start + dt.timedelta(seconds=3 * i)).isoformat())
        for i in range(5)
    ]
    after = api.ballot(device, submitted_at=(burst_start + dt.timedelta(minutes=5)).isoformat())
    # Sent over two batches: the rule carries across uploads.
    assert api.statuses(api.upload(device, [*spaced, *burst[:2]])) == ["created"] * 4
    assert api.statuses(api.upload(device, [*burst[2:], after])) == ["created"] * 4
    flags = [_stored(api, item["id"]).misuse for item in [*spaced, *burst, after]]
    assert flags == [False, False, False, False, True, True, True, False]
    with api.session() as session:
        counted = dict(
            session.execute(
                select(TallyBallots.flagged, func.sum(TallyBallots.count)).group_by(TallyBallots.flagged)
            ).all()
        )
    assert counted == {False: 5, True: 3}


def test_a_low_scores_money_reason_raises_the_5_khong_alert(api: Api) -> None:
    device = api.enrol()
    money = api.ballot(device, answers={"tong_the": 2, "ly_do_chua_hai_long": ["cho_lau", "doi_tien_qua"]})
    waited = api.ballot(device, answers={"tong_the": 2, "ly_do_chua_hai_long": ["cho_lau"]})
    assert api.statuses(api.upload(device, [money, waited])) == ["created"] * 2
    assert _stored(api, money["id"]).alert_kind == "vi_pham_5_khong"
    assert _stored(api, waited["id"]).alert_kind is None


def test_alerts_comments_and_contact_consent_are_stored(api: Api) -> None:
    device = api.enrol()
    angry = api.ballot(
        device, answers={"tong_the": 1, "nam_khong": ["tham_nhung_lang_phi"]}, comment="  Chờ lâu  "
    )
    violated = api.ballot(device, answers={"tong_the": 4, "nam_khong": ["quan_lieu_vo_cam"]})
    consent = api.ballot(device, contact={"phone": "0912 345 678", "consent": True}, comment="   ")
    no_consent = api.ballot(device, contact={"phone": "0912 345 678", "consent": False})
    assert api.statuses(api.upload(device, [angry, violated, consent, no_consent])) == ["created"] * 4
    assert _stored(api, angry["id"]).alert_kind == "rat_khong_hai_long,vi_pham_5_khong"
    assert _stored(api, angry["id"]).has_comment
    assert _stored(api, violated["id"]).alert_kind == "vi_pham_5_khong"
    assert _stored(api, consent["id"]).alert_kind is None
    assert not _stored(api, consent["id"]).has_comment
    assert _stored(api, consent["id"]).contact_phone == "0912 345 678"
    assert _stored(api, no_consent["id"]).contact_phone is None


def test_tallies_follow_the_stored_ballots(api: Api) -> None:
    device = api.enrol()
    items = [
        api.ballot(device, answers={"tong_the": 5, "xin_chao": 4, "nam_khong": []}),
        api.ballot(
            device,
            staff_id=None,
            answers={"tong_the": 2, "xin_chao": None, "nam_khong": ["quan_lieu_vo_cam"]},
        ),
        api.ballot(device, answers={"tong_the": 5}),
    ]
    api.upload(device, items)
    api.upload(device, items)  # a replay adds nothing
    with api.session() as session:
        rows = {
            (r.staff_key, r.question_id, r.value): r.count for r in session.execute(select(Tally)).scalars()
        }
        ballots = {r.staff_key: r.count for r in session.execute(select(TallyBallots)).scalars()}
    assert rows == {
        ("cb01", "tong_the", "5"): 2,
        ("cb01", "xin_chao", "4"): 1,
        ("cb01", "nam_khong", "__answered__"): 1,
        ("cb01", "nam_khong", "__empty__"): 1,
        ("", "tong_the", "2"): 1,
        ("", "nam_khong", "__answered__"): 1,
        ("", "nam_khong", "quan_lieu_vo_cam"): 1,
    }
    assert ballots == {"cb01": 2, "": 1}


def test_an_id_from_another_device_is_a_conflict(api: Api) -> None:
    one, two = api.enrol(), api.enrol(name="Quầy 2")
    item = api.ballot(one)
    api.upload(one, [item])
    assert api.statuses(api.upload(two, [item])) == ["conflict"]


def test_a_repeat_inside_one_batch_is_a_duplicate(api: Api) -> None:
    device = api.enrol()
    item = api.ballot(device)
    assert api.statuses(api.upload(device, [item, item, dict(item, lang="en")])) == [
        "created",
        "duplicate",
        "conflict",
    ]


def test_uploads_are_rate_limited_per_device(api: Api) -> None:
    api.client.app.state.upload_limiter.capacity = 2  # type: ignore[attr-defined]
    api.client.app.state.upload_limiter.per_s = 0.001  # type: ignore[attr-defined]
    device = api.enrol()
    assert api.upload(device, []).status_code == 200
    assert api.upload(device, []).status_code == 200
    limited = api.upload(device, [])
    assert limited.status_code == 429 and limited.json()["error"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1


def test_nul_characters_never_reach_the_database_unescaped(api: Api) -> None:
    # PostgreSQL text refuses NUL: each place a device's string is stored must cope, on both backends.
    device = api.enrol()
    items = [api.ballot(device, comment="a\x00b"), api.ballot(device, id="\x00"), {"id": "x\x00", "seq": 1}]
    reply = api.upload(device, [*items, api.ballot(device, answers={"tong_the": 4, "\x00": 1})])
    assert api.statuses(reply) == ["rejected"] * 4
    assert "NUL" in reply.json()["results"][0]["error"]
    assert _counts(api)["ResponseQuarantine"] == 4
    text_answer_ok = api.upload(device, [api.ballot(device, comment="Cảm ơn\tcán bộ\n")])
    assert api.statuses(text_answer_ok) == ["created"]
    assert api.client.get("/api/v1/device/photos/cb%0001", headers=device).status_code == 404


def test_two_batches_of_one_device_at_once_keep_its_state(api: Api) -> None:
    """Batches racing on one device serialise on its row: seq tracking sees both, nothing is lost."""
    import threading

    from sync_server.db import write_session
    from sync_server.ingest import ingest_batch

    device = api.enrol()
    items = [api.ballot(device) for _ in range(40)]
    with api.session() as session:
        device_id = session.execute(select(Device.id)).scalar_one()
    barrier = threading.Barrier(2)
    outcomes: list[list[str]] = []

    def run(batch: list[dict[str, Any]]) -> None:
        with write_session(api.engine) as session:
            barrier.wait()
            row = session.get(Device, device_id)
            assert row is not None
            results = ingest_batch(session, row, batch, utcnow())
            session.commit()
        outcomes.append([r.status for r in results])

    threads = [threading.Thread(target=run, args=(part,)) for part in (items[:20], items[20:])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == [["created"] * 20, ["created"] * 20]
    with api.session() as session:
        assert session.execute(select(Device.last_seq, Device.seq_gaps)).one() == (40, 0)
        assert session.execute(select(func.count()).select_from(Response)).scalar_one() == 40

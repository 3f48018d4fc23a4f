"""What no item, body or database state can do to the server (issue 9): jam a device's queue with a
500, grow the audit without bound, keep a phone without consent, or put personal data in a log."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from typing import Any

import pytest
from api_helpers import Api
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlmodel import col

from sync_server import ingest
from sync_server.models import Device, HealthProbe, Response, ResponseConflict, ResponseQuarantine

PHONE = "0912 345 678"
COMMENT = "Cán bộ Nguyễn Văn A rất nhiệt tình, bí-mật-7731"


def quarantine(api: Api) -> list[tuple[str | None, str, str, int | None]]:
    with api.session() as session:
        rows = session.execute(
            select(
                col(ResponseQuarantine.response_id),
                col(ResponseQuarantine.reason),
                col(ResponseQuarantine.raw),
                col(ResponseQuarantine.raw_size),
            ).order_by(col(ResponseQuarantine.pk))
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def count(api: Api, model: Any) -> int:
    with api.session() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


UNSTORABLE: list[tuple[str, dict[str, Any]]] = [
    ("surrogate in comment", {"comment": "a\ud800b"}),
    ("surrogate in survey id", {"survey_id": "\udfff"}),
    ("surrogate in an answer key", {"answers": {"tong_the": 5, "\ud83d": 1}}),
    ("surrogate in an extra field", {"extra": ["\ud800"]}),
    ("NUL in staff id", {"staff_id": "cb\x0001"}),
    ("NUL in a text answer key", {"answers": {"tong_the": 5, "a\x00": None}}),
    ("started_at overflows", {"started_at": "0001-01-01T00:00:00+14:00"}),
    ("submitted_at overflows", {"submitted_at": "9999-12-31T23:59:59-12:00"}),
    ("bool seq", {"seq": True}),
    ("huge int answer", {"answers": {"tong_the": 10**300}}),
    ("infinite answer", {"answers": {"tong_the": float("inf")}}),
]


def test_unstorable_content_gets_its_own_rejection_and_neighbours_are_stored(api: Api) -> None:
    device = api.enrol()
    for label, fields in UNSTORABLE:
        before = len(quarantine(api))
        bad = api.ballot(device, **fields)
        items = [api.ballot(device), bad, api.ballot(device)]
        # json.dumps writes a lone surrogate as \ud800 and inf as Infinity: what a kiosk could send.
        reply = api.upload(device, items)
        assert reply.status_code == 200, (label, reply.text)
        results = reply.json()["results"]
        assert [r["status"] for r in results] == ["created", "rejected", "created"], label
        assert results[1]["error"], label
        rows = quarantine(api)
        assert len(rows) == before + 1, label
        # The quarantine copy reads back as exactly what was sent.
        assert json.loads(rows[-1][2]) == json.loads(json.dumps(bad)), label
    with api.session() as session:
        stored = set(session.execute(select(col(Response.id))).scalars())
    assert len(stored) == 2 * len(UNSTORABLE)


def test_a_surrogate_id_is_answered_and_kept_escaped(api: Api) -> None:
    device = api.enrol()
    reply = api.upload(device, [api.ballot(device, id="\ud800-\x00"), api.ballot(device)])
    assert api.statuses(reply) == ["rejected", "created"]
    assert reply.json()["results"][0]["id"] == "\\ud800-\\u0000"
    assert quarantine(api)[-1][0] == "\\ud800-\\u0000"


def test_a_utf16_body_is_malformed_json(api: Api) -> None:
    device = api.enrol()
    for codec in ("utf-16", "utf-16-le", "utf-32", "latin-1"):
        body = json.dumps({"responses": [api.ballot(device, comment="Tôi vui")]}, ensure_ascii=False)
        reply = api.client.post(
            "/api/v1/device/responses",
            content=body.encode(codec),
            headers=device | {"Content-Type": "application/json"},
        )
        assert reply.status_code == 400, codec
        assert reply.json()["error"] == "malformed_json", codec
    assert count(api, Response) == 0


@pytest.mark.parametrize("to", ["9999-12-31", "0001-01-01", "3000-01-01"])
def test_indices_at_the_ends_of_the_calendar_are_a_sentence(api: Api, to: str) -> None:
    api.add_user("admin", "admin")
    reply = api.client.get(
        "/api/v1/indices", params={"unit": "XA01", "from": "0001-01-01", "to": to}, headers=api.login("admin")
    )
    assert reply.status_code == 400
    assert reply.json()["error"] == "invalid_request"
    assert "2999-12-31" in reply.json()["detail"]


def test_a_huge_seq_neither_ends_the_misuse_rule_nor_makes_gaps_absurd(api: Api) -> None:
    device = api.enrol()
    assert api.statuses(api.upload(device, [api.ballot(device) for _ in range(3)])) == ["created"] * 3
    assert api.statuses(api.upload(device, [api.ballot(device, seq=2**62 - 1)])) == ["created"]
    with api.session() as session:
        assert session.execute(select(Device.last_seq, Device.seq_gaps)).one() == (3, 0)
    # Then a burst seconds apart, with the device's ordinary seqs: flagged as misuse.
    import datetime as dt

    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    burst = [
        api.ballot(device, seq=4 + i, submitted_at=(start + dt.timedelta(seconds=2 * i)).isoformat())
        for i in range(5)
    ]
    assert api.statuses(api.upload(device, burst)) == ["created"] * 5
    with api.session() as session:
        flags = session.execute(
            select(col(Response.misuse)).where(col(Response.seq) >= 4, col(Response.seq) < 10)
        ).scalars()
        assert sorted(flags) == [False, False, True, True, True]
        assert session.execute(select(Device.last_seq, Device.seq_gaps)).one() == (8, 0)


def test_no_contact_without_consent_reaches_the_audit_tables(api: Api) -> None:
    device = api.enrol()
    first = api.ballot(device)
    assert api.statuses(api.upload(device, [first])) == ["created"]
    no_consent = {"phone": PHONE, "consent": False}
    items = [
        dict(first, contact=no_consent),  # same id, other content: a conflict
        api.ballot(device, contact=no_consent, answers={"tong_the": 9}),  # rejected
        api.ballot(device, contact={"phone": PHONE}, lang="xx"),  # no consent field at all
        api.ballot(device, contact=PHONE, lang="xx"),  # not even an object
    ]
    assert api.statuses(api.upload(device, items)) == ["conflict", "rejected", "rejected", "rejected"]
    with api.session() as session:
        raws = list(session.execute(select(col(ResponseQuarantine.raw))).scalars())
        raws += list(session.execute(select(col(ResponseConflict.raw))).scalars())
    assert len(raws) == 4
    for raw in raws:
        assert "345 678" not in raw and json.loads(raw)["contact"] == "[dropped: no consent]"
    # With consent, a rejected item keeps the number: nothing the citizen agreed to is lost.
    consented = api.ballot(device, contact={"phone": PHONE, "consent": True}, lang="xx")
    assert api.statuses(api.upload(device, [consented])) == ["rejected"]
    assert PHONE in quarantine(api)[-1][2]


def test_audit_keeps_64_kib_per_item_and_a_daily_number_per_device(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    device = api.enrol()
    big = api.ballot(device, extra="đ" * 60_000, lang="xx")  # 120 kB of UTF-8
    assert api.statuses(api.upload(device, [big])) == ["rejected"]
    _id, _reason, raw, size = quarantine(api)[-1]
    assert len(raw.encode()) <= 64 * 1024 < size
    assert size == len(json.dumps(big, ensure_ascii=False).encode())
    assert json.dumps(big, ensure_ascii=False).startswith(raw)

    monkeypatch.setattr(ingest, "MAX_AUDIT_ROWS_PER_DAY", 5)
    stored = api.ballot(device)
    assert api.statuses(api.upload(device, [stored])) == ["created"]
    refused = [api.ballot(device, lang="xx") for _ in range(3)] + [dict(stored, lang="en") for _ in range(3)]
    statuses = api.statuses(api.upload(device, refused))
    assert statuses == ["rejected"] * 3 + ["conflict"] * 3
    assert count(api, ResponseQuarantine) + count(api, ResponseConflict) == 5
    assert api.statuses(api.upload(device, [api.ballot(device, lang="xx")])) == ["rejected"]
    assert count(api, ResponseQuarantine) + count(api, ResponseConflict) == 5
    with api.session() as session:
        assert session.execute(select(Device.audit_dropped)).scalar_one() == 3  # 1 big + 4 kept


def test_same_id_from_eight_devices_at_once_is_one_created_and_conflicts(api: Api) -> None:
    if api.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: the race exists on PostgreSQL")
    devices = [api.enrol(name=f"Quầy {i}") for i in range(8)]
    for _round in range(3):
        shared = [str(uuid.uuid4()) for _ in range(30)]
        batches = [
            [api.ballot(d, id=rid, comment=f"quầy {i}") for rid in shared] + [api.ballot(d) for _ in range(5)]
            for i, d in enumerate(devices)
        ]
        barrier = threading.Barrier(len(devices))
        replies: list[Any] = [None] * len(devices)

        threads = [
            threading.Thread(target=_race, args=(api, barrier, devices[i], batches[i], replies, i))
            for i in range(len(devices))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert [r.status_code for r in replies] == [200] * len(devices), [r.text for r in replies]
        statuses = [api.statuses(r) for r in replies]
        # Each shared id: created once, a conflict for the seven others; every device's own ones stored.
        for k in range(30):
            assert sorted(s[k] for s in statuses) == ["conflict"] * 7 + ["created"], (_round, k)
        assert all(s[30:] == ["created"] * 5 for s in statuses)
        with api.session() as session:
            assert (
                session.execute(
                    select(func.count()).select_from(Response).where(col(Response.id).in_(shared))
                ).scalar_one()
                == 30
            )


def _race(
    api: Api,
    barrier: threading.Barrier,
    device: dict[str, str],
    batch: list[dict[str, Any]],
    replies: list[Any],
    i: int,
) -> None:
    barrier.wait()
    replies[i] = api.upload(device, batch)


def test_healthz_is_degraded_when_the_database_cannot_store(api: Api) -> None:
    from sqlalchemy.engine import make_url

    from sync_server.app import create_app
    from sync_server.db import make_engine

    assert api.client.get("/healthz").json() == {"status": "ok"}
    url = api.settings.database_url
    if api.engine.dialect.name == "sqlite":
        engine = make_engine(url)
        with api.engine.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()

        @event.listens_for(engine, "connect")
        def _full(dbapi_conn: Any, _record: Any) -> None:
            # A real SQLITE_FULL: the file may not grow by a single page, as on a full disk.
            dbapi_conn.execute(f"PRAGMA max_page_count={pages}")

        undo = None
    else:
        name = make_url(url).database
        with api.engine.connect() as conn:
            conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
            conn.commit()
        engine = make_engine(url)

        def undo() -> None:
            with api.engine.connect() as conn:
                conn.exec_driver_sql("SET default_transaction_read_only = off")
                conn.exec_driver_sql(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
                conn.commit()
            api.engine.dispose()

    try:
        with TestClient(create_app(api.settings, engine=engine)) as client:
            reply = client.get("/healthz")
            assert reply.status_code == 503
            assert reply.json()["status"] == "degraded"
            assert "cannot store" in reply.json()["detail"]
    finally:
        engine.dispose()
        if undo is not None:
            undo()
    assert api.client.get("/healthz").json() == {"status": "ok"}  # the probe left nothing behind
    with api.session() as session:
        assert session.execute(select(func.count()).select_from(HealthProbe)).scalar_one() == 0


def test_a_database_error_logs_no_phone_and_no_comment(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    from sync_server.app import create_app
    from sync_server.db import make_engine

    device = api.enrol()
    sqlite = api.engine.dialect.name == "sqlite"
    with api.engine.connect() as conn:
        if sqlite:
            conn.exec_driver_sql(
                "CREATE TRIGGER boom BEFORE INSERT ON response BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        else:
            # Like a CHECK failure, the error quotes the row: the comment is in the error's own text.
            conn.exec_driver_sql(
                "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'Failing row contains %%, %%', NEW.comment, NEW.contact_phone; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER boom BEFORE INSERT ON response FOR EACH ROW EXECUTE FUNCTION boom()"
            )
        conn.commit()
    caplog.set_level(logging.DEBUG)  # every logger, SQLAlchemy's statements and parameters included
    for name in ("sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "uvicorn", "fastapi"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    engine = make_engine(api.settings.database_url)
    try:
        with TestClient(create_app(api.settings, engine=engine), raise_server_exceptions=False) as client:
            items = [
                api.ballot(device, comment=COMMENT, contact={"phone": PHONE, "consent": True}),
                api.ballot(device),
            ]
            reply = client.post(
                "/api/v1/device/responses",
                content=json.dumps({"responses": items}),
                headers=device | {"Content-Type": "application/json"},
            )
        assert reply.status_code == 500
        assert reply.json()["error"] == "internal_error"
    finally:
        engine.dispose()
        for name in ("sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool", "uvicorn", "fastapi"):
            logging.getLogger(name).setLevel(logging.NOTSET)
        with api.engine.connect() as conn:
            conn.exec_driver_sql("DROP TRIGGER boom" if sqlite else "DROP TRIGGER boom ON response")
            if not sqlite:
                conn.exec_driver_sql("DROP FUNCTION boom()")
            conn.commit()
    text = "\n".join(
        record.getMessage()
        + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        for record in caplog.records
    )
    assert any(r.name.startswith("sqlalchemy") for r in caplog.records)  # the statements were logged
    for secret in (PHONE, PHONE.replace(" ", ""), "345 678", "bí-mật-7731", "nhiệt tình"):
        assert secret not in text
    assert "failed in the database" in text and "2 items, 1 with a comment, 1 with a contact" in text
    assert count(api, Response) == 0

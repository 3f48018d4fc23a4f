"""The kiosk's durable store on a real SQLite file: ballots, statuses, sync side, settings."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.store import KioskStore, StoreUnavailable, hash_pin, uuid7, verify_pin

SURVEY = {"survey_id": "chinh-quyen-than-thien", "survey_version": "2024.1"}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "kiosk" / "kiosk.db"


@pytest.fixture
def store(db: Path) -> KioskStore:
    with KioskStore(db) as opened:
        yield opened


def _ballot(store: KioskStore, staff: str | None = "nv01", **answers: object) -> str:
    ballot_id = store.start_ballot(**SURVEY, staff_id=staff, lang="vi")
    for question_id, value in answers.items():
        store.record_answer(ballot_id, question_id, value)
    return ballot_id


def test_file_is_wal_with_full_sync(store: KioskStore, db: Path) -> None:
    assert db.is_file()
    with sqlite3.connect(db) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # synchronous is per connection: read the store's own.
    assert store._conn is not None and store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_every_tap_is_on_disk_before_the_call_returns(store: KioskStore, db: Path) -> None:
    ballot_id = _ballot(store, tong_the=4)
    # A second, independent connection (as after a crash) sees the answer at once.
    with sqlite3.connect(db) as other:
        answers, status = other.execute(
            "SELECT answers, status FROM ballots WHERE id = ?", (ballot_id,)
        ).fetchone()
    assert answers == '{"tong_the": 4}' and status == "open"


def test_a_ballot_gets_a_uuid7_and_the_next_seq(store: KioskStore) -> None:
    first = _ballot(store)
    second = _ballot(store)
    assert uuid.UUID(first).version == 7 and uuid.UUID(second).version == 7
    assert first < second  # time-ordered
    one, two = store.ballot(first), store.ballot(second)
    assert one is not None and two is not None
    assert (one["seq"], two["seq"]) == (1, 2)
    assert one["status"] == "open" and one["staff_id"] == "nv01" and one["answers"] == {}


def test_later_taps_update_the_same_row(store: KioskStore) -> None:
    ballot_id = _ballot(store, tong_the=2)
    store.record_answer(ballot_id, "tong_the", 5)  # the citizen went back and changed it
    store.record_answer(ballot_id, "nam_khong", [])
    store.record_answer(ballot_id, "xin_chao", None)
    store.set_staff(ballot_id, None)
    store.set_comment(ballot_id, "Phục vụ rất tận tình", {"phone": "0912345678", "consent": True})
    store.finish_ballot(ballot_id)
    ballot = store.ballot(ballot_id)
    assert ballot is not None
    assert ballot["answers"] == {"tong_the": 5, "nam_khong": [], "xin_chao": None}
    assert ballot["staff_id"] is None and ballot["comment"] == "Phục vụ rất tận tình"
    assert ballot["contact"] == {"phone": "0912345678", "consent": True}
    assert ballot["status"] == "pending" and ballot["complete"] and ballot["submitted_at"]
    assert store.counts_by_status() == {"open": 0, "pending": 1, "synced": 0, "conflict": 0, "rejected": 0}


def test_a_submitted_ballot_cannot_be_changed(store: KioskStore) -> None:
    ballot_id = _ballot(store, tong_the=5)
    store.finish_ballot(ballot_id)
    store.finish_ballot(ballot_id)  # a double tap on "Gửi" is harmless
    with pytest.raises(ValueError, match="already submitted"):
        store.record_answer(ballot_id, "tong_the", 1)
    with pytest.raises(KeyError):
        store.record_answer("no-such-ballot", "tong_the", 1)
    ballot = store.ballot(ballot_id)
    assert ballot is not None and ballot["answers"] == {"tong_the": 5}


def test_a_ballot_without_the_overall_answer_cannot_be_submitted(store: KioskStore) -> None:
    ballot_id = _ballot(store, xin_chao=4)
    with pytest.raises(ValueError, match="tong_the"):
        store.finish_ballot(ballot_id)
    assert store.counts_by_status()["open"] == 1


def test_idle_timeout_keeps_after_tong_the_and_discards_before(store: KioskStore) -> None:
    kept = _ballot(store, tong_the=1, xin_chao=2)
    dropped = _ballot(store, xin_chao=5)
    assert store.abandon_ballot(kept) == "kept"
    assert store.abandon_ballot(dropped) == "discarded"
    assert store.ballot(dropped) is None
    ballot = store.ballot(kept)
    assert ballot is not None and ballot["status"] == "pending" and ballot["answers"]["xin_chao"] == 2
    assert store.abandon_ballot(kept) == "kept"  # already submitted: untouched
    # The discarded ballot's answers no longer count for rotation.
    assert store.answer_counts(SURVEY["survey_id"]) == {"tong_the": 1, "xin_chao": 1}


def test_seq_is_never_reused_after_discards_and_purges(store: KioskStore) -> None:
    first = _ballot(store, tong_the=5)
    store.finish_ballot(first)
    store.abandon_ballot(_ballot(store))
    store.mark_results([(first, "created", None)])
    store.purge_synced(timedelta(0), now=datetime.now(UTC) + timedelta(seconds=1))
    third = store.ballot(_ballot(store))
    assert third is not None and third["seq"] == 3


def test_recovery_after_a_crash_keeps_or_discards_open_ballots(db: Path) -> None:
    store = KioskStore(db)
    kept = _ballot(store, tong_the=3)
    discarded = _ballot(store, xin_chao=3)
    store.record_answer(kept, "xin_loi", 4)
    last_tap = store.ballot(kept)
    store.close()  # as if the power went: no finish, no abandon
    reopened = KioskStore(db)
    assert reopened.recover_open_ballots() == {"kept": 1, "discarded": 1}
    ballot = reopened.ballot(kept)
    assert ballot is not None and last_tap is not None
    assert ballot["status"] == "pending" and ballot["answers"] == {"tong_the": 3, "xin_loi": 4}
    # submitted at the last tap, not at the restart
    submitted = datetime.fromisoformat(ballot["submitted_at"])
    assert submitted >= datetime.fromisoformat(last_tap["started_at"])
    assert reopened.ballot(discarded) is None
    assert reopened.recover_open_ballots() == {"kept": 0, "discarded": 0}
    reopened.close()


def test_times_are_rfc3339_with_an_offset(store: KioskStore) -> None:
    moment = datetime(2024, 9, 3, 1, 15, 2, tzinfo=UTC)
    ballot_id = store.start_ballot(**SURVEY, staff_id=None, lang="en", now=moment)
    store.record_answer(ballot_id, "tong_the", 5)
    store.finish_ballot(ballot_id, now=moment + timedelta(seconds=40))
    ballot = store.ballot(ballot_id)
    assert ballot is not None
    started = datetime.fromisoformat(ballot["started_at"])
    assert started.utcoffset() is not None and started == moment
    assert datetime.fromisoformat(ballot["submitted_at"]) - started == timedelta(seconds=40)
    assert uuid7(int(moment.timestamp() * 1000)).hex[:12] == uuid.UUID(ballot_id).hex[:12]


def test_pending_batch_is_protocol_responses_oldest_first(store: KioskStore) -> None:
    ids = []
    for score in (5, 4, 3):
        ballot_id = _ballot(store, tong_the=score)
        store.finish_ballot(ballot_id)
        ids.append(ballot_id)
    _ballot(store, tong_the=1)  # still open: not sent
    store.add_flags(ids[2], ["burst"])
    store.add_flags(ids[2], ["burst"])
    batch = store.pending_batch(2)
    assert [item["id"] for item in batch] == ids[:2]
    assert set(batch[0]) == {
        "id", "seq", "survey_id", "survey_version", "staff_id", "started_at", "submitted_at",
        "answers", "comment", "contact", "lang", "flags",
    }  # fmt: skip
    assert batch[0]["answers"] == {"tong_the": 5} and batch[0]["lang"] == "vi"
    assert store.pending_batch(10)[2]["flags"] == ["burst"]


def test_sync_results_set_each_status_and_one_unknown_id_harms_nothing(store: KioskStore) -> None:
    ids = [_ballot(store, tong_the=5) for _ in range(4)]
    for ballot_id in ids:
        store.finish_ballot(ballot_id)
    store.mark_results(
        [
            (ids[0], "created", None),
            (ids[1], "duplicate", None),
            (ids[2], "conflict", None),
            (ids[3], "rejected", "unknown question 'xin_chao2'"),
            ("01900000-0000-7000-8000-000000000000", "created", None),
        ]
    )
    assert store.counts_by_status() == {"open": 0, "pending": 0, "synced": 2, "conflict": 1, "rejected": 1}
    rejected = store.ballot(ids[3])
    assert rejected is not None and rejected["error"] == "unknown question 'xin_chao2'"
    assert store.pending_batch(10) == []
    with pytest.raises(ValueError, match="unknown sync result"):
        store.mark_results([(ids[0], "lost", None)])


def test_nothing_is_deleted_until_synced_and_past_retention(store: KioskStore) -> None:
    synced, conflict, pending = (_ballot(store, tong_the=4) for _ in range(3))
    for ballot_id in (synced, conflict, pending):
        store.finish_ballot(ballot_id)
    store.mark_results([(synced, "created", None), (conflict, "conflict", None)])
    now = datetime.now(UTC)
    assert store.purge_synced(timedelta(days=30), now=now) == 0
    assert store.purge_synced(timedelta(days=30), now=now + timedelta(days=31)) == 1
    assert store.ballot(synced) is None
    assert store.ballot(conflict) is not None and store.ballot(pending) is not None
    # Rotation still remembers the purged ballot's answers.
    assert store.answer_counts(SURVEY["survey_id"])["tong_the"] == 3


def test_settings_survive_a_restart(db: Path) -> None:
    with KioskStore(db) as store:
        store.set("server_url", "https://khaosat.example.vn")
        store.set("device_name", "Quầy 1")
        store.set("token", "secret")
        store.set("token", None)
    with KioskStore(db) as store:
        assert store.get("server_url") == "https://khaosat.example.vn"
        assert store.get("device_name") == "Quầy 1"
        assert store.get("token") is None and store.get("token", "none") == "none"


def test_sync_thread_and_ui_thread_share_the_store(store: KioskStore) -> None:
    errors: list[BaseException] = []

    def citizen() -> None:
        try:
            for _ in range(40):
                ballot_id = _ballot(store, tong_the=5)
                store.finish_ballot(ballot_id)
        except BaseException as exc:
            errors.append(exc)

    def sync() -> None:
        try:
            for _ in range(40):
                batch = store.pending_batch(5)
                store.mark_results([(item["id"], "created", None) for item in batch])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=citizen), threading.Thread(target=sync)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counts = store.counts_by_status()
    assert counts["pending"] + counts["synced"] == 40


def test_uuid7_ids_keep_creation_order_within_a_millisecond() -> None:
    ids = [uuid7(1_700_000_000_000) for _ in range(5000)]
    assert ids == sorted(ids) and len(set(ids)) == 5000
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in ids)


def test_uuid7_carries_its_millisecond() -> None:
    later = uuid7(4_000_000_000_000)
    assert later.int >> 80 == 4_000_000_000_000


def test_admin_pin_is_hashed_and_checked() -> None:
    hashed = hash_pin("2468")
    assert "2468" not in hashed and hashed != hash_pin("2468")  # salted
    assert verify_pin("2468", hashed)
    assert not verify_pin("1357", hashed)
    assert not verify_pin("2468", "not-a-hash")


def test_status_counts_follow_every_change(store: KioskStore) -> None:
    ids = [_ballot(store, tong_the=5) for _ in range(6)]
    for ballot_id in ids[:4]:
        store.finish_ballot(ballot_id)
    store.abandon_ballot(ids[4])
    store.abandon_ballot(_ballot(store, xin_chao=1))  # discarded
    store.mark_results([(ids[0], "created", None), (ids[1], "conflict", None), (ids[2], "rejected", "x")])
    store.purge_synced(timedelta(0), now=datetime.now(UTC) + timedelta(seconds=1))
    expected = {"open": 1, "pending": 2, "synced": 0, "conflict": 1, "rejected": 1}
    assert store.counts_by_status() == expected
    assert store._conn is not None
    rows = store._conn.execute("SELECT status, count(*) FROM ballots GROUP BY status").fetchall()
    assert {**dict.fromkeys(expected, 0), **dict(rows)} == expected


def test_a_file_from_the_first_schema_is_upgraded_with_its_counts(db: Path) -> None:
    with KioskStore(db) as store:
        for _ in range(3):
            store.finish_ballot(_ballot(store, tong_the=4))
        _ballot(store, tong_the=1)
    with sqlite3.connect(db) as old:  # make it look like a schema-1 file
        old.executescript(
            "DROP TRIGGER ballots_count_insert; DROP TRIGGER ballots_count_delete;"
            " DROP TRIGGER ballots_count_status; DROP TABLE status_counts; PRAGMA user_version=1;"
        )
    with KioskStore(db) as store:
        assert store.counts_by_status() == {
            "open": 1,
            "pending": 3,
            "synced": 0,
            "conflict": 0,
            "rejected": 0,
        }
        store.finish_ballot(_ballot(store, tong_the=2))
        assert store.counts_by_status()["pending"] == 4


def test_a_file_from_a_newer_kiosk_is_refused_untouched(db: Path) -> None:
    KioskStore(db).close()
    with sqlite3.connect(db) as newer:
        newer.execute("PRAGMA user_version=99")
    with pytest.raises(StoreUnavailable, match="newer than this kiosk"):
        KioskStore(db)


def test_many_commits_with_background_checkpoints_lose_nothing(db: Path) -> None:
    store = KioskStore(db)
    ids = []
    for _ in range(100):  # 300 commits: a background checkpoint runs meanwhile
        ballot_id = _ballot(store, tong_the=3)
        store.finish_ballot(ballot_id)
        ids.append(ballot_id)
    store.close()
    assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0
    with sqlite3.connect(db) as other:
        assert other.execute("SELECT count(*) FROM ballots WHERE status = 'pending'").fetchone()[0] == 100


def test_the_first_tap_can_start_the_ballot_with_its_answer_in_one_commit(db: Path) -> None:
    import io

    trace = io.StringIO()
    with KioskStore(db, trace=trace) as store:
        ballot_id = store.start_ballot(**SURVEY, staff_id="nv02", lang="vi", answers={"tong_the": 4})
        ballot = store.ballot(ballot_id)
        assert ballot is not None and ballot["answers"] == {"tong_the": 4} and ballot["complete"]
        assert store.answer_counts(SURVEY["survey_id"]) == {"tong_the": 1}
        assert store.abandon_ballot(ballot_id) == "kept"
    assert trace.getvalue().splitlines() == [
        f"stored {ballot_id} start",
        f"stored {ballot_id} tong_the",
        f"stored {ballot_id} abandon",
    ]


def test_sync_results_purge_ballots_synced_longer_ago_than_retention(db: Path) -> None:
    with KioskStore(db, retention=timedelta(days=90)) as store:
        old, recent = _ballot(store, tong_the=5), _ballot(store, tong_the=4)
        store.finish_ballot(old)
        store.finish_ballot(recent)
        store.mark_results([(old, "created", None)])
        assert store._conn is not None  # age the first upload by 91 days
        store._conn.execute("UPDATE ballots SET synced_ts = synced_ts - 91 * 86400 WHERE id = ?", (old,))
        store.mark_results([(recent, "created", None)])
        assert store.ballot(old) is None
        assert store.ballot(recent) is not None
        assert store.counts_by_status()["synced"] == 1


def test_the_app_and_a_sync_command_share_the_file(db: Path) -> None:
    """Two connections, as `survey-kiosk run` and `survey-kiosk sync` in two processes."""
    app, sync = KioskStore(db), KioskStore(db)
    errors: list[BaseException] = []

    def citizens() -> None:
        try:
            for _ in range(60):
                app.finish_ballot(_ballot(app, tong_the=4, xin_chao=5))
        except BaseException as exc:
            errors.append(exc)

    def syncing() -> None:
        try:
            for _ in range(60):
                batch = sync.pending_batch(7)
                sync.mark_results([(item["id"], "created", None) for item in batch])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=citizens), threading.Thread(target=syncing)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counts = app.counts_by_status()
    assert counts["pending"] + counts["synced"] == 60 and counts == sync.counts_by_status()
    assert app.answer_counts(SURVEY["survey_id"]) == {"tong_the": 60, "xin_chao": 60}
    app.close()
    sync.close()

"""Storage faults: a full disk, a read-only card, a damaged file → StoreUnavailable, nothing lost."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.store import KioskStore, StoreUnavailable

SURVEY = {"survey_id": "chinh-quyen-than-thien", "survey_version": "2024.1"}


def _ballot(store: KioskStore, score: int = 5) -> str:
    ballot_id = store.start_ballot(**SURVEY, staff_id="nv01", lang="vi")
    store.record_answer(ballot_id, "tong_the", score)
    store.finish_ballot(ballot_id)
    return ballot_id


def _fill_until_unavailable(store: KioskStore, limit: int = 100_000) -> tuple[list[str], str | None]:
    """Ballots submitted before the store gave up, and the one being filled in when it did (if begun)."""
    stored: list[str] = []
    for _ in range(limit):
        ballot_id = None
        try:
            ballot_id = store.start_ballot(**SURVEY, staff_id="nv01", lang="vi")
            store.record_answer(ballot_id, "tong_the", 4)
            store.record_answer(ballot_id, "nam_khong", [])
            store.set_comment(ballot_id, "Ý kiến " * 40, None)
            store.finish_ballot(ballot_id)
        except StoreUnavailable:
            return stored, ballot_id
        stored.append(ballot_id)
    raise AssertionError("the store never filled up")


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 2 MiB tmpfs (needs root; the capped-size test below covers other machines)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tiny filesystem needs root")
    mountpoint = tmp_path / "card"
    mountpoint.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mountpoint)], check=False)
    if done.returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def test_a_capped_store_reports_disk_full_and_keeps_every_earlier_ballot(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    store = KioskStore(db, max_db_mb=0.25)
    stored, interrupted = _fill_until_unavailable(store)
    assert len(stored) > 50
    assert store.fault is not None and store.fault.startswith("disk full")
    # Reads still work for the admin screen.
    assert store.counts_by_status()["pending"] == len(stored)
    store.close()
    with KioskStore(db) as reopened:  # the cap lifted: everything is there and writable again
        recovered = reopened.recover_open_ballots()
        # The ballot being filled in when the disk filled keeps its overall answer, if it had one.
        pending = [b["id"] for b in reopened.pending_batch(100_000)]
        assert pending == stored + [interrupted] * recovered["kept"]
        _ballot(reopened)
        assert reopened.fault is None


def test_a_real_full_disk_is_reported_and_writes_resume_once_space_is_freed(tiny_fs: Path) -> None:
    store = KioskStore(tiny_fs / "kiosk" / "kiosk.db")
    first = [_ballot(store) for _ in range(10)]
    filler = tiny_fs / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)  # another program eats the card
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)
    stored, interrupted = _fill_until_unavailable(store)
    assert store.fault is not None and "disk full" in store.fault
    filler.unlink()
    assert store.probe() and store.fault is None
    if interrupted is not None:
        assert store.abandon_ballot(interrupted) == "kept"
    later = _ballot(store)
    ids = [b["id"] for b in store.pending_batch(100_000)]
    assert ids == [*first, *stored, *([interrupted] if interrupted else []), later]
    store.close()


def test_a_card_gone_read_only_is_reported_and_nothing_is_lost(tiny_fs: Path) -> None:
    db = tiny_fs / "kiosk.db"
    store = KioskStore(db)
    kept = [_ballot(store, score) for score in (1, 2, 3)]
    open_ballot = store.start_ballot(**SURVEY, staff_id=None, lang="vi")
    store.record_answer(open_ballot, "tong_the", 4)
    store.close()  # the kiosk restarts and finds its card read-only (as after a card error)
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_fs)], check=True)
    try:
        with pytest.raises(StoreUnavailable, match="read-only"):
            again = KioskStore(db)
            again.recover_open_ballots()
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(tiny_fs)], check=True)
    with KioskStore(db) as reopened:
        assert reopened.recover_open_ballots() == {"kept": 1, "discarded": 0}
        assert [b["id"] for b in reopened.pending_batch(10)] == [*kept, open_ballot]


def test_a_read_only_file_for_an_ordinary_user(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root ignores file permissions; the tmpfs test covers read-only storage")
    folder = tmp_path / "kiosk"
    with KioskStore(folder / "kiosk.db") as store:
        kept = _ballot(store)
    (folder / "kiosk.db").chmod(0o444)
    folder.chmod(0o555)
    try:
        with pytest.raises(StoreUnavailable):
            store = KioskStore(folder / "kiosk.db")
            _ballot(store)
    finally:
        folder.chmod(0o755)
        (folder / "kiosk.db").chmod(0o644)
    with KioskStore(folder / "kiosk.db") as store:
        assert [b["id"] for b in store.pending_batch(10)] == [kept]


def test_a_damaged_file_is_reported_not_overwritten(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    db.write_bytes(b"this is not a database, it is a photocopy of one" * 100)
    with pytest.raises(StoreUnavailable, match="database damaged"):
        KioskStore(db)
    assert db.read_bytes().startswith(b"this is not a database")


def test_a_home_that_cannot_be_made_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "home"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(StoreUnavailable, match=str(blocker)):
        KioskStore(blocker / "kiosk.db")

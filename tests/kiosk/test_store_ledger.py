"""The kiosk's side of the ledger: re-queue what the server lost, count what neither side holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.store import KioskStore

AT = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)


def _ballot(store: KioskStore, n: int, *, answered: bool = True) -> str:
    ballot = store.start_ballot(
        survey_id="chinh-quyen-than-thien", survey_version="2024.1", staff_id=None, lang="vi", now=AT
    )
    if answered:
        store.record_answer(ballot, "tong_the", 1 + n % 5)
        store.finish_ballot(ballot, now=AT + timedelta(seconds=30))
    return ballot


def test_synced_ballots_the_server_lacks_go_back_to_pending_and_purged_ones_count_as_lost(
    tmp_path: Path,
) -> None:
    with KioskStore(tmp_path / "kiosk.db") as store:
        ids = [_ballot(store, n) for n in range(6)]  # seqs 1..6
        unrated = _ballot(store, 99, answered=False)  # seq 7: never a ballot
        assert store.abandon_ballot(unrated) == "discarded"
        ids += [_ballot(store, n) for n in range(3)]  # seqs 8..10
        store.mark_results([(b, "created", None) for b in ids])
        # Seqs 1-2 were synced long ago and purged after the retention.
        purged = store.purge_synced(timedelta(0), now=datetime.now(UTC) + timedelta(seconds=1))
        assert purged == 9
        ids2 = [_ballot(store, n) for n in range(2)]  # seqs 11, 12
        store.mark_results([(b, "created", None) for b in ids2])
        # The server was restored from a backup holding seqs 3..6 only: it lacks 1-2 (and 7, 8-12).
        requeued, lost = store.reconcile_ledger(6, [(1, 2)])
        assert requeued == 2  # 11 and 12 are still here; 8-10 went with the purge
        assert lost == 2 + 3  # 1-2 and 8-10 purged: lost on both sides; 7 was discarded, not lost
        assert len(store.pending_batch(10)) == 2
        assert store.reconcile_ledger(12, []) == (0, 0)


def test_a_server_that_holds_nothing_gets_every_synced_ballot_again(tmp_path: Path) -> None:
    with KioskStore(tmp_path / "kiosk.db") as store:
        ids = [_ballot(store, n) for n in range(4)]
        store.mark_results([(b, "duplicate", None) for b in ids])
        assert store.reconcile_ledger(None, []) == (4, 0)
        assert store.counts_by_status()["pending"] == 4

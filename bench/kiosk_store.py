"""Tap → durable commit latency of the kiosk store, on an empty store and with 1,000,000 ballots.

    .venv/bin/python bench/kiosk_store.py [--ballots 300] [--big 1000000] [--cache var/bench]

Each simulated citizen taps tong_the (start_ballot + record_answer), four detail items, the comment and
"Gửi" (finish_ballot); every call is one WAL commit with synchronous=FULL. The 1M-ballot file is built
once with bulk SQL (not through the store, which would take an fsync per ballot) and cached.
Caveats: 2 shared cores, other engineers' tests running; a virtual disk whose fsync may be cheaper
or dearer than a kiosk's SD card. Figures are for comparison, not guarantees.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kiosk.flow import choose_details
from kiosk.store import KioskStore, uuid7
from surveys.loader import default_survey_path, load_survey

SURVEY = load_survey(default_survey_path())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class RawCommit:
    """The floor: one tiny UPDATE committed in WAL mode with synchronous=FULL, on the same disk."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v INTEGER)")
        self.conn.execute("INSERT OR REPLACE INTO t VALUES (1, 0)")
        self.i = 0

    def __call__(self) -> float:
        self.i += 1
        start = time.perf_counter()
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute("UPDATE t SET v = ? WHERE k = 1", (self.i,))
        self.conn.execute("COMMIT")
        return (time.perf_counter() - start) * 1000


def run_ballots(store: KioskStore, n: int, raw: RawCommit, seed: int = 1) -> dict[str, list[float]]:
    """n citizens; a raw commit after every detail tap, so both see the same disk weather."""
    rng = random.Random(seed)
    names = ("first tap", "tap", "raw commit", "comment", "finish", "rotation")
    timings: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(n):
        t0 = time.perf_counter()
        details = choose_details(SURVEY, store.answer_counts(SURVEY.id), 4, rng)
        t1 = time.perf_counter()
        ballot_id = store.start_ballot(
            survey_id=SURVEY.id, survey_version=SURVEY.version, staff_id="nv01", lang="vi"
        )
        store.record_answer(ballot_id, "tong_the", rng.randint(1, 5))
        t2 = time.perf_counter()
        timings["rotation"].append((t1 - t0) * 1000)
        timings["first tap"].append((t2 - t1) * 1000)
        for qid in details:
            value = [] if SURVEY.question(qid).type == "checklist" else rng.randint(1, 5)
            start = time.perf_counter()
            store.record_answer(ballot_id, qid, value)
            timings["tap"].append((time.perf_counter() - start) * 1000)
            timings["raw commit"].append(raw())
        start = time.perf_counter()
        store.set_comment(ballot_id, "Cán bộ hướng dẫn tận tình, dễ hiểu.", None)
        timings["comment"].append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        store.finish_ballot(ballot_id)
        timings["finish"].append((time.perf_counter() - start) * 1000)
    return timings


def build_big(path: Path, count: int) -> None:
    """`count` realistic ballots (all synced but the last 2,000, still pending) in one bulk transaction."""
    KioskStore(path).close()  # the store's own schema
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    rng = random.Random(7)
    details = [q.id for q in SURVEY.detail_questions]
    start_ms = int(time.time() * 1000) - count * 60_000
    conn.execute("BEGIN")

    def rows():  # type: ignore[no-untyped-def]
        for i in range(count):
            ms = start_ms + i * 60_000
            answers = {"tong_the": rng.randint(1, 5)}
            for qid in rng.sample(details, 4):
                answers[qid] = [] if qid == "nam_khong" else rng.randint(1, 5)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S+07:00", time.gmtime(ms / 1000 + 7 * 3600))
            pending = i >= count - 2000
            yield (
                str(uuid7(ms)), SURVEY.id, SURVEY.version, f"nv{i % 12:02d}", "vi", stamp, stamp,
                json.dumps(answers), "pending" if pending else "synced", 1, ms / 1000,
                None if pending else ms / 1000 + 86_400,
            )  # fmt: skip

    conn.executemany(
        "INSERT INTO ballots (id, survey_id, survey_version, staff_id, lang, started_at, submitted_at,"
        " answers, status, complete, updated_ts, synced_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows(),
    )
    conn.execute(
        "INSERT INTO answer_counts (survey_id, question_id, n)"
        " SELECT ?, key, count(*) FROM ballots, json_each(ballots.answers) GROUP BY key",
        (SURVEY.id,),
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def report(label: str, timings: dict[str, list[float]]) -> None:
    print(f"\n{label}")
    for name, values in timings.items():
        print(
            f"  {name:<10} n={len(values):>5}  median {statistics.median(values):7.3f} ms"
            f"  p95 {percentile(values, 95):7.3f} ms  max {max(values):7.2f} ms"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=300, help="ballots to tap per scenario")
    parser.add_argument("--big", type=int, default=1_000_000, help="ballots already stored (0 to skip)")
    parser.add_argument("--cache", type=Path, default=Path("var/bench"), help="where the big file is kept")
    args = parser.parse_args()

    print("kiosk store benchmark — 2 shared cores, virtual disk; figures for comparison only")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        raw = RawCommit(folder / "raw.db")
        print("first tap = start_ballot(answers={'tong_the': …}): one commit")
        print("raw commit = a one-row UPDATE (WAL, synchronous=FULL) taken between the store's taps")
        with KioskStore(folder / "empty.db") as store:
            report("empty store", run_ballots(store, args.ballots, raw))
        if args.big:
            cached = args.cache / f"kiosk-{args.big}.db"
            if not cached.exists():
                args.cache.mkdir(parents=True, exist_ok=True)
                started = time.perf_counter()
                build_big(cached.with_suffix(".tmp"), args.big)
                cached.with_suffix(".tmp").rename(cached)
                print(f"\nbuilt {args.big:,} ballots in {time.perf_counter() - started:.0f} s ({cached})")
            work = folder / "big.db"
            shutil.copy(cached, work)
            print(f"\nbig file: {work.stat().st_size / 1e6:.0f} MB")
            started = time.perf_counter()
            store = KioskStore(work)
            recovered = store.recover_open_ballots()
            opened = (time.perf_counter() - started) * 1000
            print(f"open + recover_open_ballots with {args.big:,} ballots: {opened:.1f} ms ({recovered})")
            started = time.perf_counter()
            counts = store.counts_by_status()
            print(f"counts_by_status: {(time.perf_counter() - started) * 1000:.1f} ms {counts}")
            started = time.perf_counter()
            batch = store.pending_batch(500)
            print(f"pending_batch(500): {(time.perf_counter() - started) * 1000:.1f} ms ({len(batch)} items)")
            report(f"store with {args.big:,} ballots", run_ballots(store, args.ballots, raw))
            store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark of the index engine on a province's year: 100 units × 20 officers × 12 months ≈ 10 M ballots.

    .venv/bin/python bench/indices.py [--units 100] [--raw 1000000] [--repeat 5]

Prints figures; asserts nothing about time. The machine is shared (2 cores, other people's tests
running), so the best of several runs is the fairest figure and the median shows the noise.
"""

from __future__ import annotations

import argparse
import itertools
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from surveys.loader import default_survey_path, load_survey
from sync_server import indices as ix

OFFICERS = 20
MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]
BALLOTS_PER_CELL = 417  # 100 × 20 × 12 × 417 ≈ 10.0 M ballots
DETAIL_PER_BALLOT = 4


@dataclass
class Timing:
    """Best and median wall time, best CPU time of this process (seconds), and the last result."""

    wall: float
    median: float
    cpu: float
    result: Any


def timed(fn: Callable[[], Any], repeat: int) -> Timing:
    walls: list[float] = []
    cpus: list[float] = []
    result: Any = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return Timing(min(walls), statistics.median(walls), min(cpus), result)


def report(label: str, t: Timing, extra: str = "") -> None:
    print(
        f"  {label:<38} wall best {t.wall * 1000:8.2f} ms  median {t.median * 1000:8.2f} ms"
        f"  cpu best {t.cpu * 1000:8.2f} ms  {extra}"
    )


def rating_mix(rng: random.Random, quality: float) -> list[float]:
    """Shares of 1..5 for an officer: mostly satisfied, a tail of unhappy citizens."""
    weights = [0.04, 0.06, 0.15 - 0.05 * quality, 0.35, 0.25 + 0.25 * quality]
    weights = [max(0.01, w * rng.uniform(0.8, 1.2)) for w in weights]
    total = sum(weights)
    return [w / total for w in weights]


def province_rows(
    survey: Any, units: int, seed: int
) -> tuple[list[tuple[str, str | None, str, str, int]], list[tuple[str, str | None, int]]]:
    """Tally rows as the server's table would hold them for a province's year."""
    rng = random.Random(seed)
    ratings = [q.id for q in survey.questions if q.type == "rating5"]
    details = [q for q in ratings if q != ix.OVERALL]
    checklists = [q for q in survey.questions if q.type == "checklist"]
    n_detail = len(details) + len(checklists)
    answers: list[tuple[str, str | None, str, str, int]] = []
    ballots: list[tuple[str, str | None, int]] = []
    for unit in range(units):
        staff: list[str | None] = [f"u{unit:03d}-cb{k:02d}" for k in range(OFFICERS - 1)] + [None]
        for officer in staff:
            quality = rng.random()
            for month in MONTHS:
                n = max(1, int(BALLOTS_PER_CELL * rng.uniform(0.7, 1.3)))
                ballots.append((month, officer, n))
                for qid in ratings:
                    asked = n if qid == ix.OVERALL else n * DETAIL_PER_BALLOT // n_detail
                    answered = int(asked * rng.uniform(0.85, 0.98))  # the rest "không áp dụng"
                    for value, share in zip(("1", "2", "3", "4", "5"), rating_mix(rng, quality), strict=True):
                        count = round(answered * share)
                        if count:
                            answers.append((month, officer, qid, value, count))
                for q in checklists:
                    answered = n * DETAIL_PER_BALLOT // n_detail
                    empty = round(answered * rng.uniform(0.85, 0.97))
                    answers.append((month, officer, q.id, ix.ANSWERED, answered))
                    answers.append((month, officer, q.id, ix.EMPTY, empty))
                    for option in q.options:
                        count = round((answered - empty) * rng.uniform(0.1, 0.5))
                        if count:
                            answers.append((month, officer, q.id, option.id, count))
    return answers, ballots


def raw_ballots(survey: Any, count: int, seed: int) -> list[ix.Ballot]:
    """Raw ballots like those a unit's kiosks send: tong_the plus four rotated detail items."""
    rng = random.Random(seed)
    details = [q for q in survey.questions if q.id != ix.OVERALL and q.type in ("rating5", "checklist")]
    staff: list[str | None] = [f"cb{k:02d}" for k in range(OFFICERS - 1)] + [None]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    out: list[ix.Ballot] = []
    for _ in range(count):
        answers: dict[str, Any] = {ix.OVERALL: rng.choice((1, 2, 3, 4, 4, 4, 5, 5, 5, None))}
        for q in rng.sample(details, DETAIL_PER_BALLOT):
            if q.type == "rating5":
                answers[q.id] = rng.choice((2, 3, 4, 4, 5, 5, None))
            else:
                answers[q.id] = [] if rng.random() < 0.9 else [rng.choice(q.options).id]
        at = start + timedelta(seconds=rng.randrange(366 * 86400))
        suspect = rng.random() < 0.01
        out.append(
            ix.Ballot(at, at + timedelta(days=3), suspect, rng.choice(staff), answers, rng.random() < 0.002)
        )
    return out


def repeated(chunk: list[ix.Ballot], total: int) -> Iterator[ix.Ballot]:
    return itertools.islice(itertools.cycle(chunk), total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--raw", type=int, default=1_000_000, help="raw ballots to tally in pure Python")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    survey = load_survey(default_survey_path())
    kinds = sum(
        5 if q.type == "rating5" else 2 + len(q.options) for q in survey.questions if q.type != "text"
    )
    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    print("Caveats: 2 cores shared with ~6 other engineers' test runs: wall times swing with their load;")
    print("the CPU time of this process is the steadier figure. Best and median of several runs.")
    print(f"Survey: {len(survey.questions)} questions, {len(survey.groups)} groups, {kinds} answer kinds\n")

    start = time.perf_counter()
    answer_rows, ballot_rows = province_rows(survey, args.units, args.seed)
    made = time.perf_counter() - start
    total_ballots = sum(n for *_, n in ballot_rows)
    cells = len(ballot_rows)
    print(
        f"Province year: {args.units} units × {OFFICERS} officers × {len(MONTHS)} months = {cells:,} cells, "
        f"{total_ballots:,} ballots, {len(answer_rows):,} tally rows (made in {made:.1f} s)"
    )

    t = timed(lambda: ix.Tallies.from_rows(answer_rows, ballot_rows), max(1, args.repeat // 2))
    tallies = t.result
    report(f"Tallies.from_rows ({len(answer_rows):,} rows)", t)
    for by, period in (("none", "month"), ("period", "month"), ("period", "quarter"), ("staff", "month")):
        t = timed(partial(ix.compute_rows, tallies, survey, by, period), args.repeat)
        label = f"compute_rows by={by}" + (f" period={period}" if by == "period" else "")
        report(label, t, f"({len(t.result):,} rows)")
    headline = ix.compute_rows(tallies, survey)[0]
    print(
        f"  province satisfaction {headline['satisfaction_index']} {headline['satisfaction_ci95']}, "
        f"friendly {headline['friendly_index']}, service {headline['service_index']}"
    )

    unit = tallies_for_unit(answer_rows, ballot_rows)
    t = timed(lambda: ix.compute_rows(unit, survey, "staff"), args.repeat * 4)
    report("one unit's year, by=staff", t, f"({len(t.result)} rows)")

    chunk_size = min(args.raw, 100_000)
    chunk = raw_ballots(survey, chunk_size, args.seed)
    t = timed(lambda: ix.tally_ballots(repeated(chunk, args.raw), survey), 1)
    rate = args.raw / t.cpu
    print(
        f"\nRaw ballots: tally_ballots on {args.raw:,} ballots ({chunk_size:,} distinct, cycled): "
        f"wall {t.wall:.2f} s, cpu {t.cpu:.2f} s = {rate:,.0f} ballots per cpu-second, "
        f"{t.result.ballots:,} counted (misuse left out)"
    )
    print(f"  extrapolated linearly to {total_ballots:,} ballots: ~{total_ballots / rate:.0f} cpu-seconds")


def tallies_for_unit(
    answer_rows: list[tuple[str, str | None, str, str, int]],
    ballot_rows: list[tuple[str, str | None, int]],
) -> ix.Tallies:
    """Unit 000's year by officer, as its dashboard asks for it (its officers; "không rõ" is shared)."""
    mine = [r for r in answer_rows if r[1] is not None and r[1].startswith("u000-")]
    return ix.Tallies.from_rows(
        mine, [r for r in ballot_rows if r[1] is not None and r[1].startswith("u000-")]
    )


if __name__ == "__main__":
    main()

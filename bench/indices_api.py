"""`GET /api/v1/indices` over HTTP, a province's year: 100 communes × 20 officers × 12 months ≈ 10 M ballots.

    .venv/bin/python bench/indices_api.py      # SQLite, then PostgreSQL when SURVEY_TEST_PG_URL is set
    .venv/bin/python bench/indices_api.py --backend sqlite --raw-days 5 --repeat 5

How the data is made (fast, and said plainly): the tally tables that ingest maintains are written
directly, in bulk (COPY on PostgreSQL, one executemany on SQLite), for the whole year's 10 M ballots.
Raw `response` rows are written only for the last `--raw-days` days of the year (at the year's
density, ~27,000 ballots a day across the province). The roll-ups are then filled the way migrations
0003 and 0010 do (`ingest.rebuild_rollups`: months and the officers' years from the tallies, days from
the raw ballots), and the raw
days' day roll-up rows are copied to the other days of the year so that table has a year's size.
Only `by=staff` ranges with partial months read raw rows. Target: under 50 ms per request.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import _data
import httpx
from sqlalchemy import Engine, text

UNITS = 100
OFFICERS = 19  # plus the "không rõ" row: 20 per commune
MONTHS = [f"2024-{m:02d}" for m in range(1, 13)]
PER_CELL = 417  # 100 × 20 × 12 × 417 ≈ 10.0 M ballots


def load(engine: Engine, folder: Path, raw_days: int, seed: int) -> dict[str, Any]:
    """Units, officers, tallies for the year and raw ballots for the last days; returns counts."""
    from sqlmodel import Session, select

    from sync_server.db import write_session
    from sync_server.models import Device, Unit

    codes = [f"XA{k:03d}" for k in range(UNITS)]
    start = time.perf_counter()
    survey = _data.populate(engine, folder, codes, OFFICERS, parent="TINH")
    with Session(engine) as session:
        unit_ids = {u.code: u.id or 0 for u in session.exec(select(Unit)).all() if u.code != "TINH"}
    devices = {code: str(uuid.uuid4()) for code in codes}
    with write_session(engine) as session:
        for code, device_id in devices.items():
            session.add(
                Device(id=device_id, unit_id=unit_ids[code], name="Quầy 1", token_hash=uuid.uuid4().hex * 2)
            )
        session.commit()
    rng = random.Random(seed)
    answers, ballots = _data.province_tallies(survey, unit_ids, OFFICERS, MONTHS, PER_CELL, rng)
    _data.bulk_load(engine, "tally", _data.TALLY_COLUMNS, answers)
    _data.bulk_load(engine, "tally_ballots", _data.BALLOT_COLUMNS, ballots)
    total = sum(row[-1] for row in ballots)
    per_unit_day = round(total / UNITS / 366)
    days = [dt.date(2024, 12, 31) - dt.timedelta(days=d) for d in range(raw_days)][::-1]
    raw = _data.bulk_load_iter(
        engine,
        "response",
        _data.RESPONSE_COLUMNS,
        _data.raw_response_rows(
            survey,
            unit_ids,
            devices,
            OFFICERS,
            days,
            per_unit_day,
            rng,
            engine.dialect.name,
        ),
    )
    year = [dt.date(2024, 1, 1) + dt.timedelta(days=d) for d in range(366)]
    day_rows = _data.fill_rollups(engine, year, days)
    with engine.connect() as conn:
        rollup_rows = conn.execute(text("SELECT count(*) FROM rollup_tally")).scalar_one()
        conn.execute(text("ANALYZE"))
        conn.commit()
    return {
        "ballots": total,
        "tally_rows": len(answers),
        "cells": len(ballots),
        "raw": raw,
        "rollup_rows": rollup_rows,
        "day_rows": day_rows,
        "raw_days": days,
        "seconds": time.perf_counter() - start,
        "unit_ids": list(unit_ids.values()),
    }


def timed_get(
    client: httpx.Client, url: str, headers: dict[str, str], repeat: int
) -> tuple[float, float, Any]:
    times: list[float] = []
    body: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        reply = client.get(url, headers=headers)
        times.append(time.perf_counter() - start)
        if reply.status_code != 200:
            raise SystemExit(f"{url}: {reply.status_code} {reply.text[:300]}")
        body = reply.json()
    return min(times), statistics.median(times), body


def raw_group_by(engine: Engine, info: dict[str, Any], repeat: int) -> None:
    """For comparison: the same kind of figure straight from raw rows with one GROUP BY."""
    first, last = info["raw_days"][0], info["raw_days"][-1]
    overall = (
        "answers->>'tong_the'"
        if engine.dialect.name == "postgresql"
        else "json_extract(answers, '$.tong_the')"
    )
    sql = text(
        f"SELECT staff_id, {overall} AS v, count(*) FROM response "
        "WHERE bucket_day BETWEEN :first AND :last AND misuse = :no GROUP BY staff_id, v"
    )
    times = []
    rows = 0
    for _ in range(repeat):
        with engine.connect() as conn:
            start = time.perf_counter()
            rows = len(conn.execute(sql, {"first": first, "last": last, "no": False}).all())
            times.append(time.perf_counter() - start)
    per_row = min(times) / max(1, info["raw"])
    print(
        f"  raw GROUP BY (officer × tong_the) over {info['raw']:,} raw rows: "
        f"best {min(times) * 1000:8.1f} ms "
        f"({rows:,} groups); ×{info['ballots'] / max(1, info['raw']):.0f} for the year's "
        f"{info['ballots']:,} ballots ≈ {per_row * info['ballots']:.1f} s, one answer only"
    )


def run(backend: str, raw_days: int, repeat: int, seed: int) -> None:
    with _data.temp_folder("bench-indices-api-") as tmp:
        folder = Path(tmp)
        with _data.fresh_database(backend, folder) as url:
            engine = _data.make_engine(url)
            info = load(engine, folder, raw_days, seed)
            print(
                f"\n[{backend}] {info['ballots']:,} ballots as {info['tally_rows']:,} tally rows in "
                f"{info['cells']:,} cells, plus {info['raw']:,} raw ballots for "
                f"{info['raw_days'][0]:%d/%m}–{info['raw_days'][-1]:%d/%m/%Y} "
                f"(loaded in {info['seconds']:.0f} s); roll-ups: {info['rollup_rows']:,} month rows, "
                f"{info['day_rows']:,} day rows"
            )
            with (
                _data.serve(url, folder) as server,
                httpx.Client(base_url=server.base, timeout=300) as client,
            ):
                headers = _data.admin_headers(client)
                partial_to = info["raw_days"][-1] - dt.timedelta(days=1)
                queries = [
                    ("province, year, by=none", "unit=TINH&from=2024-01-01&to=2024-12-31"),
                    (
                        "province, year, by=period (month)",
                        "unit=TINH&from=2024-01-01&to=2024-12-31&by=period",
                    ),
                    (
                        "province, year, by=period (quarter)",
                        "unit=TINH&from=2024-01-01&to=2024-12-31&by=period&period=quarter",
                    ),
                    (
                        "province, year, by=staff (2,000 rows)",
                        "unit=TINH&from=2024-01-01&to=2024-12-31&by=staff",
                    ),
                    ("one commune, year, by=staff", "unit=XA042&from=2024-01-01&to=2024-12-31&by=staff"),
                    ("one commune, Q3, by=none", "unit=XA042&from=2024-07-01&to=2024-09-30"),
                    (
                        f"province, to {partial_to:%d/%m} (edge days)",
                        f"unit=TINH&from=2024-01-01&to={partial_to.isoformat()}",
                    ),
                    (
                        f"province, 15/01–{partial_to:%d/%m}, by=period",
                        f"unit=TINH&from=2024-01-15&to={partial_to.isoformat()}&by=period",
                    ),
                    (
                        f"one commune, to {partial_to:%d/%m}, by=staff (raw)",
                        f"unit=XA042&from=2024-01-01&to={partial_to.isoformat()}&by=staff",
                    ),
                ]
                timed_get(client, "/api/v1/indices?" + queries[0][1], headers, 1)  # warm caches
                for label, query in queries:
                    cpu0 = server.cpu()
                    best, median, body = timed_get(client, "/api/v1/indices?" + query, headers, repeat)
                    cpu = (server.cpu() - cpu0) / repeat
                    row = body["rows"][0] if body["rows"] else {}
                    print(
                        f"  {label:<42} best {best * 1000:8.1f} ms   median {median * 1000:8.1f} ms   "
                        f"server CPU {cpu * 1000:7.1f} ms   {len(body['rows']):>5} rows, "
                        f"n={row.get('n', 0):,} idx={row.get('satisfaction_index')}"
                    )
            raw_group_by(engine, info, max(1, repeat // 2))
            engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--raw-days", type=int, default=15, help="days of raw ballots at the end of 2024")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    print(_data.CAVEATS)
    print("Target: GET /api/v1/indices under 50 ms. Times are client-side, over HTTP, with an admin token.")
    for backend in ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]:
        if backend == "postgresql" and not _data.pg_admin_url():
            print("\n[postgresql] skipped: set SURVEY_TEST_PG_URL to an admin URL")
            continue
        run(backend, args.raw_days, args.repeat, args.seed)


if __name__ == "__main__":
    main()

"""Ingest over HTTP into a real `survey-server serve` process: gzip batches of 1,000, new and replayed.

    .venv/bin/python bench/ingest.py           # SQLite, then PostgreSQL when SURVEY_TEST_PG_URL is set
    .venv/bin/python bench/ingest.py --backend sqlite --n 50000 --profile

Prints ballots/s (wall, one device sending batch after batch as a kiosk does) and the server's CPU
seconds per 1,000 ballots, read from /proc/<pid>/stat (client work is not counted; on PostgreSQL the
backends' CPU is read the same way and shown apart). Targets: a new
ballot ≥ 20,000/s, a replayed (already stored) one ≥ 50,000/s. The unit XA01 sits under a province
(TINH), so each batch also updates the province's roll-ups, as in the field. `--profile` runs the same batches
through `ingest_batch` in this process under cProfile and prints the top functions.

    .venv/bin/python bench/ingest.py --ab --rounds 3      # product vs the bare reference, A B A B
    .venv/bin/python bench/ingest.py --backend postgresql --devices 8 --batches 20 --batch 500

`--ab` runs the product's server and the bare reference (bench/bare_ingest.py: FastAPI + sqlite3 that
only parses and inserts) alternately on the same batches, each round on fresh SQLite files, and prints
the ratio of their rates: noise from a shared machine hits both alike. Goal: new ≥ 0.75× the bare one.
`--devices N` sends from N devices at once (each in its own commune of one province, so they share the
province's roll-up rows) and prints ballots/s and the batch latency's median and p95. Goal on
PostgreSQL with 8 devices: ≥ 20,000 new ballots/s, p95 ≤ 300 ms.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import platform
import pstats
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import _data
import httpx


def encode(batches: list[list[dict[str, object]]]) -> list[bytes]:
    return [gzip.compress(json.dumps({"responses": b}, ensure_ascii=False).encode(), 6) for b in batches]


def post_all(
    server: _data.ServerProcess, headers: dict[str, str], bodies: list[bytes], expect: str
) -> tuple[float, float, float, list[float]]:
    """Wall seconds, server CPU seconds, PostgreSQL backends' CPU seconds and per-batch latencies."""
    latencies: list[float] = []
    with httpx.Client(base_url=server.base, timeout=300) as client:
        db0 = _data.database_backends_cpu(server.url)
        cpu0, t0 = server.cpu(), time.perf_counter()
        for body in bodies:
            start = time.perf_counter()
            reply = client.post("/api/v1/device/responses", content=body, headers=headers)
            latencies.append(time.perf_counter() - start)
            reply.raise_for_status()
            statuses = {r["status"] for r in reply.json()["results"]}
            if statuses != {expect}:
                raise SystemExit(f"expected only {expect!r}, got {statuses}")
        wall, cpu = time.perf_counter() - t0, server.cpu() - cpu0
        db1 = _data.database_backends_cpu(server.url)
        db_cpu = sum(seconds - db0.get(pid, 0.0) for pid, seconds in db1.items())
        return wall, cpu, db_cpu, latencies


def run(backend: str, n: int, batch: int, seed: int) -> None:
    with _data.temp_folder("bench-ingest-") as tmp:
        folder = Path(tmp)
        with _data.fresh_database(backend, folder) as url:
            engine = _data.make_engine(url)
            survey = _data.populate(engine, folder, ["XA01"], officers=20, parent="TINH")
            code = _data.enrolment_code(engine, "XA01")
            engine.dispose()
            staff: list[str | None] = [f"xa01-cb{k:02d}" for k in range(20)] + [None]
            rng = random.Random(seed)
            batches = [
                _data.protocol_ballots(survey, staff, min(batch, n - i), i + 1, rng)
                for i in range(0, n, batch)
            ]
            bodies = encode(batches)
            raw_mb = sum(len(json.dumps({"responses": b}).encode()) for b in batches) / 1e6
            print(
                f"\n[{backend}] {n:,} ballots in {len(bodies)} gzip batches of {batch:,} "
                f"({raw_mb:.1f} MB JSON, {sum(map(len, bodies)) / 1e6:.1f} MB gzip)"
            )
            with _data.serve(url, folder) as server, httpx.Client(base_url=server.base, timeout=60) as client:
                enrol = client.post("/api/v1/devices/enrol", json={"code": code, "name": "Quầy đo"})
                enrol.raise_for_status()
                headers = {
                    "Authorization": f"Bearer {enrol.json()['token']}",
                    "Content-Type": "application/json",
                    "Content-Encoding": "gzip",
                }
                for label, expect in (("new", "created"), ("replayed", "duplicate")):
                    wall, cpu, db_cpu, lat = post_all(server, headers, bodies, expect)
                    per_cpu = n / cpu if cpu else float("inf")
                    database = f", PostgreSQL backends {db_cpu:5.2f} s" if backend == "postgresql" else ""
                    print(
                        f"  {label:<9} {n / wall:>9,.0f} ballots/s wall   server CPU {cpu:6.2f} s "
                        f"({cpu / n * 1e6:6.1f} ms per 1,000; {per_cpu:>9,.0f} ballots per CPU-s"
                        f"{database})   "
                        f"batch latency median {statistics.median(lat) * 1000:5.0f} ms, "
                        f"max {max(lat) * 1000:5.0f} ms"
                    )


@contextmanager
def bare_server(folder: Path, token: str) -> Iterator[_data.ServerProcess]:
    """bench/bare_ingest.py on a free port, on a fresh SQLite file in `folder`."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    script = Path(__file__).with_name("bare_ingest.py")
    db = folder / "bare.db"
    process = subprocess.Popen([sys.executable, str(script), str(db), str(port), token], cwd=folder)
    server = _data.ServerProcess(f"sqlite:///{db}", folder, process, port)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{server.base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("bench/bare_ingest.py did not start") from None
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=20)


def ab(n: int, batch: int, seed: int, rounds: int) -> None:
    """Product and bare reference alternately (A B A B …) on the same gzip batches; prints the ratios."""
    rates: dict[tuple[str, str], list[float]] = {}
    for round_no in range(1, rounds + 1):
        for side in ("product", "bare"):
            with _data.temp_folder("bench-ingest-ab-") as tmp:
                folder = Path(tmp)
                with _data.fresh_database("sqlite", folder) as url:
                    engine = _data.make_engine(url)
                    survey = _data.populate(engine, folder, ["XA01"], officers=20, parent="TINH")
                    code = _data.enrolment_code(engine, "XA01")
                    engine.dispose()
                    staff: list[str | None] = [f"xa01-cb{k:02d}" for k in range(20)] + [None]
                    rng = random.Random(seed)
                    bodies = encode(
                        [
                            _data.protocol_ballots(survey, staff, min(batch, n - i), i + 1, rng)
                            for i in range(0, n, batch)
                        ]
                    )
                    if side == "product":
                        context = _data.serve(url, folder)
                    else:
                        context = bare_server(folder, "bare-token")
                    with context as server:
                        if side == "product":
                            with httpx.Client(base_url=server.base, timeout=60) as client:
                                enrol = client.post(
                                    "/api/v1/devices/enrol", json={"code": code, "name": "Quầy đo"}
                                )
                                enrol.raise_for_status()
                                token = enrol.json()["token"]
                        else:
                            token = "bare-token"
                        headers = {
                            "Authorization": f"Bearer {token}",
                            "Content-Type": "application/json",
                            "Content-Encoding": "gzip",
                        }
                        for label, expect in (("new", "created"), ("replayed", "duplicate")):
                            wall, cpu, _, lat = post_all(server, headers, bodies, expect)
                            rates.setdefault((side, label), []).append(n / wall)
                            print(
                                f"  round {round_no} {side:<7} {label:<8} {n / wall:>9,.0f} ballots/s wall, "
                                f"server CPU {cpu / n * 1e6:5.1f} ms per 1,000, "
                                f"batch p95 {statistics.quantiles(lat, n=20)[-1] * 1000:5.0f} ms"
                            )
    print("\nmedian over rounds (product / bare):")
    for label in ("new", "replayed"):
        product = statistics.median(rates[("product", label)])
        bare = statistics.median(rates[("bare", label)])
        print(
            f"  {label:<8} product {product:>9,.0f}/s   bare {bare:>9,.0f}/s   ratio {product / bare:4.2f}×"
        )


def concurrent(backend: str, devices: int, batches: int, batch: int, seed: int) -> None:
    """`devices` kiosks, each in its own commune of one province, sending `batches` batches each at
    the same time (one thread per device): new ballots/s over the whole run and the batch latency."""
    with _data.temp_folder("bench-ingest-conc-") as tmp:
        folder = Path(tmp)
        with _data.fresh_database(backend, folder) as url:
            engine = _data.make_engine(url)
            units = [f"XA{k:02d}" for k in range(1, devices + 1)]
            survey = _data.populate(engine, folder, units, officers=20, parent="TINH")
            codes = {unit: _data.enrolment_code(engine, unit) for unit in units}
            engine.dispose()
            rng = random.Random(seed)
            bodies: dict[str, list[bytes]] = {}
            for unit in units:
                staff: list[str | None] = [f"{unit.lower()}-cb{k:02d}" for k in range(20)] + [None]
                bodies[unit] = encode(
                    [_data.protocol_ballots(survey, staff, batch, i * batch + 1, rng) for i in range(batches)]
                )
            total = devices * batches * batch
            print(
                f"\n[{backend}] {devices} devices at once × {batches} batches × {batch:,} "
                f"= {total:,} new ballots (gzip), each device in its own commune of one province"
            )
            with _data.serve(url, folder) as server, httpx.Client(base_url=server.base, timeout=60) as client:
                headers: dict[str, dict[str, str]] = {}
                for unit, code in codes.items():
                    enrol = client.post("/api/v1/devices/enrol", json={"code": code, "name": "Quầy đo"})
                    enrol.raise_for_status()
                    headers[unit] = {
                        "Authorization": f"Bearer {enrol.json()['token']}",
                        "Content-Type": "application/json",
                        "Content-Encoding": "gzip",
                    }
                results: dict[str, tuple[float, float, float, list[float]]] = {}

                def device(unit: str) -> None:
                    results[unit] = post_all(server, headers[unit], bodies[unit], "created")

                db0 = _data.database_backends_cpu(server.url)
                cpu0, t0 = server.cpu(), time.perf_counter()
                threads = [threading.Thread(target=device, args=(unit,)) for unit in units]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                wall, cpu = time.perf_counter() - t0, server.cpu() - cpu0
                db_cpu = sum(
                    s - db0.get(pid, 0.0) for pid, s in _data.database_backends_cpu(server.url).items()
                )
                if len(results) != devices:
                    raise SystemExit("a device failed; see above")
                latencies = [x for r in results.values() for x in r[3]]
                p95 = statistics.quantiles(latencies, n=20)[-1]
                database = f", PostgreSQL backends {db_cpu:5.2f} s" if backend == "postgresql" else ""
                print(
                    f"  new       {total / wall:>9,.0f} ballots/s wall   server CPU {cpu:6.2f} s{database}   "
                    f"batch latency median {statistics.median(latencies) * 1000:5.0f} ms, "
                    f"p95 {p95 * 1000:5.0f} ms, max {max(latencies) * 1000:5.0f} ms"
                )
                print("  goal (PostgreSQL, 8 devices): ≥ 20,000 new ballots/s, p95 batch latency ≤ 300 ms")


def profile(n: int, batch: int, seed: int) -> None:
    """`ingest_batch` in this process on SQLite under cProfile: where a new batch's time goes."""
    from sqlmodel import Session, select

    from sync_server.db import write_session
    from sync_server.ingest import ingest_batch
    from sync_server.models import Device, Unit, utcnow

    with _data.temp_folder("bench-ingest-prof-") as tmp, _data.fresh_database("sqlite", Path(tmp)) as url:
        engine = _data.make_engine(url)
        survey = _data.populate(engine, Path(tmp), ["XA01"], officers=20, parent="TINH")
        with write_session(engine) as session:
            unit_id = session.exec(select(Unit.id).where(Unit.code == "XA01")).one() or 0
            session.add(Device(id="bench-device", unit_id=unit_id, name="bench", token_hash="0" * 64))
            session.commit()
        rng = random.Random(seed)
        staff: list[str | None] = [f"xa01-cb{k:02d}" for k in range(20)] + [None]
        batches = [_data.protocol_ballots(survey, staff, batch, i + 1, rng) for i in range(0, n, batch)]
        parsed = [json.loads(json.dumps(b)) for b in batches]
        profiler = cProfile.Profile()
        for items in parsed:
            with write_session(engine) as session:
                device = session.get(Device, "bench-device")
                assert device is not None
                profiler.enable()
                ingest_batch(session, device, items, utcnow())
                session.commit()
                profiler.disable()
        with Session(engine) as session:
            assert len(session.exec(select(Device)).all()) == 1
        print(f"\ncProfile of ingest_batch, {n:,} new ballots on SQLite (top 15 by own time):")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--ab", action="store_true", help="product vs the bare reference, alternately")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--devices", type=int, default=0, help="N devices sending at once (e.g. 8 on PostgreSQL)"
    )
    parser.add_argument("--batches", type=int, default=20, help="batches per device with --devices")
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    print(_data.CAVEATS)
    print("Targets: new ≥ 20,000 ballots/s, replayed ≥ 50,000 ballots/s.")
    if args.ab:
        print(f"\n[sqlite] product vs bare reference, {args.n:,} ballots in batches of {args.batch:,}")
        ab(args.n, args.batch, args.seed, args.rounds)
        return
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if args.devices:
        for backend in backends:
            if backend == "postgresql" and not _data.pg_admin_url():
                print("\n[postgresql] skipped: set SURVEY_TEST_PG_URL to an admin URL")
                continue
            concurrent(backend, args.devices, args.batches, args.batch, args.seed)
        return
    for backend in backends:
        if backend == "postgresql" and not _data.pg_admin_url():
            print("\n[postgresql] skipped: set SURVEY_TEST_PG_URL to an admin URL")
            continue
        run(backend, args.n, args.batch, args.seed)
    if args.profile:
        profile(args.n, args.batch, args.seed)


if __name__ == "__main__":
    main()

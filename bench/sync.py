"""Sync benchmarks: one device catching up, bytes per ballot, and 1,000 devices in their jitter window.

    .venv/bin/python bench/sync.py                      # SQLite, 100,000 ballots, 1,000 devices
    .venv/bin/python bench/sync.py --backend postgres   # needs SURVEY_TEST_PG_URL
    .venv/bin/python bench/sync.py --ballots 20000 --devices 200 --window 30

Real processes on loopback: a `survey-server serve`, a real kiosk store and the real SyncService.
Figures depend on the machine; this one is shared (2 cores, other jobs running), so read them as
orders of magnitude, not as a contract.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from kiosk.settings import KioskSettings  # noqa: E402
from kiosk.store import KioskStore, uuid7  # noqa: E402
from kiosk.sync.client import SyncClient, SyncError, TransientError  # noqa: E402
from kiosk.sync.payload import backoff_delay, device_offset_s, encode_batch, plan_batches  # noqa: E402
from kiosk.sync.service import SyncService  # noqa: E402
from surveys.loader import default_survey_path, load_survey  # noqa: E402
from sync_server.models import Device, Unit  # noqa: E402
from sync_server.security import hash_token  # noqa: E402
from tests.sync.conftest import UNIT, Server, make_ballots  # noqa: E402


def _fresh_pg_database(admin_url: str) -> tuple[str, str]:
    name = f"ctt_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name, name


def _drop_pg_database(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def one_device(server: Server, work: Path, ballots: int, batch: int) -> None:
    """Time one device pushing ``ballots`` pending ballots in one sync run."""
    survey = load_survey(default_survey_path())
    # Taking 100,000 ballots one durable commit at a time would take minutes on disk: build the
    # queue on tmpfs when there is one, then sync from a copy on the ordinary disk.
    scratch = Path(tempfile.mkdtemp(dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    home = work / "kiosk-one"
    try:
        t0 = time.perf_counter()
        with KioskStore(scratch / "kiosk.db") as store:
            # A typical ballot: tong_the plus the kiosk's default 4 rotated detail items.
            make_ballots(store, survey, ballots, seed=1, spread=timedelta(days=30), details=4)
            sample = store.pending_batch(batch)
        made = time.perf_counter() - t0
        home.mkdir(parents=True)
        shutil.copy(scratch / "kiosk.db", home / "kiosk.db")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    raw = len(json.dumps({"responses": sample}, ensure_ascii=False, separators=(",", ":")).encode())
    packed = len(encode_batch(sample))
    print(f"  queue of {ballots:,} ballots built in {made:.1f} s (tmpfs)")
    print(
        f"  bytes per ballot on the wire: {packed / len(sample):.0f} gzip"
        f" ({raw / len(sample):.0f} raw JSON, ratio {raw / packed:.1f}x) at {len(sample)} per batch"
    )

    settings = KioskSettings(home=home)
    store = KioskStore(settings.db_path)
    store.set("server_url", server.url)
    code = server.new_code()
    with SyncClient(server.url) as client:
        reply = client.enrol(code, "Bench")
    store.set("token", reply.token)
    store.set("device_id", reply.device_id)
    service = SyncService(store, settings, batch_size=batch, timeout_s=300)
    t0 = time.perf_counter()
    outcome = service.run_once()
    took = time.perf_counter() - t0
    store.close()
    stored = sum(server.stored(reply.device_id).values())
    print(
        f"  one sync run: {outcome.status}, {outcome.counts.get('created', 0):,} created,"
        f" {outcome.pending} left, {stored:,} on the server"
    )
    print(f"  took {took:.1f} s = {ballots / took:,.0f} ballots/s (batches of {batch})")


def _day_of_ballots(survey: Any, rng: random.Random, count: int, day: datetime) -> list[dict[str, Any]]:
    items = []
    for seq in range(1, count + 1):
        at = day + timedelta(minutes=rng.randint(0, 480))
        answers: dict[str, Any] = {"tong_the": rng.randint(1, 5)}
        for q in rng.sample([q for q in survey.detail_questions if q.type == "rating5"], 3):
            answers[q.id] = rng.randint(1, 5)
        items.append(
            {
                "id": str(uuid7(int(at.timestamp() * 1000))),
                "seq": seq,
                "survey_id": survey.id,
                "survey_version": survey.version,
                "staff_id": None,
                "started_at": at.isoformat(timespec="seconds"),
                "submitted_at": (at + timedelta(seconds=35)).isoformat(timespec="seconds"),
                "answers": answers,
                "comment": None,
                "contact": None,
                "lang": "vi",
            }
        )
    return items


def many_devices(
    server: Server, devices: int, per_device: int, jitter_s: int, window_s: float, concurrency: int
) -> None:
    """Each device pushes one day of ballots at its own offset; the window is compressed to ``window_s``."""
    survey = load_survey(default_survey_path())
    engine = create_engine(server.database_url)
    tokens: dict[str, str] = {}
    with Session(engine) as session:
        unit = session.exec(select(Unit).where(Unit.code == UNIT)).one()
        assert unit.id is not None
        for i in range(devices):
            device_id, token = str(uuid.uuid4()), f"bench-token-{i}-{uuid.uuid4().hex}"
            session.add(Device(id=device_id, unit_id=unit.id, name=f"Quầy {i}", token_hash=hash_token(token)))
            tokens[device_id] = token
        session.commit()
    engine.dispose()
    scale = window_s / jitter_s
    day = datetime.now(UTC).replace(hour=1, minute=0, second=0, microsecond=0) - timedelta(days=1)
    rng = random.Random(5)
    plans = sorted(
        (device_offset_s(d, jitter_s) * scale, d, _day_of_ballots(survey, rng, per_device, day))
        for d in tokens
    )
    latencies: list[float] = []
    problems: list[str] = []
    retries: list[str] = []
    wire = 0
    lock = threading.Lock()
    start = time.perf_counter() + 1.0

    def device_run(at: float, device_id: str, items: list[dict[str, Any]]) -> None:
        nonlocal wire
        delay = start + at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        t0 = time.perf_counter()
        retry_rng = random.Random(device_id)
        with SyncClient(server.url, tokens[device_id], timeout_s=120) as client:
            # As the kiosk's SyncService does: transient failures are retried with jittered back-off.
            for attempt in range(1, 6):
                try:
                    client.get_config(None)
                    for batch in plan_batches(items):
                        results = client.post_responses(batch)
                        if any(r.status not in ("created", "duplicate") for r in results):
                            raise SyncError(f"unexpected results {set(r.status for r in results)}")
                    break
                except TransientError as exc:
                    with lock:
                        retries.append(f"{exc}")
                    if attempt == 5:
                        with lock:
                            problems.append(f"{type(exc).__name__}: {exc}")
                        return
                    time.sleep(backoff_delay(attempt, retry_rng, base_s=1.0, cap_s=30.0))
                except SyncError as exc:
                    with lock:
                        problems.append(f"{type(exc).__name__}: {exc}")
                    return
        with lock:
            latencies.append(time.perf_counter() - t0)
            wire += len(gzip.compress(json.dumps({"responses": items}).encode()))

    t_all = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for at, device_id, items in plans:
            pool.submit(device_run, at, device_id, items)
    total = time.perf_counter() - t_all - 1.0
    stored = sum(server.stored().values())
    lat = sorted(latencies)
    print(
        f"  {devices:,} devices × {per_device} ballots, jitter window {jitter_s} s"
        f" compressed to {window_s:.0f} s"
        f" (×{1 / scale:.0f} faster than real time)"
    )
    if lat:
        p95 = lat[int(0.95 * (len(lat) - 1))]
        print(
            f"  finished in {total:.1f} s; per-device sync p50 {statistics.median(lat) * 1000:.0f} ms,"
            f" p95 {p95 * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms; {len(problems)} devices failed,"
            f" {len(retries)} retried calls (at most {concurrency} devices at once)"
        )
    print(
        f"  server holds {stored:,} responses in total;"
        f" about {wire / max(1, len(lat)):,.0f} gzip bytes per device"
    )
    for problem in sorted(set(problems + retries))[:5]:
        print(f"    e.g. {problem}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--ballots", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--per-device", type=int, default=40)
    parser.add_argument("--jitter", type=int, default=1800)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument(
        "--concurrency", type=int, default=32, help="devices uploading at the same moment, at most"
    )
    parser.add_argument("--skip-one", action="store_true", help="skip the one-device catch-up")
    args = parser.parse_args()
    print(f"bench/sync.py on {os.cpu_count()} cores (shared machine: figures are indicative)")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    admin = os.environ.get("SURVEY_TEST_PG_URL")
    for backend in backends:
        if backend == "postgres" and not admin:
            print("postgres: skipped, SURVEY_TEST_PG_URL is not set")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            pg_name = None
            url = None
            if backend == "postgres":
                assert admin is not None
                url, pg_name = _fresh_pg_database(admin)
            server = Server(work / "server", url).setup().start()
            try:
                if not args.skip_one:
                    print(f"[{backend}] one device, {args.ballots:,} pending ballots")
                    one_device(server, work, args.ballots, args.batch)
                if args.devices:
                    print(f"[{backend}] many devices")
                    many_devices(
                        server, args.devices, args.per_device, args.jitter, args.window, args.concurrency
                    )
            finally:
                server.stop()
                if pg_name and admin:
                    _drop_pg_database(admin, pg_name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

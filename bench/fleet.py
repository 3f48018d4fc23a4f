"""A night of a province's kiosks: N devices, D days of ballots each, several server processes on
PostgreSQL behind HAProxy, over loopback.

    .venv/bin/python bench/fleet.py --devices 2000 --days 1 --workers 4
    .venv/bin/python bench/fleet.py --devices 200 --days 1 --workers 1,2,4     # one night per N

A province tree (TINH, `--communes` communes, officers each) is made in a fresh PostgreSQL database
(`SURVEY_TEST_PG_URL`). `survey-server serve --workers N` runs behind HAProxy (`--servers K` runs K such
servers, balanced). Every device is enrolled through the real endpoint with its own one-time code and
token, pulls its configuration, and holds D days of ~50 ballots a day taken through the kiosk's own
ballot flow (`kiosk/flow.py`: officer, overall rating, follow-ups, the offer, rotated details, comments),
uuid7 ids and its own seq. The night: each device starts at a uniform draw in the `--window` (the
protocol's `sync_jitter_s` of 1,800 s, compressed), pulls its configuration (304), sends its batches
(≤ 1,000, gzip, `X-Device-Time`) and reads its ledger, as `kiosk/sync/service.py` does: a 5xx or a
broken connection is retried with the kiosk's exponential back-off and full jitter, a 429 waits its
`Retry-After`. At most `--in-flight` requests are open at once (HAProxy queues the rest).

It prints ballots sent and stored, time to drain, p50/p95/p99 per batch, 429s and 5xx, server RSS per
process (peak, from /proc), and checks: exactly-once (the stored ids are the sent ids, compared in the
database), every tally equals a recount of the stored ballots, and every province roll-up (and the
province's `n` from the API) equals the sum of its communes. Nothing here is a timed assertion.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _data  # noqa: E402
import httpx  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402

from kiosk.flow import OVERALL_ID, STEP_COMMENT, STEP_OFFER, STEP_QUESTION, BallotFlow, choose_details  # noqa: E402
from kiosk.sync.payload import backoff_delay, encode_batch, parse_retry_after  # noqa: E402
from surveys.loader import Survey, default_survey_path, load_survey, parse_survey  # noqa: E402
from sync_server.admin import add_unit, add_user, create_enrolment_codes, import_staff, load_survey_versions  # noqa: E402
from sync_server.db import make_engine, write_session  # noqa: E402
from sync_server.models import utcnow  # noqa: E402

PROVINCE = "TINH"
ADMIN, ADMIN_PASSWORD = _data.ADMIN, _data.ADMIN_PASSWORD
LOCAL = dt.timezone(dt.timedelta(hours=7))
BATCH = 1000  # the kiosk's batch size (kiosk/sync/service.py)
COMMENTS = (
    "Cán bộ hướng dẫn tận tình, chu đáo.",
    "Phải chờ lâu quá, cần thêm người ở quầy.",
    "Thủ tục nhanh gọn, cảm ơn cán bộ.",
    "Nhân viên chưa niềm nở.",
)


# --- the province ---------------------------------------------------------------------------------


def commune_codes(communes: int) -> list[str]:
    return [f"XA{k:03d}" for k in range(1, communes + 1)]


def make_province(engine: Engine, folder: Path, survey: Survey, communes: int, officers: int) -> list[str]:
    """TINH with `communes` communes of `officers` officers each, and an administrator (the same admin
    functions `survey-server unit add`, `staff import` and `user add` call)."""
    codes = commune_codes(communes)
    with write_session(engine) as session:
        load_survey_versions(session, [survey])
        add_unit(session, PROVINCE, "UBND tỉnh Bình Minh (đo tải)")
        for code in codes:
            add_unit(session, code, f"UBND xã {code}", parent=PROVINCE)
            csv = folder / f"{code}.csv"
            rows = ["id,name,title,counter,photo"]
            rows += [
                f"{code.lower()}-cb{k:02d},Cán bộ {k:02d},Công chức,Quầy {k % 4 + 1},"
                for k in range(officers)
            ]
            csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
            import_staff(session, code, csv, folder / "photos")
        add_user(session, ADMIN, ADMIN_PASSWORD, "admin")
        session.commit()
    return codes


def make_codes(engine: Engine, units: Sequence[str], per_unit: Sequence[int]) -> dict[str, list[str]]:
    """One-time codes per unit, as `survey-server device code UNIT --count N` makes them."""
    out: dict[str, list[str]] = {}
    with write_session(engine) as session:
        for unit, count in zip(units, per_unit, strict=True):
            if count:
                out[unit], _ = create_enrolment_codes(session, unit, utcnow(), 24 * 3600, count)
        session.commit()
    return out


# --- servers behind HAProxy -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Serve:
    """One `survey-server serve --workers N` process (and its workers)."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        """The serve process and its worker processes (uvicorn's children)."""
        found = [self.process.pid]
        queue = [self.process.pid]
        while queue:
            pid = queue.pop()
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                try:
                    kids = [int(k) for k in task.read_text().split()]
                except OSError:
                    continue
                found += kids
                queue += kids
        return found


def role(pid: int) -> str:
    """What a server process is: uvicorn's worker, multiprocessing's helper, or the serve process itself."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "gone"
    if "spawn_main" in cmdline:
        return "worker"
    if "resource_tracker" in cmdline or "semaphore_tracker" in cmdline:
        return "helper"
    return "serve"


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process in MB, from /proc/<pid>/status."""
    now = peak = 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                now = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    except OSError:
        pass
    return now, peak


def server_env(database_url: str, data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Every server process shares the database and SURVEY_DATA_DIR (its signing key file)."""
    return dict(os.environ) | {
        "SURVEY_DATABASE_URL": database_url,
        "SURVEY_DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
        **(extra or {}),
    }


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise SystemExit(f"{url} exited:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not answer within {seconds:.0f} s:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)


@contextmanager
def serving(
    env: dict[str, str], folder: Path, workers: int, name: str = "serve", *, wait: bool = True
) -> Iterator[Serve]:
    """`survey-server serve --workers N` on a free loopback port, trusting HAProxy's X-Forwarded-For
    (`wait=False`: started, not yet answering; call `wait_healthy`)."""
    port = free_port()
    log = folder / f"{name}-{port}.log"
    out = log.open("wb")
    args = ["serve", "--port", str(port), "--workers", str(workers), "--forwarded-allow-ips", "127.0.0.1"]
    process = subprocess.Popen(
        [str(_data.BIN), *args], cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT
    )
    try:
        if wait:
            wait_healthy(f"http://127.0.0.1:{port}", process, log)
        yield Serve(process, port, log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        out.close()


HAPROXY_CFG = """\
global
    maxconn 4096
defaults
    mode http
    option forwardfor
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout queue 300s
    # /healthz waits for a pooled connection like any request: on a busy night a short check timeout
    # takes every server out of rotation and HAProxy answers 503 itself (seen here with the default).
    timeout check 30s
    default-server inter 3s fall 5 rise 1
frontend fleet
    bind 127.0.0.1:{port}
    default_backend servers
backend servers
    balance leastconn
    option httpchk GET /healthz
{servers}
"""


@contextmanager
def haproxy(backends: Sequence[int], folder: Path) -> Iterator[str]:
    """Debian's HAProxy on a free loopback port, balancing the given server ports (least connections)."""
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(binary).exists():
        raise SystemExit("haproxy is not installed: scripts/bootstrap installs Debian's haproxy package")
    port = free_port()
    lines = "\n".join(
        f"    server s{i} 127.0.0.1:{p} check inter 2s maxconn 64" for i, p in enumerate(backends)
    )
    config = folder / "haproxy.cfg"
    config.write_text(HAPROXY_CFG.format(port=port, servers=lines))
    log = folder / "haproxy.log"
    out = log.open("wb")
    process = subprocess.Popen([binary, "-f", str(config), "-db"], stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log, 30)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        out.close()


# --- devices and their ballots --------------------------------------------------------------------


@dataclass
class Device:
    unit: str
    code: str
    name: str
    token: str = ""
    device_id: str = ""
    etag: str | None = None
    bodies: list[bytes] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)


def _answer_for(question: Any, tong_the: int, rng: random.Random) -> Any:
    if question.type == "rating5":
        if rng.random() < 0.08:
            return None
        return max(1, min(5, tong_the + rng.choice((-1, 0, 0, 0, 1))))
    if question.type == "checklist":
        options = [o.id for o in question.options]
        if tong_the >= 4 and rng.random() < 0.9:
            return []
        return rng.sample(options, k=min(len(options), rng.choice((1, 1, 2))))
    if question.type == "choice":
        return rng.choice(question.options).id if question.options else None
    return None


def ballot_templates(
    survey: Survey, count: int, rng: random.Random
) -> list[tuple[dict[str, Any], str | None]]:
    """(answers, comment) of `count` citizens, each taken through the kiosk's ballot flow."""
    shown: Counter[str] = Counter()
    out: list[tuple[dict[str, Any], str | None]] = []
    for _ in range(count):
        details = choose_details(survey, shown, 4, rng)
        shown.update(details)
        flow = BallotFlow(survey, details, bound_staff_id="placeholder")
        tong_the = rng.choices((1, 2, 3, 4, 5), (3, 5, 12, 35, 45))[0]
        comment = None
        while not flow.finished:
            step = flow.current
            if step.kind == STEP_QUESTION:
                question = flow.question
                assert question is not None
                if question.id == OVERALL_ID:
                    flow.answer(OVERALL_ID, tong_the)
                    continue
                value = _answer_for(question, tong_the, rng)
                if value is None and not question.required:
                    flow.skip()
                else:
                    flow.answer(question.id, value if value is not None else [])
            elif step.kind == STEP_OFFER:
                flow.send_now() if rng.random() < 0.35 else flow.more()
            elif step.kind == STEP_COMMENT:
                comment = rng.choice(COMMENTS) if rng.random() < 0.06 else None
                flow.set_comment(comment, None, False)
            else:
                raise AssertionError(f"unexpected step {step.kind}")
        out.append((dict(flow.answers), comment))
    return out


def uuid7(at: dt.datetime, rng: random.Random) -> str:
    return _data.uuid7(at, rng)


def device_ballots(
    survey: Survey,
    staff: list[str | None],
    templates: list[tuple[dict[str, Any], str | None]],
    days: int,
    per_day: int,
    today: dt.date,
    rng: random.Random,
) -> list[dict[str, Any]]:
    """D days (up to yesterday) of one kiosk's ballots in office hours, seq from 1, uuid7 ids."""
    out: list[dict[str, Any]] = []
    seq = 0
    for back in range(days, 0, -1):
        day = today - dt.timedelta(days=back)
        opening = dt.datetime(day.year, day.month, day.day, 7, 30, tzinfo=LOCAL)
        count = max(1, int(per_day * rng.uniform(0.7, 1.3)))
        for offset in sorted(rng.uniform(0, 9.5 * 3600) for _ in range(count)):
            seq += 1
            at = opening + dt.timedelta(seconds=int(offset))
            answers, comment = rng.choice(templates)
            out.append(
                {
                    "id": uuid7(at, rng),
                    "seq": seq,
                    "survey_id": survey.id,
                    "survey_version": survey.version,
                    "staff_id": rng.choice(staff),
                    "started_at": (at - dt.timedelta(seconds=rng.randrange(25, 150))).isoformat(),
                    "submitted_at": at.isoformat(),
                    "answers": answers,
                    "comment": comment,
                    "contact": None,
                    "lang": "vi" if rng.random() < 0.95 else "en",
                }
            )
    return out


# --- the night ------------------------------------------------------------------------------------


@dataclass
class Night:
    sent: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    http: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    latencies: list[float] = field(default_factory=list)
    drained: int = 0
    undrained: int = 0
    first: float = 0.0
    last: float = 0.0


class Fleet:
    """Devices speaking the sync protocol to one URL, at most `in_flight` requests open at once."""

    def __init__(self, url: str, in_flight: int, compress: float, rng: random.Random) -> None:
        self.url, self.compress, self.rng = url, compress, rng
        self.slots = asyncio.Semaphore(in_flight)
        self.client = httpx.AsyncClient(
            base_url=url,
            timeout=httpx.Timeout(300, connect=10),
            limits=httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight),
        )
        self.night = Night()

    async def close(self) -> None:
        await self.client.aclose()

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call with the kiosk's retries: back-off with full jitter on 5xx or a broken connection,
        `Retry-After` on 429 (both shortened by the window's compression, as the whole night is)."""
        attempt = 0
        while True:
            attempt += 1
            async with self.slots:
                start = time.perf_counter()
                try:
                    reply = await self.client.request(method, path, **kwargs)
                except httpx.TransportError:
                    self.night.transport_errors += 1
                    reply = None
                elapsed = time.perf_counter() - start
            if reply is not None:
                self.night.http[reply.status_code] += 1
                if reply.status_code == 429:
                    wait = parse_retry_after(reply.headers.get("Retry-After"))
                    await asyncio.sleep(min(120.0, wait) / self.compress)
                    continue
                if reply.status_code < 500:
                    if path.endswith("/responses") and reply.status_code == 200:
                        self.night.latencies.append(elapsed)
                    return reply
            if attempt >= 30:
                raise RuntimeError(f"{method} {path} failed {attempt} times")
            await asyncio.sleep(backoff_delay(attempt, self.rng, base_s=2.0, cap_s=60.0) / self.compress)

    async def enrol(self, device: Device) -> None:
        reply = await self.request(
            "POST", "/api/v1/devices/enrol", json={"code": device.code, "name": device.name}
        )
        if reply.status_code != 201:
            raise RuntimeError(f"enrolment refused: {reply.status_code} {reply.text[:200]}")
        body = reply.json()
        device.token, device.device_id = body["token"], body["device_id"]

    async def config(self, device: Device) -> dict[str, Any] | None:
        headers = {"Authorization": f"Bearer {device.token}"}
        if device.etag:
            headers["If-None-Match"] = device.etag
        reply = await self.request("GET", "/api/v1/device/config", headers=headers)
        if reply.status_code == 304:
            return None
        reply.raise_for_status()
        device.etag = reply.headers.get("ETag")
        config: dict[str, Any] = reply.json()
        return config

    async def sync(self, device: Device, start_at: float, deadline: float) -> None:
        """The kiosk's nightly run: wait for its jittered minute, config, batches, ledger."""
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        if time.monotonic() > deadline:
            self.night.undrained += 1
            return
        auth = {"Authorization": f"Bearer {device.token}"}
        await self.config(device)
        for body, count in zip(device.bodies, device.counts, strict=True):
            headers = auth | {
                "Content-Type": "application/json",
                "Content-Encoding": "gzip",
                "X-Device-Time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
            reply = await self.request("POST", "/api/v1/device/responses", content=body, headers=headers)
            if reply.status_code != 200:
                raise RuntimeError(f"upload answered {reply.status_code}: {reply.text[:200]}")
            results = reply.json()["results"]
            if len(results) != count:
                raise RuntimeError("the reply has not one result per item")
            self.night.statuses.update(r["status"] for r in results)
            self.night.sent += count
        ledger = await self.request("GET", "/api/v1/device/ledger", headers=auth)
        ledger.raise_for_status()
        self.night.drained += 1
        self.night.last = time.monotonic()


async def enrol_all(fleet: Fleet, devices: list[Device]) -> None:
    async def one(device: Device) -> None:
        await fleet.enrol(device)

    await asyncio.gather(*(one(d) for d in devices))


async def configs_for(fleet: Fleet, devices: list[Device]) -> dict[str, dict[str, Any]]:
    """Each unit's configuration, pulled by its first device; the others of the unit hold the same one
    (its ETag), as kiosks that pulled it at enrolment do, so their nightly pull is a 304."""
    first: dict[str, Device] = {}
    for device in devices:
        first.setdefault(device.unit, device)
    configs: dict[str, dict[str, Any]] = {}

    async def one(device: Device) -> None:
        config = await fleet.config(device)
        assert config is not None
        configs[device.unit] = config

    await asyncio.gather(*(one(d) for d in first.values()))
    for device in devices:
        device.etag = first[device.unit].etag
    return configs


def load_ballots(
    devices: list[Device],
    configs: dict[str, dict[str, Any]],
    days: int,
    per_day: int,
    rng: random.Random,
) -> tuple[Survey, int]:
    """Every device's pending ballots, cut into gzip batches as the kiosk cuts them."""
    any_config = next(iter(configs.values()))
    survey = parse_survey(any_config["survey"], source="config")
    templates = ballot_templates(survey, 3000, rng)
    today = dt.datetime.now(LOCAL).date()
    total = 0
    for device in devices:
        staff: list[str | None] = [s["id"] for s in configs[device.unit]["staff"]] + [None]
        ballots = device_ballots(survey, staff, templates, days, per_day, today, rng)
        # A day holds ~50 ballots of ~0.5 kB: far under 8 MiB, so the kiosk's cut is by count alone.
        batches = [ballots[i : i + BATCH] for i in range(0, len(ballots), BATCH)]
        device.bodies = [encode_batch(b, level=1) for b in batches]
        device.counts = [len(b) for b in batches]
        device.ids = [str(b["id"]) for b in ballots]
        total += len(ballots)
    return survey, total


async def run_night(fleet: Fleet, devices: list[Device], window_s: float, max_s: float) -> None:
    t0 = time.monotonic()
    fleet.night.first = t0
    deadline = t0 + max_s
    starts = [t0 + fleet.rng.uniform(0, window_s) for _ in devices]
    tasks = [asyncio.ensure_future(fleet.sync(d, s, deadline)) for d, s in zip(devices, starts, strict=True)]
    done, pending = await asyncio.wait(tasks, timeout=max_s + 5)
    for task in pending:
        task.cancel()
    fleet.night.undrained += len(pending)
    for task in done:
        if task.exception() is not None:
            print(f"  a device failed: {task.exception()}")
            fleet.night.undrained += 1


class LockWatch:
    """Samples how many backends of the database are active, and how many wait for a lock."""

    def __init__(self, url: str) -> None:
        import threading

        self.url = url
        self.samples: list[tuple[int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        engine = make_engine(self.url, pool_size=1, max_overflow=0)
        sql = text(
            "SELECT count(*) FILTER (WHERE state = 'active'), "
            "count(*) FILTER (WHERE wait_event_type = 'Lock') FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        try:
            with engine.connect() as conn:
                while not self._stop.wait(0.5):
                    row = conn.execute(sql).one()
                    conn.rollback()
                    self.samples.append((int(row[0]), int(row[1])))
        finally:
            engine.dispose()

    @property
    def active(self) -> float:
        return statistics.fmean(a for a, _ in self.samples) if self.samples else 0.0

    @property
    def waiting(self) -> float:
        return statistics.fmean(w for _, w in self.samples) if self.samples else 0.0


# --- checks ---------------------------------------------------------------------------------------


def check_exactly_once(engine: Engine, devices: list[Device]) -> tuple[int, int, int]:
    """(stored, sent but not stored, stored but never sent), compared by id inside PostgreSQL."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("CREATE TEMP TABLE fleet_sent (id text PRIMARY KEY)")
        with cursor.copy("COPY fleet_sent (id) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for device in devices:
                for ballot_id in device.ids:
                    copy.write_row((ballot_id,))
        cursor.execute("SELECT count(*) FROM response")
        stored = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM fleet_sent s WHERE NOT EXISTS (SELECT 1 FROM response r WHERE r.id = s.id)"
        )
        missing = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM response r WHERE NOT EXISTS (SELECT 1 FROM fleet_sent s WHERE s.id = r.id)"
        )
        extra = cursor.fetchone()[0]
        raw.rollback()
    finally:
        raw.close()
    return int(stored), int(missing), int(extra)


RECOUNT_TALLY = """
WITH r AS (
    SELECT unit_id, survey_id, bucket_month AS month, coalesce(staff_id, '') AS staff_key,
           misuse AS flagged, answers
    FROM response
), cells AS (
    SELECT r.unit_id, r.survey_id, r.month, r.staff_key, kv.key AS question_id, kv.value #>> '{}' AS value,
           r.flagged
    FROM r, json_each(r.answers) kv
    WHERE kv.key = ANY(:ratings) AND json_typeof(kv.value) = 'number'
    UNION ALL
    SELECT r.unit_id, r.survey_id, r.month, r.staff_key, kv.key, '__answered__', r.flagged
    FROM r, json_each(r.answers) kv
    WHERE kv.key = ANY(:checklists) AND json_typeof(kv.value) = 'array'
    UNION ALL
    SELECT r.unit_id, r.survey_id, r.month, r.staff_key, kv.key, '__empty__', r.flagged
    FROM r, json_each(r.answers) kv
    WHERE kv.key = ANY(:checklists) AND json_typeof(kv.value) = 'array' AND json_array_length(kv.value) = 0
    UNION ALL
    SELECT r.unit_id, r.survey_id, r.month, r.staff_key, kv.key, o.value, r.flagged
    FROM r, json_each(r.answers) kv, json_array_elements_text(kv.value) o
    WHERE kv.key = ANY(:checklists) AND json_typeof(kv.value) = 'array'
), recount AS (
    SELECT unit_id, survey_id, month, staff_key, question_id, value, flagged, count(*) AS n
    FROM cells GROUP BY 1, 2, 3, 4, 5, 6, 7
)
SELECT count(*) FROM recount
FULL OUTER JOIN tally t USING (unit_id, survey_id, month, staff_key, question_id, value, flagged)
WHERE coalesce(recount.n, 0) <> coalesce(t.count, 0)
"""

RECOUNT_BALLOTS = """
WITH recount AS (
    SELECT unit_id, survey_id, bucket_month AS month, coalesce(staff_id, '') AS staff_key, misuse AS flagged,
           count(*) AS n
    FROM response GROUP BY 1, 2, 3, 4, 5
)
SELECT count(*) FROM recount
FULL OUTER JOIN tally_ballots t USING (unit_id, survey_id, month, staff_key, flagged)
WHERE coalesce(recount.n, 0) <> coalesce(t.count, 0)
"""

ROLLUPS = {
    "rollup_ballots (month)": """
        WITH sums AS (SELECT survey_id, month, flagged, sum(count) AS n FROM tally_ballots
                      WHERE unit_id IN (SELECT id FROM unit WHERE parent_id = :p) GROUP BY 1, 2, 3),
             prov AS (SELECT survey_id, month, flagged, count AS n FROM rollup_ballots WHERE unit_id = :p)
        SELECT count(*) FROM sums FULL OUTER JOIN prov USING (survey_id, month, flagged)
        WHERE coalesce(sums.n, 0) <> coalesce(prov.n, 0)""",
    "rollup_tally (month)": """
        WITH sums AS (SELECT survey_id, month, question_id, value, flagged, sum(count) AS n FROM tally
                      WHERE unit_id IN (SELECT id FROM unit WHERE parent_id = :p) GROUP BY 1, 2, 3, 4, 5),
             prov AS (SELECT survey_id, month, question_id, value, flagged, count AS n FROM rollup_tally
                      WHERE unit_id = :p)
        SELECT count(*) FROM sums FULL OUTER JOIN prov USING (survey_id, month, question_id, value, flagged)
        WHERE coalesce(sums.n, 0) <> coalesce(prov.n, 0)""",
    "rollup_day_ballots (day)": """
        WITH sums AS (SELECT survey_id, day, flagged, sum(count) AS n FROM rollup_day_ballots
                      WHERE unit_id IN (SELECT id FROM unit WHERE parent_id = :p) GROUP BY 1, 2, 3),
             prov AS (SELECT survey_id, day, flagged, count AS n FROM rollup_day_ballots WHERE unit_id = :p)
        SELECT count(*) FROM sums FULL OUTER JOIN prov USING (survey_id, day, flagged)
        WHERE coalesce(sums.n, 0) <> coalesce(prov.n, 0)""",
    "communes' own roll-ups": """
        WITH own AS (SELECT unit_id, survey_id, month, flagged, sum(count) AS n FROM tally_ballots
                     WHERE unit_id IN (SELECT id FROM unit WHERE parent_id = :p) GROUP BY 1, 2, 3, 4),
             roll AS (SELECT unit_id, survey_id, month, flagged, count AS n FROM rollup_ballots
                      WHERE unit_id IN (SELECT id FROM unit WHERE parent_id = :p))
        SELECT count(*) FROM own FULL OUTER JOIN roll USING (unit_id, survey_id, month, flagged)
        WHERE coalesce(own.n, 0) <> coalesce(roll.n, 0)""",
}


def check_tallies(engine: Engine, survey: Survey) -> dict[str, int]:
    """Rows that disagree: tallies against a recount of the stored ballots, roll-ups against sums."""
    ratings = [q.id for q in survey.questions if q.type == "rating5"]
    checklists = [q.id for q in survey.questions if q.type == "checklist"]
    out: dict[str, int] = {}
    with engine.connect() as conn:
        province = conn.execute(text("SELECT id FROM unit WHERE code = :c"), {"c": PROVINCE}).scalar_one()
        out["tally vs recount"] = conn.execute(
            text(RECOUNT_TALLY), {"ratings": ratings, "checklists": checklists}
        ).scalar_one()
        out["tally_ballots vs recount"] = conn.execute(text(RECOUNT_BALLOTS)).scalar_one()
        for name, sql in ROLLUPS.items():
            out[name] = conn.execute(text(sql), {"p": province}).scalar_one()
    return out


def check_api_sums(url: str, units: list[str], days: int) -> tuple[int, int]:
    """(the province's n, the sum of its communes' n) from GET /api/v1/indices over the D days."""
    today = dt.datetime.now(LOCAL).date()
    params = {"from": (today - dt.timedelta(days=days + 1)).isoformat(), "to": today.isoformat()}
    with httpx.Client(base_url=url, timeout=120) as client:
        token = client.post("/api/v1/auth/token", data={"username": ADMIN, "password": ADMIN_PASSWORD})
        token.raise_for_status()
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

        def n_of(unit: str) -> int:
            reply = client.get("/api/v1/indices", params={**params, "unit": unit}, headers=headers)
            reply.raise_for_status()
            rows = reply.json()["rows"]
            return int(rows[0]["n"]) if rows else 0

        return n_of(PROVINCE), sum(n_of(u) for u in units)


# --- one night, printed ---------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Result:
    workers: int
    servers: int
    devices: int
    sent: int
    stored: int
    drain_s: float
    rate: float
    p50: float
    p95: float
    p99: float
    r429: int
    r5xx: int
    missing: int
    extra: int
    mismatches: dict[str, int]
    api: tuple[int, int]
    rss: dict[int, tuple[float, float, str]]

    @property
    def ok(self) -> bool:
        return (
            self.missing == 0
            and self.extra == 0
            and self.stored == self.sent
            and self.r5xx == 0
            and not any(self.mismatches.values())
            and self.api[0] == self.api[1]
        )


def night(
    admin_url: str,
    *,
    devices: int,
    days: int,
    per_day: int,
    communes: int,
    officers: int,
    workers: int,
    servers: int,
    window_s: float,
    in_flight: int,
    max_s: float,
    seed: int,
    folder: Path,
    quiet: bool = False,
) -> Result:
    """Set up a province, run one night through HAProxy, check everything; returns the figures."""
    say = (lambda *a: None) if quiet else print
    rng = random.Random(seed)
    with ExitStack() as stack:
        folder.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("SURVEY_TEST_PG_URL", admin_url)
        url = stack.enter_context(_data.fresh_database("postgresql", folder))
        engine = make_engine(url)
        survey_file = load_survey(default_survey_path())
        units = make_province(engine, folder, survey_file, communes, officers)
        per_unit = [devices // communes + (1 if i < devices % communes else 0) for i in range(communes)]
        codes = make_codes(engine, units, per_unit)
        fleet_devices = [
            Device(unit, code, f"Quầy {k + 1}")
            for unit in units
            for k, code in enumerate(codes.get(unit, []))
        ]
        env = server_env(url, folder / "server-data")
        backends = [
            stack.enter_context(serving(env, folder, workers, f"serve{i}", wait=False))
            for i in range(servers)
        ]
        for backend in backends:
            wait_healthy(backend.url, backend.process, backend.log)
        lb = stack.enter_context(haproxy([b.port for b in backends], folder))
        say(f"  {len(backends)} × `serve --workers {workers}` behind HAProxy at {lb}")

        setup = Night()

        async def prepare() -> tuple[Survey, int, float]:
            fleet = Fleet(lb, in_flight, 1.0, rng)
            fleet.night = setup
            try:
                t = time.perf_counter()
                await enrol_all(fleet, fleet_devices)
                enrolled = time.perf_counter() - t
                configs = await configs_for(fleet, fleet_devices)
            finally:
                await fleet.close()
            survey, total = load_ballots(fleet_devices, configs, days, per_day, rng)
            return survey, total, enrolled

        t = time.perf_counter()
        survey, total, enrol_s = asyncio.run(prepare())
        say(
            f"  enrolled {len(fleet_devices):,} devices through POST /api/v1/devices/enrol "
            f"in {enrol_s:.1f} s ({len(fleet_devices) / enrol_s:,.0f}/s); "
            f"{total:,} ballots made ({time.perf_counter() - t:.0f} s)"
        )

        async def the_night() -> Fleet:
            fleet = Fleet(lb, in_flight, 1800 / max(window_s, 1.0), rng)
            try:
                await run_night(fleet, fleet_devices, window_s, max_s)
            finally:
                await fleet.close()
            return fleet

        locks = LockWatch(url)
        locks.start()
        try:
            fleet = asyncio.run(the_night())
        finally:
            locks.stop()
        result = fleet.night
        drain = (result.last or time.monotonic()) - result.first
        rss = {pid: (*rss_mb(pid), role(pid)) for b in backends for pid in b.pids()}
        stored, missing, extra = check_exactly_once(engine, fleet_devices)
        mismatches = check_tallies(engine, survey)
        api = check_api_sums(lb, units, days)
        engine.dispose()
    r5xx = sum(n for code, n in (result.http + setup.http).items() if code >= 500)
    out = Result(
        workers=workers,
        servers=servers,
        devices=len(fleet_devices),
        sent=total,
        stored=stored,
        drain_s=drain,
        rate=result.statuses["created"] / drain if drain > 0 else 0.0,
        p50=pct(result.latencies, 0.50),
        p95=pct(result.latencies, 0.95),
        p99=pct(result.latencies, 0.99),
        r429=(result.http + setup.http)[429],
        r5xx=r5xx,
        missing=missing,
        extra=extra,
        mismatches=mismatches,
        api=api,
        rss=rss,
    )
    if not quiet:
        print(f"  ballots sent {total:,}, results {dict(result.statuses)}, stored {stored:,}")
        print(
            f"  drained {result.drained:,} devices in {drain:.1f} s ({out.rate:,.0f} new ballots/s), "
            f"undrained {result.undrained}; per batch p50 {out.p50 * 1000:.0f} ms, "
            f"p95 {out.p95 * 1000:.0f} ms, "
            f"p99 {out.p99 * 1000:.0f} ms ({len(result.latencies):,} batches)"
        )
        print(
            f"  HTTP {dict(sorted(result.http.items()))} (enrolment and first pulls: "
            f"{dict(sorted(setup.http.items()))}); 429s {out.r429}, 5xx {r5xx}, "
            f"broken connections {result.transport_errors}"
        )
        print(
            f"  exactly-once: stored {stored:,}, sent {total:,}; "
            f"sent not stored {missing}, stored not sent {extra}"
        )
        print("  disagreeing rows: " + ", ".join(f"{k} {v}" for k, v in mismatches.items()))
        print(f"  API n: province {api[0]:,}, sum of its {len(units)} communes {api[1]:,}")
        print(
            f"  PostgreSQL backends of the database, sampled every 0.5 s: {locks.active:.1f} active on "
            f"average, {locks.waiting:.1f} of them waiting for a row lock"
        )
        for pid, (now, peak, kind) in rss.items():
            print(f"  server pid {pid} ({kind}): RSS {now:.0f} MB now, {peak:.0f} MB peak")
        print("  " + ("ALL CHECKS HOLD" if out.ok else "A CHECK FAILED"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--days", type=int, default=1, help="days of pending ballots per device")
    parser.add_argument("--per-day", type=int, default=50, help="ballots a day per device (±30 %%)")
    parser.add_argument("--communes", type=int, default=100)
    parser.add_argument("--officers", type=int, default=8, help="officers per commune")
    parser.add_argument("--workers", default="4", help="serve --workers N; a list runs one night each: 1,2,4")
    parser.add_argument("--servers", type=int, default=1, help="serve processes behind HAProxy")
    parser.add_argument("--window", type=float, default=60.0, help="the night's jitter window, seconds")
    parser.add_argument("--in-flight", type=int, default=32, help="requests open at once (all devices)")
    parser.add_argument("--max-seconds", type=float, default=900.0, help="give up on devices after this")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    admin_url = _data.pg_admin_url()
    if not admin_url:
        raise SystemExit(
            "The fleet runs on PostgreSQL: set SURVEY_TEST_PG_URL (an admin URL to create a database)."
        )
    print(
        f"Fleet: {args.devices:,} devices × {args.days} day(s) × ~{args.per_day} ballots "
        f"over {args.communes} communes"
    )
    print(f"Machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}. {_data.CAVEATS}")
    results = []
    for workers in [int(w) for w in args.workers.split(",")]:
        print(f"\n[N = {workers}]")
        with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
            results.append(
                night(
                    admin_url,
                    devices=args.devices,
                    days=args.days,
                    per_day=args.per_day,
                    communes=args.communes,
                    officers=args.officers,
                    workers=workers,
                    servers=args.servers,
                    window_s=args.window,
                    in_flight=args.in_flight,
                    max_s=args.max_seconds,
                    seed=args.seed,
                    folder=Path(tmp),
                )
            )
    print("\n  N  devices   ballots  drain s  new/s  p50 ms  p95 ms  p99 ms  429  5xx  peak RSS MB  checks")
    for r in results:
        peak = max(p for _, p, _ in r.rss.values())
        print(
            f"{r.workers:>3} {r.devices:>8,} {r.sent:>9,} {r.drain_s:>8.1f} {r.rate:>6,.0f} "
            f"{r.p50 * 1000:>7.0f} "
            f"{r.p95 * 1000:>7.0f} {r.p99 * 1000:>7.0f} {r.r429:>4} {r.r5xx:>4} {peak:>12.0f}  "
            f"{'hold' if r.ok else 'FAILED'}"
        )
    if not all(r.ok for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()

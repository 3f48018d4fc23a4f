"""End to end, as processes on loopback: every ballot reaches the server exactly once, whatever breaks.

The real `survey-server serve`, real kiosk stores, the real SyncService (in-process or as the
`survey-kiosk sync` process) and `faultproxy.FaultProxy` between them.
"""

from __future__ import annotations

import json
import shutil
import signal
import struct
import subprocess
import tempfile
import threading
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from faultproxy import Fault, FaultProxy, seeded_plan

from kiosk.settings import KioskSettings
from kiosk.store import KioskStore
from kiosk.sync.client import SyncClient
from kiosk.sync.service import REENROL_MESSAGE, SyncOutcome, SyncService
from surveys.loader import Survey

from .conftest import BIN, Server, kiosk_env, make_ballots, survey_kiosk

pytestmark = pytest.mark.slow

FAST = {
    "attempts": 60,
    "backoff_base_s": 0.02,
    "backoff_cap_s": 0.2,
    "timeout_s": 2.0,
    "connect_timeout_s": 1.0,
}


@pytest.fixture(scope="module")
def device(server: Server) -> tuple[str, str]:
    """One enrolled device (id, token) shared by the in-process runs of this module."""
    with SyncClient(server.url) as client:
        reply = client.enrol(server.new_code(), "Quầy thử nghiệm")
    return reply.device_id, reply.token


def _kiosk(home: Path, url: str, device: tuple[str, str]) -> tuple[KioskSettings, KioskStore]:
    settings = KioskSettings(home=home)
    store = KioskStore(settings.db_path)
    store.set("server_url", url)
    store.set("device_id", device[0])
    store.set("token", device[1])
    return settings, store


def _assert_exactly_once(server: Server, store: KioskStore, taken: list[str]) -> None:
    stored = server.stored()
    mine = {i: stored[i] for i in taken}
    assert all(n == 1 for n in mine.values()), "a ballot is missing or doubled on the server"
    counts = store.counts_by_status()
    assert counts["pending"] == 0 and counts["synced"] == len(taken)


def test_enrol_and_sync_commands_deliver_every_ballot(server: Server, survey: Survey, tmp_path: Path) -> None:
    home = tmp_path / "kiosk"
    code = server.new_code(via_cli=True)
    done = survey_kiosk(home, "enrol", "--server", server.url, "--code", code, "--name", "Quầy 1")
    assert done.returncode == 0, done.stderr
    assert "Enrolled" in done.stdout
    with KioskStore(home / "kiosk.db") as store:
        taken = make_ballots(store, survey, 25, seed=3)
        assert store.get("config_json")  # pulled at enrolment
    done = survey_kiosk(home, "sync")
    assert done.returncode == 0, done.stderr
    assert "created: 25" in done.stdout and "pending: 0" in done.stdout
    with KioskStore(home / "kiosk.db") as store:
        _assert_exactly_once(server, store, taken)
        assert store.get("last_error") is None and store.get("last_sync_at")
    again = survey_kiosk(home, "sync")
    assert again.returncode == 0 and "created: 0" in again.stdout


def test_bad_enrolment_code_is_one_sentence(server: Server, tmp_path: Path) -> None:
    done = survey_kiosk(tmp_path / "k", "enrol", "--server", server.url, "--code", "AAAA-BBBB-CCCC")
    assert done.returncode != 0
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert "code" in done.stderr


FAULTS = ("refuse", "reset", "drop_reply", "delay", "bad_gateway", "rate_limited")


@pytest.mark.parametrize("seed", range(20))
def test_faults_never_lose_or_double_a_ballot(
    server: Server, survey: Survey, device: tuple[str, str], tmp_path: Path, seed: int
) -> None:
    random_plan = seeded_plan(seed, clean_after=60, delay_range_s=(0.05, 1.0))
    forced = FAULTS[seed % len(FAULTS)]

    def plan(index: int, line: str) -> Fault:
        # Each seed also starts its uploads with one given fault, so every kind is exercised.
        if line.startswith("POST /api/v1/device/responses") and forced:
            uploads.append(line)
            if len(uploads) == 1:
                return Fault(forced, 1.0 if forced == "delay" else 0.0)
        return random_plan(index, line)

    uploads: list[str] = []
    with FaultProxy(server.port, plan=plan) as proxy:
        settings, store = _kiosk(tmp_path / "kiosk", proxy.url, device)
        taken = make_ballots(store, survey, 12, seed=seed)
        options = {**FAST, "timeout_s": 0.8}
        service = SyncService(store, settings, batch_size=4, **options)  # type: ignore[arg-type]
        outcomes: list[SyncOutcome] = []
        for _ in range(4):
            outcomes.append(service.run_once())
            if outcomes[-1].ok:
                break
        assert outcomes[-1].ok, outcomes
        _assert_exactly_once(server, store, taken)
        assert proxy.counts[forced] >= 1
        store.close()


def test_rate_limit_is_honoured(
    server: Server, survey: Survey, device: tuple[str, str], tmp_path: Path
) -> None:
    calls: list[str] = []

    def plan(index: int, line: str) -> Fault:
        calls.append(line)
        return Fault("rate_limited") if index == 1 else Fault()

    with FaultProxy(server.port, plan=plan) as proxy:
        settings, store = _kiosk(tmp_path / "kiosk", proxy.url, device)
        taken = make_ballots(store, survey, 3)
        started = time.monotonic()
        outcome = SyncService(store, settings, **FAST).run_once()  # type: ignore[arg-type]
        waited = time.monotonic() - started
        assert outcome.ok
        assert waited >= 1.0  # the proxy's Retry-After: 1
        _assert_exactly_once(server, store, taken)
        store.close()


def test_revoked_device_asks_to_be_enrolled_again(server: Server, survey: Survey, tmp_path: Path) -> None:
    home = tmp_path / "kiosk"
    assert survey_kiosk(home, "enrol", "--server", server.url, "--code", server.new_code()).returncode == 0
    with KioskStore(home / "kiosk.db") as store:
        make_ballots(store, survey, 2)
        device_id = store.get("device_id")
    assert device_id
    server.cli("device", "revoke", device_id)
    done = survey_kiosk(home, "sync")
    assert done.returncode != 0
    assert "đăng ký lại" in done.stderr and "Traceback" not in done.stderr
    with KioskStore(home / "kiosk.db") as store:
        assert store.get("last_error") == REENROL_MESSAGE
        assert store.counts_by_status()["pending"] == 2


def test_a_batch_over_the_limit_is_split_and_a_month_offline_catches_up(
    server: Server, survey: Survey, device: tuple[str, str], tmp_path: Path
) -> None:
    """20,000 ballots from 30 days offline go in one run; batches of 6,000 get 413 and are halved."""
    scratch = Path(tempfile.mkdtemp(dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    try:
        # Building the queue one durable commit at a time is slow on disk; tmpfs, then copy.
        with KioskStore(scratch / "kiosk.db") as store:
            start = datetime.now(UTC) - timedelta(days=30)
            taken = make_ballots(store, survey, 20_000, seed=9, start=start, spread=timedelta(days=30))
        home = tmp_path / "kiosk"
        home.mkdir()
        shutil.copy(scratch / "kiosk.db", home / "kiosk.db")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    settings, store = _kiosk(home, server.url, device)
    progress: list[str] = []
    outcome = SyncService(store, settings, batch_size=6000, timeout_s=120).run_once(progress.append)
    assert outcome.ok, outcome
    assert outcome.counts == {"created": 20_000}
    assert any("20000/20000" in p for p in progress)
    _assert_exactly_once(server, store, taken)
    store.close()


def _png(width: int, height: int) -> bytes:
    """A small valid grey PNG, for an officer's photo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _wait_for(predicate: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def test_sigkill_of_the_kiosk_mid_sync_then_resume(server: Server, survey: Survey, tmp_path: Path) -> None:
    home = tmp_path / "kiosk"
    assert survey_kiosk(home, "enrol", "--server", server.url, "--code", server.new_code()).returncode == 0
    with KioskStore(home / "kiosk.db") as store:
        taken = make_ballots(store, survey, 60, seed=21)
        device_id = store.get("device_id")
    # Every upload is held 0.3 s and every third reply is dropped after the commit, so the kill lands
    # while batches are in flight and some stored batches were never acknowledged.
    slow = FaultProxy(
        server.port,
        plan=lambda i, line: (
            Fault("drop_reply" if i % 3 == 2 else "delay", 0.3)
            if line.startswith("POST /api/v1/device/responses")
            else Fault()
        ),
    ).start()
    try:
        with KioskStore(home / "kiosk.db") as store:
            store.set("server_url", slow.url)
        proc = subprocess.Popen(
            [str(BIN / "survey-kiosk"), "sync"],
            env=kiosk_env(home, SURVEY_KIOSK_SYNC_BATCH="6", SURVEY_KIOSK_SYNC_BACKOFF_S="0.05",
                          SURVEY_KIOSK_SYNC_ATTEMPTS="50", SURVEY_KIOSK_SYNC_TIMEOUT_S="3"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for(lambda: len(server.stored(device_id)) >= 18)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        slow.stop()
    partial = len(server.stored(device_id))
    assert 0 < partial < 60
    with KioskStore(home / "kiosk.db") as store:
        store.set("server_url", server.url)
        assert store.counts_by_status()["pending"] > 0
    done = survey_kiosk(home, "sync")
    assert done.returncode == 0, done.stderr
    with KioskStore(home / "kiosk.db") as store:
        _assert_exactly_once(server, store, taken)


def test_sigkill_of_the_server_mid_batch_then_restart(server: Server, survey: Survey, tmp_path: Path) -> None:
    with SyncClient(server.url) as client:
        reply = client.enrol(server.new_code(), "Quầy 2")
    settings, store = _kiosk(tmp_path / "kiosk", server.url, (reply.device_id, reply.token))
    taken = make_ballots(store, survey, 150, seed=33)
    options = {**FAST, "timeout_s": 5.0, "backoff_cap_s": 0.5, "attempts": 400}
    service = SyncService(store, settings, batch_size=10, **options)  # type: ignore[arg-type]
    result: list[SyncOutcome] = []
    runner = threading.Thread(target=lambda: result.append(service.run_once()))
    runner.start()
    try:
        _wait_for(lambda: len(server.stored(reply.device_id)) >= 40)
        server.kill()
        killed_at = len(server.stored(reply.device_id))
        time.sleep(0.3)
    finally:
        server.start()  # same port, same database: the module's other tests go on using it
    runner.join(120)
    assert result and result[0].ok, result
    assert killed_at < 150
    _assert_exactly_once(server, store, taken)
    store.close()


def test_config_is_pulled_once_with_its_photos(server: Server, survey: Survey, tmp_path: Path) -> None:
    photo = tmp_path / "cb01.png"
    photo.write_bytes(_png(8, 8))
    roster = tmp_path / "staff.csv"
    roster.write_text(f"id,name,title,counter,photo\ncb01,Nguyễn Thị Lan,Công chức Tư pháp,1,{photo}\n")
    server.cli("staff", "import", "XA01", str(roster))
    home = tmp_path / "kiosk"
    assert survey_kiosk(home, "enrol", "--server", server.url, "--code", server.new_code()).returncode == 0
    photos = list((home / "photos").glob("cb01.*"))
    assert len(photos) == 1 and photos[0].stat().st_size == photo.stat().st_size
    with KioskStore(home / "kiosk.db") as store:
        config = json.loads(store.get("config_json") or "{}")
        assert [o["id"] for o in config["staff"]] == ["cb01"]
        settings = KioskSettings(home=home)
        outcome = SyncService(store, settings).run_once()
        assert outcome.ok and not outcome.config_updated  # 304: unchanged


def test_unreachable_server_keeps_ballots_and_says_why(survey: Survey, tmp_path: Path) -> None:
    from .conftest import free_port

    settings, store = _kiosk(tmp_path / "kiosk", f"http://127.0.0.1:{free_port()}", ("d", "t"))
    make_ballots(store, survey, 3)
    outcome = SyncService(store, settings, attempts=2, backoff_base_s=0.01).run_once()
    assert outcome.status == "offline" and outcome.pending == 3
    assert store.get("last_error") and "could not reach" in (store.get("last_error") or "")
    store.close()


def test_nightly_command_runs_once_and_reports(server: Server) -> None:
    done = server.cli("nightly")
    assert "Expired enrolment codes deleted:" in done.stdout
    assert "Devices with missing ballots:" in done.stdout


def test_autopilot_ballots_all_reach_the_server(server: Server, tmp_path: Path) -> None:
    """The issue's acceptance: `run --autopilot 30` then `sync` delivers all 30 ballots."""
    home = tmp_path / "kiosk"
    assert survey_kiosk(home, "enrol", "--server", server.url, "--code", server.new_code()).returncode == 0
    run = survey_kiosk(home, "run", "--autopilot", "30", "--seed", "5", "--speed", "20", timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    with KioskStore(home / "kiosk.db") as store:
        device_id = store.get("device_id")
        assert store.counts_by_status()["pending"] == 30
    done = survey_kiosk(home, "sync")
    assert done.returncode == 0, done.stderr
    assert "created: 30" in done.stdout and "pending: 0" in done.stdout
    assert len(server.stored(device_id)) == 30


def test_pending_ballots_go_out_by_themselves(
    server: Server, survey: Survey, device: tuple[str, str], tmp_path: Path
) -> None:
    """Nobody presses anything: the opportunistic run notices pending ballots and sends them."""
    from kiosk.sync.scheduler import SyncScheduler

    settings, store = _kiosk(tmp_path / "kiosk", server.url, device)
    taken = make_ballots(store, survey, 5, seed=44)
    scheduler = SyncScheduler(SyncService(store, settings), settings, opportunistic_every_s=0.5)
    scheduler.start()
    try:
        _wait_for(lambda: store.counts_by_status()["pending"] == 0, timeout=60)
    finally:
        scheduler.shutdown(wait=True)
    _assert_exactly_once(server, store, taken)
    store.close()


def test_shutdown_while_a_run_saves_a_new_configuration_does_not_hang(
    server: Server, survey: Survey, device: tuple[str, str], tmp_path: Path
) -> None:
    """Quitting the app while a sync applies a new schedule: the run ends, the app does not freeze."""
    from kiosk.sync.scheduler import SyncScheduler

    settings, store = _kiosk(tmp_path / "kiosk", server.url, device)
    make_ballots(store, survey, 3, seed=45)
    entered, gate = threading.Event(), threading.Event()

    def slow_listener(body: dict[str, object]) -> None:
        entered.set()
        gate.wait(10)

    scheduler = SyncScheduler(SyncService(store, settings, on_config=slow_listener), settings)
    scheduler.start()
    scheduler.run_now()
    assert entered.wait(30)
    stopper = threading.Thread(target=lambda: scheduler.shutdown(wait=True))
    stopper.start()
    time.sleep(0.2)  # shutdown is now waiting for the run
    gate.set()
    stopper.join(30)
    assert not stopper.is_alive(), "shutdown(wait=True) hung while the run rescheduled the nightly job"
    assert store.get("config_json")  # the configuration the run pulled is kept
    store.close()

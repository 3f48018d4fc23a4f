"""The kiosk's sync schedule: nightly at the unit's cron plus a stable per-device offset; runs off-thread."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.settings import KioskSettings
from kiosk.store import KioskStore
from kiosk.sync.payload import device_offset_s
from kiosk.sync.scheduler import SyncScheduler, nightly_trigger
from kiosk.sync.service import SyncOutcome, SyncService

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_nightly_fires_at_cron_plus_the_devices_own_offset() -> None:
    trigger = nightly_trigger("0 2 * * *", 1800, "device-42", "Asia/Ho_Chi_Minh")
    offset = dt.timedelta(seconds=device_offset_s("device-42", 1800))
    now = dt.datetime(2024, 9, 3, 12, 0, tzinfo=HCM)
    first = trigger.get_next_fire_time(None, now)
    assert first == dt.datetime(2024, 9, 4, 2, 0, tzinfo=HCM) + offset
    second = trigger.get_next_fire_time(first, first + dt.timedelta(seconds=1))
    assert second == first + dt.timedelta(days=1)


def test_devices_spread_over_the_window_but_each_is_stable() -> None:
    now = dt.datetime(2024, 9, 3, 12, 0, tzinfo=HCM)
    times = [
        nightly_trigger("0 2 * * *", 1800, f"d{i}", None).get_next_fire_time(None, now) for i in range(500)
    ]
    start = dt.datetime(2024, 9, 4, 2, 0, tzinfo=HCM)
    assert all(t is not None and start <= t < start + dt.timedelta(seconds=1800) for t in times)
    assert len(set(times)) > 350
    again = nightly_trigger("0 2 * * *", 1800, "d7", None).get_next_fire_time(None, now)
    assert again == times[7]


def test_a_bad_cron_from_the_server_falls_back_to_the_default() -> None:
    now = dt.datetime(2024, 9, 3, 12, 0, tzinfo=HCM)
    fire = nightly_trigger("every night", 0, "d", "Asia/Ho_Chi_Minh").get_next_fire_time(None, now)
    assert fire == dt.datetime(2024, 9, 4, 2, 0, tzinfo=HCM)


def test_run_now_runs_off_the_calling_thread_and_reschedules_from_config(tmp_path: Path) -> None:
    settings = KioskSettings(home=tmp_path)
    store = KioskStore(settings.db_path)
    store.set("device_id", "device-42")
    store.set(
        "config_json",
        json.dumps({"unit": {"timezone": "Asia/Ho_Chi_Minh"}, "settings": {"sync_cron": "15 23 * * *",
                                                                          "sync_jitter_s": 600}}),
    )  # fmt: skip
    service = SyncService(store, settings)
    scheduler = SyncScheduler(service, settings)
    done = threading.Event()
    seen: dict[str, object] = {}

    def on_done(outcome: SyncOutcome) -> None:
        seen["outcome"], seen["thread"] = outcome, threading.current_thread()
        done.set()

    scheduler.start()
    try:
        nxt = scheduler.next_nightly
        assert nxt is not None
        local = nxt.astimezone(HCM)
        offset = device_offset_s("device-42", 600)
        assert (local.hour, local.minute * 60 + local.second) == (23, 15 * 60 + offset)
        scheduler.run_now(on_done=on_done)
        assert done.wait(10)
    finally:
        scheduler.shutdown(wait=True)
        store.close()
    outcome = seen["outcome"]
    assert isinstance(outcome, SyncOutcome) and outcome.status == "not_enrolled"
    assert seen["thread"] is not threading.main_thread()


def test_failed_runs_back_off_with_jitter_before_the_next_opportunistic_run(tmp_path: Path) -> None:
    settings = KioskSettings(home=tmp_path)
    store = KioskStore(settings.db_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    store.set("server_url", f"http://127.0.0.1:{dead_port}")  # nothing listens: connection refused
    store.set("token", "t")
    service = SyncService(store, settings, attempts=1)
    outcomes: list[SyncOutcome] = []
    scheduler = SyncScheduler(service, settings, opportunistic_every_s=60, on_outcome=outcomes.append)
    done = threading.Event()
    scheduler.start()
    try:
        before = dt.datetime.now().astimezone()
        scheduler.run_now(on_done=lambda outcome: done.set())
        assert done.wait(20)
        assert outcomes[0].status == "offline"
        not_before = scheduler.not_before
        assert not_before is not None and before <= not_before <= before + dt.timedelta(seconds=61)
        assert "could not reach" in (store.get("last_error") or "")
    finally:
        scheduler.shutdown(wait=True)
        store.close()

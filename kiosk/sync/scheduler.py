"""When the kiosk syncs: the nightly run plus opportunistic runs while ballots wait.

The only APScheduler import on the kiosk. Runs happen on one worker thread, never the UI thread::

    scheduler = SyncScheduler(service, settings)
    scheduler.start()
    scheduler.run_now(progress=print, on_done=lambda outcome: print(outcome.summary()))
    scheduler.shutdown()
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from kiosk.settings import KioskSettings
from kiosk.sync.payload import backoff_delay, device_offset_s
from kiosk.sync.service import SyncOutcome, SyncService

__all__ = ["OffsetCronTrigger", "SyncScheduler", "nightly_trigger"]

log = logging.getLogger(__name__)
# APScheduler logs every wake-up at INFO/DEBUG; on a kiosk that buries the lines an operator needs.
logging.getLogger("apscheduler").setLevel(logging.WARNING)

DEFAULT_CRON = "0 2 * * *"
DEFAULT_JITTER_S = 1800


class OffsetCronTrigger(BaseTrigger):
    """A cron schedule shifted later by a fixed offset (the device's own slice of the jitter window).

    APScheduler's own ``jitter`` draws a new delay each time; a fixed per-device offset keeps each
    kiosk's night predictable while 10,000 of them still arrive spread over the window.
    """

    def __init__(self, cron: CronTrigger, offset: timedelta) -> None:
        self.cron = cron
        self.offset = offset

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        previous = previous_fire_time - self.offset if previous_fire_time is not None else None
        base = self.cron.get_next_fire_time(previous, now - self.offset)
        return base + self.offset if base is not None else None

    def __str__(self) -> str:
        return f"{self.cron} + {int(self.offset.total_seconds())} s"

    def __repr__(self) -> str:
        return f"<OffsetCronTrigger ({self.cron!r}, offset={self.offset!r})>"


def _zone(name: str | None) -> tzinfo:
    try:
        return ZoneInfo(name or "Asia/Ho_Chi_Minh")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Ho_Chi_Minh")


def nightly_trigger(cron: str, jitter_s: int, device_id: str, timezone: str | None) -> OffsetCronTrigger:
    """The trigger for one device's nightly run: ``cron`` in the unit's zone plus its stable offset.

    A malformed cron expression from the server falls back to the default rather than stopping sync.
    """
    zone = _zone(timezone)
    try:
        base = CronTrigger.from_crontab(cron, timezone=zone)
    except ValueError:
        log.warning("sync_cron %r is not a cron expression; using %r", cron, DEFAULT_CRON)
        base = CronTrigger.from_crontab(DEFAULT_CRON, timezone=zone)
    return OffsetCronTrigger(base, timedelta(seconds=device_offset_s(device_id, max(0, int(jitter_s)))))


class SyncScheduler:
    """Schedules ``service.run_once`` off the UI thread: nightly, opportunistically, and on demand."""

    def __init__(
        self,
        service: SyncService,
        settings: KioskSettings | None = None,
        *,
        opportunistic_every_s: float = 300.0,
        backoff_cap_s: float = 3 * 3600.0,
        on_outcome: Callable[[SyncOutcome], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.service = service
        self.settings = settings
        self.opportunistic_every_s = opportunistic_every_s
        self.backoff_cap_s = backoff_cap_s
        self.on_outcome = on_outcome
        self._rng = rng or random.Random()
        self._failures = 0
        self._not_before: datetime | None = None
        self._state_lock = threading.Lock()
        self._schedule_key: tuple[Any, ...] | None = None
        self._active = 0
        self._active_changed = threading.Condition()
        # One worker: a nightly, an opportunistic and a "sync now" run never overlap.
        self._scheduler = BackgroundScheduler(
            executors={"default": {"type": "threadpool", "max_workers": 1}},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        )

    # --- life cycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the background scheduler; returns at once."""
        self._install_nightly()
        self._scheduler.add_job(
            self._opportunistic,
            IntervalTrigger(seconds=self.opportunistic_every_s),
            id="sync-opportunistic",
            replace_existing=True,
        )
        self._scheduler.start()

    def shutdown(self, wait: bool = False, timeout_s: float | None = None) -> None:
        """Stop scheduling; a run in progress is asked to stop at its next safe point.

        With ``wait``, return once that run has ended (or after ``timeout_s``).
        """
        self.service.cancel()
        if self._scheduler.running:
            # Never APScheduler's own wait: it holds the job-store lock that a finishing run needs to
            # reschedule the nightly job, and the two would wait for each other forever.
            self._scheduler.shutdown(wait=False)
        if wait:
            with self._active_changed:
                self._active_changed.wait_for(lambda: self._active == 0, timeout=timeout_s)

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    # --- what callers use -------------------------------------------------------------------------

    def run_now(
        self,
        progress: Callable[[str], None] | None = None,
        on_done: Callable[[SyncOutcome], None] | None = None,
    ) -> None:
        """Queue one run on the worker thread (the admin screen's "Đồng bộ ngay").

        ``progress`` and ``on_done`` are called on the worker thread: a UI wraps them with its clock.
        """

        def job() -> None:
            with self._tracking():
                outcome = self._run(progress)
                if on_done is not None:
                    on_done(outcome)

        self._scheduler.add_job(job, id=None, next_run_time=datetime.now().astimezone())

    @property
    def next_nightly(self) -> datetime | None:
        job = self._scheduler.get_job("sync-nightly")
        return job.next_run_time if job is not None else None

    @property
    def not_before(self) -> datetime | None:
        """When opportunistic runs resume after failures (None: no back-off in force)."""
        with self._state_lock:
            return self._not_before

    # --- internals --------------------------------------------------------------------------------

    def _install_nightly(self) -> None:
        plan = self.service.schedule()
        key = (plan.cron, plan.jitter_s, plan.device_id, plan.timezone)
        if key == self._schedule_key:
            return
        trigger = nightly_trigger(plan.cron, plan.jitter_s, plan.device_id, plan.timezone)
        self._scheduler.add_job(self._nightly, trigger, id="sync-nightly", replace_existing=True)
        self._schedule_key = key

    @contextlib.contextmanager
    def _tracking(self) -> Iterator[None]:
        with self._active_changed:
            self._active += 1
        try:
            yield
        finally:
            with self._active_changed:
                self._active -= 1
                self._active_changed.notify_all()

    def _nightly(self) -> None:
        with self._tracking():
            self._run(None)

    def _opportunistic(self) -> None:
        with self._tracking():
            with self._state_lock:
                waiting = self._not_before is not None and datetime.now().astimezone() < self._not_before
            if waiting or not self.service.is_enrolled() or self.service.pending_count() == 0:
                return
            self._run(None)

    def _run(self, progress: Callable[[str], None] | None) -> SyncOutcome:
        outcome = self.service.run_once(progress)
        self._after(outcome)
        return outcome

    def _after(self, outcome: SyncOutcome) -> None:
        now = datetime.now().astimezone()
        with self._state_lock:
            if outcome.status == "ok":
                self._failures, self._not_before = 0, None
            elif outcome.status in ("offline", "pending", "rate_limited", "error"):
                self._failures += 1
                delay = backoff_delay(
                    self._failures, self._rng, base_s=self.opportunistic_every_s, cap_s=self.backoff_cap_s
                )
                delay = max(delay, outcome.retry_after_s or 0.0)
                self._not_before = now + timedelta(seconds=delay)
            elif outcome.status == "unauthorized":
                # Nothing will work until an administrator enrols the device again.
                self._not_before = now + timedelta(seconds=self.backoff_cap_s)
        if outcome.config_updated and self._scheduler.running:
            try:
                self._install_nightly()
            except Exception:  # a bad schedule must not stop the runs already planned
                log.exception("could not reschedule the nightly sync")
        if self.on_outcome is not None:
            self.on_outcome(outcome)

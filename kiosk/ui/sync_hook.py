"""The admin screen's door to `kiosk.sync`: enrol and sync now, off the UI thread.

Results come back through `done(message)`, which the caller must hop onto the Kivy thread (the App
wraps it in `Clock.schedule_once`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kiosk.sync import cli
from kiosk.sync.scheduler import SyncScheduler
from kiosk.sync.service import SyncService

if TYPE_CHECKING:
    from kiosk.settings import KioskSettings
    from kiosk.store import KioskStore

__all__ = ["SyncHook"]

Done = Callable[[str], None]


class SyncHook:
    """Runs one enrolment or one sync in a background thread; never blocks a tap."""

    def __init__(self, settings: KioskSettings, store: KioskStore) -> None:
        self.settings = settings
        self.store = store
        self._busy = threading.Lock()
        self._scheduler: Any = None
        self._on_status: Done | None = None

    def start_background(self, on_config: Callable[[Any], None], on_status: Done) -> bool:
        """Start the nightly and opportunistic syncs (`kiosk.sync.scheduler`); True once started.

        `on_config(body)` and `on_status(line)` are called on the sync thread.
        """
        service = SyncService(self.store, self.settings, on_config=on_config)
        self._scheduler = SyncScheduler(
            service, self.settings, on_outcome=lambda outcome: on_status(outcome.summary())
        )
        self._on_status = on_status
        self._scheduler.start()
        return True

    def shutdown(self) -> None:
        """Stop scheduling; a sync in flight stops after its current batch."""
        if self._scheduler is not None:
            self._scheduler.shutdown()
            self._scheduler = None

    @property
    def available(self) -> bool:
        """True: every build has the sync service (kept for the admin screen's callers)."""
        return True

    def sync_now(self, done: Done, unavailable: str) -> bool:
        """Start one sync; False (and `done("…")`) when one is already running."""
        if self._scheduler is not None:
            # The scheduler's single worker: never two syncs at once; progress lines go to the status.
            self._scheduler.run_now(progress=self._on_status, on_done=lambda outcome: done(outcome.summary()))
            return True

        def work() -> str:
            service = SyncService(self.store, self.settings)
            outcome = service.run_once()
            summary = getattr(outcome, "summary", None)
            return str(summary() if callable(summary) else outcome)

        return self._start(work, done)

    def enrol(self, server: str, code: str, name: str, done: Done, unavailable: str) -> bool:
        """Enrol with `server` using a one-time `code`, then pull the configuration."""

        def work() -> str:
            status = cli.enrol(self.settings, server=server, code=code, name=name or None)
            return "OK" if status == 0 else f"không thành công (mã {status}); xem nhật ký máy"

        return self._start(work, done)

    def _start(self, work: Callable[[], str], done: Done) -> bool:
        if not self._busy.acquire(blocking=False):
            done("…")
            return False

        def run() -> None:
            try:
                message = work()
            except Exception as exc:  # any failure is shown on the admin screen, never raised
                message = f"{type(exc).__name__}: {exc}"
            finally:
                self._busy.release()
            done(message)

        threading.Thread(target=run, name="kiosk-admin-sync", daemon=True).start()
        return True

    def __repr__(self) -> str:
        return f"SyncHook(available={self.available})"

    def describe(self) -> dict[str, Any]:
        """What the admin screen shows about the device's enrolment."""
        return {
            "server": self.store.get("server_url"),
            "name": self.store.get("device_name"),
            "last_sync": self.store.get("last_sync_at"),
            "last_error": self.store.get("last_error"),
        }

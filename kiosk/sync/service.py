"""One sync of this kiosk with its server: pull the configuration, then push pending ballots.

::

    service = SyncService(store, settings)
    outcome = service.run_once(progress=print)     # blocking; call it off the UI thread
    outcome.status, outcome.counts, outcome.pending

Every ballot is marked by the server's verdict right after its batch is acknowledged, so a crash at
any moment only causes a replay, which the server answers ``duplicate``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from kiosk.config import PHOTO_SUFFIXES
from kiosk.settings import KioskSettings
from kiosk.sync.client import (
    BatchTooLarge,
    ClientError,
    ConfigReply,
    RateLimited,
    SyncClient,
    SyncError,
    TransientError,
    Unauthorized,
)
from kiosk.sync.payload import (
    MAX_BATCH_BYTES,
    ItemResult,
    backoff_delay,
    local_status,
    plan_batches,
    split_batch,
)

__all__ = [
    "REENROL_MESSAGE",
    "ConfigListener",
    "SyncOutcome",
    "SyncPlan",
    "SyncService",
    "SyncStore",
]

log = logging.getLogger(__name__)

# Shown on the admin screen when the server no longer knows this device's token.
REENROL_MESSAGE = "thiết bị cần đăng ký lại"

ConfigListener = Callable[[dict[str, Any]], None]


class SyncStore(Protocol):
    """The part of ``kiosk.store.KioskStore`` the sync service uses."""

    def pending_batch(self, limit: int) -> list[dict[str, Any]]: ...
    def mark_results(self, results: Any) -> None: ...
    def counts_by_status(self) -> dict[str, int]: ...
    def get(self, key: str, default: str | None = None) -> str | None: ...
    def set(self, key: str, value: str | None) -> None: ...


@dataclass(frozen=True)
class SyncPlan:
    """What the scheduler needs from the saved configuration."""

    cron: str
    jitter_s: int
    device_id: str
    timezone: str | None


@dataclass(frozen=True)
class SyncOutcome:
    """What one run did. ``status`` is one of:

    ``ok`` (nothing left pending), ``pending`` (stopped early with ballots left, e.g. cancelled),
    ``offline`` (the server could not be reached or kept failing), ``rate_limited`` (429),
    ``unauthorized`` (401: enrol again), ``not_enrolled``, ``busy`` (another run holds the lock),
    ``error`` (the server refused a request as malformed).
    """

    status: str
    counts: Mapping[str, int] = field(default_factory=dict)
    pending: int = 0
    config_updated: bool = False
    error: str | None = None
    retry_after_s: float | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def summary(self) -> str:
        """One line for people: ``Đã gửi 30 (mới 28, trùng 2), còn chờ 0``."""
        c = self.counts
        sent = sum(c.get(k, 0) for k in ("created", "duplicate", "conflict", "rejected"))
        parts = [f"mới {c.get('created', 0)}", f"trùng {c.get('duplicate', 0)}"]
        if c.get("conflict"):
            parts.append(f"xung đột {c['conflict']}")
        if c.get("rejected"):
            parts.append(f"bị từ chối {c['rejected']}")
        text = f"Đã gửi {sent} ({', '.join(parts)}), còn chờ {self.pending}"
        if self.error:
            text += f" — {self.error}"
        return text


class _Cancelled(Exception):
    pass


class SyncService:
    """Runs syncs for one kiosk; thread-safe, and only one run at a time across processes."""

    def __init__(
        self,
        store: SyncStore,
        settings: KioskSettings,
        *,
        batch_size: int = 1000,
        max_batch_bytes: int = MAX_BATCH_BYTES,
        attempts: int = 5,
        backoff_base_s: float = 2.0,
        backoff_cap_s: float = 60.0,
        timeout_s: float = 30.0,
        connect_timeout_s: float = 10.0,
        max_retry_after_s: float = 120.0,
        client_factory: Callable[[str, str | None], SyncClient] | None = None,
        on_config: ConfigListener | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.batch_size = max(1, batch_size)
        self.max_batch_bytes = max_batch_bytes
        self.attempts = max(1, attempts)
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self.max_retry_after_s = max_retry_after_s
        self._client_factory = client_factory or (
            lambda url, token: SyncClient(
                url,
                token,
                timeout_s=timeout_s,
                connect_timeout_s=connect_timeout_s,
                ca_bundle=self.store.get("ca_bundle") or None,
            )
        )
        self._listeners: list[ConfigListener] = [on_config] if on_config else []
        self._rng = rng or random.Random()
        self._run_lock = threading.Lock()
        self._cancel = threading.Event()

    # --- small queries the UI and the scheduler use -------------------------------------------------

    def add_config_listener(self, listener: ConfigListener) -> None:
        """Call ``listener(config_body)`` after a new configuration is saved (on the sync thread).

        The UI applies it between ballots, never in the middle of one.
        """
        self._listeners.append(listener)

    def is_enrolled(self) -> bool:
        return bool(self.store.get("server_url") and self.store.get("token"))

    def pending_count(self) -> int:
        return int(self.store.counts_by_status().get("pending", 0))

    def cancel(self) -> None:
        """Ask a run in progress to stop after the batch in flight (used at shutdown)."""
        self._cancel.set()

    def schedule(self) -> SyncPlan:
        """The nightly schedule from the saved configuration (defaults before the first pull)."""
        config = self._saved_config()
        device_settings = config.get("settings") or {}
        unit = config.get("unit") or {}
        try:
            jitter = int(device_settings.get("sync_jitter_s", 1800))
        except (TypeError, ValueError):
            jitter = 1800
        return SyncPlan(
            cron=str(device_settings.get("sync_cron") or "0 2 * * *"),
            jitter_s=jitter,
            device_id=self.store.get("device_id") or "",
            timezone=unit.get("timezone"),
        )

    def pull_config(self) -> bool:
        """Fetch the configuration once, now (right after enrolment); True when a new one was saved."""
        url, token = self.store.get("server_url"), self.store.get("token")
        if not url or not token:
            raise Unauthorized("the device is not enrolled")
        client = self._client_factory(url, token)
        try:
            return bool(self._pull_config(client))
        finally:
            client.close()

    # --- the run ------------------------------------------------------------------------------------

    def run_once(self, progress: Callable[[str], None] | None = None) -> SyncOutcome:
        """Pull the configuration, then push every pending ballot, oldest first."""
        started = _now()
        report = progress or (lambda message: None)
        if not self._run_lock.acquire(blocking=False):
            return SyncOutcome("busy", pending=self.pending_count(), error="đang đồng bộ", started_at=started)
        try:
            with self._process_lock() as got:
                if not got:
                    return SyncOutcome(
                        "busy", pending=self.pending_count(), error="đang đồng bộ", started_at=started
                    )
                self._cancel.clear()
                try:
                    return self._run(report, started)
                except Exception as exc:  # e.g. the kiosk's disk is full: report it, never kill a worker
                    log.exception("sync run failed")
                    return SyncOutcome(
                        "error", error=f"{type(exc).__name__}: {exc}", started_at=started, finished_at=_now()
                    )
        finally:
            self._run_lock.release()

    def _process_lock(self) -> contextlib.AbstractContextManager[bool]:
        # Also keeps `survey-kiosk sync` and the running app from syncing at the same moment.
        return _process_lock_file(self.settings.home / "sync.lock")

    def _run(self, report: Callable[[str], None], started: datetime) -> SyncOutcome:
        url, token = self.store.get("server_url"), self.store.get("token")
        if not url or not token:
            return self._finish(
                "not_enrolled", Counter(), False, "thiết bị chưa được đăng ký với máy chủ", None, started
            )
        counts: Counter[str] = Counter()
        config_updated = False
        client = self._client_factory(url, token)
        try:
            report("Đang tải cấu hình…")
            config_error: SyncError | None = None
            try:
                config_updated = self._with_retries(lambda: self._pull_config(client), report)
            except (TransientError, ClientError) as exc:
                # The ballots matter more than the configuration: push them anyway.
                log.warning("configuration pull failed: %s", exc)
                report(f"Không tải được cấu hình: {exc}")
                config_error = exc
            self._push_all(client, counts, report)
            self._reconcile(client, counts, report)
            if config_error is not None:
                # The ballots went, but the run is not a success: the configuration may be stale.
                raise config_error
        except Unauthorized:
            return self._finish("unauthorized", counts, config_updated, REENROL_MESSAGE, None, started)
        except RateLimited as exc:
            return self._finish("rate_limited", counts, config_updated, str(exc), exc.retry_after_s, started)
        except TransientError as exc:
            return self._finish("offline", counts, config_updated, str(exc), None, started)
        except ClientError as exc:
            return self._finish("error", counts, config_updated, str(exc), None, started)
        except _Cancelled:
            return self._finish("pending", counts, config_updated, "đã dừng giữa chừng", None, started)
        finally:
            client.close()
        return self._finish("ok", counts, config_updated, None, None, started)

    def _finish(
        self,
        status: str,
        counts: Counter[str],
        config_updated: bool,
        error: str | None,
        retry_after_s: float | None,
        started: datetime,
    ) -> SyncOutcome:
        pending = self.pending_count()
        if status == "ok" and pending:
            status = "pending"
        finished = _now()
        if status == "ok":
            self.store.set("last_sync_at", finished.isoformat(timespec="seconds"))
            self.store.set("last_error", None)
        elif status != "busy":
            self.store.set("last_error", error)
        self.store.set("last_sync_attempt_at", finished.isoformat(timespec="seconds"))
        return SyncOutcome(
            status=status,
            counts=dict(counts),
            pending=pending,
            config_updated=config_updated,
            error=error,
            retry_after_s=retry_after_s,
            started_at=started,
            finished_at=finished,
        )

    # --- retries --------------------------------------------------------------------------------

    def _with_retries(self, call: Callable[[], Any], report: Callable[[str], None]) -> Any:
        """Run ``call``; on a transient failure or 429 wait (back-off with jitter, or Retry-After)."""
        attempt = 0
        while True:
            if self._cancel.is_set():
                raise _Cancelled
            attempt += 1
            try:
                return call()
            except RateLimited as exc:
                if attempt >= self.attempts or exc.retry_after_s > self.max_retry_after_s:
                    raise
                report(f"Máy chủ bận, chờ {exc.retry_after_s:.0f} giây…")
                self._sleep(exc.retry_after_s)
            except TransientError as exc:
                if attempt >= self.attempts:
                    raise
                delay = backoff_delay(
                    attempt, self._rng, base_s=self.backoff_base_s, cap_s=self.backoff_cap_s
                )
                report(f"Lỗi kết nối, thử lại sau {delay:.0f} giây…")
                log.info("sync attempt %d failed (%s); retrying in %.1f s", attempt, exc, delay)
                self._sleep(delay)

    def _sleep(self, seconds: float) -> None:
        if self._cancel.wait(max(0.0, seconds)):
            raise _Cancelled

    # --- configuration --------------------------------------------------------------------------

    def _saved_config(self) -> dict[str, Any]:
        raw = self.store.get("config_json")
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def _pull_config(self, client: SyncClient) -> bool:
        reply = client.get_config(self.store.get("etag"))
        if reply is None:
            return False
        self._download_photos(client, reply)
        # Photos first, then the configuration that points at them: the UI never sees a missing file.
        self.store.set("config_json", json.dumps(reply.body, ensure_ascii=False))
        self.store.set("etag", reply.etag)
        for listener in list(self._listeners):
            try:
                listener(reply.body)
            except Exception:  # a UI listener's bug must not undo a saved configuration
                log.exception("configuration listener failed")
        return True

    def _download_photos(self, client: SyncClient, reply: ConfigReply) -> None:
        photos_dir = self.settings.photos_dir
        known = _json_dict(self.store.get("photo_urls"))
        fetched: dict[str, str] = {}
        for officer in reply.body.get("staff") or []:
            if not isinstance(officer, Mapping):
                continue
            officer_id, url = str(officer.get("id") or ""), officer.get("photo_url")
            if not officer_id or not url:
                continue
            try:
                dest = photos_dir / photo_filename(officer_id, str(url))
            except ValueError:
                log.warning("skipping the photo of officer %r: unusable id", officer_id)
                continue
            if known.get(officer_id) != url or not dest.exists():
                client.download(str(url), dest)
                # config.py takes the first suffix it finds: drop an older photo with another suffix.
                for suffix in PHOTO_SUFFIXES:
                    other = photos_dir / f"{officer_id}{suffix}"
                    if other != dest:
                        other.unlink(missing_ok=True)
            fetched[officer_id] = str(url)
        self.store.set("photo_urls", json.dumps(fetched, ensure_ascii=False))

    # --- ballots --------------------------------------------------------------------------------

    def _push_all(self, client: SyncClient, counts: Counter[str], report: Callable[[str], None]) -> None:
        total = self.pending_count()
        done = 0
        seen: set[str] = set()
        while True:
            if self._cancel.is_set():
                raise _Cancelled
            pending = self.store.pending_batch(self.batch_size)
            if not pending:
                return
            ids = [str(item["id"]) for item in pending]
            if seen.intersection(ids):
                # The store handed back ballots already marked: stop rather than loop forever.
                raise ClientError("the kiosk store returned ballots already synced in this run", 0)
            seen.update(ids)
            for batch in plan_batches(pending, max_items=self.batch_size, max_bytes=self.max_batch_bytes):
                self._push(client, batch, counts, report)
                done += len(batch)
                report(f"Đã gửi {done}/{max(total, done)} phiếu")

    def _reconcile(self, client: SyncClient, counts: Counter[str], report: Callable[[str], None]) -> None:
        """Compare the server's ledger with the store; re-send what the server lost (after a restore)."""
        reconcile = getattr(self.store, "reconcile_ledger", None)
        get_ledger = getattr(client, "get_ledger", None)
        if reconcile is None or get_ledger is None:
            return
        known = self.store.get("ledger_lost")
        try:
            ledger = self._with_retries(lambda: get_ledger(int(known) if known else None), report)
        except ClientError as exc:
            # A server from before the ledger answers 404: nothing to compare with.
            log.info("no device ledger on this server: %s", exc)
            return
        requeued, lost = reconcile(ledger.max_seq, ledger.missing)
        if str(lost) != (known or "0"):
            self.store.set("ledger_lost", str(lost))
            self._with_retries(lambda: get_ledger(lost), report)
        if requeued:
            log.warning("the server lacks %d ballots this kiosk had sent: sending them again", requeued)
            report(f"Máy chủ thiếu {requeued} phiếu đã gửi: đang gửi lại")
            counts["resent"] += requeued
            self._push_all(client, counts, report)

    def _push(
        self,
        client: SyncClient,
        batch: Sequence[Mapping[str, Any]],
        counts: Counter[str],
        report: Callable[[str], None],
    ) -> None:
        try:
            results: list[ItemResult] = self._with_retries(lambda: client.post_responses(batch), report)
        except BatchTooLarge:
            if len(batch) == 1:
                # One ballot alone is over the limit: keep it on the kiosk, stop resending it.
                self.store.mark_results([(str(batch[0]["id"]), "rejected", "batch_too_large")])
                counts["rejected"] += 1
                return
            first, second = split_batch(batch)
            self._push(client, first, counts, report)
            self._push(client, second, counts, report)
            return
        self.store.mark_results([(r.id, local_status(r.status), r.error) for r in results])
        counts.update(r.status for r in results)


def photo_filename(officer_id: str, url: str) -> str:
    """``<officer id><ext>`` as ``kiosk.config`` looks it up; ``.jpg`` when the URL has no known extension.

    >>> photo_filename("cb01", "/api/v1/device/photos/cb01.png?v=3")
    'cb01.png'
    """
    if not officer_id or "/" in officer_id or "\\" in officer_id or officer_id.startswith("."):
        raise ValueError(f"officer id {officer_id!r} cannot name a file")
    ext = os.path.splitext(urlparse(url).path)[1].lower()
    return officer_id + (ext if ext in PHOTO_SUFFIXES else ".jpg")


def _json_dict(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _now() -> datetime:
    return datetime.now().astimezone()


@contextlib.contextmanager
def _process_lock_file(path: Path) -> Iterator[bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

"""``survey-kiosk enrol`` and ``survey-kiosk sync``, called by ``kiosk/cli.py`` with parsed arguments.

    status = enrol(settings, server="https://server", code="K7Q2-9XDM", name="Quầy 1")
    status = sync(settings)          # 0 only when nothing is left pending

Tuning for tests and slow links comes from the environment: ``SURVEY_KIOSK_SYNC_TIMEOUT_S``,
``SURVEY_KIOSK_SYNC_ATTEMPTS``, ``SURVEY_KIOSK_SYNC_BACKOFF_S``, ``SURVEY_KIOSK_SYNC_BATCH``.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from kiosk import phone_ballot
from kiosk.settings import KioskSettings
from kiosk.store import KioskStore, StoreUnavailable, hash_pin
from kiosk.sync.client import (
    EnrolReply,
    InvalidCode,
    RateLimited,
    SyncClient,
    SyncError,
    TransientError,
    UntrustedServer,
)
from kiosk.sync.service import SyncService

__all__ = ["enrol", "service_options", "sync"]

RESULT_ORDER = ("created", "duplicate", "conflict", "rejected")


def _fail(message: str, status: int = 1) -> int:
    print(message, file=sys.stderr)
    return status


def service_options(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """SyncService keyword arguments from ``SURVEY_KIOSK_SYNC_*`` variables (unset ones keep defaults)."""
    env = os.environ if env is None else env
    options: dict[str, Any] = {}
    readers = {
        "SURVEY_KIOSK_SYNC_TIMEOUT_S": ("timeout_s", float),
        "SURVEY_KIOSK_SYNC_ATTEMPTS": ("attempts", int),
        "SURVEY_KIOSK_SYNC_BACKOFF_S": ("backoff_base_s", float),
        "SURVEY_KIOSK_SYNC_BACKOFF_CAP_S": ("backoff_cap_s", float),
        "SURVEY_KIOSK_SYNC_BATCH": ("batch_size", int),
    }
    for var, (name, read) in readers.items():
        raw = env.get(var)
        if raw:
            try:
                options[name] = read(raw)
            except ValueError:
                raise ValueError(f"{var} must be a number, not {raw!r}.") from None
    if "timeout_s" in options:
        options["connect_timeout_s"] = min(10.0, options["timeout_s"])
    return options


ENROL_ATTEMPTS = 6


def _enrol_with_retries(
    client: SyncClient, code: str, name: str, install_id: str | None, ballot_key: str | None = None
) -> EnrolReply:
    """Enrol; on no reply (or a 5xx) try the same code with the same install id again, backing off.

    The server may have committed the first attempt: with the install id it answers 201 again.
    """
    delay = float(os.environ.get("SURVEY_KIOSK_ENROL_RETRY_S", "1"))
    for attempt in range(1, ENROL_ATTEMPTS + 1):
        try:
            return client.enrol(code, name, install_id, ballot_key)
        except UntrustedServer:
            raise
        except RateLimited as exc:
            if attempt == ENROL_ATTEMPTS:
                raise
            time.sleep(min(exc.retry_after_s, 60))
        except TransientError:
            if attempt == ENROL_ATTEMPTS or install_id is None:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 30)
    raise AssertionError("unreachable")


def _check_pin(pin: str | None) -> str | None:
    if pin is not None and not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        return "--pin must be 4 to 8 digits (the administrator's PIN for this kiosk's settings)."
    return None


def _check_ca_bundle(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        text = Path(path).read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        return f"--ca-bundle {path} cannot be read ({exc.strerror or exc})."
    if "-----BEGIN CERTIFICATE-----" not in text:
        return f"--ca-bundle {path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)."
    return None


def _check_server_url(server: str) -> str | None:
    parsed = urlparse(server)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return f"--server must be an http:// or https:// address (https://survey.example.vn), not {server!r}."
    return None


def enrol(
    settings: KioskSettings,
    *,
    server: str,
    code: str,
    name: str | None = None,
    pin: str | None = None,
    ca_bundle: str | None = None,
) -> int:
    """Exchange a one-time code for a token, save it, and pull the configuration; returns the exit status."""
    problem = _check_server_url(server) or _check_pin(pin) or _check_ca_bundle(ca_bundle)
    if problem:
        return _fail(problem, 2)
    bundle = str(Path(ca_bundle).resolve()) if ca_bundle else None
    code = code.strip()
    if not code:
        return _fail("--code is empty: ask the administrator for an enrolment code.", 2)
    device_name = (name or "").strip() or f"Kiosk {socket.gethostname()}"
    try:
        options = service_options()
        store = KioskStore.from_settings(settings)
    except (ValueError, StoreUnavailable) as exc:
        return _fail(str(exc))
    try:
        client = SyncClient(server, None, timeout_s=options.get("timeout_s", 30.0), ca_bundle=bundle)
        try:
            reply = _enrol_with_retries(
                client, code, device_name, store.get("install_id"), phone_ballot.ensure_key(store)
            )
        except InvalidCode:
            return _fail("The enrolment code is unknown, already used or expired: ask for a new one.")
        except TransientError as exc:
            return _fail(f"Could not enrol: {exc}.")
        except SyncError as exc:
            return _fail(f"The server refused the enrolment: {exc}.")
        finally:
            client.close()
        for key, value in (
            ("server_url", server.rstrip("/")),
            ("token", reply.token),
            ("device_id", reply.device_id),
            ("device_name", device_name),
            ("unit_code", reply.unit_code),
            ("unit_name", reply.unit_name),
            # A new enrolment may mean a new unit: fetch its configuration whatever was cached.
            ("etag", None),
            ("last_error", None),
            ("ca_bundle", bundle),
        ):
            store.set(key, value)
        if pin is not None:
            store.set("admin_pin_hash", hash_pin(pin))
        print(
            f"Enrolled as device {reply.device_id} ({device_name}) of {reply.unit_name} ({reply.unit_code})."
        )
        service = SyncService(store, settings, **options)
        try:
            service.pull_config()
            print("Configuration downloaded.")
        except SyncError as exc:
            # Enrolment itself succeeded; the next sync fetches the configuration.
            print(f"Configuration not downloaded yet ({exc}); the next sync will fetch it.", file=sys.stderr)
        return 0
    except StoreUnavailable as exc:
        return _fail(f"The kiosk's storage is unavailable: {exc}")
    finally:
        store.close()


def sync(settings: KioskSettings) -> int:
    """One sync now; prints the count per result and exits 0 only when nothing is left pending."""
    try:
        options = service_options()
        store = KioskStore.from_settings(settings)
    except (ValueError, StoreUnavailable) as exc:
        return _fail(str(exc))
    try:
        service = SyncService(store, settings, **options)
        outcome = service.run_once(progress=lambda message: print(message, flush=True))
        for status in RESULT_ORDER:
            print(f"{status}: {outcome.counts.get(status, 0)}")
        print(f"pending: {outcome.pending}")
        if outcome.config_updated:
            print("configuration: updated")
        if outcome.status == "not_enrolled":
            return _fail(
                "This kiosk is not enrolled: run `survey-kiosk enrol --server URL --code CODE` first."
            )
        if outcome.status == "unauthorized":
            return _fail(
                "The server no longer accepts this kiosk (thiết bị cần đăng ký lại): enrol it again."
            )
        if outcome.status == "busy":
            return _fail("Another sync is running on this kiosk; try again when it ends.")
        if outcome.status != "ok":
            return _fail(f"Sync stopped with {outcome.pending} ballots still pending: {outcome.error}.")
        return 0
    except StoreUnavailable as exc:
        return _fail(f"The kiosk's storage is unavailable: {exc}")
    finally:
        store.close()

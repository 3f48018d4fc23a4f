"""The kiosk's HTTP client for sync protocol v1: the only module on the kiosk that uses ``requests``.

Each method makes one call and turns every failure into one of a few exceptions the service acts on::

    client = SyncClient("https://server.example", token="…")
    config = client.get_config(etag=None)        # ConfigReply or None when unchanged (304)
    results = client.post_responses(batch)       # list[ItemResult], one per item
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

from kiosk.sync.payload import BrokenReply, ItemResult, encode_batch, parse_results, parse_retry_after

__all__ = [
    "BatchTooLarge",
    "ClientError",
    "ConfigReply",
    "EnrolReply",
    "InvalidCode",
    "Ledger",
    "RateLimited",
    "SyncClient",
    "SyncError",
    "TransientError",
    "Unauthorized",
    "UntrustedServer",
]

USER_AGENT = "ctt-survey-kiosk/0.1"


class SyncError(Exception):
    """Base of every sync failure; ``str(e)`` is one sentence an administrator can read."""


@dataclass(frozen=True)
class Ledger:
    """The server's ledger of this device: highest seq stored and the missing ranges below it."""

    max_seq: int | None
    missing: list[tuple[int, int]]
    stored_count: int
    truncated: bool


class TransientError(SyncError):
    """Timeout, refused or reset connection, 5xx, or a broken reply: try again later."""


class UntrustedServer(TransientError):
    """The server's TLS certificate does not verify against the kiosk's CA bundle."""


class Unauthorized(SyncError):
    """401: the token is unknown or revoked; the device must be enrolled again."""


class InvalidCode(SyncError):
    """403 on enrolment: the code is unknown, used or expired."""


class BatchTooLarge(SyncError):
    """413: the batch is over the server's limits; send it in smaller parts."""


class RateLimited(SyncError):
    """429: the server asks to wait ``retry_after_s`` seconds."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ClientError(SyncError):
    """Any other 4xx: the request itself is wrong; retrying it unchanged will not help."""

    def __init__(self, message: str, status_code: int, code: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code


@dataclass(frozen=True)
class EnrolReply:
    device_id: str
    token: str
    unit_code: str
    unit_name: str


@dataclass(frozen=True)
class ConfigReply:
    etag: str
    body: dict[str, Any]


def device_time(now: datetime | None = None) -> str:
    """The device's clock as RFC 3339 with its local offset, for ``X-Device-Time``."""
    return (now or datetime.now().astimezone()).astimezone().isoformat(timespec="seconds")


def _error_code(response: requests.Response) -> tuple[str | None, str]:
    try:
        body = response.json()
    except ValueError:
        return None, response.text[:200]
    if isinstance(body, Mapping):
        return body.get("error"), str(body.get("detail") or body.get("error") or "")
    return None, str(body)[:200]


class SyncClient:
    """Talk to one sync server as one device (``token`` may be None before enrolment)."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout_s: float = 30.0,
        connect_timeout_s: float = 10.0,
        session: requests.Session | None = None,
        clock: Callable[[], datetime] | None = None,
        ca_bundle: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.token = token
        self.timeout = (connect_timeout_s, timeout_s)
        self.session = session or requests.Session()
        # A commune's server often has a certificate from its own CA (Caddy's `tls internal`). Passed per
        # request: a session-wide `verify` loses to REQUESTS_CA_BUNDLE in requests' merge of settings.
        self._verify: str | bool = ca_bundle or True
        self.session.headers["User-Agent"] = USER_AGENT
        self._clock = clock

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path.lstrip("/"))

    def _headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {"X-Device-Time": device_time(self._clock() if self._clock else None)}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if extra:
            headers.update(extra)
        return headers

    def _request(self, method: str, path_or_url: str, **kwargs: Any) -> requests.Response:
        url = path_or_url if "://" in path_or_url else self.url(path_or_url)
        # Built per call so X-Device-Time is fresh on every request, retries included.
        headers = self._headers(kwargs.pop("headers", None))
        try:
            kwargs.setdefault("verify", self._verify)
            response = self.session.request(method, url, timeout=self.timeout, headers=headers, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise UntrustedServer(
                f"the server's certificate is not trusted ({url}): enrol again with --ca-bundle naming "
                "the certificate of the authority that signed it"
            ) from exc
        except requests.Timeout as exc:
            raise TransientError(f"the server did not answer in time ({url})") from exc
        except requests.ConnectionError as exc:
            raise TransientError(f"could not reach the server ({url}): {_reason(exc)}") from exc
        except requests.RequestException as exc:
            raise TransientError(f"the connection to the server broke ({url}): {_reason(exc)}") from exc
        status = response.status_code
        if status >= 500:
            raise TransientError(f"the server answered {status} ({url})")
        if status == 401:
            raise Unauthorized("the server no longer accepts this device's token")
        if status == 413:
            raise BatchTooLarge("the server refused the batch as too large")
        if status == 429:
            seconds = parse_retry_after(response.headers.get("Retry-After"))
            raise RateLimited(f"the server asks to wait {seconds:.0f} s", seconds)
        return response

    def _json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            # A truncated or garbled 200 is a transport problem, not the server's verdict.
            raise TransientError(f"the server's reply was not valid JSON ({response.url})") from exc

    def enrol(
        self, code: str, name: str, install_id: str | None = None, ballot_key: str | None = None
    ) -> EnrolReply:
        """Exchange a one-time code for this device's id and token (`install_id`: retry-safe;
        `ballot_key`: the public key of the kiosk's phone-ballot tokens)."""
        sent: dict[str, str] = {"code": code, "name": name}
        if install_id:
            sent["install_id"] = install_id
        if ballot_key:
            sent["ballot_key"] = ballot_key
        response = self._request("POST", "/api/v1/devices/enrol", json=sent)
        if response.status_code == 403:
            raise InvalidCode("the enrolment code is unknown, already used or expired")
        self._raise_for_client_error(response)
        body = self._json(response)
        try:
            unit = body.get("unit") or {}
            return EnrolReply(
                device_id=str(body["device_id"]),
                token=str(body["token"]),
                unit_code=str(unit.get("code", "")),
                unit_name=str(unit.get("name", "")),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise TransientError("the server's enrolment reply is missing fields") from exc

    def get_ledger(self, lost: int | None = None) -> Ledger:
        """What the server holds of this device (sync-protocol.md, Ledger); `lost` reports our count."""
        extra = {"X-Device-Lost": str(lost)} if lost is not None else None
        response = self._request("GET", "/api/v1/device/ledger", headers=extra)
        self._raise_for_client_error(response)
        body = self._json(response)
        try:
            max_seq = body["max_seq"]
            missing = [(int(r[0]), int(r[1])) for r in body["missing"]]
            return Ledger(
                max_seq=int(max_seq) if max_seq is not None else None,
                missing=missing,
                stored_count=int(body["stored_count"]),
                truncated=bool(body.get("truncated")),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise TransientError("the server's ledger reply is missing fields") from exc

    def get_config(self, etag: str | None) -> ConfigReply | None:
        """The device's configuration, or None when it is unchanged since ``etag`` (304)."""
        extra = {"If-None-Match": etag} if etag else None
        response = self._request("GET", "/api/v1/device/config", headers=extra)
        if response.status_code == 304:
            return None
        self._raise_for_client_error(response)
        body = self._json(response)
        if not isinstance(body, dict) or not isinstance(body.get("survey"), dict):
            raise TransientError("the server's configuration reply is not the protocol's shape")
        new_etag = response.headers.get("ETag") or str(body.get("config_version") or "")
        return ConfigReply(etag=new_etag, body=body)

    def post_responses(self, batch: Sequence[Mapping[str, Any]]) -> list[ItemResult]:
        """Upload one batch (gzip) and return one result per item, in the order sent."""
        body = encode_batch(batch)
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        response = self._request("POST", "/api/v1/device/responses", data=body, headers=headers)
        self._raise_for_client_error(response)
        try:
            return parse_results(self._json(response), [str(item["id"]) for item in batch])
        except BrokenReply as exc:
            raise TransientError(f"the server's reply does not match the batch: {exc}") from exc

    def download(self, url: str, dest: Path, *, max_bytes: int = 10 * 1024 * 1024) -> Path:
        """Download ``url`` (e.g. an officer's photo) to ``dest`` atomically."""
        response = self._request("GET", url, stream=True)
        self._raise_for_client_error(response)
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(dest.name + ".part")
        size = 0
        try:
            with partial.open("wb") as out:
                for chunk in response.iter_content(64 * 1024):
                    size += len(chunk)
                    if size > max_bytes:
                        raise ClientError(f"the file at {url} is larger than {max_bytes} bytes", 413)
                    out.write(chunk)
        except requests.RequestException as exc:
            partial.unlink(missing_ok=True)
            raise TransientError(f"the download of {url} broke: {_reason(exc)}") from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(dest)
        return dest

    def _raise_for_client_error(self, response: requests.Response) -> None:
        if response.status_code < 400:
            return
        code, detail = _error_code(response)
        raise ClientError(
            f"the server refused the request ({response.status_code} {code or ''}): {detail}".replace(
                "  ", " "
            ),
            response.status_code,
            code,
        )


def _reason(exc: BaseException) -> str:
    # requests nests the real cause a few levels deep; the innermost is the readable one.
    inner: BaseException = exc
    while inner.__context__ is not None and inner.__context__ is not inner:
        inner = inner.__context__
    text = str(inner) or type(inner).__name__
    return text if len(text) < 200 else text[:200] + "…"

"""`POST /api/v1/device/responses`: a batch in, one result per item out (see ingest.py)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import zlib
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlmodel import SQLModel
from starlette.concurrency import run_in_threadpool

from sync_server.api.deps import DeviceDep, SettingsDep
from sync_server.api.errors import ApiError, error_responses
from sync_server.db import write_session
from sync_server.ingest import IngestRules, ItemResult, ingest_batch
from sync_server.models import Device, UploadReply, utcnow
from sync_server.settings import Settings

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["devices"])

log = logging.getLogger("sync_server.api")

ACCEPTED_ENCODINGS = ("identity", "gzip", "x-gzip")
_DECODE = msgspec.json.Decoder().decode


class ContactIn(SQLModel):
    phone: str
    consent: bool


class ResponseIn(SQLModel):
    """One ballot as the device sends it (documentation: the server checks each item itself)."""

    id: str
    seq: int
    survey_id: str
    survey_version: str
    staff_id: str | None
    started_at: str
    submitted_at: str
    answers: dict[str, Any]
    comment: str | None = None
    contact: ContactIn | None = None
    lang: str


class BatchIn(SQLModel):
    responses: list[ResponseIn]


def _too_large(settings: Settings) -> ApiError:
    mib = settings.max_batch_bytes / (1024 * 1024)
    return ApiError(
        413,
        "batch_too_large",
        f"A batch holds at most {settings.max_batch_items:,} responses and {mib:g} MiB; send smaller ones.",
    )


async def _read_body(request: Request, settings: Settings, encoding: str) -> bytes:
    """The decompressed body, refusing anything over the size limit without reading it all."""
    limit = settings.max_batch_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(settings)
    inflater = zlib.decompressobj(wbits=31) if encoding == "gzip" else None
    out = bytearray()
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise _too_large(settings)  # even compressed, it cannot fit
        if inflater is None:
            out += chunk
            continue
        try:
            out += inflater.decompress(chunk, limit + 1 - len(out))
            if len(out) > limit or inflater.unconsumed_tail:
                raise _too_large(settings)
        except zlib.error:
            raise ApiError(400, "malformed_json", "The body is not valid gzip.") from None
    if inflater is not None:
        if not inflater.eof:
            raise ApiError(400, "malformed_json", "The gzip body is truncated.")
        if inflater.unused_data.strip():
            raise ApiError(400, "malformed_json", "The gzip body has data after its end.")
    return bytes(out)


def _device_offset(header: str | None, now: dt.datetime) -> float | None:
    """Device clock minus server clock, in seconds, from `X-Device-Time` (None when absent or bad)."""
    if not header or len(header) > 40:
        return None
    try:
        device_time = dt.datetime.fromisoformat(header.strip())
    except ValueError:
        return None
    if device_time.tzinfo is None:
        return None
    return round((device_time - now).total_seconds(), 1)


def _ingest(
    engine: Engine, device_id: str, items: list[Any], offset: float | None, rules: IngestRules
) -> tuple[dt.datetime, list[ItemResult]]:
    try:
        return _ingest_once(engine, device_id, items, offset, rules)
    except SQLAlchemyError as exc:
        # The error's text may quote a row (PostgreSQL's "Failing row contains …"): a phone, a
        # comment. The log gets the error's class and the batch's counts, nothing of its content.
        error = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        dicts = [i for i in items if isinstance(i, dict)]
        log.error(
            "upload from device %s failed in the database (%s): "
            "%d items, %d with a comment, %d with a contact",
            device_id,
            type(error).__name__,
            len(items),
            sum(1 for i in dicts if i.get("comment")),
            sum(1 for i in dicts if i.get("contact")),
        )
        raise ApiError(
            500, "internal_error", "The server failed; nothing from this request was stored, retry later."
        ) from None


def _ingest_once(
    engine: Engine, device_id: str, items: list[Any], offset: float | None, rules: IngestRules
) -> tuple[dt.datetime, list[ItemResult]]:
    with write_session(engine) as session:
        now = utcnow()
        device = session.get(Device, device_id)
        if device is None or device.revoked:
            raise ApiError(
                401, "unauthorized", "The device token is unknown or revoked; enrol the device again."
            )
        results = ingest_batch(session, device, items, now, clock_offset_s=offset, rules=rules)
        session.commit()
        return now, results


@router.post(
    "/device/responses",
    response_model=UploadReply,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchIn"}}},
        }
    },
    responses=error_responses(400, 401, 413, 415, 429),
)
async def upload(
    request: Request,
    device: DeviceDep,
    settings: SettingsDep,
    content_encoding: Annotated[
        str | None,
        # Declared so clients (and schemathesis) know the accepted codings; others get 415.
        Header(json_schema_extra={"enum": list(ACCEPTED_ENCODINGS)}),
    ] = None,
    x_device_time: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Store a batch of ballots: `created`, `duplicate`, `conflict` or `rejected` per item, in order.

    A 200 means every result is durable; after any 5xx nothing may be assumed stored and the same
    batch can be sent again. `Content-Encoding: gzip` is accepted.
    """
    wait = await run_in_threadpool(request.app.state.upload_limiter.take, device.id)
    if wait:
        raise ApiError(
            429,
            "rate_limited",
            "Too many uploads from this device; wait and retry.",
            {"Retry-After": str(wait)},
        )
    encoding = (content_encoding or "identity").strip().lower()
    if encoding not in ACCEPTED_ENCODINGS:
        raise ApiError(
            415, "unsupported_encoding", "Send the batch as plain JSON or with Content-Encoding: gzip."
        )
    raw = await _read_body(request, settings, "gzip" if encoding != "identity" else "identity")
    try:
        # One C pass (half json.loads' time): the same values for every body it accepts.
        body = _DECODE(raw)
    except (ValueError, RecursionError):
        # What it refuses (NaN, 1e400, an escaped lone surrogate, bad UTF-8, bad JSON) gets exactly
        # json.loads' answer, decoded first: json.loads would also guess UTF-16 and UTF-32 from bytes.
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ApiError(400, "malformed_json", "The body is not valid UTF-8 JSON.") from None
    if not isinstance(body, dict) or not isinstance(body.get("responses"), list):
        raise ApiError(400, "invalid_request", 'The body must be {"responses": [ … ]}.')
    items: list[Any] = body["responses"]
    if len(items) > settings.max_batch_items:
        raise _too_large(settings)
    offset = _device_offset(x_device_time, utcnow())
    rules = IngestRules(
        clock_future_s=settings.clock_future_s,
        misuse_gap_s=settings.misuse_gap_s,
        misuse_run=settings.misuse_run,
    )
    now, results = await run_in_threadpool(_ingest, request.app.state.engine, device.id, items, offset, rules)
    return JSONResponse(
        {"server_time": now.isoformat(timespec="seconds"), "results": [r.to_dict() for r in results]}
    )


# Declared so that OpenAPI can reference the batch schema in the request body above.
BATCH_SCHEMAS = (BatchIn, ResponseIn, ContactIn)

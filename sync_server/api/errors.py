"""Every API error is `{"error": code, "detail": sentence}`; FastAPI's own 404/405/422 bodies included.

raise ApiError(403, "forbidden", "This unit is outside your scope.")
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sync_server.models import ErrorBody

__all__ = ["ApiError", "error_responses", "install_error_handlers"]

log = logging.getLogger("sync_server.api")

_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "batch_too_large",
    415: "unsupported_encoding",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}

_DESCRIPTIONS = {
    400: "Invalid request",
    401: "Missing, unknown or revoked credentials",
    403: "Forbidden",
    404: "Not found",
    413: "Batch too large",
    415: "Unsupported Content-Encoding",
    429: "Too many attempts; see Retry-After",
    503: "The database does not answer",
}


class ApiError(Exception):
    """An error with its HTTP status, machine code and one human sentence."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries declaring the error body for these statuses."""
    return {s: {"model": ErrorBody, "description": _DESCRIPTIONS.get(s, "Error")} for s in statuses}


def _body(code: str, detail: str) -> dict[str, str]:
    return {"error": code, "detail": detail}


def _validation_sentence(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "The request is not valid."
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "header", "form"))
    message = str(first.get("msg", "is not valid"))
    if first.get("type") == "json_invalid":
        return "The body is not valid JSON."
    return f"{where or 'The request'}: {message[:1].lower()}{message[1:]}."


def install_error_handlers(app: FastAPI) -> None:
    """Replace FastAPI's default error bodies with `{"error", "detail"}`."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(_body(exc.code, exc.detail), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(_body("invalid_request", _validation_sentence(exc)), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODES.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else code
        if exc.status_code == 404:
            detail = "There is nothing at this address."
        elif exc.status_code == 405:
            detail = "This address does not accept this method."
        return JSONResponse(_body(code, detail), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            _body("internal_error", "The server failed; nothing from this request was stored, retry later."),
            status_code=500,
        )

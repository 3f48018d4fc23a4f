"""`POST /api/v1/auth/token`: OAuth2 password log-in for administrators, leaders and viewers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from sync_server.api.deps import EngineDep, SettingsDep, client_ip, secret_key
from sync_server.api.errors import ApiError, error_responses
from sync_server.login_limits import Limits, attempt_login
from sync_server.models import TokenReply
from sync_server.security import issue_access_token

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", response_model=TokenReply, responses=error_responses(400, 401, 429))
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
) -> TokenReply:
    """Exchange a username and password for a bearer token; repeated failures are refused for a while."""
    # The dashboard's log-in form counts in the same place (login_limits): one limit for both doors.
    outcome = attempt_login(engine, form.username, form.password, client_ip(request), Limits.of(settings))
    if outcome.retry_after:
        raise ApiError(
            429,
            "rate_limited",
            "Too many failed log-ins; wait and try again.",
            {"Retry-After": str(outcome.retry_after)},
        )
    if outcome.user is None:
        raise ApiError(
            401, "invalid_credentials", "Wrong username or password.", {"WWW-Authenticate": "Bearer"}
        )
    return TokenReply(access_token=issue_access_token(outcome.user, secret_key(request)))

"""`POST /api/v1/auth/token`: OAuth2 password log-in for administrators, leaders and viewers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from sync_server.api.deps import SessionDep, client_ip, secret_key
from sync_server.api.errors import ApiError, error_responses
from sync_server.models import TokenReply
from sync_server.security import authenticate, issue_access_token

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", response_model=TokenReply, responses=error_responses(400, 401, 429))
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, session: SessionDep
) -> TokenReply:
    """Exchange a username and password for a bearer token; repeated failures are refused for a while."""
    limiter = request.app.state.login_limiter
    keys = (f"user:{form.username.strip().lower()}|{client_ip(request)}", f"ip:{client_ip(request)}")
    wait = max(limiter.retry_after(keys[0]), request.app.state.login_ip_limiter.retry_after(keys[1]))
    if wait:
        raise ApiError(
            429, "rate_limited", "Too many failed log-ins; wait and try again.", {"Retry-After": str(wait)}
        )
    user = authenticate(session, form.username.strip(), form.password)
    if user is None:
        limiter.failure(keys[0])
        request.app.state.login_ip_limiter.failure(keys[1])
        raise ApiError(
            401, "invalid_credentials", "Wrong username or password.", {"WWW-Authenticate": "Bearer"}
        )
    limiter.success(keys[0])
    return TokenReply(access_token=issue_access_token(user, secret_key(request)))

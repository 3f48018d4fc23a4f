"""Router dependencies as `Annotated` aliases: `SessionDep`, `ReadSessionDep`, `WriteSessionDep`, `DeviceDep`,
`UserDep`, `SettingsDep` (the API and the dashboard share them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from sync_server.db import read_session, write_session
from sync_server.models import Device, User
from sync_server.security import hash_token, read_access_token
from sync_server.settings import Settings
from sync_server.signing_key import SigningKey, adopt_database_key

from .errors import ApiError

__all__ = [
    "DeviceDep",
    "EngineDep",
    "ReadSessionDep",
    "SessionDep",
    "SettingsDep",
    "UserDep",
    "WriteSessionDep",
    "client_ip",
    "get_engine",
    "get_read_session",
    "get_session",
    "get_settings",
    "get_write_session",
    "secret_key",
]

_device_bearer = HTTPBearer(auto_error=False, description="The device token from enrolment.")
_user_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(request: Request) -> Iterator[Session]:
    with Session(get_engine(request)) as session:
        yield session


def get_read_session(request: Request) -> Iterator[Session]:
    """A session for pages that only read (`db.read_session`)."""
    with read_session(get_engine(request)) as session:
        yield session


def get_write_session(request: Request) -> Iterator[Session]:
    """A session that holds the write lock from its first statement (`db.write_session`)."""
    with write_session(get_engine(request)) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SessionDep = Annotated[Session, Depends(get_session)]
ReadSessionDep = Annotated[Session, Depends(get_read_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]


def client_ip(request: Request) -> str:
    """The caller's address (the direct peer: a reverse proxy must pass the real one itself)."""
    return request.client.host if request.client else "unknown"


def secret_key(request: Request) -> str:
    """The key that signs access tokens: `SURVEY_SECRET_KEY` or the key file (`signing_key.py`), read
    again when `survey-server key rotate` replaced it."""
    state = request.app.state
    signing: SigningKey | None = getattr(state, "signing_key", None)
    if signing is None:
        settings = get_settings(request)
        adopt_database_key(get_engine(request), settings)  # a key an older version kept in the database
        signing = state.signing_key = SigningKey(settings)
    return signing.current()


def _unauthorized(detail: str) -> ApiError:
    return ApiError(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


def get_device(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_device_bearer)],
) -> Device:
    """The enrolled, unrevoked device the bearer token belongs to."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise _unauthorized("A device token is required (Authorization: Bearer …).")
    token_hash = hash_token(credentials.credentials)
    device = session.execute(select(Device).where(col(Device.token_hash) == token_hash)).scalars().first()
    if device is None or device.revoked:
        raise _unauthorized("The device token is unknown or revoked; enrol the device again.")
    # End the read transaction now: an upload's body may take long to arrive on a slow link.
    session.expunge(device)
    session.rollback()
    return device


def get_user(
    request: Request, session: SessionDep, token: Annotated[str | None, Depends(_user_bearer)]
) -> User:
    """The signed-in user named by the access token."""
    if not token:
        raise _unauthorized("Sign in first: POST /api/v1/auth/token.")
    settings = get_settings(request)
    user = read_access_token(session, token, secret_key(request), settings.access_token_ttl_s)
    if user is None:
        raise _unauthorized("The access token is invalid or expired; sign in again.")
    return user


DeviceDep = Annotated[Device, Depends(get_device)]
UserDep = Annotated[User, Depends(get_user)]

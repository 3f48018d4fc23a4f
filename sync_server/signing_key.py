"""The server's signing key (it signs the API's access tokens), kept out of the database.

`SURVEY_SECRET_KEY` when set; otherwise the file `SURVEY_DATA_DIR/secret.key` (mode 0600), made once
with a random key. Older versions kept the key in the `server_setting` table: `adopt_database_key`
moves it into the file and deletes the row (`survey-server init` and the server's first request do it).

    key = SigningKey(settings)
    key.current()                       # re-reads the file when `survey-server key rotate` replaced it
    adopt_database_key(engine, settings)
    rotate_key(engine, settings)        # a new key: every access token and dashboard session ends
"""

from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path

from sqlalchemy import Engine, delete, func, select

from sync_server.db import write_session
from sync_server.models import DashboardSession, ServerSetting
from sync_server.settings import Settings

__all__ = ["LEGACY_SETTING", "SigningKey", "SigningKeyError", "adopt_database_key", "rotate_key"]

LEGACY_SETTING = "secret_key"  # the server_setting row older versions kept the key in


class SigningKeyError(Exception):
    """The key file cannot be read or written; the message says which file and why."""


def _new_key() -> str:
    return secrets.token_urlsafe(48)


def _write_new_file(path: Path, key: str, *, replace: bool) -> bool:
    """Write `key` to `path` with mode 0600, all at once; False when `path` exists and `replace` is off."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(key + "\n")
            out.flush()
            os.fsync(out.fileno())
        if replace:
            os.replace(temp, path)
            return True
        try:
            os.link(temp, path)  # creates `path` only if it does not exist: two workers never both win
        except FileExistsError:
            return False
        return True
    finally:
        temp.unlink(missing_ok=True)


def _read(path: Path) -> str:
    try:
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SigningKeyError(f"The signing key file {path} cannot be read ({exc}).") from None
    if len(key) < 16:
        raise SigningKeyError(f"The signing key file {path} holds no key; delete it to make a new one.")
    return key


class SigningKey:
    """The current key of one server process; cheap to ask (one `stat` of the file per call)."""

    def __init__(self, settings: Settings) -> None:
        self.configured = settings.secret_key
        self.path = settings.key_file
        self._seen: tuple[int, int, int] | None = None
        self._key = ""
        self._lock = threading.Lock()

    def current(self) -> str:
        if self.configured:
            return self.configured
        with self._lock:
            try:
                st = self.path.stat()
            except FileNotFoundError:
                _write_new_file(self.path, _new_key(), replace=False)
                st = self.path.stat()
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
            if stamp != self._seen:
                self._key, self._seen = _read(self.path), stamp
            return self._key


def adopt_database_key(engine: Engine, settings: Settings) -> bool:
    """Move a key kept in `server_setting` by an older version into the key file (unless a key is set
    or the file exists already), then delete the row. True when a row was found."""
    with write_session(engine) as session:
        row = session.get(ServerSetting, LEGACY_SETTING)
        if row is None:
            session.rollback()
            return False
        if not settings.secret_key:
            # Tokens signed before the upgrade stay valid: the file gets the very key they were signed with.
            _write_new_file(settings.key_file, row.value, replace=False)
        session.delete(row)
        session.commit()
    return True


def rotate_key(engine: Engine, settings: Settings) -> int:
    """A new random key in the key file; ends every dashboard session. Returns how many were ended."""
    if settings.secret_key:
        raise SigningKeyError(
            "SURVEY_SECRET_KEY sets the signing key: change it there and restart the server "
            f"(or remove it to use the key file {settings.key_file})."
        )
    adopt_database_key(engine, settings)
    _write_new_file(settings.key_file, _new_key(), replace=True)
    with write_session(engine) as session:
        ended = session.execute(select(func.count()).select_from(DashboardSession)).scalar_one()
        session.execute(delete(DashboardSession))
        session.commit()
    return int(ended)

"""Passwords, tokens and rate limits: the one place that decides who may do what.

user = authenticate(session, "admin", "secret")     # None on wrong credentials
token = issue_access_token(user, secret_key)
limiter = FailureLimiter(max_failures=5, window_s=900)
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlmodel import Session, select

from .models import User

__all__ = [
    "FailureLimiter",
    "TokenBucket",
    "authenticate",
    "check_password",
    "find_user",
    "hash_password",
    "hash_token",
    "issue_access_token",
    "make_enrolment_code",
    "make_token",
    "normalise_code",
    "read_access_token",
    "verify_password",
]

_hasher = PasswordHasher()
_dummy_hash: str | None = None
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are typed by hand


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches `password_hash`."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    return check_password(find_user(session, username), password)


def find_user(session: Session, username: str) -> User | None:
    """The user of this name, or None (log-in names are compared as typed, without surrounding spaces)."""
    # PostgreSQL refuses NUL even as a parameter; no username holds one.
    if "\x00" in username:
        return None
    return session.exec(select(User).where(User.username == username.strip())).first()


def check_password(user: User | None, password: str) -> User | None:
    """`user` when it is active and `password` is its password, else None; argon2 runs either way.

    Takes no session: callers run it with no database transaction open (log-in must not hold a lock
    for the ~0.1 s argon2 takes)."""
    if user is None or not user.active:
        # Verifying against a dummy keeps the time of "no such user" equal to "wrong password".
        global _dummy_hash
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash("not a real password")
        verify_password(_dummy_hash, password)
        return None
    return user if verify_password(user.password_hash, password) else None


def hash_token(token: str) -> str:
    """SHA-256 hex of a device token or enrolment code (both carry enough entropy for a plain hash)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def make_token() -> str:
    """A new device bearer token (256 random bits)."""
    return secrets.token_urlsafe(32)


def make_enrolment_code() -> str:
    """A one-time code an administrator reads out or types: `K7QX-M2PD-9HTR` (60 bits)."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return f"{raw[0:4]}-{raw[4:8]}-{raw[8:12]}"


def normalise_code(code: str) -> str:
    """Codes are compared without case, spaces or dashes: `k7qx m2pd 9htr` == `K7QX-M2PD-9HTR`."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="ctt-access-token")


def issue_access_token(user: User, secret_key: str) -> str:
    """A signed, timestamped bearer token naming the user."""
    return _serializer(secret_key).dumps({"u": user.id, "h": user.password_hash[-16:]})


def read_access_token(session: Session, token: str, secret_key: str, max_age_s: int) -> User | None:
    """The active user a token names, or None when it is forged, expired or the password changed since."""
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age_s)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = session.get(User, data["u"])
    if user is None or not user.active or user.password_hash[-16:] != data.get("h"):
        return None
    return user


@dataclass
class FailureLimiter:
    """Counts failures per key in a sliding window; `retry_after(key)` > 0 means refuse.

    Used by the API's token endpoint, device enrolment and the dashboard's log-in form.
    """

    max_failures: int = 5
    window_s: float = 900.0

    def __post_init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        entries = self._failures.setdefault(key, deque())
        while entries and entries[0] <= now - self.window_s:
            entries.popleft()
        if len(self._failures) > 10_000:
            # Forget keys whose failures have all expired, so a spray of addresses cannot grow memory.
            cutoff = now - self.window_s
            for stale in [k for k, v in self._failures.items() if not v or v[-1] <= cutoff]:
                if stale != key:
                    del self._failures[stale]
        return entries

    def retry_after(self, key: str, now: float | None = None) -> int:
        """Seconds until `key` may try again; 0 when it may try now."""
        now = time.monotonic() if now is None else now
        with self._lock:
            entries = self._prune(key, now)
            if len(entries) < self.max_failures:
                return 0
            return max(1, int(entries[0] + self.window_s - now + 0.999))

    def failure(self, key: str, now: float | None = None) -> None:
        """Record one failed attempt."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._prune(key, now).append(now)

    def success(self, key: str) -> None:
        """Forget the failures of `key` after a successful attempt."""
        with self._lock:
            self._failures.pop(key, None)


@dataclass
class TokenBucket:
    """Per-key token bucket: `take(key)` returns 0 when allowed, else seconds to wait."""

    capacity: float = 300.0
    per_s: float = 5.0

    def __post_init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> int:
        """Spend one token for `key`."""
        if self.per_s <= 0:
            return 0
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.per_s)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0
            self._buckets[key] = (tokens, now)
            return max(1, int((1.0 - tokens) / self.per_s + 0.999))

"""Server settings, read from the environment once and passed in (never read at import time).

settings = Settings.from_env()
app = create_app(settings)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

__all__ = ["DEFAULT_DATABASE_URL", "Settings"]

DEFAULT_DATABASE_URL = "sqlite:///var/server/server.db"


def _bool_env(name: str) -> bool | None:
    raw = (os.environ.get(name) or "").strip().lower()
    if raw == "":
        return None
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be 1 or 0 (true or false), not {raw!r}.")


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, not {raw!r}.") from exc


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, not {raw!r}.") from exc


@dataclass(frozen=True)
class Settings:
    """Everything the server needs to know; `Settings.from_env()` reads `SURVEY_*` variables."""

    database_url: str = DEFAULT_DATABASE_URL
    data_dir: Path = Path("var/server")
    surveys_dir: Path | None = None
    secret_key: str | None = None
    min_sample: int = 30
    max_batch_items: int = 5000
    max_batch_bytes: int = 8 * 1024 * 1024
    enrolment_code_ttl_s: int = 24 * 3600
    access_token_ttl_s: int = 12 * 3600
    login_max_failures: int = 5  # failed log-ins per user name in the window, both doors together
    login_ip_max_failures: int = 20  # failed log-ins per client address in the window
    login_window_s: int = 15 * 60
    public_url: str | None = None  # how browsers reach the server, e.g. https://survey.xa.gov.vn
    # Session cookies' Secure flag; None: on when public_url is https, else for requests that came
    # over https (directly, or through a proxy `serve --forwarded-allow-ips` trusts).
    cookie_secure: bool | None = None
    enrol_max_failures: int = 10
    # PostgreSQL connections per server process: this many kept, as many again on a busy night.
    db_pool_size: int = 20
    upload_burst: int = 300
    upload_per_s: float = 5.0
    misuse_gap_s: float = 10.0
    misuse_run: int = 3
    clock_future_s: int = 24 * 3600
    backup_dir: Path | None = None  # the nightly job writes a dated backup here when set
    backup_keep: str = "7d,4w,12m"
    # Consented phone numbers are erased this many days after their ballot was received.
    contact_retention_days: int = 90
    device_settings: dict[str, object] = field(
        default_factory=lambda: {
            "idle_timeout_s": 45,
            "detail_items_per_ballot": 4,
            "sync_cron": "0 2 * * *",
            "sync_jitter_s": 1800,
        }
    )

    @classmethod
    def from_env(cls) -> Settings:
        """Read `SURVEY_DATABASE_URL`, `SURVEY_DATA_DIR`, `SURVEY_SECRET_KEY`, `SURVEY_MIN_SAMPLE`,
        `SURVEY_BACKUP_DIR`, `SURVEY_BACKUP_KEEP`, `SURVEY_PUBLIC_URL`, `SURVEY_COOKIE_SECURE`,
        `SURVEY_CONTACT_RETENTION_DAYS`, `SURVEY_UPLOAD_BURST`, `SURVEY_UPLOAD_PER_S` and
        `SURVEY_DB_POOL_SIZE`."""
        retention = _int_env("SURVEY_CONTACT_RETENTION_DAYS", 90)
        if not 1 <= retention <= 3650:
            raise ValueError(f"SURVEY_CONTACT_RETENTION_DAYS must be 1 to 3650 days, not {retention}.")
        surveys_dir = os.environ.get("SURVEY_SURVEYS_DIR")
        backup_dir = os.environ.get("SURVEY_BACKUP_DIR")
        return cls(
            backup_dir=Path(backup_dir) if backup_dir else None,
            backup_keep=os.environ.get("SURVEY_BACKUP_KEEP") or "7d,4w,12m",
            contact_retention_days=retention,
            database_url=os.environ.get("SURVEY_DATABASE_URL") or DEFAULT_DATABASE_URL,
            data_dir=Path(os.environ.get("SURVEY_DATA_DIR") or "var/server"),
            surveys_dir=Path(surveys_dir) if surveys_dir else None,
            secret_key=os.environ.get("SURVEY_SECRET_KEY") or None,
            min_sample=_int_env("SURVEY_MIN_SAMPLE", 30),
            public_url=os.environ.get("SURVEY_PUBLIC_URL") or None,
            cookie_secure=_bool_env("SURVEY_COOKIE_SECURE"),
            db_pool_size=_int_env("SURVEY_DB_POOL_SIZE", 20),
            upload_burst=_int_env("SURVEY_UPLOAD_BURST", 300),
            upload_per_s=_float_env("SURVEY_UPLOAD_PER_S", 5.0),
        )

    def with_(self, **changes: object) -> Settings:
        """A copy with some fields changed: `settings.with_(min_sample=10)`."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def secure_cookies(self) -> bool | None:
        """True or False when the cookies' Secure flag is settled; None: follow each request's scheme."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        if self.public_url and self.public_url.lower().startswith("https://"):
            return True
        return None

    @property
    def key_file(self) -> Path:
        """The signing key's file when `SURVEY_SECRET_KEY` is not set (`SURVEY_DATA_DIR/secret.key`)."""
        return self.data_dir / "secret.key"

    @property
    def photo_dir(self) -> Path:
        """Where imported officer photos are kept."""
        return self.data_dir / "photos"

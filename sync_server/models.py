"""The server's tables (SQLModel) and the API shapes built on them.

One family per entity: `UnitBase` → `Unit(table=True)` → `UnitPublic`. Times are stored in UTC.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, String, Table, Text, UniqueConstraint, text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

__all__ = [
    "AlertAck",
    "AlertRule",
    "Case",
    "CaseEvent",
    "CommentState",
    "DashboardSession",
    "Device",
    "EnrolmentCode",
    "ErrorBody",
    "LoginAttempt",
    "Response",
    "ResponseConflict",
    "ResponseQuarantine",
    "RollupBallots",
    "RollupDayBallots",
    "RollupDayTally",
    "RollupDevice",
    "RollupHour",
    "RollupTally",
    "RuleWindowCount",
    "ServerSetting",
    "Staff",
    "SurveyVersion",
    "Tally",
    "TallyBallots",
    "TallyYear",
    "TallyYearBallots",
    "Unit",
    "User",
    "UtcDateTime",
    "WebTokenUse",
    "table_of",
    "utcnow",
]


def utcnow() -> dt.datetime:
    """Now, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware datetime stored as UTC on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a timezone")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _utc(nullable: bool = False, now: bool = False) -> Any:
    column: Column[dt.datetime] = Column(UtcDateTime(), nullable=nullable)
    if now:
        return Field(default_factory=utcnow, sa_column=column)
    return Field(default=None, sa_column=column)


class ErrorBody(SQLModel):
    """Every error the API returns: `{"error": "invalid_code", "detail": "…"}`."""

    error: str
    detail: str


# --- unit -----------------------------------------------------------------------------------------


class UnitBase(SQLModel):
    code: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    timezone: str = Field(default="Asia/Ho_Chi_Minh", max_length=64)


class Unit(UnitBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    # None: the most recently loaded survey definition.
    survey_id: str | None = Field(default=None, max_length=100)
    # The official names and signature printed on reports (reports.md); None: derived from the name.
    governing_body: str | None = Field(default=None, max_length=200)  # "UBND TỈNH ĐỒNG NAI"
    issuing_body: str | None = Field(default=None, max_length=200)  # "ỦY BAN NHÂN DÂN XÃ THIỆN HƯNG"
    place_name: str | None = Field(default=None, max_length=100)  # "Thiện Hưng", for the date line
    signer_name: str | None = Field(default=None, max_length=100)
    signer_title: str | None = Field(default=None, max_length=100)  # "PHÓ CHỦ TỊCH"
    deputy_signs: bool | None = Field(default=None)  # "KT. CHỦ TỊCH" above the title
    number_series: str | None = Field(default=None, max_length=40)  # "BC-UBND" in "Số: …/BC-UBND"
    recipients: str | None = Field(default=None)  # JSON list of "Nơi nhận" lines
    # Phone ballots (`/r/<token>`): off until an administrator turns them on (the server must be public).
    web_ballots_enabled: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    # The office's other channels, shown by the kiosk and on the phone ballot's last page.
    hotline: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=200)
    zalo: str | None = Field(default=None, max_length=200)
    facebook: str | None = Field(default=None, max_length=200)
    feedback_box: str | None = Field(default=None, max_length=200)
    # Report periods: None or "calendar", or "cutoff" (NĐ 09/2019: the 15th to the 14th).
    report_periods: str | None = Field(default=None, max_length=8)
    # JSON list of e-mail addresses the nightly job sends closed periods' reports to (a leader chooses).
    report_emails: str | None = Field(default=None)
    # When the kiosks take ballots: JSON {"mon": [["07:30", "11:30"], …], …} (surveys/opening_hours.py);
    # None = always. Sent to the kiosks as settings.opening_hours.
    opening_hours: str | None = Field(default=None)


class UnitPublic(SQLModel):
    code: str
    name: str


class UnitConfig(UnitPublic):
    timezone: str
    # Additive (issue 17): may the kiosk show phone-ballot QR codes, and the office's other channels
    # ({"hotline": "0210 3 456 789", "zalo": "…"}: only those filled in).
    web_ballots: bool = False
    channels: dict[str, str] = Field(default_factory=dict)


# --- staff ----------------------------------------------------------------------------------------


class StaffBase(SQLModel):
    id: str = Field(max_length=64)
    name: str = Field(max_length=200)
    title: str = Field(default="", max_length=200)
    counter: str = Field(default="", max_length=64)


class Staff(StaffBase, table=True):
    __table_args__ = (UniqueConstraint("unit_id", "id", name="uq_staff_unit_id"),)

    pk: int | None = Field(default=None, primary_key=True)
    id: str = Field(max_length=64)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    photo_path: str | None = Field(default=None, max_length=300)
    photo_hash: str | None = Field(default=None, max_length=64)
    active: bool = True
    updated_at: dt.datetime = _utc(now=True)


class StaffPublic(StaffBase):
    photo_url: str | None


# --- survey definitions ---------------------------------------------------------------------------


class SurveyVersion(SQLModel, table=True):
    __tablename__ = "survey_version"
    __table_args__ = (UniqueConstraint("survey_id", "version", name="uq_survey_version"),)

    pk: int | None = Field(default=None, primary_key=True)
    survey_id: str = Field(max_length=100, index=True)
    version: str = Field(max_length=50)
    content_hash: str = Field(max_length=64)
    json_: dict[str, Any] = Field(sa_column=Column("json", JSON, nullable=False))
    source: str = Field(default="", max_length=300)
    loaded_at: dt.datetime = _utc(now=True)


# --- devices and enrolment ------------------------------------------------------------------------


class Device(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=36)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    name: str = Field(default="", max_length=200)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    revoked: bool = False
    created: dt.datetime = _utc(now=True)
    last_seen: dt.datetime | None = _utc(nullable=True)
    clock_offset_s: float | None = None
    app_version: str | None = Field(default=None, max_length=100)
    config_version: str | None = Field(default=None, max_length=64)
    last_seq: int = Field(default=0, sa_type=BigInteger)
    seq_gaps: int = Field(default=0, sa_type=BigInteger)
    # State of the misuse rule: when the last ballot was submitted and how long the run is.
    last_submitted_at: dt.datetime | None = _utc(nullable=True)
    burst_run: int = 0
    # Refused items past the daily audit cap: answered, but their raw copy was not kept.
    audit_dropped: int = Field(default=0, sa_type=BigInteger)
    # Ballots neither side holds any more, as the device reported after comparing the ledger.
    ballots_lost: int = Field(default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"})
    # The Ed25519 public key (base64url) the kiosk signs its phone-ballot tokens with; None: no tokens.
    ballot_key: str | None = Field(default=None, max_length=64)
    # "web": the unit's phone ballots are stored under this device (it has no usable bearer token).
    kind: str = Field(default="kiosk", max_length=8, sa_column_kwargs={"server_default": "kiosk"})


class EnrolmentCode(SQLModel, table=True):
    __tablename__ = "enrolment_code"

    code_hash: str = Field(primary_key=True, max_length=64)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    created: dt.datetime = _utc(now=True)
    expires: dt.datetime = _utc()
    used: dt.datetime | None = _utc(nullable=True)
    device_id: str | None = Field(default=None, max_length=36)
    # The kiosk install that spent it: the same install may present it again (a reply lost).
    install_id: str | None = Field(default=None, max_length=36)


class EnrolRequest(SQLModel):
    code: str = Field(min_length=1, max_length=100)
    name: str = Field(default="", max_length=200)
    # Made once by the kiosk when its store is created; a retry of a lost reply sends it again.
    install_id: uuid.UUID | None = None
    # The Ed25519 public key (32 bytes, base64url) of the kiosk's phone-ballot tokens.
    ballot_key: str | None = Field(default=None, min_length=43, max_length=43, regex=r"^[A-Za-z0-9_-]+$")


class EnrolReply(SQLModel):
    device_id: str
    token: str
    unit: UnitPublic


# --- responses ------------------------------------------------------------------------------------


class Response(SQLModel, table=True):
    __table_args__ = (
        Index("ix_response_unit_day", "unit_id", "bucket_day"),
        # The device ledger reads one device's seqs in order.
        Index("ix_response_device_seq", "device_id", "seq"),
        # Partial indexes: alerts and comments are a small share of ballots; ingest pays only for them.
        Index(
            "ix_response_unit_alert",
            "unit_id",
            "received_at",
            sqlite_where=text("alert_kind IS NOT NULL"),
            postgresql_where=text("alert_kind IS NOT NULL"),
        ),
        Index(
            "ix_response_unit_comment",
            "unit_id",
            "received_at",
            sqlite_where=text("has_comment IS 1"),
            postgresql_where=text("has_comment IS TRUE"),
        ),
    )

    id: str = Field(primary_key=True, max_length=36)
    unit_id: int = Field(foreign_key="unit.id")
    device_id: str = Field(foreign_key="device.id")
    seq: int = Field(sa_type=BigInteger)
    survey_id: str = Field(max_length=100)
    survey_version: str = Field(max_length=50)
    staff_id: str | None = Field(default=None, max_length=64)
    started_at: dt.datetime = _utc()
    submitted_at: dt.datetime = _utc()
    received_at: dt.datetime = _utc()
    clock_offset_s: float | None = None
    bucket_month: str = Field(max_length=7)
    bucket_day: dt.date
    answers: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    contact_phone: str | None = Field(default=None, max_length=32)
    lang: str = Field(max_length=2)
    clock_suspect: bool = False
    misuse: bool = False
    # "rat_khong_hai_long", "vi_pham_5_khong" or both joined by a comma; None without alert.
    alert_kind: str | None = Field(default=None, max_length=64)
    has_comment: bool = False
    content_hash: str = Field(max_length=64)
    # "kiosk" or "web" (a phone ballot through `/r/<token>`).
    source: str = Field(default="kiosk", max_length=8, sa_column_kwargs={"server_default": "kiosk"})


class WebTokenUse(SQLModel, table=True):
    """A spent phone-ballot token (issuer, counter) and, hashed, its dossier: each is good once.

    Nothing links it to the ballot it gave, and nothing about the phone is kept."""

    __tablename__ = "web_token_use"
    __table_args__ = (UniqueConstraint("unit_id", "dossier_hash", name="uq_web_token_dossier"),)

    issuer: str = Field(primary_key=True, max_length=64)
    counter: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    unit_id: int = Field(foreign_key="unit.id", index=True)
    dossier_hash: str | None = Field(default=None, max_length=64)
    used_on: dt.date


class ResponseConflict(SQLModel, table=True):
    """A second, different copy of an already stored response id: kept for audit, never counted."""

    __tablename__ = "response_conflict"

    pk: int | None = Field(default=None, primary_key=True)
    response_id: str = Field(max_length=36, index=True)
    device_id: str = Field(max_length=36, index=True)
    received_at: dt.datetime = _utc()
    content_hash: str = Field(max_length=64)
    raw: str = Field(sa_column=Column(Text, nullable=False))
    # Bytes of the item's JSON as received; `raw` keeps at most the first 64 KiB of it.
    raw_size: int | None = Field(default=None, sa_type=BigInteger)


class ResponseQuarantine(SQLModel, table=True):
    """A rejected item, exactly as received, with the rule it broke: nothing is lost."""

    __tablename__ = "response_quarantine"

    pk: int | None = Field(default=None, primary_key=True)
    response_id: str | None = Field(default=None, sa_column=Column(String(100), nullable=True, index=True))
    device_id: str = Field(max_length=36, index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    received_at: dt.datetime = _utc()
    reason: str = Field(sa_column=Column(Text, nullable=False))
    raw: str = Field(sa_column=Column(Text, nullable=False))
    # Bytes of the item's JSON as received; `raw` keeps at most the first 64 KiB of it.
    raw_size: int | None = Field(default=None, sa_type=BigInteger)


class ItemResultPublic(SQLModel):
    id: str | None
    status: str
    error: str | None = None


class UploadReply(SQLModel):
    server_time: str
    results: list[ItemResultPublic]


# --- tallies (Seam 2) -----------------------------------------------------------------------------


class Tally(SQLModel, table=True):
    """Answer counts per (unit, survey, month, officer, question, value, flagged)."""

    __table_args__ = (
        UniqueConstraint(
            "unit_id", "survey_id", "month", "staff_key", "question_id", "value", "flagged", name="uq_tally"
        ),
    )

    pk: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    survey_id: str = Field(max_length=100)
    month: str = Field(max_length=7)
    # '' stands for "no officer" (NULLs are never equal inside a unique key).
    staff_key: str = Field(default="", max_length=64)
    question_id: str = Field(max_length=100)
    value: str = Field(max_length=100)
    flagged: bool = False
    count: int = Field(default=0, sa_type=BigInteger)


class TallyBallots(SQLModel, table=True):
    """Ballot counts per (unit, survey, month, officer, flagged)."""

    __tablename__ = "tally_ballots"
    __table_args__ = (
        UniqueConstraint("unit_id", "survey_id", "month", "staff_key", "flagged", name="uq_tally_ballots"),
    )

    pk: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    survey_id: str = Field(max_length=100)
    month: str = Field(max_length=7)
    staff_key: str = Field(default="", max_length=64)
    flagged: bool = False
    count: int = Field(default=0, sa_type=BigInteger)


class TallyYear(SQLModel, table=True):
    """Answer counts per (unit, survey, year "2024", officer, question, value, flagged): the
    per-officer tallies summed per year, kept at ingest, so a province's year by officer reads one
    row per officer and value instead of twelve (migration 0010)."""

    __tablename__ = "tally_year"
    __table_args__ = {"sqlite_with_rowid": False}

    unit_id: int = Field(primary_key=True, foreign_key="unit.id")
    survey_id: str = Field(primary_key=True, max_length=100)
    year: str = Field(primary_key=True, max_length=4)
    staff_key: str = Field(primary_key=True, max_length=64)
    question_id: str = Field(primary_key=True, max_length=100)
    value: str = Field(primary_key=True, max_length=100)
    flagged: bool = Field(default=False, primary_key=True)
    count: int = Field(default=0, sa_type=BigInteger)


class TallyYearBallots(SQLModel, table=True):
    """Ballot counts per (unit, survey, year, officer, flagged)."""

    __tablename__ = "tally_year_ballots"
    __table_args__ = {"sqlite_with_rowid": False}

    unit_id: int = Field(primary_key=True, foreign_key="unit.id")
    survey_id: str = Field(primary_key=True, max_length=100)
    year: str = Field(primary_key=True, max_length=4)
    staff_key: str = Field(primary_key=True, max_length=64)
    flagged: bool = Field(default=False, primary_key=True)
    count: int = Field(default=0, sa_type=BigInteger)


# Roll-ups: the same counts without the officer, kept for the ballot's unit AND each of its
# ancestors, so a province's figures read a few thousand rows of one unit instead of summing the
# per-officer tallies of every commune. Per month (whole months of a range) and per local day (its
# partial edge months). WITHOUT ROWID on SQLite: the key is the only index and the table is its b-tree.

_NO_ROWID = {"sqlite_with_rowid": False}


class RollupTally(SQLModel, table=True):
    """Answer counts per (unit or ancestor, survey, month, question, value, flagged)."""

    __tablename__ = "rollup_tally"
    __table_args__ = _NO_ROWID

    unit_id: int = Field(primary_key=True, foreign_key="unit.id")
    survey_id: str = Field(primary_key=True, max_length=100)
    month: str = Field(primary_key=True, max_length=7)
    question_id: str = Field(primary_key=True, max_length=100)
    value: str = Field(primary_key=True, max_length=100)
    flagged: bool = Field(default=False, primary_key=True)
    count: int = Field(default=0, sa_type=BigInteger)


class RollupBallots(SQLModel, table=True):
    """Ballot counts per (unit or ancestor, survey, month, flagged)."""

    __tablename__ = "rollup_ballots"
    __table_args__ = _NO_ROWID

    unit_id: int = Field(primary_key=True, foreign_key="unit.id")
    survey_id: str = Field(primary_key=True, max_length=100)
    month: str = Field(primary_key=True, max_length=7)
    flagged: bool = Field(default=False, primary_key=True)
    count: int = Field(default=0, sa_type=BigInteger)


class RollupDayTally(SQLModel, table=True):
    """Answer counts per (unit or ancestor, survey, local day, question, value, flagged)."""

    __tablename__ = "rollup_day_tally"
    __table_args__ = _NO_ROWID

    unit_id: int = Field(primary_key=True, foreign_key="unit.id")
    survey_id: str = Field(primary_key=True, max_length=100)
    day: dt.date = Field(primary_key=True)
    question_id: str = Field(primary_key=True, max_length=100)
    value: str = Field(primary_key=True, max_length=100)
    flagged: bool = Field(default=False, primary_key=True)
    count: int = Field(default=0, sa_type=BigInteger)


class RollupDayBallots(SQLModel, table=True):
    """Ballot counts per (unit or ancestor, survey, local day, flagged)."""

    __tablename__ = "rollup_day_ballots"
    __table_args__ = _NO_ROWID

    unit_id: int = Field(primary_key=True, foreign_key="unit.id")
    survey_id: str = Field(primary_key=True, max_length=100)
    day: dt.date = Field(primary_key=True)
    flagged: bool = Field(default=False, primary_key=True)
    count: int = Field(default=0, sa_type=BigInteger)


# --- users ----------------------------------------------------------------------------------------

ROLES = ("admin", "leader", "viewer")


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=100, unique=True, index=True)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=20)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    active: bool = True
    created: dt.datetime = _utc(now=True)


class TokenReply(SQLModel):
    access_token: str
    token_type: str = "bearer"


# --- server-wide settings -------------------------------------------------------------------------


class ServerSetting(SQLModel, table=True):
    """Small server-wide values such as the generated signing key."""

    __tablename__ = "server_setting"

    key: str = Field(primary_key=True, max_length=100)
    value: str = Field(sa_column=Column(Text, nullable=False))


class HealthProbe(SQLModel, table=True):
    """Written and rolled back by `/healthz`: can the database store? (Never holds a row.)"""

    __tablename__ = "health_probe"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    pad: str = Field(sa_column=Column(Text, nullable=False))


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for bulk inserts: `insert(table_of(Response))`."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


# The dashboard's own tables: log-in sessions, alert acknowledgements, comment handling.


class DashboardSession(SQLModel, table=True):
    """A logged-in browser; the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "dashboard_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    csrf_token: str = Field(max_length=64)
    created: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    expires: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False, index=True))


class LoginAttempt(SQLModel, table=True):
    """Failed log-ins of one key (`user:NAME` or `ip:ADDRESS`) in the window ending at `window_end`.

    Both log-in doors (the dashboard form and `POST /api/v1/auth/token`) count here (`login_limits.py`)."""

    __tablename__ = "login_attempt"

    key: str = Field(primary_key=True, max_length=255)
    failures: int = Field(default=0)
    window_end: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False, index=True))


class AlertAck(SQLModel, table=True):
    """A leader's acknowledgement of an alert ballot, with who, when and the note written."""

    __tablename__ = "alert_ack"

    response_id: str = Field(primary_key=True, foreign_key="response.id", max_length=36)
    user_id: int = Field(foreign_key="user.id")
    username: str = Field(max_length=100)
    note: str = Field(sa_column=Column(Text, nullable=False))
    acked_at: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class CommentState(SQLModel, table=True):
    """Whether a citizen's comment was handled ("đã xử lý"), and by whom and when it last changed."""

    __tablename__ = "comment_state"

    response_id: str = Field(primary_key=True, foreign_key="response.id", max_length=36)
    handled: bool = False
    user_id: int = Field(foreign_key="user.id")
    username: str = Field(max_length=100)
    changed_at: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class ReportMailing(SQLModel, table=True):
    """One closed period's report e-mailed (or failing to be) to a unit's recipients, kept once per period."""

    __tablename__ = "report_mailing"
    __table_args__ = (UniqueConstraint("unit_id", "period_key", name="uq_report_mailing_unit_period"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    period_key: str = Field(max_length=16)  # "2026-03", "2026-Q1", "2026-H1", "2026"
    status: str = Field(max_length=8)  # "sent" | "failed"
    attempts: int = 0
    recipients: str = Field(sa_column=Column(Text, nullable=False))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    updated_at: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class ApologyLetter(SQLModel, table=True):
    """A "Phiếu xin lỗi và hẹn lại ngày trả kết quả" (Mẫu 04, TT 01/2018/TT-VPCP), numbered per unit, year."""

    __tablename__ = "apology_letter"
    __table_args__ = (UniqueConstraint("unit_id", "year", "number", name="uq_apology_letter_number"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    year: int
    number: int
    dossier_code: str = Field(max_length=100)
    procedure: str = Field(max_length=500)
    applicant: str = Field(max_length=300)  # the citizen or organisation
    received_on: dt.date | None = None
    promised_on: dt.date
    new_on: dt.date
    reason: str = Field(sa_column=Column(Text, nullable=False))
    issued_on: dt.date
    created_by: str = Field(max_length=100)
    created_at: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


# Cases (issue 15): a citizen's comment, an alert ballot or an alert of a unit's rule, handled step by
# step (CASE_STATES) with every step kept in `case_event`. Filled at ingest by `alert_rules`.

CASE_STATES = ("moi", "dang_xu_ly", "da_lien_he", "da_xu_ly", "khong_can_xu_ly")
CASE_OPEN_STATES = ("moi", "dang_xu_ly", "da_lien_he")
RULE_KINDS = ("window_unhappy", "day_below", "month_above")


class Case(SQLModel, table=True):
    __tablename__ = "case_item"
    __table_args__ = (
        UniqueConstraint("kind", "response_id", name="uq_case_ballot"),
        UniqueConstraint("rule_id", "window_key", name="uq_case_rule_window"),
        Index("ix_case_unit_kind_day", "unit_id", "kind", "day", "opened_at"),
        Index("ix_case_kind_state", "kind", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)  # "comment" | "alert" (a ballot's) | "rule" (a unit's rule)
    unit_id: int = Field(foreign_key="unit.id")
    response_id: str | None = Field(default=None, foreign_key="response.id", max_length=36)
    rule_id: int | None = Field(default=None, foreign_key="alert_rule.id")
    window_key: str | None = Field(default=None, max_length=40)  # the rule's minute, day or month
    opened_at: dt.datetime = _utc()  # the ballot's submission, or the end of the rule's window
    day: dt.date  # the local day it belongs to (periods filter on it)
    staff_id: str | None = Field(default=None, max_length=64)
    rating: int | None = None
    topics: str = Field(default="", max_length=400)  # ",tien_qua,cho_lau," (taxonomy ids)
    reasons: str = Field(default="", max_length=400)  # alert kinds, "chu_de:tien_qua", a rule's kind
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # a rule's figures
    folded: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    positive: bool = False
    state: str = Field(default="moi", max_length=20)
    updated_at: dt.datetime = _utc(now=True)
    updated_by: str = Field(default="", max_length=100)


class CaseEvent(SQLModel, table=True):
    """One step of a case: who moved it to which state, when, and the note they wrote."""

    __tablename__ = "case_event"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_item.id", index=True)
    state: str = Field(max_length=20)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    username: str = Field(max_length=100)
    note: str = Field(sa_column=Column(Text, nullable=False))
    at: dt.datetime = _utc()


class AlertRule(SQLModel, table=True):
    """A unit's rule, set by an administrator, evaluated at ingest over its whole subtree."""

    __tablename__ = "alert_rule"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    kind: str = Field(max_length=16)  # RULE_KINDS
    threshold: float  # % of "không hài lòng", or the satisfaction index (%)
    window_min: int | None = None  # window_unhappy only
    min_answers: int
    active: bool = True
    created_by: str = Field(max_length=100)
    created_at: dt.datetime = _utc(now=True)


class RuleWindowCount(SQLModel, table=True):
    """Overall answers and "không hài lòng" (1-2) per unit with a window rule and UTC minute."""

    __tablename__ = "rule_window_count"
    __table_args__ = _NO_ROWID

    unit_id: int = Field(primary_key=True, foreign_key="unit.id")
    minute: dt.datetime = Field(sa_column=Column(UtcDateTime(), primary_key=True))
    answers: int = 0
    unhappy: int = 0


class RollupHour(SQLModel, table=True):
    """Overall answers and satisfied ones (4–5) per (unit or ancestor, local day, local hour): the
    "when" tab's hour × weekday grid. Filled at ingest by `alert_rules`."""

    __tablename__ = "rollup_hour"
    __table_args__ = _NO_ROWID

    unit_id: int = Field(primary_key=True, foreign_key="unit.id")
    day: dt.date = Field(primary_key=True)
    hour: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    answers: int = 0
    satisfied: int = 0


class RollupDevice(SQLModel, table=True):
    """Overall answers and satisfied ones per (the ballot's own unit, device, local day): by counter."""

    __tablename__ = "rollup_device"
    __table_args__ = _NO_ROWID

    unit_id: int = Field(primary_key=True, foreign_key="unit.id")
    device_id: str = Field(primary_key=True, max_length=36)
    day: dt.date = Field(primary_key=True)
    answers: int = 0
    satisfied: int = 0

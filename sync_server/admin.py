"""Administrative actions shared by the CLI, the API and the dashboard; each raises AdminError
with one sentence for the operator.

    unit = add_unit(session, "XA01", "UBND xã Hòa Bình")
    code = create_enrolment_code(session, unit, now=utcnow(), ttl_s=86400)
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import insert, select, update
from sqlmodel import Session, col

from surveys.loader import Survey
from surveys.opening_hours import HoursError, parse_hours

from .models import ROLES, Device, EnrolmentCode, Staff, SurveyVersion, Unit, User, utcnow
from .queries import UnknownUnit, unit_by_code
from .security import hash_password, hash_token, make_enrolment_code, make_token, normalise_code

__all__ = [
    "AdminError",
    "ImportSummary",
    "InvalidCode",
    "add_unit",
    "add_user",
    "create_enrolment_code",
    "create_enrolment_codes",
    "enrol_device",
    "import_staff",
    "load_survey_versions",
    "revoke_device",
]

PHOTO_TYPES = {".jpg": ".jpg", ".jpeg": ".jpg", ".png": ".png", ".webp": ".webp"}
MAX_PHOTO_BYTES = 5 * 1024 * 1024
STAFF_COLUMNS = ("id", "name", "title", "counter", "photo")


class AdminError(ValueError):
    """An operator's mistake, explained in one sentence."""


class InvalidCode(AdminError):
    """The enrolment code is unknown, used or expired."""


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def _unit(session: Session, code: str) -> Unit:
    try:
        return unit_by_code(session, code)
    except UnknownUnit as exc:
        raise AdminError(str(exc)) from None


def add_unit(
    session: Session, code: str, name: str, timezone: str = "Asia/Ho_Chi_Minh", parent: str | None = None
) -> Unit:
    """Create a unit (an office); the parent, when given, must exist already."""
    code, name = _nfc(code), _nfc(name)
    if not code or len(code) > 64 or not all(ch.isalnum() or ch in "-_." for ch in code):
        raise AdminError("A unit code is 1–64 letters, digits, '-', '_' or '.', e.g. XA01.")
    if not name:
        raise AdminError('A unit needs a name, e.g. "UBND xã Hòa Bình".')
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise AdminError(
            f"Unknown time zone {timezone!r}; use an IANA name such as Asia/Ho_Chi_Minh."
        ) from None
    if session.execute(select(Unit).where(col(Unit.code) == code)).first() is not None:
        raise AdminError(f"A unit with code {code!r} exists already.")
    parent_id = _unit(session, parent).id if parent else None
    unit = Unit(code=code, name=name, timezone=timezone, parent_id=parent_id)
    session.add(unit)
    session.flush()
    return unit


# Field of `unit set` -> (column, longest value); "" given on the command line clears a field.
OFFICIAL_FIELDS = {
    "governing_body": 200,
    "issuing_body": 200,
    "place_name": 100,
    "signer_name": 100,
    "signer_title": 100,
    "number_series": 40,
}


def set_opening_hours(session: Session, code: str, text: str) -> Unit:
    """Set when the unit's kiosks take ballots ("T2-T6 07:30-11:30, 13:30-17:00; T7 07:30-11:30");
    an empty text means always. Raises AdminError with one sentence for a mistyped schedule."""
    unit = _unit(session, code)
    if text.strip():
        try:
            hours = parse_hours(text)
        except HoursError as exc:
            raise AdminError(f"--hours: {exc}") from None
        unit.opening_hours = json.dumps(hours)
    else:
        unit.opening_hours = None
    session.add(unit)
    session.flush()
    return unit


def set_unit_names(
    session: Session,
    code: str,
    *,
    name: str | None = None,
    deputy_signs: bool | None = None,
    recipients: list[str] | None = None,
    report_periods: str | None = None,
    report_emails: list[str] | None = None,
    **official: str | None,
) -> Unit:
    """Set a unit's official names and signature for its reports; fields left as None are unchanged.

    An empty string clears a field (the report derives it from the unit's name again).
    """
    unit = _unit(session, code)
    if name is not None:
        if not _nfc(name):
            raise AdminError('A unit needs a name, e.g. "Xã Hòa Bình".')
        unit.name = _nfc(name)
    for field_name, value in official.items():
        if field_name not in OFFICIAL_FIELDS:
            raise AdminError(f"Unknown unit field {field_name!r}.")
        if value is None:
            continue
        text = _nfc(value)
        if len(text) > OFFICIAL_FIELDS[field_name]:
            raise AdminError(
                f"--{field_name.replace('_', '-')} is {len(text)} characters; "
                f"at most {OFFICIAL_FIELDS[field_name]} fit on a report."
            )
        if field_name == "number_series" and text and not all(ch.isalnum() or ch in "-/" for ch in text):
            raise AdminError(f"--number-series {text!r} should look like BC-UBND (letters, digits, '-').")
        setattr(unit, field_name, text or None)
    if deputy_signs is not None:
        unit.deputy_signs = deputy_signs
    if recipients is not None:
        lines = [_nfc(r) for r in recipients if _nfc(r)]
        unit.recipients = json.dumps(lines, ensure_ascii=False) if lines else None
    if report_periods is not None:
        if report_periods not in ("calendar", "cutoff"):
            raise AdminError(f"--periods {report_periods!r} is not calendar or cutoff.")
        unit.report_periods = report_periods
    if report_emails is not None:
        addresses = [a.strip() for a in report_emails if a.strip()]
        for address in addresses:
            local, _, domain = address.partition("@")
            if not local or "." not in domain or any(ch.isspace() for ch in address):
                raise AdminError(f"--report-email {address!r} is not an e-mail address.")
        unit.report_emails = json.dumps(addresses) if addresses else None
    session.add(unit)
    session.flush()
    return unit


@dataclass(frozen=True)
class ImportSummary:
    """What a staff import changed."""

    added: int
    updated: int
    unchanged: int
    deactivated: int

    def __str__(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.deactivated} deactivated"
        )


def _store_photo(source: Path, photo_dir: Path, where: str) -> tuple[str, str]:
    ext = PHOTO_TYPES.get(source.suffix.lower())
    if ext is None:
        raise AdminError(f"{where}: photo {source.name!r} must be a .jpg, .png or .webp file.")
    try:
        data = source.read_bytes()
    except OSError:
        raise AdminError(f"{where}: photo file {str(source)!r} cannot be read.") from None
    if len(data) > MAX_PHOTO_BYTES:
        raise AdminError(f"{where}: photo {source.name!r} is larger than 5 MB.")
    digest = hashlib.sha256(data).hexdigest()
    name = f"{digest[:32]}{ext}"
    photo_dir.mkdir(parents=True, exist_ok=True)
    target = photo_dir / name
    if not target.exists():
        tmp = photo_dir / f".{name}.tmp"
        tmp.write_bytes(data)
        tmp.replace(target)
    return name, digest


def import_staff(
    session: Session, unit_code: str, csv_path: Path, photo_dir: Path, now: dt.datetime | None = None
) -> ImportSummary:
    """Bring the unit's officers in line with a CSV `id,name,title,counter,photo`.

    Photos are paths relative to the CSV file. Officers missing from the file are deactivated,
    never deleted (their ballots keep pointing at them).
    """
    now = now or utcnow()
    unit = _unit(session, unit_code)
    try:
        text = csv_path.read_bytes().decode("utf-8-sig")
    except OSError:
        raise AdminError(f"The staff file {str(csv_path)!r} cannot be read.") from None
    except UnicodeDecodeError:
        raise AdminError(
            f"The staff file {str(csv_path)!r} is not UTF-8 text; save it as CSV UTF-8."
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("id", "name") if c not in header]
    if missing:
        raise AdminError(
            f"The staff file needs the columns {', '.join(STAFF_COLUMNS)}; {missing[0]!r} is missing."
        )
    reader.fieldnames = header
    wanted: dict[str, dict[str, str | None]] = {}
    for line_no, record in enumerate(reader, start=2):
        where = f"{csv_path.name} line {line_no}"
        sid = _nfc(record.get("id") or "")
        name = _nfc(record.get("name") or "")
        if not sid and not name and not any((v or "").strip() for v in record.values() if isinstance(v, str)):
            continue  # a blank line
        if not sid or len(sid) > 64:
            raise AdminError(f"{where}: the officer id is empty or longer than 64 characters.")
        if not name:
            raise AdminError(f"{where}: officer {sid!r} has no name.")
        if sid in wanted:
            raise AdminError(f"{where}: officer id {sid!r} appears twice.")
        photo = _nfc(record.get("photo") or "")
        photo_name = photo_hash = None
        if photo:
            source = Path(photo) if Path(photo).is_absolute() else csv_path.parent / photo
            if not source.is_file():
                raise AdminError(f"{where}: photo file {photo!r} was not found.")
            photo_name, photo_hash = _store_photo(source, photo_dir, where)
        wanted[sid] = {
            "name": name[:200],
            "title": _nfc(record.get("title") or "")[:200],
            "counter": _nfc(record.get("counter") or "")[:64],
            "photo_path": photo_name,
            "photo_hash": photo_hash,
        }
    if not wanted:
        raise AdminError(f"The staff file {csv_path.name!r} lists no officer; nobody was changed.")
    existing = {
        s.id: s for s in session.execute(select(Staff).where(col(Staff.unit_id) == unit.id)).scalars()
    }
    added = updated = unchanged = deactivated = 0
    for sid, fields in wanted.items():
        staff = existing.get(sid)
        if staff is None:
            assert unit.id is not None
            session.add(Staff(id=sid, unit_id=unit.id, active=True, updated_at=now, **fields))  # type: ignore[arg-type]
            added += 1
            continue
        changed = not staff.active
        for key, value in fields.items():
            if getattr(staff, key) != value:
                setattr(staff, key, value)
                changed = True
        staff.active = True
        if changed:
            staff.updated_at = now
            updated += 1
        else:
            unchanged += 1
    for sid, staff in existing.items():
        if sid not in wanted and staff.active:
            staff.active = False
            staff.updated_at = now
            deactivated += 1
    session.flush()
    return ImportSummary(added, updated, unchanged, deactivated)


def add_user(session: Session, username: str, password: str, role: str, unit_code: str | None = None) -> User:
    """Create a dashboard/API user; leaders and viewers need a unit."""
    username = _nfc(username)
    if not username or len(username) > 100 or any(ch.isspace() for ch in username):
        raise AdminError("A username is 1–100 characters without spaces.")
    if role not in ROLES:
        raise AdminError(f"The role must be one of {', '.join(ROLES)}, not {role!r}.")
    if len(password) < 8:
        raise AdminError("The password must have at least 8 characters.")
    if role != "admin" and not unit_code:
        raise AdminError(f"A {role} sees one unit's figures: give it with --unit CODE.")
    unit_id = _unit(session, unit_code).id if unit_code else None
    if session.execute(select(User).where(col(User.username) == username)).first() is not None:
        raise AdminError(f"A user named {username!r} exists already.")
    user = User(username=username, password_hash=hash_password(password), role=role, unit_id=unit_id)
    session.add(user)
    session.flush()
    return user


def create_enrolment_code(session: Session, unit_code: str, now: dt.datetime, ttl_s: int) -> tuple[str, Unit]:
    """A new one-time code for a unit (only its hash is kept); returns the code and the unit."""
    unit = _unit(session, unit_code)
    assert unit.id is not None
    code = make_enrolment_code()
    session.add(
        EnrolmentCode(
            code_hash=hash_token(normalise_code(code)),
            unit_id=unit.id,
            created=now,
            expires=now + dt.timedelta(seconds=ttl_s),
        )
    )
    session.flush()
    return code, unit


def create_enrolment_codes(
    session: Session, unit_code: str, now: dt.datetime, ttl_s: int, count: int
) -> tuple[list[str], Unit]:
    """`count` one-time codes for a unit in one insert (a fleet of kiosks); returns the codes and the unit."""
    unit = _unit(session, unit_code)
    assert unit.id is not None
    codes = [make_enrolment_code() for _ in range(count)]
    expires = now + dt.timedelta(seconds=ttl_s)
    rows = [
        {"code_hash": hash_token(normalise_code(c)), "unit_id": unit.id, "created": now, "expires": expires}
        for c in codes
    ]
    session.execute(insert(EnrolmentCode), rows)
    return codes, unit


def enrol_device(
    session: Session,
    code: str,
    name: str,
    now: dt.datetime,
    install_id: str | None = None,
    ballot_key: str | None = None,
) -> tuple[Device, str, Unit]:
    """Spend a one-time code: a new device, its bearer token (shown once) and its unit.

    The install that spent the code may present it again within the code's lifetime (its reply was
    lost): it gets the same device with a new token, and the token issued before stops working.
    """
    code_hash = hash_token(normalise_code(code))
    row = session.get(EnrolmentCode, code_hash)
    if row is None or row.expires <= now:
        raise InvalidCode("The enrolment code is unknown, used or expired.")
    if row.used is not None:
        if install_id is None or row.install_id != install_id or row.device_id is None:
            raise InvalidCode("The enrolment code is unknown, used or expired.")
        return _enrol_again(session, row, now, ballot_key)
    device_id = str(uuid.uuid4())
    # Only one device can win a code, even when two enrol at the same moment.
    spent = session.execute(
        update(EnrolmentCode)
        .where(col(EnrolmentCode.code_hash) == code_hash, col(EnrolmentCode.used).is_(None))
        .values(used=now, device_id=device_id, install_id=install_id)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidCode("The enrolment code is unknown, used or expired.")
    token = make_token()
    device = Device(
        id=device_id,
        unit_id=row.unit_id,
        name="".join(ch for ch in _nfc(name) if ch.isprintable())[:200],
        token_hash=hash_token(token),
        created=now,
        last_seen=now,
        ballot_key=ballot_key,
    )
    session.add(device)
    session.flush()
    unit = session.get(Unit, row.unit_id)
    assert unit is not None
    return device, token, unit


def _enrol_again(
    session: Session, row: EnrolmentCode, now: dt.datetime, ballot_key: str | None
) -> tuple[Device, str, Unit]:
    device = session.get(Device, row.device_id)
    if device is None or device.revoked:
        raise InvalidCode("The enrolment code is unknown, used or expired.")
    token = make_token()
    device.token_hash = hash_token(token)
    if ballot_key is not None:
        device.ballot_key = ballot_key
    device.last_seen = now
    session.add(device)
    session.flush()
    unit = session.get(Unit, row.unit_id)
    assert unit is not None
    return device, token, unit


def revoke_device(session: Session, device_id: str) -> Device:
    """Revoke a device's token: its next call gets 401."""
    device = session.get(Device, device_id)
    if device is None:
        raise AdminError(f"There is no device {device_id!r}.")
    device.revoked = True
    session.flush()
    return device


def load_survey_versions(
    session: Session, surveys: list[Survey], now: dt.datetime | None = None
) -> list[str]:
    """Store definitions the server does not know yet; a known version with other content is refused.

    Returns one line per survey: "loaded …" or "already loaded …".
    """
    now = now or utcnow()
    lines: list[str] = []
    for survey in surveys:
        row = (
            session.execute(
                select(SurveyVersion).where(
                    col(SurveyVersion.survey_id) == survey.id, col(SurveyVersion.version) == survey.version
                )
            )
            .scalars()
            .first()
        )
        if row is not None:
            if row.content_hash != survey.content_hash:
                raise AdminError(
                    f"{survey.source}: survey {survey.id!r} version {survey.version} is already loaded with "
                    "other content; give the changed file a new version."
                )
            lines.append(f"already loaded {survey.id} {survey.version}")
            continue
        session.add(
            SurveyVersion(
                survey_id=survey.id,
                version=survey.version,
                content_hash=survey.content_hash,
                json_=survey.to_json(),
                source=str(survey.source)[:300],
                loaded_at=now,
            )
        )
        lines.append(f"loaded {survey.id} {survey.version}")
    session.flush()
    return lines

"""The device's working configuration: the survey, the officers at the counters, the unit and timings.

It comes from the configuration the server last sent (saved in the store as `config_json`), or, before
enrolment, from the bundled default survey plus an optional local roster file (JSON or CSV).

    config = load_config(store, settings.home, settings.config_file)
    config.survey.id, [o.name for o in config.staff]   # ('chinh-quyen-than-thien', ['Nguyễn Thị Lan', …])
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from surveys.loader import Survey, SurveyError, default_survey_path, load_survey, parse_survey
from surveys.opening_hours import HoursError, check_hours

if TYPE_CHECKING:
    from kiosk.store import KioskStore

__all__ = [
    "DEFAULT_TIMEZONE",
    "PHOTO_SUFFIXES",
    "ConfigError",
    "KioskConfig",
    "Officer",
    "config_from_json",
    "load_config",
    "read_roster",
]

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


class ConfigError(ValueError):
    """A configuration or roster the kiosk cannot use; the message is one sentence naming the place."""


@dataclass(frozen=True)
class Officer:
    """An officer a citizen can rate."""

    id: str
    name: str
    title: str
    counter: str
    photo_path: Path | None


@dataclass(frozen=True)
class KioskConfig:
    """What the kiosk asks, about whom, for which unit, and its timings."""

    survey: Survey
    staff: tuple[Officer, ...]
    unit_code: str
    unit_name: str
    timezone: str
    idle_timeout_s: float
    detail_items_per_ballot: int
    config_version: str
    source: str = "default"  # "server" (enrolled), "file" (--config) or "default"
    warning: str | None = None  # why a saved configuration was not used, for the admin screen
    # The unit's kiosk PIN as a kiosk.store.hash_pin() value, when the server sends one
    # (settings.kiosk_pin_hash); a PIN set on the device itself wins.
    kiosk_pin_hash: str | None = None
    # Phone ballots (issue 17): the unit's web switch, and its other channels [("hotline", "…"), …].
    web_ballots: bool = False
    channels: tuple[tuple[str, str], ...] = ()
    # The unit's opening hours (settings.opening_hours, surveys/opening_hours.py); None = always open.
    opening_hours: dict[str, list[list[str]]] | None = None

    def officer(self, staff_id: str) -> Officer:
        """The officer with this id (KeyError if not on the roster)."""
        for officer in self.staff:
            if officer.id == staff_id:
                return officer
        raise KeyError(staff_id)


def config_from_json(data: Mapping[str, Any], photos_dir: Path) -> KioskConfig:
    """The sync protocol's config body → KioskConfig; photos are `photos_dir/<officer id>.<ext>`."""
    if not isinstance(data, Mapping):
        raise ConfigError("the configuration is not a JSON object.")
    try:
        survey = parse_survey(data["survey"], source="config")
    except KeyError:
        raise ConfigError("the configuration has no survey.") from None
    except SurveyError as exc:
        raise ConfigError(f"the configuration's survey is invalid: {exc}.") from None
    unit = data.get("unit") or {}
    settings = data.get("settings") or {}
    staff = _officers(data.get("staff") or [], "the configuration", lambda o: _find_photo(photos_dir, o))
    try:
        idle = float(settings.get("idle_timeout_s", 45))
        details = int(settings.get("detail_items_per_ballot", 4))
    except (TypeError, ValueError):
        raise ConfigError("the configuration's settings have a non-numeric timing.") from None
    if idle <= 0 or details < 0:
        raise ConfigError("the configuration's settings have a negative timing.")
    hours, hours_warning = None, None
    if settings.get("opening_hours") is not None:
        try:
            hours = check_hours(settings["opening_hours"])
        except HoursError as exc:
            # Unusable hours never stop the kiosk: it stays open and the admin screen says why.
            hours_warning = f"opening hours ignored: {exc}"
    return KioskConfig(
        survey=survey,
        staff=staff,
        unit_code=_nfc(str(unit.get("code") or "")),
        unit_name=_nfc(str(unit.get("name") or "")),
        timezone=str(unit.get("timezone") or DEFAULT_TIMEZONE),
        idle_timeout_s=idle,
        detail_items_per_ballot=details,
        config_version=str(data.get("config_version") or f"survey-{survey.content_hash[:12]}"),
        source="server",
        kiosk_pin_hash=_pin_hash(settings.get("kiosk_pin_hash")),
        web_ballots=unit.get("web_ballots") is True,
        channels=_channels(unit.get("channels")),
        opening_hours=hours,
        warning=hours_warning,
    )


def _channels(value: Any) -> tuple[tuple[str, str], ...]:
    """The unit's channels as sent (additive field); anything malformed is left out, never fatal."""
    if not isinstance(value, Mapping):
        return ()
    return tuple((str(k), _nfc(str(v))[:200]) for k, v in value.items() if isinstance(v, str) and v.strip())


def _pin_hash(value: Any) -> str | None:
    """A hash_pin() value from the configuration, or None (absent or not such a hash)."""
    return value if isinstance(value, str) and value.startswith("scrypt$") and value.count("$") == 5 else None


def read_roster(path: Path) -> tuple[tuple[Officer, ...], dict[str, str]]:
    """Officers (and unit fields, if given) from a CSV `id,name,title,counter,photo` or a JSON file.

    JSON is a list of officers or {"unit": {"code", "name", "timezone"}, "staff": [...]}; a photo path
    is relative to the roster's folder.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text.") from None

    def photo(entry: Mapping[str, Any]) -> Path | None:
        value = entry.get("photo") or entry.get("photo_path")
        if not value:
            return None
        candidate = Path(str(value))
        candidate = candidate if candidate.is_absolute() else path.parent / candidate
        if not candidate.is_file():
            raise ConfigError(f"{path}: the photo of officer {entry.get('id')!r} is missing ({candidate}).")
        return candidate

    if path.suffix.lower() == ".csv":
        try:
            reader = csv.DictReader(io.StringIO(text, newline=""))
            # Spreadsheets write "ID", " Name "…: match columns loosely.
            rows = [
                {(key or "").strip().lower(): (value or "").strip() for key, value in row.items() if key}
                for row in reader
            ]
        except csv.Error as exc:
            raise ConfigError(f"{path}: not a readable CSV file ({exc}).") from None
        missing = {"id", "name"} - set(rows[0].keys() if rows else ())
        if rows and missing:
            raise ConfigError(f"{path} lacks the column(s) {', '.join(sorted(missing))}.")
        return _officers(rows, str(path), photo), {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}).") from None
    if isinstance(data, list):
        return _officers(data, str(path), photo), {}
    if isinstance(data, dict) and isinstance(data.get("staff", []), list):
        unit = data.get("unit") or {}
        if not isinstance(unit, dict):
            raise ConfigError(f"{path}: 'unit' must be an object.")
        fields = {k: _nfc(str(unit[k])) for k in ("code", "name", "timezone") if unit.get(k)}
        return _officers(data.get("staff", []), str(path), photo), fields
    raise ConfigError(f"{path} must hold a list of officers or an object with 'staff'.")


def load_config(store: KioskStore, home: Path, config_file: Path | None = None) -> KioskConfig:
    """The configuration to run with: the server's saved one, else the default survey + `config_file`.

    A saved configuration that no longer loads is skipped (`warning` says why) so the kiosk keeps
    working; a bad `config_file` raises ConfigError (the operator just typed it).
    """
    warning = None
    saved = store.get("config_json")
    if saved:
        try:
            return config_from_json(json.loads(saved), home / "photos")
        except (ConfigError, json.JSONDecodeError) as exc:
            warning = f"the saved server configuration is unusable ({exc}); using the default survey"
    if config_file is not None and config_file.suffix.lower() == ".json":
        data = _json_file(config_file)
        if isinstance(data, dict) and "survey" in data:
            try:
                config = config_from_json(data, config_file.parent / "photos")
            except ConfigError as exc:
                raise ConfigError(f"{config_file}: {exc}") from None
            return replace(config, source="file", warning=warning)
    try:
        survey = load_survey(default_survey_path())
    except SurveyError as exc:
        raise ConfigError(f"the bundled survey does not load: {exc}.") from None
    staff: tuple[Officer, ...] = ()
    unit: dict[str, str] = {}
    if config_file is not None:
        staff, unit = read_roster(config_file)
    return KioskConfig(
        survey=survey,
        staff=staff,
        unit_code=unit.get("code", "DEMO"),
        unit_name=unit.get("name", "Đơn vị trình diễn"),
        timezone=unit.get("timezone", DEFAULT_TIMEZONE),
        idle_timeout_s=45.0,
        detail_items_per_ballot=4,
        config_version=f"local-{survey.content_hash[:12]}",
        source="file" if config_file is not None else "default",
        warning=warning,
    )


def _json_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text.") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}).") from None


def _officers(entries: Sequence[Any], where: str, photo: Any) -> tuple[Officer, ...]:
    officers: list[Officer] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where}: officer {number} is not an object.")
        officer_id = str(entry.get("id") or "").strip()
        name = _nfc(str(entry.get("name") or "").strip())
        if not officer_id:
            raise ConfigError(f"{where}: officer {number} has no id.")
        if not name:
            raise ConfigError(f"{where}: officer {officer_id!r} has no name.")
        if officer_id in seen:
            raise ConfigError(f"{where}: officer id {officer_id!r} appears twice.")
        seen.add(officer_id)
        officers.append(
            Officer(
                id=officer_id,
                name=name,
                title=_nfc(str(entry.get("title") or "").strip()),
                counter=_nfc(str(entry.get("counter") or "").strip()),
                photo_path=photo(entry),
            )
        )
    return tuple(officers)


def _find_photo(photos_dir: Path, entry: Mapping[str, Any]) -> Path | None:
    if not entry.get("photo_url"):
        return None
    for suffix in PHOTO_SUFFIXES:
        candidate = photos_dir / f"{entry.get('id')}{suffix}"
        if candidate.is_file():
            return candidate
    return None  # not downloaded yet: the UI shows the officer's initials


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)

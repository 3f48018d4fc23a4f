"""`survey-kiosk`: run the counter app, show its state, enrol it and sync it.

survey-kiosk run --autopilot 20 --seed 1 --speed 10 --screenshots shots/
survey-kiosk status
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from kiosk.settings import LANGS, MODES, KioskSettings, SettingsError

__all__ = ["build_parser", "main"]

PROG = "survey-kiosk"


class _Parser(argparse.ArgumentParser):
    """argparse that reports a user's mistake in one sentence, without the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message.rstrip('.')}. See '{self.prog} --help'.\n")


class UserError(Exception):
    """A mistake the operator can fix; printed as one sentence, exit status 1 or 2."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def build_parser() -> argparse.ArgumentParser:
    """The command line: run, status, enrol, sync."""
    parser = _Parser(prog=PROG, description="The 'Chính quyền thân thiện' satisfaction kiosk.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    run = commands.add_parser("run", help="start the kiosk app (touch screen or tablet)")
    run.add_argument("--fullscreen", action="store_true", default=None, help="fill the screen")
    run.add_argument("--mode", choices=MODES, help="kiosk (counter, shared) or tablet (one officer)")
    run.add_argument("--lang", choices=LANGS, help="language shown first (vi or en)")
    run.add_argument(
        "--config", type=Path, metavar="FILE", help="roster CSV/JSON or config JSON to use before enrolment"
    )
    run.add_argument("--autopilot", type=_positive_int, metavar="N", help="tap through N ballots, then quit")
    run.add_argument(
        "--seed", type=int, default=0, metavar="S", help="random seed for --autopilot (default 0)"
    )
    run.add_argument(
        "--speed",
        type=_positive_float,
        default=1.0,
        metavar="X",
        help="autopilot speed, 1 = human pace (default 1)",
    )
    run.add_argument("--screenshots", type=Path, metavar="DIR", help="save a PNG of every screen shown")

    commands.add_parser("status", help="counts by status, last sync, last error, server, device, config")

    enrol = commands.add_parser("enrol", help="register this device with a sync server")
    enrol.add_argument("--server", required=True, metavar="URL", help="the sync server's address")
    enrol.add_argument("--code", required=True, metavar="CODE", help="the one-time enrolment code")
    enrol.add_argument("--name", metavar="NAME", help='a name for this device, e.g. "Quầy 1"')
    enrol.add_argument(
        "--pin", metavar="PIN", help="the admin PIN (4-8 digits) that opens this kiosk's settings"
    )
    enrol.add_argument(
        "--ca-bundle",
        metavar="FILE",
        help="PEM certificate(s) of the CA that signed the server's certificate",
    )

    commands.add_parser("sync", help="push pending ballots and pull the configuration now")

    pin = commands.add_parser("pin", help="set this kiosk's admin PIN (the glass never sets a first one)")
    pin.add_argument("--pin", required=True, metavar="PIN", help="the new admin PIN, 4-8 digits")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `survey-kiosk` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "status":
            return _status(_settings())
        if args.command == "enrol":
            return int(
                _sync_cli().enrol(
                    _settings(),
                    server=args.server,
                    code=args.code,
                    name=args.name,
                    pin=args.pin,
                    ca_bundle=args.ca_bundle,
                )
            )
        if args.command == "pin":
            return _set_pin(_settings(), args.pin)
        return int(_sync_cli().sync(_settings()))
    except UserError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        return 130


def _set_pin(settings: KioskSettings, pin: str) -> int:
    """`survey-kiosk pin --pin 2468`: the admin PIN, hashed in the kiosk's store."""
    from kiosk.store import KioskStore, StoreUnavailable, hash_pin

    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        raise UserError("--pin must be 4 to 8 digits.", 2)
    try:
        with KioskStore(settings.db_path) as store:
            store.set("admin_pin_hash", hash_pin(pin))
    except StoreUnavailable as exc:
        raise UserError(f"the kiosk's data cannot be opened: {exc}.") from None
    print(f"{PROG}: the admin PIN is set; the hidden corner of the welcome screen now asks for it.")
    return 0


def _settings(**overrides: Any) -> KioskSettings:
    try:
        return KioskSettings.from_env(**overrides)
    except SettingsError as exc:
        raise UserError(str(exc), 2) from None


def _run(args: argparse.Namespace) -> int:
    from kiosk.config import ConfigError, load_config
    from kiosk.store import KioskStore, StoreUnavailable

    if args.config is not None and not args.config.is_file():
        raise UserError(f"the configuration file {args.config} does not exist.", 2)
    settings = _settings(fullscreen=args.fullscreen, mode=args.mode, lang=args.lang, config_file=args.config)
    # Check what can be checked before the window opens, so a mistake is one sentence here.
    try:
        with KioskStore(settings.db_path) as store:
            config = load_config(store, settings.home, settings.config_file)
    except StoreUnavailable as exc:
        raise UserError(f"the kiosk's data cannot be opened: {exc}.") from None
    except ConfigError as exc:
        raise UserError(str(exc), 2) from None
    if config.source == "server" and args.config is not None:
        print(
            f"{PROG}: this device is enrolled; using the server's configuration, not {args.config}.",
            file=sys.stderr,
        )
    if args.screenshots is not None:
        try:
            args.screenshots.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(
                f"cannot create the screenshot folder {args.screenshots}: {exc.strerror}."
            ) from None
    # Kivy reads these when first imported: set them before the UI module loads it.
    os.environ["KIVY_HOME"] = str(settings.kivy_home)
    os.environ["KIVY_NO_ARGS"] = "1"
    settings.kivy_home.mkdir(parents=True, exist_ok=True)
    try:
        app = importlib.import_module("kiosk.ui.app")
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == "kivy" or exc.name.startswith(("kivy.", "kiosk.ui"))):
            raise UserError(
                "the kiosk app is not installed in this build (install the 'kiosk' extra).", 2
            ) from None
        raise
    status = app.run_app(
        settings, autopilot=args.autopilot, seed=args.seed, speed=args.speed, screenshots=args.screenshots
    )
    return int(status or 0)


def _status(settings: KioskSettings) -> int:
    from kiosk.config import ConfigError, load_config
    from kiosk.store import STATUSES, KioskStore, StoreUnavailable

    counts: dict[str, int] = {}
    saved: dict[str, str | None] = dict.fromkeys(_STATUS_KEYS)
    version, unit, fault, warning = "-", "-", None, None
    # A kiosk never started has no data: report that, without creating the file.
    if settings.db_path.is_file():
        try:
            with KioskStore(settings.db_path) as store:
                counts = store.counts_by_status()
                saved = {key: store.get(key) for key in _STATUS_KEYS}
                fault = store.fault
                try:
                    config = load_config(store, settings.home)
                    version, unit = config.config_version, f"{config.unit_name} ({config.unit_code})"
                    warning = config.warning
                except ConfigError as exc:
                    warning = str(exc)
        except StoreUnavailable as exc:
            raise UserError(f"the kiosk's data cannot be read: {exc}.") from None
    if saved["config_json"] and version == "-":
        version = _saved_version(saved["config_json"])
    lines = [
        ("device", _device(saved)),
        ("server", saved["server_url"] or "not enrolled"),
        ("unit", unit),
        ("config version", version),
        ("last sync", saved["last_sync_at"] or "never"),
        ("last error", saved["last_error"] or fault or warning or "none"),
        ("data", _data_line(settings.db_path) if counts else f"{settings.db_path} (not created yet)"),
    ]
    width = max(len(label) for label, _ in lines) + 1
    for label, value in lines:
        print(f"{label + ':':<{width}} {value}")
    print("ballots:")
    for status in STATUSES:
        print(f"  {status + ':':<9} {counts.get(status, 0)}")
    return 0


def _data_line(db_path: Path) -> str:
    """The file, its size with the WAL, and the room left on its disk (a full card stops the kiosk)."""
    size = sum(p.stat().st_size for p in (db_path, Path(f"{db_path}-wal")) if p.exists())
    try:
        free = f", {shutil.disk_usage(db_path.parent).free / 1e6:,.0f} MB free on its disk"
    except OSError:
        free = ""
    used = f"{size / 1e6:,.1f} MB" if size >= 1e6 else f"{size / 1e3:,.0f} kB"
    return f"{db_path} ({used}{free})"


_STATUS_KEYS = ("device_name", "device_id", "server_url", "last_sync_at", "last_error", "config_json")


def _device(saved: dict[str, str | None]) -> str:
    name, device_id = saved["device_name"], saved["device_id"]
    if name and device_id:
        return f"{name} ({device_id})"
    return name or device_id or "not enrolled"


def _saved_version(config_json: str) -> str:
    try:
        return str(json.loads(config_json).get("config_version") or "-")
    except (ValueError, AttributeError):
        return "-"


def _sync_cli() -> Any:
    try:
        return importlib.import_module("kiosk.sync.cli")
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name.startswith("kiosk.sync") or exc.name in ("requests", "apscheduler")):
            raise UserError("sync is not installed in this build.", 2) from None
        raise


def _positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{raw} is not 1 or more")
    return value


def _positive_float(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{raw} is not above 0")
    return value


if __name__ == "__main__":
    sys.exit(main())

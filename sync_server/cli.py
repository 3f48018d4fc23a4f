"""`survey-server`: the operator's commands (see /work/shared/spec/commands.md).

Other modules add their commands with one line each at the bottom of this file, e.g.
`app.command("demo")(demo.demo_command)` or `app.add_typer(report_app, name="report")`.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from sync_server.admin import (
    AdminError,
    add_unit,
    add_user,
    create_enrolment_codes,
    import_staff,
    load_survey_versions,
    revoke_device,
)
from sync_server.cli_support import CliError, default_surveys_dir, fail, open_engine
from sync_server.db import make_engine, write_session
from sync_server.demo import demo_command
from sync_server.jobs import NightlyScheduler, nightly_command
from sync_server.migrations import current_revision, head_revision, upgrade
from sync_server.models import utcnow
from sync_server.reports.command import report_command
from sync_server.settings import Settings

__all__ = ["CliError", "app", "main", "open_engine"]

# Codes made by one `device code --count` (a province enrols its kiosks commune by commune).
MAX_CODES_AT_ONCE = 10_000

app = typer.Typer(
    name="survey-server",
    help="Sync server for the 'Chính quyền thân thiện' satisfaction kiosks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
unit_app = typer.Typer(help="Units (offices).", no_args_is_help=True)
staff_app = typer.Typer(help="Officers of a unit.", no_args_is_help=True)
user_app = typer.Typer(help="Dashboard and API accounts.", no_args_is_help=True)
device_app = typer.Typer(help="Kiosks and tablets.", no_args_is_help=True)
surveys_app = typer.Typer(help="Survey definitions.", no_args_is_help=True)
key_app = typer.Typer(help="The server's signing key (SURVEY_DATA_DIR/secret.key).", no_args_is_help=True)
contact_app = typer.Typer(help="Citizens' consented phone numbers.", no_args_is_help=True)
app.add_typer(unit_app, name="unit")
app.add_typer(staff_app, name="staff")
app.add_typer(user_app, name="user")
app.add_typer(device_app, name="device")
app.add_typer(surveys_app, name="surveys")
app.add_typer(key_app, name="key")
app.add_typer(contact_app, name="contact")
app.command("report")(report_command)
app.command("demo")(demo_command)
app.command("nightly")(nightly_command)


def _fail(message: str) -> NoReturn:
    fail(message)


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as exc:
        _fail(str(exc))


@app.command()
def init(
    surveys_dir: Annotated[
        Path | None, typer.Option("--surveys", help="Folder of survey .toml files (default: surveys/).")
    ] = None,
) -> None:
    """Create or upgrade the database schema and load the survey definitions."""
    from surveys.loader import SurveyError, load_surveys

    settings = _settings()
    folder = surveys_dir or default_surveys_dir(settings)
    try:
        definitions = load_surveys(folder)
    except SurveyError as exc:
        _fail(str(exc))
    if not definitions:
        _fail(f"No survey definition (*.toml) was found in {folder}.")
    engine = open_engine(settings, require_schema=False)
    upgrade(engine)
    with write_session(engine) as session:
        lines = load_survey_versions(session, definitions)
        session.commit()
    for line in lines:
        typer.echo(line)
    _settle_signing_key(engine, settings)
    typer.echo(_erase_expired(engine, settings))
    typer.echo(f"Database ready at revision {head_revision()}.")


def _erase_expired(engine: Engine, settings: Settings) -> str:
    """The retention step of the nightly job, also at `init` (an upgrade, a restored old backup)."""
    from sync_server.contacts import erase_expired_contacts, scrub_sqlite

    days = settings.contact_retention_days
    with write_session(engine) as session:
        erased = erase_expired_contacts(session, utcnow(), days)
        session.commit()
    scrub_sqlite(engine)
    return (
        f"Phone numbers older than {days} days erased: {erased.ballots} ballots, {erased.audit} audit copies."
    )


@unit_app.command("add")
def unit_add(
    code: Annotated[str, typer.Argument(help="Short unit code, e.g. XA01.")],
    name: Annotated[str, typer.Argument(help='Full name, e.g. "UBND xã Hòa Bình".')],
    timezone: Annotated[str, typer.Option(help="IANA time zone of the office.")] = "Asia/Ho_Chi_Minh",
    parent: Annotated[str | None, typer.Option(help="Code of the unit above this one.")] = None,
) -> None:
    """Add a unit (an office)."""
    engine = open_engine(_settings())
    with write_session(engine) as session:
        unit = add_unit(session, code, name, timezone, parent)
        session.commit()
        typer.echo(f"Unit {unit.code} added: {unit.name}.")


@staff_app.command("import")
def staff_import(
    unit: Annotated[str, typer.Argument(help="Unit code.")],
    csv_file: Annotated[Path, typer.Argument(help="CSV with columns id,name,title,counter,photo.")],
) -> None:
    """Import or update a unit's officers; officers missing from the file are deactivated."""
    settings = _settings()
    engine = open_engine(settings)
    with write_session(engine) as session:
        summary = import_staff(session, unit, csv_file, settings.photo_dir)
        session.commit()
    typer.echo(f"Staff of {unit}: {summary}.")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Log-in name.")],
    role: Annotated[str, typer.Option(help="admin, leader or viewer.")],
    unit: Annotated[str | None, typer.Option(help="Unit the account sees (with its child units).")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
) -> None:
    """Add an account; the password is asked for (or read from stdin)."""
    engine = open_engine(_settings())
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with write_session(engine) as session:
        user = add_user(session, username, password, role, unit)
        session.commit()
        scope = f"unit {unit}" if unit else "all units"
        typer.echo(f"User {user.username} added as {user.role} for {scope}.")


@device_app.command("code")
def device_code(
    unit: Annotated[str, typer.Argument(help="Unit code.")],
    count: Annotated[
        int, typer.Option("--count", help="How many codes to print, one a line (for a fleet of kiosks).")
    ] = 1,
) -> None:
    """Print one-time enrolment codes for new kiosks of this unit (valid 24 hours)."""
    if not 1 <= count <= MAX_CODES_AT_ONCE:
        _fail(f"--count must be 1 to {MAX_CODES_AT_ONCE:,}, not {count}.")
    settings = _settings()
    engine = open_engine(settings)
    with write_session(engine) as session:
        codes, found = create_enrolment_codes(session, unit, utcnow(), settings.enrolment_code_ttl_s, count)
        session.commit()
    hours = settings.enrolment_code_ttl_s // 3600
    typer.echo("\n".join(codes))
    what = "One-time code" if count == 1 else f"{count:,} one-time codes, each for one device,"
    typer.echo(f"{what} for {found.code} ({found.name}), valid {hours} hours.", err=True)


@device_app.command("revoke")
def device_revoke(device_id: Annotated[str, typer.Argument(help="Device id shown at enrolment.")]) -> None:
    """Revoke a device's token; it must be enrolled again to sync."""
    engine = open_engine(_settings())
    with write_session(engine) as session:
        device = revoke_device(session, device_id)
        session.commit()
        typer.echo(f"Device {device.id} ({device.name}) revoked.")


def _settle_signing_key(engine: Engine, settings: Settings) -> None:
    """Move a key an older version kept in the database into the key file; make the file if missing."""
    from sync_server.signing_key import SigningKey, SigningKeyError, adopt_database_key

    moved = adopt_database_key(engine, settings)
    if settings.secret_key:
        if moved:
            typer.echo("The old signing key was removed from the database (SURVEY_SECRET_KEY sets the key).")
        return
    try:
        SigningKey(settings).current()
    except (OSError, SigningKeyError) as exc:
        _fail(f"The signing key file {settings.key_file} cannot be made ({exc}).")
    if moved:
        typer.echo(f"The signing key moved from the database to {settings.key_file} (mode 0600).")


@key_app.command("rotate")
def key_rotate() -> None:
    """A new signing key: every API access token and dashboard session ends; device tokens stay valid."""
    from sync_server.signing_key import SigningKeyError, rotate_key

    settings = _settings()
    engine = open_engine(settings)
    try:
        ended = rotate_key(engine, settings)
    except (OSError, SigningKeyError) as exc:
        _fail(str(exc))
    typer.echo(f"New signing key written to {settings.key_file} (mode 0600).")
    typer.echo(
        f"Ended {ended} dashboard session(s) and every API access token: everyone logs in again. "
        "Devices keep syncing (their tokens are not signed with this key)."
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(help="Server processes (they parse and check batches in parallel).", min=1, max=64)
    ] = 1,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="Addresses of the reverse proxies to trust (comma-separated, e.g. 127.0.0.1): their "
            "X-Forwarded-For and X-Forwarded-Proto give the client's address and https. Default: none.",
        ),
    ] = None,
) -> None:
    """Run the HTTP server (API and dashboard)."""
    from sync_server.backup import serving_lock

    settings = _settings()
    engine = open_engine(settings)
    # Every serve process schedules the nightly job; the job's lock lets exactly one of them run it.
    nightly = NightlyScheduler(engine, settings)
    nightly.start()
    # While serving, `survey-server restore` cannot swap the database file (workers share the lock).
    with serving_lock(settings.database_url):
        _serve_until_stopped(settings, engine, nightly, host, port, workers, forwarded_allow_ips)


def _serve_until_stopped(
    settings: Settings,
    engine: Engine,
    nightly: NightlyScheduler,
    host: str,
    port: int,
    workers: int,
    forwarded_allow_ips: str | None,
) -> None:
    import uvicorn

    from sync_server.app import create_app

    # Without trusted proxies no forwarded header is believed (uvicorn would trust 127.0.0.1 by default).
    trust, trusted = bool(forwarded_allow_ips), forwarded_allow_ips or ""
    try:
        if workers > 1:
            # Each worker process builds its own app from the same environment. N workers share the
            # connections one process would open (PostgreSQL allows 100 by default), unless told.
            os.environ.setdefault("SURVEY_DB_POOL_SIZE", str(max(5, settings.db_pool_size // workers)))
            uvicorn.run(
                "sync_server.app:create_app",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level="info",
                proxy_headers=trust,
                forwarded_allow_ips=trusted,
            )
        else:
            application = create_app(settings, engine=engine)
            uvicorn.run(
                application,
                host=host,
                port=port,
                log_level="info",
                proxy_headers=trust,
                forwarded_allow_ips=trusted,
            )
    finally:
        nightly.shutdown()


@unit_app.command("set")
def unit_set(
    code: Annotated[str, typer.Argument(help="Unit code.")],
    name: Annotated[
        str | None, typer.Option("--name", help='The unit\'s name, e.g. "Xã Thiện Hưng".')
    ] = None,
    signer: Annotated[
        str | None, typer.Option("--signer", help='Who signs reports, e.g. "Nguyễn Văn An".')
    ] = None,
    signer_title: Annotated[
        str | None, typer.Option("--signer-title", help='The signer\'s title, e.g. "PHÓ CHỦ TỊCH".')
    ] = None,
    deputy: Annotated[
        bool | None,
        typer.Option("--deputy/--no-deputy", help='A deputy signs: "KT. CHỦ TỊCH" above the title.'),
    ] = None,
    issuing_body: Annotated[
        str | None,
        typer.Option(
            "--issuing-body", help='The issuing body as printed, e.g. "ỦY BAN NHÂN DÂN XÃ THIỆN HƯNG".'
        ),
    ] = None,
    governing_body: Annotated[
        str | None, typer.Option("--governing-body", help='The body above it, e.g. "UBND TỈNH ĐỒNG NAI".')
    ] = None,
    place: Annotated[str | None, typer.Option("--place", help="The place name of the date line.")] = None,
    number_series: Annotated[
        str | None, typer.Option("--number-series", help="The document series, e.g. BC-UBND.")
    ] = None,
    recipient: Annotated[
        list[str] | None, typer.Option("--recipient", help='A "Nơi nhận" line (repeat; replaces the list).')
    ] = None,
    periods: Annotated[
        str | None,
        typer.Option("--periods", help="Report periods: calendar, or cutoff (NĐ 09/2019, 15th to 14th)."),
    ] = None,
    report_email: Annotated[
        list[str] | None,
        typer.Option(
            "--report-email", help='Who gets closed periods\' reports by e-mail (repeat; "" clears).'
        ),
    ] = None,
    hours: Annotated[
        str | None,
        typer.Option(
            "--hours",
            help='When kiosks take ballots: "T2-T6 07:30-11:30, 13:30-17:00; T7 07:30-11:30", "" = always.',
        ),
    ] = None,
) -> None:
    """Set the unit's official names and signature as printed on its reports ("" clears a field),
    and its opening hours."""
    import json

    from surveys.opening_hours import describe_hours
    from sync_server.admin import set_opening_hours, set_unit_names
    from sync_server.reports.content import OfficialNames, UnitInfo

    settings = _settings()
    engine = open_engine(settings)
    with write_session(engine) as session:
        unit = set_unit_names(
            session,
            code,
            name=name,
            deputy_signs=deputy,
            recipients=recipient,
            signer_name=signer,
            signer_title=signer_title,
            issuing_body=issuing_body,
            governing_body=governing_body,
            place_name=place,
            number_series=number_series,
            report_periods=periods,
            report_emails=report_email,
        )
        if hours is not None:
            unit = set_opening_hours(session, code, hours)
        session.commit()
        info = UnitInfo(
            unit.code,
            unit.name,
            official=OfficialNames(
                issuing_body=unit.issuing_body,
                place_name=unit.place_name,
                signer_name=unit.signer_name,
                signer_title=unit.signer_title,
            ),
        )
        typer.echo(
            f"Unit {unit.code} ({unit.name}): reports are issued by "
            f"{(unit.issuing_body or 'ỦY BAN NHÂN DÂN ' + info.upper_name)}, dated at {info.place}, "
            f"signed by {unit.signer_name or '(name left blank)'}"
            f"{', ' + unit.signer_title if unit.signer_title else ''}."
        )
        if hours is not None:
            shown = describe_hours(json.loads(unit.opening_hours), "en") if unit.opening_hours else ["always"]
            typer.echo(f"Its kiosks take ballots: {'; '.join(shown)}.")


@app.command("backup")
def backup(
    out: Annotated[Path | None, typer.Option("--out", help="The backup file to write.")] = None,
    folder: Annotated[
        Path | None, typer.Option("--dir", help="A folder of dated backups, pruned by --keep.")
    ] = None,
    keep: Annotated[
        str, typer.Option("--keep", help="With --dir: newest backup of each of N days, weeks, months.")
    ] = "7d,4w,12m",
) -> None:
    """A consistent, checked copy of the database, safe while the server runs."""
    from sync_server.backup import BackupError, backup_database, backup_into_rotation

    settings = _settings()
    if (out is None) == (folder is None):
        _fail("Give either --out FILE or --dir DIR (dated backups kept by --keep).")
    try:
        if out is not None:
            report = backup_database(settings.database_url, out)
        else:
            assert folder is not None
            report = backup_into_rotation(settings.database_url, folder, keep, datetime.now())
    except BackupError as exc:
        _fail(str(exc))
    typer.echo(report.summary())


@app.command("restore")
def restore(
    backup_file: Annotated[Path, typer.Argument(help="A file written by `survey-server backup`.")],
) -> None:
    """Replace the database with a backup; refuses while a server uses the database."""
    from sync_server.backup import BackupError, restore_database

    settings = _settings()
    try:
        report = restore_database(settings.database_url, backup_file)
    except BackupError as exc:
        _fail(str(exc))
    typer.echo(report.summary(f"Restored from {backup_file} into"))
    engine = make_engine(settings.database_url)
    try:
        if current_revision(engine) != head_revision():
            typer.echo(
                "The backup's schema is older than this program: run `survey-server init` to upgrade it."
            )
    finally:
        engine.dispose()
    typer.echo("Kiosks re-send what they hold and the server lacks at their next sync (the device ledger).")


@surveys_app.command("check")
def surveys_check(files: Annotated[list[Path], typer.Argument(help="Survey .toml files.")]) -> None:
    """Check survey definition files; prints OK per good file and one line per problem."""
    from surveys.check import check_files

    code = check_files(files)
    if code:
        raise typer.Exit(code)


@contact_app.command("erase")
def contact_erase(
    unit: Annotated[str, typer.Argument(help="Unit code (its sub-units are included).")],
    phone: Annotated[
        str, typer.Option("--phone", help="The number, as the citizen gives it; - reads it from stdin.")
    ],
) -> None:
    """Erase a citizen's phone number from every ballot of the unit, at their request."""
    from sync_server.contacts import ContactError, erase_phone, scrub_sqlite

    if phone == "-":
        phone = sys.stdin.readline().strip()
    engine = open_engine(_settings())
    try:
        with write_session(engine) as session:
            erased = erase_phone(session, unit, phone)
            session.commit()
    except ContactError as exc:
        _fail(str(exc))
    scrub_sqlite(engine)
    typer.echo(f"Unit {unit}: {erased.summary()}")


def main() -> None:
    """Entry point of the `survey-server` console script."""
    try:
        app()
    except (CliError, AdminError) as exc:
        typer.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except (OperationalError, ProgrammingError) as exc:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]
        typer.echo(f"Error: the database cannot be used ({first}); check SURVEY_DATABASE_URL.", err=True)
        sys.exit(1)
    except DBAPIError as exc:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else "unknown"
        typer.echo(f"Error: the database refused the change ({first}).", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()

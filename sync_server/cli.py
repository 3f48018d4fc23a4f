"""`survey-server`: the operator's commands (see /work/shared/spec/commands.md).

Other modules add their commands with one line each at the bottom of this file, e.g.
`app.command("demo")(demo.demo_command)` or `app.add_typer(report_app, name="report")`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from sync_server.admin import (
    AdminError,
    add_unit,
    add_user,
    create_enrolment_code,
    import_staff,
    load_survey_versions,
    revoke_device,
)
from sync_server.cli_support import CliError, default_surveys_dir, fail, open_engine
from sync_server.db import write_session
from sync_server.demo import demo_command
from sync_server.jobs import NightlyScheduler, nightly_command
from sync_server.migrations import head_revision, upgrade
from sync_server.models import utcnow
from sync_server.reports.command import report_command
from sync_server.settings import Settings

__all__ = ["CliError", "app", "main", "open_engine"]

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
app.add_typer(unit_app, name="unit")
app.add_typer(staff_app, name="staff")
app.add_typer(user_app, name="user")
app.add_typer(device_app, name="device")
app.add_typer(surveys_app, name="surveys")
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
    typer.echo(f"Database ready at revision {head_revision()}.")


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
def device_code(unit: Annotated[str, typer.Argument(help="Unit code.")]) -> None:
    """Print a one-time enrolment code for a new kiosk of this unit (valid 24 hours)."""
    settings = _settings()
    engine = open_engine(settings)
    with write_session(engine) as session:
        code, found = create_enrolment_code(session, unit, utcnow(), settings.enrolment_code_ttl_s)
        session.commit()
    hours = settings.enrolment_code_ttl_s // 3600
    typer.echo(code)
    typer.echo(f"One-time code for {found.code} ({found.name}), valid {hours} hours.", err=True)


@device_app.command("revoke")
def device_revoke(device_id: Annotated[str, typer.Argument(help="Device id shown at enrolment.")]) -> None:
    """Revoke a device's token; it must be enrolled again to sync."""
    engine = open_engine(_settings())
    with write_session(engine) as session:
        device = revoke_device(session, device_id)
        session.commit()
        typer.echo(f"Device {device.id} ({device.name}) revoked.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(help="Server processes (they parse and check batches in parallel).", min=1, max=64)
    ] = 1,
) -> None:
    """Run the HTTP server (API and dashboard)."""
    import uvicorn

    from sync_server.app import create_app

    settings = _settings()
    engine = open_engine(settings)
    # Every serve process schedules the nightly job; the job's lock lets exactly one of them run it.
    nightly = NightlyScheduler(engine, settings)
    nightly.start()
    try:
        if workers > 1:
            # Each worker process builds its own app from the same environment.
            uvicorn.run(
                "sync_server.app:create_app",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level="info",
                proxy_headers=False,
            )
        else:
            application = create_app(settings, engine=engine)
            uvicorn.run(application, host=host, port=port, log_level="info", proxy_headers=False)
    finally:
        nightly.shutdown()


@surveys_app.command("check")
def surveys_check(files: Annotated[list[Path], typer.Argument(help="Survey .toml files.")]) -> None:
    """Check survey definition files; prints OK per good file and one line per problem."""
    from surveys.check import check_files

    code = check_files(files)
    if code:
        raise typer.Exit(code)


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

"""`survey-server report UNIT --period 2024-Q3 --format pdf --out FILE` (registered in sync_server/cli.py)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from sync_server.reports.build import FORMATS
from sync_server.reports.periods import PeriodError, parse_period

__all__ = ["report_command"]


def _check_writable(out: Path) -> None:
    from sync_server.cli_support import CliError

    folder = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise CliError(f"{out} is a folder; give a file name such as {out / 'bao-cao.pdf'}.")
    if not folder.is_dir():
        raise CliError(f"Cannot write {out}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise CliError(f"Cannot write {out}: permission denied.")


def _write_atomically(out: Path, blob: bytes) -> None:
    from sync_server.cli_support import CliError

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent if str(out.parent) else ".")
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
        os.replace(tmp, out)
    except OSError as exc:
        raise CliError(f"Cannot write {out}: {exc.strerror or exc}.") from None


def report_command(
    unit: Annotated[str, typer.Argument(help="Unit code, e.g. XA-DEMO (a parent unit covers its children).")],
    period: Annotated[str, typer.Option(help="2024-09 (month), 2024-Q3, 2024-H2 or 2024 (year).")],
    out: Annotated[Path, typer.Option(help="File to write, e.g. bao-cao-2024-Q3.pdf.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="xlsx, docx or pdf (default: from the --out suffix).")
    ] = None,
) -> None:
    """Write a unit's monthly, quarterly, half-yearly or yearly report as XLSX, DOCX or PDF."""
    from sync_server.cli_support import CliError, open_engine
    from sync_server.db import read_session
    from sync_server.queries import UnknownUnit
    from sync_server.reports.service import build_report
    from sync_server.settings import Settings

    _check_writable(out)
    chosen = (fmt or out.suffix.lstrip(".")).lower()
    if chosen not in FORMATS:
        raise CliError(f"The format must be one of {', '.join(FORMATS)} (got {chosen or 'none'!r}).")
    try:
        parse_period(period)
    except PeriodError as exc:
        raise CliError(str(exc)[:1].upper() + str(exc)[1:]) from None
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        raise CliError(str(exc)) from None
    engine = open_engine(settings)
    try:
        with read_session(engine) as session:
            blob = build_report(session, unit, period, chosen, min_sample=settings.min_sample)
    except UnknownUnit as exc:
        raise CliError(str(exc)) from None
    finally:
        engine.dispose()
    _write_atomically(out, blob)
    typer.echo(f"Report {period} of {unit} written to {out} ({len(blob):,} bytes).")

"""What the `survey-server` commands share, below cli.py and the commands it registers.

raise CliError("The folder x does not exist.")     # main() prints the sentence, exits 1
engine = open_engine(settings)                       # refuses a database `init` has not prepared
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

from sqlalchemy import Engine

import surveys
from sync_server.db import make_engine
from sync_server.migrations import current_revision, head_revision
from sync_server.settings import Settings

__all__ = ["CliError", "default_surveys_dir", "fail", "open_engine"]


class CliError(Exception):
    """A user's mistake: `main()` prints the sentence on stderr and exits 1, without a traceback."""


def fail(message: str) -> NoReturn:
    raise CliError(message)


def open_engine(settings: Settings, require_schema: bool = True) -> Engine:
    """An engine on the configured database; with `require_schema`, refuse one `init` has not prepared."""
    engine = make_engine(settings.database_url)
    if require_schema:
        current = current_revision(engine)
        if current is None:
            fail("The database is not initialised: run `survey-server init` first.")
        if current != head_revision():
            fail("The database schema is older than this program: run `survey-server init` to upgrade it.")
    return engine


def default_surveys_dir(settings: Settings) -> Path:
    """Where `init` finds survey definitions: `SURVEY_SURVEYS_DIR`, else the bundled `surveys/` folder."""
    if settings.surveys_dir is not None:
        return settings.surveys_dir
    return Path(surveys.__file__).resolve().parent

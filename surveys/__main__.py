"""`python -m surveys check FILE…`: validate survey definitions (see surveys/check.py)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from surveys.check import check_files


class _Parser(argparse.ArgumentParser):
    """argparse that reports a user's mistake in one sentence, without the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help).\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m surveys", description="Survey definitions: check files before deploying."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    check = commands.add_parser(
        "check",
        help="validate survey files and print one line per problem",
        description="Validate survey TOML files. Prints 'OK FILE: id version, N questions, hash' per good "
        "file and one line per problem (FILE:LINE: message) on stderr; exits 1 if any file is bad.",
    )
    check.add_argument("files", nargs="+", metavar="FILE", help="survey definition (.toml)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "check":
        return check_files(args.files)
    return 2  # unreachable: argparse requires a known command


if __name__ == "__main__":
    sys.exit(main())

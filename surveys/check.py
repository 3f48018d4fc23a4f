"""Check survey files before deploying them: `python -m surveys check FILE…`.

>>> check_files(["surveys/chinh_quyen_than_thien.toml"])  # from the checkout's root
OK surveys/chinh_quyen_than_thien.toml: chinh-quyen-than-thien ..., hash ...
0
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from surveys.loader import Survey, SurveyError, load_survey

__all__ = ["check_files", "summary"]


def summary(survey: Survey) -> str:
    """One line naming a survey: id, version, number of questions, short content hash."""
    return f"{survey.id} {survey.version}, {len(survey.questions)} questions, hash {survey.content_hash[:8]}"


def check_files(paths: Sequence[str | Path], out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Validate each file; print "OK …" per good file on `out`, one line per problem on `err`.

    Returns the exit code: 0 when every file is good, 1 otherwise, 2 when no file was given.
    """
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    if not paths:
        print("No survey file given: name at least one .toml file to check.", file=err)
        return 2
    failed = False
    seen: dict[tuple[str, str], Survey] = {}
    for path in paths:
        try:
            survey = load_survey(path)
        except SurveyError as exc:
            failed = True
            for problem in exc.errors:
                print(problem, file=err)
            continue
        other = seen.get((survey.id, survey.version))
        if other is not None and other.content_hash != survey.content_hash:
            failed = True
            print(
                f"{survey.source}: survey '{survey.id}' version {survey.version} differs from {other.source}"
                " with the same version; give one of them a new version",
                file=err,
            )
            continue
        seen[(survey.id, survey.version)] = survey
        print(f"OK {survey.source}: {summary(survey)}", file=out)
    return 1 if failed else 0

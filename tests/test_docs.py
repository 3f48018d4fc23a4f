"""Docs are tested: every command has a section in docs/commands.md and a working `--help`.

The command list is the product contract's (commands.md), copied into docs/commands.md; when the
contract is on this machine the copy must match it.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "commands.md"
SPEC = Path("/work/shared/spec/commands.md")
PROGRAMS = {"survey-server": "sync_server.cli", "survey-kiosk": "kiosk.cli"}
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
WORD = re.compile(r"[a-z][a-z0-9-]*")


@dataclass(frozen=True)
class Section:
    """A command's section in docs/commands.md."""

    signature: str
    options: frozenset[str]
    body: str


def command_words(signature: str) -> str:
    """`survey-server unit add CODE "NAME" [--parent CODE]` -> `survey-server unit add`."""
    words = []
    for token in signature.split():
        if not WORD.fullmatch(token):
            break
        words.append(token)
    return " ".join(words)


def listed_commands(markdown: str) -> dict[str, frozenset[str]]:
    """The commands of a bullet list (`- \\`survey-… \\``), each with the options its bullet names."""
    commands: dict[str, set[str]] = {}
    current: str | None = None
    for line in markdown.splitlines():
        match = re.match(r"- `((?:survey-server|survey-kiosk)[^`]*)`", line)
        if match:
            current = command_words(match.group(1))
            commands[current] = set()
        elif not line.startswith((" ", "\t")):
            current = None
        if current is not None:
            commands[current] |= set(OPTION.findall(line))
    return {name: frozenset(options) for name, options in commands.items()}


def documented_sections(markdown: str) -> dict[str, Section]:
    """The `### \\`command …\\`` sections of docs/commands.md."""
    sections: dict[str, Section] = {}
    parts = re.split(r"^### `([^`]+)`[^\n]*\n", markdown, flags=re.M)
    for signature, body in zip(parts[1::2], parts[2::2], strict=True):
        name = command_words(signature)
        if name.startswith(tuple(PROGRAMS)) and " " in name:
            sections[name] = Section(signature, frozenset(OPTION.findall(signature)), body.split("\n## ")[0])
    return sections


DOC_TEXT = DOCS.read_text(encoding="utf-8")
LISTED = listed_commands(DOC_TEXT.split("\n## ", 2)[1])
SECTIONS = documented_sections(DOC_TEXT)


def test_the_list_is_the_contracts() -> None:
    if not SPEC.exists():
        pytest.skip(f"{SPEC} is not on this machine: the copy in docs/commands.md is the reference")
    assert listed_commands(SPEC.read_text(encoding="utf-8")) == LISTED


@pytest.mark.parametrize("name", sorted(LISTED))
def test_every_listed_command_has_a_section(name: str) -> None:
    assert name in SECTIONS, f"docs/commands.md has no '### `{name} …`' section"
    section = SECTIONS[name]
    missing = LISTED[name] - section.options - set(OPTION.findall(section.body))
    assert not missing, f"the section of `{name}` does not mention {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_every_section_explains_and_shows_an_example(name: str) -> None:
    body = SECTIONS[name].body
    prose = body.split("```")[0].strip()
    assert len(prose.split()) >= 8, f"the section of `{name}` needs a sentence or two of explanation"
    examples = re.findall(r"```sh\n(.*?)```", body, flags=re.S)
    assert any(name in example for example in examples), f"the section of `{name}` needs an example"


def program_commands(program: str) -> list[str]:
    """Every leaf command the program offers, read from its parser."""
    module = PROGRAMS[program]
    cli = __import__(module, fromlist=["*"])
    if hasattr(cli, "build_parser"):
        parser = cli.build_parser()
        subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return sorted(f"{program} {name}" for action in subparsers for name in action.choices)
    import typer

    def walk(command: Any, prefix: str) -> list[str]:
        # A click group has `commands` (typer may ship its own copy of click, so no isinstance).
        if hasattr(command, "commands"):
            return [name for sub, cmd in command.commands.items() for name in walk(cmd, f"{prefix} {sub}")]
        return [prefix]

    return sorted(walk(typer.main.get_command(cli.app), program))


@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_every_command_of_the_programs_is_documented(program: str) -> None:
    undocumented = [name for name in program_commands(program) if name not in SECTIONS]
    assert not undocumented, f"docs/commands.md lacks a section for {undocumented}"


@cache
def run_help(name: str) -> subprocess.CompletedProcess[str]:
    """`<command> --help` as a real process (the installed console script when there is one)."""
    program, *words = name.split()
    script = Path(sys.executable).with_name(program)
    launcher = [str(script)] if script.exists() else [sys.executable, "-m", PROGRAMS[program]]
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run(
        [*launcher, *words, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
        check=False,
    )


@pytest.fixture(scope="module", autouse=True)
def _prefetch_help() -> None:
    """Start every `--help` process at once: each spends most of its time importing."""
    names = [*PROGRAMS, *sorted(set(SECTIONS) | set(LISTED))]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(run_help, names))


@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_programs_answer_help(program: str) -> None:
    result = run_help(program)
    assert result.returncode == 0, result.stderr
    assert "usage" in result.stdout.lower()


@pytest.mark.parametrize("name", sorted(set(SECTIONS) | set(LISTED)))
def test_every_command_answers_help_with_its_options(name: str) -> None:
    result = run_help(name)
    unknown = "No such command" in result.stderr or "invalid choice" in result.stderr
    assert not (result.returncode != 0 and unknown), f"`{name}` is documented but the program lacks it"
    assert result.returncode == 0, f"`{name} --help` failed: {result.stderr.strip()}"
    assert "Traceback" not in result.stderr
    expected = LISTED.get(name, frozenset()) | (SECTIONS[name].options if name in SECTIONS else frozenset())
    missing = {option for option in expected if option not in result.stdout}
    assert not missing, f"`{name} --help` does not show {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_every_option_in_help_is_documented(name: str) -> None:
    result = run_help(name)
    if result.returncode != 0:
        pytest.skip(f"`{name} --help` failed; test_every_command_answers_help_with_its_options says why")
    section = SECTIONS[name]
    offered = set(OPTION.findall(result.stdout)) - {"--help"}
    missing = offered - section.options - set(OPTION.findall(section.body))
    assert not missing, f"docs/commands.md does not explain {sorted(missing)} of `{name}`"

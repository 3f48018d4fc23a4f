"""docs/deploy.md is tested: its `sh` blocks run as they stand, its `console` blocks name real files.

The `console` blocks need root and a real machine: scripts/test-wheel (part of `make test`) runs the same
install scripts into a staging folder and verifies the units, tests/sync/test_https.py runs Caddy.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(sh|console)\n(.*?)```", DEPLOY, flags=re.S)
BIN = Path(sys.executable).parent
ROOT_PROGRAMS = {".", "sudo", "apt-get", "cp", "systemctl", "curl", "journalctl", "set"}


def test_the_sh_blocks_run_in_order_on_a_fresh_database(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.update(
        PATH=f"{BIN}:{env.get('PATH', '')}",
        SURVEY_DATABASE_URL=f"sqlite:///{tmp_path / 'server.db'}",
        SURVEY_DATA_DIR=str(tmp_path / "data"),
    )
    blocks = [body for kind, body in BLOCKS if kind == "sh"]
    assert len(blocks) >= 4
    for body in blocks:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", body],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"{body}\n--- stderr:\n{done.stderr}"
    assert len(list((tmp_path / "backups").glob("survey-*.db"))) == 1
    assert (tmp_path / "sao-luu-truoc-nang-cap.db").is_file()
    assert oct((tmp_path / "data" / "secret.key").stat().st_mode & 0o777) == "0o600"


def _console_commands() -> list[list[str]]:
    lines = [line for kind, body in BLOCKS if kind == "console" for line in body.splitlines() if line.strip()]
    return [shlex.split(part) for line in lines for part in line.split(";") if part.strip()]


def test_the_console_blocks_name_real_scripts_files_and_options() -> None:
    commands = _console_commands()
    assert commands
    for words in commands:
        program = words[0]
        if program.startswith("deploy/"):
            assert (ROOT / program).is_file() and os.access(ROOT / program, os.X_OK), program
            continue
        assert program in ROOT_PROGRAMS, f"docs/deploy.md runs {program!r}, which no test covers"
        for word in words:
            if word.startswith("deploy/"):
                assert (ROOT / word).exists(), word
            if "=" not in word and word.endswith(("/survey-kiosk", "/survey-server")):
                name = Path(word).name
                rest = words[words.index(word) + 1 :]
                help_text = subprocess.run(
                    [str(BIN / name), rest[0], "--help"], capture_output=True, text=True, timeout=120
                ).stdout
                for option in (w.split("=")[0] for w in rest if w.startswith("--")):
                    assert option in help_text, f"{name} {rest[0]} has no {option}"


@pytest.mark.parametrize("unit", sorted(p.name for p in (ROOT / "deploy" / "systemd").iterdir()))
def test_every_unit_is_installed_by_a_script(unit: str) -> None:
    scripts = (ROOT / "deploy" / "install-server.sh").read_text() + (
        ROOT / "deploy" / "install-kiosk.sh"
    ).read_text()
    assert unit in scripts

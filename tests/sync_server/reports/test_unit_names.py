"""`survey-server unit set` as a real process: the names an administrator sets are what the reports print."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

BIN = Path(sys.executable).parent / "survey-server"


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.update(SURVEY_DATABASE_URL=f"sqlite:///{home / 'server.db'}", SURVEY_DATA_DIR=str(home / "data"))
    return subprocess.run([str(BIN), *args], cwd=home, env=env, capture_output=True, text=True, timeout=180)


def texts(home: Path, name: str) -> tuple[str, str]:
    doc = Document(str(home / f"{name}.docx"))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    pdf = " ".join(page.extract_text() for page in PdfReader(str(home / f"{name}.pdf")).pages)
    return "\n".join(parts), " ".join(pdf.split())


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    for args in (
        ["init"],
        ["unit", "add", "TINH", "Tỉnh Đồng Nai"],
        # Administrators type the body into the name: the reports must not double it.
        ["unit", "add", "XA", "UBND xã Thiện Hưng", "--parent", "TINH"],
    ):
        done = run(tmp_path, *args)
        assert done.returncode == 0, done.stderr
    return tmp_path


def reports(home: Path, name: str) -> tuple[str, str]:
    for fmt in ("docx", "pdf"):
        done = run(home, "report", "XA", "--period", "2026-Q3", "--format", fmt, "--out", f"{name}.{fmt}")
        assert done.returncode == 0, done.stderr
    return texts(home, name)


def test_a_name_typed_with_ubnd_is_never_doubled(home: Path) -> None:
    for text in reports(home, "mac-dinh"):
        assert "UBND UBND" not in text and "NHÂN DÂN UBND" not in text.upper()
        assert "ỦY BAN NHÂN DÂN" in text and "XÃ THIỆN HƯNG" in text
        assert "Thiện Hưng, ngày" in text


def test_the_names_set_are_printed_in_docx_and_pdf(home: Path) -> None:
    done = run(
        home,
        "unit", "set", "XA",
        "--signer", "Nguyễn Văn An",
        "--signer-title", "Chủ tịch",
        "--no-deputy",
        "--place", "Thiện Hưng",
        "--number-series", "BC-UBND-VP",
        "--recipient", "UBND tỉnh Đồng Nai (để b/c)",
        "--recipient", "Thường trực Đảng ủy xã",
        "--recipient", "Lưu: VT, VP",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Nguyễn Văn An" in done.stdout
    for text in reports(home, "da-dat"):
        assert "Nguyễn Văn An" in text and "CHỦ TỊCH" in text and "KT. CHỦ TỊCH" not in text
        assert "/BC-UBND-VP" in text
        assert "- UBND tỉnh Đồng Nai (để b/c);" in text and "- Lưu: VT, VP." in text
        assert "Cơ quan cấp trên" not in text


def test_a_deputy_signs_under_kt(home: Path) -> None:
    done = run(
        home, "unit", "set", "XA", "--signer", "Trần Thị Bình", "--deputy", "--signer-title", "Phó Chủ tịch"
    )
    assert done.returncode == 0, done.stderr
    docx, pdf = reports(home, "pho")
    for text in (docx, pdf):
        assert "KT. CHỦ TỊCH" in text and "PHÓ CHỦ TỊCH" in text and "Trần Thị Bình" in text


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["unit", "set", "KHONG-CO", "--signer", "A"], "KHONG-CO"),
        (["unit", "set", "XA", "--number-series", "BC UBND!"], "--number-series"),
        (["unit", "set", "XA", "--place", "x" * 101], "at most 100"),
    ],
)
def test_mistakes_are_one_sentence(home: Path, args: list[str], words: str) -> None:
    done = run(home, *args)
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0 and len(lines) == 1 and words in lines[0] and "Traceback" not in done.stderr

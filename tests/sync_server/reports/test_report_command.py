"""`survey-server report` as a real process on the demo database, checked against the live API."""

from __future__ import annotations

import io
import itertools
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from sync_server.reports import parse_period
from sync_server.reports.content import fmt_pct

BIN = Path(sys.executable).parent / "survey-server"
PASSWORD = "mat-khau-demo-2024"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.update(
        SURVEY_DATABASE_URL=f"sqlite:///{home / 'server.db'}",
        SURVEY_DATA_DIR=str(home / "data"),
        SURVEY_DEMO_PASSWORD=PASSWORD,
        SURVEY_SECRET_KEY="test-secret-key-for-reports",
    )
    return env


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), *args], cwd=home, env=_env(home), capture_output=True, text=True, timeout=240
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report-demo")
    done = _run(folder, "demo")
    assert done.returncode == 0, done.stderr
    return folder


def _unit_today() -> date:
    """Today in the demo unit's zone: the demo files ballots by local day (faked clocks move both)."""
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


def _stored_phones(home: Path) -> list[str]:
    with sqlite3.connect(home / "server.db") as db:
        return [
            r[0] for r in db.execute("SELECT contact_phone FROM response WHERE contact_phone IS NOT NULL")
        ]


def _last_quarter() -> str:
    today = _unit_today()
    q = (today.month - 1) // 3  # the quarter before this one, 0 = last year's Q4
    return f"{today.year}-Q{q}" if q else f"{today.year - 1}-Q4"


def _last_month() -> str:
    first = _unit_today().replace(day=1) - timedelta(days=1)
    return f"{first:%Y-%m}"


@pytest.fixture(scope="module")
def api(home: Path) -> Iterator[httpx.Client]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [str(BIN), "serve", "--port", str(port)],
        cwd=home,
        env=_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not come up")
        reply = httpx.post(f"{base}/api/v1/auth/token", data={"username": "admin", "password": PASSWORD})
        assert reply.status_code == 200, reply.text
        headers = {"Authorization": f"Bearer {reply.json()['access_token']}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            yield client
    finally:
        server.terminate()
        server.wait(timeout=20)


def _indices(api: httpx.Client, key: str, by: str = "none") -> dict[str, Any]:
    period = parse_period(key)
    params = {"unit": "XA-DEMO", "from": str(period.start), "to": str(period.end), "by": by}
    reply = api.get("/api/v1/indices", params=params)
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def test_xlsx_report_equals_the_api(home: Path, api: httpx.Client) -> None:
    key = _last_quarter()
    done = _run(home, "report", "XA-DEMO", "--period", key, "--format", "xlsx", "--out", "q.xlsx")
    assert done.returncode == 0, done.stderr
    assert "q.xlsx" in done.stdout
    wb = load_workbook(home / "q.xlsx")
    row = _indices(api, key)["rows"][0]
    summary = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Số phiếu"] == row["n"] > 0
    for label, field in [
        ("Chỉ số hài lòng chung (%)", "satisfaction_index"),
        ("Chỉ số thân thiện (%)", "friendly_index"),
        ("Chỉ số phục vụ — SIPAS (%)", "service_index"),
        ("Điểm trung bình (1–5)", "mean_score"),
    ]:
        assert summary[label] == row[field], label
    staff = {r["key"]: r for r in _indices(api, key, "staff")["rows"]}
    sheet = list(wb["Công chức"].iter_rows(min_row=2, values_only=True))
    assert sorted(r[3] for r in sheet) == sorted(r["n"] for r in staff.values())
    ranked = [r for r in sheet if isinstance(r[7], int)]
    assert [r[7] for r in ranked] == list(range(1, len(ranked) + 1))
    assert all(r[4] >= s[4] for r, s in itertools.pairwise(ranked))
    assert any(r[7] == "chưa đủ mẫu" for r in sheet), "the newly hired officer has too few ballots"


def test_docx_and_pdf_reports_equal_the_api(home: Path, api: httpx.Client) -> None:
    key = _last_month()
    for fmt in ("docx", "pdf"):
        done = _run(home, "report", "XA-DEMO", "--period", key, "--format", fmt, "--out", f"m.{fmt}")
        assert done.returncode == 0, done.stderr
    row = _indices(api, key)["rows"][0]
    doc = Document(str(home / "m.docx"))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "UBND XÃ HÒA BÌNH" in doc.tables[0].cell(0, 0).text
    assert "Độc lập - Tự do - Hạnh phúc" in doc.tables[0].cell(0, 1).text
    assert f"Chỉ số hài lòng chung: {fmt_pct(row['satisfaction_index'])}%" in text
    assert f"tháng {int(key[5:])} năm {key[:4]}" in text
    reader = PdfReader(io.BytesIO((home / "m.pdf").read_bytes()))
    pdf = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert f"Chỉ số hài lòng chung: {fmt_pct(row['satisfaction_index'])}%" in pdf
    assert f"Chỉ số thân thiện: {fmt_pct(row['friendly_index'])}%" in pdf
    assert "Nguyễn Thị Hằng" in pdf and "Nơi nhận:" in pdf
    phones = _stored_phones(home)
    assert phones, "the demo has citizens who left a number with consent"
    digits = "".join(ch for ch in pdf + text if ch.isdigit())
    assert not [p for p in phones if p in digits], "a report never prints a citizen's number"


def test_the_parent_unit_report_lists_its_communes(home: Path) -> None:
    done = _run(home, "report", "TINH-DEMO", "--period", _last_quarter(), "--out", "tinh.pdf")
    assert done.returncode == 0, done.stderr
    reader = PdfReader(str(home / "tinh.pdf"))
    pdf = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Kết quả theo đơn vị trực thuộc" in pdf and "Xã Hòa Bình" in pdf


MISTAKES = [
    (["XA-KHONG-CO", "--period", "2024-09", "--out", "x.pdf"], "XA-KHONG-CO"),
    (["XA-DEMO", "--period", "2024-13", "--out", "x.pdf"], "2024-13"),
    (["XA-DEMO", "--period", "2024-09", "--out", "khong-co/x.pdf"], "khong-co"),
    (["XA-DEMO", "--period", "2024-09", "--out", "."], "folder"),
    (["XA-DEMO", "--period", "2024-09", "--format", "odt", "--out", "x.odt"], "odt"),
]


def test_mistakes_get_one_sentence_and_no_file(home: Path) -> None:
    # The processes are independent: run them side by side, each still a real `survey-server report`.
    with ThreadPoolExecutor(max_workers=len(MISTAKES)) as pool:
        results = list(pool.map(lambda case: _run(home, "report", *case[0]), MISTAKES))
    for (args, needle), done in zip(MISTAKES, results, strict=True):
        assert done.returncode != 0, args
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0] and "Traceback" not in done.stderr, done.stderr
    assert not (home / "x.pdf").exists() and not (home / "x.odt").exists()


def test_a_database_never_initialised_is_named(tmp_path: Path) -> None:
    done = _run(tmp_path, "report", "XA-DEMO", "--period", "2024", "--out", "x.pdf")
    assert done.returncode == 1 and "survey-server init" in done.stderr and "Traceback" not in done.stderr

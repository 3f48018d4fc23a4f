"""`survey-server` as real processes: the operator's commands, their mistakes, and `serve` over HTTP."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_helpers import tiny_png

BIN = Path(sys.executable).parent / "survey-server"
CODE_RE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$")


def run(
    cwd: Path, *args: str, stdin: str | None = None, db: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("SURVEY_DATABASE_URL", None)
    if db:
        env["SURVEY_DATABASE_URL"] = db
    return subprocess.run(
        [str(BIN), *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def run_here(
    cwd: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
    stdin: str = "",
) -> subprocess.CompletedProcess[str]:
    """The same `main()` in this process (starting Python costs seconds on a busy machine)."""
    from sync_server.cli import main

    monkeypatch.chdir(cwd)
    monkeypatch.delenv("SURVEY_DATABASE_URL", raising=False)
    monkeypatch.setattr(sys, "argv", ["survey-server", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    capsys.readouterr()
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)


def fails(result: subprocess.CompletedProcess[str], words: str) -> None:
    """A user mistake: non-zero exit, one sentence on stderr, no traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert words in lines[0], lines[0]


@pytest.fixture()
def ready(tmp_path: Path) -> Path:
    """A folder where `survey-server init` ran (default SQLite file under var/server/)."""
    result = run(tmp_path, "init")
    assert result.returncode == 0, result.stderr
    assert "loaded chinh-quyen-than-thien 2026.1" in result.stdout
    assert (tmp_path / "var" / "server" / "server.db").is_file()
    return tmp_path


def test_commands_before_init_say_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fails(run(tmp_path, "unit", "add", "XA01", "UBND xã Hòa Bình"), "run `survey-server init` first")
    fails(run_here(tmp_path, monkeypatch, capsys, "device", "code", "XA01"), "run `survey-server init` first")


def test_operator_flow_and_mistakes(
    ready: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cwd = ready

    def here(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return run_here(cwd, monkeypatch, capsys, *args, stdin=stdin)

    again = here("init")
    assert again.returncode == 0 and "already loaded" in again.stdout
    assert here("unit", "add", "HUYEN", "UBND huyện Yên Bình").returncode == 0
    added = run(cwd, "unit", "add", "XA01", "UBND xã Hòa Bình", "--parent", "HUYEN")
    assert added.returncode == 0 and "UBND xã Hòa Bình" in added.stdout
    fails(run(cwd, "unit", "add", "XA01", "Trùng"), "exists already")
    fails(here("unit", "add", "XA09", "Xã", "--parent", "NOPE"), "no unit with code 'NOPE'")
    fails(here("unit", "add", "XA09", "Xã", "--timezone", "Mars/Olympus"), "Unknown time zone")

    (cwd / "anh").mkdir()
    (cwd / "anh" / "an.png").write_bytes(tiny_png())
    csv = cwd / "staff.csv"
    csv.write_text(
        "id,name,title,counter,photo\n"
        "cb01,Nguyễn Văn An,Tư pháp,Quầy 1,anh/an.png\n"
        "cb02,Trần Thị Bình,Địa chính,Quầy 2,\n"
    )
    imported = run(cwd, "staff", "import", "XA01", str(csv))
    assert imported.returncode == 0 and "2 added" in imported.stdout, imported.stderr
    assert len(list((cwd / "var" / "server" / "photos").iterdir())) == 1
    csv.write_text("id,name,title,counter,photo\ncb01,Nguyễn Văn An,Tư pháp – Hộ tịch,Quầy 1,anh/an.png\n")
    reimported = here("staff", "import", "XA01", str(csv))
    assert "0 added, 1 updated, 0 unchanged, 1 deactivated" in reimported.stdout
    (cwd / "bad.csv").write_text("id,ten\ncb01,An\n")
    fails(here("staff", "import", "XA01", str(cwd / "bad.csv")), "'name' is missing")
    (cwd / "bad.csv").write_text("id,name,photo\ncb01,An,missing.jpg\n")
    fails(
        run(cwd, "staff", "import", "XA01", str(cwd / "bad.csv")),
        "line 2: photo file 'missing.jpg' was not found",
    )
    fails(run(cwd, "staff", "import", "XA01", str(cwd / "none.csv")), "cannot be read")

    assert (
        run(
            cwd, "user", "add", "admin", "--role", "admin", "--password-stdin", stdin="mat-khau-dai\n"
        ).returncode
        == 0
    )
    fails(
        run(cwd, "user", "add", "ld", "--role", "leader", "--password-stdin", stdin="mat-khau-dai\n"),
        "--unit",
    )
    fails(run(cwd, "user", "add", "ld", "--role", "boss", "--password-stdin", stdin="mat-khau-dai\n"), "role")
    fails(
        run(
            cwd, "user", "add", "x", "--role", "viewer", "--unit", "XA01", "--password-stdin", stdin="ngan\n"
        ),
        "8",
    )
    fails(
        run(cwd, "user", "add", "admin", "--role", "admin", "--password-stdin", stdin="mat-khau-dai\n"),
        "exists",
    )

    code = run(cwd, "device", "code", "XA01")
    assert code.returncode == 0 and CODE_RE.match(code.stdout.strip()), code.stdout
    fails(run(cwd, "device", "code", "XX99"), "no unit with code 'XX99'")
    fails(run(cwd, "device", "revoke", "nope"), "no device 'nope'")


def test_surveys_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from surveys.loader import default_survey_path

    good = run_here(tmp_path, monkeypatch, capsys, "surveys", "check", str(default_survey_path()))
    assert good.returncode == 0 and good.stdout.startswith("OK")
    (tmp_path / "bad.toml").write_text('id = "x"\nversion = "1"\n')
    bad = run(tmp_path, "surveys", "check", str(tmp_path / "bad.toml"))
    assert bad.returncode != 0 and "Traceback" not in bad.stderr and "bad.toml" in bad.stderr


def test_an_unreachable_database_is_one_sentence(tmp_path: Path) -> None:
    result = run(tmp_path, "init", db="postgresql+psycopg://nobody@127.0.0.1:1/none")
    fails(result, "the database cannot be used")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def served(ready: Path) -> Iterator[tuple[Path, str]]:
    assert run(ready, "unit", "add", "XA01", "UBND xã Hòa Bình").returncode == 0
    port = _free_port()
    env = dict(os.environ)
    env.pop("SURVEY_DATABASE_URL", None)
    proc = subprocess.Popen(
        [str(BIN), "serve", "--port", str(port)],
        cwd=ready,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield ready, url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_speaks_the_protocol_over_http(served: tuple[Path, str]) -> None:
    cwd, url = served
    code = run(cwd, "device", "code", "XA01").stdout.strip()
    with httpx.Client(base_url=url, timeout=30) as client:
        enrol = client.post("/api/v1/devices/enrol", json={"code": code, "name": "Quầy 1"})
        assert enrol.status_code == 201
        device = {"Authorization": f"Bearer {enrol.json()['token']}"}
        config = client.get("/api/v1/device/config", headers=device).json()
        at = dt.datetime(2024, 9, 3, 9, 0, tzinfo=dt.UTC)
        items = [
            {
                "id": str(uuid.uuid4()),
                "seq": i + 1,
                "survey_id": config["survey"]["id"],
                "survey_version": config["survey"]["version"],
                "staff_id": None,
                "started_at": (at + dt.timedelta(minutes=10 * i)).isoformat(),
                "submitted_at": (at + dt.timedelta(minutes=10 * i + 1)).isoformat(),
                "answers": {"tong_the": 4 + i % 2},
                "comment": None,
                "contact": None,
                "lang": "vi",
            }
            for i in range(40)
        ]
        reply = client.post("/api/v1/device/responses", json={"responses": items}, headers=device)
        assert [r["status"] for r in reply.json()["results"]] == ["created"] * 40
        assert (
            run(
                cwd, "user", "add", "admin", "--role", "admin", "--password-stdin", stdin="mat-khau-dai\n"
            ).returncode
            == 0
        )
        token = client.post(
            "/api/v1/auth/token", data={"username": "admin", "password": "mat-khau-dai"}
        ).json()
        figures = client.get(
            "/api/v1/indices",
            params={"unit": "XA01", "from": "2024-09-01", "to": "2024-09-30"},
            headers={"Authorization": f"Bearer {token['access_token']}"},
        ).json()
        assert figures["rows"][0]["n"] == 40
        assert figures["rows"][0]["satisfaction_index"] == 100.0
        assert figures["rows"][0]["insufficient"] is False
        assert client.get("/openapi.json").json()["info"]["version"]


def test_the_cli_flow_on_postgresql(server_db_url: str, tmp_path: Path) -> None:
    if not server_db_url.startswith("postgresql"):
        pytest.skip("covered on SQLite by test_operator_flow_and_mistakes")
    assert run(tmp_path, "init", db=server_db_url).returncode == 0
    from sync_server.admin import add_unit
    from sync_server.db import make_engine, write_session

    engine = make_engine(server_db_url)
    with write_session(engine) as session:
        add_unit(session, "XA01", "UBND xã Hòa Bình")
        session.commit()
    engine.dispose()
    fails(run(tmp_path, "unit", "add", "XA01", "Trùng", db=server_db_url), "exists already")


def test_concurrent_uploads_all_land(served: tuple[Path, str]) -> None:
    """Four devices posting at once to the SQLite server: no 'database is locked', tallies add up."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import func, select

    from sync_server.admin import create_enrolment_code
    from sync_server.db import make_engine, write_session
    from sync_server.models import Response, TallyBallots, utcnow

    cwd, url = served
    engine = make_engine(f"sqlite:///{cwd}/var/server/server.db")
    with write_session(engine) as session:
        codes = [create_enrolment_code(session, "XA01", utcnow(), 3600)[0] for _ in range(4)]
        session.commit()

    def device_run(code: str) -> list[str]:
        statuses: list[str] = []
        with httpx.Client(base_url=url, timeout=60) as client:
            token = client.post("/api/v1/devices/enrol", json={"code": code}).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            survey = client.get("/api/v1/device/config", headers=headers).json()["survey"]
            at = dt.datetime(2024, 9, 3, 1, 0, tzinfo=dt.UTC)
            for batch in range(3):
                items = [
                    {
                        "id": str(uuid.uuid4()),
                        "seq": batch * 50 + i + 1,
                        "survey_id": survey["id"],
                        "survey_version": survey["version"],
                        "staff_id": None,
                        "started_at": at.isoformat(),
                        "submitted_at": (at + dt.timedelta(minutes=batch * 500 + 5 * i)).isoformat(),
                        "answers": {"tong_the": 5},
                        "comment": None,
                        "contact": None,
                        "lang": "vi",
                    }
                    for i in range(50)
                ]
                reply = client.post("/api/v1/device/responses", json={"responses": items}, headers=headers)
                assert reply.status_code == 200, reply.text
                statuses += [r["status"] for r in reply.json()["results"]]
        return statuses

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(device_run, codes))
    assert all(statuses == ["created"] * 150 for statuses in results)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Response)).scalar_one() == 600
        assert conn.execute(select(func.sum(TallyBallots.count))).scalar_one() == 600
    engine.dispose()

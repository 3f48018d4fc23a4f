"""Real processes on loopback for the sync tests: a `survey-server serve` and kiosk stores with ballots."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from kiosk.store import KioskStore
from surveys.loader import Survey, default_survey_path, load_survey
from sync_server.admin import create_enrolment_code
from sync_server.db import make_engine, write_session
from sync_server.models import utcnow

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CODE_RE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}\b")
UNIT = "XA01"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """One `survey-server` installation in its own folder, served as a real process."""

    def __init__(self, root: Path, database_url: str | None = None) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url or f"sqlite:///{root / 'server.db'}"
        self.env = {
            **os.environ,
            "SURVEY_DATABASE_URL": self.database_url,
            "SURVEY_DATA_DIR": str(root / "data"),
            "SURVEY_SURVEYS_DIR": str(REPO / "surveys"),
            "PYTHONUNBUFFERED": "1",
        }
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(BIN / "survey-server"), *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"survey-server {' '.join(args)} failed: {done.stderr}{done.stdout}")
        return done

    def setup(self) -> Server:
        self.cli("init")
        self.cli("unit", "add", UNIT, "UBND xã Tân Phú")
        return self

    def new_code(self, unit: str = UNIT, *, via_cli: bool = False) -> str:
        """A one-time enrolment code, from the CLI or (faster) from the same admin function it calls."""
        if via_cli:
            out = self.cli("device", "code", unit).stdout
            found = CODE_RE.search(out)
            assert found, f"no enrolment code in {out!r}"
            return found.group(0)
        engine = make_engine(self.database_url)
        try:
            with write_session(engine) as session:
                code, _ = create_enrolment_code(session, unit, utcnow(), 3600)
                session.commit()
            return code
        finally:
            engine.dispose()

    def start(self, *serve_args: str) -> Server:
        log = (self.root / "serve.log").open("ab")
        self.proc = subprocess.Popen(
            [
                str(BIN / "survey-server"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                *serve_args,
            ],
            cwd=self.root,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited: {(self.root / 'serve.log').read_text()[-3000:]}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError("the server did not come up in 60 s")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as a power cut does."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def add_user(self, username: str, password: str, role: str = "admin") -> None:
        """A dashboard and API account, through the same admin function `survey-server user add` calls."""
        from sync_server.admin import add_user

        engine = make_engine(self.database_url)
        try:
            with write_session(engine) as session:
                add_user(session, username, password, role, None)
                session.commit()
        finally:
            engine.dispose()

    def stored(self, device_id: str | None = None) -> Counter[str]:
        """How many times each response id is stored (exactly-once means every count is 1)."""
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                sql = "SELECT id FROM response"
                params: dict[str, str] = {}
                if device_id is not None:
                    sql += " WHERE device_id = :d"
                    params["d"] = device_id
                return Counter(row[0] for row in conn.execute(text(sql), params))
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def survey() -> Survey:
    return load_survey(default_survey_path())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("server")).setup().start()
    yield srv
    srv.stop()


def make_ballots(
    store: KioskStore,
    survey: Survey,
    count: int,
    *,
    seed: int = 0,
    start: datetime | None = None,
    spread: timedelta = timedelta(hours=8),
    details: int = 1,
) -> list[str]:
    """Take ``count`` complete ballots through the real store, as the kiosk does, spread in time."""
    rng = random.Random(seed)
    begin = start or datetime.now(UTC) - spread
    step = spread / max(count, 1)
    rated = [q for q in survey.detail_questions if q.type == "rating5"]
    ids = []
    for i in range(count):
        at = begin + step * i
        ballot = store.start_ballot(
            survey_id=survey.id, survey_version=survey.version, staff_id=None, lang="vi", now=at
        )
        store.record_answer(ballot, "tong_the", rng.randint(1, 5))
        for question in rng.sample(rated, details):
            store.record_answer(ballot, question.id, rng.choice([None, 1, 2, 3, 4, 5]))
        if rng.random() < 0.05:
            store.set_comment(ballot, "Cán bộ hướng dẫn tận tình, xin cảm ơn.", None)
        store.finish_ballot(ballot, now=at + timedelta(seconds=40))
        ids.append(ballot)
    return ids


def kiosk_env(home: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "SURVEY_KIOSK_HOME": str(home), "KIVY_HOME": str(home / "kivy"), "KIVY_NO_ARGS": "1"}
    # Software GL rasterising in the calling thread: on a shared 2-core machine its workers starve.
    env.setdefault("LP_NUM_THREADS", "0")
    env.update(extra)
    return env


def survey_kiosk(
    home: Path, *args: str, timeout: float = 120, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "survey-kiosk"), *args],
        env=kiosk_env(home, **extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )

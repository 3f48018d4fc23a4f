"""The signing key lives outside the database: a 0600 file (or SURVEY_SECRET_KEY), moved out of
`server_setting` on upgrade, and `survey-server key rotate` ends every log-in but no device's token."""

from __future__ import annotations

import io
import re
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from api_helpers import PASSWORD, Api
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from sync_server.app import create_app
from sync_server.db import write_session
from sync_server.models import DashboardSession, ServerSetting, User
from sync_server.security import issue_access_token
from sync_server.settings import Settings

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Keyless:
    """The API with no SURVEY_SECRET_KEY: the key comes from SURVEY_DATA_DIR/secret.key."""

    api: Api
    settings: Settings
    client: TestClient

    @property
    def key_file(self) -> Path:
        return self.settings.key_file


@pytest.fixture()
def keyless(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[Keyless]:
    settings = api.settings.with_(secret_key=None)
    monkeypatch.setenv("SURVEY_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SURVEY_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SURVEY_SURVEYS_DIR", str(Path(__file__).resolve().parents[2] / "surveys"))
    monkeypatch.delenv("SURVEY_SECRET_KEY", raising=False)
    api.add_user("quan_tri", "admin")
    with TestClient(create_app(settings, engine=api.engine), follow_redirects=False) as client:
        yield Keyless(api, settings, client)


def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """`survey-server ARGS` through the console script's `main()`, in this process."""
    from sync_server.cli import main

    monkeypatch.setattr(sys, "argv", ["survey-server", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    capsys.readouterr()
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def api_token(client: TestClient) -> dict[str, str]:
    reply = client.post("/api/v1/auth/token", data={"username": "quan_tri", "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def dashboard_session(client: TestClient) -> None:
    form = client.get("/dashboard/login")
    token = CSRF.search(form.text)
    assert token
    data = {"username": "quan_tri", "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/dashboard/login", data=data).status_code == 303
    assert client.get("/dashboard/").status_code == 200


def settings_rows(keyless: Keyless) -> list[str]:
    with Session(keyless.api.engine) as session:
        return [row.key for row in session.exec(select(ServerSetting)).all()]


def test_the_key_is_a_0600_file_and_never_in_the_database(keyless: Keyless) -> None:
    headers = api_token(keyless.client)
    assert keyless.client.get("/api/v1/indices?unit=XA01", headers=headers).status_code == 200
    assert "secret_key" not in settings_rows(keyless)
    mode = stat.S_IMODE(keyless.key_file.stat().st_mode)
    assert mode == 0o600, oct(mode)
    assert len(keyless.key_file.read_text().strip()) >= 32


def test_an_upgrade_moves_the_old_key_out_of_the_database(
    keyless: Keyless, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old_key = "the-key-an-older-version-generated-and-stored"
    with write_session(keyless.api.engine) as session:
        session.add(ServerSetting(key="secret_key", value=old_key))
        session.commit()
        user = session.exec(select(User).where(User.username == "quan_tri")).one()
    signed_before = {"Authorization": f"Bearer {issue_access_token(user, old_key)}"}
    code, out, err = cli(monkeypatch, capsys, "init")
    assert code == 0, err
    assert str(keyless.key_file) in out
    assert keyless.key_file.read_text().strip() == old_key
    assert stat.S_IMODE(keyless.key_file.stat().st_mode) == 0o600
    assert "secret_key" not in settings_rows(keyless)
    # A token signed before the upgrade still works: the key is the same, only its place changed.
    assert keyless.client.get("/api/v1/indices?unit=XA01", headers=signed_before).status_code == 200


def test_a_server_started_without_init_moves_the_key_too(keyless: Keyless) -> None:
    with write_session(keyless.api.engine) as session:
        session.add(ServerSetting(key="secret_key", value="another-old-key-from-the-database"))
        session.commit()
    api_token(keyless.client)
    assert keyless.key_file.read_text().strip() == "another-old-key-from-the-database"
    assert "secret_key" not in settings_rows(keyless)


def test_key_rotate_ends_every_log_in_but_no_device(
    keyless: Keyless, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    device = keyless.api.enrol()
    headers = api_token(keyless.client)
    dashboard_session(keyless.client)
    before = keyless.key_file.read_text()
    code, out, err = cli(monkeypatch, capsys, "key", "rotate")
    assert code == 0, err
    assert "Ended 1 dashboard session" in out
    assert keyless.key_file.read_text() != before
    assert stat.S_IMODE(keyless.key_file.stat().st_mode) == 0o600
    # The running app sees the new key at once: the old access token and the session are dead.
    assert keyless.client.get("/api/v1/indices?unit=XA01", headers=headers).status_code == 401
    assert keyless.client.get("/dashboard/").status_code == 303
    with Session(keyless.api.engine) as session:
        assert session.exec(select(DashboardSession)).all() == []
    # Devices are not signed with the key: they keep syncing.
    assert keyless.client.get("/api/v1/device/config", headers=device).status_code == 200
    assert (
        keyless.client.get("/api/v1/indices?unit=XA01", headers=api_token(keyless.client)).status_code == 200
    )


def test_key_rotate_refuses_when_the_environment_sets_the_key(
    keyless: Keyless, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SURVEY_SECRET_KEY", "set-by-the-environment-file")
    code, _, err = cli(monkeypatch, capsys, "key", "rotate")
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1 and len(lines) == 1 and "SURVEY_SECRET_KEY" in lines[0], err

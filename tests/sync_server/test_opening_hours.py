"""A unit's opening hours: set from the command line, sent to its kiosks in the configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_helpers import Api
from test_server_cli import fails, ready, run_here  # noqa: F401  (ready is a fixture)

from kiosk.config import config_from_json
from sync_server.admin import set_opening_hours
from sync_server.db import write_session


def test_the_config_carries_the_hours_only_when_the_unit_has_some(api: Api, tmp_path: Path) -> None:
    device = api.enrol()
    before = api.client.get("/api/v1/device/config", headers=device).json()
    assert "opening_hours" not in before["settings"]  # an additive field: absent, old kiosks see no change
    with write_session(api.engine) as session:
        set_opening_hours(session, "XA01", "T2-T6 07:30-11:30, 13:30-17:00; T7 07:30-11:30")
        session.commit()
    body = api.client.get("/api/v1/device/config", headers=device).json()
    assert body["config_version"] != before["config_version"]
    hours = body["settings"]["opening_hours"]
    assert hours["fri"] == [["07:30", "11:30"], ["13:30", "17:00"]] and hours["sat"] == [["07:30", "11:30"]]
    assert "sun" not in hours
    # The kiosk reads the server's body as it is.
    assert config_from_json(body, tmp_path).opening_hours == hours
    with write_session(api.engine) as session:
        set_opening_hours(session, "XA01", "")
        session.commit()
    assert "opening_hours" not in api.client.get("/api/v1/device/config", headers=device).json()["settings"]


def test_unit_set_hours_on_the_command_line(
    ready: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_here(ready, monkeypatch, capsys, "unit", "add", "XA01", "Xã Hòa Bình").returncode == 0
    done = run_here(
        ready, monkeypatch, capsys, "unit", "set", "XA01", "--hours", "T2-T6 07:30-11:30; T7 08:00-11:00"
    )
    assert done.returncode == 0, done.stderr
    assert "Its kiosks take ballots: Monday – Friday: 07:30–11:30; Saturday: 08:00–11:00." in done.stdout
    bad = run_here(ready, monkeypatch, capsys, "unit", "set", "XA01", "--hours", "T2-T6 7h30-11h30")
    fails(bad, "is not a time like 07:30")

"""`survey-kiosk enrol` through the fault proxy: a reply dropped after the server committed still enrols."""

from __future__ import annotations

from pathlib import Path

from faultproxy import Fault, FaultProxy
from sqlalchemy import create_engine, text

from kiosk.store import KioskStore
from surveys.loader import Survey

from .conftest import Server, make_ballots, survey_kiosk


def _devices(server: Server) -> int:
    engine = create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM device")).scalar_one())
    finally:
        engine.dispose()


def test_a_lost_enrolment_reply_is_retried_with_the_same_install_and_enrols(
    server: Server, survey: Survey, tmp_path: Path
) -> None:
    enrols: list[str] = []

    def plan(index: int, line: str) -> Fault:
        if line.startswith("POST /api/v1/devices/enrol"):
            enrols.append(line)
            if len(enrols) <= 2:  # the server commits twice, the kiosk hears nothing
                return Fault("drop_reply")
        return Fault()

    before = _devices(server)
    home = tmp_path / "kiosk"
    with FaultProxy(server.port, plan=plan) as proxy:
        done = survey_kiosk(
            home,
            "enrol",
            "--server",
            proxy.url,
            "--code",
            server.new_code(),
            SURVEY_KIOSK_ENROL_RETRY_S="0.2",
        )
        assert done.returncode == 0, done.stderr
        assert len(enrols) == 3 and _devices(server) == before + 1
        with KioskStore(home / "kiosk.db") as store:
            install = store.get("install_id")
            make_ballots(store, survey, 5, seed=2)
        done = survey_kiosk(home, "sync")
        assert done.returncode == 0 and "created: 5" in done.stdout, done.stderr
    with KioskStore(home / "kiosk.db") as store:
        assert store.get("install_id") == install  # made once, kept

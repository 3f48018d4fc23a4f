"""Upgrades lose nothing: databases made by an earlier release (tests/fixtures, see make_upgrade_fixtures.py)
opened by today's code — the server's through a real `survey-server init`, the kiosk's through its store."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from kiosk.store import KioskStore
from surveys.loader import load_survey
from sync_server.db import make_engine, read_session
from sync_server.migrations import current_revision, head_revision
from sync_server.queries import indices_for

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
BIN = Path(sys.executable).parent / "survey-server"
# Tables whose rows are the office's data: an upgrade keeps every row of them.
KEPT = ("unit", "staff", "device", "user", "response", "tally", "tally_ballots",
        "rollup_tally", "rollup_ballots", "rollup_day_tally", "rollup_day_ballots")  # fmt: skip


def test_init_upgrades_a_database_of_the_earlier_release_and_its_figures_stay(tmp_path: Path) -> None:
    saved = json.loads((FIXTURES / "server-0003_rollups.json").read_text())
    db = tmp_path / "server.db"
    shutil.copyfile(FIXTURES / "server-0003_rollups.db", db)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.update(SURVEY_DATABASE_URL=f"sqlite:///{db}", SURVEY_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run(
        [str(BIN), "init"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    assert f"revision {head_revision()}" in done.stdout
    with sqlite3.connect(db) as conn:
        for table in KEPT:
            count = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            assert count == saved["counts"][table], table
        # The earlier release's survey stays (its ballots point at it); init may add the one shipped today.
        versions = dict(conn.execute("SELECT version, content_hash FROM survey_version").fetchall())
        old = sqlite3.connect(FIXTURES / "server-0003_rollups.db")
        try:
            before_versions = dict(old.execute("SELECT version, content_hash FROM survey_version").fetchall())
        finally:
            old.close()
        assert before_versions and before_versions.items() <= versions.items()
        shipped = load_survey(ROOT / "surveys" / "chinh_quyen_than_thien.toml")
        assert shipped.version in versions
    engine = make_engine(f"sqlite:///{db}")
    try:
        assert current_revision(engine) == head_revision() != saved["revision"]
        with read_session(engine) as session:
            now = indices_for(session, "XA-DEMO", dt.date(2026, 9, 1), dt.date(2026, 9, 30), by="staff")
    finally:
        engine.dispose()
    before = json.loads(json.dumps(saved["september_by_staff"]))
    after = json.loads(json.dumps(now, default=str))["rows"]
    # Every figure of the earlier release is the same; items the new survey adds have no answers yet.
    for row in after:
        added = set(row["items"]) - set(before["rows"][0]["items"])
        assert all(row["items"][item]["n"] == 0 for item in added), added
        row["items"] = {k: v for k, v in row["items"].items() if k not in added}
    assert after == before["rows"]
    assert sum(row["n"] for row in before["rows"]) > 100


def test_the_kiosk_store_of_the_earlier_release_opens_with_every_ballot(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    shutil.copyfile(FIXTURES / "kiosk-aabd446.db", path)
    with KioskStore(path) as store:
        counts = store.counts_by_status()
        assert counts.get("synced") == 6 and counts.get("pending", 0) >= 4, counts
        assert store.get("token") == "token-of-an-old-release"
        assert len(store.pending_batch(100)) == 4  # the unfinished one is not sent until it closes
        ballot = store.start_ballot(
            survey_id="chinh-quyen-than-thien", survey_version="2024.1", staff_id=None, lang="vi"
        )
        store.record_answer(ballot, "tong_the", 5)
        store.finish_ballot(ballot)
    with KioskStore(path) as store:  # opening twice migrates once
        assert len(store.pending_batch(100)) == 5
        assert store.counts_by_status().get("synced") == 6

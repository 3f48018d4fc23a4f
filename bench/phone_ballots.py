"""Benchmark of phone ballots: server time per page of a whole phone ballot (through the real app,
in-process), against one kiosk ballot uploaded through the sync API in the same run; and a year's
figures filtered by source (raw ballots) against the unfiltered figures (tallies and roll-ups).

    .venv/bin/python bench/phone_ballots.py [--ballots 40] [--year 20000]

Prints figures; asserts nothing. The machine is shared: compare the ratios, not the milliseconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from html import unescape
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlmodel import Session

from kiosk import phone_ballot
from kiosk.store import KioskStore
from surveys.loader import default_survey_path, load_survey
from sync_server.admin import add_unit, create_enrolment_code, import_staff, load_survey_versions
from sync_server.app import create_app
from sync_server.db import make_engine, write_session
from sync_server.ingest import ingest_batch
from sync_server.migrations import upgrade
from sync_server.models import Device, Unit, utcnow
from sync_server.queries import indices_for
from sync_server.settings import Settings
from sync_server.web_ballots import WebLimits

SURVEY = load_survey(default_survey_path())


def _state(text: str) -> str:
    found = re.search(r'name="state" value="([^"]+)"', text)
    assert found is not None
    return unescape(found.group(1))


def _ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:6.1f} ms, best {min(samples) * 1000:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=40, help="phone ballots to time (and kiosk uploads)")
    parser.add_argument("--year", type=int, default=20000, help="ballots stored over a year for the figures")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-phone-"))
    url = f"sqlite:///{tmp / 'server.db'}"
    engine = make_engine(url)
    upgrade(engine)
    (tmp / "staff.csv").write_text(
        "id,name,title,counter,photo\ncb01,Nguyễn Văn An,Tư pháp,1,\n", encoding="utf-8"
    )
    with write_session(engine) as session:
        load_survey_versions(session, [SURVEY])
        add_unit(session, "XA01", "UBND xã Hòa Bình")
        import_staff(session, "XA01", tmp / "staff.csv", tmp / "photos")
        session.execute(update(Unit).values(web_ballots_enabled=True, hotline="0210 3 456 789"))
        codes = [create_enrolment_code(session, "XA01", utcnow(), 86400)[0] for _ in range(2)]
        session.commit()
    settings = Settings(database_url=url, data_dir=tmp / "data", secret_key="bench-secret")
    app = create_app(settings, engine=engine)
    app.state.web_limits = WebLimits(ip_max=10**9, issuer_max=10**9)
    store = KioskStore(tmp / "kiosk.db")
    with TestClient(app) as client:
        enrol = client.post(
            "/api/v1/devices/enrol",
            json={"code": codes[0], "name": "Quầy 1", "ballot_key": phone_ballot.ensure_key(store)},
        ).json()
        store.set("device_id", enrol["device_id"])
        headers = {"Authorization": f"Bearer {enrol['token']}"}
        pages: dict[str, list[float]] = {"open": [], "rating": [], "send (stores)": []}
        whole, upload = [], []
        for n in range(args.ballots):
            token = phone_ballot.mint(store, staff_id="cb01")
            started = time.perf_counter()
            first = client.get(f"/r/{token}")
            pages["open"].append(time.perf_counter() - started)
            at = time.perf_counter()
            offer = client.post(f"/r/{token}", data={"state": _state(first.text), "value": "4"})
            pages["rating"].append(time.perf_counter() - at)
            at = time.perf_counter()
            done = client.post(
                f"/r/{token}", data={"state": _state(offer.text), "do": "send"}, follow_redirects=False
            )
            pages["send (stores)"].append(time.perf_counter() - at)
            whole.append(time.perf_counter() - started)
            assert done.status_code == 303, done.text[:300]
            now = utcnow() - dt.timedelta(hours=1) + dt.timedelta(seconds=20 * n)
            item = {
                "id": str(uuid.uuid4()),
                "seq": n + 1,
                "survey_id": SURVEY.id,
                "survey_version": SURVEY.version,
                "staff_id": "cb01",
                "started_at": (now - dt.timedelta(seconds=30)).isoformat(),
                "submitted_at": now.isoformat(),
                "answers": {"tong_the": 4},
                "comment": None,
                "contact": None,
                "lang": "vi",
            }
            at = time.perf_counter()
            reply = client.post("/api/v1/device/responses", json={"responses": [item]}, headers=headers)
            upload.append(time.perf_counter() - at)
            assert reply.status_code == 200
    print(f"phone ballot, {args.ballots} ballots of 3 pages (open, rating, send), SQLite, in-process:")
    for name, samples in pages.items():
        print(f"  {name:14} {_ms(samples)}")
    print(f"  whole ballot   {_ms(whole)}")
    print(f"  kiosk upload of one ballot (reference): {_ms(upload)}")
    print(
        f"  send / kiosk upload: {statistics.median(pages['send (stores)']) / statistics.median(upload):.2f}x"
    )
    rng = random.Random(17)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=365)
    with write_session(engine) as session:
        device = session.execute(select(Device).where(Device.kind == "kiosk")).scalars().first()  # type: ignore[arg-type]
        assert device is not None
        seq, items = device.last_seq, []
        for n in range(args.year):
            seq += 1
            when = start + dt.timedelta(minutes=26 * n)
            items.append(
                {
                    "id": str(uuid.uuid4()),
                    "seq": seq,
                    "survey_id": SURVEY.id,
                    "survey_version": SURVEY.version,
                    "staff_id": "cb01",
                    "started_at": (when - dt.timedelta(seconds=40)).isoformat(),
                    "submitted_at": when.isoformat(),
                    "answers": {"tong_the": rng.choice([2, 3, 4, 4, 5, 5]), "xin_chao": rng.choice([4, 5])},
                    "comment": None,
                    "contact": None,
                    "lang": "vi",
                }
            )
        for at in range(0, len(items), 500):
            ingest_batch(session, device, items[at : at + 500], utcnow())
        session.commit()
    today = dt.datetime.now(dt.UTC).date()
    first_day = today.replace(day=1) - dt.timedelta(days=365)
    cases = (("all (tallies)", None), ("source=kiosk (tallies - web)", "kiosk"), ("source=web (raw)", "web"))
    timings: dict[str, list[float]] = {name: [] for name, _ in cases}
    with Session(engine) as session:
        for _ in range(5):
            for name, source in cases:
                at = time.perf_counter()
                body: dict[str, Any] = indices_for(
                    session, "XA01", first_day, today, by="period", source=source
                )
                timings[name].append(time.perf_counter() - at)
                assert body["rows"]
    print(f"a year's figures by month, {args.year + 2 * args.ballots} ballots stored:")
    for name, samples in timings.items():
        print(f"  {name:28} {_ms(samples)}")
    kiosk, every = timings["source=kiosk (tallies - web)"], timings["all (tallies)"]
    ratio = statistics.median(kiosk) / statistics.median(every)
    print(f"  source filter / tallies: {ratio:.1f}x")
    store.close()


if __name__ == "__main__":
    main()

"""Figures with and without phone ballots: the server's figures (tallies and roll-ups, or raw ballots for a
source filter) equal the index engine's on the stored ballots; the dashboard's source filter shows them."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

from api_helpers import Api
from sqlalchemy import select

from kiosk import phone_ballot
from kiosk.store import KioskStore
from sync_server import indices as ix
from sync_server import web_ballots
from sync_server.db import write_session
from sync_server.models import Response, Unit, utcnow
from sync_server.queries import indices_for

TZ = "Asia/Ho_Chi_Minh"


def _answers(rng: random.Random) -> dict[str, Any]:
    score = rng.choice([1, 2, 3, 4, 4, 5, 5, 5])
    answers: dict[str, Any] = {"tong_the": score, "xin_chao": rng.choice([None, 3, 4, 5])}
    answers["nam_khong"] = rng.choice([[], [], ["tham_nhung_lang_phi"]])
    return answers


def _engine_rows(rows: list[Response], survey: Any, by: str) -> list[ix.Row]:
    ballots = [
        ix.Ballot(r.submitted_at, r.received_at, r.clock_suspect, r.staff_id, r.answers, r.misuse)
        for r in rows
    ]
    return ix.compute_rows(ix.tally_ballots(ballots, survey, TZ), survey, by=by, min_sample=1)


def test_figures_with_and_without_web_ballots_equal_the_engines(api: Api, tmp_path: Path) -> None:
    rng = random.Random(17)
    store = KioskStore(tmp_path / "kiosk.db")
    reply = api.client.post(
        "/api/v1/devices/enrol",
        json={"code": api.code(), "name": "Quầy 1", "ballot_key": phone_ballot.ensure_key(store)},
    )
    headers = {"Authorization": f"Bearer {reply.json()['token']}"}
    store.set("device_id", reply.json()["device_id"])
    kiosk = [
        api.ballot(headers, staff_id=rng.choice(["cb01", "cb02", None]), answers=_answers(rng))
        for _ in range(40)
    ]
    assert set(api.statuses(api.upload(headers, kiosk))) == {"created"}
    with write_session(api.engine) as session:
        unit = session.execute(select(Unit).where(Unit.code == "XA01")).scalars().one()  # type: ignore[arg-type]
        unit.web_ballots_enabled = True
        session.commit()
    start = utcnow() - dt.timedelta(days=1)
    for n in range(25):
        now = start + dt.timedelta(minutes=7 * n)
        staff = rng.choice(["cb01", "cb02", None])
        token = phone_ballot.mint(store, staff_id=staff, now=now - dt.timedelta(minutes=3))
        assert token is not None
        answers = _answers(rng)
        ballot = web_ballots.PhoneBallot(
            api.survey.id, api.survey.version, staff, answers, None, None, "vi", now - dt.timedelta(minutes=1)
        )
        with write_session(api.engine) as session:
            web_ballots.store_ballot(session, token, now, "test-secret", ballot)
            session.commit()
    with api.session() as session:
        stored = list(session.execute(select(Response)).scalars())
        assert sorted({r.source for r in stored}) == ["kiosk", "web"]
        today = dt.datetime.now(dt.UTC).date()
        for date_from in (today.replace(day=1) - dt.timedelta(days=40), today - dt.timedelta(days=3)):
            for source in (None, "kiosk", "web"):
                chosen = [r for r in stored if source is None or r.source == source]
                for by in ("none", "staff", "period"):
                    body = indices_for(session, "XA01", date_from, today, by=by, min_sample=1, source=source)
                    assert body["rows"] == _engine_rows(chosen, api.survey, by), (date_from, source, by)
        web = indices_for(session, "XA01", today - dt.timedelta(days=3), today, min_sample=1, source="web")
        both = indices_for(session, "XA01", today - dt.timedelta(days=3), today, min_sample=1)
    assert web["rows"][0]["n"] == 25 and both["rows"][0]["n"] == 65
    store.close()

"""Benchmark of every dashboard page with 10 million ballots stored.

    .venv/bin/python bench/dashboard.py [--units 100] [--officers 10] [--months 25] [--ballots 10000000]
                                        [--alerts 100000] [--comments 500000] [--repeat 15] [--cold 5]
                                        [--database-url URL]

Generating 10 M ballots through ingest takes hours, so the tally tables (what the pages read) are
filled directly with bulk inserts, with counts summing to `--ballots` ballots spread over a province of
`--units` communes; `--alerts` alert ballots are stored as raw responses (the overview counts the open
ones); `--comments` comment ballots are stored as raw responses too, and every comment and alert
ballot gets its case (topics, search text) as ingest would make it. Requests go through the real app
in-process (no network); the figure is server time per request.
Prints figures; asserts nothing. The machine is shared (2 cores, other people's work running): the best
of several runs is the fairest figure, the median shows the noise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlmodel import select

from surveys.loader import default_survey_path, load_survey
from sync_server.admin import add_unit, add_user, load_survey_versions
from sync_server.alert_rules import ballot_cases, store_when, when_counts
from sync_server.app import create_app
from sync_server.db import make_engine, write_session
from sync_server.demo import BAD_COMMENTS, GOOD_COMMENTS, NEUTRAL_COMMENTS
from sync_server.ingest import rebuild_rollups
from sync_server.migrations import upgrade
from sync_server.models import Case, Device, Response, Staff, Tally, TallyBallots, Unit
from sync_server.settings import Settings

PASSWORD = "bench-password-1"
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
parent_of: dict[int, int] = {}
SURVEY = load_survey(default_survey_path())
RATING_SHARE = (0.01, 0.03, 0.08, 0.40, 0.48)


def month_keys(last: dt.date, count: int) -> list[str]:
    y, m = last.year, last.month
    out = []
    for _ in range(count):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


def split(total: int, shares: tuple[float, ...], rng: random.Random) -> list[int]:
    """`total` split by `shares` with a little noise; the parts sum to `total`."""
    raw = [max(0.0, s * rng.uniform(0.8, 1.2)) for s in shares]
    scale = total / sum(raw)
    parts = [int(x * scale) for x in raw]
    parts[-1] += total - sum(parts)
    return parts


def fill(engine: Any, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(7)
    upgrade(engine)
    with write_session(engine) as s:
        load_survey_versions(s, [SURVEY])
        add_unit(s, "TINH", "Tỉnh Thử Nghiệm")
        for u in range(args.units):
            add_unit(s, f"XA{u:03d}", f"Xã số {u}", parent="TINH")
        add_user(s, "admin", PASSWORD, "admin")
        add_user(s, "lanhdao", PASSWORD, "leader", "XA000")
        s.commit()
        units = {u.code: u.id for u in s.exec(select(Unit)).all()}
        parent_of.update({u.id: u.parent_id for u in s.exec(select(Unit)).all() if u.id and u.parent_id})
    today = dt.date.today()
    months = month_keys(today, args.months)
    rating_qs = [q.id for q in SURVEY.questions if q.type == "rating5" and q.id != "tong_the"]
    checklist = SURVEY.question("nam_khong")
    per_cell = args.ballots // (args.units * args.months * args.officers)
    now = dt.datetime.now(dt.UTC)
    tally_rows: list[dict[str, Any]] = []
    ballot_rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    total_ballots = 0
    with engine.begin() as conn:
        for u in range(args.units):
            uid = units[f"XA{u:03d}"]
            conn.execute(
                insert(Staff),
                [
                    {
                        "id": f"cb{k:02d}",
                        "unit_id": uid,
                        "name": f"Cán bộ {k}",
                        "title": "",
                        "counter": f"Quầy {k}",
                        "active": True,
                        "updated_at": now,
                    }
                    for k in range(args.officers)
                ],
            )
            for month in months:
                for k in range(args.officers):
                    staff = f"cb{k:02d}"
                    b = max(1, int(per_cell * rng.uniform(0.6, 1.4)))
                    total_ballots += b
                    base = {
                        "unit_id": uid,
                        "survey_id": SURVEY.id,
                        "month": month,
                        "staff_key": staff,
                        "flagged": False,
                    }
                    ballot_rows.append({**base, "count": b})
                    for v, c in enumerate(split(b, RATING_SHARE, rng), start=1):
                        tally_rows.append({**base, "question_id": "tong_the", "value": str(v), "count": c})
                    detail = b * 4 // len(SURVEY.detail_questions)
                    for q in rating_qs:
                        for v, c in enumerate(split(detail, RATING_SHARE, rng), start=1):
                            tally_rows.append({**base, "question_id": q, "value": str(v), "count": c})
                    tally_rows.append(
                        {**base, "question_id": "nam_khong", "value": "__answered__", "count": detail}
                    )
                    tally_rows.append(
                        {
                            **base,
                            "question_id": "nam_khong",
                            "value": "__empty__",
                            "count": detail - detail // 40,
                        }
                    )
                    for o in checklist.options:
                        tally_rows.append(
                            {**base, "question_id": "nam_khong", "value": o.id, "count": detail // 200}
                        )
                    if len(tally_rows) > 50_000:
                        conn.execute(insert(Tally), tally_rows)
                        tally_rows.clear()
            conn.execute(insert(TallyBallots), ballot_rows)
            ballot_rows.clear()
        if tally_rows:
            conn.execute(insert(Tally), tally_rows)
        # Raw alert ballots: the overview counts the open ones of the unit (and of the province).
        devices = [
            {
                "id": str(uuid.uuid4()),
                "unit_id": units[f"XA{u:03d}"],
                "name": "Quầy",
                "token_hash": uuid.uuid4().hex,
                "created": now,
            }
            for u in range(args.units)
        ]
        conn.execute(insert(Device), devices)
        responses = []
        for i in range(args.alerts):
            dev = devices[i % args.units]
            when = now - dt.timedelta(minutes=rng.randint(1, 60 * 24 * 30 * args.months))
            responses.append(
                {
                    "id": str(uuid.uuid4()),
                    "unit_id": dev["unit_id"],
                    "device_id": dev["id"],
                    "seq": i + 1,
                    "survey_id": SURVEY.id,
                    "survey_version": SURVEY.version,
                    "staff_id": "cb01",
                    "started_at": when,
                    "submitted_at": when,
                    "received_at": when,
                    "bucket_month": when.strftime("%Y-%m"),
                    "bucket_day": when.date(),
                    "answers": {"tong_the": 1},
                    "lang": "vi",
                    "alert_kind": "rat_khong_hai_long",
                    "has_comment": False,
                    "content_hash": "0" * 64,
                }
            )
            if len(responses) >= 20_000:
                store_with_cases(conn, responses, now)
        pools = GOOD_COMMENTS + BAD_COMMENTS + NEUTRAL_COMMENTS
        for i in range(args.comments):
            dev = devices[i % args.units]
            when = now - dt.timedelta(minutes=rng.randint(1, 60 * 24 * 30 * args.months))
            responses.append(
                {
                    "id": str(uuid.uuid4()),
                    "unit_id": dev["unit_id"],
                    "device_id": dev["id"],
                    "seq": args.alerts + i + 1,
                    "survey_id": SURVEY.id,
                    "survey_version": SURVEY.version,
                    "staff_id": f"cb{rng.randrange(args.officers):02d}",
                    "started_at": when,
                    "submitted_at": when,
                    "received_at": when,
                    "bucket_month": when.strftime("%Y-%m"),
                    "bucket_day": when.date(),
                    "answers": {"tong_the": rng.randint(2, 5)},
                    "comment": rng.choice(pools),
                    "lang": "vi",
                    "alert_kind": None,
                    "has_comment": True,
                    "content_hash": "0" * 64,
                }
            )
            if len(responses) >= 20_000:
                store_with_cases(conn, responses, now)
        if responses:
            store_with_cases(conn, responses, now)
    with write_session(engine) as s:  # the roll-ups ingest keeps beside the tallies (migration 0003)
        rebuild_rollups(s)
        s.commit()
    if engine.dialect.name == "sqlite":
        with engine.connect() as c:
            c.exec_driver_sql("ANALYZE")
    return {"ballots": total_ballots, "fill_s": time.perf_counter() - started, "months": months}


def store_with_cases(conn: Any, responses: list[dict[str, Any]], now: dt.datetime) -> None:
    """Store raw ballots and the cases ingest would make of them; empties `responses`."""
    conn.execute(insert(Response), responses)
    cases = ballot_cases(responses, now)
    if cases:
        conn.execute(insert(Case), cases)
    for unit_id in {r["unit_id"] for r in responses}:  # the hour and counter roll-ups of these ballots
        mine = [r for r in responses if r["unit_id"] == unit_id]
        store_when(conn, *when_counts(mine, (unit_id, parent_of[unit_id]), now, ZONE))
    responses.clear()


def timed(client: TestClient, path: str, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = client.get(path)
        out.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
    return out


def login(client: TestClient, user: str) -> None:
    import re

    page = client.get("/dashboard/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    r = client.post(
        "/dashboard/login", data={"username": user, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert r.status_code == 303


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--units", type=int, default=100)
    p.add_argument("--officers", type=int, default=10)
    p.add_argument("--months", type=int, default=25)
    p.add_argument("--ballots", type=int, default=10_000_000)
    p.add_argument("--alerts", type=int, default=100_000)
    p.add_argument("--comments", type=int, default=500_000)
    p.add_argument("--repeat", type=int, default=15, help="cached requests per page")
    p.add_argument("--cold", type=int, default=5, help="fresh server processes per commune page")
    p.add_argument(
        "--database-url", default=None, help="an empty database (default: a temporary SQLite file)"
    )
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    url = args.database_url or f"sqlite:///{tmp / 'server.db'}"
    engine = make_engine(url)
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"database {engine.dialect.name}; 2 shared cores, other engineers' tests running: figures are noisy"
    )
    made = fill(engine, args)
    with engine.connect() as c:
        tallies = c.exec_driver_sql("SELECT count(*) FROM tally").scalar()
        case_count = c.exec_driver_sql("SELECT count(*) FROM case_item").scalar() or 0
    print(
        f"stored: {made['ballots']:,} ballots as {tallies:,} tally rows over {args.units} communes × "
        f"{args.officers} officers × {args.months} months, {args.alerts:,} raw alert ballots, "
        f"{args.comments:,} raw comment ballots and {case_count:,} cases "
        f"(filled directly with bulk inserts in {made['fill_s']:.0f} s)"
    )
    settings = Settings(database_url=url, data_dir=tmp / "data", secret_key="bench")
    year = made["months"][-1][:4]
    cases = [
        ("lanhdao", "overview, one commune, month", "/dashboard/?unit=XA000", args.cold),
        ("lanhdao", "officers, one commune, month", "/dashboard/officers?unit=XA000", args.cold),
        (
            "lanhdao",
            "overview, one commune, year",
            f"/dashboard/?unit=XA000&period=year&key={year}",
            args.cold,
        ),
        (
            "lanhdao",
            "officers, one commune, year",
            f"/dashboard/officers?unit=XA000&period=year&key={year}",
            args.cold,
        ),
        (
            "admin",
            f"overview, province ({args.units} communes), year",
            f"/dashboard/?unit=TINH&period=year&key={year}",
            1,
        ),
        (
            "admin",
            f"officers, province ({args.units} communes), year",
            f"/dashboard/officers?unit=TINH&period=year&key={year}",
            1,
        ),
    ]
    month = made["months"][-1]
    one, prov = "unit=XA000", "unit=TINH"
    for who, label, path in (
        ("lanhdao", "comments, one commune, month", f"/dashboard/comments?{one}"),
        ("lanhdao", "comments, one commune, year", f"/dashboard/comments?{one}&period=year&key={year}"),
        ("admin", "comments, province, year", f"/dashboard/comments?{prov}&period=year&key={year}"),
        (
            "admin",
            "comments, province, year, page 20",
            f"/dashboard/comments?{prov}&period=year&key={year}&p=20",
        ),
        (
            "admin",
            "comments, province, year, search",
            f"/dashboard/comments?{prov}&period=year&key={year}&q=cho+lau",
        ),
        (
            "admin",
            "comments, province, year, topic",
            f"/dashboard/comments?{prov}&period=year&key={year}&topic=tien_qua",
        ),
        ("lanhdao", "alerts, one commune, month", f"/dashboard/alerts?{one}&period=month&key={month}"),
        (
            "admin",
            "alerts, province, year, all states",
            f"/dashboard/alerts?{prov}&period=year&key={year}&state=all",
        ),
        ("admin", "rules, province", f"/dashboard/rules?{prov}"),
        ("lanhdao", "when and where, one commune, year", f"/dashboard/when?{one}&period=year&key={year}"),
        ("admin", "when and where, province, year", f"/dashboard/when?{prov}&period=year&key={year}"),
        ("lanhdao", "items, one commune, month", f"/dashboard/items?{one}"),
        ("lanhdao", "devices, one commune", f"/dashboard/devices?{one}"),
        (
            "admin",
            "CSV of the province's comments, month",
            f"/dashboard/cases/comments.csv?{prov}&period=month&key={month}",
        ),
    ):
        cases.append((who, label, path, 1))
    print("cold = first request for these figures in a fresh app (empty figures cache, templates compiled);")
    print("cached = later requests while no new ballot has arrived (figures cached per data version)")
    print(f"{'page':<42} {'cold best':>10} {'cold median':>12} {'cached best':>12} {'cached median':>14}")
    for user, label, path, cold_n in cases:
        cold: list[float] = []
        warm: list[float] = []
        for i in range(cold_n):
            with TestClient(create_app(settings, engine=engine), follow_redirects=False) as client:
                login(client, user)
                # The same page for a year without data compiles its templates without warming the figures.
                timed(
                    client,
                    path.split("?")[0] + "?" + path.split("?")[1].split("&")[0] + "&period=year&key=2001",
                    1,
                )
                cold += timed(client, path, 1)
                if i == cold_n - 1:
                    warm = timed(client, path, args.repeat)
        print(
            f"{label:<42} {min(cold):8.0f} ms {statistics.median(cold):9.0f} ms {min(warm):9.0f} ms "
            f"{statistics.median(warm):11.0f} ms"
        )
    engine.dispose()


if __name__ == "__main__":
    main()

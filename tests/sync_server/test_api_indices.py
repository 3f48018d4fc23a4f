"""`GET /api/v1/indices` gives the index engine's figures for the same ballots, on both databases."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any
from zoneinfo import ZoneInfo

from api_helpers import Api
from sqlalchemy import select

from sync_server import indices as ix
from sync_server.models import Response

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _upload_history(api: Api, device: dict[str, str], rng: random.Random) -> None:
    """~400 ballots from Jan 2024 to Apr 2024 (local time), some flagged, one with a suspect clock."""
    start = dt.datetime(2024, 1, 1, 7, 0, tzinfo=TZ)
    items: list[dict[str, Any]] = []
    at = start
    options = ["quan_lieu_vo_cam", "tham_nhung_lang_phi", "cua_quyen_hach_dich"]
    while at < dt.datetime(2024, 4, 30, 17, 0, tzinfo=TZ):
        burst = rng.random() < 0.03
        for k in range(4 if burst else 1):
            when = at + dt.timedelta(seconds=2 * k)
            answers: dict[str, Any] = {"tong_the": rng.choice([1, 2, 3, 4, 4, 5, 5, 5])}
            if rng.random() < 0.7:
                answers["xin_chao"] = rng.choice([None, 2, 3, 4, 5, 5])
            if rng.random() < 0.5:
                answers["cong_chuc_thai_do"] = rng.choice([3, 4, 5])
            if rng.random() < 0.6:
                answers["nam_khong"] = rng.choice([[], [], [], [rng.choice(options)]])
            items.append(
                api.ballot(
                    device,
                    staff_id=rng.choice(["cb01", "cb01", "cb02", None]),
                    submitted_at=when.isoformat(),
                    started_at=(when - dt.timedelta(seconds=30)).isoformat(),
                    answers=answers,
                )
            )
        at += dt.timedelta(hours=rng.choice([3, 5, 7, 11]))
    items.append(
        api.ballot(device, submitted_at="2019-05-01T08:00:00+07:00", started_at="2019-05-01T07:59:00+07:00")
    )
    for start_i in range(0, len(items), 150):
        assert set(api.statuses(api.upload(device, items[start_i : start_i + 150]))) == {"created"}


def _engine_body(
    api: Api, first: dt.date, last: dt.date, by: str, period: str, include_flagged: bool
) -> dict[str, Any]:
    with api.session() as session:
        stored = session.execute(select(Response)).scalars().all()
    ballots = [
        ix.Ballot(r.submitted_at, r.received_at, r.clock_suspect, r.staff_id, r.answers, r.misuse)
        for r in stored
    ]
    tallies = ix.tally_ballots(
        ballots, api.survey, tz=TZ, include_flagged=include_flagged, from_date=first, to_date=last
    )
    rows = ix.compute_rows(tallies, api.survey, by=by, period=period, min_sample=api.settings.min_sample)
    return ix.indices_response("XA01", first, last, rows)


def _close(a: Any, b: Any, path: str = "") -> None:
    if isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None and abs(a - b) <= 0.05, (path, a, b)
    elif isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            _close(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{path}[{i}]")
    else:
        assert a == b, (path, a, b)


def test_api_figures_equal_the_engine_for_the_same_ballots(api: Api) -> None:
    device = api.enrol()
    _upload_history(api, device, random.Random(2024))
    api.add_user("admin", "admin")
    admin = api.login("admin")
    cases = [
        ("2024-01-01", "2024-04-30", "none", "month", False),
        ("2024-01-01", "2024-04-30", "period", "month", False),
        ("2024-01-15", "2024-03-10", "period", "month", False),  # partial edge months
        ("2024-02-10", "2024-02-20", "staff", "month", True),  # inside one month
        ("2024-01-20", "2024-04-05", "staff", "quarter", False),
        ("2024-01-01", "2024-12-31", "staff", "quarter", True),  # the officers' year rows
        ("2023-12-31", "2025-01-31", "staff", "month", False),  # a year, a month and an edge day
        ("2024-01-01", "2024-06-30", "period", "half", True),
        ("2023-12-31", "2024-12-31", "period", "year", False),
    ]
    for first, last, by, period, flagged in cases:
        reply = api.client.get(
            "/api/v1/indices",
            params={
                "unit": "XA01",
                "from": first,
                "to": last,
                "by": by,
                "period": period,
                "include_flagged": str(flagged).lower(),
            },
            headers=admin,
        )
        assert reply.status_code == 200, reply.text
        body = reply.json()
        expected = _engine_body(
            api, dt.date.fromisoformat(first), dt.date.fromisoformat(last), by, period, flagged
        )
        assert body["method"] == "ctt-sipas-1"
        assert body["rows"], (first, last, by)
        _close(body, expected)
    # The parent unit's figures include its communes.
    huyen = api.client.get(
        "/api/v1/indices", params={"unit": "HUYEN", "from": "2024-01-01", "to": "2024-04-30"}, headers=admin
    ).json()
    xa01 = api.client.get(
        "/api/v1/indices", params={"unit": "XA01", "from": "2024-01-01", "to": "2024-04-30"}, headers=admin
    ).json()
    assert huyen["rows"][0]["n"] == xa01["rows"][0]["n"]


def test_flagged_ballots_count_only_on_request(api: Api) -> None:
    device = api.enrol()
    at = dt.datetime(2024, 9, 3, 9, 0, tzinfo=TZ)
    items = [
        api.ballot(device, submitted_at=(at + dt.timedelta(seconds=2 * i)).isoformat()) for i in range(6)
    ]
    api.upload(device, items)  # the 3rd..6th are flagged misuse
    api.add_user("admin", "admin")
    admin = api.login("admin")
    params = {"unit": "XA01", "from": "2024-09-01", "to": "2024-09-30"}
    plain = api.client.get("/api/v1/indices", params=params, headers=admin).json()
    assert plain["rows"][0]["n"] == 2 and plain["rows"][0]["insufficient"]
    both = api.client.get(
        "/api/v1/indices", params=params | {"include_flagged": "true"}, headers=admin
    ).json()
    assert both["rows"][0]["n"] == 6
    empty = api.client.get(
        "/api/v1/indices", params={"unit": "XA01", "from": "2023-01-01", "to": "2023-01-31"}, headers=admin
    ).json()
    assert empty == {
        "method": "ctt-sipas-1",
        "unit": "XA01",
        "from": "2023-01-01",
        "to": "2023-01-31",
        "rows": [],
    }


def test_bad_queries_get_400(api: Api) -> None:
    api.add_user("admin", "admin")
    admin = api.login("admin")
    for params in (
        {"unit": "XA01", "by": "officer"},
        {"unit": "XA01", "period": "week"},
        {"unit": "XA01", "from": "2024-13-01"},
        {"unit": "XA01", "from": "2024-09-30", "to": "2024-09-01"},
        {"from": "2024-09-01"},
    ):
        reply = api.client.get("/api/v1/indices", params=params, headers=admin)
        assert reply.status_code == 400, params
        assert reply.json()["error"] == "invalid_request" and reply.json()["detail"]

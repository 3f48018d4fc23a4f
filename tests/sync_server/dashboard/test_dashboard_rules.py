"""Alert rules (issue 15): set by an administrator per unit, evaluated at ingest on the batch's ballots
with the day/month roll-ups and the per-minute counter — checked at the window's edges with a fixed
clock (the ingest's `now` and the ballots' own times), on a real migrated SQLite file and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_world import PASSWORD, TZ, ballot, csrf_of, login
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from surveys.loader import default_survey_path, load_survey
from sync_server.admin import add_unit, add_user, create_enrolment_code, enrol_device, load_survey_versions
from sync_server.db import make_engine, write_session
from sync_server.ingest import ingest_batch
from sync_server.migrations import upgrade
from sync_server.models import AlertRule, Case, Device, RuleWindowCount, Unit
from sync_server.settings import Settings

NOW = dt.datetime(2026, 3, 20, 17, 0, tzinfo=TZ)  # the fixed clock of every batch


class Store:
    def __init__(self, tmp: Path, url: str) -> None:
        self.url = url
        self.data = tmp / "server"
        self.engine: Engine = make_engine(self.url)
        upgrade(self.engine)
        self.seq = 0
        with write_session(self.engine) as s:
            load_survey_versions(s, [load_survey(default_survey_path())])
            add_unit(s, "TINH", "UBND tỉnh Thử")
            add_unit(s, "XA1", "UBND xã Một", parent="TINH")
            add_user(s, "admin", PASSWORD, "admin")
            add_user(s, "lanhdao", PASSWORD, "leader", "XA1")
            code, _ = create_enrolment_code(s, "XA1", NOW, 86400)
            device, _, _ = enrol_device(s, code, "Quầy 1", NOW)
            s.commit()
            self.device = device.id

    def rule(
        self, code: str, kind: str, threshold: float, min_answers: int, window: int | None = None
    ) -> int:
        with write_session(self.engine) as s:
            unit = s.execute(select(Unit).where(Unit.code == code)).scalar_one()
            rule = AlertRule(
                unit_id=unit.id,
                kind=kind,
                threshold=threshold,
                window_min=window,
                min_answers=min_answers,
                created_by="admin",
                created_at=NOW,
            )
            s.add(rule)
            s.commit()
            assert rule.id is not None
            return rule.id

    def send(self, ratings: list[tuple[dt.datetime, int]], now: dt.datetime = NOW) -> None:
        items: list[dict[str, Any]] = []
        for when, rating in ratings:
            self.seq += 1
            items.append(ballot(self.seq, None, when, {"tong_the": rating}))
        with write_session(self.engine) as s:
            dev = s.get(Device, self.device)
            assert dev is not None
            results = ingest_batch(s, dev, items, now.astimezone(dt.UTC))
            s.commit()
        assert all(r.status == "created" for r in results), results

    def rule_cases(self, rule_id: int) -> list[Case]:
        with write_session(self.engine) as s:
            query = select(Case).where(Case.rule_id == rule_id).order_by(Case.opened_at)
            return list(s.execute(query).scalars())


@pytest.fixture()
def store(tmp_path: Path, server_db_url: str) -> Iterator[Store]:
    """A fresh migrated store: a SQLite file, and PostgreSQL when SURVEY_TEST_PG_URL is set."""
    st = Store(tmp_path, server_db_url)
    yield st
    st.engine.dispose()


def at(hour: int, minute: int, second: int = 0, day: int = 20) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, second, tzinfo=TZ)


def test_window_rule_counts_exactly_the_last_m_minutes(store: Store) -> None:
    # 50 % "không hài lòng" within 60 minutes, at least 4 answers
    rule = store.rule("XA1", "window_unhappy", 50, 4, window=60)
    # 10:00:00 and 10:59:59 lie in one 60-minute window; 11:00:00 no longer sees 10:00
    store.send([(at(10, 0), 1), (at(10, 20), 5), (at(10, 40), 5)])
    assert store.rule_cases(rule) == []  # 3 answers: under the minimum
    store.send([(at(11, 0, 0), 2)])
    # window ending 11:00 holds 10:01..11:00: 10:20 (5), 10:40 (5), 11:00 (2) = 3 answers, no alert
    assert store.rule_cases(rule) == []
    store.send([(at(11, 0, 30), 1)])
    # 10:20, 10:40, 11:00, 11:00:30 → 4 answers, 2 unhappy = 50 % ≥ 50 %: the alert, at the edge
    found = store.rule_cases(rule)
    assert len(found) == 1
    detail = json.loads(found[0].detail or "{}")
    assert (detail["answers"], detail["unhappy"], detail["share"]) == (4, 2, 50.0)
    assert found[0].window_key == "2026-03-20T04:00"  # UTC minute of 11:00 local
    # a further bad ballot inside the same window raises no second alert
    store.send([(at(11, 10), 1)])
    assert len(store.rule_cases(rule)) == 1
    # a window that no longer overlaps raises the next one
    store.send([(at(12, 30), 1), (at(12, 31), 1), (at(12, 32), 1), (at(12, 33), 1)])
    assert len(store.rule_cases(rule)) == 2


def test_window_rule_just_under_the_share_raises_nothing(store: Store) -> None:
    rule = store.rule("TINH", "window_unhappy", 50, 4, window=30)  # the province's rule sees the commune
    store.send([(at(9, 0), 1), (at(9, 10), 4), (at(9, 20), 4), (at(9, 29), 2), (at(9, 29, 59), 4)])
    # 2 of 5 = 40 %
    assert store.rule_cases(rule) == []
    store.send([(at(9, 31), 1)])  # 9:02..9:31 → 9:10 4, 9:20 4, 9:29 2, 9:29 4, 9:31 1 → 40 %
    assert store.rule_cases(rule) == []
    store.send([(at(9, 32), 1)])  # 3 of 6 = 50 %
    found = store.rule_cases(rule)
    assert len(found) == 1 and found[0].unit_id != 0
    with write_session(store.engine) as s:
        units = {u.id: u.code for u in s.execute(select(Unit)).scalars()}
        assert units[found[0].unit_id] == "TINH"
        # counters are kept only for the unit with a window rule
        counted = {units[u] for u in s.execute(select(RuleWindowCount.unit_id)).scalars()}
        assert counted == {"TINH"}


def test_day_rule_fires_once_the_day_is_over(store: Store) -> None:
    rule = store.rule("XA1", "day_below", 60, 5)
    day19 = [(at(9, m, day=19), 5 if m < 2 else 2) for m in range(6)]  # 2 of 6 satisfied = 33.3
    store.send(day19, now=at(16, 0, day=19))
    assert store.rule_cases(rule) == []  # the 19th is not over yet
    store.send([(at(8, 0, day=20), 5)], now=at(8, 5, day=20))
    found = store.rule_cases(rule)
    assert [c.window_key for c in found] == ["2026-03-19"]
    assert json.loads(found[0].detail or "{}") == {"index": 33.3, "n": 6}
    store.send([(at(9, 0, day=20), 5)], now=at(9, 5, day=20))
    assert len(store.rule_cases(rule)) == 1  # once per day


def test_day_rule_at_the_threshold_and_minimum(store: Store) -> None:
    rule = store.rule("XA1", "day_below", 60, 5)
    # 3 of 5 satisfied = 60.0: not under 60
    store.send([(at(9, m, day=18), 5 if m < 3 else 1) for m in range(5)], now=at(20, 0, day=19))
    # 4 answers under the minimum
    store.send([(at(9, m, day=17), 1) for m in range(4)], now=at(20, 0, day=19))
    assert store.rule_cases(rule) == []


def test_month_rule_is_positive_once_the_month_is_over(store: Store) -> None:
    rule = store.rule("XA1", "month_above", 80, 5)
    store.send([(at(9, m, day=3), 5) for m in range(5)], now=at(9, 30, day=3))
    assert store.rule_cases(rule) == []
    april = dt.datetime(2026, 4, 1, 8, 0, tzinfo=TZ)
    store.send([(april, 3)], now=april + dt.timedelta(minutes=5))
    found = store.rule_cases(rule)
    assert [(c.window_key, c.positive) for c in found] == [("2026-03", True)]


# ------------------------------------------------------------------------------- the rules page


def _client(store: Store, who: str) -> TestClient:
    from sync_server.app import create_app

    cfg = Settings(database_url=store.url, data_dir=store.data, secret_key="test-secret")
    return login(TestClient(create_app(cfg, engine=store.engine), follow_redirects=False), who)


def test_an_administrator_sets_rules_and_a_leader_only_reads_them(store: Store) -> None:
    with _client(store, "admin") as c:
        token = csrf_of(c.get("/dashboard/rules?unit=XA1").text)
        form = {
            "rule_unit": "XA1",
            "kind": "window_unhappy",
            "threshold": "40,5",
            "window_min": "30",
            "min_answers": "8",
            "csrf_token": token,
        }
        r = c.post("/dashboard/rules", data=form)
        assert r.status_code == 303
        page = c.get("/dashboard/rules?unit=XA1").text
        assert "Tỷ lệ “không hài lòng” ≥ 40,5 % trong 30 phút, ít nhất 8 phiếu" in page
        for bad in (
            {"threshold": "150"},
            {"kind": "x"},
            {"window_min": ""},
            {"min_answers": "0"},
            {"rule_unit": "NOPE"},
            {"threshold": "<b>"},
        ):
            r = c.post("/dashboard/rules", data={**form, **bad})
            assert r.status_code == 400 and "Quy tắc chưa hợp lệ" in r.text, bad
        assert c.post("/dashboard/rules", data={**form, "csrf_token": "forged"}).status_code == 403
        rule_id = page.split('id="rule-')[1].split('"')[0]
        r = c.post(f"/dashboard/rules/{rule_id}/active", data={"active": "0", "csrf_token": token})
        assert r.status_code == 303 and "Đã tắt" in c.get("/dashboard/rules?unit=XA1").text
    with _client(store, "lanhdao") as c:
        page = c.get("/dashboard/rules").text
        assert "40,5 %" in page and 'action="/dashboard/rules"' not in page
        token = csrf_of(page)
        assert c.post("/dashboard/rules", data={**form, "csrf_token": token}).status_code == 403
        r = c.post(f"/dashboard/rules/{rule_id}/active", data={"active": "1", "csrf_token": token})
        assert r.status_code == 403


def test_a_rule_alert_is_a_case_on_the_alerts_page(store: Store) -> None:
    store.rule("XA1", "window_unhappy", 50, 2, window=10)
    store.send([(at(10, 0), 1), (at(10, 5), 1)])
    with _client(store, "lanhdao") as c:
        html = c.get("/dashboard/alerts?unit=XA1&period=month&key=2026-03").text
        assert "Nhiều phiếu không hài lòng" in html
        assert "100,0 % phiếu không hài lòng (2/2) từ 20/03/2026 09:56 đến 20/03/2026 10:05." in html


# --------------------------------------------------------------------- when and where (same store)


def test_when_and_where_counts_by_hour_weekday_and_counter(store: Store) -> None:
    # Friday 20 March 2026: 6 ballots at 9h (5 satisfied), 2 at 14h; Saturday 21: 1 at 9h
    store.send([(at(9, m), 5 if m else 2) for m in range(6)] + [(at(14, 5), 1), (at(14, 6), 4)])
    store.send([(at(9, 30, day=21), 5)], now=at(10, 0, day=21))
    with _client(store, "lanhdao") as c:
        html = c.get("/dashboard/when?unit=XA1&period=month&key=2026-03").text
        assert c.get("/dashboard/when?unit=XA1&period=month&key=2026-03&unit=TINH").status_code == 403

    def cell(weekday: int, hour: int) -> str:
        row = html.split(f'<tr data-weekday="{weekday}">')[1].split("</tr>")[0]
        return row.split(f'data-hour="{hour}"')[1].split("</td>")[0]

    friday_9 = cell(4, 9)
    assert 'data-n="6"' in friday_9 and "83,3" in friday_9  # 5 of 6; 6 ≥ a fifth of 30
    assert 'data-n="2"' in cell(4, 14) and "·" in cell(4, 14)  # too few for a figure: only the count
    assert 'data-n="1"' in cell(5, 9)
    assert 'data-n="0"' in cell(0, 9)
    assert [h for h in range(9, 15) if f'<th class="num">{h}h</th>' in html] == list(range(9, 15))
    counters = html.split('id="counters-h"')[1]
    assert "Quầy 1" in counters and ">9<" in counters and "chưa đủ mẫu" in counters


def test_when_and_where_of_the_province_adds_its_communes(store: Store) -> None:
    store.send([(at(8, m), 4) for m in range(3)])
    with _client(store, "admin") as c:
        html = c.get("/dashboard/when?unit=TINH&period=month&key=2026-03").text
    row = html.split('<tr data-weekday="4">')[1].split("</tr>")[0]
    assert 'data-hour="8" data-n="3"' in row
    assert "UBND xã Một" in html.split('id="counters-h"')[1]


def test_the_migration_s_backfill_gives_what_ingest_gave(store: Store) -> None:
    """Migration 0012 makes the cases and the hour/device roll-ups of ballots already stored: the
    same rows ingest makes (here: ingest first, then everything dropped and rebuilt)."""
    from sqlalchemy import delete, text

    from sync_server.alert_rules import backfill_cases, backfill_when
    from sync_server.models import RollupDevice, RollupHour

    store.send([(at(9, m), 1 + m % 5) for m in range(12)] + [(at(23, 59), 2)])

    def snapshot() -> tuple[list[Any], ...]:
        with store.engine.connect() as c:
            return tuple(
                sorted(tuple(r) for r in c.execute(text(sql)).all())
                for sql in (
                    "SELECT kind, response_id, day, staff_id, rating, topics, reasons, folded FROM case_item",
                    "SELECT unit_id, day, hour, answers, satisfied FROM rollup_hour",
                    "SELECT unit_id, device_id, day, answers, satisfied FROM rollup_device",
                )
            )

    before = snapshot()
    assert before[0] and before[1] and before[2]
    with store.engine.begin() as c:
        for model in (Case, RollupHour, RollupDevice):
            c.execute(delete(model))
        backfill_cases(c)
        backfill_when(c)
    assert snapshot() == before

"""A small, real server world for dashboard tests: a migrated SQLite file, units, users, staff, ballots.

Ballots go through the real ingest (so tallies, alerts and comments are what the server stores).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from surveys.loader import default_survey_path, load_survey
from sync_server.admin import (
    add_unit,
    add_user,
    create_enrolment_code,
    enrol_device,
    import_staff,
    load_survey_versions,
)
from sync_server.db import make_engine, write_session
from sync_server.ingest import ingest_batch
from sync_server.migrations import upgrade
from sync_server.models import Device
from sync_server.settings import Settings

PASSWORD = "mat-khau-1234"
HOSTILE = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SURVEY = load_survey(default_survey_path())


@dataclass
class World:
    engine: Engine
    db_url: str
    data_dir: Path
    now: dt.datetime
    month_key: str
    when: dt.datetime  # when the world's ballots were given: inside month_key, near now
    ids: dict[str, str] = field(default_factory=dict)


def ballot(
    seq: int, staff: str | None, when: dt.datetime, answers: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "seq": seq,
        "survey_id": SURVEY.id,
        "survey_version": SURVEY.version,
        "staff_id": staff,
        "started_at": (when - dt.timedelta(minutes=1)).isoformat(),
        "submitted_at": when.isoformat(),
        "answers": answers,
        "comment": None,
        "contact": None,
        "lang": "vi",
    }
    item.update(extra)
    return item


def build_world(tmp: Path, db_url: str | None = None) -> World:
    """Units XA01 (with child XA01A) and XA02; users admin, lanhdao (leader XA01), xem (viewer XA01),
    lanhdao2 (leader XA02); officers cb01..cb03; 45 ballots for cb01, 5 for cb02, alerts and comments."""
    data_dir = tmp / "server"
    db_url = db_url or f"sqlite:///{tmp / 'server.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    # Ballots sit from one to three hours before now, but never before the running local month began
    # (at 00:30 on the 1st, as the faked-clock runs check, they lie a little ahead of now instead, which
    # a device clock may); the tests ask for the local month they fall in.
    now = dt.datetime.now(dt.UTC)
    month_start = now.astimezone(TZ).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    when = max(now - dt.timedelta(hours=1), month_start + dt.timedelta(hours=3))
    month_key = when.astimezone(TZ).strftime("%Y-%m")
    world = World(engine, db_url, data_dir, now, month_key, when)
    csv_path = tmp / "staff.csv"
    csv_path.write_text(
        "id,name,title,counter,photo\n"
        "cb01,Nguyễn Thị Hằng,Công chức Tư pháp - Hộ tịch,Quầy 1,\n"
        "cb02,Trần Văn Đức,Công chức Địa chính,Quầy 2,\n"
        "cb03,Lê Thị Ngọc Ánh,Công chức Văn hóa - Xã hội,Quầy 3,\n",
        encoding="utf-8",
    )
    with write_session(engine) as s:
        load_survey_versions(s, [SURVEY])
        add_unit(s, "XA01", "UBND xã Hòa Bình")
        add_unit(s, "XA01A", "Điểm tiếp dân thôn Đông", parent="XA01")
        add_unit(s, "XA02", "UBND xã Tân Phú")
        add_user(s, "admin", PASSWORD, "admin")
        add_user(s, "lanhdao", PASSWORD, "leader", "XA01")
        add_user(s, "xem", PASSWORD, "viewer", "XA01")
        add_user(s, "lanhdao2", PASSWORD, "leader", "XA02")
        import_staff(s, "XA01", csv_path, data_dir / "photos")
        import_staff(s, "XA02", _one_officer(tmp), data_dir / "photos")
        code, _ = create_enrolment_code(s, "XA01", now, 86400)
        device, _, _ = enrol_device(s, code, "Quầy 1", now)
        code2, _ = create_enrolment_code(s, "XA02", now, 86400)
        device2, _, _ = enrol_device(s, code2, "Quầy A", now)
        s.commit()
        world.ids["device"] = device.id
        world.ids["device2"] = device2.id
    items: list[dict[str, Any]] = []
    seq = 0
    # cb01: 45 ballots, 36 satisfied (4/5) → 80.0; friendly items all 5.
    for i in range(45):
        seq += 1
        items.append(
            ballot(
                seq,
                "cb01",
                when - dt.timedelta(minutes=i),
                {"tong_the": 5 if i < 20 else 4 if i < 36 else 3, "xin_chao": 5, "nam_khong": []},
            )
        )
    # cb02: 5 ballots, under the minimum sample.
    for i in range(5):
        seq += 1
        items.append(ballot(seq, "cb02", when - dt.timedelta(minutes=50 + i), {"tong_the": 2}))
    seq += 1
    very = ballot(
        seq,
        "cb02",
        when - dt.timedelta(minutes=70),
        {"tong_the": 1},
        comment="Chờ quá lâu, cán bộ không trả lời.",
        contact={"phone": "0912 345 678", "consent": True},
    )
    seq += 1
    violation = ballot(
        seq, "cb01", when - dt.timedelta(minutes=80), {"tong_the": 4, "nam_khong": ["tham_nhung_lang_phi"]}
    )
    seq += 1
    hostile = ballot(seq, None, when - dt.timedelta(minutes=90), {"tong_the": 4}, comment=HOSTILE)
    items += [very, violation, hostile]
    world.ids.update(very=very["id"], violation=violation["id"], hostile=hostile["id"])
    other = ballot(
        1,
        "cb09",
        when - dt.timedelta(minutes=5),
        {"tong_the": 1},
        comment="Góp ý của xã khác",
        contact={"phone": "0987 000 111", "consent": True},
    )
    world.ids["other"] = other["id"]
    with write_session(engine) as s:
        dev = s.get(Device, world.ids["device"])
        assert dev is not None
        results = ingest_batch(s, dev, items, now)
        dev2 = s.get(Device, world.ids["device2"])
        assert dev2 is not None
        results += ingest_batch(s, dev2, [other], now)
        s.commit()
    assert all(r.status == "created" for r in results), [r for r in results if r.status != "created"]
    return world


def _one_officer(tmp: Path) -> Path:
    path = tmp / "staff2.csv"
    path.write_text("id,name,title,counter,photo\ncb09,Phạm Văn Bình,Công chức,Quầy A,\n", encoding="utf-8")
    return path


def make_client(world: World, **settings: Any) -> TestClient:
    """An in-process HTTP client on the real app (`create_app`, which mounts the dashboard)."""
    from sqlalchemy import delete

    from sync_server.app import create_app
    from sync_server.models import LoginAttempt

    # Failed log-ins are counted in the database and outlive an app: each client starts with none.
    with world.engine.begin() as conn:
        conn.execute(delete(LoginAttempt))
    cfg = Settings(database_url=world.db_url, data_dir=world.data_dir, secret_key="test-secret", **settings)
    return TestClient(create_app(cfg, engine=world.engine), follow_redirects=False)


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    m = CSRF_RE.search(html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    page = client.get("/dashboard/login")
    r = client.post(
        "/dashboard/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 303, r.text
    return client

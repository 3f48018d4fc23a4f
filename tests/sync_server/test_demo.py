"""`survey-server demo` as a real process: a believable commune whose tallies equal its raw ballots."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import select
from sqlmodel import Session, col

from sync_server import indices as ix
from sync_server import queries
from sync_server.db import make_engine
from sync_server.models import Case, CaseEvent, Device, Response, Staff, Unit, User
from sync_server.security import verify_password

BIN = Path(sys.executable).parent / "survey-server"


def _env(home: Path, password: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")}
    env.update(SURVEY_DATABASE_URL=f"sqlite:///{home / 'server.db'}", SURVEY_DATA_DIR=str(home / "data"))
    if password:
        env["SURVEY_DEMO_PASSWORD"] = password
    return env


def _demo(home: Path, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), "demo", *args],
        cwd=home,
        env=_env(home, password),
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    home = tmp_path_factory.mktemp("demo")
    done = _demo(home, "--accounts-file", "var/demo-accounts.txt")
    assert done.returncode == 0, done.stderr
    return home, done.stdout


def _session(home: Path) -> Session:
    return Session(make_engine(f"sqlite:///{home / 'server.db'}"))


def _password(stdout: str, user: str) -> str:
    line = next(x for x in stdout.splitlines() if f" {user} / " in x)
    return line.split(" / ", 1)[1].split()[0]


def test_prints_where_and_how_to_log_in(demo: tuple[Path, str]) -> None:
    home, out = demo
    assert "http://127.0.0.1:8000/dashboard/" in out
    assert "survey-kiosk enrol --server http://127.0.0.1:8000 --code " in out
    with _session(home) as s:
        admin = s.execute(select(User).where(col(User.username) == "admin")).scalars().one()
        leader = s.execute(select(User).where(col(User.username) == "lanhdao")).scalars().one()
        unit = queries.unit_by_code(s, "XA-DEMO")
        assert admin.role == "admin" and verify_password(admin.password_hash, _password(out, "admin"))
        assert leader.role == "leader" and leader.unit_id == unit.id
        assert verify_password(leader.password_hash, _password(out, "lanhdao"))


def test_the_accounts_file_is_readable_by_its_owner_only(demo: tuple[Path, str]) -> None:
    home, out = demo
    kept = home / "var" / "demo-accounts.txt"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert _password(out, "admin") in kept.read_text(encoding="utf-8")
    assert "readable by you only, mode 0600" in out


def test_a_commune_with_officers_photos_and_a_kiosk(demo: tuple[Path, str]) -> None:
    home, _ = demo
    with _session(home) as s:
        unit = queries.unit_by_code(s, "XA-DEMO")
        parent = s.get(Unit, unit.parent_id)
        assert unit.name == "Xã Hòa Bình" and parent is not None and parent.name == "Tỉnh Bình Minh"
        staff = s.execute(select(Staff).where(col(Staff.unit_id) == unit.id)).scalars().all()
        assert 8 <= len(staff) <= 10 and all(x.active and x.title and x.counter for x in staff)
        assert "Nguyễn Thị Hằng" in {x.name for x in staff}
        for officer in staff:
            assert officer.photo_path
            photo = Image.open(io.BytesIO((home / "data" / "photos" / officer.photo_path).read_bytes()))
            assert photo.format == "PNG" and photo.size[0] >= 256
        devices = s.execute(select(Device).where(col(Device.unit_id) == unit.id)).scalars().all()
        assert len(devices) == 1 and not devices[0].revoked


def test_thirteen_months_of_realistic_ballots(demo: tuple[Path, str]) -> None:
    home, out = demo
    with _session(home) as s:
        rows = s.execute(select(Response)).scalars().all()
    assert f"{len(rows):,} ballots" in out
    months = sorted({r.bucket_month for r in rows})
    yesterday = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date() - timedelta(days=1)
    assert len(months) == 13 and months[-1] == f"{yesterday:%Y-%m}"
    overall = Counter(r.answers["tong_the"] for r in rows)
    assert overall[1] > 0 and overall[5] > overall[2], "some 'Rất không hài lòng', mostly happy"
    assert sum(1 for r in rows if r.answers.get("nam_khong")) > 0, "some '5 không' violations"
    assert sum(1 for r in rows if r.comment) > 50
    assert 0 < sum(1 for r in rows if r.contact_phone) < sum(1 for r in rows if r.comment)
    assert sum(1 for r in rows if len(r.answers) <= 2) > len(rows) / 2, "most ballots are short"
    assert any(r.misuse for r in rows) and sum(r.misuse for r in rows) < 100
    per_staff = Counter(r.staff_id for r in rows)
    assert per_staff["cb09"] < per_staff["cb01"] / 5, "one new officer with few ballots"
    by_month = Counter(r.bucket_month for r in rows)
    assert min(by_month[m] for m in months[1:-1]) > 150


def test_tallies_equal_the_raw_ballots(demo: tuple[Path, str]) -> None:
    home, _ = demo
    with _session(home) as s:
        unit = queries.unit_by_code(s, "XA-DEMO")
        survey = queries.current_survey(s, unit)
        assert survey is not None
        rows = s.execute(select(Response).where(col(Response.unit_id) == unit.id)).scalars().all()
        first = min(r.bucket_day for r in rows)
        last = max(r.bucket_day for r in rows)
        stored = queries.indices_for(s, "XA-DEMO", first, last, by="staff")
        by_period = queries.indices_for(s, "XA-DEMO", first, last, by="period", period="quarter")
    ballots = [
        ix.Ballot(r.submitted_at, r.received_at, r.clock_suspect, r.staff_id, r.answers, r.misuse)
        for r in rows
    ]
    tallies = ix.tally_ballots(ballots, survey, unit.timezone)
    assert stored["rows"] == ix.compute_rows(tallies, survey, by="staff")
    assert by_period["rows"] == ix.compute_rows(tallies, survey, by="period", period="quarter")


def test_running_again_keeps_the_demo_and_reset_rebuilds_it(demo: tuple[Path, str]) -> None:
    home, out = demo
    with _session(home) as s:
        before = len(s.execute(select(col(Response.id))).all())
    again = _demo(home)
    assert again.returncode == 0 and "exists already" in again.stdout and "--reset" in again.stdout
    reset = _demo(home, "--reset", password="mot-mat-khau-moi")
    assert reset.returncode == 0, reset.stderr
    with _session(home) as s:
        assert len(s.execute(select(col(Response.id))).all()) == before  # same seed, same ballots
        assert len(s.execute(select(Unit).where(col(Unit.code) == "XA-DEMO")).all()) == 1
        leader = s.execute(select(User).where(col(User.username) == "lanhdao")).scalars().one()
        assert verify_password(leader.password_hash, "mot-mat-khau-moi")
        assert not verify_password(leader.password_hash, _password(out, "lanhdao"))


def test_a_fixed_today_gives_the_same_demo_on_any_day(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for home in (first, second):
        home.mkdir()
        done = _demo(home, "--today", "2028-03-01", password="mat-khau-co-dinh")
        assert done.returncode == 0, done.stderr
        assert "to 29/02/2028" in done.stdout, done.stdout  # the leap day is the demo's last day
    with _session(first) as a, _session(second) as b:
        query = select(col(Response.id), col(Response.submitted_at)).order_by(col(Response.id))
        assert a.execute(query).all() == b.execute(query).all()
        last = a.execute(
            select(col(Response.submitted_at)).order_by(col(Response.submitted_at).desc())
        ).first()
        assert last is not None and str(last[0]).startswith(("2028-02-29", "2028-02-28"))


def test_a_today_that_is_not_a_date_is_one_sentence(tmp_path: Path) -> None:
    done = _demo(tmp_path, "--today", "29/02/2028")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "YYYY-MM-DD" in lines[0], done.stderr


def _index(rows: list[Response]) -> float:
    told = [r.answers["tong_the"] for r in rows]
    return 100 * sum(1 for v in told if v >= 4) / len(told)


def test_a_province_of_five_communes_of_different_sizes_and_trends(demo: tuple[Path, str]) -> None:
    home, out = demo
    assert "5 communes" in out and " tinh / " in out
    with _session(home) as s:
        province = queries.unit_by_code(s, "TINH-DEMO")
        communes = s.execute(select(Unit).where(col(Unit.parent_id) == province.id)).scalars().all()
        assert len(communes) >= 5
        by_unit = {
            u.code: s.execute(select(Response).where(col(Response.unit_id) == u.id)).scalars().all()
            for u in communes
        }
        tinh = s.execute(select(User).where(col(User.username) == "tinh")).scalars().one()
        leader = s.execute(select(User).where(col(User.username) == "lanhdao")).scalars().one()
        assert tinh.role == "leader" and tinh.unit_id == province.id
        assert tinh.password_hash == leader.password_hash, "the province official logs in like the leader"
    sizes = sorted(len(rows) for rows in by_unit.values())
    assert sizes[-1] > 3 * sizes[1] and sizes[0] < 30 * 13, "one large, one too small for a month's figure"
    last_month = max(r.bucket_month for r in by_unit["XA-DEMO"])
    change = {}
    for code, rows in by_unit.items():
        months = sorted({r.bucket_month for r in rows})
        early = [r for r in rows if r.bucket_month in months[:3]]
        late = [r for r in rows if r.bucket_month in months[-4:-1]]
        change[code] = _index(late) - _index(early)
        assert months[-1] == last_month
    assert change["XA-AN-PHU"] < -8 and change["XA-SON-HA"] > 10, change
    assert abs(change["TT-TAN-LAP"]) < 6, change


def test_comments_fit_the_officers_and_some_cases_are_handled(demo: tuple[Path, str]) -> None:
    home, _ = demo
    with _session(home) as s:
        rows = s.execute(select(Response).where(col(Response.has_comment).is_(True))).scalars().all()
        cases = s.execute(select(Case)).scalars().all()
        steps = s.execute(select(CaseEvent)).scalars().all()
        units = {u.id: u.code for u in s.execute(select(Unit)).scalars()}
        closed = {c.response_id for c in cases if c.state in ("da_xu_ly", "khong_can_xu_ly")}
        acks = {c.response_id for c in cases if c.kind == "alert"} & closed
        handled = {c.response_id for c in cases if c.kind == "comment"} & closed
        alerts = s.execute(select(Response).where(col(Response.alert_kind).is_not(None))).scalars().all()
    bribes = [r for r in rows if "phải nộp thêm tiền ngoài lệ phí, không có biên lai" in (r.comment or "")]
    assert bribes and {r.staff_id for r in bribes} <= {"cb02", "ap01", None}, {r.staff_id for r in bribes}
    assert any(r.staff_id == "cb02" for r in bribes)
    praise = [r for r in rows if (r.comment or "").startswith("Chị Hằng")]
    assert praise and all(r.staff_id == "cb01" and r.answers["tong_the"] >= 4 for r in praise)
    assert 0 < len(acks) < len(alerts), "open and handled alerts"
    assert 0 < len(handled) < len(rows), "open and handled comments"
    newest = max(r.received_at for r in alerts)
    old_open = [r for r in alerts if r.id not in acks and (newest - r.received_at).days > 60]
    assert old_open, "a few old alerts were never handled"
    # cases went through their steps; the bribery complaints carry the serious topic and an alert
    assert {e.state for e in steps} >= {"dang_xu_ly", "da_lien_he", "da_xu_ly", "khong_can_xu_ly"}
    bribe_ids = {r.id for r in bribes}
    assert all(c.topics == ",tien_qua," for c in cases if c.kind == "comment" and c.response_id in bribe_ids)
    assert bribe_ids <= {c.response_id for c in cases if c.kind == "alert" and "chu_de:tien_qua" in c.reasons}
    # the rules set for the province fired as the ballots arrived: windows, a low day, months on target
    fired = {(units[c.unit_id], c.reasons) for c in cases if c.kind == "rule"}
    assert {("XA-DEMO", "window_unhappy"), ("XA-SON-HA", "day_below"), ("TINH-DEMO", "month_above")} <= fired

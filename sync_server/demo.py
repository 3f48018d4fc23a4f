"""`survey-server demo`: a demo commune with officers, accounts, a kiosk and 13 months of ballots.

Ballots go through the real ingest path (`ingest_batch`), one nightly batch per day, so the tallies,
clock and misuse rules are exactly what a real kiosk would produce.

>>> summary = make_demo(engine, settings, today=date(2024, 10, 5))
>>> summary.ballots
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import random
import secrets
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import Engine, delete, select
from sqlmodel import Session, SQLModel, col

from sync_server.admin import (
    add_unit,
    add_user,
    create_enrolment_code,
    enrol_device,
    import_staff,
    load_survey_versions,
)
from sync_server.alert_rules import move_case
from sync_server.db import write_session
from sync_server.ingest import ingest_batch
from sync_server.models import AlertRule, Case, Device, Response, Unit, User
from sync_server.queries import current_survey
from sync_server.queries import unit_by_code as queries_unit
from sync_server.reports.fonts import font_path
from sync_server.security import hash_password
from sync_server.settings import Settings

__all__ = [
    "DEMO_PARENT",
    "DEMO_UNIT",
    "DemoSummary",
    "demo_command",
    "demo_exists",
    "make_demo",
    "remove_demo",
]

DEMO_UNIT = "XA-DEMO"
DEMO_UNIT_NAME = "Xã Hòa Bình"
DEMO_PARENT = "TINH-DEMO"
DEMO_PARENT_NAME = "Tỉnh Bình Minh"
ADMIN_USER = "admin"
LEADER_USER = "lanhdao"
TZ = "Asia/Ho_Chi_Minh"

# id, name, title, counter, how well they serve (share of satisfied citizens), share of the queue,
# how often a citizen reports a "5 không" behaviour.
Officer = tuple[str, str, str, str, float, float, float]
OFFICERS: list[Officer] = [
    ("cb01", "Nguyễn Thị Hằng", "Công chức Tư pháp - Hộ tịch", "Quầy 1", 0.93, 1.4, 0.004),
    ("cb02", "Trần Văn Đức", "Công chức Địa chính - Xây dựng", "Quầy 2", 0.74, 1.3, 0.05),
    ("cb03", "Lê Thị Ngọc Ánh", "Công chức Văn hóa - Xã hội", "Quầy 3", 0.88, 1.0, 0.006),
    ("cb04", "Phạm Quốc Việt", "Công chức Văn phòng - Thống kê", "Quầy 4", 0.85, 0.8, 0.01),
    ("cb05", "Hoàng Thị Thu Trang", "Công chức Tư pháp - Hộ tịch", "Quầy 1", 0.90, 1.1, 0.005),
    ("cb06", "Vũ Minh Tuấn", "Công chức Tài chính - Kế toán", "Quầy 5", 0.81, 0.6, 0.015),
    ("cb07", "Đặng Thị Lan", "Công chức Văn hóa - Xã hội (chính sách)", "Quầy 3", 0.95, 0.9, 0.0),
    ("cb08", "Bùi Văn Hùng", "Công chức Địa chính - Nông nghiệp", "Quầy 2", 0.79, 0.7, 0.03),
    ("cb09", "Ngô Thị Mai", "Công chức Bộ phận Một cửa (mới tuyển)", "Quầy 6", 0.86, 0.08, 0.0),
]


@dataclass(frozen=True)
class Commune:
    """One demo commune: its officers, how many citizens rate on a weekday, where its service goes
    (change of the share satisfied from the first to the last day), and how often its kiosk syncs."""

    code: str
    name: str
    officers: list[Officer]
    volume: float
    trend: tuple[float, float]
    sync_days: int = 7
    seed: int = 0


BRIBE = "Cán bộ bảo phải nộp thêm tiền ngoài lệ phí, không có biên lai."

AN_PHU: list[Officer] = [
    ("ap01", "Lý Văn Thành", "Công chức Địa chính - Xây dựng", "Quầy 1", 0.86, 1.2, 0.04),
    ("ap02", "Đỗ Thị Hoa", "Công chức Tư pháp - Hộ tịch", "Quầy 2", 0.92, 1.0, 0.003),
    ("ap03", "Trịnh Quang Huy", "Công chức Văn phòng - Thống kê", "Quầy 3", 0.84, 0.8, 0.02),
]
TAN_LAP: list[Officer] = [
    ("tl01", "Phan Thị Kim Oanh", "Công chức Tư pháp - Hộ tịch", "Quầy 1", 0.94, 1.2, 0.002),
    ("tl02", "Mai Đức Long", "Công chức Địa chính - Xây dựng", "Quầy 2", 0.90, 1.0, 0.005),
    ("tl03", "Hồ Thị Thanh Tâm", "Công chức Văn hóa - Xã hội", "Quầy 3", 0.93, 0.9, 0.0),
    ("tl04", "Cao Văn Phúc", "Công chức Tài chính - Kế toán", "Quầy 4", 0.91, 0.5, 0.004),
]
SON_HA: list[Officer] = [
    ("sh01", "Triệu Văn Sơn", "Công chức Văn phòng - Thống kê", "Quầy 1", 0.80, 1.0, 0.02),
    ("sh02", "Lò Thị Hương", "Công chức Tư pháp - Hộ tịch", "Quầy 2", 0.84, 1.0, 0.01),
]
LONG_KHE: list[Officer] = [
    ("lk01", "Hà Văn Khánh", "Công chức Văn phòng - Thống kê", "Quầy 1", 0.82, 1.0, 0.01)
]

COMMUNES: list[Commune] = [
    # The main commune: the largest, improving through the year (nightly sync, like a real kiosk).
    Commune("XA-DEMO", "Xã Hòa Bình", OFFICERS, 26.0, (-0.05, 0.03), sync_days=1, seed=0),
    # Declining: a good office last year whose land desk went wrong.
    Commune("XA-AN-PHU", "Xã An Phú", AN_PHU, 9.0, (0.04, -0.16), seed=11),
    # Steady and high: a town with four desks.
    Commune("TT-TAN-LAP", "Thị trấn Tân Lập", TAN_LAP, 12.0, (0.0, 0.0), seed=12),
    # Improving fast from a poor start: a new one-stop desk.
    Commune("XA-SON-HA", "Xã Sơn Hà", SON_HA, 5.0, (-0.30, 0.08), seed=13),
    # A small mountain commune: too few ballots in a month for a figure ("chưa đủ mẫu").
    Commune("XA-LONG-KHE", "Xã Long Khê", LONG_KHE, 1.2, (-0.02, 0.02), seed=14),
]

GOOD_COMMENTS = [
    "Cán bộ hướng dẫn tận tình, chu đáo. Xin cảm ơn!",
    "Thủ tục nhanh gọn, tôi rất hài lòng.",
    "Chị cán bộ vui vẻ, giải thích dễ hiểu.",
    "Được hướng dẫn một lần là đủ giấy tờ, không phải đi lại.",
    "Phòng làm việc sạch sẽ, có nước uống cho người dân.",
    "Cán bộ nhiệt tình giúp người già như tôi điền tờ khai.",
    "Làm giấy khai sinh cho cháu chỉ mất mười lăm phút, rất nhanh.",
    "Anh cán bộ địa chính giải thích kỹ về hồ sơ đất, tôi hiểu rõ.",
    "Có người hướng dẫn ngay từ cửa, không phải hỏi nhiều nơi.",
    "Được trả kết quả đúng hẹn, cảm ơn Bộ phận một cửa.",
]
BAD_COMMENTS = [
    "Phải chờ lâu quá, đông người mà chỉ có một quầy làm việc.",
    "Cán bộ nói trống không, thiếu tôn trọng người dân.",
    "Hẹn trả kết quả thứ Sáu nhưng đến nơi lại chưa có.",
    "Hướng dẫn không rõ ràng, tôi phải bổ sung giấy tờ hai lần.",
    "Chỗ ngồi chờ chật và nóng, nên lắp thêm quạt.",
    "Cán bộ bảo phải nộp thêm tiền ngoài lệ phí, không có biên lai.",
    "Gọi số thứ tự nhưng không thấy cán bộ ở quầy.",
    "Hồ sơ đất đai để quá hạn mà không ai báo cho tôi biết.",
    "Cán bộ mải dùng điện thoại, để dân đứng chờ.",
]
NEUTRAL_COMMENTS = [
    "Nên có bảng hướng dẫn các bước làm thủ tục to hơn cho người lớn tuổi.",
    "Đề nghị có thêm chỗ để xe cho người dân.",
    "Mong xã mở cửa cả sáng thứ Bảy.",
    "Nên niêm yết mức lệ phí ở chỗ dễ nhìn hơn.",
    "Máy đánh giá này dễ dùng, chữ to, người già cũng bấm được.",
]


# What citizens write about a given officer when they are unhappy: each officer's comments fit them.
OFFICER_COMPLAINTS: dict[str, list[str]] = {
    "cb02": [
        BRIBE,
        "Hồ sơ đất đai để quá hạn mà không ai báo cho tôi biết.",
        "Anh cán bộ địa chính hẹn đi hẹn lại, phải chờ lâu mới được giải quyết.",
    ],
    "cb08": [
        "Cán bộ nói trống không, thiếu tôn trọng người dân.",
        "Cán bộ mải dùng điện thoại, để dân đứng chờ.",
    ],
    "cb06": ["Phải chờ lâu quá, đông người mà chỉ có một quầy làm việc."],
    "ap01": [
        "Muốn làm nhanh thì phải biếu quà cho cán bộ, người dân rất bức xúc.",
        "Hồ sơ cấp sổ đỏ trễ hẹn ba tháng, hỏi thì cán bộ gắt gỏng.",
        BRIBE,
    ],
    "ap03": ["Cán bộ có lời lẽ trêu ghẹo, quấy rối phụ nữ đến làm thủ tục."],
    "sh01": ["Hướng dẫn không rõ ràng, tôi phải bổ sung giấy tờ hai lần."],
}
OFFICER_PRAISE: dict[str, list[str]] = {
    "cb01": ["Chị Hằng làm giấy khai sinh cho cháu rất nhanh, vui vẻ."],
    "cb07": ["Chị Lan giải thích chế độ chính sách rất tận tình, cảm ơn chị."],
    "tl01": ["Chị Oanh hướng dẫn chu đáo, thủ tục xong trong buổi sáng."],
    "sh02": ["Chị Hương nhiệt tình, hướng dẫn bà con dân tộc rất kỹ."],
}


@dataclass(frozen=True)
class DemoSummary:
    """What `make_demo` made."""

    unit_code: str
    unit_name: str
    officers: int
    ballots: int
    flagged: int
    first_day: dt.date
    last_day: dt.date
    admin_password: str
    leader_password: str
    enrolment_code: str
    communes: int = 1


# ------------------------------------------------------------------------------------------ photos


_PALETTE = ["#2E86AB", "#A23B72", "#F18F01", "#3B8B5A", "#6C4AB6", "#C73E1D", "#1B998B", "#8E5572", "#33658A"]


def initials(name: str) -> str:
    """Vietnamese initials: family name and given name ("Nguyễn Thị Hằng" → "NH")."""
    words = name.split()
    return (words[0][:1] + (words[-1][:1] if len(words) > 1 else "")).upper()


def avatar_png(name: str, size: int = 480, colour: str | None = None) -> bytes:
    """A friendly placeholder portrait: white initials on a coloured disc (by default coloured by name)."""
    colour = colour or _PALETTE[int(hashlib.sha256(name.encode()).hexdigest(), 16) % len(_PALETTE)]
    image = Image.new("RGB", (size, size), "#F4F1EA")
    draw = ImageDraw.Draw(image)
    draw.ellipse((size * 0.06, size * 0.06, size * 0.94, size * 0.94), fill=colour)
    font = ImageFont.truetype(str(font_path("sans", "bold")), int(size * 0.34))
    text = initials(name)
    box = draw.textbbox((0, 0), text, font=font)
    x = (size - (box[2] - box[0])) / 2 - box[0]
    y = (size - (box[3] - box[1])) / 2 - box[1]
    draw.text((x, y), text, font=font, fill="white")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


# ----------------------------------------------------------------------------------------- ballots


def _uuid7(moment: dt.datetime, rng: random.Random) -> str:
    """A version 7 UUID for `moment` (time-ordered, as real kiosks make them)."""
    ms = int(moment.timestamp() * 1000)
    value = (ms & ((1 << 48) - 1)) << 80 | rng.getrandbits(80)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # variant
    return str(uuid.UUID(int=value))


def _daily_volume(day: dt.date, rng: random.Random, weekday_base: float = 26.0) -> int:
    """Citizens rating on a day: weekdays, Saturday mornings, the rush before Tết, the summer papers."""
    weekday = day.weekday()
    if weekday == 6:
        return 0
    base = weekday_base if weekday < 5 else weekday_base * 9 / 26
    month = day.month
    season = {1: 1.35, 2: 0.75, 6: 1.15, 7: 1.25, 8: 1.2, 12: 1.1}.get(month, 1.0)
    if month == 2 and day.day <= 12:  # Tết holidays: the office is almost empty
        season = 0.25
    return max(0, int(rng.gauss(base * season, base * 0.2)))


def _rating(p_satisfied: float, rng: random.Random) -> int:
    if rng.random() < p_satisfied:
        return 5 if rng.random() < 0.55 else 4
    roll = rng.random()
    return 3 if roll < 0.55 else 2 if roll < 0.8 else 1


class _BallotMaker:
    """Makes protocol Response dicts for one device, seq by seq."""

    def __init__(
        self,
        survey: Any,
        rng: random.Random,
        first_day: dt.date,
        last_day: dt.date,
        commune: Commune = COMMUNES[0],
    ) -> None:
        self.survey = survey
        self.commune = commune
        self.rng = rng
        self.first_day, self.last_day = first_day, last_day
        self.detail = [q for q in survey.detail_questions]
        self.answered = {q.id: 0 for q in self.detail}
        self.options = [o.id for o in survey.question("nam_khong").options] if self._has("nam_khong") else []
        self.seq = 0
        self.zone = ZoneInfo(TZ)
        weights = [o[5] for o in commune.officers]
        self.staff = [(o[0], o[4], o[6]) for o in commune.officers]
        self.weights = weights

    def _has(self, qid: str) -> bool:
        return any(q.id == qid for q in self.survey.questions)

    def _quality(self, base: float, day: dt.date) -> float:
        # The office moves along its trend over the year, with a dip in the January rush.
        progress = (day - self.first_day).days / max(1, (self.last_day - self.first_day).days)
        rush = -0.06 if day.month == 1 else 0.0
        start, end = self.commune.trend
        return min(0.98, max(0.3, base + start + (end - start) * progress + rush))

    def _details(self, count: int) -> list[Any]:
        # The kiosk shows the items with the fewest answers so far (ties broken at random).
        if not count:
            return []
        order = sorted(self.detail, key=lambda q: (self.answered[q.id], self.rng.random()))
        return order[:count]

    def ballot(self, moment: dt.datetime) -> dict[str, Any]:
        rng = self.rng
        self.seq += 1
        pick = rng.choices(range(len(self.staff) + 1), weights=[*self.weights, 0.35])[0]
        staff_id, base, violation = self.staff[pick] if pick < len(self.staff) else (None, 0.84, 0.01)
        p = self._quality(base, moment.date())
        answers: dict[str, Any] = {"tong_the": _rating(p, rng)}
        # Most citizens stop after the overall face; some answer a few detail items.
        depth = rng.choices([0, 1, 2, 3, 4], weights=[52, 12, 10, 8, 18])[0]
        for q in self._details(depth):
            self.answered[q.id] += 1
            if q.type == "checklist":
                if rng.random() < violation:
                    answers[q.id] = rng.sample(self.options[:3], 1) if self.options else []
                    answers["tong_the"] = min(answers["tong_the"], rng.choice([1, 2]))
                else:
                    answers[q.id] = []
            elif q.type == "rating5":
                answers[q.id] = None if rng.random() < 0.05 else _rating(min(0.99, p + 0.03), rng)
        comment = contact = None
        score = answers["tong_the"]
        # The unhappy write more often than the rest: the desks that fail them are named in comments.
        if rng.random() < (0.2 if score <= 2 else 0.05):
            pool = GOOD_COMMENTS if score >= 4 else BAD_COMMENTS if score <= 2 else NEUTRAL_COMMENTS
            # What is written fits the officer: their own failings when unhappy, their name in thanks.
            own = (OFFICER_COMPLAINTS if score <= 2 else OFFICER_PRAISE if score >= 4 else {}).get(
                staff_id or ""
            )
            if own and rng.random() < 0.7:
                pool = own
            elif score <= 2 and staff_id is not None:
                pool = [c for c in pool if c != BRIBE]  # money is asked only at the desks that ask it
            comment = rng.choice(pool)
            if rng.random() < 0.3:
                contact = {"phone": f"09{rng.randint(10_000_000, 99_999_999)}", "consent": True}
        local = moment.astimezone(self.zone)
        return {
            "id": _uuid7(moment, rng),
            "seq": self.seq,
            "survey_id": self.survey.id,
            "survey_version": self.survey.version,
            "staff_id": staff_id,
            "started_at": (local - dt.timedelta(seconds=rng.randint(8, 150))).isoformat(timespec="seconds"),
            "submitted_at": local.isoformat(timespec="seconds"),
            "answers": answers,
            "comment": comment,
            "contact": contact,
            "lang": "en" if rng.random() < 0.02 else "vi",
        }

    def day(self, day: dt.date) -> list[dict[str, Any]]:
        count = _daily_volume(day, self.rng, self.commune.volume)
        if not count:
            return []
        # Office hours 7:30–11:30 and 13:30–17:00; ballots come minutes apart, in time order.
        minutes = sorted(
            self.rng.choice([self.rng.uniform(450, 690), self.rng.uniform(810, 1020)]) for _ in range(count)
        )
        out = []
        last = -10.0
        for m in minutes:
            m = max(m, last + 0.5)  # at least 30 s apart: a real queue, not a child tapping
            last = m
            local = dt.datetime.combine(day, dt.time(0), self.zone) + dt.timedelta(minutes=m)
            out.append(self.ballot(local))
        if self.rng.random() < 0.01:
            # Now and then a child taps through ballots seconds apart: the server flags the run.
            start = dt.datetime.combine(day, dt.time(15, 40), self.zone)
            for i in range(5):
                item = self.ballot(start + dt.timedelta(seconds=4 * i))
                item["answers"] = {"tong_the": self.rng.choice([1, 5])}
                item["staff_id"] = None
                out.append(item)
            out.sort(key=lambda r: r["submitted_at"])
            for offset, item in enumerate(out):
                item["seq"] = self.seq - len(out) + 1 + offset
        return out


def _days(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


# -------------------------------------------------------------------------------------------- setup


def demo_exists(session: Session) -> bool:
    return session.execute(select(Unit).where(col(Unit.code) == DEMO_UNIT)).first() is not None


DEMO_CODES = [DEMO_PARENT, *(c.code for c in COMMUNES)]
PROVINCE_USER = "tinh"


def remove_demo(session: Session) -> None:
    """Delete the demo units and everything that hangs off them (any table with a unit, device or
    ballot id)."""
    units = list(session.execute(select(col(Unit.id)).where(col(Unit.code).in_(DEMO_CODES))).scalars())
    if not units:
        return
    devices = list(session.execute(select(col(Device.id)).where(col(Device.unit_id).in_(units))).scalars())
    ballots = select(col(Response.id)).where(col(Response.unit_id).in_(units))
    for table in reversed(SQLModel.metadata.sorted_tables):
        if table.name == Unit.__tablename__:
            continue
        if "unit_id" in table.c:
            session.execute(delete(table).where(table.c.unit_id.in_(units)))
        elif "device_id" in table.c and devices:
            session.execute(delete(table).where(table.c.device_id.in_(devices)))
        elif "response_id" in table.c:
            session.execute(delete(table).where(table.c.response_id.in_(ballots)))
        elif "case_id" in table.c:
            cases = select(col(Case.id)).where(col(Case.unit_id).in_(units))
            session.execute(delete(table).where(table.c.case_id.in_(cases)))
    # Children before the parent: the parent key is a foreign key.
    session.execute(delete(Unit).where(col(Unit.code).in_([c.code for c in COMMUNES])))
    session.execute(delete(Unit).where(col(Unit.code) == DEMO_PARENT))
    session.flush()


def _write_staff_csv(folder: Path, officers: list[Officer]) -> Path:
    lines = ["id,name,title,counter,photo"]
    for i, (sid, name, title, counter, *_) in enumerate(officers):
        (folder / f"{sid}.png").write_bytes(avatar_png(name, size=256, colour=_PALETTE[i % len(_PALETTE)]))
        lines.append(f'{sid},"{name}","{title}","{counter}",{sid}.png')
    path = folder / "staff.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _ingest_commune(
    session: Session,
    survey: Any,
    device: Device,
    commune: Commune,
    rng: random.Random,
    first_day: dt.date,
    last_day: dt.date,
) -> int:
    """Every day's ballots of one commune through the real ingest; a batch per sync (nightly or weekly)."""
    zone = ZoneInfo(TZ)
    maker = _BallotMaker(survey, rng, first_day, last_day, commune)
    total = 0
    pending: list[dict[str, Any]] = []
    for day in _days(first_day, last_day):
        pending.extend(maker.day(day))
        due = (day - first_day).days % commune.sync_days == commune.sync_days - 1 or day == last_day
        if not pending or not due:
            continue
        # The kiosk syncs at night: the batch reaches the server at about 02:00 the next day.
        arrival = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(2, rng.randint(0, 29)), zone)
        results = ingest_batch(session, device, pending, arrival.astimezone(dt.UTC), clock_offset_s=0.0)
        bad = [r for r in results if r.status != "created"]
        if bad:
            raise RuntimeError(f"demo ballot {bad[0].id} was {bad[0].status}: {bad[0].error}")
        total += len(pending)
        pending = []
        if day.day <= commune.sync_days or day == last_day:
            session.commit()
    session.commit()
    return total


def leader_unit(session: Session) -> int:
    """The province unit's id (the province official's scope)."""
    found = queries_unit(session, DEMO_PARENT).id
    assert found is not None
    return found


def _handle_cases(
    session: Session, units: list[int], leader: User, last_day: dt.date, rng: random.Random
) -> None:
    """Leaders have handled most comments and alerts older than a month, step by step (in progress,
    the citizen called back when they left a number, resolved or nothing to do); newer ones are still
    open, and so are a few old ones that were forgotten."""
    cutoff = dt.datetime.combine(last_day - dt.timedelta(days=30), dt.time(0), ZoneInfo(TZ))
    cases = session.execute(
        select(Case, Response.contact_phone)  # type: ignore[call-overload]
        .join(Response, col(Response.id) == col(Case.response_id), isouter=True)
        .where(col(Case.unit_id).in_(units), col(Case.opened_at) < cutoff)
        .order_by(col(Case.id))
    ).all()
    for case, phone in cases:
        if rng.random() < 0.15:
            continue  # a few old ones were forgotten: "old open cases"
        when = case.opened_at + dt.timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 8))
        if case.kind == "comment" and case.rating is not None and case.rating >= 4:
            move_case(session, case, "khong_can_xu_ly", leader, "Lời khen, đã chuyển tới công chức.", when)
            continue
        move_case(session, case, "dang_xu_ly", leader, rng.choice(START_NOTES), when)
        if phone:
            when += dt.timedelta(days=1, hours=rng.randint(0, 5))
            move_case(session, case, "da_lien_he", leader, "Đã gọi điện cho người dân.", when)
        when += dt.timedelta(days=rng.randint(1, 3))
        move_case(session, case, "da_xu_ly", leader, rng.choice(ACK_NOTES), when)
    session.commit()


START_NOTES = [
    "Giao văn phòng kiểm tra, báo cáo trong tuần.",
    "Đã xem lại sổ theo dõi hồ sơ của quầy.",
    "Chuyển Phó Chủ tịch phụ trách xem xét.",
]

# The rules an administrator set for the demo province (evaluated as the ballots arrive).
DEMO_RULES: list[tuple[str, str, float, int | None, int]] = [
    # (unit, kind, threshold %, window minutes, at least answers)
    (DEMO_UNIT, "window_unhappy", 50.0, 60, 4),
    ("XA-SON-HA", "window_unhappy", 50.0, 60, 4),
    ("XA-SON-HA", "day_below", 60.0, None, 6),
    (DEMO_PARENT, "day_below", 60.0, None, 40),
    (DEMO_UNIT, "month_above", 85.0, None, 100),
    (DEMO_PARENT, "month_above", 80.0, None, 300),
]


def _add_rules(session: Session, made_at: dt.datetime) -> None:
    for code, kind, threshold, window, answers in DEMO_RULES:
        unit_id = queries_unit(session, code).id
        assert unit_id is not None
        session.add(
            AlertRule(
                unit_id=unit_id,
                kind=kind,
                threshold=threshold,
                window_min=window,
                min_answers=answers,
                created_by=ADMIN_USER,
                created_at=made_at,
            )
        )


ACK_NOTES = [
    "Đã gọi điện cho người dân, xin lỗi và hẹn giải quyết trong tuần.",
    "Đã nhắc nhở công chức tại cuộc họp giao ban.",
    "Đã kiểm tra camera, làm việc với công chức và báo cáo Chủ tịch.",
    "Người dân không để lại số điện thoại; đã rút kinh nghiệm chung.",
]


def make_demo(
    engine: Engine,
    settings: Settings,
    *,
    today: dt.date | None = None,
    seed: int = 2024,
    admin_password: str | None = None,
    leader_password: str | None = None,
    months: int = 13,
) -> DemoSummary:
    """Create the demo in a database prepared by `init`; the caller has checked it is not there yet."""
    zone = ZoneInfo(TZ)
    now = dt.datetime.now(dt.UTC)
    today = today or now.astimezone(zone).date()
    last_day = today - dt.timedelta(days=1)
    index = last_day.year * 12 + last_day.month - 1 - (months - 1)
    first_day = dt.date(index // 12, index % 12 + 1, 1)
    rng = random.Random(seed)
    admin_password = admin_password or secrets.token_urlsafe(9)
    leader_password = leader_password or secrets.token_urlsafe(9)
    # Users and enrolments are dated by the fixed day: the same --today gives the same database.
    made_at = dt.datetime.combine(first_day, dt.time(7), zone).astimezone(dt.UTC)

    with write_session(engine) as session:
        add_unit(session, DEMO_PARENT, DEMO_PARENT_NAME, TZ)
        devices: list[Device] = []
        for commune in COMMUNES:
            add_unit(session, commune.code, commune.name, TZ, DEMO_PARENT)
            with tempfile.TemporaryDirectory(prefix="demo-staff-") as tmp:
                csv = _write_staff_csv(Path(tmp), commune.officers)
                import_staff(session, commune.code, csv, settings.photo_dir, now)
            code, _ = create_enrolment_code(session, commune.code, made_at, settings.enrolment_code_ttl_s)
            device, _token, _ = enrol_device(session, code, f"Quầy tiếp dân ({commune.name})", made_at)
            devices.append(device)
        admin = session.execute(select(User).where(col(User.username) == ADMIN_USER)).scalars().first()
        if admin is None:
            add_user(session, ADMIN_USER, admin_password, "admin")
        else:
            # The demo prints one password that works: an earlier demo's admin gets it too.
            admin.password_hash = hash_password(admin_password)
        leader = add_user(session, LEADER_USER, leader_password, "leader", DEMO_UNIT)
        # The same password as the leader's: one argon2 hash, not two (the demo should start fast).
        province = User(
            username=PROVINCE_USER,
            password_hash=leader.password_hash,
            role="leader",
            unit_id=leader_unit(session),
        )
        session.add(province)
        session.flush()
        _add_rules(session, made_at)
        kiosk_code, _ = create_enrolment_code(session, DEMO_UNIT, now, settings.enrolment_code_ttl_s)
        unit = queries_unit(session, DEMO_UNIT)
        survey = current_survey(session, unit)
        if survey is None:
            raise RuntimeError("no survey definition is loaded; run `survey-server init` first.")
        session.commit()

        total = 0
        for commune, device in zip(COMMUNES, devices, strict=True):
            crng = rng if commune.code == DEMO_UNIT else random.Random(seed * 100 + commune.seed)
            total += _ingest_commune(session, survey, device, commune, crng, first_day, last_day)
        units = [d.unit_id for d in devices]
        _handle_cases(session, units[:1], leader, last_day, random.Random(seed + 1))
        _handle_cases(session, units[1:], province, last_day, random.Random(seed + 2))
        flagged = _count_flagged(session, unit.id)
        return DemoSummary(
            unit_code=DEMO_UNIT,
            unit_name=DEMO_UNIT_NAME,
            officers=len(OFFICERS),
            ballots=total,
            flagged=flagged,
            first_day=first_day,
            last_day=last_day,
            admin_password=admin_password,
            leader_password=leader_password,
            enrolment_code=kiosk_code,
            communes=len(COMMUNES),
        )


def _count_flagged(session: Session, unit_id: int | None) -> int:
    from sqlalchemy import func

    from sync_server.models import Response

    query = (
        select(func.count())
        .select_from(Response)
        .where(col(Response.unit_id) == unit_id, col(Response.misuse).is_(True))
    )
    return int(session.execute(query).scalar_one())


# ---------------------------------------------------------------------------------------------- CLI


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path` with mode 0600, also when the file existed with wider permissions."""
    from sync_server.cli_support import CliError

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        raise CliError(f"The accounts file {path} cannot be written ({exc.strerror}).") from None


def demo_command(
    reset: Annotated[bool, typer.Option("--reset", help="Delete the demo unit and make it again.")] = False,
    host: Annotated[str, typer.Option(help="Address shown in the log-in URL.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port shown in the log-in URL.")] = 8000,
    today: Annotated[
        str | None,
        typer.Option(help="Make the demo as if today were this date (YYYY-MM-DD): figures that never move."),
    ] = None,
    accounts_file: Annotated[
        Path | None,
        typer.Option(
            "--accounts-file",
            help="Also write the log-ins and passwords printed here to this file, readable by you only.",
        ),
    ] = None,
) -> None:
    """Make a demo province of five communes: officers with photos, accounts, kiosks, 13 months of ballots."""
    from surveys.loader import SurveyError, load_surveys
    from sync_server.cli_support import CliError, default_surveys_dir, open_engine
    from sync_server.migrations import upgrade

    try:
        settings = Settings.from_env()
    except ValueError as exc:
        raise CliError(str(exc)) from None
    try:
        fixed_day = dt.date.fromisoformat(today) if today is not None else None
    except ValueError:
        raise CliError(f"--today {today!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-10-05.") from None
    engine = open_engine(settings, require_schema=False)
    upgrade(engine)
    try:
        definitions = load_surveys(default_surveys_dir(settings))
    except SurveyError as exc:
        raise CliError(str(exc)) from None
    url = f"http://{host}:{port}/dashboard/"
    with write_session(engine) as session:
        load_survey_versions(session, definitions)
        if demo_exists(session):
            if not reset:
                session.commit()
                typer.echo(
                    f"The demo unit {DEMO_UNIT} ({DEMO_UNIT_NAME}) exists already; nothing was changed.\n"
                    f"Log in at {url} as {ADMIN_USER} or {LEADER_USER} with the passwords printed when it "
                    "was made, or run `survey-server demo --reset` to make it again with new passwords."
                )
                return
            remove_demo(session)
        session.commit()
    password = os.environ.get("SURVEY_DEMO_PASSWORD") or None
    summary = make_demo(engine, settings, today=fixed_day, admin_password=password, leader_password=password)
    engine.dispose()
    printed: list[str] = []

    def say(line: str) -> None:
        typer.echo(line)
        printed.append(line)

    say(
        f"Demo ready: {DEMO_PARENT_NAME} ({DEMO_PARENT}) with {summary.communes} communes and "
        f"{summary.ballots:,} ballots from {summary.first_day:%d/%m/%Y} to {summary.last_day:%d/%m/%Y}; "
        f"{summary.unit_name} ({summary.unit_code}) has {summary.officers} officers "
        f"({summary.flagged} ballots flagged as misuse)."
    )
    say(f"Dashboard: {url}  (start it with `survey-server serve --host {host} --port {port}`)")
    say(f"  administrator: {ADMIN_USER} / {summary.admin_password}")
    say(f"  leader:        {LEADER_USER} / {summary.leader_password}  (sees {summary.unit_code})")
    say(
        f"  province:      {PROVINCE_USER} / {summary.leader_password}  (sees {DEMO_PARENT} and its communes)"
    )
    say(
        f"Kiosk: survey-kiosk enrol --server http://{host}:{port} --code {summary.enrolment_code}  "
        "(one-time code, valid 24 hours)"
    )
    month = f"{summary.last_day:%Y-%m}"
    say(f"Report: survey-server report {summary.unit_code} --period {month} --out bao-cao-{month}.pdf")
    if accounts_file is not None:
        _write_private(accounts_file, "\n".join(printed) + "\n")
        typer.echo(f"The log-ins above are kept in {accounts_file} (readable by you only, mode 0600).")

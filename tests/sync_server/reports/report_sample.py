"""Deterministic ballots and an in-memory indices function built on the real index engine."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from surveys.loader import Survey, default_survey_path, load_survey
from sync_server import indices as ix
from sync_server.reports import Labels, StaffInfo, UnitInfo

SURVEY: Survey = load_survey(default_survey_path())
UNIT = UnitInfo("XA-THU", "Xã Tân Phú", "Tỉnh Đồng Nai")
STAFF = {
    "cb01": StaffInfo("cb01", "Nguyễn Thị Hằng", "Công chức Tư pháp - Hộ tịch", "Quầy 1"),
    "cb02": StaffInfo("cb02", "Trần Văn Đức", "Công chức Địa chính - Xây dựng", "Quầy 2"),
    "cb03": StaffInfo("cb03", "Lê Thị Ngọc Ánh", "Công chức Văn hóa - Xã hội", "Quầy 3"),
}
LABELS = Labels.from_survey(SURVEY)


def make_ballots(seed: int = 7, start: date = date(2023, 9, 1), days: int = 400) -> list[ix.Ballot]:
    """About 1,500 ballots over `days` days: cb03 has few, cb02 does worse, some "5 không" reports."""
    rng = random.Random(seed)
    detail = [q.id for q in SURVEY.detail_questions]
    options = [o.id for o in SURVEY.question("nam_khong").options]
    out = []
    for d in range(days):
        day = start + timedelta(days=d)
        for _ in range(rng.randint(1, 6)):
            staff = rng.choices(["cb01", "cb02", "cb03", None], weights=[10, 10, 1, 1])[0]
            bias = -1 if staff == "cb02" else 0
            answers: dict[str, Any] = {"tong_the": max(1, min(5, rng.choice([5, 5, 4, 4, 4, 3, 2]) + bias))}
            for q in rng.sample(detail, 4):
                if q == "nam_khong":
                    answers[q] = [rng.choice(options)] if rng.random() < 0.06 else []
                else:
                    answers[q] = rng.choice([5, 5, 4, 4, 3, 2, 1, None])
            at = datetime(day.year, day.month, day.day, 1 + rng.randint(0, 8), rng.randint(0, 59), tzinfo=UTC)
            out.append(ix.Ballot(at, at + timedelta(hours=20), False, staff, answers))
    return out


def indices_fn(ballots: list[ix.Ballot], min_sample: int = 30) -> Any:
    """An IndicesFn computed by the real engine from raw ballots (what the API returns)."""

    def indices(start: date, end: date, by: str, period: str) -> Mapping[str, Any]:
        tallies = ix.tally_ballots(ballots, SURVEY, "Asia/Ho_Chi_Minh", from_date=start, to_date=end)
        rows = ix.compute_rows(tallies, SURVEY, by=by, period=period, min_sample=min_sample)
        return ix.indices_response(UNIT.code, start, end, rows)

    return indices

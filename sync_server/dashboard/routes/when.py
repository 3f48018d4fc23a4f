"""The "when and where" tab: satisfaction and volume by hour of day × weekday, and by counter (kiosk),
for the chosen period, from the hour and device roll-ups (never the ballots)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from sync_server.api.deps import SettingsDep
from sync_server.dashboard.views import unit_ids
from sync_server.dashboard.web import render
from sync_server.indices import wilson
from sync_server.queries import devices_of, when_by_device, when_by_hour

from .deps import ReadDB, page_for, templates

__all__ = ["router"]

router = APIRouter()

WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _cell(answers: int, satisfied: int, min_sample: int) -> dict[str, Any]:
    index = (2000 * satisfied + answers) // (2 * answers) / 10 if answers else None
    return {"n": answers, "index": index, "insufficient": answers < min_sample}


def _pair(grid: dict[tuple[int, int], list[int]], weekday: int, hour: int) -> tuple[int, int]:
    found = grid.get((weekday, hour))
    return (found[0], found[1]) if found else (0, 0)


@router.get("/when", response_class=HTMLResponse)
def when(request: Request, db: ReadDB, settings: SettingsDep) -> Response:
    page = page_for(request, db)
    assert page.unit is not None and page.unit.id is not None and page.period is not None
    period = page.period
    grid: dict[tuple[int, int], list[int]] = {}
    for day, hour, answers, satisfied in when_by_hour(db, page.unit.id, period.date_from, period.date_to):
        cell = grid.setdefault((day.weekday(), hour), [0, 0])
        cell[0] += answers
        cell[1] += satisfied
    hours = sorted({h for _w, h in grid}) or []
    hours = list(range(hours[0], hours[-1] + 1)) if hours else []
    # An hour-and-weekday cell holds few ballots: its figure shows from a fifth of the minimum sample.
    cell_min = max(1, settings.min_sample // 5)
    rows: list[dict[str, Any]] = []
    names: tuple[str, ...] = WEEKDAYS_EN if page.lang == "en" else WEEKDAYS_VI
    for w in range(7):
        cells = [_cell(*_pair(grid, w, h), cell_min) for h in hours]
        answers = sum(_pair(grid, w, h)[0] for h in hours)
        satisfied = sum(_pair(grid, w, h)[1] for h in hours)
        total = _cell(answers, satisfied, settings.min_sample)
        rows.append({"name": names[w], "cells": cells, "total": total})
    by_hour = [
        _cell(
            sum(_pair(grid, w, h)[0] for w in range(7)),
            sum(_pair(grid, w, h)[1] for w in range(7)),
            settings.min_sample,
        )
        for h in hours
    ]
    ids = unit_ids(page)
    known = {d.id: d for d in devices_of(db, ids)}
    unit_names = {u.id: u.name for u in page.units}
    counters = []
    for device_id, unit_id, answers, satisfied in when_by_device(db, ids, period.date_from, period.date_to):
        device = known.get(device_id)
        line = _cell(answers, satisfied, settings.min_sample)
        line["ci"] = list(wilson(satisfied, answers)) if answers else None
        line["name"] = (device.name if device else "") or device_id
        line["unit"] = unit_names.get(unit_id, "")
        counters.append(line)
    counters.sort(key=lambda x: (x["insufficient"], -(x["index"] or 0), x["name"]))
    peak = max((c["n"] for r in rows for c in r["cells"]), default=0)
    return render(
        templates,
        page,
        "when.html",
        "when",
        hours=hours,
        rows=rows,
        by_hour=by_hour,
        counters=counters,
        peak=peak,
        cell_min=cell_min,
        min_sample=settings.min_sample,
    )

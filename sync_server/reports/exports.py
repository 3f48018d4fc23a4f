"""Exports of ballots and figures as CSV and XLSX, filtered as on screen (the dashboard calls these).

>>> ballots_csv(responses, survey, role="leader")                        # no phone column
>>> ballots_csv(responses, survey, role="admin", include_phones=True)    # with consented phones
>>> figures_xlsx(indices_response, labels=Labels.from_survey(survey), staff_names={"cb01": "Nguyễn Văn A"})

Single ballots are for leaders and administrators only: a viewer (an officer) gets ExportForbidden.
CSV files are UTF-8 with a byte-order mark so that Excel shows Vietnamese correctly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from sync_server.reports.content import Labels, month_label, nfc
from sync_server.reports.spreadsheet import as_text, csv_text, text_cells

__all__ = [
    "BALLOT_ROLES",
    "ExportForbidden",
    "ballots_csv",
    "ballots_xlsx",
    "figures_csv",
    "figures_xlsx",
]

BALLOT_ROLES = frozenset({"admin", "leader"})
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_BOLD = Font(bold=True)


class ExportForbidden(PermissionError):
    """The caller's role may not export single ballots (or phone numbers)."""


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


# Citizens' free text made safe for a spreadsheet: no formulas (CSV injection), no control characters
# (XLSX cannot hold them; a kiosk bug must not make the whole export fail).
_safe = csv_text


def _check_role(role: str) -> None:
    if role not in BALLOT_ROLES:
        raise ExportForbidden(
            f"role {role!r} may not export single ballots; only leaders and administrators may."
        )


def _question_ids(survey: Any, ballots: Sequence[Any]) -> list[str]:
    if survey is not None:
        return [q.id for q in survey.questions]
    seen: dict[str, None] = {}
    for b in ballots:
        for qid in _get(b, "answers") or {}:
            seen.setdefault(qid, None)
    return list(seen)


def _answer_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value) if value else "(không)"
    return str(value)


def _local(value: Any, tz: ZoneInfo) -> str:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))
        return moment.astimezone(tz).isoformat(timespec="seconds")
    return "" if value is None else str(value)


def _ballot_table(
    ballots: Iterable[Any],
    survey: Any,
    *,
    role: str,
    include_phones: bool,
    staff_names: Mapping[str, str] | None,
    tz: str,
    labelled: bool,
) -> tuple[list[str], list[list[Any]]]:
    _check_role(role)
    rows = list(ballots)
    qids = _question_ids(survey, rows)
    names = staff_names or {}
    zone = ZoneInfo(tz)
    labels = Labels.from_survey(survey) if (survey is not None and labelled) else None
    header = ["id", "submitted_at", "received_at", "staff_id", "staff_name", "survey_version"]
    if labelled:
        header = [
            "Mã phiếu",
            "Thời điểm đánh giá",
            "Thời điểm nhận",
            "Mã công chức",
            "Công chức",
            "Phiên bản",
        ]
    header += [labels.item(q) if labels else q for q in qids]
    header += ["Góp ý" if labelled else "comment"]
    if include_phones:
        header += ["Số điện thoại (đã đồng ý)" if labelled else "phone"]
    header += ["Cờ" if labelled else "flags"]
    table: list[list[Any]] = []
    for b in rows:
        answers = _get(b, "answers") or {}
        staff_id = _get(b, "staff_id")
        line: list[Any] = [
            str(_get(b, "id")),
            _local(_get(b, "submitted_at"), zone),
            _local(_get(b, "received_at"), zone),
            staff_id or "",
            names.get(staff_id, "") if staff_id else "không rõ",
            _get(b, "survey_version") or "",
        ]
        for q in qids:
            value = answers.get(q)
            line.append(value if (labelled and isinstance(value, int)) else _answer_text(value))
        line.append(_safe(nfc(_get(b, "comment") or "")))
        if include_phones:
            contact = _get(b, "contact")
            phone = _get(b, "contact_phone") or (_get(contact, "phone") if contact else None)
            line.append(_safe(phone or ""))
        flags = [name for name in ("misuse", "clock_suspect") if _get(b, name)]
        line.append(";".join(flags))
        table.append(line)
    return header, table


def ballots_csv(
    ballots: Iterable[Any],
    survey: Any = None,
    *,
    role: str,
    include_phones: bool = False,
    staff_names: Mapping[str, str] | None = None,
    tz: str = "Asia/Ho_Chi_Minh",
) -> bytes:
    """Ballots (stored Response rows or their dicts) as CSV bytes, one line per ballot, times local to `tz`.

    Columns: id, times, officer, version, one per question (ids as headers; a checklist is "a;b" or
    "(không)"), comment, phone (only with include_phones), flags.
    """
    header, table = _ballot_table(
        ballots,
        survey,
        role=role,
        include_phones=include_phones,
        staff_names=staff_names,
        tz=tz,
        labelled=False,
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(table)
    return out.getvalue().encode("utf-8-sig")


def _style_header(ws: Any, row: int, width: int) -> None:
    for col in range(1, width + 1):
        cell = ws.cell(row=row, column=col)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")


def _autowidth(ws: Any, widths: Mapping[int, float] | None = None, default: float = 14) -> None:
    for col in range(1, ws.max_column + 1):
        ws.column_dimensions[get_column_letter(col)].width = (widths or {}).get(col, default)


def ballots_xlsx(
    ballots: Iterable[Any],
    survey: Any = None,
    *,
    role: str,
    include_phones: bool = False,
    staff_names: Mapping[str, str] | None = None,
    tz: str = "Asia/Ho_Chi_Minh",
) -> bytes:
    """The same ballots as an XLSX sheet "Phiếu" with Vietnamese headers and numeric ratings."""
    header, table = _ballot_table(
        ballots,
        survey,
        role=role,
        include_phones=include_phones,
        staff_names=staff_names,
        tz=tz,
        labelled=True,
    )
    # Write-only: a province's year is hundreds of thousands of rows; streaming keeps memory flat.
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Phiếu")
    widths = {1: 38, 2: 22, 3: 22, 5: 24, len(header) - (2 if include_phones else 1): 40}
    for col in range(1, len(header) + 1):
        ws.column_dimensions[get_column_letter(col)].width = widths.get(col, 14)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(table) + 1}"
    cells = []
    for text in header:
        cell = WriteOnlyCell(ws, value=text)
        cell.font, cell.fill = _BOLD, _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cells.append(cell)
    ws.append(cells)
    for line in table:
        ws.append(text_cells(ws, line))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ------------------------------------------------------------------------------------------- figures


def _figure_columns(rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    groups: dict[str, None] = {}
    items: dict[str, None] = {}
    violations: dict[tuple[str, str], None] = {}
    for r in rows:
        for g in r.get("groups") or {}:
            groups.setdefault(g, None)
        for q, item in (r.get("items") or {}).items():
            items.setdefault(q, None)
            for o in item.get("violation_rates") or {}:
                violations.setdefault((q, o), None)
    return list(groups), list(items), list(violations)


def figures_csv(indices_response: Mapping[str, Any]) -> bytes:
    """An indices API response (sync-protocol.md) as CSV bytes: one line per Row, figures as the API has them.

    Columns: unit, from, to, method, key, n, satisfaction_index, ci95_lo, ci95_hi, mean_score,
    friendly_index, service_index, insufficient, then group:<id>, item:<id>:n, item:<id>:index and
    violation:<item>:<option>. A null figure is an empty cell, never 0.
    """
    rows: Sequence[Mapping[str, Any]] = indices_response.get("rows") or []
    groups, items, violations = _figure_columns(rows)
    header = ["unit", "from", "to", "method", "key", "n", "satisfaction_index", "ci95_lo", "ci95_hi"]
    header += ["mean_score", "friendly_index", "service_index", "insufficient"]
    header += [f"group:{g}" for g in groups]
    for q in items:
        header += [f"item:{q}:n", f"item:{q}:index"]
    header += [f"violation:{q}:{o}" for q, o in violations]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)

    def cell(value: Any) -> Any:
        return "" if value is None else value

    for r in rows:
        ci = r.get("satisfaction_ci95") or [None, None]
        line = [
            indices_response.get("unit", ""),
            indices_response.get("from", ""),
            indices_response.get("to", ""),
            indices_response.get("method", ""),
            cell(r.get("key")),
            r.get("n", 0),
            cell(r.get("satisfaction_index")),
            cell(ci[0]),
            cell(ci[1]),
            cell(r.get("mean_score")),
            cell(r.get("friendly_index")),
            cell(r.get("service_index")),
            "true" if r.get("insufficient") else "false",
        ]
        line += [cell((r.get("groups") or {}).get(g)) for g in groups]
        for q in items:
            item = (r.get("items") or {}).get(q) or {}
            line += [item.get("n", 0), cell(item.get("index"))]
        for q, o in violations:
            item = (r.get("items") or {}).get(q) or {}
            line.append(cell((item.get("violation_rates") or {}).get(o)))
        writer.writerow(line)
    return out.getvalue().encode("utf-8-sig")


def _key_label(key: Any, staff_names: Mapping[str, str], by_staff: bool) -> str:
    if key is None:
        return "Không rõ công chức" if by_staff else "Tất cả"
    text = str(key)
    if text in staff_names:
        return staff_names[text]
    return month_label(text)


def figures_xlsx(
    indices_response: Mapping[str, Any],
    *,
    labels: Labels | None = None,
    staff_names: Mapping[str, str] | None = None,
    title: str | None = None,
) -> bytes:
    """An indices API response as an XLSX workbook: a sheet of figures with a native chart, and one of
    item detail. Numbers stay numbers (formatted 0.0), so the workbook's sums and charts work."""
    rows: Sequence[Mapping[str, Any]] = indices_response.get("rows") or []
    names = dict(staff_names or {})
    groups, items, _ = _figure_columns(rows)
    # A by=staff response keys rows by officer id; a by=none response has one row keyed null ("all").
    by_staff = any(r.get("key") in names for r in rows if r.get("key") is not None)
    wb = Workbook()
    ws = wb.active
    ws.title = "Chỉ số"
    ws.append([nfc(title or "Chỉ số hài lòng")])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(
        [
            f"Đơn vị: {indices_response.get('unit', '')}",
            f"Từ ngày: {indices_response.get('from', '')}",
            f"Đến ngày: {indices_response.get('to', '')}",
            f"Phương pháp: {indices_response.get('method', '')}",
        ]
    )
    ws.append([])
    header = ["Kỳ / công chức", "Số phiếu", "Chỉ số hài lòng (%)", "KTC 95% thấp", "KTC 95% cao"]
    header += ["Điểm trung bình", "Chỉ số thân thiện (%)", "Chỉ số phục vụ (%)", "Đủ mẫu"]
    header += [labels.group(g) if labels else g for g in groups]
    ws.append(header)
    head_row = ws.max_row
    _style_header(ws, head_row, len(header))
    for r in rows:
        ci = r.get("satisfaction_ci95") or [None, None]
        ws.append(
            [
                _key_label(r.get("key"), names, by_staff),
                r.get("n", 0),
                r.get("satisfaction_index"),
                ci[0],
                ci[1],
                r.get("mean_score"),
                r.get("friendly_index"),
                r.get("service_index"),
                "chưa đủ mẫu" if r.get("insufficient") else "đủ",
                *[(r.get("groups") or {}).get(g) for g in groups],
            ]
        )
        for col in (3, 4, 5, 7, 8, *range(10, 10 + len(groups))):
            ws.cell(row=ws.max_row, column=col).number_format = "0.0"
        ws.cell(row=ws.max_row, column=6).number_format = "0.00"
    last = ws.max_row
    ws.freeze_panes = ws.cell(row=head_row + 1, column=2)
    _autowidth(ws, {1: 26})
    if len(rows) >= 1:
        by_period = any(isinstance(r.get("key"), str) and r["key"][:4].isdigit() for r in rows)
        chart: LineChart | BarChart = LineChart() if by_period and len(rows) > 1 else BarChart()
        chart.title = "Chỉ số hài lòng và thân thiện (%)"
        chart.y_axis.title = "%"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 100
        chart.height, chart.width = 9, 22
        for col in (3, 7):
            ref = Reference(ws, min_col=col, min_row=head_row, max_row=last)
            chart.add_data(ref, titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=head_row + 1, max_row=last))
        ws.add_chart(chart, f"A{last + 3}")

    detail = wb.create_sheet("Tiêu chí")
    detail.append(
        ["Kỳ / công chức", "Tiêu chí", "Số phiếu", "Tỷ lệ đạt (%)", "Lựa chọn", "Tỷ lệ phản ánh (%)"]
    )
    _style_header(detail, 1, 6)
    for r in rows:
        key = _key_label(r.get("key"), names, by_staff)
        for q in items:
            item = (r.get("items") or {}).get(q)
            if not item:
                continue
            detail.append([key, labels.item(q) if labels else q, item.get("n", 0), item.get("index")])
            detail.cell(row=detail.max_row, column=4).number_format = "0.0"
            for o, rate in (item.get("violation_rates") or {}).items():
                name = labels.options.get(o, o) if labels else o
                detail.append([key, labels.item(q) if labels else q, item.get("n", 0), None, name, rate])
                detail.cell(row=detail.max_row, column=6).number_format = "0.0"
    detail.freeze_panes = "A2"
    _autowidth(detail, {1: 26, 2: 34, 5: 44})
    out = io.BytesIO()
    as_text(wb).save(out)
    return out.getvalue()

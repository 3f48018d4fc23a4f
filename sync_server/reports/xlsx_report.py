"""The report as an XLSX workbook: the same figures as the DOCX, as numbers, with native charts.

>>> Path("bao-cao.xlsx").write_bytes(render_xlsx(data))
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from sync_server.reports import content as c
from sync_server.reports.spreadsheet import as_text

__all__ = ["render_xlsx"]

_FILL = PatternFill("solid", fgColor="DDEBF7")
_PCT = "0.0"


def _header(ws: Any, values: list[str]) -> int:
    ws.append(values)
    row = ws.max_row
    for col in range(1, len(values) + 1):
        cell = ws.cell(row=row, column=col)
        cell.font = Font(bold=True)
        cell.fill = _FILL
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    return row


def _widths(ws: Any, widths: list[float]) -> None:
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


def _fmt(ws: Any, row: int, cols: tuple[int, ...], fmt: str = _PCT) -> None:
    for col in cols:
        ws.cell(row=row, column=col).number_format = fmt


def _summary(ws: Any, data: c.ReportData) -> None:
    parent, issuer = c.issuer_lines(data)
    ws.title = "Tổng hợp"
    for line in (parent, issuer):
        if line:
            ws.append([line.replace("\n", " ")])
    heading, subject = c.title_lines(data)
    ws.append([f"{heading}: {subject}"])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True, size=14)
    ws.append([c.place_and_date(data)])
    until = f"; số liệu đến ngày {data.data_until:%d/%m/%Y}" if data.data_until else ""
    ws.append(
        [
            f"Kỳ báo cáo: {data.period.key} (từ {data.period.start:%d/%m/%Y} "
            f"đến {data.period.end:%d/%m/%Y}{until})"
        ]
    )
    ws.append([f"Phương pháp: {data.method}; mẫu tối thiểu: {data.min_sample} phiếu"])
    ws.append([])
    _header(ws, ["Chỉ tiêu", "Kỳ này", "Kỳ trước", "Thay đổi (điểm %)"])
    row, prev = data.overall or {}, data.previous or {}
    ci = row.get("satisfaction_ci95") or [None, None]
    lines: list[tuple[str, Any, Any, str]] = [
        ("Số phiếu", row.get("n", 0), prev.get("n", 0) if prev else None, "0"),
        ("Chỉ số hài lòng chung (%)", row.get("satisfaction_index"), prev.get("satisfaction_index"), _PCT),
        ("KTC 95% — cận dưới (%)", ci[0], None, _PCT),
        ("KTC 95% — cận trên (%)", ci[1], None, _PCT),
        ("Điểm trung bình (1–5)", row.get("mean_score"), prev.get("mean_score"), "0.00"),
        ("Chỉ số thân thiện (%)", row.get("friendly_index"), prev.get("friendly_index"), _PCT),
        ("Chỉ số phục vụ — SIPAS (%)", row.get("service_index"), prev.get("service_index"), _PCT),
    ]
    comparable = c.comparable(data)  # a partial or too small previous period is not compared
    for label, now, before, fmt in lines:
        change = None
        if comparable and fmt == _PCT and now is not None and before is not None:
            change = round(round(now, 1) - round(before, 1), 1)
        ws.append([label, now, before, change])
        _fmt(ws, ws.max_row, (2, 3), fmt)
        _fmt(ws, ws.max_row, (4,), "+0.0;-0.0;0.0")
    ws.append(["Đủ mẫu tối thiểu", "chưa đủ mẫu" if row.get("insufficient") else "đủ"])
    compare = c.comparison_line(data)
    if compare:
        ws.append([compare])
    ws.append([])
    first = _header(ws, ["Nhóm tiêu chí", "Chỉ số (%)", "Kỳ trước (%)", "Loại"])
    for gid, title in data.labels.groups.items():
        kind = "thân thiện" if gid in data.labels.friendly else "SIPAS" if gid in data.labels.sipas else ""
        ws.append(
            [
                title,
                (row.get("groups") or {}).get(gid),
                (prev.get("groups") or {}).get(gid) if prev else None,
                kind,
            ]
        )
        _fmt(ws, ws.max_row, (2, 3))
    last = ws.max_row
    if last > first:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "Chỉ số theo nhóm tiêu chí (%)"
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 100
        chart.height, chart.width = 10, 18
        chart.add_data(
            Reference(ws, min_col=2, max_col=3, min_row=first, max_row=last), titles_from_data=True
        )
        chart.set_categories(Reference(ws, min_col=1, min_row=first + 1, max_row=last))
        ws.add_chart(chart, "F2")
    ws.append([])
    ws.append(["Đề xuất, kiến nghị"])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
    for i, line in enumerate(c.proposals(data), start=1):
        ws.append([f"{i}. {line}"])
    _widths(ws, [44, 14, 14, 18])


def _groups(ws: Any, data: c.ReportData) -> None:
    _header(ws, ["Nhóm", "Tiêu chí", "Số phiếu", "Tỷ lệ đạt (%)", "Khoảng tin cậy 95%", "Ghi chú"])
    for gid, table in zip(data.labels.groups, c.group_tables(data), strict=True):
        title = data.labels.group(gid)
        for text, numbers in zip(table.rows, table.numbers, strict=True):
            n = numbers[0] if numbers[0] is not None else c.group_sample(data, gid)
            ws.append([title, text[0], n, numbers[1], text[3], text[4]])
            _fmt(ws, ws.max_row, (4,))
            if text[0] == "Chỉ số nhóm":
                ws.cell(row=ws.max_row, column=2).font = Font(bold=True)
    ws.freeze_panes = "A2"
    _widths(ws, [26, 40, 12, 14, 20, 14])


def _people(ws: Any, data: c.ReportData) -> None:
    _heading, _note, table, _fractions = c.people_section(data)
    first = _header(ws, table.header)
    for text, numbers in zip(table.rows, table.numbers, strict=True):
        line: list[Any] = [n if n is not None else t for t, n in zip(text, numbers, strict=True)]
        rank = text[-1]
        line[-1] = int(rank) if rank.isdigit() else rank
        ws.append(line)
        _fmt(ws, ws.max_row, tuple(i + 1 for i, h in enumerate(table.header) if h.endswith("(%)")))
    last = ws.max_row
    ws.freeze_panes = "C2"
    _widths(ws, [6, 30, 30 if not data.children else 10, 10, 13, 13, 14])
    pct = [i + 1 for i, h in enumerate(table.header) if h.endswith("(%)")]
    if last > first:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "Chỉ số hài lòng theo " + ("đơn vị (%)" if data.children else "công chức (%)")
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 100
        chart.height, chart.width = max(7, 0.6 * (last - first) + 3), 18
        chart.add_data(
            Reference(ws, min_col=pct[0], max_col=pct[0], min_row=first, max_row=last), titles_from_data=True
        )
        chart.set_categories(Reference(ws, min_col=2, min_row=first + 1, max_row=last))
        ws.add_chart(chart, "I2")


def _trend(ws: Any, data: c.ReportData) -> None:
    first = _header(ws, ["Tháng", "Số phiếu", "Hài lòng (%)", "Thân thiện (%)", "Phục vụ (%)"])
    for r in data.trend:
        ws.append(
            [
                c.month_label(str(r["key"])),
                r["n"],
                r.get("satisfaction_index"),
                r.get("friendly_index"),
                r.get("service_index"),
            ]
        )
        _fmt(ws, ws.max_row, (3, 4, 5))
    last = ws.max_row
    _widths(ws, [12, 10, 13, 13, 13])
    if last > first:
        chart = LineChart()
        chart.title = "Diễn biến theo tháng (%)"
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 100
        chart.height, chart.width = 9, 20
        chart.add_data(
            Reference(ws, min_col=3, max_col=5, min_row=first, max_row=last), titles_from_data=True
        )
        chart.set_categories(Reference(ws, min_col=1, min_row=first + 1, max_row=last))
        ws.add_chart(chart, "G2")


def _violations(ws: Any, data: c.ReportData) -> None:
    table = c.violation_table(data)
    ws.append([table.title])
    ws.cell(row=1, column=1).font = Font(bold=True)
    first = _header(ws, ["Hành vi", "Tỷ lệ phiếu phản ánh (%)"])
    for text, numbers in zip(table.rows, table.numbers, strict=True):
        ws.append([text[0], numbers[1]])
        _fmt(ws, ws.max_row, (2,), "0.0")
    last = ws.max_row
    ws.append([])
    for line in c.violation_lines(data):
        ws.append([line])
    _widths(ws, [60, 22])
    if last > first:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "Hành vi “5 không” được phản ánh (%)"
        chart.height, chart.width = 8, 18
        chart.add_data(Reference(ws, min_col=2, min_row=first, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=first + 1, max_row=last))
        ws.add_chart(chart, "D2")


def _comments(ws: Any, data: c.ReportData) -> None:
    ws.append([c.comment_lines(data)[0]])
    _header(ws, ["Ngày", "Đơn vị", "Về công chức", "Ý kiến"])
    for comment in data.comments:
        ws.append(
            [comment.day, comment.place or data.unit.name, comment.staff_name or "", c.nfc(comment.text)]
        )
        ws.cell(row=ws.max_row, column=1).number_format = "dd/mm/yyyy"
        ws.cell(row=ws.max_row, column=4).alignment = Alignment(wrap_text=True, vertical="top")
    _widths(ws, [12, 22, 26, 90])


def render_xlsx(data: c.ReportData) -> bytes:
    """Build the report as XLSX bytes: Tổng hợp, Nhóm tiêu chí, Công chức, Diễn biến, 5 không, Góp ý."""
    wb = Workbook()
    _summary(wb.active, data)
    _groups(wb.create_sheet("Nhóm tiêu chí"), data)
    _people(wb.create_sheet("Đơn vị" if data.children else "Công chức"), data)
    _trend(wb.create_sheet("Diễn biến"), data)
    _violations(wb.create_sheet("5 không"), data)
    _comments(wb.create_sheet("Góp ý"), data)
    wb.properties.title = c.nfc(" ".join(c.title_lines(data)))
    wb.properties.creator = c.nfc(data.unit.name)
    out = io.BytesIO()
    as_text(wb).save(out)  # a comment like =HYPERLINK(…) stays text
    return out.getvalue()

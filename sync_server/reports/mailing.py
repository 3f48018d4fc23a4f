"""The nightly sending of closed periods' reports (PDF + DOCX) to the recipients a leader chose.

Once per unit and period: a sent report is never sent again; a failure is kept with its reason (shown on
the reports tab) and tried again the next night. A period is first sent in the month after it closes.

>>> send_closed_reports(session, now, smtp, min_sample=30)
{'sent': ['XA-DEMO 2026-03'], 'failed': []}
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from sync_server.mail import MailError, SmtpSettings, send_mail
from sync_server.models import ReportMailing, Unit
from sync_server.periods import ReportPeriod, report_period_closing
from sync_server.reports.build import MEDIA_TYPES, render, report_filename
from sync_server.reports.service import period_basis, report_data_for

__all__ = ["FIRST_SEND_DAYS", "mailings", "recipients_of", "send_closed_reports"]

# A period closed longer ago than this is not sent for the first time (a new install does not mail the
# past); one that failed is retried whatever its age.
FIRST_SEND_DAYS = 31
KINDS = ("month", "quarter", "half", "year")

Sender = Callable[[SmtpSettings, Sequence[str], str, str, Sequence[tuple[str, bytes, str]]], None]


def recipients_of(unit: Unit) -> list[str]:
    """The addresses a leader chose for the unit's reports."""
    return [str(a) for a in json.loads(unit.report_emails)] if unit.report_emails else []


def _message(unit: Unit, period: ReportPeriod) -> tuple[str, str]:
    subject = f"Báo cáo kết quả đo lường sự hài lòng {period.title_vi} — {unit.name}"
    body = (
        f"Kính gửi lãnh đạo {unit.name},\n\n"
        f"Kỳ báo cáo {period.title_vi} (từ ngày {period.start:%d/%m/%Y} đến ngày {period.end:%d/%m/%Y}) "
        "đã kết thúc. Hệ thống gửi kèm báo cáo kết quả đo lường sự hài lòng của người dân, tổ chức "
        "(bản PDF để xem, bản DOCX để trình ký).\n\n"
        "Thư này được gửi tự động; xin không trả lời thư này.\n"
    )
    return subject, body


def send_closed_reports(
    session: Session,
    now: dt.datetime,
    smtp: SmtpSettings,
    *,
    min_sample: int,
    send: Sender = send_mail,
) -> dict[str, list[str]]:
    """E-mail every closed period's report not yet sent; record each attempt; return what happened."""
    sent: list[str] = []
    failed: list[str] = []
    units = session.execute(select(Unit).where(col(Unit.report_emails).is_not(None))).scalars().all()
    for unit in units:
        assert unit.id is not None
        to = recipients_of(unit)
        if not to:
            continue
        today = now.astimezone(ZoneInfo(unit.timezone)).date()
        for kind in KINDS:
            period = report_period_closing(kind, period_basis(unit), today)  # type: ignore[arg-type]
            row = session.execute(
                select(ReportMailing).where(
                    col(ReportMailing.unit_id) == unit.id, col(ReportMailing.period_key) == period.key
                )
            ).scalar_one_or_none()
            if row is not None and row.status == "sent":
                continue
            if row is None and (today - period.end).days > FIRST_SEND_DAYS:
                continue
            if row is None:
                row = ReportMailing(
                    unit_id=unit.id, period_key=period.key, status="failed", recipients="[]", updated_at=now
                )
            label = f"{unit.code} {period.key}"
            try:
                data = report_data_for(session, unit.code, period, min_sample=min_sample, issued_on=today)
                files = [
                    (report_filename(unit.code, period.key, fmt), render(data, fmt), MEDIA_TYPES[fmt])
                    for fmt in ("pdf", "docx")
                ]
                subject, body = _message(unit, period)
                send(smtp, to, subject, body, files)
            except MailError as exc:
                row.status, row.last_error = "failed", str(exc)
                failed.append(label)
            else:
                row.status, row.last_error = "sent", None
                sent.append(label)
            row.attempts += 1
            row.recipients = json.dumps(to)
            row.updated_at = now
            session.add(row)
            session.flush()
    return {"sent": sent, "failed": failed}


def mailings(session: Session, unit_id: int, limit: int = 12) -> list[dict[str, Any]]:
    """The unit's latest sendings for the reports tab, newest first."""
    rows = session.execute(
        select(ReportMailing)
        .where(col(ReportMailing.unit_id) == unit_id)
        .order_by(col(ReportMailing.updated_at).desc(), col(ReportMailing.id).desc())
        .limit(limit)
    ).scalars()
    return [
        {
            "period": r.period_key,
            "status": r.status,
            "attempts": r.attempts,
            "recipients": json.loads(r.recipients),
            "error": r.last_error,
            "at": r.updated_at,
        }
        for r in rows
    ]

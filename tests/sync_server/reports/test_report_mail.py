"""The nightly job e-mails a closed period's report (PDF + DOCX) to a real SMTP server on loopback, once per
period; a failure is kept with its reason, shown on the reports tab, retried the next night. Fixed clock."""

from __future__ import annotations

import datetime as dt
import io
import re
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from api_helpers import PASSWORD as USER_PASSWORD
from api_helpers import Api
from docx import Document
from pypdf import PdfReader

from sync_server.jobs import run_nightly
from sync_server.mail import SmtpSettings

# 02:30 on 2 April 2026 in Hà Nội: March and the first quarter have closed.
NIGHT = dt.datetime(2026, 4, 1, 19, 30, tzinfo=dt.UTC)
PASSWORD = "mat-khau-smtp-bi-mat"


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture()
def smtp() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ballots(api: Api) -> None:
    device = api.enrol("XA01")
    items = []
    for day in range(2, 31):
        at = dt.datetime(2026, 3, day, 2, 0, tzinfo=dt.UTC)
        for k in range(2):
            moment = at + dt.timedelta(minutes=10 * k)
            items.append(
                api.ballot(
                    device,
                    submitted_at=moment.isoformat(),
                    started_at=(moment - dt.timedelta(seconds=40)).isoformat(),
                    answers={"tong_the": 4 + (day + k) % 2, "xin_chao": 5, "nam_khong": []},
                )
            )
    assert set(api.statuses(api.upload(device, items))) == {"created"}


def _night(api: Api, monkeypatch: pytest.MonkeyPatch, port: int, now: dt.datetime) -> dict[str, Any]:
    for key, value in {
        "SURVEY_SMTP_HOST": "127.0.0.1",
        "SURVEY_SMTP_PORT": str(port),
        "SURVEY_SMTP_STARTTLS": "0",
        "SURVEY_SMTP_FROM": "bao-cao@xa-hoa-binh.example",
        "SURVEY_SMTP_PASSWORD": PASSWORD,
    }.items():
        monkeypatch.setenv(key, value)
    report = run_nightly(api.engine, api.settings, now=now)
    assert report is not None and "report_mail" not in report["errors"], report
    return dict(report["report_mail"])


def test_closed_month_and_quarter_are_mailed_once_and_a_failure_is_retried(
    api: Api,
    smtp: tuple[Controller, Inbox],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    controller, inbox = smtp
    _ballots(api)
    # The leader chooses the recipients on the reports tab; a mistyped address saves nothing.
    page = _reports_tab(api)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token and "Chưa có báo cáo nào được gửi." in page
    form = {"csrf_token": token.group(1)}
    bad = api.client.post("/dashboard/reports/mail?unit=XA01", data=form | {"emails": "chutich@\nvanphong"})
    assert bad.status_code == 400 and "không hợp lệ" in bad.text
    good = api.client.post(
        "/dashboard/reports/mail?unit=XA01",
        data=form | {"emails": "chutich@hoa-binh.example\n vanphong@hoa-binh.example \n"},
        follow_redirects=False,
    )
    assert good.status_code == 303
    assert "vanphong@hoa-binh.example" in _reports_tab(api)

    # The first night the SMTP server is unreachable: nothing is lost, the reason is kept and shown.
    failed = _night(api, monkeypatch, _free_port(), NIGHT)
    assert failed == {"sent": [], "failed": ["XA01 2026-03", "XA01 2026-Q1"]}
    assert inbox.messages == []
    page = _reports_tab(api)
    assert "2026-03" in page and "Chưa gửi được" in page and "thử lại" in page and "127.0.0.1" in page

    # The next night the server is up: both reports go, each with its PDF and DOCX.
    sent = _night(api, monkeypatch, controller.port, NIGHT + dt.timedelta(days=1))
    assert sent == {"sent": ["XA01 2026-03", "XA01 2026-Q1"], "failed": []}
    assert len(inbox.messages) == 2
    to, month = inbox.messages[0]
    assert sorted(to) == ["chutich@hoa-binh.example", "vanphong@hoa-binh.example"]
    assert str(month["Subject"]).startswith("Báo cáo kết quả đo lường sự hài lòng tháng 3 năm 2026")
    parts = {p.get_filename(): p.get_payload(decode=True) for p in month.walk() if p.get_filename()}
    assert set(parts) == {"bao-cao-XA01-2026-03.pdf", "bao-cao-XA01-2026-03.docx"}
    pdf_text = " ".join(
        (page.extract_text() or "") for page in PdfReader(io.BytesIO(parts["bao-cao-XA01-2026-03.pdf"])).pages
    )
    assert "tháng 3 năm 2026" in " ".join(pdf_text.split())
    doc = Document(io.BytesIO(parts["bao-cao-XA01-2026-03.docx"]))
    assert any("tháng 3 năm 2026" in p.text for p in doc.paragraphs)
    assert "2026-Q1" in (inbox.messages[1][1].get_payload()[1].get_filename() or "")
    assert "Đã gửi" in _reports_tab(api)

    # A third night sends nothing again; the password never reached a log line.
    again = _night(api, monkeypatch, controller.port, NIGHT + dt.timedelta(days=2))
    assert again == {"sent": [], "failed": []} and len(inbox.messages) == 2
    assert PASSWORD not in caplog.text


def _reports_tab(api: Api) -> str:
    """The leader's reports tab, logged in through the real log-in form."""
    if "leader" not in api._seq:
        api.add_user("lanhdao", "leader", "XA01")
        api._seq["leader"] = 1
        page = api.client.get("/dashboard/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text
        reply = api.client.post(
            "/dashboard/login",
            data={"username": "lanhdao", "password": USER_PASSWORD, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert reply.status_code == 303, reply.text
    page = api.client.get("/dashboard/reports", params={"unit": "XA01"})
    assert page.status_code == 200, page.text
    return page.text


def test_smtp_settings_hide_the_password() -> None:
    smtp = SmtpSettings.from_env({"SURVEY_SMTP_HOST": "mail.example", "SURVEY_SMTP_PASSWORD": PASSWORD})
    assert PASSWORD not in repr(smtp) and smtp.host == "mail.example" and smtp.port == 587


def test_smtp_set_on_the_dashboard_is_used_and_its_password_never_shown(
    api: Api, smtp: tuple[Controller, Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    controller, inbox = smtp
    _ballots(api)
    for key in ("HOST", "PORT", "STARTTLS", "USER", "PASSWORD", "FROM"):
        monkeypatch.delenv(f"SURVEY_SMTP_{key}", raising=False)
    api.add_user("quantri", "admin")
    login = api.client.get("/dashboard/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert token
    api.client.post(
        "/dashboard/login",
        data={"username": "quantri", "password": USER_PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    page = api.client.get("/dashboard/reports", params={"unit": "XA01"})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf and 'id="report-smtp"' in page.text
    form = {
        "host": "127.0.0.1",
        "port": str(controller.port),
        "user": "",
        "password": PASSWORD,
        "sender": "bao-cao@xa-hoa-binh.example",
        "csrf_token": csrf.group(1),
    }
    bad = api.client.post("/dashboard/reports/smtp?unit=XA01", data=form | {"port": "99999"})
    assert bad.status_code == 400
    saved = api.client.post("/dashboard/reports/smtp?unit=XA01", data=form, follow_redirects=False)
    assert saved.status_code == 303
    mail = {"emails": "chutich@hoa-binh.example", "csrf_token": csrf.group(1)}
    assert (
        api.client.post("/dashboard/reports/mail?unit=XA01", data=mail, follow_redirects=False).status_code
        == 303
    )
    shown = api.client.get("/dashboard/reports", params={"unit": "XA01"}).text
    assert PASSWORD not in shown and "127.0.0.1" in shown
    report = run_nightly(api.engine, api.settings, now=NIGHT)
    assert report is not None and report["report_mail"]["sent"] == ["XA01 2026-03", "XA01 2026-Q1"]
    assert len(inbox.messages) == 2

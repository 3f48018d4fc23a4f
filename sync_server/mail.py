"""Sending e-mail through the office's SMTP server (the only smtplib import).

Settings come from the environment (`SURVEY_SMTP_HOST`, `_PORT`, `_STARTTLS`, `_USER`, `_PASSWORD`,
`_FROM`) or from the dashboard (kept in the `server_setting` table under "smtp"); the environment wins.
The password is never logged, printed or shown back.

>>> smtp = SmtpSettings.from_env(os.environ)
>>> send_mail(smtp, ["chutich@example.vn"], "Báo cáo tháng 3", "…", [("bao-cao.pdf", pdf, "application/pdf")])
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

__all__ = ["SETTING_KEY", "MailError", "SmtpSettings", "send_mail"]

SETTING_KEY = "smtp"


class MailError(RuntimeError):
    """The message could not be handed to the SMTP server (one sentence, without the password)."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send; `password` is hidden from repr."""

    host: str = ""
    port: int = 587
    starttls: bool = True
    user: str = ""
    password: str = field(default="", repr=False)
    sender: str = ""
    timeout_s: float = 30.0

    @property
    def configured(self) -> bool:
        return bool(self.host and self.sender)

    @classmethod
    def from_env(cls, env: Mapping[str, str], stored: str | None = None) -> SmtpSettings:
        """The dashboard's stored JSON (if any), overridden field by field by the environment."""
        base = cls()
        if stored:
            data = json.loads(stored)
            base = replace(
                base,
                host=str(data.get("host", "")),
                port=int(data.get("port", 587)),
                starttls=bool(data.get("starttls", True)),
                user=str(data.get("user", "")),
                password=str(data.get("password", "")),
                sender=str(data.get("sender", "")),
            )
        changes: dict[str, object] = {}
        if env.get("SURVEY_SMTP_HOST"):
            changes["host"] = env["SURVEY_SMTP_HOST"]
        if env.get("SURVEY_SMTP_PORT"):
            try:
                changes["port"] = int(env["SURVEY_SMTP_PORT"])
            except ValueError as exc:
                raise MailError(
                    f"SURVEY_SMTP_PORT={env['SURVEY_SMTP_PORT']!r} is not a port number."
                ) from exc
        if env.get("SURVEY_SMTP_STARTTLS"):
            changes["starttls"] = env["SURVEY_SMTP_STARTTLS"].strip().lower() not in (
                "0",
                "no",
                "false",
                "off",
            )
        for key, name in (("user", "USER"), ("password", "PASSWORD"), ("sender", "FROM")):
            if env.get(f"SURVEY_SMTP_{name}"):
                changes[key] = env[f"SURVEY_SMTP_{name}"]
        return replace(base, **changes)  # type: ignore[arg-type]

    def stored(self) -> str:
        """The JSON the dashboard keeps (password included: the database is the server's secret store)."""
        return json.dumps(
            {
                "host": self.host,
                "port": self.port,
                "starttls": self.starttls,
                "user": self.user,
                "password": self.password,
                "sender": self.sender,
            }
        )


def send_mail(
    smtp: SmtpSettings,
    to: Sequence[str],
    subject: str,
    body: str,
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> None:
    """Send one message with attachments (name, bytes, media type); raise MailError on any failure."""
    if not smtp.configured:
        raise MailError("no SMTP server is set (SURVEY_SMTP_HOST and SURVEY_SMTP_FROM, or the dashboard).")
    if not to:
        raise MailError("no recipient.")
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = smtp.sender, ", ".join(to), subject
    msg["Date"], msg["Message-ID"] = formatdate(localtime=True), make_msgid(domain="chinh-quyen-than-thien")
    msg.set_content(body)
    for name, blob, media in attachments:
        main, _, sub = media.partition("/")
        msg.add_attachment(blob, maintype=main, subtype=sub, filename=name)
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s) as server:
            if smtp.starttls:
                server.starttls(context=ssl.create_default_context())
            if smtp.user:
                server.login(smtp.user, smtp.password)
            refused = server.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        # The exception text never holds the password; keep it short for the dashboard.
        raise MailError(f"{smtp.host}:{smtp.port}: {type(exc).__name__}: {exc}"[:300]) from exc
    if refused:
        raise MailError(f"refused recipients: {', '.join(sorted(refused))}")


def env_settings(stored: str | None = None) -> SmtpSettings:
    """SMTP settings from this process's environment and the stored dashboard value."""
    return SmtpSettings.from_env(os.environ, stored)

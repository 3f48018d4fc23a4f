"""The dashboard's own tables: log-in sessions, alert acknowledgements, comment handling.

They sit on the server's SQLModel metadata; the Alembic revision `dashboard_0001` creates them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from sync_server.models import UtcDateTime

__all__ = ["AlertAck", "CommentState", "DashboardSession"]


class DashboardSession(SQLModel, table=True):
    """A logged-in browser; the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "dashboard_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    csrf_token: str = Field(max_length=64)
    created: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    expires: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False, index=True))


class AlertAck(SQLModel, table=True):
    """A leader's acknowledgement of an alert ballot, with who, when and the note written."""

    __tablename__ = "alert_ack"

    response_id: str = Field(primary_key=True, foreign_key="response.id", max_length=36)
    user_id: int = Field(foreign_key="user.id")
    username: str = Field(max_length=100)
    note: str = Field(sa_column=Column(Text, nullable=False))
    acked_at: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class CommentState(SQLModel, table=True):
    """Whether a citizen's comment was handled ("đã xử lý"), and by whom and when it last changed."""

    __tablename__ = "comment_state"

    response_id: str = Field(primary_key=True, foreign_key="response.id", max_length=36)
    handled: bool = False
    user_id: int = Field(foreign_key="user.id")
    username: str = Field(max_length=100)
    changed_at: dt.datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))

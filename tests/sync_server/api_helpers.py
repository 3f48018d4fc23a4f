"""Helpers of the sync server's API tests (the `api` fixture lives in conftest.py)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import struct
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from surveys.loader import Survey, default_survey_path, load_survey
from sync_server.admin import add_unit, add_user, create_enrolment_code, import_staff, load_survey_versions
from sync_server.db import write_session
from sync_server.models import utcnow
from sync_server.settings import Settings

PASSWORD = "mật-khẩu-đủ-dài"


def tiny_png(rgb: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    """A valid 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x00" + bytes(rgb)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@dataclass
class Api:
    """A running app with units HUYEN ⊃ {XA01, XA02}, officers, and the default survey loaded."""

    client: TestClient
    engine: Engine
    settings: Settings
    survey: Survey
    tmp: Path
    _seq: dict[str, int] = field(default_factory=dict)

    def session(self) -> Session:
        return Session(self.engine)

    def code(self, unit: str = "XA01", now: dt.datetime | None = None) -> str:
        with write_session(self.engine) as session:
            code, _ = create_enrolment_code(
                session, unit, now or utcnow(), self.settings.enrolment_code_ttl_s
            )
            session.commit()
        return code

    def enrol(self, unit: str = "XA01", name: str = "Quầy 1") -> dict[str, str]:
        """Enrol a device; returns its Authorization header."""
        reply = self.client.post("/api/v1/devices/enrol", json={"code": self.code(unit), "name": name})
        assert reply.status_code == 201, reply.text
        return {"Authorization": f"Bearer {reply.json()['token']}"}

    def ballot(self, device: dict[str, str], **fields: Any) -> dict[str, Any]:
        """A valid ballot; seq counts up per device, submission times 5 minutes apart."""
        key = device["Authorization"]
        seq = self._seq[key] = self._seq.get(key, 0) + 1
        at = utcnow() - dt.timedelta(days=2) + dt.timedelta(minutes=5 * seq)
        item: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "seq": seq,
            "survey_id": self.survey.id,
            "survey_version": self.survey.version,
            "staff_id": "cb01",
            "started_at": (at - dt.timedelta(seconds=50)).isoformat(),
            "submitted_at": at.isoformat(),
            "answers": {"tong_the": 5, "xin_chao": 4, "nam_khong": []},
            "comment": None,
            "contact": None,
            "lang": "vi",
        }
        item.update(fields)
        return item

    def upload(
        self, device: dict[str, str], items: list[Any], *, gzip_body: bool = False, **headers: str
    ) -> httpx.Response:
        body = json.dumps({"responses": items}).encode()
        extra = dict(headers)
        if gzip_body:
            body = gzip.compress(body)
            extra["Content-Encoding"] = "gzip"
        return self.client.post(
            "/api/v1/device/responses",
            content=body,
            headers=device | {"Content-Type": "application/json"} | extra,
        )

    def statuses(self, reply: httpx.Response) -> list[str]:
        assert reply.status_code == 200, reply.text
        return [r["status"] for r in reply.json()["results"]]

    def add_user(self, username: str, role: str, unit: str | None = None) -> None:
        with write_session(self.engine) as session:
            add_user(session, username, PASSWORD, role, unit)
            session.commit()

    def login(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        reply = self.client.post("/api/v1/auth/token", data={"username": username, "password": password})
        assert reply.status_code == 200, reply.text
        return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def populate(engine: Engine, tmp: Path, settings: Settings) -> Survey:
    """Units HUYEN ⊃ {XA01, XA02}, officers cb01 (with photo), cb02 in XA01 and cb09 in XA02."""
    survey = load_survey(default_survey_path())
    (tmp / "photos-in").mkdir(exist_ok=True)
    (tmp / "photos-in" / "an.png").write_bytes(tiny_png())
    (tmp / "xa01.csv").write_text(
        "id,name,title,counter,photo\n"
        "cb01,Nguyễn Văn An,Công chức Tư pháp – Hộ tịch,Quầy 1,photos-in/an.png\n"
        "cb02,Trần Thị Bình,Công chức Địa chính,Quầy 2,\n",
        encoding="utf-8",
    )
    (tmp / "xa02.csv").write_text("id,name,title,counter,photo\ncb09,Lê Văn Chín,Văn phòng,Quầy 1,\n")
    with write_session(engine) as session:
        load_survey_versions(session, [survey])
        add_unit(session, "HUYEN", "UBND huyện Yên Bình")
        add_unit(session, "XA01", "UBND xã Hòa Bình", parent="HUYEN")
        add_unit(session, "XA02", "UBND xã Tân Lập", parent="HUYEN")
        import_staff(session, "XA01", tmp / "xa01.csv", settings.photo_dir)
        import_staff(session, "XA02", tmp / "xa02.csv", settings.photo_dir)
        session.commit()
    return survey

"""`GET /api/v1/device/ledger` on SQLite and PostgreSQL: what the server holds of the calling device."""

from __future__ import annotations

import re

from api_helpers import PASSWORD, Api
from sqlmodel import select

from sync_server.models import Device


def test_the_ledger_lists_count_max_and_the_gaps_of_this_device_only(api: Api) -> None:
    device, other = api.enrol(), api.enrol(name="Quầy 2")
    assert api.client.get("/api/v1/device/ledger", headers=device).json() == {
        "device_id": api.client.get("/api/v1/device/ledger", headers=device).json()["device_id"],
        "stored_count": 0,
        "max_seq": None,
        "missing": [],
        "truncated": False,
    }
    items = [api.ballot(device) for _ in range(10)]
    kept = [items[i] for i in (2, 3, 4, 7, 9)]  # seqs 3, 4, 5, 8, 10 arrive; 1-2, 6-7 and 9 are missing
    assert api.statuses(api.upload(device, kept)) == ["created"] * 5
    assert api.statuses(api.upload(other, [api.ballot(other) for _ in range(3)])) == ["created"] * 3
    body = api.client.get("/api/v1/device/ledger", headers=device).json()
    assert body["stored_count"] == 5 and body["max_seq"] == 10
    assert body["missing"] == [[1, 2], [6, 7], [9, 9]] and body["truncated"] is False
    assert api.client.get("/api/v1/device/ledger", headers=other).json()["missing"] == []
    assert api.client.get("/api/v1/device/ledger").status_code == 401


def test_more_than_a_thousand_gaps_are_cut_and_said_so(api: Api) -> None:
    device = api.enrol()
    items = [api.ballot(device) for _ in range(2_005)]
    assert set(api.statuses(api.upload(device, items[::2]))) == {"created"}
    body = api.client.get("/api/v1/device/ledger", headers=device).json()
    assert len(body["missing"]) == 1000 and body["truncated"] is True
    assert body["missing"][:2] == [[2, 2], [4, 4]]


def test_the_count_a_device_reports_lost_reaches_the_device_page(api: Api) -> None:
    device = api.enrol(name="Quầy mất phiếu")
    api.client.get("/api/v1/device/ledger", headers=device | {"X-Device-Lost": "7"})
    api.client.get("/api/v1/device/ledger", headers=device | {"X-Device-Lost": "bay"})
    with api.session() as session:
        row = session.exec(select(Device).where(Device.name == "Quầy mất phiếu")).one()
        assert row.ballots_lost == 7
    api.add_user("quantri", "admin")
    page = api.client.get("/dashboard/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    form = {"username": "quantri", "password": PASSWORD, "csrf_token": token.group(1)}
    assert api.client.post("/dashboard/login", data=form, follow_redirects=False).status_code == 303
    devices = api.client.get("/dashboard/devices?unit=XA01").text
    assert "Phiếu đã mất" in devices
    assert re.search(r'data-figure="lost"><span class="badge alert">7</span>', devices), devices

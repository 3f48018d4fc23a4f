"""Fleet health on the devices page (issue 15): kiosks silent for more than two nights, seq gaps,
ballots lost by the ledger, clock offsets and app versions — over HTTP on a real migrated SQLite file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from dashboard_world import TZ, World, build_world, login, make_client
from sqlalchemy import update

from sync_server.admin import create_enrolment_code, enrol_device
from sync_server.db import write_session
from sync_server.models import Device


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = build_world(tmp_path_factory.mktemp("fleet"))
    two_nights = dt.datetime.combine(dt.datetime.now(TZ).date() - dt.timedelta(days=2), dt.time(), TZ)
    with write_session(w.engine) as s:
        for name in ("Quầy im lặng", "Quầy vừa kịp"):
            code, _ = create_enrolment_code(s, "XA01", w.now, 86400)
            device, _, _ = enrol_device(s, code, name, w.now)
            w.ids[name] = device.id
        s.commit()
    with w.engine.begin() as c:
        c.execute(
            update(Device)
            .where(Device.id == w.ids["Quầy im lặng"])
            .values(last_seen=two_nights - dt.timedelta(minutes=1), seq_gaps=3, ballots_lost=7,
                    clock_offset_s=-900.0, app_version="1.4.0")
        )  # fmt: skip
        c.execute(
            update(Device)
            .where(Device.id == w.ids["Quầy vừa kịp"])
            .values(last_seen=two_nights + dt.timedelta(minutes=1), clock_offset_s=4.0, app_version="1.5.0")
        )
    yield w
    w.engine.dispose()


def test_the_devices_page_shows_the_fleet_s_health(fleet: World) -> None:
    with make_client(fleet) as c:
        html = login(c, "lanhdao").get("/dashboard/devices").text
    silent = html.split(f'data-device-seen="{fleet.ids["Quầy im lặng"]}"')[1].split("</td>")[0]
    in_time = html.split(f'data-device-seen="{fleet.ids["Quầy vừa kịp"]}"')[1].split("</td>")[0]
    assert "quá hai đêm" in silent and "quá hai đêm" not in in_time
    summary = html.split('class="fleet-list"')[1].split("</ul>")[0]
    assert '<li data-fleet="silent"><span class="badge alert">1</span>' in summary
    assert '<li data-fleet="gaps"><span class="badge warn">1</span>' in summary
    assert '<li data-fleet="lost"><span class="badge alert">7</span>' in summary
    assert '<li data-fleet="clock"><span class="badge warn">1</span>' in summary
    assert "1.4.0, 1.5.0" in summary
    assert '<span class="badge warn">−15 min</span>' in html
    # another commune's kiosk is not on this leader's page
    assert fleet.ids["device2"] not in html


def test_a_viewer_does_not_see_the_fleet(fleet: World) -> None:
    with make_client(fleet) as c:
        assert login(c, "xem").get("/dashboard/devices").status_code == 403

"""Forms over HTTP: acknowledging alerts, handling comments, devices, staff, exports."""

from __future__ import annotations

import csv
import io

from dashboard_world import PASSWORD, World, csrf_of, login, make_client
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import col, select

from sync_server.db import read_session
from sync_server.models import Device, Staff

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _token(client: TestClient, path: str = "/dashboard/") -> str:
    return csrf_of(client.get(path).text)


def test_leader_acknowledges_an_alert_with_a_note(as_leader: TestClient, world: World) -> None:
    rid = world.ids["violation"]
    r = as_leader.post(
        f"/dashboard/alerts/{rid}/ack",
        data={
            "note": "Đã làm việc với công chức, nhắc nhở <b>nghiêm</b>.",
            "csrf_token": _token(as_leader),
            "back": "/dashboard/alerts?all=1",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/alerts?all=1"
    open_only = as_leader.get("/dashboard/alerts").text
    assert f'data-ballot="{rid}"' not in open_only
    everything = as_leader.get(
        f"/dashboard/alerts?unit=XA01&period=month&key={world.month_key}&state=all"
    ).text
    card = everything[everything.index(f'data-ballot="{rid}"') :].split("</article>")[0]
    assert "<strong>lanhdao</strong> → Đã xử lý" in card
    assert "nhắc nhở &lt;b&gt;nghiêm&lt;/b&gt;" in card
    # a second acknowledgement keeps the first note
    as_leader.post(f"/dashboard/alerts/{rid}/ack", data={"note": "khác", "csrf_token": _token(as_leader)})
    again = as_leader.get(f"/dashboard/alerts?unit=XA01&period=month&key={world.month_key}&state=all").text
    assert "nhắc nhở" in again and ">khác<" not in again


def test_an_empty_note_acknowledges_nothing(as_leader: TestClient, world: World) -> None:
    rid = world.ids["very"]
    r = as_leader.post(f"/dashboard/alerts/{rid}/ack", data={"note": "   ", "csrf_token": _token(as_leader)})
    assert r.status_code == 400 and "Vui lòng nhập ghi chú xử lý." in r.text
    assert f'data-ballot="{rid}"' in as_leader.get("/dashboard/alerts").text


def test_alerts_of_another_unit_cannot_be_acknowledged(as_leader: TestClient, world: World) -> None:
    r = as_leader.post(
        f"/dashboard/alerts/{world.ids['other']}/ack", data={"note": "x", "csrf_token": _token(as_leader)}
    )
    assert r.status_code == 404


def test_viewer_cannot_acknowledge(as_viewer: TestClient, world: World) -> None:
    r = as_viewer.post(
        f"/dashboard/alerts/{world.ids['very']}/ack", data={"note": "x", "csrf_token": _token(as_viewer)}
    )
    assert r.status_code == 403


def test_comment_handled_state_toggles(as_leader: TestClient, world: World) -> None:
    rid = world.ids["hostile"]
    path = f"/dashboard/comments?unit=XA01&period=month&key={world.month_key}"
    r = as_leader.post(
        f"/dashboard/comments/{rid}/handled",
        data={"handled": "1", "csrf_token": _token(as_leader), "back": path},
    )
    assert r.status_code == 303 and r.headers["location"] == path
    row = as_leader.get(path).text.split(f'data-ballot="{rid}"')[1].split("</article>")[0]
    assert "Đã xử lý" in row and "lanhdao" in row
    as_leader.post(
        f"/dashboard/comments/{rid}/handled", data={"handled": "0", "csrf_token": _token(as_leader)}
    )
    row = as_leader.get(path).text.split(f'data-ballot="{rid}"')[1].split("</article>")[0]
    assert '<span class="badge warn state">Mới</span>' in row


def test_admin_creates_an_enrolment_code_and_revokes_a_device(world: World) -> None:
    with make_client(world) as c:
        login(c, "admin")
        page = c.post("/dashboard/devices/code?unit=XA02", data={"csrf_token": _token(c)})
        assert page.status_code == 200 and 'id="enrol-code"' in page.text
        code = page.text.split('id="enrol-code">')[1].split("<")[0]
        enrol = c.post("/api/v1/devices/enrol", json={"code": code, "name": "Máy tính bảng"})
        assert enrol.status_code == 201
        token = enrol.json()["token"]
        assert c.get("/api/v1/device/config", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        device_id = enrol.json()["device_id"]
        r = c.post(f"/dashboard/devices/{device_id}/revoke?unit=XA02", data={"csrf_token": _token(c)})
        assert r.status_code == 303
        assert c.get("/api/v1/device/config", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert "Đã thu hồi" in c.get("/dashboard/devices?unit=XA02").text
    with read_session(world.engine) as s:
        device = s.get(Device, device_id)
        assert device is not None and device.revoked


def test_leader_cannot_manage_devices(as_leader: TestClient, world: World) -> None:
    assert (
        as_leader.post("/dashboard/devices/code", data={"csrf_token": _token(as_leader)}).status_code == 403
    )
    r = as_leader.post(
        f"/dashboard/devices/{world.ids['device']}/revoke", data={"csrf_token": _token(as_leader)}
    )
    assert r.status_code == 403


def test_staff_csv_upload_photo_and_deactivation(world: World) -> None:
    with make_client(world) as c:
        login(c, "admin")
        body = (
            "id,name,title,counter,photo\n"
            "cb09,Phạm Văn Bình,Công chức,Quầy A,\n"
            "cb10,Đỗ Thị Mai,Văn thư,Quầy B,x.png\n"  # the photo column of an upload is ignored
        )
        r = c.post(
            "/dashboard/staff/import?unit=XA02",
            data={"csrf_token": _token(c, "/dashboard/staff?unit=XA02")},
            files={"file": ("staff.csv", body.encode("utf-8"), "text/csv")},
        )
        assert r.status_code == 200 and "Đã nhập: 1 mới" in r.text and "Đỗ Thị Mai" in r.text
        with read_session(world.engine) as s:
            mai = s.exec(select(Staff).where(col(Staff.id) == "cb10")).one()
            pk = mai.pk
        bad = c.post(
            "/dashboard/staff/import?unit=XA02",
            data={"csrf_token": _token(c)},
            files={"file": ("staff.csv", b"name\nNo id column\n", "text/csv")},
        )
        assert bad.status_code == 400 and "đang thiếu cột &#39;id&#39;" in bad.text
        r = c.post(
            f"/dashboard/staff/{pk}/photo?unit=XA02",
            data={"csrf_token": _token(c)},
            files={"photo": ("mai.png", PNG, "image/png")},
        )
        assert r.status_code == 200 and "Đã lưu ảnh." in r.text
        photo = c.get(f"/dashboard/staff/{pk}/photo")
        assert photo.status_code == 200 and photo.content == PNG
        r = c.post(
            f"/dashboard/staff/{pk}/photo",
            data={"csrf_token": _token(c)},
            files={"photo": ("evil.png", b"<svg onload=alert(1)>", "image/png")},
        )
        assert r.status_code == 400 and "Ảnh phải là tệp PNG, JPEG hoặc WebP, tối đa 5 MB." in r.text
        r = c.post(f"/dashboard/staff/{pk}/active?unit=XA02", data={"active": "0", "csrf_token": _token(c)})
        assert r.status_code == 303
    with read_session(world.engine) as s:
        mai2 = s.get(Staff, pk)
        assert mai2 is not None and not mai2.active and mai2.photo_path


def test_figure_exports_follow_the_screen(as_viewer: TestClient, world: World) -> None:
    q = f"unit=XA01&period=month&key={world.month_key}"
    r = as_viewer.get(f"/dashboard/exports/figures.csv?{q}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert f"figures-XA01-{world.month_key}.csv" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert {row["key"] for row in rows} >= {"cb01", "cb02"}
    r = as_viewer.get(f"/dashboard/exports/figures.xlsx?{q}")
    wb = load_workbook(io.BytesIO(r.content))
    assert "Chỉ số" in wb.sheetnames


def test_ballot_exports_for_leaders_with_phones(as_leader: TestClient, world: World) -> None:
    q = f"unit=XA01&period=month&key={world.month_key}"
    text = as_leader.get(f"/dashboard/exports/ballots.csv?{q}").content.decode("utf-8-sig")
    assert "0912 345 678" in text and world.ids["very"] in text and world.ids["other"] not in text
    assert len(list(csv.reader(io.StringIO(text)))) == 1 + 53
    r = as_leader.get(f"/dashboard/exports/ballots.xlsx?{q}")
    assert load_workbook(io.BytesIO(r.content)).active.max_row == 1 + 53


def test_a_deactivated_user_is_logged_out(world: World) -> None:
    from sync_server.admin import add_user
    from sync_server.db import write_session
    from sync_server.models import User

    with write_session(world.engine) as s:
        add_user(s, "tamthoi", PASSWORD, "viewer", "XA01")
        s.commit()
    with make_client(world) as c:
        login(c, "tamthoi")
        assert c.get("/dashboard/").status_code == 200
        with write_session(world.engine) as s:
            user = s.exec(select(User).where(col(User.username) == "tamthoi")).one()
            user.active = False
            s.commit()
        assert c.get("/dashboard/").status_code == 303

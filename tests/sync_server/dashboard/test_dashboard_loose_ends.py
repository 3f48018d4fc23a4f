"""Staff upload mistakes explained in Vietnamese; officer ids holding "/" still link to their page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dashboard_world import World, csrf_of, login, make_client
from fastapi.testclient import TestClient
from sqlmodel import col, select

from sync_server.admin import AdminError, import_staff
from sync_server.dashboard.staff_import import staff_error_text
from sync_server.db import read_session, write_session
from sync_server.models import Staff

BAD_FILES = [
    (b"name,title\nNguyen,CC\n", "Tệp cần có các cột id, name, title, counter, photo; đang thiếu cột 'id'."),
    (
        "id,name\ncb09,Phạm Văn Bình\ncb09,Phạm Văn Bình\n".encode(),
        "Dòng 3: mã công chức 'cb09' xuất hiện hai lần.",
    ),
    (b"id,name\ncb09,\n", "Dòng 2: công chức 'cb09' chưa có họ tên."),
    (("id,name\n" + "x" * 65 + ",Tên\n").encode(), "Dòng 2: mã công chức để trống hoặc dài quá 64 ký tự."),
    (b"id,name,title\n\n", "Tệp không có công chức nào; danh sách công chức giữ nguyên."),
    ("id,name\ncb09,Phạm Văn Bình\n".encode("utf-16"), "Tệp không phải văn bản UTF-8"),
    (b"id,name\n" + b"cb,Ten\n" * 300_000, "Tệp danh sách công chức lớn hơn 2 MB."),
]


def _upload(client: TestClient, body: bytes) -> str:
    token = csrf_of(client.get("/dashboard/staff?unit=XA02").text)
    r = client.post(
        "/dashboard/staff/import?unit=XA02",
        data={"csrf_token": token},
        files={"file": ("nhan-vien.csv", body, "text/csv")},
    )
    assert r.status_code == 400
    flash = re.search(r'<div class="flash error" role="status">(.*?)</div>', r.text, re.S)
    assert flash, "no error message on the page"
    return flash.group(1).replace("&#39;", "'")


@pytest.mark.parametrize(("body", "vietnamese"), BAD_FILES)
def test_a_bad_staff_file_is_explained_in_vietnamese_and_changes_nothing(
    world: World, body: bytes, vietnamese: str
) -> None:
    with read_session(world.engine) as s:
        before = [(x.id, x.name, x.active) for x in s.exec(select(Staff).order_by(col(Staff.pk))).all()]
    with make_client(world) as c:
        login(c, "admin")
        assert vietnamese in _upload(c, body)
        c.cookies.set("ctt_lang", "en", path="/dashboard")
        english = _upload(c, body)
        assert english.isascii() and english.endswith(".")
    with read_session(world.engine) as s:
        after = [(x.id, x.name, x.active) for x in s.exec(select(Staff).order_by(col(Staff.pk))).all()]
    assert after == before


def test_every_message_of_the_cli_import_has_a_vietnamese_text(world: World, tmp_path: Path) -> None:
    """The same files through `admin.import_staff` (the CLI's path): no English slips through."""
    for i, (body, _) in enumerate(BAD_FILES[:-1]):
        path = tmp_path / f"bad{i}.csv"
        path.write_bytes(body)
        with write_session(world.engine) as s, pytest.raises(AdminError) as caught:
            import_staff(s, "XA02", path, world.data_dir / "photos")
        assert staff_error_text(str(caught.value), "vi") != str(caught.value), str(caught.value)
    photo = tmp_path / "photo.csv"
    photo.write_text("id,name,title,counter,photo\ncb09,Bình,,,missing.png\n", encoding="utf-8")
    with write_session(world.engine) as s, pytest.raises(AdminError) as caught:
        import_staff(s, "XA02", photo, world.data_dir / "photos")
    assert staff_error_text(str(caught.value), "vi") == "Dòng 2: không tìm thấy tệp ảnh 'missing.png'."


def test_an_officer_id_with_a_slash_links_to_its_page(as_admin: TestClient, slash_unit: str) -> None:
    listing = as_admin.get(f"/dashboard/officers?unit=XA03&period=month&key={slash_unit}").text
    link = re.search(r'href="(/dashboard/officers/tp%2F01\?[^"]*)">Nguyễn Văn Tư</a>', listing)
    assert link, "the officer's link does not encode the slash"
    page = as_admin.get(link.group(1).replace("&amp;", "&"))
    assert page.status_code == 200
    assert re.search(r"<h1>Nguyễn Văn Tư", page.text)
    assert 'action="/dashboard/officers/tp%2F01"' in page.text  # the period form stays on this officer
    # An unencoded slash reaches the same page; an unknown id is still "not found".
    assert (
        as_admin.get(f"/dashboard/officers/tp/01?unit=XA03&period=month&key={slash_unit}").status_code == 200
    )
    assert as_admin.get("/dashboard/officers/tp/02?unit=XA03").status_code == 404

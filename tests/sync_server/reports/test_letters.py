"""The apology letter (Mẫu 04, TT 01/2018/TT-VPCP) made from the dashboard and from an imported list, numbered
in a register the leader lists and exports; each letter read back from its DOCX and PDF."""

from __future__ import annotations

import io
import re

from api_helpers import PASSWORD, Api
from docx import Document
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader

URL = "/dashboard/reports/letters?unit=XA01"
FORM = {
    "dossier_code": "000.00.17.H12-260301-0042",
    "procedure": "Chứng thực hợp đồng chuyển nhượng quyền sử dụng đất",
    "applicant": "Bà Nguyễn Thị Ánh Tuyết",
    "received_on": "2026-02-24",
    "promised_on": "2026-03-03",
    "new_on": "2026-03-10",
    "reason": "Hồ sơ cần xác minh nguồn gốc đất với Văn phòng đăng ký đất đai.",
}


def _login(api: Api) -> str:
    api.add_user("lanhdao", "leader", "XA01")
    page = api.client.get("/dashboard/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    reply = api.client.post(
        "/dashboard/login",
        data={"username": "lanhdao", "password": PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    page = api.client.get(URL)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def _register(api: Api) -> list[tuple[object, ...]]:
    reply = api.client.get("/dashboard/reports/letters/register.xlsx?unit=XA01")
    assert reply.status_code == 200
    ws = load_workbook(io.BytesIO(reply.content)).active
    assert ws is not None
    return [row for row in ws.iter_rows(min_row=3, values_only=True)]


def test_a_letter_from_the_form_and_letters_from_an_imported_list(api: Api) -> None:
    csrf = _login(api)
    # A new date before the promised one is refused; nothing goes into the register, the form keeps its text.
    bad = api.client.post(URL, data=FORM | {"new_on": "2026-03-01", "csrf_token": csrf})
    assert (
        bad.status_code == 400 and "Ngày hẹn trả mới phải sau" in bad.text and FORM["applicant"] in bad.text
    )
    assert _register(api) == []

    made = api.client.post(URL, data=FORM | {"csrf_token": csrf}, follow_redirects=False)
    assert made.status_code == 303
    letter_id = made.headers["location"].split("made=")[1]
    page = api.client.get(URL)
    assert FORM["dossier_code"] in page.text and "01/" in page.text

    docx = api.client.get(f"/dashboard/reports/letters/{letter_id}/docx?unit=XA01")
    pdf = api.client.get(f"/dashboard/reports/letters/{letter_id}/pdf?unit=XA01")
    assert docx.status_code == pdf.status_code == 200
    doc = Document(io.BytesIO(docx.content))
    text = "\n".join(
        [p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells]
    )
    flat = " ".join(
        " ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf.content)).pages
    )
    for body in (text, flat):
        assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in body
        assert re.search(r"Số: 01/PXL-BPTNTKQ", body)
        assert "Kính gửi: Bà Nguyễn Thị Ánh Tuyết" in body
        assert "mã hồ sơ: 000.00.17.H12-260301-0042" in body
        assert "theo quy định là ngày 03/03/2026" in body and "vào ngày 10/03/2026" in body
        assert "Lý do: Hồ sơ cần xác minh nguồn gốc đất" in body
        assert "UBND XÃ HÒA BÌNH" in body and "TRƯỞNG BỘ PHẬN" in body
        assert "xin lỗi ông (bà)/tổ chức" in body
    fonts = {r.font.name for p in doc.paragraphs for r in p.runs if r.text.strip()}
    assert fonts == {"Times New Roman"}

    # A list from the one-stop system: a bad row (no date) makes nothing; the fixed file makes two letters.
    header = "ma_ho_so,thu_tuc,nguoi_nop,ngay_tiep_nhan,ngay_hen_tra,ly_do,ngay_hen_moi\n"
    rows = [
        "H12-0050,Đăng ký khai sinh,Ông Trần Văn Bình,01/03/2026,04/03/2026,Chờ xác minh cư trú,09/03/2026",
        'H12-0051,Cấp bản sao trích lục,Công ty Minh Long,,05/03/2026,"=HYPERLINK(""http://x"")",12/03/2026',
    ]
    broken = header + rows[0] + "\n" + rows[1].replace("05/03/2026", "") + "\n"
    refused = api.client.post(
        URL.replace("letters?", "letters/import?"),
        data={"csrf_token": csrf},
        files={"file": ("tre-han.csv", broken.encode("utf-8-sig"), "text/csv")},
    )
    assert refused.status_code == 400 and "Dòng 3" in refused.text
    assert len(_register(api)) == 1
    done = api.client.post(
        URL.replace("letters?", "letters/import?"),
        data={"csrf_token": csrf},
        files={"file": ("tre-han.csv", (header + "\n".join(rows) + "\n").encode("utf-8-sig"), "text/csv")},
        follow_redirects=False,
    )
    assert done.status_code == 303 and "imported=2" in done.headers["location"]

    # The same from an XLSX with the Vietnamese column names.
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Mã hồ sơ", "Tên thủ tục", "Tổ chức, cá nhân", "Ngày hẹn trả", "Lý do", "Ngày hẹn trả mới"])
    ws.append(["H12-0060", "Đăng ký kết hôn", "Ông Lê Văn Cường", "06/03/2026", "Thiếu chữ ký", "11/03/2026"])
    blob = io.BytesIO()
    wb.save(blob)
    xlsx = api.client.post(
        URL.replace("letters?", "letters/import?"),
        data={"csrf_token": csrf},
        files={"file": ("tre-han.xlsx", blob.getvalue(), "application/octet-stream")},
        follow_redirects=False,
    )
    assert xlsx.status_code == 303

    register = _register(api)
    assert [r[0][:2] for r in register] == ["01", "02", "03", "04"]
    assert [r[2] for r in register] == [FORM["dossier_code"], "H12-0050", "H12-0051", "H12-0060"]
    assert register[2][7] == '=HYPERLINK("http://x")'  # a formula-looking reason stays text
    ws2 = load_workbook(
        io.BytesIO(api.client.get("/dashboard/reports/letters/register.xlsx?unit=XA01").content)
    ).active
    assert ws2 is not None and not [c for row in ws2.iter_rows() for c in row if c.data_type == "f"]


def test_another_units_letter_is_not_found(api: Api) -> None:
    csrf = _login(api)
    made = api.client.post(URL, data=FORM | {"csrf_token": csrf}, follow_redirects=False)
    letter_id = made.headers["location"].split("made=")[1]
    api.add_user("xa02", "leader", "XA02")
    other = api.client.__class__(api.client.app)
    page = other.get("/dashboard/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    other.post(
        "/dashboard/login",
        data={"username": "xa02", "password": PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert other.get(f"/dashboard/reports/letters/{letter_id}/pdf").status_code == 404

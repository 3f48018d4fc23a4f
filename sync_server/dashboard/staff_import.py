"""Staff changes made from the browser: a CSV upload (through `admin.import_staff`) and photo uploads.

summary = import_uploaded_csv(db, unit, raw_bytes, photo_dir)
ok = save_photo(staff, raw_bytes, photo_dir)
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tempfile
from pathlib import Path

from sqlmodel import Session, col, select

from sync_server.admin import MAX_PHOTO_BYTES, AdminError, ImportSummary, import_staff
from sync_server.models import Staff, Unit

__all__ = ["MAX_CSV_BYTES", "import_uploaded_csv", "photo_kind", "save_photo", "staff_error_text"]

MAX_CSV_BYTES = 2 * 1024 * 1024

_LINE = r"^\S+ line (?P<line>\d+): "
# admin.import_staff explains a bad file in English (it serves the CLI too); the dashboard reads it in
# Vietnamese. Each pattern matches one of its messages; tests/…/test_dashboard_staff_errors.py checks them.
_STAFF_ERRORS_VI: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^The staff file is larger than 2 MB\.$"), "Tệp danh sách công chức lớn hơn 2 MB."),
    (
        re.compile(r"^The staff file .*is not UTF-8 text"),
        "Tệp không phải văn bản UTF-8; hãy lưu lại dưới dạng \u201cCSV UTF-8\u201d.",
    ),
    (re.compile(r"^The staff file .* cannot be read\.$"), "Không đọc được tệp danh sách công chức."),
    (
        re.compile(r"^The staff file needs the columns (?P<cols>.+); (?P<missing>'[^']*') is missing\.$"),
        "Tệp cần có các cột {cols}; đang thiếu cột {missing}.",
    ),
    (
        re.compile(_LINE + r"the officer id is empty or longer than 64 characters\.$"),
        "Dòng {line}: mã công chức để trống hoặc dài quá 64 ký tự.",
    ),
    (re.compile(_LINE + r"officer (?P<id>.+) has no name\.$"), "Dòng {line}: công chức {id} chưa có họ tên."),
    (
        re.compile(_LINE + r"officer id (?P<id>.+) appears twice\.$"),
        "Dòng {line}: mã công chức {id} xuất hiện hai lần.",
    ),
    (
        re.compile(_LINE + r"photo file (?P<id>.+) was not found\.$"),
        "Dòng {line}: không tìm thấy tệp ảnh {id}.",
    ),
    (
        re.compile(r"^The staff file .* lists no officer; nobody was changed\.$"),
        "Tệp không có công chức nào; danh sách công chức giữ nguyên.",
    ),
)


def staff_error_text(message: str, lang: str) -> str:
    """An AdminError of a staff upload in the reader's language (English kept if no pattern fits).

    >>> staff_error_text("staff.csv line 3: officer 'cb01' has no name.", "vi")
    "Dòng 3: công chức 'cb01' chưa có họ tên."
    """
    if lang != "vi":
        return message
    for pattern, text in _STAFF_ERRORS_VI:
        found = pattern.search(message)
        if found:
            return text.format(**found.groupdict())
    return message


def photo_kind(data: bytes) -> str | None:
    """The file extension for a PNG, JPEG or WebP image judged by its first bytes, else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    if data.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    return None


def save_photo(staff: Staff, data: bytes, photo_dir: Path) -> bool:
    """Store an uploaded photo under its hash and point the officer at it; False if not a small image."""
    ext = photo_kind(data)
    if ext is None or len(data) > MAX_PHOTO_BYTES:
        return False
    digest = hashlib.sha256(data).hexdigest()
    name = f"{digest[:32]}{ext}"
    photo_dir.mkdir(parents=True, exist_ok=True)
    target = photo_dir / name
    if not target.exists():
        tmp = photo_dir / f".{name}.tmp"
        tmp.write_bytes(data)
        tmp.replace(target)
    staff.photo_path, staff.photo_hash = name, digest
    return True


def import_uploaded_csv(db: Session, unit: Unit, data: bytes, photo_dir: Path) -> ImportSummary:
    """Apply an uploaded staff CSV; raises AdminError with one sentence on a bad file.

    A browser upload carries no photo files, so the `photo` column is ignored and officers keep the
    photos they have (photos are changed one by one on the staff page).
    """
    if len(data) > MAX_CSV_BYTES:
        raise AdminError("The staff file is larger than 2 MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AdminError("The staff file is not UTF-8 text; save it as CSV UTF-8.") from None
    rows = list(csv.reader(io.StringIO(text)))
    if rows:
        header = [h.strip().lower() for h in rows[0]]
        keep = [i for i, h in enumerate(header) if h != "photo"]
        rows = [[r[i] if i < len(r) else "" for i in keep] for r in rows]
    kept = {
        s.id: (s.photo_path, s.photo_hash)
        for s in db.exec(select(Staff).where(col(Staff.unit_id) == unit.id)).all()
        if s.photo_path
    }
    with tempfile.TemporaryDirectory(prefix="staff-upload-") as tmp:
        path = Path(tmp) / "staff.csv"
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")
        summary = import_staff(db, unit.code, path, photo_dir)
    for s in db.exec(select(Staff).where(col(Staff.unit_id) == unit.id)).all():
        if s.id in kept and not s.photo_path:
            s.photo_path, s.photo_hash = kept[s.id]
            db.add(s)
    db.commit()
    return summary

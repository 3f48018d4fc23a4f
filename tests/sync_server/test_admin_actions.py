"""Administrative actions and the security helpers, called directly (the CLI and dashboard share them)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from api_helpers import tiny_png
from sqlalchemy import select

from surveys.loader import default_survey_path, load_survey
from sync_server.admin import AdminError, add_unit, import_staff, load_survey_versions
from sync_server.db import make_engine, write_session
from sync_server.models import Staff
from sync_server.security import (
    FailureLimiter,
    TokenBucket,
    hash_password,
    make_enrolment_code,
    normalise_code,
    verify_password,
)


def test_failure_limiter_window() -> None:
    limiter = FailureLimiter(max_failures=3, window_s=60)
    for t in (0.0, 1.0, 2.0):
        assert limiter.retry_after("ip", now=t) == 0
        limiter.failure("ip", now=t)
    assert limiter.retry_after("ip", now=3.0) == 57
    assert limiter.retry_after("other", now=3.0) == 0
    assert limiter.retry_after("ip", now=60.5) == 0  # the first failure left the window
    limiter.success("ip")
    assert limiter.retry_after("ip", now=3.0) == 0


def test_token_bucket() -> None:
    bucket = TokenBucket(capacity=2, per_s=0.5)
    assert [bucket.take("d", now=0.0) for _ in range(3)] == [0, 0, 2]
    assert bucket.take("d", now=2.0) == 0


def test_passwords_and_codes() -> None:
    hashed = hash_password("mật khẩu dài")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "mật khẩu dài")
    assert not verify_password(hashed, "mat khau dai")
    assert not verify_password("not a hash", "x")
    code = make_enrolment_code()
    assert normalise_code(code.lower().replace("-", " ")) == normalise_code(code)
    assert not set(code) & set("01OI")


def test_a_changed_survey_needs_a_new_version(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/s.db")
    from sync_server.migrations import upgrade

    upgrade(engine)
    survey = load_survey(default_survey_path())
    with write_session(engine) as session:
        assert load_survey_versions(session, [survey]) == [f"loaded {survey.id} {survey.version}"]
        assert load_survey_versions(session, [survey]) == [f"already loaded {survey.id} {survey.version}"]
        changed = dataclasses.replace(survey, questions=survey.questions[:-1])
        with pytest.raises(AdminError, match="new version"):
            load_survey_versions(session, [changed])


def test_staff_import_details(server_db_url: str, tmp_path: Path) -> None:
    engine = make_engine(server_db_url)
    photos = tmp_path / "photos"
    (tmp_path / "a.PNG").write_bytes(tiny_png())
    (tmp_path / "a.gif").write_bytes(b"GIF89a")
    with write_session(engine) as session:
        add_unit(session, "XA01", "UBND xã Hòa Bình")
        csv = tmp_path / "s.csv"
        # Excel's byte-order mark, upper-case headers, blank lines and decomposed Vietnamese (NFD).
        csv.write_bytes(
            "\ufeffID,Name,Title,Counter,Photo\n\ncb01,Nguye\u0302\u0303n An,,1,a.PNG\n,,,,\n".encode()
        )
        summary = import_staff(session, "XA01", csv, photos)
        assert (summary.added, summary.updated) == (1, 0)
        staff = session.execute(select(Staff)).scalars().one()
        assert staff.name == "Nguyễn An" and staff.photo_path and staff.photo_path.endswith(".png")
        for text, words in (
            ("id,name\ncb01,An\ncb01,Bình\n", "appears twice"),
            ("id,name\ncb02,\n", "has no name"),
            ("id,name,photo\ncb02,Bình,a.gif\n", ".jpg, .png or .webp"),
            ("id,name\n", "lists no officer"),
        ):
            csv.write_text(text)
            with pytest.raises(AdminError, match=words):
                import_staff(session, "XA01", csv, photos)
        csv.write_bytes(b"id,name\ncb01,\xff\xfe\n")
        with pytest.raises(AdminError, match="not UTF-8"):
            import_staff(session, "XA01", csv, photos)
        with pytest.raises(AdminError, match="no unit"):
            import_staff(session, "XA99", csv, photos)
    engine.dispose()


def test_sqlite_files_are_durable_at_every_commit(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/deep/folder/server.db")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert (tmp_path / "deep" / "folder" / "server.db").is_file()
    engine.dispose()

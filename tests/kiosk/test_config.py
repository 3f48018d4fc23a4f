"""The device's working configuration: server config, local roster files, the bundled default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.config import ConfigError, config_from_json, load_config, read_roster
from kiosk.store import KioskStore
from surveys.loader import default_survey_path, load_survey


@pytest.fixture
def store(tmp_path: Path) -> KioskStore:
    with KioskStore(tmp_path / "home" / "kiosk.db") as opened:
        yield opened


def _server_config() -> dict[str, object]:
    survey = load_survey(default_survey_path())
    return {
        "config_version": "W/\"abc123\"",
        "server_time": "2024-09-03T08:15:02+07:00",
        "unit": {"code": "PX-AN-PHU", "name": "UBND phường An Phú", "timezone": "Asia/Ho_Chi_Minh"},
        "survey": survey.to_json(),
        "staff": [
            {"id": "nv01", "name": "Nguyễn Thị Lan", "title": "Công chức", "counter": "Quầy 1",
             "photo_url": "/api/v1/device/photos/nv01"},
            {"id": "nv02", "name": "Trần Văn Bình", "title": "Công chức", "counter": "Quầy 2",
             "photo_url": None},
        ],
        "settings": {"idle_timeout_s": 60, "detail_items_per_ballot": 3, "sync_cron": "0 2 * * *",
                     "sync_jitter_s": 1800},
    }  # fmt: skip


def test_without_enrolment_or_roster_the_default_survey_runs(store: KioskStore, tmp_path: Path) -> None:
    config = load_config(store, tmp_path / "home")
    assert config.survey.id == "chinh-quyen-than-thien"
    assert config.staff == () and config.source == "default" and config.warning is None
    assert config.idle_timeout_s == 45.0 and config.detail_items_per_ballot == 4
    assert config.config_version.startswith("local-") and config.timezone == "Asia/Ho_Chi_Minh"


def test_the_server_configuration_wins_and_finds_downloaded_photos(store: KioskStore, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "photos").mkdir(parents=True)
    (home / "photos" / "nv01.jpg").write_bytes(b"\xff\xd8\xff")
    store.set("config_json", json.dumps(_server_config(), ensure_ascii=False))
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\nx1,Someone Else\n", encoding="utf-8")
    config = load_config(store, home, roster)
    assert config.source == "server" and config.unit_code == "PX-AN-PHU"
    assert config.unit_name == "UBND phường An Phú" and config.config_version == 'W/"abc123"'
    assert [o.name for o in config.staff] == ["Nguyễn Thị Lan", "Trần Văn Bình"]
    assert config.officer("nv01").photo_path == home / "photos" / "nv01.jpg"
    assert config.officer("nv02").photo_path is None
    assert config.idle_timeout_s == 60 and config.detail_items_per_ballot == 3


def test_a_broken_saved_configuration_falls_back_and_says_why(store: KioskStore, tmp_path: Path) -> None:
    broken = _server_config()
    del broken["survey"]
    store.set("config_json", json.dumps(broken))
    config = load_config(store, tmp_path / "home")
    assert config.source == "default" and config.survey.id == "chinh-quyen-than-thien"
    assert config.warning is not None and "no survey" in config.warning


def test_a_csv_roster_like_the_server_import(store: KioskStore, tmp_path: Path) -> None:
    (tmp_path / "anh").mkdir()
    (tmp_path / "anh" / "lan.png").write_bytes(b"\x89PNG")
    roster = tmp_path / "staff.csv"
    # Decomposed diacritics (as some spreadsheets save them) become NFC.
    roster.write_text(
        "id,name,title,counter,photo\n"
        "nv01,Nguye\u0302\u0303n Thi\u0323 Lan,Công chức Tư pháp,Quầy 1,anh/lan.png\n"
        "nv02,Lê Văn Hùng,Phó Chủ tịch,,\n",
        encoding="utf-8-sig",
    )
    config = load_config(store, tmp_path / "home", roster)
    assert config.source == "file"
    assert config.staff[0].name == "Nguyễn Thị Lan" and config.staff[0].counter == "Quầy 1"
    assert config.staff[0].photo_path == tmp_path / "anh" / "lan.png"
    assert config.staff[1].photo_path is None and config.staff[1].title == "Phó Chủ tịch"


def test_a_json_roster_may_name_the_unit(tmp_path: Path) -> None:
    roster = tmp_path / "roster.json"
    roster.write_text(
        json.dumps(
            {
                "unit": {"code": "XA-TAN-LAP", "name": "UBND xã Tân Lập"},
                "staff": [{"id": "a", "name": "Bà Ba"}],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    staff, unit = read_roster(roster)
    assert [o.id for o in staff] == ["a"] and unit == {"code": "XA-TAN-LAP", "name": "UBND xã Tân Lập"}
    listed = tmp_path / "list.json"
    listed.write_text('[{"id": "b", "name": "Ông Tư"}]', encoding="utf-8")
    assert read_roster(listed)[0][0].name == "Ông Tư"


def test_a_protocol_config_file_can_stand_in_for_the_server(store: KioskStore, tmp_path: Path) -> None:
    file = tmp_path / "config.json"
    file.write_text(json.dumps(_server_config(), ensure_ascii=False), encoding="utf-8")
    config = load_config(store, tmp_path / "home", file)
    assert config.source == "file" and config.unit_code == "PX-AN-PHU" and len(config.staff) == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("staff.csv", "id,title\nnv01,x\n", "lacks the column"),
        ("staff.csv", "id,name\nnv01,A\nnv01,B\n", "appears twice"),
        ("staff.csv", "id,name\n,A\n", "has no id"),
        ("staff.csv", "id,name,photo\nnv01,A,missing.jpg\n", "photo of officer 'nv01' is missing"),
        ("staff.json", '{"staff": [', "not valid JSON"),
        ("staff.json", '"just a string"', "must hold a list"),
    ],
)
def test_a_bad_roster_names_the_file_and_the_fault(
    store: KioskStore, tmp_path: Path, name: str, content: str, message: str
) -> None:
    roster = tmp_path / name
    roster.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(store, tmp_path / "home", roster)
    assert str(roster) in str(caught.value)


def test_a_missing_roster_is_one_clear_sentence(store: KioskStore, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read .*nowhere\.csv"):
        load_config(store, tmp_path / "home", tmp_path / "nowhere.csv")


def test_server_config_with_a_broken_survey_is_refused(tmp_path: Path) -> None:
    data = _server_config()
    survey = dict(data["survey"])  # type: ignore[call-overload]
    survey["questions"] = [q for q in survey["questions"] if q["id"] != "tong_the"]
    data["survey"] = survey
    with pytest.raises(ConfigError, match="survey is invalid"):
        config_from_json(data, tmp_path)


def test_a_spreadsheet_csv_with_loose_headers_and_a_quoted_line_break(tmp_path: Path) -> None:
    roster = tmp_path / "staff.csv"
    roster.write_text(
        'ID, Name ,Title,Counter\nnv01,"Nguyễn Thị Lan","Công chức\nTư pháp",1\n', encoding="utf-8"
    )
    staff, _ = read_roster(roster)
    assert [(o.id, o.name, o.title, o.counter) for o in staff] == [
        ("nv01", "Nguyễn Thị Lan", "Công chức\nTư pháp", "1")
    ]

"""Comments as cases (issue 15): topics from the taxonomy, diacritic-insensitive search, filters, paging,
the case steps with their history and export, and serious topics raising an alert — over HTTP on a
real migrated SQLite file, ballots through the real ingest."""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from dashboard_world import HOSTILE, TZ, World, ballot, build_world, csrf_of, login, make_client
from fastapi.testclient import TestClient

from surveys.topics import TopicsError, default_topics_path, fold, load_topics, parse_topics
from sync_server.db import write_session
from sync_server.ingest import ingest_batch
from sync_server.models import Device

BRIBE = "Phải nộp thêm tiền ngoài lệ phí, không có biên lai."


@pytest.fixture(scope="module")
def cases_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The dashboard world plus 120 comments of cb03 (paging), a bribery complaint, a "chờ lâu"
    comment written in NFD and one without diacritics; XA02's comment stays out of XA01's lists."""
    w = build_world(tmp_path_factory.mktemp("cases"))
    when = w.when
    items = [
        ballot(
            # 11 s apart (no misuse flag) and within the world's month even at 00:30 on the 1st
            1000 + i,
            "cb03",
            when - dt.timedelta(minutes=8, seconds=11 * i),
            {"tong_the": 4},
            comment=f"Góp ý số {i}",
        )
        for i in range(120)
    ]
    bribe = ballot(2000, "cb02", when - dt.timedelta(minutes=5), {"tong_the": 3}, comment=BRIBE)
    wait_nfd = ballot(
        2001,
        "cb01",
        when - dt.timedelta(minutes=6),
        {"tong_the": 2},
        comment=unicodedata.normalize("NFD", "Chờ lâu ở quầy một."),
    )
    bare = ballot(
        2002, "cb01", when - dt.timedelta(minutes=7), {"tong_the": 5}, comment="cam on can bo, rat tot"
    )
    items += [bribe, wait_nfd, bare]
    w.ids.update(bribe=bribe["id"], wait=wait_nfd["id"], bare=bare["id"])
    with write_session(w.engine) as s:
        dev = s.get(Device, w.ids["device"])
        assert dev is not None
        results = ingest_batch(s, dev, items, w.now)
        s.commit()
    assert all(r.status == "created" for r in results)
    yield w
    w.engine.dispose()


@pytest.fixture()
def leader(cases_world: World) -> Iterator[TestClient]:
    with make_client(cases_world) as c:
        yield login(c, "lanhdao")


def _q(world: World, **params: str) -> str:
    query = {"unit": "XA01", "period": "month", "key": world.month_key, **params}
    return "&".join(f"{k}={v}" for k, v in query.items())


def _cards(html: str) -> list[str]:
    return [part.split("</article>")[0] for part in html.split('<article class="card case')[1:]]


# ------------------------------------------------------------------------------------ the taxonomy


def test_topics_match_with_and_without_diacritics_in_nfc_and_nfd() -> None:
    tax = load_topics(default_topics_path())

    def ids(text: str) -> list[str]:
        return [t.id for t in tax.topics_of(text)]

    assert "cho_lau" in ids("Chờ lâu quá")
    assert "cho_lau" in ids("cho lau qua")  # typed without diacritics
    assert "cho_lau" in ids(unicodedata.normalize("NFD", "CHỜ LÂU"))
    assert ids(BRIBE) == ["tien_qua"] and ids(fold(BRIBE)) == ["tien_qua"]
    # a word written with its diacritics matches only itself: "chợ" (market) is not "chờ" (wait)
    assert "cho_lau" not in ids("Chợ lâu đời")
    assert ids("Cảm ơn cán bộ") == ["cam_on"]
    assert fold("Đơn CHỜ lâu") == "don cho lau"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {
                "version": "1",
                "topics": [{"id": "a", "name": {"vi": "A", "en": "A"}, "keywords": ["x"], "z": 1}],
            },
            "'z'",
        ),
        ({"version": "1", "topics": []}, "at least one topic"),
        (
            {
                "version": "1",
                "topics": [{"id": "a", "name": {"vi": "A", "en": "A"}, "keywords": ["x"]}] * 2,
            },
            "listed twice",
        ),
        (
            {"version": "1", "topics": [{"id": "A b", "name": {"vi": "A", "en": "A"}, "keywords": ["x"]}]},
            "id must",
        ),
        (
            {"version": "1", "topics": [{"id": "a", "name": {"vi": "A", "en": "A"}, "keywords": []}]},
            "keywords",
        ),
        ({"version": "1", "topics": [{"id": "a", "name": {"vi": "A"}, "keywords": ["x"]}]}, "name must"),
        (
            {"version": "1", "topics": [{"id": "a", "name": {"vi": "A", "en": "A"}, "keywords": ["x, y"]}]},
            "words separated",
        ),
        (
            {
                "version": "1",
                "topics": [{"id": "a", "name": {"vi": "A", "en": "A"}, "serious": "yes", "keywords": ["x"]}],
            },
            "serious",
        ),
        ({"topics": [], "extra": 1}, "unknown key"),
    ],
)
def test_the_taxonomy_loader_refuses_mistakes_with_a_sentence(data: object, message: str) -> None:
    with pytest.raises(TopicsError, match=message):
        parse_topics(data, "topics.toml")


def test_a_broken_taxonomy_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "topics.toml"
    path.write_text('version = "1"\n[[topics]\n', encoding="utf-8")
    with pytest.raises(TopicsError, match="not valid UTF-8 TOML"):
        load_topics(path)
    with pytest.raises(TopicsError, match="cannot read"):
        load_topics(tmp_path / "missing.toml")


# ------------------------------------------------------------------------------- comments over HTTP


def test_search_ignores_diacritics_and_the_form_of_the_input(leader: TestClient, cases_world: World) -> None:
    for query in ("cho lau", "CHỜ LÂU", unicodedata.normalize("NFD", "chờ lâu"), "lâu chờ"):
        html = leader.get(f"/dashboard/comments?{_q(cases_world, q=query)}").text
        found = _cards(html)
        ballots = {c.split('data-ballot="')[1].split('"')[0] for c in found}
        assert cases_world.ids["wait"] in ballots, query
        assert cases_world.ids["very"] in ballots  # "Chờ quá lâu, …"
        assert cases_world.ids["bribe"] not in ballots
    # the comment written in NFD is shown as written, with its topic
    card = next(c for c in _cards(leader.get(f"/dashboard/comments?{_q(cases_world, q='quay mot')}").text))
    assert "Chờ lâu, trễ hẹn" in card
    # the form shows the filters it applied
    html = leader.get(
        f"/dashboard/comments?{_q(cases_world, q='cho lau', topic='cho_lau', state='moi')}"
    ).text
    assert 'name="q" value="cho lau"' in html
    assert '<option value="cho_lau" selected>' in html and '<option value="moi" selected>' in html
    # "%" and "_" are taken literally

    assert _cards(leader.get(f"/dashboard/comments?{_q(cases_world, q='%25')}").text) == []


def test_filters_by_topic_officer_rating_state_and_unit(leader: TestClient, cases_world: World) -> None:
    def ballots(**params: str) -> set[str]:
        html = leader.get(f"/dashboard/comments?{_q(cases_world, **params)}").text
        return {c.split('data-ballot="')[1].split('"')[0] for c in _cards(html)}

    assert ballots(topic="tien_qua") == {cases_world.ids["bribe"]}
    assert ballots(officer="cb01") == {cases_world.ids["wait"], cases_world.ids["bare"]}
    assert ballots(officer="__none__") == {cases_world.ids["hostile"]}
    assert ballots(rating="2") == {cases_world.ids["wait"]}
    assert ballots(rating="5", topic="cam_on") == {cases_world.ids["bare"]}
    assert cases_world.ids["other"] not in ballots(state="all")
    assert ballots(sub="XA01A") == set()  # the child unit has no ballots
    # a value not offered is dropped with a message, never an error
    bad = leader.get(f"/dashboard/comments?{_q(cases_world, topic='nope', rating='9', p='x')}")
    assert bad.status_code == 200 and "Một giá trị lọc không hợp lệ" in bad.text


def test_comments_page_through_all_of_them(leader: TestClient, cases_world: World) -> None:
    seen: list[str] = []
    first = leader.get(f"/dashboard/comments?{_q(cases_world)}").text
    assert "1–50 trong 125" in first and "Trang 1/3" in first
    for number in (1, 2, 3):
        html = leader.get(f"/dashboard/comments?{_q(cases_world, p=str(number))}").text
        seen += [c.split('id="case-')[1].split('"')[0] for c in _cards(html)]
    assert len(seen) == len(set(seen)) == 125
    # a page past the end shows the last page
    assert "101–125 trong 125" in leader.get(f"/dashboard/comments?{_q(cases_world, p='99')}").text
    # the next link keeps the filters
    html = leader.get(f"/dashboard/comments?{_q(cases_world, officer='cb03')}").text
    assert 'rel="next"' in html and "officer=cb03" in html.split('rel="next" href="')[1].split('"')[0]


def test_a_serious_topic_raises_an_alert(leader: TestClient, cases_world: World) -> None:
    html = leader.get(f"/dashboard/alerts?{_q(cases_world)}").text
    card = next(c for c in _cards(html) if cases_world.ids["bribe"] in c)
    assert "Chủ đề nghiêm trọng: Tiền, quà, tiêu cực" in card and "nộp thêm tiền" in card
    assert "UBND xã Hòa Bình" in card  # the unit column
    # a plain complaint about waiting raises none
    assert cases_world.ids["wait"] not in html


def _case_of(client: TestClient, world: World, rid: str, tab: str = "comments") -> tuple[str, str]:
    html = client.get(f"/dashboard/{tab}?{_q(world, state='all')}").text
    card = next(c for c in _cards(html) if f'data-ballot="{rid}"' in c)
    return card.split('id="case-')[1].split('"')[0], csrf_of(html)


def test_a_case_moves_step_by_step_and_keeps_its_history(leader: TestClient, cases_world: World) -> None:
    rid = cases_world.ids["wait"]
    case_id, token = _case_of(leader, cases_world, rid)
    back = f"/dashboard/comments?{_q(cases_world, state='all')}"
    steps = [("dang_xu_ly", "Đang xem camera"), ("da_lien_he", HOSTILE), ("da_xu_ly", "Đã xin lỗi công dân")]
    for state, note in steps:
        r = leader.post(
            f"/dashboard/cases/{case_id}/state",
            data={"state": state, "note": note, "csrf_token": token, "back": back},
        )
        assert r.status_code == 303 and r.headers["location"] == back
    card = next(c for c in _cards(leader.get(back).text) if f'data-ballot="{rid}"' in c)
    assert "Đã xử lý" in card and "Lịch sử xử lý (3)" in card
    history = card.split("<ol")[1]
    assert history.index("Đang xử lý") < history.index("Đã liên hệ công dân") < history.index("Đã xin lỗi")
    assert "<script>" not in card and "&lt;script&gt;" in card  # the note is escaped
    assert rid not in leader.get(f"/dashboard/comments?{_q(cases_world, state='open')}").text
    # exported with the unit, the whole history and never a phone number
    data = leader.get(f"/dashboard/cases/comments.csv?{_q(cases_world, state='all')}")
    assert data.status_code == 200 and data.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(data.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Mã đơn vị", "Đơn vị"]
    row = next(r for r in rows if r[7] == "Chờ lâu ở quầy một.")
    assert row[0] == "XA01" and "Đang xem camera" in row[9] and "Đã xin lỗi công dân" in row[9]
    assert "0912" not in data.content.decode("utf-8-sig")


def test_case_steps_refuse_what_they_must(cases_world: World) -> None:
    rid = cases_world.ids["bare"]
    with make_client(cases_world) as c:
        login(c, "lanhdao")
        case_id, token = _case_of(c, cases_world, rid)
        # closing needs a note; an unknown state is refused; nothing changes
        r = c.post(
            f"/dashboard/cases/{case_id}/state", data={"state": "da_xu_ly", "note": " ", "csrf_token": token}
        )
        assert r.status_code == 400 and "Vui lòng nhập ghi chú" in r.text
        r = c.post(f"/dashboard/cases/{case_id}/state", data={"state": "xong", "csrf_token": token})
        assert r.status_code == 400
        # CSRF
        for bad in ("", "forged"):
            r = c.post(f"/dashboard/cases/{case_id}/state", data={"state": "dang_xu_ly", "csrf_token": bad})
            assert r.status_code == 403
        # a case of another commune is not found; an absurd id neither
        other_id, _ = _case_of_admin(cases_world, cases_world.ids["other"])
        r = c.post(f"/dashboard/cases/{other_id}/state", data={"state": "dang_xu_ly", "csrf_token": token})
        assert r.status_code == 404
        assert (
            c.post("/dashboard/cases/99999999/state", data={"state": "moi", "csrf_token": token}).status_code
            == 404
        )
        card = next(x for x in _cards(c.get(f"/dashboard/comments?{_q(cases_world)}").text) if rid in x)
        assert "Lịch sử xử lý" not in card
    with make_client(cases_world) as c:
        login(c, "xem")  # a viewer sees no single ballot and moves no case
        assert c.get(f"/dashboard/comments?{_q(cases_world)}").status_code == 403
        assert c.get(f"/dashboard/cases/comments.csv?{_q(cases_world)}").status_code == 403
        token = csrf_of(c.get("/dashboard/").text)
        r = c.post(f"/dashboard/cases/{case_id}/state", data={"state": "dang_xu_ly", "csrf_token": token})
        assert r.status_code == 403
    with make_client(cases_world) as c:  # nobody logged in
        r = c.post(f"/dashboard/cases/{case_id}/state", data={"state": "dang_xu_ly", "csrf_token": token})
        assert r.status_code == 303 and "/dashboard/login" in r.headers["location"]


def _case_of_admin(world: World, rid: str) -> tuple[str, str]:
    with make_client(world) as c:
        login(c, "admin")
        html = c.get(f"/dashboard/comments?unit=XA02&period=month&key={world.month_key}&state=all").text
        card = next(x for x in _cards(html) if rid in x)
        return card.split('id="case-')[1].split('"')[0], csrf_of(html)


def test_comment_text_and_hostile_input_are_escaped(leader: TestClient, cases_world: World) -> None:
    html = leader.get(f"/dashboard/comments?{_q(cases_world, q=HOSTILE)}").text
    assert "<script>alert" not in html and "<img src=x" not in html
    html = leader.get(f"/dashboard/comments?{_q(cases_world, officer='__none__')}").text
    assert "&lt;script&gt;" in html and "<script>alert" not in html


def test_alerts_filter_by_state_and_period(leader: TestClient, cases_world: World) -> None:
    rid = cases_world.ids["violation"]
    case_id, token = _case_of(leader, cases_world, rid, tab="alerts")
    leader.post(
        f"/dashboard/cases/{case_id}/state",
        data={"state": "khong_can_xu_ly", "note": "Trùng", "csrf_token": token},
    )
    assert rid not in leader.get(f"/dashboard/alerts?{_q(cases_world)}").text
    assert rid in leader.get(f"/dashboard/alerts?{_q(cases_world, state='khong_can_xu_ly')}").text
    # another month lists none of them
    today = dt.datetime.now(TZ).date()
    earlier = (today.replace(day=1) - dt.timedelta(days=40)).strftime("%Y-%m")
    html = leader.get(f"/dashboard/alerts?unit=XA01&period=month&key={earlier}&state=all").text
    assert _cards(html) == []

"""The index engine against figures worked out by hand (indices.md, sync-protocol.md Administrator API)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from fractions import Fraction
from typing import Any

import pytest

from sync_server import indices as ix

# --- a small survey of plain data, shaped like surveys.loader.Survey ----------------------------------


@dataclass(frozen=True)
class Opt:
    id: str


@dataclass(frozen=True)
class Q:
    id: str
    type: str
    groups: tuple[str, ...] = ()
    options: tuple[Opt, ...] = ()


@dataclass(frozen=True)
class G:
    id: str
    friendly: bool = False
    sipas: bool = False


@dataclass(frozen=True)
class S:
    questions: tuple[Q, ...]
    groups: tuple[G, ...]


SURVEY = S(
    questions=(
        Q("tong_the", "rating5"),
        Q("xin_chao", "rating5", ("g_xin",)),
        Q("xin_loi", "rating5", ("g_xin", "g_biet")),  # sits in two groups, like "biết xin lỗi"
        Q("biet_nghe", "rating5", ("g_biet",)),
        Q("nam_khong", "checklist", ("g_khong",), (Opt("a"), Opt("b"), Opt("c"))),
        Q("tiep_can", "rating5", ("g_tiep_can",)),
        Q("loai", "choice", (), (Opt("x"), Opt("y"))),
        Q("y_kien", "text"),
    ),
    groups=(
        G("g_xin", friendly=True),
        G("g_biet", friendly=True),
        G("g_khong", friendly=True),
        G("g_tiep_can", sipas=True),
        G("g_pakn", sipas=True),  # no question yet: its index stays null
    ),
)

SEPT = "2024-09-10T09:00:00+07:00"


def ballot(
    answers: dict[str, Any],
    staff: str | None = "cb01",
    at: str = SEPT,
    *,
    received: str | None = None,
    suspect: bool = False,
    flagged: bool = False,
) -> ix.Ballot:
    return ix.Ballot(at, received, suspect, staff, answers, flagged)


def only_row(tallies: ix.Tallies, **kw: Any) -> ix.Row:
    rows = ix.compute_rows(tallies, SURVEY, **kw)
    assert len(rows) == 1
    return rows[0]


# --- the spec's worked example ------------------------------------------------------------------------


def test_worked_example_of_the_spec() -> None:
    values = [5, 5, 4, 4, 4, 3, 3, 2, 1, None]
    row = only_row(ix.tally_ballots([ballot({"tong_the": v}) for v in values], SURVEY))
    assert row["key"] is None
    assert row["n"] == 10
    assert row["items"]["tong_the"] == {"n": 9, "index": 55.6}
    assert row["satisfaction_index"] == 55.6
    assert row["mean_score"] == 3.44
    assert row["satisfaction_ci95"] == [26.7, 81.1]
    assert row["insufficient"] is True


# --- every formula on a small ballot set worked out by hand ------------------------------------------

HAND = [
    ballot({"tong_the": 5, "xin_chao": 5, "xin_loi": 4, "nam_khong": [], "tiep_can": 3, "loai": "x"}),
    ballot({"tong_the": 4, "xin_chao": 2, "xin_loi": 5, "biet_nghe": 3, "nam_khong": ["a"], "tiep_can": 5}),
    ballot({"tong_the": 2, "xin_loi": 1, "biet_nghe": 5, "nam_khong": ["a", "b"], "y_kien": "Tốt"}),
    ballot({"tong_the": None, "xin_chao": 4, "nam_khong": []}),
]


def test_item_group_and_headline_figures_match_the_hand_computation() -> None:
    row = only_row(ix.tally_ballots(HAND, SURVEY))
    assert row["n"] == 4
    # tong_the 5, 4, 2: 2 of 3 satisfied, mean 11/3.
    assert row["satisfaction_index"] == 66.7
    assert row["mean_score"] == 3.67
    assert row["satisfaction_ci95"] == [20.8, 93.9]
    assert row["items"]["xin_chao"] == {"n": 3, "index": 66.7}  # 5, 2, 4
    assert row["items"]["xin_loi"] == {"n": 3, "index": 66.7}  # 4, 5, 1
    assert row["items"]["biet_nghe"] == {"n": 2, "index": 50.0}  # 3, 5
    assert row["items"]["tiep_can"] == {"n": 2, "index": 50.0}  # 3, 5
    # Checklist: 4 answered, 2 empty lists ("no violation"), "a" ticked twice, "b" once, "c" never.
    assert row["items"]["nam_khong"] == {
        "n": 4,
        "index": 50.0,
        "violation_rates": {"a": 50.0, "b": 25.0, "c": 0.0},
    }
    assert "loai" not in row["items"] and "y_kien" not in row["items"]
    # g_xin = mean(66.67, 66.67); g_biet = mean(66.67, 50) = 58.33; g_khong = compliance 50.
    assert row["groups"] == {
        "g_xin": 66.7,
        "g_biet": 58.3,
        "g_khong": 50.0,
        "g_tiep_can": 50.0,
        "g_pakn": None,
    }
    assert row["friendly_index"] == 58.3  # (200/3 + 175/3 + 50) / 3 = 58.33
    assert row["service_index"] == 50.0  # g_pakn has no data, so it is left out of the mean
    assert list(row) == [
        "key",
        "n",
        "satisfaction_index",
        "satisfaction_ci95",
        "mean_score",
        "friendly_index",
        "service_index",
        "groups",
        "items",
        "insufficient",
    ]


def test_checklist_empty_list_is_compliance_and_options_are_violations() -> None:
    row = only_row(
        ix.tally_ballots([ballot({"nam_khong": ["c", "a"]}), ballot({"nam_khong": ["c"]})], SURVEY)
    )
    assert row["items"]["nam_khong"] == {
        "n": 2,
        "index": 0.0,
        "violation_rates": {"a": 50.0, "b": 0.0, "c": 100.0},
    }
    assert row["groups"]["g_khong"] == 0.0  # a real zero: every citizen met a violation


def test_a_question_in_two_groups_counts_in_both() -> None:
    row = only_row(ix.tally_ballots([ballot({"xin_loi": 5}), ballot({"xin_loi": 1})], SURVEY))
    assert row["groups"]["g_xin"] == 50.0
    assert row["groups"]["g_biet"] == 50.0
    assert row["friendly_index"] == 50.0


# --- rounding from exact counts -----------------------------------------------------------------------


def test_ties_round_half_up_from_exact_counts() -> None:
    tallies = ix.Tallies.from_rows(
        [
            # tong_the: 1111 of 2000 satisfied = 55.55 % exactly.
            ("2024-09", "cb01", "tong_the", "5", 1111),
            ("2024-09", "cb01", "tong_the", "1", 889),
            # xin_chao 111/200 = 55.5 %, xin_loi 139/250 = 55.6 %: g_xin = 55.55 exactly.
            ("2024-09", "cb01", "xin_chao", "4", 111),
            ("2024-09", "cb01", "xin_chao", "2", 89),
            ("2024-09", "cb01", "xin_loi", "5", 139),
            ("2024-09", "cb01", "xin_loi", "3", 111),
        ],
        [("2024-09", "cb01", 2000)],
    )
    row = only_row(tallies)
    assert round(100 * 1111 / 2000, 1) == 55.5  # what float arithmetic would report
    assert row["satisfaction_index"] == 55.6
    assert row["mean_score"] == 3.22  # (5·1111 + 889) / 2000 = 3.222
    assert round((55.5 + 55.6) / 2, 1) == 55.5
    assert row["groups"]["g_xin"] == 55.6


def test_mean_score_tie_rounds_up() -> None:
    # 689 / 200 = 3.445 exactly; a float round() says 3.44.
    tallies = ix.Tallies.from_rows(
        [("2024-09", None, "tong_the", "3", 111), ("2024-09", None, "tong_the", "4", 89)],
        [("2024-09", None, 200)],
    )
    assert round(689 / 200, 2) == 3.44
    assert only_row(tallies)["mean_score"] == 3.45


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (55.55, 1, 55.6),
        (2.675, 2, 2.68),
        (0.05, 1, 0.1),
        (Fraction(1111, 20), 1, 55.6),
        (Fraction(2, 3), 2, 0.67),
        (3, 1, 3.0),
        (-0.05, 1, -0.1),
        (0.04999, 1, 0.0),
    ],
)
def test_round_half_up(value: Any, digits: int, expected: float) -> None:
    assert ix.round_half_up(value, digits) == expected


def test_round_half_up_refuses_nan() -> None:
    with pytest.raises(ValueError, match="cannot round"):
        ix.round_half_up(float("nan"), 1)


# --- Wilson interval ----------------------------------------------------------------------------------


def test_wilson_known_values() -> None:
    assert ix.wilson(5, 9) == (26.7, 81.1)
    assert ix.wilson(1, 1) == (20.7, 100.0)
    assert ix.wilson(0, 1) == (0.0, 79.3)
    assert ix.wilson(0, 50) == (0.0, 7.1)
    assert ix.wilson(50, 50) == (92.9, 100.0)


def test_wilson_has_no_interval_without_data() -> None:
    with pytest.raises(ValueError, match="n > 0"):
        ix.wilson(0, 0)
    with pytest.raises(ValueError):
        ix.wilson(3, 2)


# --- no data is null, never 0 -------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["none", "staff", "period"])
def test_no_ballots_gives_no_rows(by: str) -> None:
    assert ix.compute_rows(ix.Tallies(), SURVEY, by=by) == []
    assert ix.compute_rows(ix.tally_ballots([], SURVEY), SURVEY, by=by) == []


def test_all_questions_skipped_counts_the_ballot_with_null_figures() -> None:
    row = only_row(ix.tally_ballots([ballot({"tong_the": None, "xin_chao": None})], SURVEY))
    assert row["n"] == 1
    for figure in (
        "satisfaction_index",
        "satisfaction_ci95",
        "mean_score",
        "friendly_index",
        "service_index",
    ):
        assert row[figure] is None, figure
    assert set(row["groups"].values()) == {None}
    assert row["items"]["tong_the"] == {"n": 0, "index": None}
    assert row["items"]["nam_khong"] == {
        "n": 0,
        "index": None,
        "violation_rates": {"a": None, "b": None, "c": None},
    }


def test_one_ballot() -> None:
    row = only_row(ix.tally_ballots([ballot({"tong_the": 4})], SURVEY))
    assert row["n"] == 1
    assert row["satisfaction_index"] == 100.0
    assert row["mean_score"] == 4.0
    assert row["satisfaction_ci95"] == [20.7, 100.0]
    assert row["items"]["xin_chao"]["index"] is None
    assert row["friendly_index"] is None
    assert row["insufficient"] is True


def test_all_dissatisfied_is_a_real_zero() -> None:
    row = only_row(ix.tally_ballots([ballot({"tong_the": 1}), ballot({"tong_the": 3})], SURVEY))
    assert row["satisfaction_index"] == 0.0
    assert row["satisfaction_ci95"] is not None and row["satisfaction_ci95"][0] == 0.0


# --- minimum sample -----------------------------------------------------------------------------------


def test_insufficient_below_the_minimum_sample() -> None:
    def rows(k: int, **kw: Any) -> list[ix.Row]:
        return ix.compute_rows(ix.tally_ballots([ballot({"tong_the": 5})] * k, SURVEY), SURVEY, **kw)

    assert rows(29)[0]["insufficient"] is True
    assert rows(30)[0]["insufficient"] is False
    assert rows(4, min_sample=5)[0]["insufficient"] is True
    assert rows(5, min_sample=5)[0]["insufficient"] is False
    assert rows(1, min_sample=0)[0]["insufficient"] is False


# --- grouping keys ------------------------------------------------------------------------------------


def test_by_staff_keys_are_officer_ids_and_null_comes_last() -> None:
    tallies = ix.tally_ballots(
        [
            ballot({"tong_the": 5}, staff=None),
            ballot({"tong_the": 1}, staff="cb02"),
            ballot({"tong_the": 4}, staff="cb01"),
            ballot({"tong_the": 5}, staff="cb01", at="2024-10-02T09:00:00+07:00"),
        ],
        SURVEY,
    )
    rows = ix.compute_rows(tallies, SURVEY, by="staff")
    assert [(r["key"], r["n"], r["satisfaction_index"]) for r in rows] == [
        ("cb01", 2, 100.0),
        ("cb02", 1, 0.0),
        (None, 1, 100.0),
    ]


@pytest.mark.parametrize(
    ("period", "keys"),
    [
        ("month", ["2024-03", "2024-06", "2024-07", "2024-12", "2025-01"]),
        ("quarter", ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1"]),
        ("half", ["2024-H1", "2024-H2", "2025-H1"]),
        ("year", ["2024", "2025"]),
    ],
)
def test_by_period_keys_in_time_order(period: str, keys: list[str]) -> None:
    stamps = ["2025-01-05", "2024-12-31", "2024-07-01", "2024-06-30", "2024-03-15"]
    tallies = ix.tally_ballots([ballot({"tong_the": 5}, at=f"{d}T12:00:00+07:00") for d in stamps], SURVEY)
    rows = ix.compute_rows(tallies, SURVEY, by="period", period=period)
    assert [r["key"] for r in rows] == keys
    assert sum(r["n"] for r in rows) == 5


@pytest.mark.parametrize(
    ("month", "period", "key"),
    [
        ("2024-09", "month", "2024-09"),
        ("2024-09", "quarter", "2024-Q3"),
        ("2024-01", "quarter", "2024-Q1"),
        ("2024-12", "quarter", "2024-Q4"),
        ("2024-06", "half", "2024-H1"),
        ("2024-07", "half", "2024-H2"),
        ("2024-09", "year", "2024"),
    ],
)
def test_period_key(month: str, period: str, key: str) -> None:
    assert ix.period_key(month, period) == key


def test_period_key_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="period must be one of"):
        ix.period_key("2024-09", "week")
    with pytest.raises(ValueError, match="look like '2024-09'"):
        ix.period_key("2024-13", "month")


# --- time zones and suspect clocks --------------------------------------------------------------------


def test_midnight_at_quarter_end_lands_in_the_local_quarter() -> None:
    # 17:30 UTC on 30 September is 00:30 on 1 October in Hà Nội.
    late = ballot({"tong_the": 5}, at="2024-09-30T17:30:00Z")
    local = ix.compute_rows(ix.tally_ballots([late], SURVEY), SURVEY, by="period", period="quarter")
    utc = ix.compute_rows(ix.tally_ballots([late], SURVEY, tz="UTC"), SURVEY, by="period", period="quarter")
    assert [r["key"] for r in local] == ["2024-Q4"]
    assert [r["key"] for r in utc] == ["2024-Q3"]


def test_suspect_clock_is_bucketed_by_received_at() -> None:
    never_set = ballot(
        {"tong_the": 5}, at="2000-01-01T00:00:00+07:00", received="2024-09-05T10:00:00+07:00", suspect=True
    )
    good = ballot({"tong_the": 5}, at="2024-08-20T10:00:00+07:00", received="2024-09-05T10:00:00+07:00")
    rows = ix.compute_rows(ix.tally_ballots([never_set, good], SURVEY), SURVEY, by="period")
    assert [(r["key"], r["n"]) for r in rows] == [("2024-08", 1), ("2024-09", 1)]
    assert ix.month_of(never_set) == "2024-09"
    assert ix.local_date(never_set) == date(2024, 9, 5)


def test_naive_datetimes_are_utc_and_aware_ones_keep_their_offset() -> None:
    naive = ix.Ballot(datetime(2024, 9, 30, 17, 30), None, False, None, {})
    aware = ix.Ballot(datetime(2024, 9, 30, 17, 30, tzinfo=UTC), None, False, None, {})
    assert ix.month_of(naive) == ix.month_of(aware) == "2024-10"
    assert ix.month_of(naive, "UTC") == "2024-09"


# --- flagged ballots ----------------------------------------------------------------------------------


def test_misuse_flagged_ballots_count_only_on_request() -> None:
    ballots = [ballot({"tong_the": 5}), ballot({"tong_the": 1}, flagged=True)]
    assert only_row(ix.tally_ballots(ballots, SURVEY))["n"] == 1
    with_flagged = only_row(ix.tally_ballots(ballots, SURVEY, include_flagged=True))
    assert with_flagged["n"] == 2
    assert with_flagged["satisfaction_index"] == 50.0


# --- tallies: union, month filter, rows ---------------------------------------------------------------


def test_union_of_tallies_equals_tally_of_all_ballots() -> None:
    first, second = HAND[:2], [*HAND[2:], ballot({"tong_the": 3}, staff=None, at="2024-10-01T08:00:00+07:00")]
    together = ix.tally_ballots(first + second, SURVEY)
    assert ix.tally_ballots(first, SURVEY) + ix.tally_ballots(second, SURVEY) == together
    assert sum([ix.tally_ballots(first, SURVEY), ix.tally_ballots(second, SURVEY)]) == together
    assert ix.Tallies() + together == together


def test_union_of_differently_laid_out_tallies() -> None:
    # The database gives rows in its own order; the union must still add the same counts.
    stored = ix.Tallies.from_rows(
        [("2024-09", "cb01", "nam_khong", "a", 2), ("2024-09", "cb01", "tong_the", "4", 3)],
        [("2024-09", "cb01", 3)],
    )
    fresh = ix.tally_ballots([ballot({"tong_the": 4, "nam_khong": ["a"]})], SURVEY)
    both = stored + fresh
    assert both == fresh + stored
    assert set(both.answer_rows()) == {
        ("2024-09", "cb01", "tong_the", "4", 4),
        ("2024-09", "cb01", "nam_khong", "a", 3),
        ("2024-09", "cb01", "nam_khong", ix.ANSWERED, 1),
    }
    assert list(both.ballot_rows()) == [("2024-09", "cb01", 4)]


def test_rows_round_trip_through_from_rows() -> None:
    tallies = ix.tally_ballots([*HAND, ballot({"tong_the": 2}, staff=None)], SURVEY)
    again = ix.Tallies.from_rows(tallies.answer_rows(), tallies.ballot_rows())
    assert again == tallies
    assert ix.compute_rows(again, SURVEY, by="staff") == ix.compute_rows(tallies, SURVEY, by="staff")
    rows = list(tallies.answer_rows())
    assert ("2024-09", "cb01", "nam_khong", ix.EMPTY, 2) in rows
    assert ("2024-09", "cb01", "tong_the", "5", 1) in rows
    assert all(count > 0 for *_, count in rows)


def test_from_rows_adds_repeated_keys() -> None:
    tallies = ix.Tallies.from_rows(
        [
            ("2024-09", None, "tong_the", "5", 2),
            ("2024-09", None, "tong_the", "5", 3),
            ("2024-09", None, "tong_the", "1", 0),  # a row left at 0 after an unflagging
        ],
        [("2024-09", None, 2), ("2024-09", None, 3)],
    )
    assert list(tallies.answer_rows()) == [("2024-09", None, "tong_the", "5", 5)]
    assert tallies.ballots == 5


def test_between_keeps_whole_months() -> None:
    stamps = ["2024-01-10", "2024-03-31", "2024-04-01", "2024-06-30", "2024-07-01"]
    tallies = ix.tally_ballots([ballot({"tong_the": 5}, at=f"{d}T12:00:00+07:00") for d in stamps], SURVEY)
    assert tallies.months() == ["2024-01", "2024-03", "2024-04", "2024-06", "2024-07"]
    assert tallies.between("2024-03", "2024-06").months() == ["2024-03", "2024-04", "2024-06"]
    assert tallies.between(None, "2024-03").ballots == 2
    assert tallies.between("2024-07").ballots == 1
    assert tallies.between("2025-01").is_empty()


# --- partial months -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "whole", "partial"),
    [
        (date(2024, 9, 1), date(2024, 9, 30), ("2024-09", "2024-09"), ()),
        (date(2024, 1, 1), date(2024, 12, 31), ("2024-01", "2024-12"), ()),
        (
            date(2024, 9, 15),
            date(2024, 12, 10),
            ("2024-10", "2024-11"),
            ((date(2024, 9, 15), date(2024, 9, 30)), (date(2024, 12, 1), date(2024, 12, 10))),
        ),
        (date(2024, 9, 3), date(2024, 9, 20), None, ((date(2024, 9, 3), date(2024, 9, 20)),)),
        (
            date(2024, 9, 20),
            date(2024, 10, 5),
            None,
            ((date(2024, 9, 20), date(2024, 9, 30)), (date(2024, 10, 1), date(2024, 10, 5))),
        ),
        (date(2024, 2, 1), date(2024, 2, 29), ("2024-02", "2024-02"), ()),
        (
            date(2023, 12, 31),
            date(2024, 1, 31),
            ("2024-01", "2024-01"),
            ((date(2023, 12, 31), date(2023, 12, 31)),),
        ),
    ],
)
def test_plan_range(first: date, last: date, whole: Any, partial: Any) -> None:
    assert ix.plan_range(first, last) == ix.RangePlan(whole, partial)


def test_plan_range_refuses_a_reversed_range() -> None:
    with pytest.raises(ValueError, match="ends"):
        ix.plan_range(date(2024, 9, 2), date(2024, 9, 1))


def test_partial_month_combines_stored_months_with_edge_days() -> None:
    ballots = [
        ballot({"tong_the": 5}, at="2024-09-14T23:59:00+07:00"),  # before the range
        ballot({"tong_the": 4}, at="2024-09-14T17:30:00Z"),  # 00:30 on 15 Sept in Hà Nội: inside
        ballot({"tong_the": 1}, at="2024-10-20T10:00:00+07:00"),  # a whole month
        ballot({"tong_the": 2}, at="2024-11-30T16:59:59Z"),  # 23:59:59 on 30 Nov: inside
        ballot({"tong_the": 2}, at="2024-11-30T17:00:00Z"),  # 1 Dec: after
    ]
    stored = ix.tally_ballots(ballots, SURVEY)  # what the server's tally table holds
    plan = ix.plan_range(date(2024, 9, 15), date(2024, 11, 30))
    assert plan.whole_months == ("2024-10", "2024-11")
    edges = ix.tally_ballots(ballots, SURVEY, from_date=date(2024, 9, 15), to_date=date(2024, 11, 30))
    wanted = stored.between(*plan.whole_months) + ix.tally_ballots(
        ballots, SURVEY, from_date=plan.partial_days[0][0], to_date=plan.partial_days[0][1]
    )
    assert wanted == edges
    row = only_row(wanted)
    assert row["n"] == 3
    assert row["satisfaction_index"] == 33.3


def test_utc_window_covers_local_days() -> None:
    start, end = ix.utc_window(date(2024, 9, 1), date(2024, 9, 30), "Asia/Ho_Chi_Minh")
    assert start == datetime(2024, 8, 31, 17, tzinfo=UTC)
    assert end == datetime(2024, 9, 30, 17, tzinfo=UTC)


# --- the API body -------------------------------------------------------------------------------------


def test_indices_response_shape_is_json() -> None:
    rows = ix.compute_rows(ix.tally_ballots(HAND, SURVEY), SURVEY, by="staff")
    body = ix.indices_response("XA01", date(2024, 9, 1), date(2024, 9, 30), rows)
    assert body == {
        "method": "ctt-sipas-1",
        "unit": "XA01",
        "from": "2024-09-01",
        "to": "2024-09-30",
        "rows": rows,
    }
    assert json.loads(json.dumps(body)) == body
    assert ix.METHOD == "ctt-sipas-1"


# --- bad input: a clear error -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"tong_the": 6}, "rating must be 1–5"),
        ({"tong_the": 0}, "rating must be 1–5"),
        ({"tong_the": True}, "rating must be 1–5"),
        ({"tong_the": "5"}, "rating must be 1–5"),
        ({"tong_the": 4.0}, "rating must be 1–5"),
        ({"nam_khong": "a"}, "list of option ids"),
        ({"nam_khong": [1]}, "list of option ids"),
        ({"nam_khong": ["z"]}, "unknown option 'z'"),
    ],
)
def test_answers_that_do_not_fit_are_refused(answers: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ix.tally_ballots([ballot(answers)], SURVEY)


def test_answers_to_unknown_questions_are_not_tallied() -> None:
    tallies = ix.tally_ballots([ballot({"tong_the": 5, "cau_cu": 3})], SURVEY)
    assert {q for _, _, q, _, _ in tallies.answer_rows()} == {"tong_the"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ix.compute_rows(ix.Tallies(), SURVEY, by="unit"), "by must be one of"),
        (lambda: ix.compute_rows(ix.Tallies(), SURVEY, period="week"), "period must be one of"),
        (lambda: ix.compute_rows(ix.Tallies(), SURVEY, min_sample=-1), "min_sample"),
        (lambda: ix.tally_ballots([], SURVEY, tz="Asia/Hanoi_Nowhere"), "unknown time zone"),
        (lambda: ix.Tallies.from_rows([("2024-9", None, "tong_the", "5", 1)], []), "look like '2024-09'"),
        (lambda: ix.Tallies.from_rows([("2024-09", None, "tong_the", "5", -1)], []), "non-negative"),
        (lambda: ix.Tallies.from_rows([("2024-09", None, "tong_the", "5", True)], []), "non-negative"),
        (lambda: ix.Tallies.from_rows([("2024-09", None, "tong_the", "5", "3")], []), "non-negative"),  # type: ignore[list-item]
        (
            lambda: ix.Tallies.from_rows([], [("2024-09", 7, 1)]),  # type: ignore[list-item]
            "staff id",
        ),
        (lambda: ix.month_of(ix.Ballot("2024-09-01T00:00:00Z", None, True, None, {})), "needs received_at"),
        (lambda: ix.month_of(ix.Ballot("hôm qua", None, False, None, {})), "not an RFC 3339"),
        (lambda: ix.Tallies().between("2024"), "look like '2024-09'"),
    ],
)
def test_misuse_of_the_api_is_a_clear_value_error(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()

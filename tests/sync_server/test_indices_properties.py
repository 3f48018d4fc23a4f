"""Properties of the index engine over random ballots (hypothesis), against a plain Fraction reference."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from test_indices import SURVEY

from sync_server import indices as ix

FAST = settings(max_examples=80, deadline=None)
RATINGS = [q for q in SURVEY.questions if q.type == "rating5"]
CHECKLISTS = [q for q in SURVEY.questions if q.type == "checklist"]
START = datetime(2023, 12, 20, tzinfo=UTC)


@st.composite
def ballots(draw: st.DrawFn) -> ix.Ballot:
    answers: dict[str, Any] = {}
    for q in RATINGS:
        value = draw(st.sampled_from([None, None, 1, 2, 3, 4, 5, 5, 4, "missing"]))
        if value != "missing":
            answers[q.id] = value
    for q in CHECKLISTS:
        if draw(st.booleans()):
            options = [o.id for o in q.options]
            answers[q.id] = draw(st.lists(st.sampled_from(options), max_size=3, unique=True) | st.just([]))
    submitted = START + timedelta(minutes=draw(st.integers(0, 60 * 24 * 400)))
    suspect = draw(st.integers(0, 9)) == 0
    received = submitted + timedelta(hours=draw(st.integers(0, 24 * 60)))
    if suspect:
        submitted = datetime(2019, 6, 1, tzinfo=UTC)
    return ix.Ballot(
        submitted,
        received,
        suspect,
        draw(st.sampled_from([None, "cb01", "cb02", "cb03"])),
        answers,
        draw(st.integers(0, 9)) == 0,
    )


ballot_lists = st.lists(ballots(), max_size=40)


def all_figures(row: ix.Row) -> list[float | None]:
    figures: list[float | None] = [row["satisfaction_index"], row["friendly_index"], row["service_index"]]
    figures += list(row["satisfaction_ci95"] or [])
    figures += list(row["groups"].values())
    for item in row["items"].values():
        figures.append(item["index"])
        figures += list(item.get("violation_rates", {}).values())
    return figures


# --- a straightforward reference: indices.md read literally, in Fractions over raw ballots -----------


def _mean(values: Sequence[Fraction | None]) -> Fraction | None:
    known = [v for v in values if v is not None]
    return sum(known, Fraction(0)) / len(known) if known else None


def _r(value: Fraction | None, digits: int = 1) -> float | None:
    return None if value is None else ix.round_half_up(value, digits)


def reference_row(ballots: list[ix.Ballot], min_sample: int = 30) -> ix.Row | None:
    counted = [b for b in ballots if not b.flagged_misuse]
    if not counted:
        return None
    exact: dict[str, Fraction | None] = {}
    items: dict[str, Any] = {}
    for q in SURVEY.questions:
        if q.type == "rating5":
            values = [b.answers[q.id] for b in counted if b.answers.get(q.id) is not None]
            exact[q.id] = Fraction(100 * sum(v >= 4 for v in values), len(values)) if values else None
            items[q.id] = {"n": len(values), "index": _r(exact[q.id])}
        elif q.type == "checklist":
            lists = [b.answers[q.id] for b in counted if b.answers.get(q.id) is not None]
            n = len(lists)
            exact[q.id] = Fraction(100 * sum(not ticks for ticks in lists), n) if n else None
            rates = {
                o.id: (_r(Fraction(100 * sum(o.id in t for t in lists), n)) if n else None) for o in q.options
            }
            items[q.id] = {"n": n, "index": _r(exact[q.id]), "violation_rates": rates}
    groups = {g.id: _mean([exact[q.id] for q in SURVEY.questions if g.id in q.groups]) for g in SURVEY.groups}
    overall = [b.answers["tong_the"] for b in counted if b.answers.get("tong_the") is not None]
    sat = sum(v >= 4 for v in overall)
    return {
        "key": None,
        "n": len(counted),
        "satisfaction_index": _r(exact["tong_the"]),
        "satisfaction_ci95": list(ix.wilson(sat, len(overall))) if overall else None,
        "mean_score": _r(Fraction(sum(overall), len(overall)), 2) if overall else None,
        "friendly_index": _r(_mean([groups[g.id] for g in SURVEY.groups if g.friendly])),
        "service_index": _r(_mean([groups[g.id] for g in SURVEY.groups if g.sipas])),
        "groups": {gid: _r(value) for gid, value in groups.items()},
        "items": items,
        "insufficient": len(counted) < min_sample,
    }


# --- properties ---------------------------------------------------------------------------------------


@FAST
@given(ballot_lists)
def test_engine_agrees_with_the_literal_reference(ballots: list[ix.Ballot]) -> None:
    rows = ix.compute_rows(ix.tally_ballots(ballots, SURVEY), SURVEY)
    expected = reference_row(ballots)
    assert rows == ([] if expected is None else [expected])


@FAST
@given(ballot_lists, st.sampled_from(["none", "staff", "period"]), st.sampled_from(["month", "quarter"]))
def test_every_figure_is_a_percentage_or_null(ballots: list[ix.Ballot], by: str, period: str) -> None:
    for row in ix.compute_rows(ix.tally_ballots(ballots, SURVEY), SURVEY, by=by, period=period):
        assert row["n"] > 0
        for figure in all_figures(row):
            assert figure is None or 0.0 <= figure <= 100.0
        if row["satisfaction_index"] is None:
            assert row["satisfaction_ci95"] is None and row["mean_score"] is None
        else:
            assert row["satisfaction_ci95"] is not None
            lo, hi = row["satisfaction_ci95"]
            assert lo <= row["satisfaction_index"] <= hi
            assert row["mean_score"] is not None and 1.0 <= row["mean_score"] <= 5.0
        for item in row["items"].values():
            assert 0 <= item["n"] <= row["n"]
            assert (item["index"] is None) == (item["n"] == 0)


@FAST
@given(ballot_lists, st.randoms(use_true_random=False))
def test_order_of_ballots_is_irrelevant(ballots: list[ix.Ballot], rnd: random.Random) -> None:
    shuffled = list(ballots)
    rnd.shuffle(shuffled)
    a, b = ix.tally_ballots(ballots, SURVEY), ix.tally_ballots(shuffled, SURVEY)
    assert a == b
    for by in ("none", "staff", "period"):
        assert ix.compute_rows(a, SURVEY, by=by) == ix.compute_rows(b, SURVEY, by=by)


@FAST
@given(ballot_lists, ballot_lists)
def test_tallies_of_a_union_are_the_sum_of_tallies(first: list[ix.Ballot], second: list[ix.Ballot]) -> None:
    together = ix.tally_ballots(first + second, SURVEY)
    added = ix.tally_ballots(first, SURVEY) + ix.tally_ballots(second, SURVEY)
    assert added == together
    assert added.ballots == together.ballots
    # A database-ordered copy of one side has another lane layout; the union must not care.
    stored = ix.tally_ballots(first, SURVEY)
    reordered = ix.Tallies.from_rows(reversed(list(stored.answer_rows())), stored.ballot_rows())
    assert reordered + ix.tally_ballots(second, SURVEY) == together
    assert ix.compute_rows(
        reordered + ix.tally_ballots(second, SURVEY), SURVEY, by="staff"
    ) == ix.compute_rows(together, SURVEY, by="staff")


@FAST
@given(ballot_lists, st.sampled_from(["month", "quarter", "half", "year"]))
def test_period_and_staff_rows_add_up_to_the_whole(ballots: list[ix.Ballot], period: str) -> None:
    tallies = ix.tally_ballots(ballots, SURVEY)
    whole = ix.compute_rows(tallies, SURVEY)
    total = whole[0]["n"] if whole else 0
    by_period = ix.compute_rows(tallies, SURVEY, by="period", period=period)
    by_staff = ix.compute_rows(tallies, SURVEY, by="staff")
    assert sum(r["n"] for r in by_period) == total
    assert sum(r["n"] for r in by_staff) == total
    assert [r["key"] for r in by_period] == sorted({ix.period_key(m, period) for m in tallies.months()})
    for item in whole[0]["items"] if whole else []:
        assert sum(r["items"][item]["n"] for r in by_period) == whole[0]["items"][item]["n"]


@FAST
@given(ballot_lists)
def test_rows_round_trip_through_the_database_shape(ballots: list[ix.Ballot]) -> None:
    tallies = ix.tally_ballots(ballots, SURVEY)
    assert ix.Tallies.from_rows(tallies.answer_rows(), tallies.ballot_rows()) == tallies


@FAST
@given(ballot_lists, st.integers(0, 400), st.integers(0, 60))
def test_month_filter_plus_edge_days_equals_filtering_every_ballot(
    ballots: list[ix.Ballot], offset: int, length: int
) -> None:
    first = (START + timedelta(days=offset)).date()
    last = first + timedelta(days=length)
    plan = ix.plan_range(first, last)
    combined = ix.Tallies()
    if plan.whole_months:
        combined += ix.tally_ballots(ballots, SURVEY).between(*plan.whole_months)
    for lo, hi in plan.partial_days:
        combined += ix.tally_ballots(ballots, SURVEY, from_date=lo, to_date=hi)
    assert combined == ix.tally_ballots(ballots, SURVEY, from_date=first, to_date=last)


counts = st.integers(0, 12) | st.integers(0, 2000)  # small counts make exact ties common


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(counts, counts), min_size=4, max_size=4), counts, counts)
def test_group_and_headline_rounding_is_exact_on_any_counts(
    pairs: list[tuple[int, int]], empty: int, ticked: int
) -> None:
    # Counts straight from the database shape: many exact ties (x.x5) appear with small counts.
    questions = ["tong_the", "xin_chao", "xin_loi", "biet_nghe"]
    rows: list[tuple[str, str | None, str, str, int]] = []
    for qid, (sat, unsat) in zip(questions, pairs, strict=True):
        rows += [("2024-09", None, qid, "5", sat), ("2024-09", None, qid, "2", unsat)]
    rows += [
        ("2024-09", None, "nam_khong", ix.ANSWERED, empty + ticked),
        ("2024-09", None, "nam_khong", ix.EMPTY, empty),
        ("2024-09", None, "nam_khong", "a", ticked),
    ]
    answered = max(a + b for a, b in pairs) + empty + ticked + 1
    got = ix.compute_rows(ix.Tallies.from_rows(rows, [("2024-09", None, answered)]), SURVEY)[0]

    def frac(sat: int, unsat: int) -> Fraction | None:
        return Fraction(100 * sat, sat + unsat) if sat + unsat else None

    f = dict(zip(questions, (frac(*p) for p in pairs), strict=True))
    compliance = Fraction(100 * empty, empty + ticked) if empty + ticked else None
    g_xin, g_biet = _mean([f["xin_chao"], f["xin_loi"]]), _mean([f["xin_loi"], f["biet_nghe"]])
    assert got["groups"]["g_xin"] == _r(g_xin)
    assert got["groups"]["g_biet"] == _r(g_biet)
    assert got["groups"]["g_khong"] == _r(compliance)
    assert got["friendly_index"] == _r(_mean([g_xin, g_biet, compliance]))
    assert got["satisfaction_index"] == _r(f["tong_the"])


def test_every_small_pair_of_items_rounds_like_exact_arithmetic() -> None:
    # All pairs k1/n1, k2/n2 with n ≤ 12: every tie a small sample can produce, one officer per pair.
    fractions = [(k, n) for n in range(1, 13) for k in range(n + 1)]
    rows: list[tuple[str, str | None, str, str, int]] = []
    expected: dict[str, tuple[float | None, float | None]] = {}
    for i, (k1, n1) in enumerate(fractions):
        for j, (k2, n2) in enumerate(fractions):
            staff = f"cb{i:03d}_{j:03d}"
            for qid, k, n in (("xin_chao", k1, n1), ("xin_loi", k2, n2)):
                rows += [("2024-09", staff, qid, "4", k), ("2024-09", staff, qid, "1", n - k)]
            g_xin = (Fraction(100 * k1, n1) + Fraction(100 * k2, n2)) / 2
            g_biet = Fraction(100 * k2, n2)
            expected[staff] = (_r(g_xin), _r((g_xin + g_biet) / 2))
    tallies = ix.Tallies.from_rows(rows, [(m, s, 1) for m, s, *_ in rows[::4]])
    got = {
        r["key"]: (r["groups"]["g_xin"], r["friendly_index"])
        for r in ix.compute_rows(tallies, SURVEY, "staff")
    }
    assert got == expected

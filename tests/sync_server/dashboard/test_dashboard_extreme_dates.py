"""Dates at the ends of the calendar in the dashboard's query: a page or a sentence, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

PAGES = ["/dashboard/", "/dashboard/officers", "/dashboard/items", "/dashboard/alerts", "/dashboard/comments"]
QUERIES = [
    "period=custom&from=9999-12-01&to=9999-12-31",
    "period=custom&from=0001-01-01&to=0001-01-31",
    "period=year&key=9999",
    "period=year&key=0000",
    "period=year&key=0001",
    "period=month&key=9999-12",
    "period=month&key=0001-01",
    "period=quarter&key=9999-Q4",
    "period=half&key=0001-H1",
]


@pytest.mark.parametrize("query", QUERIES)
def test_extreme_periods_never_fail_a_page(as_admin: TestClient, query: str) -> None:
    for page in PAGES:
        reply = as_admin.get(f"{page}?{query}")
        assert reply.status_code in (200, 400), (page, query, reply.status_code)
        assert "Traceback" not in reply.text

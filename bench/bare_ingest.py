"""The bare reference for ingest: FastAPI + sqlite3 that only parses a batch and inserts its rows.

    .venv/bin/python bench/bare_ingest.py DB_FILE PORT TOKEN

What the product's ingest is measured against (bench/ingest.py --ab). It speaks just enough of the
protocol for the same client: `POST /api/v1/device/responses` with a bearer token and a gzip JSON
body, one result per item (`created`, or `duplicate` for an id already stored), and `/healthz`. It
keeps the product's durability (WAL, `synchronous=FULL`, one transaction per batch) and its unique
id, but none of its rules: no validation, no tallies, no roll-ups, no quarantine. The ceiling our own
stack (uvicorn, FastAPI, json, sqlite3) allows; the ratio product/bare is the figure to watch.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import sys
import threading
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

SCHEMA = """
CREATE TABLE IF NOT EXISTS response (
    id TEXT PRIMARY KEY, seq INTEGER, survey_id TEXT, survey_version TEXT, staff_id TEXT,
    started_at TEXT, submitted_at TEXT, answers TEXT, comment TEXT, lang TEXT
) WITHOUT ROWID
"""
INSERT = "INSERT INTO response VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def make_app(path: str, token: str) -> FastAPI:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(SCHEMA)
    lock = threading.Lock()
    app = FastAPI()
    expected = f"Bearer {token}"

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/device/responses")
    async def responses(request: Request) -> Response:
        if request.headers.get("authorization") != expected:
            return JSONResponse({"error": "unauthorized", "detail": "…"}, status_code=401)
        body = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        items: list[dict[str, Any]] = json.loads(body)["responses"]
        ids = [item["id"] for item in items]
        with lock:
            db.execute("BEGIN IMMEDIATE")
            marks = ",".join("?" * len(ids))
            known = {row[0] for row in db.execute(f"SELECT id FROM response WHERE id IN ({marks})", ids)}
            fresh = [item for item in items if item["id"] not in known]
            db.executemany(
                INSERT,
                [
                    (
                        item["id"],
                        item["seq"],
                        item["survey_id"],
                        item["survey_version"],
                        item["staff_id"],
                        item["started_at"],
                        item["submitted_at"],
                        json.dumps(item["answers"], ensure_ascii=False),
                        item["comment"],
                        item["lang"],
                    )
                    for item in fresh
                ],
            )
            db.execute("COMMIT")
        results = [{"id": i, "status": "duplicate" if i in known else "created", "error": None} for i in ids]
        return JSONResponse({"server_time": "", "results": results})

    return app


def main() -> None:
    path, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    uvicorn.run(make_app(path, token), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()

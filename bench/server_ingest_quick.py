"""Quick ingest throughput over HTTP: enrol devices on a running server, post N ballots in batches.

    survey-server serve --port 8765 [--workers 2] &
    python bench/server_ingest_quick.py --server http://127.0.0.1:8765 --n 20000 \\
        --code $(survey-server device code XA01) [--code … per extra client] [--server-pid PID]

One client per `--code` (each a device), posting concurrently. Prints ballots/s, and with
`--server-pid` ballots per server CPU-second. The machine is shared (2 cores, other engineers' jobs):
read the wall-clock figures as rough.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx


def make_ballots(config: dict[str, Any], n: int, start_seq: int, rng: random.Random) -> list[dict[str, Any]]:
    """`n` valid ballots for a device's config, time-ordered (UUID v7-like ids), minutes apart."""
    survey = config["survey"]
    staff = [s["id"] for s in config["staff"]] or [None]
    details = [q for q in survey["questions"] if q["id"] != "tong_the"]
    base = dt.datetime.now(dt.UTC) - dt.timedelta(days=300)
    out = []
    for i in range(n):
        at = base + dt.timedelta(minutes=7 * (start_seq + i))
        answers: dict[str, object] = {"tong_the": rng.choice([1, 2, 3, 4, 4, 5, 5, 5])}
        for q in rng.sample(details, k=min(4, len(details))):
            if q["type"] == "rating5":
                answers[q["id"]] = rng.choice([None, 3, 4, 5])
            elif q["type"] == "checklist":
                answers[q["id"]] = rng.choice([[], [], [q["options"][0]["id"]]])
        out.append(
            {
                "id": str(
                    uuid.UUID(int=(int(at.timestamp() * 1000) << 80) | rng.getrandbits(76) | (7 << 76))
                ),
                "seq": start_seq + i,
                "survey_id": survey["id"],
                "survey_version": survey["version"],
                "staff_id": rng.choice(staff),
                "started_at": (at - dt.timedelta(seconds=40)).isoformat(),
                "submitted_at": at.isoformat(),
                "answers": answers,
                "comment": None,
                "contact": None,
                "lang": "vi",
            }
        )
    return out


def _cpu_seconds(pid: int | None) -> float:
    """User + system CPU time of a process and its children (Linux /proc), 0 without a pid."""
    if not pid:
        return 0.0
    total = 0.0
    pids = [pid]
    children = f"/proc/{pid}/task/{pid}/children"
    if os.path.exists(children):
        with open(children) as f:
            pids += [int(p) for p in f.read().split()]
    for p in pids:
        with open(f"/proc/{p}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _prepare(
    server: str, code: str, n: int, batch: int, use_gzip: bool, seed: int
) -> tuple[dict[str, str], list[bytes]]:
    with httpx.Client(base_url=server, timeout=120) as client:
        enrol = client.post("/api/v1/devices/enrol", json={"code": code, "name": "bench"})
        enrol.raise_for_status()
        headers = {"Authorization": f"Bearer {enrol.json()['token']}", "Content-Type": "application/json"}
        config = client.get("/api/v1/device/config", headers=headers).json()
    rng = random.Random(seed)
    bodies = []
    for start in range(0, n, batch):
        body = json.dumps({"responses": make_ballots(config, min(batch, n - start), start + 1, rng)}).encode()
        bodies.append(gzip.compress(body) if use_gzip else body)
    if use_gzip:
        headers["Content-Encoding"] = "gzip"
    return headers, bodies


def _post_all(server: str, headers: dict[str, str], bodies: list[bytes]) -> int:
    created = 0
    with httpx.Client(base_url=server, timeout=120) as client:
        for body in bodies:
            reply = client.post("/api/v1/device/responses", content=body, headers=headers)
            reply.raise_for_status()
            created += sum(r["status"] == "created" for r in reply.json()["results"])
    return created


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", required=True)
    parser.add_argument("--code", required=True, action="append", help="an enrolment code; one per client")
    parser.add_argument("--n", type=int, default=20000, help="ballots in all")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--server-pid", type=int, help="also report ballots per CPU-second of the server")
    args = parser.parse_args()
    per_client = args.n // len(args.code)
    prepared = [
        _prepare(args.server, code, per_client, args.batch, args.gzip, seed)
        for seed, code in enumerate(args.code)
    ]
    cpu0 = _cpu_seconds(args.server_pid)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(prepared)) as pool:
        created = sum(pool.map(lambda p: _post_all(args.server, *p), prepared))
    elapsed = time.perf_counter() - t0
    cpu = _cpu_seconds(args.server_pid) - cpu0
    total = per_client * len(prepared)
    print(
        f"{created} created of {total} in {elapsed:.2f} s: {total / elapsed:,.0f} ballots/s "
        f"({len(prepared)} client(s), batches of {args.batch}, gzip={args.gzip}; shared 2-core machine)"
    )
    if args.server_pid:
        print(f"server CPU {cpu:.2f} s: {total / cpu:,.0f} ballots per server CPU-second")


if __name__ == "__main__":
    main()

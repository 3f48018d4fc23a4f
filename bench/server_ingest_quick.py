"""Quick ingest throughput over HTTP: enrol a device on a running server, post N ballots in batches.

    survey-server serve --port 8765 &
    python bench/server_ingest_quick.py --server http://127.0.0.1:8765 --code XXXX-XXXX-XXXX --n 20000

Prints ballots/s. The machine is shared (2 cores, other engineers' jobs): read figures as rough.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import random
import time
import uuid

import httpx


def make_ballots(config: dict, n: int, start_seq: int, rng: random.Random) -> list[dict]:
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
    """User + system CPU time of a process (Linux /proc), 0 without a pid."""
    if not pid:
        return 0.0
    import os

    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--server", required=True)
    parser.add_argument("--code", required=True, help="an enrolment code (survey-server device code UNIT)")
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--server-pid", type=int, help="also report ballots per CPU-second of the server")
    args = parser.parse_args()
    rng = random.Random(7)
    with httpx.Client(base_url=args.server, timeout=120) as client:
        enrol = client.post("/api/v1/devices/enrol", json={"code": args.code, "name": "bench"})
        enrol.raise_for_status()
        headers = {"Authorization": f"Bearer {enrol.json()['token']}", "Content-Type": "application/json"}
        config = client.get("/api/v1/device/config", headers=headers).json()
        batches = []
        for start in range(0, args.n, args.batch):
            body = json.dumps(
                {"responses": make_ballots(config, min(args.batch, args.n - start), start + 1, rng)}
            )
            batches.append(gzip.compress(body.encode()) if args.gzip else body.encode())
        extra = {"Content-Encoding": "gzip"} if args.gzip else {}
        cpu0 = _cpu_seconds(args.server_pid)
        t0 = time.perf_counter()
        created = 0
        for body in batches:
            reply = client.post("/api/v1/device/responses", content=body, headers=headers | extra)
            reply.raise_for_status()
            created += sum(r["status"] == "created" for r in reply.json()["results"])
        elapsed = time.perf_counter() - t0
        cpu = _cpu_seconds(args.server_pid) - cpu0
    print(
        f"{created} created of {args.n} in {elapsed:.2f} s: {args.n / elapsed:,.0f} ballots/s "
        f"(batches of {args.batch}, gzip={args.gzip}; shared 2-core machine)"
    )
    if args.server_pid:
        print(f"server CPU {cpu:.2f} s: {args.n / cpu:,.0f} ballots per server CPU-second (load-independent)")


if __name__ == "__main__":
    main()

"""Kiosk uploads while the dashboard's log-in is sprayed: upload latency with and without 8 spraying threads.

    .venv/bin/python bench/login_spray.py [--uploads 60] [--batch 20] [--threads 8]
    .venv/bin/python bench/login_spray.py --server-src /tmp/old-tree   # the same against older code

A real `survey-server serve` on SQLite over loopback, with real argon2 (the default cost, not the tests'
cheap one). One enrolled device posts `--uploads` batches of `--batch` ballots one after another, first
alone, then while `--threads` threads post wrong passwords to `POST /dashboard/login` for ever-new user
names (the worst case: every guess runs argon2, the per-address limit does not stop the verification).
Prints p50/p95/max of the upload times for both runs and the spray's rate. `--server-src DIR` runs the
server (and its `init`) from the `sync_server/` in DIR, e.g. `git archive main | tar -x -C DIR`.

The machine is shared (2 cores, other people's jobs running): the figures move between runs; compare
the two runs of one invocation, and read the absolute numbers as orders of magnitude.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import _data
import httpx

REPO = Path(__file__).resolve().parents[1]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def figures(name: str, times_ms: list[float]) -> str:
    return (
        f"{name:<22} n={len(times_ms):>3}  p50 {statistics.median(times_ms):>8.0f} ms  "
        f"p95 {percentile(times_ms, 95):>8.0f} ms  max {max(times_ms):>8.0f} ms"
    )


class Spray:
    """`threads` threads posting wrong passwords to the dashboard's log-in form until stopped."""

    def __init__(self, base: str, threads: int) -> None:
        self.base, self.count, self.codes = base, threads, {}  # type: ignore[var-annotated]
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.workers = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]

    def _run(self, i: int) -> None:
        with httpx.Client(base_url=self.base, timeout=120) as client:
            token = CSRF.search(client.get("/dashboard/login").text)
            assert token, "no CSRF token on the log-in form"
            n = 0
            while not self.stop.is_set():
                n += 1
                reply = client.post(
                    "/dashboard/login",
                    data={
                        "username": f"doan_{i}_{n}",
                        "password": "mat-khau-doan",
                        "csrf_token": token.group(1),
                    },
                )
                with self.lock:
                    self.codes[reply.status_code] = self.codes.get(reply.status_code, 0) + 1

    def __enter__(self) -> Spray:
        self.started = time.monotonic()
        for worker in self.workers:
            worker.start()
        time.sleep(1.0)  # let the spray reach its pace before measuring
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        for worker in self.workers:
            worker.join(timeout=180)
        self.elapsed = time.monotonic() - self.started


def uploads(client: httpx.Client, device: dict[str, str], bodies: list[bytes]) -> list[float]:
    times = []
    for body in bodies:
        began = time.perf_counter()
        reply = client.post(
            "/api/v1/device/responses", content=body, headers={**device, "Content-Type": "application/json"}
        )
        times.append((time.perf_counter() - began) * 1000)
        assert reply.status_code == 200, reply.text[:300]
    return times


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--uploads", type=int, default=60, help="batches per run")
    parser.add_argument("--batch", type=int, default=20, help="ballots per batch")
    parser.add_argument("--threads", type=int, default=8, help="spraying threads")
    parser.add_argument("--server-src", type=Path, help="run the server from the sync_server/ in this folder")
    args = parser.parse_args()

    with _data.temp_folder("bench-login-spray-") as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'server.db'}"
        env = dict(os.environ) | {
            "SURVEY_DATABASE_URL": url,
            "SURVEY_DATA_DIR": str(folder / "server"),
            "SURVEY_SURVEYS_DIR": str(REPO / "surveys"),
        }
        env.pop("SURVEY_SECRET_KEY", None)
        if args.server_src:
            env["PYTHONPATH"] = str(args.server_src.resolve())
        subprocess.run([str(_data.BIN), "init"], env=env, cwd=folder, check=True, capture_output=True)
        engine = _data.make_engine(url)
        survey = _data.populate(engine, folder, ["XA01"], officers=10)
        code = _data.enrolment_code(engine, "XA01")
        engine.dispose()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        log = (folder / "serve.log").open("wb")
        server = subprocess.Popen(
            [str(_data.BIN), "serve", "--port", str(port)], cwd=folder, env=env, stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(
                        f"the server did not start:\n{(folder / 'serve.log').read_text()[-2000:]}"
                    )
                time.sleep(0.2)
            rng = random.Random(9)
            staff: list[str | None] = [f"xa01-cb{k:02d}" for k in range(10)]
            n = args.uploads * args.batch
            ballots = _data.protocol_ballots(survey, staff, 2 * n, 1, rng)
            bodies = [
                json.dumps({"responses": ballots[i : i + args.batch]}).encode()
                for i in range(0, 2 * n, args.batch)
            ]
            with httpx.Client(base_url=base, timeout=300) as client:
                enrolled = client.post("/api/v1/devices/enrol", json={"code": code, "name": "Quầy đo"})
                enrolled.raise_for_status()
                device = {"Authorization": f"Bearer {enrolled.json()['token']}"}
                quiet = uploads(client, device, bodies[: args.uploads])
                with Spray(base, args.threads) as spray:
                    sprayed = uploads(client, device, bodies[args.uploads :])
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()

    load = os.getloadavg()
    loads = "/".join(f"{x:.1f}" for x in load)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {loads} (1/5/15 min)")
    print("  (shared with other jobs: compare the two lines below, read absolute times as rough)")
    print(f"server code: {args.server_src or REPO}; SQLite; real argon2; batches of {args.batch} ballots")
    print(figures("uploads, no spray", quiet))
    print(figures(f"uploads, {args.threads}-thread spray", sprayed))
    tries = sum(spray.codes.values())
    answers = ", ".join(f"{code}: {count}" for code, count in sorted(spray.codes.items()))
    print(
        f"spray: {tries} log-in attempts in {spray.elapsed:.1f} s ({tries / spray.elapsed:.1f}/s; {answers})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

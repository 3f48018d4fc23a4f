"""A fault-injecting HTTP/1.1 TCP proxy for end-to-end sync tests.

It sits between a kiosk and the real server on loopback and, request by request, follows a plan:

* ``pass``          forward the request and the reply untouched;
* ``refuse``        reset the connection before reading anything (the request never leaves);
* ``reset``         read the head and part of the body, then reset (the server never sees it);
* ``drop_reply``    forward the request, wait for the server's full reply (it has committed), then reset
                    the client's connection instead of answering;
* ``delay``         hold the request ``delay_s`` seconds before forwarding (the client may time out
                    while the server still commits);
* ``bad_gateway``   answer 502 without contacting the server;
* ``rate_limited``  answer 429 with ``Retry-After: 1`` without contacting the server.

::

    with FaultProxy(server_port, plan=seeded_plan(7)) as proxy:
        client = SyncClient(proxy.url, token)
        ...
        print(proxy.counts)
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType

__all__ = ["KINDS", "Fault", "FaultProxy", "seeded_plan"]

KINDS = ("pass", "refuse", "reset", "drop_reply", "delay", "bad_gateway", "rate_limited")
_MAX_HEAD = 64 * 1024


@dataclass(frozen=True)
class Fault:
    kind: str = "pass"
    delay_s: float = 0.0


# A plan maps (request number from 0, request line such as "POST /api/v1/device/responses") to a fault.
Plan = Callable[[int, str], Fault]


def seeded_plan(
    seed: int,
    weights: Mapping[str, float] | None = None,
    *,
    delay_range_s: tuple[float, float] = (0.05, 1.5),
    clean_after: int | None = None,
) -> Plan:
    """A reproducible random plan; after ``clean_after`` requests everything passes (so runs end)."""
    chosen = dict(
        weights
        or {"pass": 0.45, "refuse": 0.1, "reset": 0.1, "drop_reply": 0.15, "delay": 0.1, "bad_gateway": 0.1}
    )
    unknown = set(chosen) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
    rng = random.Random(seed)
    kinds, probs = list(chosen), list(chosen.values())
    lock = threading.Lock()

    def plan(index: int, request_line: str) -> Fault:
        if clean_after is not None and index >= clean_after:
            return Fault()
        with lock:
            kind = rng.choices(kinds, probs)[0]
            delay = rng.uniform(*delay_range_s) if kind == "delay" else 0.0
        return Fault(kind, delay)

    return plan


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST (SO_LINGER 0), as a dropped mobile link or a crashed middlebox does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise ConnectionError("connection closed inside a message head") from exc
        return None
    except asyncio.LimitOverrunError as exc:
        raise ConnectionError("message head too large") from exc


def _headers(head: bytes) -> dict[str, str]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    out: dict[str, str] = {}
    for line in lines:
        if ":" in line:
            name, value = line.split(":", 1)
            out[name.strip().lower()] = value.strip()
    return out


async def _read_body(reader: asyncio.StreamReader, head: bytes, *, response: bool, no_body: bool) -> bytes:
    headers = _headers(head)
    if no_body:
        return b""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        parts: list[bytes] = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            parts.append(size_line)
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:  # trailers, then the blank line
                    line = await reader.readuntil(b"\r\n")
                    parts.append(line)
                    if line == b"\r\n":
                        return b"".join(parts)
            parts.append(await reader.readexactly(size + 2))
    if "content-length" in headers:
        return await reader.readexactly(int(headers["content-length"]))
    if response:
        return await reader.read()  # framed by the server closing the connection
    return b""


class FaultProxy:
    """Listen on loopback, forward to ``target_port``, and inject the faults ``plan`` asks for."""

    def __init__(self, target_port: int, *, plan: Plan | None = None, target_host: str = "127.0.0.1") -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.plan: Plan = plan or (lambda index, line: Fault())
        self.counts: Counter[str] = Counter()
        self.log: list[tuple[int, str, str]] = []
        self.port = 0
        self._index = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopped: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self._run, name="faultproxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fault proxy did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, limit=_MAX_HEAD)
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stopped.wait()
        self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _next(self, request_line: str) -> tuple[int, Fault]:
        with self._lock:
            index = self._index
            self._index += 1
        fault = self.plan(index, request_line)
        with self._lock:
            self.counts[fault.kind] += 1
            self.log.append((index, request_line, fault.kind))
        return index, fault

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, OSError, ValueError):
            _reset(writer)
        except asyncio.CancelledError:
            _reset(writer)
            raise

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await _read_head(reader)
            if head is None:
                writer.close()
                return
            request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            method, _, target = request_line.partition(" ")
            _, fault = self._next(f"{method} {target.rsplit(' ', 1)[0]}")
            if fault.kind == "refuse":
                _reset(writer)
                return
            headers = _headers(head)
            if fault.kind == "reset":
                length = int(headers.get("content-length", "0") or 0)
                if length > 1:
                    await reader.readexactly(length // 2)
                _reset(writer)
                return
            body = await _read_body(reader, head, response=False, no_body=False)
            if fault.kind in ("bad_gateway", "rate_limited"):
                status, code, extra = (
                    ("502 Bad Gateway", "bad_gateway", "")
                    if fault.kind == "bad_gateway"
                    else ("429 Too Many Requests", "rate_limited", "Retry-After: 1\r\n")
                )
                payload = f'{{"error":"{code}","detail":"injected by the fault proxy"}}'.encode()
                writer.write(
                    f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}".encode()
                    + f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
                writer.close()
                return
            if fault.kind == "delay":
                await asyncio.sleep(fault.delay_s)
            reply = await self._forward(head, body, no_body=method == "HEAD")
            if reply is None:
                _reset(writer)  # the server is down or died mid-reply: the client sees a reset
                return
            if fault.kind == "drop_reply":
                _reset(writer)
                return
            try:
                writer.write(reply)
                await writer.drain()
            except (ConnectionError, OSError):
                return  # the client gave up (timeout) while the server answered
            if (
                headers.get("connection", "").lower() == "close"
                or b"connection: close" in reply[:2048].lower()
            ):
                writer.close()
                return

    async def _forward(self, head: bytes, body: bytes, *, no_body: bool) -> bytes | None:
        """Send one request on a fresh upstream connection and return the full raw reply."""
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            return None
        try:
            up_writer.write(head + body)
            await up_writer.drain()
            while True:
                reply_head = await _read_head(up_reader)
                if reply_head is None:
                    return None
                status = int(reply_head.split(b" ", 2)[1])
                if 100 <= status < 200:
                    continue  # interim reply such as 100 Continue
                empty = no_body or status in (204, 304)
                reply_body = await _read_body(up_reader, reply_head, response=True, no_body=empty)
                return reply_head + reply_body
        except (ConnectionError, asyncio.IncompleteReadError, OSError, ValueError):
            return None
        finally:
            up_writer.close()

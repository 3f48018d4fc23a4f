"""The fault proxy itself does what the end-to-end tests rely on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
import requests
from faultproxy import Fault, FaultProxy, seeded_plan


class _Counter(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    received: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(body)
        reply = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def upstream() -> Iterator[ThreadingHTTPServer]:
    _Counter.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _post(url: str, timeout: float = 5) -> requests.Response:
    return requests.post(url + "/x", data=b"hello world", timeout=timeout)


@pytest.mark.parametrize(
    ("kind", "reaches_server", "client_error"),
    [
        ("pass", True, None),
        ("refuse", False, requests.ConnectionError),
        ("reset", False, requests.ConnectionError),
        ("drop_reply", True, requests.ConnectionError),
        ("bad_gateway", False, None),
    ],
)
def test_each_fault(
    upstream: ThreadingHTTPServer, kind: str, reaches_server: bool, client_error: type[Exception] | None
) -> None:
    with FaultProxy(upstream.server_address[1], plan=lambda i, line: Fault(kind)) as proxy:
        if client_error is None:
            reply = _post(proxy.url)
            assert reply.status_code == (502 if kind == "bad_gateway" else 200)
        else:
            with pytest.raises(client_error):
                _post(proxy.url)
        assert proxy.counts[kind] == 1
        assert proxy.log[0][1] == "POST /x"
    assert (_Counter.received == [b"hello world"]) is reaches_server


def test_delay_lets_the_client_time_out_while_the_server_still_gets_it(upstream: ThreadingHTTPServer) -> None:
    with FaultProxy(upstream.server_address[1], plan=lambda i, line: Fault("delay", 0.6)) as proxy:
        with pytest.raises(requests.Timeout):
            _post(proxy.url, timeout=0.2)
        deadline = threading.Event()
        for _ in range(50):
            if _Counter.received:
                break
            deadline.wait(0.05)
    assert _Counter.received == [b"hello world"]


def test_keep_alive_requests_each_get_their_own_fault(upstream: ThreadingHTTPServer) -> None:
    plan = seeded_plan(3, {"pass": 1.0})
    with FaultProxy(upstream.server_address[1], plan=plan) as proxy, requests.Session() as session:
        for _ in range(5):
            assert session.post(proxy.url + "/x", data=b"hello world", timeout=5).status_code == 200
        assert proxy.counts["pass"] == 5
    assert len(_Counter.received) == 5


def test_seeded_plan_is_reproducible_and_ends_clean() -> None:
    a, b = seeded_plan(11, clean_after=30), seeded_plan(11, clean_after=30)
    first = [a(i, "POST /x").kind for i in range(40)]
    assert first == [b(i, "POST /x").kind for i in range(40)]
    assert set(first[:30]) - {"pass"}
    assert set(first[30:]) == {"pass"}


def test_server_down_looks_like_a_reset() -> None:
    with FaultProxy(1) as proxy, pytest.raises(requests.ConnectionError):
        _post(proxy.url)

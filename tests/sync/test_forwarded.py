"""Behind a reverse proxy: `serve --forwarded-allow-ips` believes X-Forwarded-Proto and X-Forwarded-For from
the proxies it names only; the dashboard's session cookie is Secure when the browser came over https."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sync_server.db import make_engine
from sync_server.login_limits import failures_of, ip_key

from .conftest import Server

PASSWORD = "mat-khau-cua-quan-tri"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PROXY = "127.0.0.1"
STRANGER = "127.0.0.2"  # another loopback address: a machine the server was not told to trust


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("proxied")).setup()
    srv.add_user("quan_tri", PASSWORD)
    srv.start("--forwarded-allow-ips", PROXY)
    yield srv
    srv.stop()


def client_from(address: str, server: Server) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=server.url, transport=transport, timeout=30, follow_redirects=False)


def session_cookie(client: httpx.Client, headers: dict[str, str], password: str = PASSWORD) -> str | None:
    """Log in through the dashboard form; the Set-Cookie line of the session, or None when refused."""
    form = client.get("/dashboard/login", headers=headers)
    token = CSRF.search(form.text)
    assert token, form.text[:500]
    # Sent by hand: a Secure cookie is not sent back over the plain http this test really speaks.
    double_submit = {"Cookie": f"ctt_login_csrf={form.cookies['ctt_login_csrf']}"}
    reply = client.post(
        "/dashboard/login",
        data={"username": "quan_tri", "password": password, "csrf_token": token.group(1)},
        headers={**headers, **double_submit},
    )
    assert reply.status_code in (303, 401), reply.text[:500]
    lines = [v for k, v in reply.headers.multi_items() if k == "set-cookie" and v.startswith("ctt_session=")]
    return lines[0] if lines else None


def failures(server: Server, address: str) -> int:
    engine = make_engine(server.database_url)
    try:
        return failures_of(engine, ip_key(address))
    finally:
        engine.dispose()


def test_https_seen_through_a_trusted_proxy_makes_the_cookie_secure(proxied: Server) -> None:
    with client_from(PROXY, proxied) as client:
        cookie = session_cookie(client, {"X-Forwarded-Proto": "https"})
    assert cookie is not None and "; secure" in cookie.lower(), cookie
    with client_from(PROXY, proxied) as client:
        plain = session_cookie(client, {})
    assert plain is not None and "secure" not in plain.lower().replace("ctt_session", "")


def test_forwarded_headers_from_an_untrusted_address_are_ignored(proxied: Server) -> None:
    with client_from(STRANGER, proxied) as client:
        cookie = session_cookie(client, {"X-Forwarded-Proto": "https"})
    assert cookie is not None and "secure" not in cookie.lower().replace("ctt_session", ""), cookie


def test_failures_count_for_the_forwarded_address_only_through_a_trusted_proxy(
    proxied: Server,
) -> None:
    with client_from(PROXY, proxied) as client:
        assert session_cookie(client, {"X-Forwarded-For": "198.51.100.77"}, password="sai") is None
    assert failures(proxied, "198.51.100.77") == 1 and failures(proxied, PROXY) == 0
    with client_from(STRANGER, proxied) as client:
        assert session_cookie(client, {"X-Forwarded-For": "198.51.100.78"}, password="sai") is None
    assert failures(proxied, "198.51.100.78") == 0 and failures(proxied, STRANGER) == 1


def test_without_the_option_no_forwarded_header_is_believed(tmp_path: Path) -> None:
    srv = Server(tmp_path / "direct").setup()
    srv.add_user("quan_tri", PASSWORD)
    srv.start()
    try:
        with client_from(PROXY, srv) as client:
            cookie = session_cookie(client, {"X-Forwarded-Proto": "https"})
        assert cookie is not None and "secure" not in cookie.lower().replace("ctt_session", ""), cookie
    finally:
        srv.stop()

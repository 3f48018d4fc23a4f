"""HTTPS through a real Caddy reverse proxy with its internal CA: the kiosk trusts only what it was given."""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kiosk.store import KioskStore, verify_pin
from surveys.loader import Survey
from sync_server.db import make_engine
from sync_server.login_limits import failures_of, ip_key
from tests.caddy_proxy import Proxy, caddy_https

from .conftest import Server, make_ballots, survey_kiosk

ADMIN_PASSWORD = "mat-khau-cua-quan-tri"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server as deploy/systemd/survey-server.service runs it: trusting the proxy on 127.0.0.1."""
    srv = Server(tmp_path_factory.mktemp("server")).setup()
    srv.add_user("quan_tri", ADMIN_PASSWORD)
    srv.start("--forwarded-allow-ips", "127.0.0.1")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def proxy(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    with caddy_https(server.port, tmp_path_factory.mktemp("caddy")) as running:
        yield running


def test_a_kiosk_enrolled_with_the_ca_syncs_over_https(
    server: Server, proxy: Proxy, survey: Survey, tmp_path: Path
) -> None:
    home = tmp_path / "kiosk"
    args = ["enrol", "--server", proxy.url, "--code", server.new_code(), "--name", "Quầy HTTPS"]
    done = survey_kiosk(home, *args, "--ca-bundle", str(proxy.root_ca), "--pin", "2468")
    assert done.returncode == 0, done.stderr
    with KioskStore(home / "kiosk.db") as store:
        assert store.get("server_url") == proxy.url and store.get("config_json")
        hashed = store.get("admin_pin_hash")
        assert hashed and verify_pin("2468", hashed) and not verify_pin("1357", hashed)
        make_ballots(store, survey, 12, seed=5)
    done = survey_kiosk(home, "sync")
    assert done.returncode == 0, done.stderr
    assert "created: 12" in done.stdout and "pending: 0" in done.stdout


def test_a_kiosk_without_the_ca_refuses_in_one_sentence(server: Server, proxy: Proxy, tmp_path: Path) -> None:
    code = server.new_code()
    done = survey_kiosk(tmp_path / "k", "enrol", "--server", proxy.url, "--code", code)
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert len(lines) == 1 and "certificate is not trusted" in lines[0] and "--ca-bundle" in lines[0], lines
    # The code was never presented over an untrusted connection, so it still enrols a trusting kiosk.
    again = survey_kiosk(
        tmp_path / "k", "enrol", "--server", proxy.url, "--code", code, "--ca-bundle", str(proxy.root_ca)
    )
    assert again.returncode == 0, again.stderr


def test_a_kiosk_given_another_ca_is_refused(server: Server, proxy: Proxy, tmp_path: Path) -> None:
    other = Path("/etc/ssl/certs/ca-certificates.crt")  # the public CAs: none signed Caddy's certificate
    done = survey_kiosk(
        tmp_path / "k", "enrol", "--server", proxy.url, "--code", server.new_code(), "--ca-bundle", str(other)
    )
    assert done.returncode != 0 and "certificate is not trusted" in done.stderr


@pytest.mark.parametrize(
    ("extra", "words"),
    [(["--pin", "12"], "--pin must be 4 to 8 digits"), (["--ca-bundle", "/khong/co.pem"], "cannot be read")],
)
def test_enrol_mistakes_are_one_sentence(
    server: Server, tmp_path: Path, extra: list[str], words: str
) -> None:
    done = survey_kiosk(tmp_path / "k", "enrol", "--server", server.url, "--code", server.new_code(), *extra)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and words in lines[0], done.stderr


def _log_in(browser: httpx.Client, password: str) -> httpx.Response:
    form = browser.get("/dashboard/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert form.status_code == 200 and token, form.text[:300]
    data = {"username": "quan_tri", "password": password, "csrf_token": token.group(1)}
    return browser.post("/dashboard/login", data=data)


def test_the_dashboard_cookie_is_secure_behind_caddy(server: Server, proxy: Proxy) -> None:
    trust = ssl.create_default_context(cafile=str(proxy.root_ca))
    with httpx.Client(base_url=proxy.url, verify=trust, timeout=30) as browser:
        reply = _log_in(browser, ADMIN_PASSWORD)
        assert reply.status_code == 303, reply.text[:300]
        cookie = next(v for k, v in reply.headers.multi_items() if k == "set-cookie" and "ctt_session=" in v)
        assert "; secure" in cookie.lower() and "httponly" in cookie.lower()
        assert browser.get("/dashboard/").status_code == 200  # the browser sends it back over https


def test_the_server_counts_the_address_caddy_forwards(server: Server, proxy: Proxy) -> None:
    """A browser on 127.0.0.3 fails once: counted for 127.0.0.3, not for Caddy's own 127.0.0.1."""
    trust = ssl.create_default_context(cafile=str(proxy.root_ca))
    transport = httpx.HTTPTransport(local_address="127.0.0.3", verify=trust)
    with httpx.Client(base_url=proxy.url, transport=transport, timeout=30) as browser:
        assert _log_in(browser, "sai").status_code == 401
    engine = make_engine(server.database_url)
    try:
        assert failures_of(engine, ip_key("127.0.0.3")) == 1
        assert failures_of(engine, ip_key("127.0.0.1")) == 0
    finally:
        engine.dispose()

"""HTTPS through a real Caddy reverse proxy with its internal CA: the kiosk trusts only what it was given."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.store import KioskStore, verify_pin
from surveys.loader import Survey
from tests.caddy_proxy import Proxy, caddy_https

from .conftest import Server, make_ballots, survey_kiosk


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

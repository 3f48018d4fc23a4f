"""A real Caddy reverse proxy on loopback with its internal CA, for the HTTPS tests.

with caddy_https(upstream_port) as proxy:
    httpx.get(proxy.url + "/healthz", verify=str(proxy.root_ca))
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

CADDYFILE = """\
{{
	admin off
	skip_install_trust
	storage file_system {storage}
	auto_https disable_redirects
	local_certs
}}
https://localhost:{port} {{
	tls internal
	reverse_proxy 127.0.0.1:{upstream}
}}
"""


@dataclass(frozen=True)
class Proxy:
    url: str
    root_ca: Path
    port: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def caddy_https(upstream_port: int, folder: Path) -> Iterator[Proxy]:
    """Caddy serving https://localhost:PORT with a certificate from its own local CA."""
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.fail("caddy is not installed: scripts/bootstrap installs Debian's caddy package")
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "Caddyfile"
    config.write_text(CADDYFILE.format(storage=folder / "data", port=port, upstream=upstream_port))
    log = (folder / "caddy.log").open("wb")
    process = subprocess.Popen(
        [caddy, "run", "--config", str(config), "--adapter", "caddyfile"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={"HOME": str(folder), "PATH": "/usr/bin:/bin"},
    )
    root = folder / "data" / "pki" / "authorities" / "local" / "root.crt"
    proxy = Proxy(f"https://localhost:{port}", root, port)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise AssertionError(f"caddy exited:\n{(folder / 'caddy.log').read_text()[-2000:]}")
            if root.exists():
                try:
                    httpx.get(proxy.url + "/healthz", verify=str(root), timeout=2)
                    break
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                raise AssertionError(f"caddy did not serve:\n{(folder / 'caddy.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield proxy
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()

"""TLS for tests: a throw-away CA (trustme), a loopback server certificate, the service
served over HTTPS with them."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import trustme

from tests.support import wait_for

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class TlsFiles:
    """PEM files for one test: the CA kiosks trust, the server's chain and key."""

    ca: Path
    cert: Path
    key: Path
    leaf: Path
    """The server's certificate alone: naming it as a kiosk's CA file pins it."""


def make_tls_files(directory: Path) -> TlsFiles:
    """A fresh CA and a certificate for 127.0.0.1 and localhost, written under directory."""
    directory.mkdir(parents=True, exist_ok=True)
    authority = trustme.CA()
    leaf = authority.issue_cert("127.0.0.1", "localhost")
    ca = directory / "ca.pem"
    cert = directory / "server-chain.pem"
    key = directory / "server-key.pem"
    leaf_file = directory / "server-leaf.pem"
    authority.cert_pem.write_to_path(str(ca))
    leaf.private_key_pem.write_to_path(str(key))
    with cert.open("wb") as out:
        for blob in leaf.cert_chain_pems:
            out.write(blob.bytes())
    leaf.cert_chain_pems[0].write_to_path(str(leaf_file))
    key.chmod(0o600)
    return TlsFiles(ca=ca, cert=cert, key=key, leaf=leaf_file)


def trusting(tls: TlsFiles) -> ssl.SSLContext:
    """A client context that trusts only the test's CA."""
    return ssl.create_default_context(cafile=str(tls.ca))


def serve_service(workdir: Path, *args: str) -> subprocess.Popen[str]:
    """`ssu-service serve --demo ARGS` on a fresh SQLite file in workdir."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["SSU_SERVICE_DB"] = f"sqlite:///{workdir / 'service.db'}"
    return subprocess.Popen(
        [sys.executable, "-m", "service", "serve", "--demo", *args],
        env=env,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def https_service(workdir: Path, tls: TlsFiles) -> Iterator[str]:
    """The service in demo mode over HTTPS on loopback; its base URL, until the block ends."""
    port = free_port()
    process = serve_service(
        workdir,
        *("--host", "127.0.0.1", "--port", str(port)),
        *("--tls-cert", str(tls.cert), "--tls-key", str(tls.key)),
    )
    url = f"https://127.0.0.1:{port}"

    def healthy() -> bool:
        assert process.poll() is None, "ssu-service serve exited"
        try:
            answer = httpx.get(f"{url}/v1/health", verify=trusting(tls), timeout=1)
        except httpx.TransportError:
            return False
        return answer.status_code == 200

    try:
        wait_for(healthy, timeout=30, interval=0.1, what="ssu-service serve over TLS")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stderr is not None
        process.stderr.close()

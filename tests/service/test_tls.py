"""The service over HTTPS: a real TLS handshake on loopback with a CA made for the test,
and the service refusing to listen in clear off the machine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.tls import TlsFiles, free_port, https_service, make_tls_files, serve_service, trusting


@pytest.fixture
def tls(tmp_path: Path) -> TlsFiles:
    return make_tls_files(tmp_path)


@pytest.fixture
def https_url(tmp_path: Path, tls: TlsFiles) -> Iterator[str]:
    with https_service(tmp_path, tls) as url:
        yield url


def test_the_service_answers_over_https_to_a_client_that_trusts_its_ca(
    https_url: str, tls: TlsFiles
) -> None:
    answer = httpx.get(f"{https_url}/v1/health", verify=trusting(tls), timeout=5)
    assert answer.status_code == 200


def test_a_client_without_the_ca_refuses_the_handshake(https_url: str) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{https_url}/v1/health", timeout=5)


def test_plain_http_to_the_tls_port_gets_no_api_answer(https_url: str) -> None:
    clear = https_url.replace("https://", "http://")
    try:
        answer = httpx.get(f"{clear}/v1/health", timeout=5)
    except httpx.TransportError:
        return
    assert answer.status_code != 200


@pytest.mark.parametrize(
    "args",
    [
        ("--host", "0.0.0.0"),
        ("--host", "192.0.2.10"),
        ("--host", "127.0.0.1", "--tls-cert", "only-a-cert.pem"),
        ("--host", "127.0.0.1", "--tls-cert", "missing.pem", "--tls-key", "missing-key.pem"),
    ],
    ids=["all-addresses-in-clear", "lan-address-in-clear", "cert-without-key", "missing-files"],
)
def test_the_service_refuses_to_listen_as_configured(tmp_path: Path, args: tuple[str, ...]) -> None:
    process = serve_service(tmp_path, *args, "--port", str(free_port()))
    try:
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 2
    assert "ssu-service: refused:" in err


def test_plain_http_off_loopback_is_allowed_only_when_declared_behind_a_proxy() -> None:
    from service.cli import transport_refusal
    from service.settings import ServiceSettings

    assert transport_refusal(ServiceSettings(host="10.0.0.5")) is not None
    assert transport_refusal(ServiceSettings(host="10.0.0.5", plain_http_ok=True)) is None
    assert transport_refusal(ServiceSettings(host="::1")) is None
    assert transport_refusal(ServiceSettings(host="localhost")) is None

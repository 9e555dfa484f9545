"""The kiosk trusts the service only over HTTPS it can check, and keeps its token in a
file only root reads: settings refusals, and real handshakes on loopback."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from pydantic import ValidationError

from kiosk.service_client import ServiceClient, ServiceUnreachableError
from kiosk.service_tls import trust_context
from kiosk.settings import KioskSettings
from tests.tls import TlsFiles, https_service, make_tls_files


@pytest.mark.parametrize(
    "url",
    ["http://10.0.0.5:8750", "http://ssu.example.nhs.uk", "ftp://127.0.0.1", "127.0.0.1:8750"],
)
def test_a_service_url_in_clear_off_the_machine_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="service_url"):
        KioskSettings(service_url=url)


@pytest.mark.parametrize(
    "url", ["https://ssu.example.nhs.uk", "http://127.0.0.1:8750", "http://localhost:8750"]
)
def test_https_anywhere_and_http_on_loopback_are_taken(url: str) -> None:
    assert KioskSettings(service_url=url).service_url == url


def test_the_token_comes_from_an_owner_only_file(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("tok-from-file\n")
    token_file.chmod(0o600)
    settings = KioskSettings(kiosk_token_file=token_file)
    assert settings.kiosk_token.get_secret_value() == "tok-from-file"
    assert "tok-from-file" not in repr(settings)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o666])
def test_a_token_file_others_may_read_is_refused(tmp_path: Path, mode: int) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("tok-from-file\n")
    token_file.chmod(mode)
    with pytest.raises(ValidationError, match="chmod 600") as refused:
        KioskSettings(kiosk_token_file=token_file)
    assert "tok-from-file" not in str(refused.value)


def test_a_missing_or_empty_token_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="kiosk_token_file"):
        KioskSettings(kiosk_token_file=tmp_path / "absent")
    empty = tmp_path / "empty"
    empty.write_text("  \n")
    empty.chmod(0o600)
    with pytest.raises(ValidationError, match="empty"):
        KioskSettings(kiosk_token_file=empty)


def test_a_missing_ca_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="service_ca_file"):
        KioskSettings(service_ca_file=tmp_path / "absent.pem")


def test_the_entry_hands_the_ca_to_the_client(tmp_path: Path) -> None:
    from kiosk.__main__ import build_app
    from kiosk.store import open_store

    tls = make_tls_files(tmp_path)
    settings = KioskSettings(
        service_url="https://127.0.0.1:9", service_ca_file=tls.ca, store=tmp_path / "k.sqlite"
    )
    store = open_store(settings.store)
    try:
        app = build_app(settings, store)
    finally:
        store.close()
    verify = app.client._service._options["verify"]  # type: ignore[attr-defined]
    assert isinstance(verify, ssl.SSLContext)
    assert verify.verify_mode == ssl.CERT_REQUIRED


@pytest.fixture
def served(tmp_path: Path) -> tuple[TlsFiles, str]:  # type: ignore[misc]
    tls = make_tls_files(tmp_path)
    with https_service(tmp_path, tls) as url:
        yield tls, url


def client(url: str, verify: ssl.SSLContext | bool) -> ServiceClient:
    return ServiceClient(url, "no-token-needed-for-health", timeout=5, retries=0, verify=verify)


async def test_the_client_talks_to_the_service_it_trusts(served: tuple[TlsFiles, str]) -> None:
    tls, url = served
    async with client(url, trust_context(tls.ca)) as trusted:
        assert (await trusted.health()).status == "ok"


async def test_the_client_refuses_a_service_its_cas_do_not_vouch_for(
    served: tuple[TlsFiles, str], tmp_path: Path
) -> None:
    _, url = served
    stranger = make_tls_files(tmp_path / "stranger")
    for verify in (True, trust_context(stranger.ca)):
        async with client(url, verify) as untrusting:
            with pytest.raises(ServiceUnreachableError):
                await untrusting.health()


async def test_naming_the_service_certificate_pins_it(
    served: tuple[TlsFiles, str], tmp_path: Path
) -> None:
    tls, url = served
    async with client(url, trust_context(tls.leaf)) as pinned:
        assert (await pinned.health()).status == "ok"
    other = make_tls_files(tmp_path / "other")
    async with client(url, trust_context(other.leaf)) as wrong_pin:
        with pytest.raises(ServiceUnreachableError):
            await wrong_pin.health()

"""Mail: templates filled, STARTTLS with a checked certificate and login, failures reported."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from service.domain.errors import MailNotSent
from service.mailer import SmtpMailer
from service.settings import CONFIG_DIR
from tests.service.conftest import Mailbox, free_port


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Accept:
    def __init__(self) -> None:
        self.logins: list[str] = []

    def __call__(
        self, _server: Any, _session: Any, _envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password == b"relay-secret"
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok)


def test_starttls_and_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    # The mailer checks the relay's certificate against the default trust store.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    box, auth = Mailbox(), Accept()
    port = free_port()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=auth,
        auth_required=True,
    )
    controller.start()
    try:
        mailer = SmtpMailer(
            "127.0.0.1",
            port,
            "ssu@nhs.net",
            CONFIG_DIR / "mail",
            timeout=5,
            starttls=True,
            user="ssu",
            password="relay-secret",
        )
        mailer.send(
            "kim@nhs.net",
            "unlock-code",
            name="Kim",
            code="12345678",
            expires_at="22 Nov 2026 16:30 UTC",
            ra_contact="the RA team",
        )
        message = box.wait_count("kim@nhs.net", 1)[0]
        assert message["Subject"] == "Your smartcard unlock code"
        assert auth.logins == ["ssu"]
        # A refused login ends with the relay hanging up (after our timeout).
        with pytest.raises(MailNotSent):
            SmtpMailer(
                "127.0.0.1",
                port,
                "ssu@nhs.net",
                CONFIG_DIR / "mail",
                timeout=1,
                starttls=True,
                user="ssu",
                password="wrong",
            ).send(
                "kim@nhs.net", "unlock-code", name="Kim", code="1", expires_at="x", ra_contact="y"
            )
        with pytest.raises(MailNotSent):  # plain text is refused by this relay
            SmtpMailer("127.0.0.1", port, "ssu@nhs.net", CONFIG_DIR / "mail", timeout=5).send(
                "kim@nhs.net", "unlock-code", name="Kim", code="1", expires_at="x", ra_contact="y"
            )
    finally:
        controller.stop()


def test_untrusted_certificate_is_refused(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, tls_context=context)
    controller.start()
    try:
        with pytest.raises(MailNotSent):
            SmtpMailer(
                "127.0.0.1", port, "ssu@nhs.net", CONFIG_DIR / "mail", timeout=5, starttls=True
            ).send(
                "kim@nhs.net", "unlock-code", name="Kim", code="1", expires_at="x", ra_contact="y"
            )
        assert box.to("kim@nhs.net") == []
    finally:
        controller.stop()

"""The card CA whose certificates the service trusts for PIV card proofs.

A trust's PIV cards carry 9A and 9E certificates issued by its card CA; the service
holds only that CA's certificate (`piv_card_ca_file`, PEM), never its key. In demo
mode it trusts the PUBLIC demo card CA of `config/piv-demo-ca.toml` unless a file is
given; outside demo mode that CA is refused like the development keys, since anyone
can issue a certificate under it.
"""

from __future__ import annotations

from cryptography import x509

from card.piv_ca import load_demo_ca
from service.assembly import KeysRefused
from service.settings import ServiceSettings


class CardCaRefused(KeysRefused):
    """The configured card CA cannot be trusted in this mode, or cannot be read."""


def load_card_ca(settings: ServiceSettings) -> x509.Certificate | None:
    """The card CA certificate to check PIV proofs against; None: no PIV cards here.

    Raises:
        CardCaRefused: the public demo card CA outside demo mode, or a file that is
            not a PEM certificate.
    """
    path = settings.piv_card_ca_file
    demo_ca = load_demo_ca().cert
    if path is None:
        return demo_ca if settings.demo else None
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise CardCaRefused(f"piv_card_ca_file {path} is not a readable PEM certificate") from exc
    if cert == demo_ca and not settings.demo:
        raise CardCaRefused("piv_card_ca_file is the PUBLIC demo card CA; it needs --demo")
    return cert

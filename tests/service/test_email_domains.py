"""Email domains compared as a mail system sees them (issue 13 item 7).

The rule lives in contract/contacts.py, which the kiosk and the service share;
each side is checked here through its own door: the kiosk's `email_problem`, and
the service's answer to a registration over real HTTP.
"""

from __future__ import annotations

import pytest

from card.keys import MasterKeys
from contract.contacts import domain_approved, email_approved
from kiosk.contact_rules import email_problem
from kiosk.service_client import ServiceClient, ServiceRejected
from tests.service.conftest import RunningService
from tests.service.holder_steps import start_registration

APPROVED = ["nhs.net", "gov.uk", "mod.uk"]

LOOK_ALIKES = {
    # U+212A KELVIN SIGN lower-cases to an ASCII "k": gov.uk in disguise.
    "kelvin": "j.smith@gov.u\u212a",
    "fullwidth": "j.smith@\uff4e\uff48\uff53.net",
    "dotless_i_lower": "j.smith@d\u0131wp.gov.uk",
    "cyrillic_o": "j.smith@g\u043ev.uk",
    "ideographic_dot": "j.smith@nhs\u3002net",
    "combining": "j.smith@nhs.ne\u0301t",
    "unicode_subdomain": "j.smith@b\u00fccher.gov.uk",
}


@pytest.mark.parametrize("name", sorted(LOOK_ALIKES))
def test_non_ascii_in_the_domain_is_refused_on_both_sides(name: str) -> None:
    email = LOOK_ALIKES[name]
    assert not email_approved(email, APPROVED)
    assert email_problem(email, APPROVED) is not None


def test_approved_domains_are_compared_after_nfkc_and_idna() -> None:
    # A deployment's list may be typed in any form; an address is ASCII (punycode).
    assert domain_approved("nhs.net", ["\uff4e\uff48\uff53.\uff4e\uff45\uff54"])
    assert domain_approved("xn--bcher-kva.example", ["b\u00fccher.example"])
    assert domain_approved("ward.xn--bcher-kva.example", ["B\u00dcCHER.example"])
    assert not domain_approved("b\u00fccher.example", ["b\u00fccher.example"])
    assert not domain_approved("gov.u\u212a", ["gov.uk"])
    assert email_approved("j.smith@dwp.gov.uk", APPROVED)
    assert email_problem("J.Smith@NHS.NET", APPROVED) is None


async def test_the_service_refuses_a_kelvin_sign_domain(
    client: ServiceClient, live_service: RunningService, masters: MasterKeys
) -> None:
    holder = live_service.holder("working")
    with pytest.raises(ServiceRejected) as refused:
        await start_registration(client, masters, holder, email=LOOK_ALIKES["kelvin"])
    assert (refused.value.status, refused.value.code) == (422, "email_not_approved")

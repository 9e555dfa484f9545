"""The kiosk's contact checks refuse every hostile email and mobile, as the service does.

The kiosk checks first so a holder hears at once what to fix; if it let a value
through that the service refuses, the holder would get a vaguer refusal a round
trip later, and if it refused one the service takes, a good address could never
be registered. So the two must agree on every value here.
"""

from __future__ import annotations

import pytest

from kiosk.contact_rules import email_problem, mobile_problem, normalise_mobile
from service.secrecy import email_domain_approved
from service.secrecy import normalise_mobile as service_normalise_mobile
from tests.badinput.nasty import NASTY_EMAILS, NASTY_MOBILES, NASTY_TEXT

APPROVED = ["nhs.net", "gov.uk", "mod.uk"]


@pytest.mark.parametrize("name", sorted(NASTY_EMAILS))
def test_hostile_email_is_refused_on_the_kiosk_with_a_message(name: str) -> None:
    email = NASTY_EMAILS[name]
    problem = email_problem(email, APPROVED)
    assert problem is not None
    assert not email_domain_approved(email, APPROVED)
    if len(email) > 3:
        assert email not in problem  # the message never repeats a pasted blob


@pytest.mark.parametrize("name", sorted(NASTY_MOBILES))
def test_hostile_mobile_is_refused_on_the_kiosk_with_a_message(name: str) -> None:
    mobile = NASTY_MOBILES[name]
    assert mobile_problem(mobile) is not None
    assert normalise_mobile(mobile) is None
    assert service_normalise_mobile(mobile) is None


@pytest.mark.parametrize("name", sorted(NASTY_TEXT))
def test_kiosk_and_service_agree_on_free_text_as_contact_details(name: str) -> None:
    text = NASTY_TEXT[name]
    for value in (text, text + "@nhs.net", "j@" + text, "j" + text + "@nhs.net"):
        kiosk_ok = email_problem(value, APPROVED) is None
        assert kiosk_ok == email_domain_approved(value, APPROVED), repr(value[:40])
    for value in (text, "07700" + text, "07700900123" + text):
        assert normalise_mobile(value) == service_normalise_mobile(value), repr(value[:40])


@pytest.mark.parametrize(
    ("mobile", "stored"),
    [
        ("07700 900 123", "07700900123"),
        ("+44 7700\u00a0900123", "+447700900123"),
        ("\t07700900123\r\n", "07700900123"),
    ],
)
def test_spaces_of_any_kind_are_ignored_in_a_mobile(mobile: str, stored: str) -> None:
    assert mobile_problem(mobile) is None
    assert normalise_mobile(mobile) == service_normalise_mobile(mobile) == stored

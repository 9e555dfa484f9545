"""Contact details and new answers are checked on the kiosk as the service checks them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.answer_rules import ANSWER_MAX, ANSWER_MIN, answer_problem, normalise_answer
from kiosk.contact_rules import (
    domain_approved,
    domains_text,
    email_problem,
    mobile_problem,
    normalise_mobile,
)
from service.secrecy import email_domain_approved
from service.secrecy import normalise_answer as service_normalise_answer
from service.secrecy import normalise_mobile as service_normalise_mobile

DOMAINS = ["nhs.net", "gov.uk", "mod.uk"]


@pytest.mark.parametrize(
    "email",
    ["jo.bloggs@nhs.net", "JO@NHS.NET", " jo@dwp.gov.uk ", "a.b-c+d@x.y.mod.uk"],
)
def test_approved_emails(email: str) -> None:
    assert email_problem(email, DOMAINS) is None


@pytest.mark.parametrize(
    ("email", "fragment"),
    [
        ("", "Type your work email"),
        ("jo.bloggs", "does not look like"),
        ("jo@", "does not look like"),
        ("jo bloggs@nhs.net", "does not look like"),
        ("jo@gmail.com", "ending in nhs.net, gov.uk or mod.uk"),
        ("jo@notnhs.net", "ending in nhs.net"),
        ("jo@nhs.net.evil.com", "ending in nhs.net"),
    ],
)
def test_refused_emails_say_why_and_name_the_domains(email: str, fragment: str) -> None:
    problem = email_problem(email, DOMAINS)
    assert problem is not None and fragment in problem


def test_domains_in_words() -> None:
    assert domains_text(["nhs.net"]) == "nhs.net"
    assert domains_text(["nhs.net", "gov.uk"]) == "nhs.net or gov.uk"
    assert domains_text([]) == "an approved domain"
    assert domain_approved("dwp.gov.uk", ["gov.uk"]) and not domain_approved("xgov.uk", ["gov.uk"])


@pytest.mark.parametrize(
    ("typed", "clean"),
    [
        ("07700900003", "07700900003"),
        ("07700 900 003", "07700900003"),
        ("+44 7700 900003", "+447700900003"),
        ("0113 496 0000", None),
        ("+44 113 496 0000", None),
        ("0770090000", None),
        ("077009000031", None),
        ("+4407700900003", None),
        ("", None),
    ],
)
def test_uk_mobiles(typed: str, clean: str | None) -> None:
    assert normalise_mobile(typed) == clean
    assert (mobile_problem(typed) is None) == (clean is not None)


@pytest.mark.parametrize(
    ("answer", "ok"),
    [("abc", True), ("  a   b  ", True), ("ab", False), ("", False), ("x" * 64, True)],
)
def test_answer_length_after_normalisation(answer: str, ok: bool) -> None:
    assert (answer_problem(answer) is None) is ok
    assert answer_problem("x" * (ANSWER_MAX + 1)) is not None


# The kiosk must never refuse what the service takes, nor send what it refuses.

emails = st.one_of(
    st.emails(),
    st.builds(
        lambda local, sub, dom: f"{local}@{sub}{dom}",
        st.from_regex(r"[A-Za-z0-9._%+-]{1,20}", fullmatch=True),
        st.sampled_from(["", "dwp.", "x.y.", "NHS."]),
        st.sampled_from(["nhs.net", "gov.uk", "mod.uk", "gmail.com", "nhs.net.evil.com"]),
    ),
    st.text(max_size=40),
)


@given(emails)
def test_email_rule_agrees_with_the_service(email: str) -> None:
    assert (email_problem(email, DOMAINS) is None) == email_domain_approved(email, DOMAINS)


mobiles = st.one_of(
    st.from_regex(r"(07|\+447|\+44 7|0 7)[0-9 ]{6,14}", fullmatch=True),
    st.text(alphabet="0123456789 +", max_size=18),
)


@given(mobiles)
def test_mobile_rule_agrees_with_the_service(mobile: str) -> None:
    assert normalise_mobile(mobile) == service_normalise_mobile(mobile)


@given(st.text(max_size=80))
def test_answer_rule_agrees_with_the_service(answer: str) -> None:
    normal = normalise_answer(answer)
    assert normal == service_normalise_answer(answer)
    assert (answer_problem(answer) is None) == (ANSWER_MIN <= len(normal) <= ANSWER_MAX)

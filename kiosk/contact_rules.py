"""Checks of the contact details a holder registers, made on the kiosk before the service.

The service applies the same rules (docs/api.md, Registration); checking here first
means a holder hears at once, in plain words, what to fix, and a typing slip
never costs a round trip. Pure functions: no I/O, so the flow can use them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WHITESPACE = re.compile(r"\s+")
# [0-9], not \d: \d admits every script's digits, which no phone network dials.
_MOBILE = re.compile(r"^(?:07[0-9]{9}|\+447[0-9]{9})$")
# The same shapes the service accepts: a plain local part, a dotted domain.
_LOCAL_PART = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$")
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def domains_text(domains: Iterable[str]) -> str:
    """The approved domains as holders read them: "nhs.net, gov.uk or mod.uk"."""
    names = [d for d in domains if d]
    if not names:
        return "an approved domain"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def domain_approved(domain: str, approved: Iterable[str]) -> bool:
    """Whether `domain` is an approved domain or one of its subdomains (dwp.gov.uk)."""
    domain = domain.lower().strip(".")
    for allowed in approved:
        allowed = allowed.lower().strip().strip(".").lstrip("@")
        if allowed and (domain == allowed or domain.endswith("." + allowed)):
            return True
    return False


def email_problem(email: str, approved: Iterable[str]) -> str | None:
    """Why an email address cannot be registered, or None when it can.

    Args:
        email: The address as typed (surrounding spaces are ignored).
        approved: The approved domains (subdomains admitted).

    Returns:
        A plain-language reason naming the approved domains, or None.
    """
    approved = list(approved)
    email = email.strip()
    if not email:
        return "Type your work email address."
    local, at, domain = email.rpartition("@")
    # fullmatch: `$` alone also matches before a final newline ("abc\n@nhs.net").
    if not at or not _LOCAL_PART.fullmatch(local) or not _DOMAIN.fullmatch(domain.lower()):
        return "That does not look like an email address. Check it and type it again."
    if not domain_approved(domain, approved):
        return (
            f"Use a work email address ending in {domains_text(approved)}. "
            f"Addresses at {domain.lower()} cannot be used for self-service."
        )
    return None


def normalise_mobile(mobile: str) -> str | None:
    """A UK mobile number without spaces (07... or +447...), or None when it is not one."""
    compact = _WHITESPACE.sub("", mobile)
    return compact if _MOBILE.match(compact) else None


def mobile_problem(mobile: str) -> str | None:
    """Why a mobile number cannot be registered, or None when it can.

    Args:
        mobile: The number as typed; spaces are ignored.

    Returns:
        A plain-language reason, or None.
    """
    if not mobile.strip():
        return "Type your mobile phone number."
    if normalise_mobile(mobile) is None:
        return (
            "Type a UK mobile number: 11 digits starting 07, or +44 7 and 9 more digits "
            "(spaces are fine)."
        )
    return None

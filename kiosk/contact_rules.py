"""Checks of the contact details a holder registers, made on the kiosk before the service.

The service applies the same rules (docs/api.md, Registration); checking here first
means a holder hears at once, in plain words, what to fix, and a typing slip
never costs a round trip. Pure functions: no I/O, so the flow can use them.
"""

from __future__ import annotations

from collections.abc import Iterable

from contract.contacts import domain_approved, normalise_mobile, split_email
from contract.language import N_

__all__ = [
    "contact_problems",
    "domain_approved",
    "domains_text",
    "email_problem",
    "mobile_problem",
    "normalise_mobile",
]


def domains_text(domains: Iterable[str]) -> str:
    """The approved domains as holders read them: "nhs.net, gov.uk or mod.uk"."""
    names = [d for d in domains if d]
    if not names:
        return N_("an approved domain")
    if len(names) == 1:
        return names[0]
    return N_("{names} or {last}", names=", ".join(names[:-1]), last=names[-1])


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
        return N_("Type your work email address.")
    parts = split_email(email)
    if parts is None:
        return N_("That does not look like an email address. Check it and type it again.")
    domain = parts[1]
    if not domain_approved(domain, approved):
        return N_(
            "Use a work email address ending in {domains}. "
            "Addresses at {domain} cannot be used for self-service.",
            domains=domains_text(approved),
            domain=domain,
        )
    return None


def mobile_problem(mobile: str) -> str | None:
    """Why a mobile number cannot be registered, or None when it can.

    Args:
        mobile: The number as typed; spaces are ignored.

    Returns:
        A plain-language reason, or None.
    """
    if not mobile.strip():
        return N_("Type your mobile phone number.")
    if normalise_mobile(mobile) is None:
        return N_(
            "Type a UK mobile number: 11 digits starting 07, or +44 7 and 9 more digits "
            "(spaces are fine)."
        )
    return None


def contact_problems(email: str, mobile: str, approved: Iterable[str]) -> tuple[str, ...]:
    """Why an email and mobile cannot be recorded together: one reason for each that fails.

    Args:
        email: The address as typed.
        mobile: The number as typed.
        approved: The approved email domains (subdomains admitted).

    Returns:
        The plain-language reasons, email first; empty when both can be recorded.
    """
    problems = (email_problem(email, approved), mobile_problem(mobile))
    return tuple(problem for problem in problems if problem is not None)

"""Contact details: what a holder registers (approved email domains, UK mobile numbers),
and how holders reach the RA team."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from contract.language import N_

APPROVED_DOMAINS_DEFAULT: tuple[str, ...] = ("nhs.net", "gov.uk", "mod.uk")
"""The approved email domains when a deployment names none (subdomains admitted)."""

_WHITESPACE = re.compile(r"\s+")
# [0-9], not \d: \d admits every script's digits, which no phone network dials.
_MOBILE = re.compile(r"^(?:07[0-9]{9}|\+447[0-9]{9})$")
# A plain local part and a dotted domain: nothing a mail header could be bent with.
_LOCAL_PART = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$")
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def split_email(email: str) -> tuple[str, str] | None:
    """(local part, lower-cased domain) of a well-formed address, or None.

    Surrounding spaces are ignored. fullmatch, not match: `$` alone also matches
    before a final newline, which would let "abc\\n@nhs.net" through to a header.
    """
    local, at, domain = email.strip().rpartition("@")
    # ASCII only, checked before lower-casing: U+212A KELVIN SIGN lower-cases to an
    # ASCII "k", so "gov.u\u212a" would otherwise pass as gov.uk and be stored as
    # typed. An international domain is written in its ASCII (xn--) form.
    if not domain.isascii():
        return None
    domain = domain.lower()
    if not at or not _LOCAL_PART.fullmatch(local) or not _DOMAIN.fullmatch(domain):
        return None
    return local, domain


def comparable_domain(domain: str) -> str | None:
    """A domain in the one form domains are compared in, or None when it has none.

    NFKC and case-folded, then IDNA-encoded (the ASCII form a mail system uses),
    so a look-alike typed into the approved list and its plain form compare equal.
    """
    name = unicodedata.normalize("NFKC", domain).casefold().strip().strip(".").lstrip("@")
    if not name:
        return None
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def domain_approved(domain: str, approved: Iterable[str]) -> bool:
    """Whether `domain` is an approved domain or one of its subdomains (dwp.gov.uk).

    `domain` must be ASCII, as split_email gives it (an international one in its
    xn-- form); approved names are compared in their IDNA form.
    """
    if not domain.isascii():
        return False
    domain = domain.lower().strip(".")
    for entry in approved:
        allowed = comparable_domain(entry)
        if allowed and (domain == allowed or domain.endswith("." + allowed)):
            return True
    return False


def email_approved(email: str, approved: Iterable[str]) -> bool:
    """Whether the address is well formed and on an approved domain."""
    parts = split_email(email)
    return parts is not None and domain_approved(parts[1], approved)


def normalise_mobile(mobile: str) -> str | None:
    """A UK mobile number without spaces (07... or +447...), or None when it is not one."""
    compact = _WHITESPACE.sub("", mobile)
    return compact if _MOBILE.fullmatch(compact) else None


def mask_email(email: str) -> str:
    """j***@nhs.net: the first character of the local part, then stars."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_mobile(mobile: str) -> str:
    """07*** ***123: the first two digits and the last three, stars between."""
    digits = _WHITESPACE.sub("", mobile)
    return f"{digits[:2]}*** ***{digits[-3:]}"


class RaContacts(BaseModel):
    """How holders reach the deployment's Registration Authority (RA) team.

    One source per deployment: the service's settings (`[ra_contacts]`). The service
    quotes `one_line()` in every mail and serves the whole at `GET /v1/ra-contacts`;
    each kiosk shows what the service last sent (kept in its local store for outages).
    """

    model_config = ConfigDict(extra="forbid")

    # A factory, not a default: the default is a Phrase (translated when shown), which
    # the OpenAPI document cannot carry as a JSON default.
    organisation: Annotated[str, StringConstraints(min_length=1, max_length=120)] = Field(
        default_factory=lambda: N_("your local RA team")
    )
    """The team's name as holders know it."""
    email: Annotated[str, StringConstraints(max_length=254)] = ""
    """The team's email address."""
    phone: Annotated[str, StringConstraints(max_length=40)] = ""
    """The team's phone number."""
    opening_hours: Annotated[str, StringConstraints(max_length=200)] = ""
    """When the team answers, in plain words a holder reads (no notes to administrators)."""
    example: bool = False
    """True for the shipped example contacts: every screen and mail says they are not set up."""

    def how_to_reach(self) -> str:
        """Phone and email, "or" between them; "" when neither is set."""
        return " or ".join(part for part in (self.phone, self.email) if part)

    def one_line(self) -> str:
        """The contacts as a phrase for a mail: "the X team on PHONE or EMAIL (HOURS)"."""
        how = self.how_to_reach()
        line = f"{self.organisation} on {how}" if how else self.organisation
        if self.opening_hours:
            line += f" ({self.opening_hours})"
        if self.example:
            line += " [example contact details: this service is not set up yet]"
        return line

"""The RA desk's request and response bodies (docs/api.md "The RA desk").

Beside `contract/wire.py`, whose unlock models they reuse, so the kiosk's client
and the service read the same ones. Field names and JSON are the contract's.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contract.wire import CardProofIn, Text32, Text320, WireModel

RA_ROLES = ("ra", "manager")
"""Roles the holder directory can give: `ra` acts at an RA desk; `manager` also reads
the report (RAs, Sponsors and Local Smartcard Unlockers are all `ra`)."""

RaRole = Literal["ra", "manager"]


class RaSessionOut(WireModel):
    """POST /v1/ra/sessions: the RA's session at this desk."""

    session_id: str
    ra_uuid: str
    ra_name: str
    role: RaRole
    idle_seconds: int
    expires_at: str


class HolderEvent(WireModel):
    """One recent audit record about a holder, as the RA sees it (never a detail)."""

    at: str
    type: str
    outcome: str
    kiosk: str | None


class HolderStateOut(WireModel):
    """What the RA sees of the holder whose card is in the reader."""

    uuid: str
    serial: str
    name: str
    email: str
    mobile: str
    registered: bool
    terms_version: str | None
    registered_at: str | None
    failed_attempts: int
    locked: bool
    locked_at: str | None
    recent_events: list[HolderEvent]


class ContactsIn(WireModel):
    """The holder's email and mobile as the RA records or corrects them."""

    email: Text320
    mobile: Text32


class AssistedUnlockIn(CardProofIn):
    """The holder's card proved again, and the RA's word that the holder stands at the
    desk and matches the card's photo (both must be true)."""

    holder_present: Literal[True]
    photo_matches: Literal[True]


class SignOutIn(WireModel):
    """Why the kiosk ends the RA session."""

    reason: Literal["card_removed", "signed_out", "idle"]


class AssistedUnlockOut(WireModel):
    """An assisted unlock: the cryptogram window runs until expires_at."""

    assisted_unlock_id: str
    expires_at: str


class ReportRow(WireModel):
    """One day at one kiosk in the RA manager's report."""

    day: str
    kiosk: str
    registrations: int
    unlocks_self_service: int
    unlocks_assisted: int
    locks: int
    codes_not_delivered: int
    refusals: dict[str, int] = Field(default_factory=dict)


class ReportOut(WireModel):
    """GET /v1/ra/sessions/{id}/report: the figures per day and kiosk, and their totals."""

    since: str
    until: str
    rows: list[ReportRow]
    totals: ReportRow

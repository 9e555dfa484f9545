"""What the RA may see of a holder's directory row: never answers, hashes or codes.

The RA desk's holder state (`contract.ra_wire.HolderStateOut`) and `ssu-service ra
show` (`service.ra_tools.HolderView`) say the same of the row, so it is read here once.
"""

from __future__ import annotations

from typing import Any, TypedDict

from sqlalchemy import Row

from service.domain.times import rfc3339


class HolderRegistration(TypedDict):
    """Whose card it is, how to reach them, and whether they are registered."""

    uuid: str
    serial: str
    name: str
    email: str
    mobile: str
    registered: bool
    terms_version: str | None
    registered_at: str | None


class HolderLock(TypedDict):
    """How self-service stands for the holder: wrong answers so far and the lock."""

    failed_attempts: int
    locked: bool
    locked_at: str | None


def registration(row: Row[Any]) -> HolderRegistration:
    """The holder's registration facts, from their directory row."""
    return HolderRegistration(
        uuid=row.uuid,
        serial=row.serial,
        name=row.name,
        email=row.email,
        mobile=row.mobile,
        registered=bool(row.registered),
        terms_version=row.terms_version,
        registered_at=rfc3339(row.registered_at) if row.registered_at else None,
    )


def lock(row: Row[Any]) -> HolderLock:
    """The holder's self-service lock, from their directory row."""
    return HolderLock(
        failed_attempts=row.failed_attempts,
        locked=row.locked_at is not None,
        locked_at=rfc3339(row.locked_at) if row.locked_at else None,
    )

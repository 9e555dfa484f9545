"""`SelfService`: the service's parts with the calls in-process users make.

The HTTP routes call the rules in `service.domain` directly; the command line,
the demo seed, benchmarks and tests hold one of these and call its methods,
which only hand over to the module that owns the rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import cached_property
from typing import Any

from contract.ra_wire import ReportOut
from contract.wire import CodeAccepted
from service import demo_seed, ra_tools
from service.domain import idempotency, kiosks, ra_report, unlocks
from service.domain.idempotency import StoredAnswer
from service.domain.parts import Kiosk, Parts
from service.group_commit import GroupCommit
from service.ra_tools import AuditRecord, HolderView


class SelfService(Parts):
    """Unlocks, registrations, nonces, kiosks and the audit, on one store."""

    @cached_property
    def group_commit(self) -> GroupCommit:
        """The cheap requests' relaxed writes, many to a transaction (service/group_commit.py)."""
        return GroupCommit(self)

    def authenticate(self, token: str | None) -> Kiosk:
        """The kiosk holding this bearer token: see `kiosks.authenticate`."""
        return kiosks.authenticate(self, token)

    def add_kiosk(self, name: str, token: str, *, demo: bool = False, ra_desk: bool = False) -> str:
        """Register a kiosk by the hash of its token; returns the kiosk id."""
        return kiosks.add_kiosk(self, name, token, demo=demo, ra_desk=ra_desk)

    def list_kiosks(self) -> list[dict[str, Any]]:
        """Every kiosk, never a token: see `kiosks.list_kiosks`."""
        return kiosks.list_kiosks(self)

    def revoke_kiosk(self, id_or_name: str) -> str:
        """Refuse a kiosk's token from now on: see `kiosks.revoke_kiosk`."""
        return kiosks.revoke_kiosk(self, id_or_name)

    def rotate_kiosk(self, id_or_name: str, token: str) -> str:
        """Give a kiosk a new token, the old one refused: see `kiosks.rotate_kiosk`."""
        return kiosks.rotate_kiosk(self, id_or_name, token)

    def unlock_code(self, kiosk: Kiosk, unlock_id: str, code: str) -> CodeAccepted:
        """Enter an unlock's mailed code: see `unlocks.enter_code`."""
        return unlocks.enter_code(self, kiosk, unlock_id, code)

    def idempotency_begin(
        self, kiosk: Kiosk, key: str, method: str, path: str, body: str
    ) -> StoredAnswer | None:
        """Claim an Idempotency-Key: see `idempotency.begin`."""
        return idempotency.begin(self, kiosk, key, method, path, body)

    def seed_demo(self) -> dict[str, Any]:
        """Insert the missing demo holders and the demo kiosk; the demo data as JSON."""
        return demo_seed.seed_demo(self)

    def add_holder(self, uuid: str, serial: str, name: str, email: str, mobile: str) -> None:
        """Bind a holder UUID to a card serial: see `ra_tools.add_holder`."""
        ra_tools.add_holder(self, uuid, serial, name, email, mobile)

    def clear_lock(self, uuid: str) -> bool:
        """Clear a holder's self-service lock and failure count; False if unknown."""
        return ra_tools.clear_lock(self, uuid)

    def set_ra_role(self, uuid: str, role: str | None) -> bool:
        """Give or take a holder's RA role: see `ra_tools.set_ra_role`."""
        return ra_tools.set_ra_role(self, uuid, role)

    def report(self, since: date, until: date) -> ReportOut:
        """The RA manager's report: see `ra_report.figures`."""
        return ra_report.figures(self, since, until)

    def show_holder(self, uuid: str) -> HolderView | None:
        """What the RA may see about a holder (never answers, hashes or codes)."""
        return ra_tools.show_holder(self, uuid)

    def export_audit(self, since: float | None = None) -> Iterator[AuditRecord]:
        """Audit records in order, optionally only those recorded at or after since."""
        return ra_tools.export_audit(self, since)

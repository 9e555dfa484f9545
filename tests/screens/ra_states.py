"""Representative states of the RA desk's screens (issue 17), for snapshots in both languages."""

from __future__ import annotations

import dataclasses

from contract.language import N_, plural
from kiosk.flow import ra_states as ra
from kiosk.flow import states as s
from kiosk.flow.facts import PinState
from kiosk.passcode_rules import PasscodeRules
from tests.screens.harness import CARD, kiosk_state

RA_CARD = dataclasses.replace(
    CARD, serial="0099887766554433", name="Robin Registrar", pin=PinState.WORKING
)
SESSION = ra.RaSession("ras_1", "Robin Registrar", RA_CARD.serial, "manager", 900)
VIEW = ra.RaHolderView(
    name=CARD.name,
    registered=True,
    locked=True,
    failed_attempts=3,
    email="alex.example@nhs.net",
    mobile="07700 900123",
    recent=(
        ra.RaEvent("2026-11-22 14:01", "unlock_answers", "self_service_locked", "Kiosk 3"),
        ra.RaEvent("2026-11-22 13:58", "unlock_answers", "answers_wrong", "Kiosk 3"),
        ra.RaEvent("2026-11-22 13:55", "unlock_start", "ok", "Kiosk 3"),
    ),
)
REPORT = ra.RaReportView(
    since="2026-10-24",
    until="2026-11-22",
    days=("2026-10-24", "2026-11-22"),
    unlocks_per_day=(3, 5),
    registrations=41,
    unlocks_self_service=27,
    unlocks_assisted=6,
    locks=4,
    codes_not_delivered=1,
    refusals=(("code_wrong", 9), ("card_proof_invalid", 2)),
    kiosks=(
        N_(
            "{name}: {registrations} registrations, {self_service} + {assisted} unlocks, "
            "{locks} locks, {refusals} refusals",
            name="Kiosk 3",
            registrations=41,
            self_service=27,
            assisted=6,
            locks=4,
            refusals=11,
        ),
    ),
)


def report_state(**changes: object) -> s.KioskState:
    """The report screen with REPORT on show, changed by `changes`."""
    report = ra.RaReport(
        session=SESSION,
        back_to=ra.RaHome(session=SESSION),
        since=REPORT.since,
        until=REPORT.until,
        report=REPORT,
        loading=False,
    )
    return kiosk_state(dataclasses.replace(report, **changes), card=None)  # type: ignore[arg-type]


def ra_states() -> dict[str, s.KioskState]:
    """Snapshot name -> state, one per RA desk screen."""
    return {
        "ra_passcode": kiosk_state(
            ra.RaPasscode(
                card=RA_CARD,
                error=plural(
                    "That passcode is not right. Your card allows {count} more try.",
                    "That passcode is not right. Your card allows {count} more tries.",
                    2,
                ),
            ),
            card=RA_CARD,
        ),
        "ra_home": kiosk_state(ra.RaHome(session=SESSION), card=None),
        "ra_holder": kiosk_state(ra.RaHolder(session=SESSION, holder=CARD, view=VIEW)),
        "ra_confirm": kiosk_state(ra.RaConfirmHolder(session=SESSION, holder=CARD, view=VIEW)),
        "ra_new_passcode": kiosk_state(
            ra.RaNewPasscode(
                session=SESSION,
                holder=CARD,
                view=VIEW,
                rules=tuple(PasscodeRules().describe()),
            )
        ),
        "ra_contacts": kiosk_state(
            ra.RaContacts(
                session=SESSION,
                holder=CARD,
                view=VIEW,
                approved_domains=("nhs.net", "gov.uk"),
                errors=(N_("Use an email address on an approved domain."),),
            )
        ),
        "ra_report": report_state(),
        "ra_report_dates": report_state(
            choosing_dates=True,
            error=N_("The last day is before the first day. Nothing was changed."),
        ),
        "ra_report_counting": report_state(
            since="2026-08-25", until="2026-11-22", report=None, loading=True
        ),
        "ra_ended": kiosk_state(
            ra.RaEnded(why=N_("Your RA session has ended. Sign in again with your card.")),
            card=None,
        ),
    }

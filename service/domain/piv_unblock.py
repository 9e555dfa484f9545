"""The PIV end of an unlock: release the escrowed PUK pair, record the card's rotation.

After the answers and the code (step `accepted`), the kiosk holding a PIV unlock
asks for the card's PUK and the fresh PUK to rotate it to (`puk_escrow.release`,
which records the fresh one before answering), unblocks the card, rotates its PUK
and reports the rotation. Only that kiosk, only for the card the unlock proved,
only until the unlock closes; at most MAX_PUK_RELEASES times in one unlock, so a
card pulled out mid-write or a kiosk restarted can finish the same unblock, each
release audited (never the PUK).
"""

from __future__ import annotations

from contract.wire import Empty, PukOut
from service.domain import puk_escrow
from service.domain.audit import record, refuse
from service.domain.errors import CryptogramLimitReached, StepOutOfOrder
from service.domain.kept_answers import keep
from service.domain.parts import Kiosk, Parts
from service.domain.unlocks import UNLOCK, accepted, load, owe_attempt_notice
from service.queries import flows
from service.tables import unlocks

MAX_PUK_RELEASES = 5


def release_puk(parts: Parts, kiosk: Kiosk, unlock_id: str) -> PukOut:
    """POST /v1/unlocks/{id}/puk: the PUK pair for the card of this accepted PIV unlock."""
    now = parts.now()
    with parts.transaction() as conn:
        row, who = accepted(
            parts, conn, kiosk, unlock_id, "piv", "No unblocking key can be released now."
        )
        if row.puk_releases >= MAX_PUK_RELEASES:
            limit = CryptogramLimitReached("This unlock has had its unblocking keys.")
            refuse(parts, conn, "unlock_puk", limit, **who)
        released = puk_escrow.release(parts.masters, conn, row.serial, now)
        if released is None:
            missing = StepOutOfOrder("The service holds no unblocking key for this card.")
            refuse(parts, conn, "unlock_puk", missing, **who)
        flows.change(conn, unlocks, unlock_id, puk_releases=row.puk_releases + 1)
        if row.puk_releases == 0:
            # The kiosk may now unblock the card with a passcode of its choosing: the
            # holder hears of it even if no result is ever reported.
            owe_attempt_notice(parts, conn, kiosk, row)
        record(
            parts,
            conn,
            "unlock_puk",
            "released",
            **who,
            count=row.puk_releases + 1,
            settle=released.settle,
            rotation=released.rotation,
        )
        keep(conn, None)  # never stored: a repeat is another release, counted
    return PukOut(
        puk=released.puk.reveal(),
        next_puk=released.next_puk.reveal(),
        settle=released.settle,
        rotation=released.rotation,
    )


def puk_rotated(parts: Parts, kiosk: Kiosk, unlock_id: str, rotation: int) -> Empty:
    """POST /v1/unlocks/{id}/puk-rotated: the card took the pending PUK of `rotation`.

    A repeat, or a report of a rotation already recorded, answers the same and
    changes nothing.
    """
    now = parts.now()
    with parts.transaction() as conn:
        row = load(parts, conn, kiosk, unlock_id)
        who = UNLOCK.who(kiosk, row)
        if row.profile != "piv" or row.puk_releases == 0:
            raise StepOutOfOrder("No unblocking key was released for this unlock.")
        changed = puk_escrow.rotated(conn, row.serial, rotation, now)
        record(
            parts,
            conn,
            "unlock_puk_rotated",
            "ok" if changed else "already_recorded",
            **who,
            rotation=rotation,
        )
        keep(conn, Empty())
    return Empty()

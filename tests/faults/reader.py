"""The card reader service taken away mid-journey and given back (the fault rows'
card side): pcscd killed, or the reader gone while pcscd runs on.

Back, the virtual card reconnects to vpcd like a card that stayed in the reader.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from card.pcscd import PrivatePcscd
from kiosk.app import KioskApp
from kiosk.flow import states as s
from tests.app.journey import until
from tests.faults.cards import on_both_profiles

READER_FAULTS = ["pcscd_killed", "reader_gone"]


def reader_fault_cells(steps: Iterable[str]) -> list[object]:
    """Parameter sets (profile, fault, step): each fault at each step on the own-applet
    card; on a PIV card pcscd killed at each step, as the reader gone takes the kiosk
    down the same path (the same card read again when the reader is back)."""
    return on_both_profiles(
        [(fault, step) for fault in READER_FAULTS for step in steps],
        [("pcscd_killed", step) for step in steps],
    )


async def take_the_reader_away(
    pilot: Any, kiosk: KioskApp, pcscd: PrivatePcscd, fault: str
) -> None:
    """Kill pcscd, or restart it without the reader; the kiosk says which is missing."""
    if fault == "pcscd_killed":
        pcscd.kill()
        await until(pilot, kiosk, lambda st: isinstance(st.screen, s.NoCardService))
    else:
        pcscd.stop()
        pcscd.write_config = False
        pcscd.start()
        await until(pilot, kiosk, lambda st: isinstance(st.screen, s.NoReader), timeout=20)


def give_the_reader_back(pcscd: PrivatePcscd, fault: str) -> None:
    """Undo `take_the_reader_away`: pcscd started again, with its reader."""
    if fault == "pcscd_killed":
        pcscd.start()
    else:
        pcscd.write_config = True
        pcscd.restart()

"""End to end in a real terminal (tmux): the RA desk (issue 17 item 5).

`ssu-kiosk` runs as an RA desk against the private pcscd, the demo service (its kiosk
an RA desk) and the SMTP catcher. The demo RA signs in with their own card and
passcode, takes the card out, puts in the demo holder whose self-service was locked,
clears the lock, unlocks the card with a passcode the holder types, and signs out;
the card then takes the new passcode. The kiosk's store files and every captured
screen are searched for the RA's passcode and the new one.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from card.reader import CardSession
from demo.world import DemoWorld
from tests.app.conftest import holder
from tests.app.ra_support import lock_self_service, swap_card
from tests.conftest import READER, reader_has_card
from tests.e2e.terminal import Terminal, assert_nothing_kept_or_shown, kiosk_command, need_tmux
from tests.support import wait_for

pytestmark = pytest.mark.pcsc

NEW_PASSCODE = "491736"


def test_an_ra_unlocks_a_card_at_the_desk_in_a_real_terminal(
    world: DemoWorld, tmp_path: Path
) -> None:
    need_tmux()
    ra, alex = holder(world, "ra"), holder(world, "locked")
    assert world.cards is not None
    # Before the kiosk starts: the holder's self-service locked by three wrong answer sets.
    world.cards.insert("locked")
    wait_for(lambda: reader_has_card(True, READER), what="the card in")
    asyncio.run(lock_self_service(world))
    swap_card(world, None)

    command, env = kiosk_command(world, tmp_path / "kiosk.sqlite")
    term = Terminal("ra-desk", command, {**env, "SSU_KIOSK_RA_DESK": "true"})
    try:
        term.wait_text("Insert your smartcard")
        world.cards.insert("ra")
        term.wait_text("Sign in as an RA")
        term.keys("3")
        term.wait_text("Your passcode:")
        term.enter(ra["pin"])
        term.wait_text(f"Signed in as {ra['name']}")

        swap_card(world, "locked")
        term.wait_text("Self-service is LOCKED")
        assert alex["name"] in term.capture()
        term.keys("c")
        term.wait_text("Self-service is not locked")
        term.keys("u")
        term.wait_text("Check the holder")
        term.keys("y")
        term.wait_text("Type it again:")
        typed_from = len(term.screens)
        term.enter(NEW_PASSCODE, NEW_PASSCODE)
        term.wait_text("The card was unlocked", timeout=30)
        term.keys("s")
        term.wait_text("RA session ended")
        swap_card(world, None)
        term.wait_text("Insert your smartcard")
    finally:
        term.close()
    world.cards.insert("locked")
    wait_for(lambda: reader_has_card(True, READER), what="the card in")
    with CardSession.open(READER) as session:
        session.verify(NEW_PASSCODE)
    world.cards.personalisation("locked").pin = NEW_PASSCODE  # for the world's scan

    secrets = [NEW_PASSCODE, ra["pin"]]
    assert typed_from > 0
    assert_nothing_kept_or_shown(term, secrets, tmp_path)

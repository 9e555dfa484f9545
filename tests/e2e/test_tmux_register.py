"""End to end in a real terminal: register, lock the card, unlock it with the new answers.

`ssu-kiosk` runs in tmux against the private pcscd, the demo service and the real
SMTP catcher. The unregistered demo holder registers by keys with questions
chosen here; then the card is locked by three wrong passcodes (straight through
`card/`, as a holder guessing elsewhere would), taken out and put back, and
unlocked at the kiosk with the answers just registered. The kiosk's store files
and every captured screen are then searched for the secrets used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from card.reader import CardSession
from demo.world import DemoWorld
from tests.app.conftest import holder, latest_code
from tests.conftest import READER
from tests.e2e.terminal import (
    CATALOGUE,
    Terminal,
    answer_questions,
    assert_nothing_kept_or_shown,
    kiosk_terminal,
    locked_elsewhere_and_back,
    register_up_to_the_code,
    up_to_the_terms,
)

pytestmark = pytest.mark.pcsc

# Four questions by their place in the catalogue, with answers nobody else uses.
CHOSEN = [CATALOGUE[i]["id"] for i in (2, 5, 11, 16)]
ANSWERS = {qid: f"Tmux Answer {n} Kestrel" for n, qid in enumerate(CHOSEN, start=1)}
NEW_PASSCODE = "470258"


@pytest.fixture
def register_terminal(world: DemoWorld, tmp_path: Path) -> Iterator[Terminal]:
    with kiosk_terminal("register", world, tmp_path / "kiosk.sqlite") as term:
        yield term


def test_register_then_unlock_with_the_new_answers(
    world: DemoWorld, register_terminal: Terminal, tmp_path: Path
) -> None:
    term = register_terminal
    sam = holder(world, "unregistered")
    assert world.cards is not None and not sam["answers"]
    # Passcode, checked by the card.
    up_to_the_terms(world, term)
    # Terms: scroll, then accept.
    term.keys("PageDown", "End", "Enter")
    register_up_to_the_code(term, sam["email"], CHOSEN, ANSWERS)
    registration_code = latest_code(world, sam["email"])
    term.enter(registration_code)
    term.wait_text("You are registered for self-service", timeout=30)

    locked_elsewhere_and_back(world, term, "Insert your smartcard", "Your card is locked")

    # The unlock asks 3 of the 4 questions just registered.
    screen = term.wait_text("Type the answers you gave when you registered")
    asked = answer_questions(term, screen, {qid: a.lower() for qid, a in ANSWERS.items()})
    assert set(asked) <= set(CHOSEN)
    term.wait_text("Check your email")
    unlock_code = latest_code(world, sam["email"], count=2)
    assert unlock_code != registration_code
    term.enter(unlock_code)
    term.wait_text("Choose a new passcode")
    term.enter(NEW_PASSCODE, NEW_PASSCODE)
    term.wait_text("Your card is unlocked", timeout=30)

    with CardSession.open(READER) as session:
        session.verify(NEW_PASSCODE)

    secrets = [sam["pin"], NEW_PASSCODE, registration_code, unlock_code, *ANSWERS.values()]
    assert_nothing_kept_or_shown(term, secrets, tmp_path)

"""End to end in a real terminal: register, lock the card, unlock it with the new answers.

`ssu-kiosk` runs in tmux against the private pcscd, the demo service and the real
SMTP catcher. The unregistered demo holder registers by keys with questions
chosen here; then the card is locked by three wrong passcodes (straight through
`card/`, as a holder guessing elsewhere would), taken out and put back, and
unlocked at the kiosk with the answers just registered. The kiosk's store files
and every captured screen are then searched for the secrets used.
"""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from card import apdu
from card.apdu import PinState
from card.reader import CardSession
from demo.world import DemoWorld
from tests.app.conftest import holder, latest_code
from tests.conftest import READER, reader_has_card
from tests.e2e.test_tmux_unlock import Terminal, kiosk_command
from tests.support import wait_for

pytestmark = pytest.mark.pcsc

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = tomllib.loads((ROOT / "config" / "questions.toml").read_text())["questions"]
TEXT = {q["id"]: q["text"] for q in CATALOGUE}
# Four questions by their place in the catalogue, with answers nobody else uses.
CHOSEN = [CATALOGUE[i]["id"] for i in (2, 5, 11, 16)]
ANSWERS = {qid: f"Tmux Answer {n} Kestrel" for n, qid in enumerate(CHOSEN, start=1)}
NEW_PASSCODE = "470258"
WRONG = ("000001", "000002", "000003")


@pytest.fixture
def kiosk_terminal(world: DemoWorld, tmp_path: Path) -> Iterator[Terminal]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed: `make test` installs it")
    term = Terminal("register", *kiosk_command(world, tmp_path / "kiosk.sqlite"))
    yield term
    term.close()


def test_register_then_unlock_with_the_new_answers(
    world: DemoWorld, kiosk_terminal: Terminal, tmp_path: Path
) -> None:
    term = kiosk_terminal
    sam = holder(world, "unregistered")
    assert world.cards is not None and not sam["answers"]
    term.wait_text("Insert your smartcard")
    world.cards.insert("unregistered")
    term.wait_text("Your card is working")
    term.keys("1")

    # Passcode, checked by the card.
    term.wait_text("Your passcode:")
    term.type(sam["pin"])
    term.keys("Enter")
    # Terms: scroll, then accept.
    term.wait_text("Terms and conditions of self-service")
    term.keys("PageDown", "End", "Enter")
    # Contacts (checked on the kiosk first; the refusals are in the Pilot tests).
    term.wait_text("Your contact details")
    term.type(sam["email"])
    term.keys("Enter")
    term.type("07700 900003")
    term.keys("Enter")

    # Four questions by keyboard: Down to each, Space to choose it.
    term.wait_text("Chosen: 0 of 4")
    position = 0
    for qid in CHOSEN:
        target = next(i for i, q in enumerate(CATALOGUE) if q["id"] == qid)
        for _ in range(target - position):
            term.keys("Down")
        term.keys("Space")
        position = target
    term.wait_text("Chosen: 4 of 4")
    term.keys("Enter")

    # Each answer twice, in the order chosen.
    term.wait_text("Type each answer twice")
    for qid in CHOSEN:
        for _ in range(2):
            term.type(ANSWERS[qid])
            term.keys("Enter")
    term.wait_text("This code finishes your registration")
    registration_code = latest_code(world, sam["email"])
    term.type(registration_code)
    term.keys("Enter")
    term.wait_text("You are registered for self-service", timeout=30)

    # Three wrong passcodes elsewhere lock the card.
    with CardSession.open(READER) as session:
        for wrong in WRONG:
            with pytest.raises((apdu.WrongPin, apdu.PinBlocked)):
                session.verify(wrong)
        assert session.pin_status().state is PinState.BLOCKED
    world.cards.remove()
    wait_for(lambda: reader_has_card(False), what="the card to be out")
    term.wait_text("Insert your smartcard", timeout=30)
    world.cards.insert("unregistered")
    term.wait_text("Your card is locked")
    term.keys("Enter")

    # The unlock asks 3 of the 4 questions just registered.
    screen = term.wait_text("Type the answers you gave when you registered")
    asked = [qid for qid in CHOSEN if TEXT[qid] in screen]
    assert len(asked) == 3, screen
    for qid in sorted(asked, key=lambda q: screen.index(TEXT[q])):
        term.type(ANSWERS[qid].lower())
        term.keys("Enter")
    term.wait_text("Check your email")
    unlock_code = latest_code(world, sam["email"], count=2)
    assert unlock_code != registration_code
    term.type(unlock_code)
    term.keys("Enter")
    term.wait_text("Choose a new passcode")
    term.type(NEW_PASSCODE)
    term.keys("Enter")
    term.type(NEW_PASSCODE)
    term.keys("Enter")
    term.wait_text("Your card is unlocked", timeout=30)

    with CardSession.open(READER) as session:
        session.verify(NEW_PASSCODE)

    secrets = [sam["pin"], NEW_PASSCODE, registration_code, unlock_code, *ANSWERS.values()]
    files = [p for p in tmp_path.glob("kiosk.*") if p.is_file()]
    assert files, "the kiosk wrote no store"
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"a secret is in {path.name}"
    for shown in term.screens:
        for secret in secrets:
            assert secret not in shown, "a secret was on screen"

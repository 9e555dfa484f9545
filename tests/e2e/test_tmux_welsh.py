"""End to end in a real terminal, in Welsh: a kiosk deployed with `language = "cy"`
greets the holder in Welsh; they register, get their code mail in Welsh, lock the
card elsewhere and unlock it at the kiosk with the new answers, all in Welsh, and
the unlock notice comes in Welsh too. F9 switches to English and back on the way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from card.reader import CardSession
from contract.language import Language, translate
from demo.world import DemoWorld
from tests.app.conftest import holder, latest_code
from tests.conftest import READER
from tests.e2e.terminal import (
    CATALOGUE,
    RegistrationScreens,
    Terminal,
    assert_nothing_kept_or_shown,
    kiosk_terminal,
    locked_elsewhere_and_back,
    register_up_to_the_code,
)
from tests.e2e.test_tmux_register import CHOSEN
from tests.support import wait_for

pytestmark = pytest.mark.pcsc

WELSH = {q["id"]: translate(q["text"], Language.WELSH) for q in CATALOGUE}
ANSWERS = {qid: f"Ateb Tmux {n} Barcud" for n, qid in enumerate(CHOSEN, start=1)}
NEW_PASSCODE = "570248"
IN_WELSH = RegistrationScreens(
    contact_details="Eich manylion cyswllt",
    none_chosen="Wedi dewis: 0 o 4",
    all_chosen="Wedi dewis: 4 o 4",
    answers="Teipiwch bob ateb ddwywaith",
    code="Mae'r cod hwn yn gorffen eich cofrestriad",
)


@pytest.fixture
def welsh_terminal(world: DemoWorld, tmp_path: Path) -> Iterator[Terminal]:
    # The deployment's default language, and no loudspeaker in a test run.
    env = {"SSU_KIOSK_LANGUAGE": "cy", "SSU_KIOSK_SPEECH_PROGRAM": ""}
    with kiosk_terminal("welsh", world, tmp_path / "kiosk.sqlite", env) as term:
        yield term


def mails_to(world: DemoWorld, email: str) -> list[object]:
    return [m for m in world.mail.mailbox.snapshot() if email in str(m["To"])]


def test_a_welsh_holder_registers_and_unlocks_in_a_real_terminal(
    world: DemoWorld, welsh_terminal: Terminal
) -> None:
    term = welsh_terminal
    sam = holder(world, "unregistered")
    assert world.cards is not None
    term.wait_text("Rhowch eich cerdyn clyfar i mewn")
    term.wait_text("F9  English")
    world.cards.insert("unregistered")
    term.wait_text("Mae eich cerdyn yn gweithio")
    term.keys("1")
    term.wait_text("Eich cod pas:")
    term.type(sam["pin"][:3])
    # English for a moment: the passcode typed so far stays.
    term.keys("F9")
    term.wait_text("Your passcode:")
    term.keys("F9")
    term.wait_text("Eich cod pas:")
    term.enter(sam["pin"][3:])
    term.wait_text("Telerau ac amodau hunanwasanaeth")
    term.wait_text("Datgloi hunanwasanaeth: telerau ac amodau")
    term.keys("PageDown", "End", "Enter")
    register_up_to_the_code(term, sam["email"], CHOSEN, ANSWERS, IN_WELSH)
    mail = wait_for(lambda: mails_to(world, sam["email"]), timeout=30, what="the code mail")[-1]
    assert mail["Subject"] == "Eich cod cofrestru hunanwasanaeth cerdyn clyfar"  # type: ignore[index]
    registration_code = latest_code(world, sam["email"])
    term.enter(registration_code)
    term.wait_text("Rydych wedi cofrestru ar gyfer hunanwasanaeth", timeout=30)

    locked_elsewhere_and_back(
        world, term, "Rhowch eich cerdyn clyfar i mewn", "Mae eich cerdyn wedi'i gloi"
    )
    term.wait_text("Teipiwch yr atebion a roesoch wrth gofrestru")
    # The questions are asked in Welsh; the first few words identify each one. Welsh
    # runs longer, so the third may be below the fold until the cursor reaches it
    # (the body scrolls to the field): the top-most one not yet answered is the
    # one the cursor is in.
    answered: list[str] = []
    for _ in range(3):

        def next_question() -> tuple[str, str] | None:
            screen = term.capture()
            waiting = [q for q in CHOSEN if WELSH[q][:30] in screen and q not in answered]
            if not waiting:
                return None  # the body has not scrolled to the next field yet
            return screen, min(waiting, key=lambda q: screen.index(WELSH[q][:30]))

        screen, qid = wait_for(next_question, timeout=20, what="the next question")
        term.enter(ANSWERS[qid].lower())
        answered.append(qid)
    term.wait_text("Gwiriwch eich e-bost")
    unlock_code = latest_code(world, sam["email"], count=2)
    code_mail = mails_to(world, sam["email"])[1]
    assert code_mail["Subject"] == "Cod datgloi eich cerdyn clyfar"  # type: ignore[index]
    term.enter(unlock_code)
    term.wait_text("Dewiswch god pas newydd")
    term.enter(NEW_PASSCODE, NEW_PASSCODE)
    term.wait_text("Mae eich cerdyn wedi'i ddatgloi", timeout=30)
    notice = wait_for(
        lambda: [
            m
            for m in mails_to(world, sam["email"])
            if m["Subject"] == "Cafodd eich cerdyn clyfar ei ddatgloi"  # type: ignore[index]
        ],
        timeout=30,
        what="the unlock notice in Welsh",
    )
    assert notice
    with CardSession.open(READER) as session:
        session.verify(NEW_PASSCODE)
    secrets = [sam["pin"], NEW_PASSCODE, registration_code, unlock_code, *ANSWERS.values()]
    assert_nothing_kept_or_shown(term, secrets)

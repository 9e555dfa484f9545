"""Registering and changing a passcode through the real app, card, service and mail (Pilot).

The holder types with keys as at the kiosk; what reached the card is checked with
`card/`, what reached the service with its audit export, and the kiosk's store
files, the kiosk's log, the service's log and the audit export are searched for
every secret used.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from card import apdu
from card.reader import CardSession
from contract.codes import group_code
from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.effects.store import CATALOGUE_KEY
from kiosk.flow import states as s
from tests.app.conftest import holder, latest_code
from tests.app.journey import SIZE, audit_export, card_in, drain_outbox, fields_ready, on, until

pytestmark = pytest.mark.pcsc

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE_IDS = [
    q["id"] for q in tomllib.loads((ROOT / "config" / "questions.toml").read_text())["questions"]
]
NEW_ANSWERS = {
    CATALOGUE_IDS[1]: "Kiosk Answer Alpha",
    CATALOGUE_IDS[4]: "Kiosk Answer Bravo",
    CATALOGUE_IDS[9]: "Kiosk Answer Charlie",
    CATALOGUE_IDS[17]: "Kiosk Answer Delta",
}


async def choose(pilot: Any, app: KioskApp, wanted: list[str]) -> None:
    """Move through the list with the arrow keys and press Space on each wanted question."""
    state = await until(pilot, app, on(s.ChooseQuestions))
    assert isinstance(state.screen, s.ChooseQuestions)
    ids = [q.id for q in state.screen.catalogue]
    assert len(ids) == 20
    position = 0
    for qid in sorted(wanted, key=ids.index):
        target = ids.index(qid)
        await pilot.press(*["down"] * (target - position), "space")
        position = target
    await pilot.pause()
    state = await until(pilot, app, lambda st: len(getattr(st.screen, "chosen", ())) == 4)
    assert set(state.screen.chosen) == set(wanted)  # type: ignore[attr-defined]
    await pilot.press("enter")


async def type_registration_answers(
    pilot: Any,
    app: KioskApp,
    answers: dict[str, str],
    again: Callable[[str], str] = str,
    submit: bool = True,
) -> None:
    """On the answers screen, once its fields are ready: each chosen question's answer
    from `answers`, Enter, the answer again as `again` makes it, Enter (after the last
    one only when `submit`)."""
    state = await until(pilot, app, on(s.RegistrationAnswers))
    await fields_ready(pilot, app)
    assert isinstance(state.screen, s.RegistrationAnswers)
    questions = state.screen.questions
    for i, question in enumerate(questions):
        answer = answers[question.id]
        await pilot.press(*answer, "enter", *again(answer))
        if submit or i + 1 < len(questions):
            await pilot.press("enter")


async def to_contact_details(pilot: Any, app: KioskApp, sam: dict[str, Any]) -> None:
    """From the card status of the card in the reader to its contact details, fields ready."""
    await until(pilot, app, on(s.CardStatus))
    await pilot.press("1")
    await until(pilot, app, on(s.PasscodeEntry))
    await fields_ready(pilot, app)
    await pilot.press(*sam["pin"], "enter")
    await until(pilot, app, on(s.Terms))
    await pilot.press("pagedown", "enter")
    await until(pilot, app, on(s.ContactDetails))
    await fields_ready(pilot, app)


async def register(
    pilot: Any, app: KioskApp, world: DemoWorld, sam: dict[str, Any], answers: dict[str, str]
) -> str:
    """Register the holder of the card in the reader by keys; returns the code used."""
    await to_contact_details(pilot, app, sam)
    await pilot.press(*sam["email"], "enter", *"07700 900 003", "enter")
    await choose(pilot, app, list(answers))
    await type_registration_answers(pilot, app, answers, again=str.upper)
    state = await until(pilot, app, on(s.RegistrationCodeEntry))
    assert isinstance(state.screen, s.RegistrationCodeEntry)
    assert state.screen.sent_to.startswith(sam["email"][0] + "***@")
    code = latest_code(world, sam["email"])
    await pilot.press(*code, "enter")
    await until(pilot, app, on(s.Registered))
    return code


async def change_passcode_after_a_run_and_a_wrong_one(
    pilot: Any, app: KioskApp, old: str, new: str, tries_left: Callable[[], int]
) -> None:
    """On the change passcode screen: a run, refused on the kiosk (the card is never
    asked: `tries_left()` stays at 3); a wrong passcode, which the card counts and the
    screen says so; then `old` changed to `new`."""
    await pilot.press(*old, "enter", *"123456", "enter", *"123456", "enter")
    await until(pilot, app, lambda st: bool(getattr(st.screen, "errors", ())))
    assert tries_left() == 3
    await pilot.press(*"999999", "enter", *new, "enter", *new, "enter")
    state = await until(pilot, app, lambda st: getattr(st.screen, "tries_left", 3) == 2)
    assert isinstance(state.screen, s.ChangePasscode) and not state.screen.changing
    await pilot.press(*old, "enter", *new, "enter", *new, "enter")
    await until(pilot, app, on(s.PasscodeChanged))


async def register_the_card(
    pilot: Any, app: KioskApp, world: DemoWorld, key: str, answers: dict[str, str]
) -> str:
    """Put in the unregistered demo card `key` (its status offers to register) and
    register its holder by keys; returns the code used."""
    state = await card_in(pilot, app, world, key)
    assert isinstance(state.screen, s.CardStatus) and state.screen.can_register
    return await register(pilot, app, world, holder(world, key), answers)


def kiosk_log(caplog: pytest.LogCaptureFixture) -> str:
    """What the kiosk process logged (the in-process demo mail catcher logs whole mails)."""
    return "\n".join(
        f"{record.name} {record.getMessage()}"
        for record in caplog.records
        if not record.name.startswith(("mail.log", "aiosmtpd"))
    )


def service_holder(world: DemoWorld, uuid: str) -> dict[str, Any]:
    """What the RA tooling shows about a holder (never the answers themselves)."""
    shown = subprocess.run(
        [sys.executable, "-m", "service.cli", "ra", "show", uuid, "--db", world.db_url],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    result: dict[str, Any] = json.loads(shown)
    return result


async def test_register_the_unregistered_holder_then_the_secrets_are_nowhere(
    world: DemoWorld, kiosk: KioskApp, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    sam = holder(world, "unregistered")
    assert world.cards is not None
    async with kiosk.run_test(size=SIZE) as pilot:
        code = await register_the_card(pilot, kiosk, world, "unregistered", NEW_ANSWERS)
        # the catalogue is cached for when the service is down
        cached = kiosk.store.cache.get(CATALOGUE_KEY)
        assert cached is not None and len(cached.value["questions"]) == 20
        await drain_outbox(pilot, kiosk)
    shown = service_holder(world, sam["uuid"])
    assert shown["registered"] is True and shown["terms_version"] == "2026-11"
    assert shown["question_ids"] == sorted(NEW_ANSWERS)
    assert shown["mobile"] == "07700900003"
    exported = audit_export(world)
    records = [json.loads(line) for line in exported.splitlines()]
    kiosk_types = {r["type"] for r in records if r["source"] == "kiosk"}
    assert {"registration_passcode", "terms", "registration_started"} <= kiosk_types
    terms = [r for r in records if r["source"] == "kiosk" and r["type"] == "terms"]
    assert terms and terms[0]["detail"]["terms_version"] == "2026-11"
    secrets = [sam["pin"], code, group_code(code), *NEW_ANSWERS.values()]
    secrets += [a.upper() for a in NEW_ANSWERS.values()]
    places = {
        "audit export": exported,
        "kiosk log": kiosk_log(caplog),
        "service log": (world.workdir / "service.log").read_text(errors="replace"),
    }
    for path in tmp_path.glob("kiosk.sqlite*"):
        places[path.name] = path.read_bytes().decode("latin-1")
    assert any(name.startswith("kiosk.sqlite") for name in places)
    for where, text in places.items():
        for secret in secrets:
            assert secret not in text, f"a secret is in the {where}"
    # the card's passcode is unchanged and still works
    with CardSession.open() as session:
        session.verify(sam["pin"])


async def test_change_passcode_on_the_working_card(
    world: DemoWorld, kiosk: KioskApp, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    bo = holder(world, "working")
    new = "274816"
    assert world.cards is not None
    async with kiosk.run_test(size=SIZE) as pilot:
        await card_in(pilot, kiosk, world, "working")
        await pilot.press("2")
        await until(pilot, kiosk, on(s.ChangePasscode))
        await change_passcode_after_a_run_and_a_wrong_one(
            pilot, kiosk, bo["pin"], new, lambda: world.cards.personalisation("working").tries_left
        )
        await drain_outbox(pilot, kiosk)
    card = world.cards.personalisation("working")
    assert card.pin == new and card.tries_left == 3
    with CardSession.open() as session:
        with pytest.raises(apdu.WrongPin):
            session.verify(bo["pin"])
        session.verify(new)
    exported = audit_export(world)
    records = [json.loads(line) for line in exported.splitlines()]
    changes = [r for r in records if r["source"] == "kiosk" and r["type"] == "passcode_change"]
    assert {"requested", "wrong", "success"} <= {r["outcome"] for r in changes}
    places = {"audit export": exported, "kiosk log": kiosk_log(caplog)}
    for path in tmp_path.glob("kiosk.sqlite*"):
        places[path.name] = path.read_bytes().decode("latin-1")
    for where, text in places.items():
        for secret in (bo["pin"], new, "999999"):
            assert secret not in text, f"a passcode is in the {where}"


async def test_three_wrong_passcodes_at_the_kiosk_lock_the_card_and_offer_the_unlock(
    world: DemoWorld, kiosk: KioskApp
) -> None:
    """The demo's way to lock a card by hand: change passcode with a wrong one, three times."""
    bo = holder(world, "working")
    assert world.cards is not None
    async with kiosk.run_test(size=SIZE) as pilot:
        await card_in(pilot, kiosk, world, "working")
        await pilot.press("2")
        for left in (2, 1):
            await until(pilot, kiosk, on(s.ChangePasscode))
            await pilot.press(*"000000", "enter", *"274816", "enter", *"274816", "enter")
            await until(
                pilot, kiosk, lambda st, n=left: getattr(st.screen, "tries_left", None) == n
            )
        state = await until(pilot, kiosk, on(s.ChangePasscode))
        assert isinstance(state.screen, s.ChangePasscode) and state.screen.last_try
        await pilot.press(*"000000", "enter", *"274816", "enter", *"274816", "enter")
        state = await until(pilot, kiosk, on(s.CardStatus))
        assert isinstance(state.screen, s.CardStatus) and state.screen.can_unlock
        assert state.screen.notice
        assert world.cards.personalisation("working").tries_left == 0
        await pilot.press("enter")
        state = await until(pilot, kiosk, on(s.Questions))
        assert isinstance(state.screen, s.Questions)
        assert {q.id for q in state.screen.questions} <= set(bo["answers"])

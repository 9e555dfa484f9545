"""Screens that build their answer fields per holder free the old ones.

The questions screens are kept for the app's life and rebuild their fields for
every new set of questions. A removed field that stays alive keeps what was
typed into it in memory and grows the kiosk with every journey (found by
bench/app_memory.py: 453 dead answer fields after 200 unlocks).
"""

from __future__ import annotations

import gc
import weakref

from textual.widgets import Input

from kiosk.flow import states as s
from kiosk.flow.facts import Question
from tests.screens.harness import ScreenHarness, journey, kiosk_state
from tests.screens.registration_states import reg_state, registration

ROUNDS = 6


def questions(round_: int, count: int) -> tuple[Question, ...]:
    return tuple(Question(id=f"q{round_}{i}", text=f"Question {round_}.{i}?") for i in range(count))


def unlock_answers(round_: int) -> s.KioskState:
    return kiosk_state(
        s.Questions(questions=questions(round_, 3), attempts_left=3), journey=journey()
    )


def registration_answers(round_: int) -> s.KioskState:
    return reg_state(s.RegistrationAnswers(questions=questions(round_, 4)), journey=registration())


async def test_rebuilt_answer_fields_are_freed() -> None:
    for state_for in (unlock_answers, registration_answers):
        app = ScreenHarness(state_for(0))
        removed: list[weakref.ref[Input]] = []
        async with app.run_test(size=(100, 32)) as pilot:
            await pilot.pause()
            for round_ in range(1, ROUNDS):
                fields = list(app.kiosk_screen.query(Input))
                fields[0].insert_text_at_cursor("typed")
                removed += [weakref.ref(f) for f in fields]
                del fields
                app.kiosk_screen.show(state_for(round_))
                await pilot.pause()
            await pilot.pause()
            gc.collect()
            alive = [r() for r in removed if r() is not None]
            assert alive == [], f"{state_for.__name__}: {len(alive)} removed fields alive"

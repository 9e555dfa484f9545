"""The flow's messages reach the holder in the holder's language.

The flow writes its messages in English, as phrases (`N_`); the screens draw them in
the language chosen now. A screen that joins several messages into one text, or
takes one apart, must translate each first: a joined string is no longer a phrase,
and would stay English on a Welsh screen.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.widgets import Static

from contract.language import Language, translate
from kiosk.contact_rules import mobile_problem
from kiosk.flow import states as s
from kiosk.flow.card_passcode import passcode_wrong_message
from kiosk.flow.registration_questions import ANSWER_ERROR
from kiosk.passcode_rules import PasscodeRules
from screens.language import N_, set_current
from tests.screens.harness import QUESTIONS, ScreenHarness, kiosk_state

RULES = PasscodeRules()


@pytest.fixture
def welsh() -> Iterator[None]:
    set_current(Language.WELSH)
    yield
    set_current(Language.ENGLISH)


def shown(app: ScreenHarness, selector: str) -> str:
    """The words the Statics `selector` picks on the kiosk screen show now."""
    widgets = [w for w in app.kiosk_screen.query(selector).results(Static) if w.display]
    assert widgets, f"nothing shown at {selector}"
    return " ".join(str(widget.render()) for widget in widgets)


def messages() -> list[tuple[str, s.Screen, str, tuple[str, ...]]]:
    """(name, screen, the Statics that show its messages, the flow's messages)."""
    mobile = mobile_problem("0123")
    repeated = tuple(RULES.check("111111"))
    wrong = passcode_wrong_message(2)
    answer = N_(ANSWER_ERROR, number=2, problem=N_("Type an answer."))
    assert mobile and repeated
    return [
        (
            "contact details",
            s.ContactDetails(approved_domains=("nhs.net",), errors=(mobile,)),
            "#errors",
            (mobile,),
        ),
        (
            "new passcode",
            s.NewPasscode(rules=tuple(RULES.describe()), errors=repeated),
            "#errors",
            repeated,
        ),
        (
            "change passcode",
            s.ChangePasscode(rules=tuple(RULES.describe()), tries_left=2, errors=(wrong,)),
            "#errors",
            (wrong,),
        ),
        (
            "registration answers",
            s.RegistrationAnswers(questions=QUESTIONS, errors=(answer,)),
            ".field-error",
            (N_("Type an answer."),),
        ),
    ]


@pytest.mark.parametrize("case", messages(), ids=lambda case: case[0])
async def test_the_flows_messages_are_drawn_in_welsh(
    welsh: None, case: tuple[str, s.Screen, str, tuple[str, ...]]
) -> None:
    _name, screen, selector, sent = case
    app = ScreenHarness(kiosk_state(screen))
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        drawn = " ".join(shown(app, selector).split())
    for message in sent:
        english = " ".join(str(message).split())
        welsh_words = " ".join(translate(message, Language.WELSH).split())
        assert welsh_words != english, f"no Welsh for {english!r} in the catalogue"
        assert welsh_words in drawn
        assert english not in drawn

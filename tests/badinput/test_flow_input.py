"""Hostile text at the kiosk's pure flow: a clear message, and nothing leaves the kiosk.

The flow is where the kiosk decides whether a value goes to the service or the
card. A value that can never be right (an answer longer than any registered one,
a code that is not 8 digits, a passcode the rules refuse) must stop here with a
message: sending it would cost the holder an attempt, a try, or a card retry, or
(for a 10 000-character paste) end the journey on a refusal of the request.
"""

from __future__ import annotations

import pytest

from kiosk.answer_rules import normalise_answer
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from tests.badinput.nasty import NASTY_EMAILS, NASTY_MOBILES, NASTY_TEXT, PASTE_10K
from tests.kiosk import test_registration_flow as reg
from tests.kiosk.kiosk_journey import ANSWERS, CODE, Driver, of_type

# Commands that reach the service or the card; none may follow a refused value.
OUTBOUND = (c.SendAnswers, c.SendCode, c.ResendCode, c.WriteNewPasscode)


def outbound(commands: list[c.Command]) -> list[c.Command]:
    return [command for command in commands if isinstance(command, OUTBOUND)]


@pytest.mark.parametrize(
    "answer",
    [
        PASTE_10K,
        NASTY_TEXT["paste_10k_rtl"],
        NASTY_TEXT["paste_10k_escapes"],
        "y" * 65,
        # Full-width letters widen nothing, but NFKC of this ligature run is 3x longer.
        "\ufb03" * 22,
        "ab",
        " a ",
    ],
    ids=["10k", "10k_rtl", "10k_escapes", "65", "ligatures_66_after_nfkc", "two", "one_padded"],
)
def test_an_answer_no_registered_answer_can_equal_is_refused_on_the_kiosk(answer: str) -> None:
    # Registered answers are 3 to 64 characters after normalisation (docs/api.md), so
    # anything outside that can only fail: sending it would spend one of the
    # holder's 3 attempts, or (over the service's body limit) end the unlock.
    d = Driver.new().at_questions()
    out = d.send(e.SubmitAnswers({**ANSWERS, "q05": answer}))
    assert outbound(out) == []
    assert isinstance(d.screen, s.Questions)
    assert d.screen.error and not d.screen.sending
    if len(answer.strip()) > 3:  # a letter or two occurs in any sentence
        assert answer.strip() not in d.screen.error
    # Nothing was counted, so the holder still has every attempt they had.
    assert d.screen.attempts_left == 3


@pytest.mark.parametrize("name", sorted(n for n in NASTY_TEXT if not n.startswith("paste_")))
def test_odd_but_possible_answers_are_sent_exactly_as_typed(name: str) -> None:
    # A registered answer may itself contain any of these; the service normalises
    # both sides, so the kiosk must not alter or refuse them when their length fits.
    answer = NASTY_TEXT[name]
    d = Driver.new().at_questions()
    answers = {**ANSWERS, "q05": "town " + answer}
    out = d.send(e.SubmitAnswers(answers))
    sent = of_type(out, c.SendAnswers)
    assert len(sent) == 1 and sent[0].answers["q05"] == "town " + answer


@pytest.mark.parametrize("name", sorted(NASTY_TEXT))
def test_a_code_that_is_not_8_ascii_digits_is_never_sent(name: str) -> None:
    d = Driver.new().at_code()
    for typed in (NASTY_TEXT[name], CODE + NASTY_TEXT[name], NASTY_TEXT[name] + CODE):
        out = d.send(e.SubmitCode(typed))
        assert outbound(out) == []
        assert isinstance(d.screen, s.CodeEntry) and d.screen.error and not d.screen.sending
        assert d.screen.tries_left is None  # no try was spent


@pytest.mark.parametrize(
    "typed",
    [
        "\uff17\uff13\uff19\uff11\uff15\uff10\uff18\uff12",  # full-width 73915082
        "\u0667\u0663\u0669\u0661\u0665\u0660\u0668\u0662",  # Arabic-Indic digits
        "\U0001d7d5\U0001d7d1\U0001d7d7\U0001d7cf\U0001d7d3\U0001d7ce\U0001d7d6\U0001d7d0",
        "7391\x005082",
        "\x1b[2~73915082",
        "7391\u200b5082",
    ],
    ids=["fullwidth", "arabic_indic", "math_bold", "nul", "escape", "zero_width_space"],
)
def test_digits_from_other_scripts_or_with_controls_are_not_a_code(typed: str) -> None:
    d = Driver.new().at_code()
    assert outbound(d.send(e.SubmitCode(typed))) == []
    assert isinstance(d.screen, s.CodeEntry) and d.screen.error


def test_a_code_pasted_across_lines_is_sent_as_its_8_digits() -> None:
    # Line breaks and spaces are how codes get copied from a mail; they are not digits.
    d = Driver.new().at_code()
    out = d.send(e.SubmitCode("7391\r\n5082\r\n"))
    assert outbound(out) == [c.SendCode(unlock_id=d.state.journey.service_id, code=CODE)]


@pytest.mark.parametrize("name", sorted(NASTY_TEXT))
def test_a_hostile_new_passcode_never_reaches_the_card(name: str) -> None:
    d = Driver.new().at_new_passcode()
    typed = NASTY_TEXT[name]
    for new, repeat in ((typed, typed), ("583920" + typed, "583920" + typed), (typed, "583920")):
        out = d.send(e.SubmitNewPasscode(new, repeat))
        assert outbound(out) == []
        assert isinstance(d.screen, s.NewPasscode) and d.screen.errors
        assert all(typed not in reason for reason in d.screen.errors)
        assert out == [c.WipeInputs()]


# ---------------------------------------------------------------- registration

REGISTRATION_OUTBOUND = (
    c.VerifyPasscode,
    c.StartRegistration,
    c.SendRegistrationAnswers,
    c.ConfirmRegistration,
    c.ChangeCardPasscode,
)


@pytest.mark.parametrize("name", sorted(NASTY_EMAILS))
def test_a_hostile_email_never_starts_a_registration(name: str) -> None:
    d = reg.at_contacts()
    out = d.send(e.SubmitContactDetails(NASTY_EMAILS[name], reg.MOBILE))
    assert not [x for x in out if isinstance(x, REGISTRATION_OUTBOUND)]
    assert isinstance(d.screen, s.ContactDetails) and d.screen.errors


@pytest.mark.parametrize("name", sorted(NASTY_MOBILES))
def test_a_hostile_mobile_never_starts_a_registration(name: str) -> None:
    d = reg.at_contacts()
    out = d.send(e.SubmitContactDetails(reg.EMAIL, NASTY_MOBILES[name]))
    assert not [x for x in out if isinstance(x, REGISTRATION_OUTBOUND)]
    assert isinstance(d.screen, s.ContactDetails) and d.screen.errors


@pytest.mark.parametrize("name", sorted(NASTY_TEXT))
def test_hostile_new_answers_are_checked_before_the_service(name: str) -> None:
    # Too long or short after normalisation: refused here with a message. Any other
    # odd text is a legitimate answer and goes as typed (the service hashes it).
    d = reg.at_answers()
    answers = dict(reg.NEW_ANSWERS, q07=NASTY_TEXT[name])
    out = d.send(e.SubmitRegistrationAnswers(answers, answers))
    sent = of_type(out, c.SendRegistrationAnswers)
    if 3 <= len(normalise_answer(NASTY_TEXT[name])) <= 64:
        assert sent == [c.SendRegistrationAnswers(registration_id=reg.REG_ID, answers=answers)]
    else:
        assert sent == []
        assert isinstance(d.screen, s.RegistrationAnswers) and d.screen.errors


@pytest.mark.parametrize("name", sorted(NASTY_TEXT))
def test_a_hostile_passcode_never_reaches_the_card_when_registering(name: str) -> None:
    d = reg.at_passcode()
    out = d.send(e.SubmitPasscode(NASTY_TEXT[name]))
    assert not [x for x in out if isinstance(x, REGISTRATION_OUTBOUND)]

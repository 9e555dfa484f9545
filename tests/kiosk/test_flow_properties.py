"""Random event sequences: the flow never crashes and never keeps a secret."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator, Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.flow.facts import FlowConfig, Question
from kiosk.flow.machine import step
from tests.kiosk.kiosk_journey import (
    ANSWERS,
    CODE,
    CODE_EXPIRES,
    CODE_MAILED,
    LOCKED,
    NEW_PASSCODE,
    QUESTIONS_NEXT,
    SECRETS,
    T0,
    UNLOCK_EXPIRES,
    WORKING,
)

# Secrets that fail validation on the kiosk, so they take the refusal paths too.
BAD_SECRETS = ("ZZ-SECRET-code", "ZZ-SECRET-pass", "ZZ-SECRET-answer")
# Registration: the card's passcode now, and new answers (typed twice).
OLD_PASSCODE = "905137"
NEW_ANSWERS = {
    "q02": "SECRET-NEW-answer-one",
    "q07": "SECRET-NEW-answer-two",
    "q11": "SECRET-NEW-answer-three",
    "q19": "SECRET-NEW-answer-four",
}
ALL_SECRETS = (*SECRETS, *BAD_SECRETS, OLD_PASSCODE, *NEW_ANSWERS.values())
CATALOGUE = tuple(Question(f"q{n:02d}", f"Question {n}?") for n in range(1, 21))
CONFIG = FlowConfig(terms_version="2026-11", terms_text="Terms.")

HAPPY_PATH: list[e.Event] = [
    e.CardInserted(),
    e.CardRead(LOCKED),
    e.Continue(),
    QUESTIONS_NEXT,
    e.SubmitAnswers(ANSWERS),
    e.AnswersAccepted(code_sent_to="j***@nhs.net", code_expires_at=CODE_EXPIRES),
    e.SubmitCode(CODE),
    e.CodeAcceptedReply(expires_at=UNLOCK_EXPIRES),
    e.SubmitNewPasscode(NEW_PASSCODE, NEW_PASSCODE),
    e.ChallengeRead(),
    e.CryptogramReceived(),
    e.CardWritten(),
]

REGISTRATION_PATH: list[e.Event] = [
    e.CardInserted(),
    e.CardRead(WORKING),
    e.RegisterRequested(),
    e.SubmitPasscode(OLD_PASSCODE),
    e.PasscodeVerified(),
    e.AcceptTerms(),
    e.SubmitContactDetails("sam@nhs.net", "07700900003"),
    e.RegistrationStartedReply("reg_0001", UNLOCK_EXPIRES),
    e.CatalogueLoaded(CATALOGUE),
    *[e.ToggleQuestion(q) for q in NEW_ANSWERS],
    e.SubmitChosenQuestions(),
    e.SubmitRegistrationAnswers(NEW_ANSWERS, NEW_ANSWERS),
    e.AnswersAccepted(code_sent_to="s***@nhs.net", code_expires_at=CODE_EXPIRES),
    e.SubmitCode(CODE),
    e.RegistrationConfirmed(),
]

CHANGE_PATH: list[e.Event] = [
    e.CardInserted(),
    e.CardRead(WORKING),
    e.ChangePasscodeRequested(),
    e.SubmitPasscodeChange(OLD_PASSCODE, NEW_PASSCODE, NEW_PASSCODE),
    e.CardPasscodeChanged(),
]

PATHS = (HAPPY_PATH, REGISTRATION_PATH, CHANGE_PATH)

OTHER_EVENTS: list[e.Event] = [
    e.CardInserted(),
    e.CardRemoved(),
    e.CardRead(LOCKED),
    e.CardRead(WORKING),
    e.CardUnreadable(e.UnreadableReason.NOT_OUR_CARD),
    e.CardServiceLost(),
    e.CardServiceUp(),
    e.ReaderAdded("r"),
    e.ReaderRemoved("r"),
    e.Continue(),
    e.Back(),
    e.Cancel(),
    e.ConfirmCancel(),
    e.Help(e.HelpTopic.CONTACT_RA),
    e.ResendCodeRequested(),
    e.SubmitAnswers(ANSWERS),
    e.SubmitAnswers({"q01": BAD_SECRETS[2]}),
    e.SubmitCode(CODE),
    e.SubmitCode(BAD_SECRETS[0]),
    e.SubmitNewPasscode(NEW_PASSCODE, NEW_PASSCODE),
    e.SubmitNewPasscode(NEW_PASSCODE, BAD_SECRETS[1]),
    e.SubmitNewPasscode(BAD_SECRETS[1], BAD_SECRETS[1]),
    CODE_MAILED,
    e.AnswersWrong(attempts_left=2),
    e.AnswersWrong(attempts_left=1),
    e.SelfServiceLockedReply(),
    e.NotRegisteredReply(),
    e.CardProofRefused(),
    e.CodeAcceptedReply(expires_at=UNLOCK_EXPIRES),
    e.CodeWrong(tries_left=1),
    e.CodeVoid(),
    e.CodeExpired(),
    e.UnlockExpired(),
    e.ResendDone(code_sent_to="j***@nhs.net", code_expires_at=CODE_EXPIRES),
    e.ResendRefused(retry_after=30),
    e.ResendRefused(retry_after=None),
    e.ChallengeRead(),
    e.CryptogramReceived(),
    e.CardWritten(result_reported=False),
    e.CardWriteFailed(reason="6982", card_removed=False),
    e.CardWriteFailed(reason="gone", card_removed=True),
    e.ServiceReachable(),
    *[e.ServiceUnreachable(call) for call in e.Call],
    *[e.ServiceRefused(call, "wrong_step") for call in e.Call],
    # registration and change passcode
    e.RegisterRequested(),
    e.ChangePasscodeRequested(),
    e.SubmitPasscode(OLD_PASSCODE),
    e.SubmitPasscode(BAD_SECRETS[1]),
    e.PasscodeVerified(),
    e.PasscodeWrong(tries_left=1),
    e.PasscodeBlocked(),
    e.CardPasscodeChanged(),
    e.HolderNotVerified(),
    e.CardActionFailed("6A80"),
    e.AcceptTerms(),
    e.DeclineTerms(),
    e.SubmitContactDetails("sam@nhs.net", "07700900003"),
    e.SubmitContactDetails("sam@gmail.com", "0113"),
    e.RegistrationStartedReply("reg_0001", UNLOCK_EXPIRES),
    e.EmailNotApproved(("nhs.net",)),
    e.MobileRefused(),
    e.TermsOutdated("2027-01"),
    e.CatalogueLoaded(CATALOGUE),
    e.CatalogueLoaded(CATALOGUE, from_cache=True),
    e.ToggleQuestion("q02"),
    e.ToggleQuestion("q05"),
    e.SubmitChosenQuestions(),
    e.SubmitRegistrationAnswers(NEW_ANSWERS, NEW_ANSWERS),
    e.SubmitRegistrationAnswers(NEW_ANSWERS, {"q02": BAD_SECRETS[2]}),
    e.SubmitRegistrationAnswers({"q02": BAD_SECRETS[2]}, {"q02": BAD_SECRETS[2]}),
    e.RegistrationAnswersRefused("too short"),
    e.RegistrationConfirmed(),
    e.RegistrationExpired(),
    e.SubmitPasscodeChange(OLD_PASSCODE, NEW_PASSCODE, NEW_PASSCODE),
    e.SubmitPasscodeChange(BAD_SECRETS[1], NEW_PASSCODE, NEW_PASSCODE),
    e.SubmitPasscodeChange(OLD_PASSCODE, BAD_SECRETS[1], BAD_SECRETS[1]),
]

# A step of the random part: an event, or the clock moving on by some seconds.
moves = st.one_of(
    st.sampled_from(OTHER_EVENTS),
    st.integers(min_value=0, max_value=200),
)


def strings_in(value: Any) -> Iterator[str]:
    """Every string inside a value, including dataclass fields hidden from repr."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            if f.name != "config":
                yield from strings_in(getattr(value, f.name))
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            yield from strings_in(key)
            yield from strings_in(inner)
    elif isinstance(value, list | tuple | set | frozenset):
        for inner in value:
            yield from strings_in(inner)


def leaks(value: Any) -> list[str]:
    return [secret for text in strings_in(value) for secret in ALL_SECRETS if secret in text]


def no_secret_in_repr(command: c.Command) -> bool:
    """A logged command never shows a secret."""
    return not any(secret in repr(command) for secret in ALL_SECRETS)


@settings(max_examples=400, deadline=None)
@given(
    path=st.sampled_from(PATHS),
    prefix=st.integers(min_value=0, max_value=len(REGISTRATION_PATH)),
    rest=st.lists(moves, max_size=40),
)
def test_random_sequences_never_crash_or_keep_a_secret(
    path: list[e.Event], prefix: int, rest: list[Any]
) -> None:
    config = CONFIG
    state = s.KioskState.start(config, now=T0)
    now = T0
    events: list[e.Event] = list(path[:prefix])
    for move in rest:
        if isinstance(move, int):
            now = now + dt.timedelta(seconds=move)
            events.append(e.Tick(now) if move % 2 else e.UserActivity(now))
        else:
            events.append(move)
    for event in events:
        state, commands = step(state, event)
        assert isinstance(state, s.KioskState)
        assert isinstance(state.screen, s.Screen)
        assert not leaks(state), (event, state)
        for command in commands:
            assert isinstance(command, c.Command)
            if isinstance(command, c.SaveCheckpoint):
                assert not leaks(command)
                assert not any(x in json.dumps(command.checkpoint.to_record()) for x in ALL_SECRETS)
            elif isinstance(command, c.QueueAudit | c.QueueResultReport | c.StartUnlock):
                assert not leaks(command), command
            elif isinstance(command, c.WriteNewPasscode):
                # Only a passcode the rules allow ever reaches the card.
                assert config.passcode_rules.allows(command.new_passcode)
            elif isinstance(command, c.SendCode | c.ConfirmRegistration):
                assert command.code == CODE
            elif isinstance(command, c.StartRegistration):
                # Contacts and ids only; a passcode only when the card asked again.
                assert not leaks(dataclasses.replace(command, passcode=None)), command
                assert command.passcode in (None, OLD_PASSCODE)
                assert no_secret_in_repr(command)
            elif isinstance(command, c.VerifyPasscode):
                assert command.passcode == OLD_PASSCODE and no_secret_in_repr(command)
            elif isinstance(command, c.ChangeCardPasscode):
                # Only a new passcode the rules allow ever reaches the card.
                assert config.passcode_rules.allows(command.new)
                assert command.old == OLD_PASSCODE and no_secret_in_repr(command)
            elif isinstance(command, c.SendRegistrationAnswers):
                assert dict(command.answers) == NEW_ANSWERS
                assert no_secret_in_repr(command)
        # Whatever happened, the journey only ever belongs to the card in the reader.
        if state.card is not None and state.journey is not None:
            assert state.journey.serial == state.card.serial
        if isinstance(state.screen, s.WaitingForCard | s.CardRemovedNotice):
            assert state.card is None


@settings(max_examples=100, deadline=None)
@given(rest=st.lists(moves, max_size=30))
def test_card_removal_always_ends_the_session(rest: list[Any]) -> None:
    state = s.KioskState.start(now=T0)
    now = T0
    for move in [*HAPPY_PATH[:5], *rest]:
        if isinstance(move, int):
            now += dt.timedelta(seconds=move)
            move = e.Tick(now)
        state, _ = step(state, move)
    state, commands = step(state, e.CardRemoved())
    assert state.card is None and state.journey is None and state.overlay is None
    assert isinstance(
        state.screen, s.WaitingForCard | s.CardRemovedNotice | s.NoReader | s.NoCardService
    )
    if any(isinstance(cmd, c.QueueAudit) for cmd in commands):
        assert c.WipeInputs() in commands

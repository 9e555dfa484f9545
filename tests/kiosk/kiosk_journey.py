"""Shared test data and a small driver for the pure flow (no I/O anywhere)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.flow.facts import CardFacts, Checkpoint, FlowConfig, PinState, Question
from kiosk.flow.machine import step

T0 = dt.datetime(2026, 11, 22, 12, 0, 0, tzinfo=dt.UTC)

LOCKED = CardFacts(
    serial="0102030405060708",
    uuid="123456789012",
    name="Jo Bloggs",
    expiry=dt.date(2028, 6, 30),
    pin=PinState.BLOCKED,
    tries_left=0,
)
WORKING = CardFacts(
    serial="1112131415161718",
    uuid="210987654321",
    name="Sam Smith",
    expiry=dt.date(2028, 6, 30),
    pin=PinState.WORKING,
    tries_left=3,
)
QUESTIONS = (
    Question("q01", "What was the name of your first pet?"),
    Question("q05", "In which town were you born?"),
    Question("q09", "What was your first car?"),
)

# Secret markers: if one of these shows up in a state, a checkpoint or an audit
# event, a secret leaked.
ANSWERS = {
    "q01": "SECRET-ANSWER-pet-Zq8",
    "q05": "SECRET-ANSWER-town-Zq8",
    "q09": "SECRET-ANSWER-car-Zq8",
}
CODE = "73915082"
NEW_PASSCODE = "583920"
SECRETS = (*ANSWERS.values(), CODE, NEW_PASSCODE)

CommandT = TypeVar("CommandT", bound=c.Command)

UNLOCK_ID = "unl_0001"
UNLOCK_EXPIRES = T0 + dt.timedelta(minutes=30)
CODE_EXPIRES = T0 + dt.timedelta(minutes=15)


def unlock_started(step: e.NextStep, **fields: Any) -> e.UnlockStartedReply:
    """The service's 201 to starting the unlock UNLOCK_ID: `step` next, other fields."""
    return e.UnlockStartedReply(unlock_id=UNLOCK_ID, next=step, expires_at=UNLOCK_EXPIRES, **fields)


QUESTIONS_NEXT = unlock_started(e.NextStep.ANSWERS, questions=QUESTIONS)
"""The unlock started: the QUESTIONS are asked next."""
CODE_MAILED = unlock_started(e.NextStep.CODE, code_sent_to="j***@nhs.net")
"""The unlock started with no questions (policy): the code was mailed at once."""


@dataclass
class Driver:
    """Feeds events to the machine and keeps every state and command seen."""

    state: s.KioskState
    commands: list[c.Command] = field(default_factory=list)
    states: list[s.KioskState] = field(default_factory=list)

    @classmethod
    def new(cls, config: FlowConfig | None = None, checkpoint: Checkpoint | None = None) -> Driver:
        return cls(s.KioskState.start(config, now=T0, checkpoint=checkpoint))

    @property
    def screen(self) -> s.Screen:
        return self.state.screen

    @property
    def now(self) -> dt.datetime:
        assert self.state.now is not None
        return self.state.now

    def send(self, *events: e.Event) -> list[c.Command]:
        out: list[c.Command] = []
        for event in events:
            self.state, commands = step(self.state, event)
            self.states.append(self.state)
            self.commands.extend(commands)
            out.extend(commands)
        return out

    def tick(self, seconds: float = 1) -> list[c.Command]:
        return self.send(e.Tick(self.now + dt.timedelta(seconds=seconds)))

    def activity(self, seconds: float = 0) -> list[c.Command]:
        return self.send(e.UserActivity(self.now + dt.timedelta(seconds=seconds)))

    # ------------------------------------------------ reach a step of the journey

    def at_card_status(self, card: CardFacts = LOCKED) -> Driver:
        """The card's status screen, as it was before the first look at a blocked card.

        A blocked card is checked with the service at once (`first_look`); here that
        check finds the service unreachable, so the status offers the unlock and
        Enter starts it: the path the journey tests walk.
        """
        self.send(e.CardInserted(), e.CardRead(card))
        screen = self.screen
        if isinstance(screen, s.StartingUnlock) and screen.first_look:
            self.send(e.ServiceUnreachable(e.Call.START_UNLOCK))
        return self

    def at_starting(self) -> Driver:
        self.at_card_status()
        self.send(e.Continue())
        return self

    def at_questions(self) -> Driver:
        self.at_starting()
        self.send(QUESTIONS_NEXT)
        return self

    def at_code(self) -> Driver:
        self.at_questions()
        self.send(e.SubmitAnswers(ANSWERS))
        self.send(e.AnswersAccepted(code_sent_to="j***@nhs.net", code_expires_at=CODE_EXPIRES))
        return self

    def at_new_passcode(self) -> Driver:
        self.at_code()
        self.send(e.SubmitCode(CODE), e.CodeAcceptedReply(expires_at=T0 + dt.timedelta(minutes=20)))
        return self

    def at_writing(self) -> Driver:
        self.at_new_passcode()
        self.send(e.SubmitNewPasscode(NEW_PASSCODE, NEW_PASSCODE))
        return self

    def at_unlocked(self) -> Driver:
        self.at_writing()
        self.send(e.ChallengeRead(), e.CryptogramReceived(), e.CardWritten())
        return self


def first_screen(screen: s.Screen) -> bool:
    """A fresh session's first screen: the card's status, or (a blocked card) the
    first look with the service that comes before it."""
    first_look = isinstance(screen, s.StartingUnlock) and screen.first_look
    return isinstance(screen, s.CardStatus) or first_look


def of_type(commands: list[c.Command], kind: type[CommandT]) -> list[CommandT]:
    return [command for command in commands if isinstance(command, kind)]

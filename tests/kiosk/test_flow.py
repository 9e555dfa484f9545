"""Every step, timeout and failure of the unlock journey, on the pure flow."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable

import pytest

from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.flow.facts import Checkpoint, FlowConfig, Journey, PinState, Step
from kiosk.flow.machine import card_status, resume
from tests.kiosk.kiosk_journey import (
    ANSWERS,
    CODE,
    CODE_EXPIRES,
    CODE_MAILED,
    LOCKED,
    NEW_PASSCODE,
    QUESTIONS,
    QUESTIONS_NEXT,
    SECRETS,
    T0,
    UNLOCK_EXPIRES,
    UNLOCK_ID,
    WORKING,
    Driver,
    first_screen,
    of_type,
)


def ended(screen: s.Screen, reason: s.EndReason) -> bool:
    """The session ended for `reason` (whatever it says about typing)."""
    return isinstance(screen, s.SessionEnded) and screen.reason is reason


def audits(commands: list[c.Command]) -> list[tuple[str, str]]:
    return [(a.type, a.outcome) for a in commands if isinstance(a, c.QueueAudit)]


# ---------------------------------------------------------------- waiting, reader, card


def test_starts_waiting_for_a_card() -> None:
    assert isinstance(Driver.new().screen, s.WaitingForCard)


def test_card_inserted_reads_the_card() -> None:
    d = Driver.new()
    assert d.send(e.CardInserted()) == [c.ReadCard()]
    assert isinstance(d.screen, s.ReadingCard)


def test_locked_card_shows_blocked_status_and_can_unlock() -> None:
    d = Driver.new().at_card_status(LOCKED)
    assert d.screen == s.CardStatus(
        card=LOCKED, condition=s.CardCondition.BLOCKED, expires_in_days=None
    )
    assert isinstance(d.screen, s.CardStatus) and d.screen.can_unlock
    assert ("card_read", "blocked") in audits(d.commands)


def read_locked_card() -> tuple[Driver, list[c.Command]]:
    d = Driver.new()
    out = d.send(e.CardInserted(), e.CardRead(LOCKED))
    return d, out


def test_a_blocked_card_is_checked_with_the_service_before_its_first_screen() -> None:
    # Only the service knows whether the holder registered or is locked out of
    # self-service, and it says so only after the card proof that starts an unlock.
    d, out = read_locked_card()
    assert d.screen == s.StartingUnlock(first_look=True)
    assert of_type(out, c.StartUnlock) == [c.StartUnlock(serial=LOCKED.serial, uuid=LOCKED.uuid)]
    # Nothing but the proof: no answers, no code, nothing saved.
    sent = [cmd for cmd in out if not isinstance(cmd, c.QueueAudit)]
    assert sent == [c.ReadCard(), c.StartUnlock(serial=LOCKED.serial, uuid=LOCKED.uuid)]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (e.SelfServiceLockedReply(), s.SelfServiceLocked()),
        (e.NotRegisteredReply(), s.NotRegistered(card=LOCKED)),
    ],
)
def test_a_card_that_cannot_be_unlocked_here_says_so_on_its_first_screen(
    reply: e.Event, expected: s.Screen
) -> None:
    d, _ = read_locked_card()
    out = d.send(reply)
    assert d.screen == expected
    assert not any(isinstance(st.screen, s.CardStatus) for st in d.states), "promised an unlock"
    assert not of_type(out, c.SaveCheckpoint) and audits(out)


def test_a_card_that_can_be_unlocked_is_offered_it_and_enter_goes_straight_on() -> None:
    d, _ = read_locked_card()
    started = QUESTIONS_NEXT
    out = d.send(started)
    assert isinstance(d.screen, s.CardStatus) and d.screen.can_unlock
    assert d.screen.started == started
    assert d.state.journey is None and not of_type(out, c.SaveCheckpoint)
    assert ("card_checked", "can_unlock") in audits(out)
    out = d.send(e.Continue())
    assert d.screen == s.Questions(questions=QUESTIONS, attempts_left=3)
    assert not of_type(out, c.StartUnlock), "the unlock opened at the first look goes on"
    assert of_type(out, c.SaveCheckpoint) and ("unlock_started", "answers") in audits(out)


def test_a_first_look_where_the_code_is_mailed_at_once_shows_the_code_screen() -> None:
    # With questions off the service mails the code with the proof: saying "we will
    # email you a code, press Enter" would be untrue, so the code screen comes now.
    d, _ = read_locked_card()
    d.send(CODE_MAILED)
    assert isinstance(d.screen, s.CodeEntry) and d.screen.sent_to == "j***@nhs.net"
    assert d.state.journey is not None


def test_esc_during_the_first_look_ends_at_once() -> None:
    d, _ = read_locked_card()
    d.send(e.Cancel())
    assert d.state.overlay is None and ended(d.screen, s.EndReason.CANCELLED)
    assert isinstance(d.screen, s.SessionEnded) and not d.screen.typed


def test_a_first_look_the_service_cannot_answer_offers_the_unlock_as_before() -> None:
    d, _ = read_locked_card()
    d.send(e.ServiceUnreachable(e.Call.START_UNLOCK))
    assert isinstance(d.screen, s.CardStatus) and d.screen.started is None
    out = d.send(e.Continue())
    assert d.screen == s.StartingUnlock() and of_type(out, c.StartUnlock)


def test_working_card_shows_tries_left_and_continue_does_nothing() -> None:
    d = Driver.new().at_card_status(WORKING)
    assert isinstance(d.screen, s.CardStatus)
    assert d.screen.condition is s.CardCondition.WORKING
    assert d.screen.card.tries_left == 3
    before = d.state
    assert d.send(e.Continue()) == []
    assert d.state.screen == before.screen


@pytest.mark.parametrize(
    ("expiry", "condition", "days"),
    [
        (T0.date() - dt.timedelta(days=1), s.CardCondition.EXPIRED, None),
        (T0.date(), s.CardCondition.BLOCKED, 0),
        (T0.date() + dt.timedelta(days=90), s.CardCondition.BLOCKED, 90),
        (T0.date() + dt.timedelta(days=91), s.CardCondition.BLOCKED, None),
    ],
)
def test_expired_and_expiring_cards(
    expiry: dt.date, condition: s.CardCondition, days: int | None
) -> None:
    status = card_status(dataclasses.replace(LOCKED, expiry=expiry), T0, 90)
    assert (status.condition, status.expires_in_days) == (condition, days)


def test_expired_locked_card_cannot_be_unlocked_here() -> None:
    expired = dataclasses.replace(LOCKED, expiry=T0.date() - dt.timedelta(days=3))
    d = Driver.new().at_card_status(expired)
    assert isinstance(d.screen, s.CardStatus) and not d.screen.can_unlock
    assert d.send(e.Continue()) == []


@pytest.mark.parametrize("reason", list(e.UnreadableReason))
def test_unreadable_card_is_not_recognised(reason: e.UnreadableReason) -> None:
    d = Driver.new()
    d.send(e.CardInserted(), e.CardUnreadable(reason, "no applet"))
    assert d.screen == s.CardNotRecognised(reason=reason)
    d.send(e.CardRemoved())
    assert isinstance(d.screen, s.WaitingForCard)


def test_reader_unplugged_and_plugged_back() -> None:
    d = Driver.new()
    d.send(e.ReaderRemoved("Virtual PCD 00 00"))
    assert isinstance(d.screen, s.NoReader)
    d.send(e.CardRemoved())
    assert isinstance(d.screen, s.NoReader)
    d.send(e.ReaderAdded("Virtual PCD 00 00"))
    assert isinstance(d.screen, s.WaitingForCard)


def test_card_service_down_and_up() -> None:
    d = Driver.new()
    d.send(e.CardServiceLost())
    assert isinstance(d.screen, s.NoCardService)
    d.send(e.CardServiceUp())
    assert isinstance(d.screen, s.NoReader)  # until the watcher reports a reader
    d.send(e.ReaderAdded("Virtual PCD 00 00"))
    assert isinstance(d.screen, s.WaitingForCard)


def test_reader_added_or_service_up_elsewhere_changes_nothing() -> None:
    d = Driver.new().at_card_status()
    before = d.state
    d.send(e.ReaderAdded("x"), e.CardServiceUp())
    assert d.state == before


@pytest.mark.parametrize("down", [e.CardServiceLost(), e.ReaderRemoved("r")])
def test_card_service_or_reader_lost_mid_journey_wipes_inputs_and_keeps_checkpoint(
    down: e.Event,
) -> None:
    d = Driver.new().at_code()
    journey = d.state.journey
    out = d.send(down)
    assert c.WipeInputs() in out and c.ClearCheckpoint() not in out
    assert d.state.card is None and d.state.journey == journey
    # Back with the same card still in: the journey resumes at the code.
    d.send(e.CardServiceUp(), e.ReaderAdded("r"), e.CardInserted(), e.CardRead(LOCKED))
    assert isinstance(d.screen, s.CodeEntry)


# ---------------------------------------------------------------- starting the unlock


def test_continue_on_blocked_card_starts_the_unlock() -> None:
    d = Driver.new().at_card_status()
    out = d.send(e.Continue())
    assert isinstance(d.screen, s.StartingUnlock)
    assert of_type(out, c.StartUnlock) == [c.StartUnlock(serial=LOCKED.serial, uuid=LOCKED.uuid)]


def test_unlock_started_with_questions_saves_a_checkpoint() -> None:
    d = Driver.new().at_questions()
    assert d.screen == s.Questions(questions=QUESTIONS, attempts_left=3)
    saved = of_type(d.commands, c.SaveCheckpoint)
    assert len(saved) == 1
    checkpoint = saved[0].checkpoint
    assert (checkpoint.journey, checkpoint.step) == (Journey.UNLOCK, Step.QUESTIONS)
    assert (checkpoint.serial, checkpoint.service_id) == (LOCKED.serial, UNLOCK_ID)
    assert checkpoint.expires_at == UNLOCK_EXPIRES and checkpoint.questions == QUESTIONS


def test_unlock_started_straight_to_code_when_questions_are_off() -> None:
    d = Driver.new().at_starting()
    d.send(CODE_MAILED)
    assert isinstance(d.screen, s.CodeEntry)
    assert d.screen.sent_to == "j***@nhs.net" and not d.screen.by_text
    # API v1 gives no code expiry here: the code lifetime (15 minutes) is assumed.
    assert d.screen.expires_at == T0 + dt.timedelta(minutes=15)
    assert d.state.journey is not None and d.state.journey.step is Step.CODE


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (e.NotRegisteredReply(), s.NotRegistered(card=LOCKED)),
        (e.SelfServiceLockedReply(), s.SelfServiceLocked()),
        (e.CardProofRefused(), s.CardNotRecognised(reason=e.UnreadableReason.SERVICE_REFUSED)),
        (
            e.ServiceRefused(e.Call.START_UNLOCK, "wrong_step"),
            s.UnlockStopped(reason=s.StopReason.PROBLEM),
        ),
    ],
)
def test_unlock_refused(reply: e.Event, expected: s.Screen) -> None:
    d = Driver.new().at_starting()
    out = d.send(reply)
    assert d.screen == expected
    assert not of_type(out, c.SaveCheckpoint)
    assert audits(out)


def test_not_registered_waits_for_card_removal() -> None:
    d = Driver.new().at_starting()
    d.send(e.NotRegisteredReply(), e.Continue())
    assert isinstance(d.screen, s.NotRegistered)
    d.send(e.CardRemoved())
    assert isinstance(d.screen, s.CardRemovedNotice)


# ---------------------------------------------------------------- questions


def test_answers_are_sent_and_never_kept() -> None:
    d = Driver.new().at_questions()
    out = d.send(e.SubmitAnswers(ANSWERS))
    assert out == [c.SendAnswers(unlock_id=UNLOCK_ID, answers=ANSWERS)]
    assert isinstance(d.screen, s.Questions) and d.screen.sending and d.screen.busy
    assert not any(secret in repr(d.state) for secret in SECRETS)


def test_only_the_asked_questions_are_sent() -> None:
    d = Driver.new().at_questions()
    out = d.send(e.SubmitAnswers({**ANSWERS, "q99": "extra"}))
    assert of_type(out, c.SendAnswers)[0].answers == ANSWERS


@pytest.mark.parametrize("missing", ["q01", "q09"])
def test_every_question_needs_an_answer(missing: str) -> None:
    d = Driver.new().at_questions()
    answers = {**ANSWERS, missing: "   "}
    assert d.send(e.SubmitAnswers(answers)) == []
    assert isinstance(d.screen, s.Questions) and d.screen.error and not d.screen.sending


def test_second_submit_while_sending_is_ignored() -> None:
    d = Driver.new().at_questions()
    d.send(e.SubmitAnswers(ANSWERS))
    assert d.send(e.SubmitAnswers(ANSWERS)) == []


@pytest.mark.parametrize(("left", "phrase"), [(2, "2 attempts left"), (1, "last attempt")])
def test_wrong_answers(left: int, phrase: str) -> None:
    d = Driver.new().at_questions()
    d.send(e.SubmitAnswers(ANSWERS))
    out = d.send(e.AnswersWrong(attempts_left=left))
    assert isinstance(d.screen, s.Questions)
    assert d.screen.attempts_left == left and not d.screen.sending
    assert d.screen.error is not None and phrase in d.screen.error
    assert out[0] == c.WipeInputs()
    saved = of_type(out, c.SaveCheckpoint)[0].checkpoint
    assert saved.attempts_left == left
    assert ("answers", "wrong") in audits(out)


def test_third_wrong_answer_locks_self_service() -> None:
    d = Driver.new().at_questions()
    d.send(e.SubmitAnswers(ANSWERS))
    out = d.send(e.SelfServiceLockedReply())
    assert isinstance(d.screen, s.SelfServiceLocked)
    assert c.WipeInputs() in out and c.ClearCheckpoint() in out
    assert d.state.journey is None


def test_answers_accepted_moves_to_code_sent() -> None:
    d = Driver.new().at_code()
    assert d.screen == s.CodeEntry(
        sent_to="j***@nhs.net",
        sent_at=T0,
        expires_at=CODE_EXPIRES,
        resend_available_at=T0 + dt.timedelta(seconds=60),
    )
    last_save = of_type(d.commands, c.SaveCheckpoint)[-1].checkpoint
    assert last_save.step is Step.CODE and last_save.code_sent_to == "j***@nhs.net"


# ---------------------------------------------------------------- the code


def test_code_is_sent_with_spaces_removed() -> None:
    d = Driver.new().at_code()
    out = d.send(e.SubmitCode(" 7391 5082 "))
    assert out == [c.SendCode(unlock_id=UNLOCK_ID, code=CODE)]
    assert isinstance(d.screen, s.CodeEntry) and d.screen.sending


@pytest.mark.parametrize("typed", ["", "1234567", "123456789", "1234567a", "１２３４５６７８"])
def test_malformed_code_is_not_sent(typed: str) -> None:
    d = Driver.new().at_code()
    assert d.send(e.SubmitCode(typed)) == []
    assert isinstance(d.screen, s.CodeEntry) and d.screen.error


@pytest.mark.parametrize(("left", "text"), [(2, "2 tries left"), (1, "1 try left")])
def test_wrong_code(left: int, text: str) -> None:
    d = Driver.new().at_code()
    d.send(e.SubmitCode(CODE))
    out = d.send(e.CodeWrong(tries_left=left))
    assert isinstance(d.screen, s.CodeEntry)
    assert d.screen.tries_left == left and d.screen.error and text in d.screen.error
    assert c.WipeInputs() in out
    saved = of_type(out, c.SaveCheckpoint)[0].checkpoint
    assert saved.tries_left == left


def test_void_code_stops_and_continue_starts_again() -> None:
    d = Driver.new().at_code()
    d.send(e.SubmitCode(CODE))
    out = d.send(e.CodeVoid())
    assert d.screen == s.UnlockStopped(reason=s.StopReason.CODE_VOID)
    assert c.ClearCheckpoint() in out and d.state.journey is None
    out = d.send(e.Continue())
    assert isinstance(d.screen, s.StartingUnlock) and of_type(out, c.StartUnlock)


def test_wrong_code_says_what_the_last_try_means() -> None:
    # The service voids the code after three wrong tries in all (docs/api.md), and
    # a void code means starting the unlock again: the last try says so.
    d = Driver.new().at_code()
    d.send(e.SubmitCode(CODE))
    d.send(e.CodeWrong(tries_left=2))
    assert isinstance(d.screen, s.CodeEntry)
    assert "newest email" in (d.screen.error or "")
    d.send(e.SubmitCode(CODE))
    d.send(e.CodeWrong(tries_left=1))
    assert isinstance(d.screen, s.CodeEntry)
    assert "If the next code is also wrong" in (d.screen.error or "")
    assert "start again" in (d.screen.error or "")


def test_a_new_code_says_the_tries_left_do_not_change() -> None:
    # A resend leaves the wrong tries as they were (docs/api.md, .../resend).
    d = Driver.new().at_code()
    d.send(e.SubmitCode(CODE))
    d.send(e.CodeWrong(tries_left=2))
    d.tick(61)
    d.send(e.ResendCodeRequested())
    d.send(e.ResendDone(code_sent_to="j***@nhs.net", code_expires_at=d.now))
    assert isinstance(d.screen, s.CodeEntry)
    notice = d.screen.notice or ""
    assert "the old one no longer works" in notice
    assert "You still have 2 tries left" in notice
    assert "does not give you more tries" in notice


def test_void_code_says_whether_the_questions_come_again() -> None:
    d = Driver.new().at_code()
    d.send(e.SubmitCode(CODE))
    d.send(e.CodeVoid())
    assert isinstance(d.screen, s.UnlockStopped) and d.screen.questions_next
    off = Driver.new().at_starting()
    off.send(CODE_MAILED)
    off.send(e.SubmitCode(CODE))
    off.send(e.CodeVoid())
    assert isinstance(off.screen, s.UnlockStopped) and not off.screen.questions_next


def test_expired_code_offers_resend() -> None:
    d = Driver.new().at_code()
    d.send(e.SubmitCode(CODE))
    d.send(e.CodeExpired())
    assert isinstance(d.screen, s.CodeEntry) and "expired" in (d.screen.error or "")
    d.tick(61)
    assert d.send(e.ResendCodeRequested()) == [c.ResendCode(unlock_id=UNLOCK_ID)]


def test_resend_too_early_is_refused_on_the_kiosk() -> None:
    d = Driver.new().at_code()
    d.tick(20)
    assert d.send(e.ResendCodeRequested()) == []
    assert isinstance(d.screen, s.CodeEntry) and "40 seconds" in (d.screen.error or "")


def test_resend_done_updates_address_expiry_and_checkpoint() -> None:
    d = Driver.new().at_code()
    d.tick(61)
    d.send(e.ResendCodeRequested())
    assert isinstance(d.screen, s.CodeEntry) and d.screen.sending
    new_expiry = d.now + dt.timedelta(minutes=15)
    out = d.send(e.ResendDone(code_sent_to="j***@nhs.net", code_expires_at=new_expiry))
    assert isinstance(d.screen, s.CodeEntry)
    assert d.screen.expires_at == new_expiry and d.screen.sent_at == d.now
    assert d.screen.notice and not d.screen.sending
    assert d.screen.resend_available_at == d.now + dt.timedelta(seconds=60)
    saved = of_type(out, c.SaveCheckpoint)[0].checkpoint
    assert saved.code_expires_at == new_expiry


def test_resend_refused_with_retry_after_and_without() -> None:
    d = Driver.new().at_code()
    d.tick(61)
    d.send(e.ResendCodeRequested(), e.ResendRefused(retry_after=42))
    assert isinstance(d.screen, s.CodeEntry)
    assert d.screen.resend_available_at == d.now + dt.timedelta(seconds=42)
    d.tick(43)
    d.send(e.ResendCodeRequested(), e.ResendRefused(retry_after=None))
    assert isinstance(d.screen, s.CodeEntry) and d.screen.resends_exhausted
    assert d.send(e.ResendCodeRequested()) == []


def test_code_accepted_asks_for_a_new_passcode() -> None:
    d = Driver.new().at_new_passcode()
    assert isinstance(d.screen, s.NewPasscode)
    assert d.screen.rules == tuple(FlowConfig().passcode_rules.describe())
    saved = of_type(d.commands, c.SaveCheckpoint)[-1].checkpoint
    assert saved.step is Step.NEW_PASSCODE
    assert saved.expires_at == T0 + dt.timedelta(minutes=20)


# ---------------------------------------------------------------- the new passcode


@pytest.mark.parametrize(
    ("new", "repeat"),
    [
        ("123456", "123456"),
        ("111111", "111111"),
        ("250190", "250190"),
        ("12345", "12345"),
        (NEW_PASSCODE, "583921"),
        ("", ""),
    ],
)
def test_refused_passcodes_never_reach_the_card(new: str, repeat: str) -> None:
    d = Driver.new().at_new_passcode()
    out = d.send(e.SubmitNewPasscode(new, repeat))
    assert isinstance(d.screen, s.NewPasscode) and d.screen.errors
    assert out == [c.WipeInputs()]


def test_good_passcode_goes_to_the_card() -> None:
    d = Driver.new().at_writing()
    assert d.screen == s.WritingCard(stage=s.WriteStage.STARTING)
    assert of_type(d.commands, c.WriteNewPasscode) == [
        c.WriteNewPasscode(unlock_id=UNLOCK_ID, serial=LOCKED.serial, new_passcode=NEW_PASSCODE)
    ]


def test_writing_progress_and_unlocked() -> None:
    d = Driver.new().at_writing()
    d.send(e.ChallengeRead())
    assert d.screen == s.WritingCard(stage=s.WriteStage.ASKING_SERVICE)
    d.send(e.CryptogramReceived())
    assert d.screen == s.WritingCard(stage=s.WriteStage.WRITING)
    out = d.send(e.CardWritten())
    assert d.states[-1].screen == s.Unlocked(name=LOCKED.name, at=T0)
    assert c.ClearCheckpoint() in out and c.WipeInputs() in out
    assert ("card_unlocked", "success") in audits(out)
    assert not of_type(out, c.QueueResultReport)
    assert d.state.journey is None


def test_unreported_result_is_queued_for_the_service() -> None:
    d = Driver.new().at_writing()
    out = d.send(e.CardWritten(result_reported=False))
    assert of_type(out, c.QueueResultReport) == [
        c.QueueResultReport(unlock_id=UNLOCK_ID, outcome="unlocked", status_word="9000")
    ]


def test_card_write_failure_goes_back_to_new_passcode() -> None:
    d = Driver.new().at_writing()
    out = d.send(e.CardWriteFailed(reason="bad cryptogram", status_word="6982"))
    assert isinstance(d.screen, s.NewPasscode) and "bad cryptogram" in d.screen.errors[0]
    assert c.WipeInputs() in out and ("card_write", "failed") in audits(out)
    assert d.state.journey is not None  # the unlock stays open for another try
    d.send(e.SubmitNewPasscode(NEW_PASSCODE, NEW_PASSCODE))
    assert isinstance(d.screen, s.WritingCard)


def test_card_pulled_during_write() -> None:
    d = Driver.new().at_writing()
    out = d.send(e.CardWriteFailed(reason="card removed", card_removed=True))
    assert isinstance(d.screen, s.CardRemovedNotice)
    assert c.ClearCheckpoint() in out


def test_unlocked_then_card_removed_goes_straight_to_waiting() -> None:
    d = Driver.new().at_unlocked()
    d.send(e.CardRemoved())
    assert isinstance(d.screen, s.WaitingForCard)


# ---------------------------------------------------------------- card removed at every step

REACH: dict[str, Callable[[Driver], Driver]] = {
    "card_status": Driver.at_card_status,
    "starting": Driver.at_starting,
    "questions": Driver.at_questions,
    "code": Driver.at_code,
    "new_passcode": Driver.at_new_passcode,
    "writing": Driver.at_writing,
}


@pytest.mark.parametrize("where", list(REACH))
def test_card_removed_at_any_step_ends_the_session(where: str) -> None:
    d = REACH[where](Driver.new())
    had_journey = d.state.journey is not None
    out = d.send(e.CardRemoved())
    assert isinstance(d.screen, s.CardRemovedNotice)
    assert c.WipeInputs() in out
    assert (c.ClearCheckpoint() in out) == had_journey
    assert ("session_ended", "card_removed") in audits(out)
    assert d.state.card is None and d.state.journey is None and d.state.overlay is None
    d.tick(4)
    assert isinstance(d.screen, s.CardRemovedNotice)
    d.tick(1)
    assert isinstance(d.screen, s.WaitingForCard)


def test_card_inserted_during_removed_notice_reads_at_once() -> None:
    d = Driver.new().at_questions()
    d.send(e.CardRemoved())
    assert d.send(e.CardInserted()) == [c.ReadCard()]
    d.send(e.CardRead(LOCKED))
    assert first_screen(d.screen)  # a fresh session: nothing resumed


@pytest.mark.parametrize(
    "late",
    [
        e.UnlockStartedReply(unlock_id="x", next=e.NextStep.ANSWERS, expires_at=UNLOCK_EXPIRES),
        e.AnswersAccepted(code_sent_to="j***@nhs.net", code_expires_at=CODE_EXPIRES),
        e.CodeAcceptedReply(expires_at=UNLOCK_EXPIRES),
        e.CardWritten(),
        e.ServiceUnreachable(e.Call.SEND_ANSWERS),
    ],
)
def test_late_replies_after_removal_change_nothing(late: e.Event) -> None:
    d = Driver.new().at_questions()
    d.send(e.SubmitAnswers(ANSWERS), e.CardRemoved())
    before = d.state
    assert d.send(late) == []
    assert d.state == before


# ---------------------------------------------------------------- inactivity


INTERACTIVE = ["card_status", "questions", "code", "new_passcode"]


@pytest.mark.parametrize("where", INTERACTIVE)
def test_inactivity_warns_then_ends_the_session(where: str) -> None:
    d = REACH[where](Driver.new())
    d.tick(89)
    assert d.state.overlay is None
    d.tick(1)
    assert d.state.overlay == s.InactivityWarning(
        ends_at=T0 + dt.timedelta(seconds=120), seconds_left=30
    )
    d.tick(10)
    assert d.state.overlay == s.InactivityWarning(
        ends_at=T0 + dt.timedelta(seconds=120), seconds_left=20
    )
    had_journey = d.state.journey is not None
    out = d.tick(20)
    assert ended(d.screen, s.EndReason.TIMED_OUT)
    assert d.state.overlay is None and d.state.journey is None
    assert c.WipeInputs() in out and (c.ClearCheckpoint() in out) == had_journey
    assert ("session_ended", "timed_out") in audits(out)


def test_activity_dismisses_the_warning_and_restarts_the_clock() -> None:
    d = Driver.new().at_questions()
    d.tick(95)
    assert isinstance(d.state.overlay, s.InactivityWarning)
    d.activity()
    assert d.state.overlay is None
    d.tick(89)
    assert d.state.overlay is None
    d.tick(1)
    assert isinstance(d.state.overlay, s.InactivityWarning)


def test_a_key_press_intent_also_counts_as_activity() -> None:
    d = Driver.new().at_code()
    d.tick(95)
    d.send(e.SubmitCode("1"))  # malformed, but the holder is there
    assert d.state.overlay is None


def test_a_long_gap_between_ticks_ends_the_session_at_once() -> None:
    d = Driver.new().at_questions()
    d.tick(600)
    assert ended(d.screen, s.EndReason.TIMED_OUT)


@pytest.mark.parametrize("where", ["starting", "writing"])
def test_no_timeout_while_waiting_on_the_card_or_service(where: str) -> None:
    d = REACH[where](Driver.new())
    d.tick(600)
    assert d.state.overlay is None and not isinstance(d.screen, s.SessionEnded)


def test_no_timeout_while_answers_are_with_the_service_and_full_time_after() -> None:
    d = Driver.new().at_questions()
    d.send(e.SubmitAnswers(ANSWERS))
    d.tick(300)
    assert d.state.overlay is None
    d.send(e.AnswersWrong(attempts_left=2))
    d.tick(89)
    assert d.state.overlay is None


def test_no_timeout_without_a_card() -> None:
    d = Driver.new()
    d.tick(3600)
    assert isinstance(d.screen, s.WaitingForCard) and d.state.overlay is None


def test_configured_timeouts_are_used() -> None:
    config = FlowConfig(
        inactivity_timeout=dt.timedelta(seconds=20), inactivity_countdown=dt.timedelta(seconds=5)
    )
    d = Driver.new(config).at_card_status()
    d.tick(20)
    assert d.state.overlay == s.InactivityWarning(
        ends_at=T0 + dt.timedelta(seconds=25), seconds_left=5
    )
    d.tick(5)
    assert isinstance(d.screen, s.SessionEnded)


def test_session_ended_continue_reads_the_card_again() -> None:
    d = Driver.new().at_questions()
    d.tick(200)
    assert d.send(e.Continue()) == [c.ReadCard()]
    d.send(e.CardRead(LOCKED))
    assert first_screen(d.screen)


def test_session_ended_and_card_removed_goes_to_waiting() -> None:
    d = Driver.new().at_questions()
    d.tick(200)
    out = d.send(e.CardRemoved())
    assert isinstance(d.screen, s.WaitingForCard) and not audits(out)


# ---------------------------------------------------------------- cancel, back, help


@pytest.mark.parametrize("where", ["questions", "code", "new_passcode"])
@pytest.mark.parametrize("ask", [e.Cancel(), e.Back()])
def test_cancel_mid_journey_asks_first(where: str, ask: e.Event) -> None:
    d = REACH[where](Driver.new())
    screen = d.screen
    assert d.send(ask) == []
    assert d.state.overlay == s.CancelConfirmation() and d.screen == screen
    d.send(e.Back())
    assert d.state.overlay is None and d.screen == screen
    d.send(ask)
    out = d.send(e.ConfirmCancel())
    assert ended(d.screen, s.EndReason.CANCELLED)
    assert c.WipeInputs() in out and c.ClearCheckpoint() in out


def test_intents_are_held_while_cancel_is_asked() -> None:
    d = Driver.new().at_questions()
    d.send(e.Cancel())
    assert d.send(e.SubmitAnswers(ANSWERS)) == []


@pytest.mark.parametrize(
    ("where", "typed"), [("card_status", False), ("questions", True), ("code", True)]
)
@pytest.mark.parametrize("how", ["timed_out", "cancelled"])
def test_session_ended_says_whether_anything_typed_was_cleared(
    where: str, typed: bool, how: str
) -> None:
    # Only a screen with fields (or a journey already under way) had typing to clear.
    d = REACH[where](Driver.new())
    if how == "timed_out":
        d.tick(600)
    else:
        d.send(e.Cancel(), e.ConfirmCancel())
    assert isinstance(d.screen, s.SessionEnded)
    assert d.screen.typed is typed


def test_cancel_on_card_status_ends_at_once() -> None:
    d = Driver.new().at_card_status()
    out = d.send(e.Back())
    assert ended(d.screen, s.EndReason.CANCELLED)
    assert c.WipeInputs() in out and c.ClearCheckpoint() not in out


def test_cancel_is_refused_while_the_card_is_written() -> None:
    d = Driver.new().at_writing()
    before = d.state
    assert d.send(e.Cancel()) == [] and d.send(e.ConfirmCancel()) == []
    assert d.state.screen == before.screen


def test_cancel_without_a_card_does_nothing() -> None:
    d = Driver.new()
    assert d.send(e.Cancel()) == []
    assert isinstance(d.screen, s.WaitingForCard)


@pytest.mark.parametrize("where", ["card_status", "questions"])
def test_help_and_back(where: str) -> None:
    d = REACH[where](Driver.new())
    screen = d.screen
    d.send(e.Help(e.HelpTopic.CONTACT_RA))
    assert d.screen == s.HelpPage(topic=e.HelpTopic.CONTACT_RA, back_to=screen)
    d.send(e.Help(e.HelpTopic.FORGOTTEN_PASSCODE))
    assert d.screen == s.HelpPage(topic=e.HelpTopic.FORGOTTEN_PASSCODE, back_to=screen)
    d.send(e.Back())
    assert d.screen == screen


def test_help_without_a_card() -> None:
    d = Driver.new()
    d.send(e.Help(e.HelpTopic.LOST_OR_STOLEN))
    assert isinstance(d.screen, s.HelpPage)
    d.tick(60)
    assert isinstance(d.screen, s.HelpPage) and d.state.overlay is None
    d.send(e.Back())
    assert isinstance(d.screen, s.WaitingForCard)


def test_help_left_open_without_a_card_goes_back_to_waiting() -> None:
    d = Driver.new()
    d.send(e.Help(e.HelpTopic.EXPIRING))
    d.tick(89)
    assert isinstance(d.screen, s.HelpPage)
    out = d.tick(1)
    assert isinstance(d.screen, s.WaitingForCard) and out == []


def test_help_is_not_opened_while_busy() -> None:
    d = Driver.new().at_writing()
    d.send(e.Help(e.HelpTopic.CONTACT_RA))
    assert isinstance(d.screen, s.WritingCard)


# ---------------------------------------------------------------- the service unreachable


def test_start_unlock_unreachable_retries_by_itself_with_backoff() -> None:
    d = Driver.new().at_starting()
    out = d.send(e.ServiceUnreachable(e.Call.START_UNLOCK))
    retry = c.StartUnlock(serial=LOCKED.serial, uuid=LOCKED.uuid)
    assert d.screen == s.ServiceUnavailable(
        doing="checking your card",
        resume_to=s.StartingUnlock(),
        retry=retry,
        attempts=1,
        retry_at=T0 + dt.timedelta(seconds=2),
    )
    assert ("service_unreachable", "start_unlock") in audits(out)
    assert d.tick(1) == []
    assert d.tick(1) == [retry]
    d.send(e.ServiceUnreachable(e.Call.START_UNLOCK))
    assert isinstance(d.screen, s.ServiceUnavailable)
    assert d.screen.attempts == 2 and d.screen.retry_at == d.now + dt.timedelta(seconds=4)
    d.tick(4)
    d.send(QUESTIONS_NEXT)
    assert isinstance(d.screen, s.Questions)


def test_backoff_is_capped_and_honours_retry_after() -> None:
    d = Driver.new().at_starting()
    d.send(e.ServiceUnreachable(e.Call.START_UNLOCK, retry_after=45))
    assert isinstance(d.screen, s.ServiceUnavailable)
    assert d.screen.retry_at == d.now + dt.timedelta(seconds=45)
    for _ in range(10):
        d.send(e.ServiceUnreachable(e.Call.START_UNLOCK))
    assert d.screen.retry_at == d.now + dt.timedelta(seconds=30)


def test_answers_unreachable_keeps_inputs_and_comes_back() -> None:
    d = Driver.new().at_questions()
    d.send(e.SubmitAnswers(ANSWERS))
    out = d.send(e.ServiceUnreachable(e.Call.SEND_ANSWERS))
    assert c.WipeInputs() not in out  # what was typed stays on screen
    assert isinstance(d.screen, s.ServiceUnavailable) and d.screen.retry is None
    assert d.screen.doing == "checking your answers"
    assert not any(secret in repr(d.state) for secret in SECRETS)
    assert d.tick(2) == [c.CheckService()]
    d.send(e.ServiceUnreachable(e.Call.CHECK_SERVICE))
    d.tick(4)
    d.send(e.ServiceReachable())
    assert isinstance(d.screen, s.Questions)
    assert not d.screen.sending and d.screen.notice
    assert d.send(e.SubmitAnswers(ANSWERS)) == [c.SendAnswers(UNLOCK_ID, ANSWERS)]


def test_an_outage_says_what_was_typed_is_kept_only_when_something_was() -> None:
    # Issue 12 item 15: "everything you typed is kept" was said while nothing was typed.
    d = Driver.new().at_starting()
    d.send(e.ServiceUnreachable(e.Call.START_UNLOCK))
    assert isinstance(d.screen, s.ServiceUnavailable) and not d.screen.typed
    d = Driver.new().at_writing()
    d.send(e.ChallengeRead(), e.ServiceUnreachable(e.Call.WRITE_NEW_PASSCODE))
    assert isinstance(d.screen, s.ServiceUnavailable) and not d.screen.typed  # typed again
    d = Driver.new().at_questions()
    d.send(e.SubmitAnswers(ANSWERS), e.ServiceUnreachable(e.Call.SEND_ANSWERS))
    assert isinstance(d.screen, s.ServiceUnavailable) and d.screen.typed


def test_a_busy_service_keeps_the_screen_sending_and_the_call_goes_again_by_itself() -> None:
    # Issue 14 item 3: 503 service_busy; the call waits and retries with the same key.
    d = Driver.new().at_questions()
    d.send(e.SubmitAnswers(ANSWERS))
    out = d.send(e.ServiceBusy(e.Call.SEND_ANSWERS, retry_after=7))
    assert c.WipeInputs() not in out
    assert ("service_busy", "send_answers") in audits(out)
    outage = d.screen
    assert isinstance(outage, s.ServiceUnavailable)
    assert outage.overloaded and outage.call_waiting and outage.typed
    assert isinstance(outage.resume_to, s.Questions) and outage.resume_to.sending
    assert outage.retry_at == d.now + dt.timedelta(seconds=7)
    assert not any(secret in repr(d.state) for secret in SECRETS)
    # No probe and no second call from the flow: the waiting call goes by itself.
    assert d.tick(10) == []
    assert d.send(e.ServiceReachable()) == []
    d.send(e.ServiceBusy(e.Call.SEND_ANSWERS, retry_after=3))
    assert isinstance(d.screen, s.ServiceUnavailable)
    assert d.screen.retry_at == d.now + dt.timedelta(seconds=3)
    d.send(e.AnswersAccepted("j***@nhs.net", CODE_EXPIRES))
    assert isinstance(d.screen, s.CodeEntry)


def test_a_busy_call_that_gives_up_is_an_outage_the_holder_sends_again_from() -> None:
    d = Driver.new().at_questions()
    d.send(e.SubmitAnswers(ANSWERS), e.ServiceBusy(e.Call.SEND_ANSWERS, retry_after=2))
    d.send(e.ServiceUnreachable(e.Call.SEND_ANSWERS, retry_after=20, overloaded=True))
    outage = d.screen
    assert isinstance(outage, s.ServiceUnavailable)
    assert outage.overloaded and not outage.call_waiting and outage.typed
    assert isinstance(outage.resume_to, s.Questions) and not outage.resume_to.sending
    assert outage.retry_at == d.now + dt.timedelta(seconds=20)
    assert d.tick(20) == [c.CheckService()]
    d.send(e.ServiceReachable())
    assert isinstance(d.screen, s.Questions) and d.screen.notice


def test_code_unreachable_comes_back_to_code_entry() -> None:
    d = Driver.new().at_code()
    d.send(e.SubmitCode(CODE), e.ServiceUnreachable(e.Call.SEND_CODE))
    assert isinstance(d.screen, s.ServiceUnavailable)
    d.tick(2)
    d.send(e.ServiceReachable())
    assert isinstance(d.screen, s.CodeEntry) and not d.screen.sending


def test_resend_unreachable_retries_the_resend() -> None:
    d = Driver.new().at_code()
    d.tick(61)
    d.send(e.ResendCodeRequested(), e.ServiceUnreachable(e.Call.RESEND_CODE))
    assert isinstance(d.screen, s.ServiceUnavailable)
    assert d.tick(2) == [c.ResendCode(UNLOCK_ID)]
    d.send(e.ServiceReachable())  # the retried call itself answers, not the probe
    assert isinstance(d.screen, s.ServiceUnavailable)
    d.send(e.ResendDone(code_sent_to="j***@nhs.net", code_expires_at=d.now))
    assert isinstance(d.screen, s.CodeEntry) and d.screen.notice


def test_write_unreachable_before_the_card_was_touched() -> None:
    d = Driver.new().at_writing()
    d.send(e.ChallengeRead(), e.ServiceUnreachable(e.Call.WRITE_NEW_PASSCODE))
    assert isinstance(d.screen, s.ServiceUnavailable)
    assert isinstance(d.screen.resume_to, s.NewPasscode)
    d.tick(2)
    d.send(e.ServiceReachable())
    assert isinstance(d.screen, s.NewPasscode) and d.screen.notice


def test_cancel_while_service_unavailable_asks_first() -> None:
    d = Driver.new().at_questions()
    d.send(e.SubmitAnswers(ANSWERS), e.ServiceUnreachable(e.Call.SEND_ANSWERS))
    d.send(e.Cancel())
    assert d.state.overlay == s.CancelConfirmation()
    d.send(e.ConfirmCancel())
    assert isinstance(d.screen, s.SessionEnded)


def test_service_unavailable_still_times_out() -> None:
    d = Driver.new().at_questions()
    d.send(e.SubmitAnswers(ANSWERS), e.ServiceUnreachable(e.Call.SEND_ANSWERS))
    for _ in range(130):
        d.tick(1)
        if ended(d.state.screen, s.EndReason.TIMED_OUT):
            break
    assert ended(d.screen, s.EndReason.TIMED_OUT)


@pytest.mark.parametrize(
    ("where", "submit", "call"),
    [
        ("questions", e.SubmitAnswers(ANSWERS), e.Call.SEND_ANSWERS),
        ("code", e.SubmitCode(CODE), e.Call.SEND_CODE),
        (
            "new_passcode",
            e.SubmitNewPasscode(NEW_PASSCODE, NEW_PASSCODE),
            e.Call.WRITE_NEW_PASSCODE,
        ),
    ],
)
def test_service_refusal_stops_the_unlock(where: str, submit: e.Event, call: e.Call) -> None:
    d = REACH[where](Driver.new())
    d.send(submit)
    out = d.send(e.ServiceRefused(call, "wrong_step"))
    assert d.screen == s.UnlockStopped(reason=s.StopReason.PROBLEM)
    assert c.ClearCheckpoint() in out


@pytest.mark.parametrize(
    ("where", "submit"),
    [
        ("questions", e.SubmitAnswers(ANSWERS)),
        ("code", e.SubmitCode(CODE)),
        ("new_passcode", e.SubmitNewPasscode(NEW_PASSCODE, NEW_PASSCODE)),
    ],
)
def test_unlock_expired_reply_stops_the_unlock(where: str, submit: e.Event) -> None:
    d = REACH[where](Driver.new())
    d.send(submit, e.UnlockExpired())
    assert d.screen == s.UnlockStopped(reason=s.StopReason.EXPIRED)
    assert d.state.journey is None


def test_the_window_closing_stops_the_unlock_even_with_the_holder_active() -> None:
    d = Driver.new().at_code()
    for _ in range(35):
        d.activity(60)
        d.tick(0)
    assert d.screen == s.UnlockStopped(reason=s.StopReason.EXPIRED)


# ---------------------------------------------------------------- resume after a restart


def checkpoint_at(step: Step, **changes: object) -> Checkpoint:
    base = Checkpoint(
        journey=Journey.UNLOCK,
        step=step,
        serial=LOCKED.serial,
        service_id=UNLOCK_ID,
        started_at=T0 - dt.timedelta(minutes=5),
        updated_at=T0 - dt.timedelta(minutes=1),
        expires_at=T0 + dt.timedelta(minutes=10),
        attempts_left=2,
        tries_left=1,
        code_sent_to="j***@nhs.net",
        code_sent_at=T0 - dt.timedelta(minutes=1),
        code_expires_at=T0 + dt.timedelta(minutes=14),
        questions=QUESTIONS,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("step_", "screen_type"),
    [(Step.QUESTIONS, s.Questions), (Step.CODE, s.CodeEntry), (Step.NEW_PASSCODE, s.NewPasscode)],
)
def test_resume_same_card_open_window(step_: Step, screen_type: type[s.Screen]) -> None:
    d = Driver.new(checkpoint=checkpoint_at(step_))
    out = d.send(e.CardInserted(), e.CardRead(LOCKED))
    assert isinstance(d.screen, screen_type)
    assert c.ClearCheckpoint() not in out
    assert ("journey_resumed", step_.value) in audits(out)
    assert d.state.journey == checkpoint_at(step_)


def test_resumed_screens_carry_the_saved_facts() -> None:
    code = resume(checkpoint_at(Step.CODE), LOCKED, T0)
    assert isinstance(code, s.CodeEntry)
    assert (code.sent_to, code.tries_left, code.expires_at) == (
        "j***@nhs.net",
        1,
        T0 + dt.timedelta(minutes=14),
    )
    questions = resume(checkpoint_at(Step.QUESTIONS), LOCKED, T0)
    assert isinstance(questions, s.Questions)
    assert (questions.questions, questions.attempts_left) == (QUESTIONS, 2)


def test_resume_then_carry_on_to_the_end() -> None:
    d = Driver.new(checkpoint=checkpoint_at(Step.CODE))
    d.send(e.CardInserted(), e.CardRead(LOCKED))
    d.send(e.SubmitCode(CODE))
    assert of_type(d.commands, c.SendCode) == [c.SendCode(UNLOCK_ID, CODE)]


@pytest.mark.parametrize(
    ("checkpoint", "card"),
    [
        (checkpoint_at(Step.CODE), dataclasses.replace(LOCKED, serial="ffffffffffffffff")),
        (checkpoint_at(Step.CODE, expires_at=T0), LOCKED),
        (checkpoint_at(Step.CODE), dataclasses.replace(LOCKED, pin=PinState.WORKING)),
        (checkpoint_at(Step.QUESTIONS, questions=()), LOCKED),
    ],
    ids=["other card", "window closed", "card works again", "no questions saved"],
)
def test_no_resume_wipes_the_checkpoint(checkpoint: Checkpoint, card: object) -> None:
    d = Driver.new(checkpoint=checkpoint)
    out = d.send(e.CardInserted(), e.CardRead(card))  # type: ignore[arg-type]
    assert first_screen(d.screen)
    assert c.ClearCheckpoint() in out and d.state.journey is None


PIV_GUID = "53535550495600000102030405060711"


@pytest.mark.parametrize(
    ("step_", "serial", "pin", "expires_in", "settles"),
    [
        (Step.NEW_PASSCODE, PIV_GUID, PinState.WORKING, 10, True),
        (Step.NEW_PASSCODE, LOCKED.serial, PinState.WORKING, 10, False),  # own applet
        (Step.CODE, PIV_GUID, PinState.WORKING, 10, False),  # no PUK released yet
        (Step.NEW_PASSCODE, PIV_GUID, PinState.WORKING, 0, False),  # window closed
    ],
    ids=["piv-written", "own-written", "piv-before-the-write", "piv-window-closed"],
)
def test_a_piv_card_written_before_a_restart_has_its_puk_settled(
    step_: Step, serial: str, pin: PinState, expires_in: int, settles: bool
) -> None:
    """Killed after the unblock reached a PIV card: the restarted kiosk finds it
    working, wipes the checkpoint as for any card that works again, and settles the
    PUK rotation the killed kiosk may not have reported."""
    checkpoint = checkpoint_at(
        step_, serial=serial, expires_at=T0 + dt.timedelta(minutes=expires_in)
    )
    d = Driver.new(checkpoint=checkpoint)
    out = d.send(e.CardInserted(), e.CardRead(dataclasses.replace(LOCKED, serial=serial, pin=pin)))
    assert c.ClearCheckpoint() in out and d.state.journey is None
    expected = [c.SettlePuk(unlock_id=UNLOCK_ID, serial=serial)] if settles else []
    assert of_type(out, c.SettlePuk) == expected
    assert (("puk_settle", "requested") in audits(out)) is settles


def test_checkpoint_wiped_when_the_card_is_unreadable_or_removed() -> None:
    d = Driver.new(checkpoint=checkpoint_at(Step.CODE))
    out = d.send(e.CardInserted(), e.CardUnreadable(e.UnreadableReason.READ_ERROR))
    assert c.ClearCheckpoint() in out
    d = Driver.new(checkpoint=checkpoint_at(Step.CODE))
    assert c.ClearCheckpoint() in d.send(e.CardRemoved())


def test_stale_checkpoint_without_a_card_is_wiped_when_its_window_closes() -> None:
    d = Driver.new(checkpoint=checkpoint_at(Step.CODE))
    assert d.tick(599) == []
    assert d.tick(1) == [c.ClearCheckpoint()]
    assert d.state.journey is None


# ---------------------------------------------------------------- secrecy


def test_checkpoint_record_round_trip_and_json() -> None:
    checkpoint = checkpoint_at(Step.CODE)
    record = checkpoint.to_record()
    assert Checkpoint.from_record(json.loads(json.dumps(record))) == checkpoint


def test_secret_fields_are_hidden_from_repr() -> None:
    for thing in (
        e.SubmitAnswers(ANSWERS),
        e.SubmitCode(CODE),
        e.SubmitNewPasscode(NEW_PASSCODE, NEW_PASSCODE),
        c.SendAnswers(UNLOCK_ID, ANSWERS),
        c.SendCode(UNLOCK_ID, CODE),
        c.WriteNewPasscode(UNLOCK_ID, LOCKED.serial, NEW_PASSCODE),
    ):
        assert not any(secret in repr(thing) for secret in SECRETS), thing


def test_whole_journey_keeps_no_secret_in_states_checkpoints_or_audit() -> None:
    d = Driver.new().at_unlocked()
    for state in d.states:
        assert not any(secret in repr(state) for secret in SECRETS)
    kept = [
        json.dumps(cmd.checkpoint.to_record()) if isinstance(cmd, c.SaveCheckpoint) else repr(cmd)
        for cmd in d.commands
        if isinstance(cmd, c.SaveCheckpoint | c.QueueAudit | c.QueueResultReport)
    ]
    assert kept and not any(secret in text for text in kept for secret in SECRETS)


def test_the_flow_imports_no_ui_card_or_http_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys, kiosk.flow, kiosk.flow.machine;"
        "bad = [m for m in ('textual', 'smartcard', 'httpx', 'card') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_card_inserted_while_watching_never_resumes_a_journey() -> None:
    """After a restart the kiosk resumes only for a card that stayed in the reader."""
    d = Driver.new().at_code()
    journey = d.state.journey
    assert journey is not None
    restarted = Driver.new()
    restarted.state = s.KioskState.start(d.state.config, now=d.state.now, checkpoint=journey)
    out = restarted.send(e.CardInserted(fresh=True))
    assert c.ClearCheckpoint() in out and restarted.state.journey is None
    restarted.send(e.CardRead(LOCKED))
    assert first_screen(restarted.screen)


@pytest.mark.parametrize("gap", [e.CardServiceLost(), e.ReaderRemoved("r")])
def test_after_a_card_service_gap_a_reported_card_may_resume(gap: e.Event) -> None:
    """Nobody watched the reader during the gap: the card may have stayed in."""
    d = Driver.new().at_code()
    d.send(gap, e.CardServiceUp(), e.ReaderAdded("r"), e.CardInserted(fresh=True))
    assert d.state.journey is not None
    d.send(e.CardRead(LOCKED))
    assert isinstance(d.screen, s.CodeEntry)

"""Every step, timeout and failure of registering and changing a passcode, on the pure flow."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.flow.facts import CardFacts, Checkpoint, FlowConfig, Journey, PinState, Question, Step
from kiosk.flow.machine import resume
from tests.kiosk.kiosk_journey import CODE, LOCKED, T0, WORKING, Driver, of_type

CONFIG = FlowConfig(terms_version="2026-11", terms_text="Self-service terms ...")
PASSCODE = "905137"
NEW_PASSCODE = "583920"
EMAIL = "sam.taylor@nhs.net"
MOBILE = "07700 900003"
REG_ID = "reg_0001"
REG_EXPIRES = T0 + dt.timedelta(minutes=30)
CODE_EXPIRES = T0 + dt.timedelta(minutes=15)
CATALOGUE = tuple(Question(f"q{n:02d}", f"Question number {n}?") for n in range(1, 21))
CHOSEN = ("q02", "q07", "q11", "q19")
NEW_ANSWERS = {
    "q02": "SECRET-NEW-answer-one",
    "q07": "SECRET-NEW-answer-two",
    "q11": "SECRET-NEW-answer-three",
    "q19": "SECRET-NEW-answer-four",
}
SECRETS = (PASSCODE, NEW_PASSCODE, CODE, *NEW_ANSWERS.values())


def audits(commands: list[c.Command]) -> list[tuple[str, str]]:
    return [(a.type, a.outcome) for a in commands if isinstance(a, c.QueueAudit)]


def at_status(card: CardFacts | None = None) -> Driver:
    d = Driver.new(CONFIG)
    d.at_card_status(card or WORKING)
    return d


def at_passcode() -> Driver:
    d = at_status()
    d.send(e.RegisterRequested())
    return d


def at_terms() -> Driver:
    d = at_passcode()
    d.send(e.SubmitPasscode(PASSCODE), e.PasscodeVerified())
    return d


def at_contacts() -> Driver:
    d = at_terms()
    d.send(e.AcceptTerms())
    return d


def at_choose() -> Driver:
    d = at_contacts()
    d.send(e.SubmitContactDetails(EMAIL, MOBILE))
    d.send(e.RegistrationStartedReply(REG_ID, REG_EXPIRES))
    d.send(e.CatalogueLoaded(CATALOGUE))
    return d


def at_answers() -> Driver:
    d = at_choose()
    d.send(*[e.ToggleQuestion(q) for q in CHOSEN], e.SubmitChosenQuestions())
    return d


def at_code() -> Driver:
    d = at_answers()
    d.send(e.SubmitRegistrationAnswers(NEW_ANSWERS, NEW_ANSWERS))
    d.send(e.AnswersAccepted("s***@nhs.net", CODE_EXPIRES))
    return d


def at_change() -> Driver:
    d = at_status()
    d.send(e.ChangePasscodeRequested())
    return d


# ---------------------------------------------------------------- entry points


def test_working_card_offers_register_and_change_passcode() -> None:
    d = at_status()
    assert isinstance(d.screen, s.CardStatus) and d.screen.can_register
    d.send(e.RegisterRequested())
    assert d.screen == s.PasscodeEntry(tries_left=3)
    assert ("registration", "requested") in audits(d.commands)


@pytest.mark.parametrize("event", [e.RegisterRequested(), e.ChangePasscodeRequested()])
def test_locked_or_expired_card_is_not_offered_registration(event: e.Event) -> None:
    d = at_status(LOCKED)
    assert d.send(event) == []
    assert isinstance(d.screen, s.CardStatus)
    expired = dataclasses.replace(WORKING, expiry=T0.date() - dt.timedelta(days=1))
    d = at_status(expired)
    assert d.send(event) == []


def test_no_terms_means_no_registration() -> None:
    d = Driver.new(FlowConfig())
    d.at_card_status(WORKING)
    d.send(e.RegisterRequested())
    assert isinstance(d.screen, s.CardStatus) and d.screen.notice
    assert ("registration", "unavailable") in audits(d.commands)


def test_unregistered_blocked_card_is_told_to_ask_the_ra_and_register_next_time() -> None:
    d = Driver.new(CONFIG).at_card_status(LOCKED)
    d.send(e.Continue(), e.NotRegisteredReply())
    assert isinstance(d.screen, s.NotRegistered)


# ---------------------------------------------------------------- passcode


def test_passcode_goes_to_the_card_only_in_the_command() -> None:
    d = at_passcode()
    out = d.send(e.SubmitPasscode(PASSCODE))
    assert out == [c.VerifyPasscode(serial=WORKING.serial, passcode=PASSCODE)]
    assert PASSCODE not in repr(out)
    assert isinstance(d.screen, s.PasscodeEntry) and d.screen.busy
    assert d.send(e.SubmitPasscode(PASSCODE)) == []  # no second VERIFY while checking
    out = d.send(e.PasscodeVerified())
    assert d.screen == s.Terms(version="2026-11", text=CONFIG.terms_text)
    assert c.WipeInputs() in out


@pytest.mark.parametrize("typed", ["", "12ab56", "123456789", "１２３４５６"])
def test_a_value_that_cannot_be_a_passcode_costs_no_try(typed: str) -> None:
    d = at_passcode()
    out = d.send(e.SubmitPasscode(typed))
    assert not of_type(out, c.VerifyPasscode)
    assert isinstance(d.screen, s.PasscodeEntry) and d.screen.error


def test_wrong_passcode_shows_tries_and_warns_before_the_last() -> None:
    d = at_passcode()
    d.send(e.SubmitPasscode("111111"), e.PasscodeWrong(tries_left=2))
    assert isinstance(d.screen, s.PasscodeEntry)
    assert (
        d.screen.tries_left == 2 and not d.screen.last_try and "2 tries" in (d.screen.error or "")
    )
    d.send(e.SubmitPasscode("222222"), e.PasscodeWrong(tries_left=1))
    assert isinstance(d.screen, s.PasscodeEntry) and d.screen.last_try
    # The screen's last-try warning says the card will lock (tests/screens/test_last_try.py);
    # the message says only that this passcode was wrong, so the lock is said once.
    assert d.screen.error == "That passcode is not right."
    assert ("registration_passcode", "wrong") in audits(d.commands)


def test_third_wrong_passcode_locks_the_card_and_offers_the_unlock() -> None:
    d = at_passcode()
    out = d.send(e.SubmitPasscode("333333"), e.PasscodeBlocked())
    assert isinstance(d.screen, s.CardStatus) and d.screen.can_unlock and d.screen.notice
    assert d.state.card is not None and d.state.card.pin is PinState.BLOCKED
    assert c.WipeInputs() in out


def test_card_error_on_verify_says_so_and_lets_the_holder_try_again() -> None:
    d = at_passcode()
    d.send(e.SubmitPasscode(PASSCODE), e.CardActionFailed("6A80"))
    assert isinstance(d.screen, s.PasscodeEntry) and not d.screen.checking and d.screen.error


# ---------------------------------------------------------------- terms


def test_declining_the_terms_goes_back_to_the_card_with_nothing_kept() -> None:
    d = at_terms()
    out = d.send(e.DeclineTerms())
    assert isinstance(d.screen, s.CardStatus) and d.screen.notice
    assert c.WipeInputs() in out
    assert ("terms", "declined") in audits(out)


def test_accepting_records_the_version() -> None:
    d = at_terms()
    out = d.send(e.AcceptTerms())
    assert isinstance(d.screen, s.ContactDetails)
    audit = of_type(out, c.QueueAudit)[0]
    assert audit.detail == {"terms_version": "2026-11"}


# ---------------------------------------------------------------- contact details


@pytest.mark.parametrize(
    ("email", "mobile", "fragment"),
    [
        ("sam@gmail.com", MOBILE, "nhs.net, gov.uk or mod.uk"),
        ("not an email", MOBILE, "does not look like"),
        (EMAIL, "0113 496 0000", "UK mobile"),
        ("", "", "Type your"),
    ],
)
def test_contact_details_are_checked_before_the_service(
    email: str, mobile: str, fragment: str
) -> None:
    d = at_contacts()
    out = d.send(e.SubmitContactDetails(email, mobile))
    assert not of_type(out, c.StartRegistration)
    assert isinstance(d.screen, s.ContactDetails)
    assert any(fragment in error for error in d.screen.errors), d.screen.errors


def test_good_contacts_start_the_registration_with_the_terms_version() -> None:
    d = at_contacts()
    out = d.send(e.SubmitContactDetails(" Sam.Taylor@dwp.gov.uk ", "+44 7700 900003"))
    assert out == [
        c.StartRegistration(
            serial=WORKING.serial,
            uuid=WORKING.uuid,
            email="Sam.Taylor@dwp.gov.uk",
            mobile="+447700900003",
            terms_version="2026-11",
        )
    ]
    assert isinstance(d.screen, s.ContactDetails) and d.screen.busy
    out = d.send(e.RegistrationStartedReply(REG_ID, REG_EXPIRES))
    assert isinstance(d.screen, s.ChooseQuestions) and d.screen.loading
    assert c.LoadQuestionCatalogue() in out
    saved = of_type(out, c.SaveCheckpoint)[0].checkpoint
    assert (saved.journey, saved.step, saved.service_id) == (
        Journey.REGISTRATION,
        Step.QUESTIONS,
        REG_ID,
    )
    assert "Sam.Taylor" not in json.dumps(saved.to_record())


def test_service_refusals_of_the_contacts_name_the_problem() -> None:
    d = at_contacts()
    d.send(e.SubmitContactDetails(EMAIL, MOBILE), e.EmailNotApproved(("nhs.net",)))
    assert isinstance(d.screen, s.ContactDetails) and "nhs.net" in d.screen.errors[0]
    d.send(e.SubmitContactDetails(EMAIL, MOBILE), e.MobileRefused())
    assert isinstance(d.screen, s.ContactDetails) and "mobile" in d.screen.errors[0]
    d.send(e.SubmitContactDetails(EMAIL, MOBILE), e.TermsOutdated("2027-01"))
    assert d.screen == s.RegistrationStopped(reason=s.StopReason.PROBLEM)


def test_holder_proof_refused_means_card_not_recognised() -> None:
    d = at_contacts()
    d.send(e.SubmitContactDetails(EMAIL, MOBILE), e.CardProofRefused())
    assert isinstance(d.screen, s.CardNotRecognised)


def test_card_reset_since_verify_asks_for_the_passcode_once_more() -> None:
    d = at_contacts()
    d.send(e.SubmitContactDetails(EMAIL, MOBILE), e.HolderNotVerified())
    assert isinstance(d.screen, s.PasscodeEntry)
    assert d.screen.contacts == (EMAIL, "07700900003") and d.screen.notice
    out = d.send(e.SubmitPasscode(PASSCODE))
    assert out == [
        c.StartRegistration(
            serial=WORKING.serial,
            uuid=WORKING.uuid,
            email=EMAIL,
            mobile="07700900003",
            terms_version="2026-11",
            passcode=PASSCODE,
        )
    ]
    assert PASSCODE not in repr(out)
    d.send(e.RegistrationStartedReply(REG_ID, REG_EXPIRES))
    assert isinstance(d.screen, s.ChooseQuestions)


def test_service_down_while_starting_keeps_the_contacts_and_asks_to_send_again() -> None:
    d = at_contacts()
    d.send(e.SubmitContactDetails(EMAIL, MOBILE))
    d.send(e.ServiceUnreachable(e.Call.START_REGISTRATION))
    assert isinstance(d.screen, s.ServiceUnavailable) and d.screen.retry is None
    d.tick(5)
    d.send(e.ServiceReachable())
    assert isinstance(d.screen, s.ContactDetails) and d.screen.notice and not d.screen.busy
    out = d.send(e.SubmitContactDetails(EMAIL, MOBILE))
    assert of_type(out, c.StartRegistration)


# ---------------------------------------------------------------- questions


def test_catalogue_from_the_cache_is_used_like_a_fresh_one() -> None:
    d = at_contacts()
    d.send(e.SubmitContactDetails(EMAIL, MOBILE), e.RegistrationStartedReply(REG_ID, REG_EXPIRES))
    d.send(e.CatalogueLoaded(CATALOGUE, from_cache=True))
    assert isinstance(d.screen, s.ChooseQuestions)
    assert d.screen.from_cache and len(d.screen.catalogue) == 20 and not d.screen.loading


def test_no_catalogue_anywhere_retries_by_itself() -> None:
    d = at_contacts()
    d.send(e.SubmitContactDetails(EMAIL, MOBILE), e.RegistrationStartedReply(REG_ID, REG_EXPIRES))
    d.send(e.ServiceUnreachable(e.Call.LOAD_QUESTION_CATALOGUE))
    assert isinstance(d.screen, s.ServiceUnavailable)
    assert d.screen.retry == c.LoadQuestionCatalogue()
    out = d.tick(3)
    assert c.LoadQuestionCatalogue() in out
    d.send(e.CatalogueLoaded(CATALOGUE))
    assert isinstance(d.screen, s.ChooseQuestions) and not d.screen.loading


def test_a_refused_catalogue_stops_the_registration_rather_than_loading_for_ever() -> None:
    # Every call's refusal goes through the one service_trouble table; before it,
    # a refused catalogue (401, say) left the holder on a loading screen.
    d = at_contacts()
    d.send(e.SubmitContactDetails(EMAIL, MOBILE), e.RegistrationStartedReply(REG_ID, REG_EXPIRES))
    out = d.send(e.ServiceRefused(e.Call.LOAD_QUESTION_CATALOGUE, "unauthorized"))
    assert d.screen == s.RegistrationStopped(reason=s.StopReason.PROBLEM)
    assert c.ClearCheckpoint() in out and d.state.journey is None


def test_choosing_four_different_questions() -> None:
    d = at_choose()
    d.send(e.SubmitChosenQuestions())
    assert isinstance(d.screen, s.ChooseQuestions) and "you have chosen 0" in (d.screen.error or "")
    d.send(e.ToggleQuestion("q02"), e.ToggleQuestion("q02"))  # chosen then unchosen
    assert isinstance(d.screen, s.ChooseQuestions) and d.screen.chosen == ()
    d.send(*[e.ToggleQuestion(q) for q in ("q01", "q02", "q03", "q04")])
    d.send(e.ToggleQuestion("q05"))  # a fifth is refused
    assert isinstance(d.screen, s.ChooseQuestions)
    assert d.screen.chosen == ("q01", "q02", "q03", "q04") and d.screen.error
    d.send(e.ToggleQuestion("nope"))
    assert d.screen.chosen == ("q01", "q02", "q03", "q04")
    d.send(e.SubmitChosenQuestions())
    assert isinstance(d.screen, s.RegistrationAnswers)
    assert [q.id for q in d.screen.questions] == ["q01", "q02", "q03", "q04"]


# ---------------------------------------------------------------- answers


def test_copies_that_differ_say_plainly_what_to_do() -> None:
    d = at_answers()
    mismatch = dict(NEW_ANSWERS, q11="something else")
    d.send(e.SubmitRegistrationAnswers(NEW_ANSWERS, mismatch))
    assert d.screen.errors == (  # type: ignore[attr-defined]
        "Answer 3: The two copies are different. Type the answer in both boxes again.",
    )


def test_answers_typed_twice_are_checked_before_the_service() -> None:
    d = at_answers()
    short = dict(NEW_ANSWERS, q02="  a  b ")  # "a b": 3 characters, allowed
    short["q07"] = "ab"
    mismatch = dict(NEW_ANSWERS, q11="something else")
    too_long = dict(NEW_ANSWERS, q19="x" * 65)
    out = d.send(e.SubmitRegistrationAnswers(short, short))
    assert not of_type(out, c.SendRegistrationAnswers)
    assert isinstance(d.screen, s.RegistrationAnswers)
    assert d.screen.errors == ("Answer 2: Use at least 3 letters or digits.",)
    d.send(e.SubmitRegistrationAnswers(NEW_ANSWERS, mismatch))
    assert d.screen.errors[0].startswith("Answer 3: The two copies")  # type: ignore[attr-defined]
    d.send(e.SubmitRegistrationAnswers(too_long, too_long))
    assert d.screen.errors[0].startswith("Answer 4: Use at most 64")  # type: ignore[attr-defined]
    # the same answer in other case and spacing matches its copy
    repeats = {k: "  " + v.upper() + " " for k, v in NEW_ANSWERS.items()}
    out = d.send(e.SubmitRegistrationAnswers(NEW_ANSWERS, repeats))
    assert out == [c.SendRegistrationAnswers(registration_id=REG_ID, answers=NEW_ANSWERS)]
    assert not any(secret in repr(out) for secret in SECRETS)


def test_answers_accepted_show_the_code_screen_and_save_progress() -> None:
    d = at_code()
    assert isinstance(d.screen, s.RegistrationCodeEntry)
    assert d.screen.sent_to == "s***@nhs.net"
    assert d.state.journey is not None and d.state.journey.step is Step.CODE


def test_answers_refused_by_the_service() -> None:
    d = at_answers()
    d.send(e.SubmitRegistrationAnswers(NEW_ANSWERS, NEW_ANSWERS))
    d.send(e.RegistrationAnswersRefused("The answer to q02 must be 3 to 64 characters."))
    assert isinstance(d.screen, s.RegistrationAnswers) and not d.screen.sending
    assert "q02" not in d.screen.errors[0]  # the service's detail is not shown as is


def test_answers_while_the_service_is_down_are_sent_again_by_the_holder() -> None:
    d = at_answers()
    d.send(e.SubmitRegistrationAnswers(NEW_ANSWERS, NEW_ANSWERS))
    d.send(e.ServiceUnreachable(e.Call.SEND_REGISTRATION_ANSWERS))
    assert isinstance(d.screen, s.ServiceUnavailable) and d.screen.retry is None
    assert d.send(e.SubmitRegistrationAnswers(NEW_ANSWERS, NEW_ANSWERS)) == []
    d.tick(3)
    d.send(e.ServiceReachable())
    assert isinstance(d.screen, s.RegistrationAnswers) and d.screen.notice


# ---------------------------------------------------------------- code


def test_code_confirms_the_registration() -> None:
    d = at_code()
    out = d.send(e.SubmitCode("7391 5082"))
    assert out == [c.ConfirmRegistration(registration_id=REG_ID, code=CODE)]
    out = d.send(e.RegistrationConfirmed())
    assert d.screen == s.Registered(name=WORKING.name)
    assert c.ClearCheckpoint() in out and d.state.journey is None
    assert ("registration", "confirmed") in audits(out)


def test_the_registered_screen_keeps_the_policy_the_service_named() -> None:
    d = at_code()
    d.send(e.SubmitCode("7391 5082"))
    d.send(e.RegistrationConfirmed(policy="two-channel"))
    assert d.screen == s.Registered(name=WORKING.name, policy="two-channel")


def test_code_wrong_void_and_expired() -> None:
    d = at_code()
    d.send(e.SubmitCode(CODE), e.CodeWrong(tries_left=2))
    assert isinstance(d.screen, s.RegistrationCodeEntry) and d.screen.tries_left == 2
    d.send(e.SubmitCode(CODE), e.CodeExpired())
    assert isinstance(d.screen, s.RegistrationCodeEntry) and "expired" in (d.screen.error or "")
    d.send(e.SubmitCode(CODE), e.CodeVoid())
    assert d.screen == s.RegistrationStopped(reason=s.StopReason.CODE_VOID)
    assert ("registration_stopped", "code_void") in audits(d.commands)


def test_resend_for_a_registration() -> None:
    d = at_code()
    d.send(e.ResendCodeRequested())
    assert isinstance(d.screen, s.RegistrationCodeEntry) and "seconds" in (d.screen.error or "")
    d.tick(61)
    out = d.send(e.ResendCodeRequested())
    assert out == [c.ResendRegistrationCode(registration_id=REG_ID)]
    d.send(e.ResendDone("s***@nhs.net", CODE_EXPIRES + dt.timedelta(minutes=2)))
    assert isinstance(d.screen, s.RegistrationCodeEntry) and d.screen.notice
    d.tick(61)
    d.send(e.ResendCodeRequested(), e.ServiceUnreachable(e.Call.RESEND_REGISTRATION_CODE))
    assert isinstance(d.screen, s.ServiceUnavailable)
    assert d.screen.retry == c.ResendRegistrationCode(registration_id=REG_ID)


def test_unlock_replies_mean_nothing_on_the_registration_code_screen() -> None:
    d = at_code()
    d.send(e.SubmitCode(CODE))
    before = d.state
    for event in (e.CodeAcceptedReply(REG_EXPIRES), e.UnlockExpired()):
        assert d.send(event) == []
        assert d.state == before


def test_registration_expired_at_any_service_step() -> None:
    for reach, sending in (
        (at_choose, None),
        (at_answers, e.SubmitRegistrationAnswers(NEW_ANSWERS, NEW_ANSWERS)),
        (at_code, e.SubmitCode(CODE)),
    ):
        d = reach()
        if sending is not None:
            d.send(sending)
        d.send(e.RegistrationExpired())
        assert d.screen == s.RegistrationStopped(reason=s.StopReason.EXPIRED), reach
        assert d.state.journey is None


def test_window_closing_stops_the_registration() -> None:
    d = at_answers()
    d.tick(31 * 60)
    assert d.screen == s.RegistrationStopped(reason=s.StopReason.EXPIRED)
    d.send(e.Continue())
    assert isinstance(d.screen, s.CardStatus)


def test_inactivity_ends_a_registration_and_wipes() -> None:
    d = at_contacts()
    for _ in range(125):
        d.tick(1)
    assert isinstance(d.screen, s.SessionEnded)
    assert c.WipeInputs() in d.commands


def test_card_removed_mid_registration_clears_everything() -> None:
    d = at_answers()
    out = d.send(e.CardRemoved())
    assert isinstance(d.screen, s.CardRemovedNotice)
    assert c.WipeInputs() in out and c.ClearCheckpoint() in out
    assert d.state.journey is None and d.state.card is None


def test_cancel_asks_first_then_ends() -> None:
    d = at_contacts()
    d.send(e.Back())
    assert isinstance(d.state.overlay, s.CancelConfirmation)
    d.send(e.ConfirmCancel())
    assert isinstance(d.screen, s.SessionEnded)


def test_registered_then_removed_goes_straight_back_to_waiting() -> None:
    d = at_code()
    d.send(e.SubmitCode(CODE), e.RegistrationConfirmed(), e.CardRemoved())
    assert isinstance(d.screen, s.WaitingForCard)


# ---------------------------------------------------------------- resume


def _checkpoint(step: Step) -> Checkpoint:
    return Checkpoint(
        journey=Journey.REGISTRATION,
        step=step,
        serial=WORKING.serial,
        service_id=REG_ID,
        started_at=T0,
        updated_at=T0,
        expires_at=REG_EXPIRES,
        code_sent_to="s***@nhs.net",
        code_sent_at=T0,
        code_expires_at=CODE_EXPIRES,
    )


def test_restart_resumes_a_registration_with_the_same_working_card() -> None:
    screen = resume(_checkpoint(Step.CODE), WORKING, T0 + dt.timedelta(minutes=1))
    assert isinstance(screen, s.RegistrationCodeEntry) and screen.sent_to == "s***@nhs.net"
    d = Driver.new(CONFIG, checkpoint=_checkpoint(Step.QUESTIONS))
    out = d.send(e.CardInserted(), e.CardRead(WORKING))
    assert isinstance(d.screen, s.ChooseQuestions) and c.LoadQuestionCatalogue() in out
    # a card locked meanwhile cannot finish a registration
    assert resume(_checkpoint(Step.CODE), LOCKED, T0) is None


# ---------------------------------------------------------------- change passcode


def test_change_passcode_checks_the_rules_before_the_card() -> None:
    d = at_change()
    assert isinstance(d.screen, s.ChangePasscode) and d.screen.rules and d.screen.tries_left == 3
    for old, new, repeat in [
        (PASSCODE, "123456", "123456"),  # a run
        (PASSCODE, NEW_PASSCODE, "583921"),  # copies differ
        ("", NEW_PASSCODE, NEW_PASSCODE),  # no old passcode
        (PASSCODE, PASSCODE, PASSCODE),  # not a change
    ]:
        out = d.send(e.SubmitPasscodeChange(old, new, repeat))
        assert not of_type(out, c.ChangeCardPasscode), (old, new, repeat)
        assert isinstance(d.screen, s.ChangePasscode) and d.screen.errors
        assert c.WipeInputs() in out


def test_change_passcode_on_the_card_and_audit() -> None:
    d = at_change()
    out = d.send(e.SubmitPasscodeChange(PASSCODE, NEW_PASSCODE, NEW_PASSCODE))
    assert out == [c.ChangeCardPasscode(serial=WORKING.serial, old=PASSCODE, new=NEW_PASSCODE)]
    assert PASSCODE not in repr(out) and NEW_PASSCODE not in repr(out)
    assert d.send(e.Back()) == []  # no cancelling while the card is being changed
    out = d.send(e.CardPasscodeChanged())
    assert isinstance(d.screen, s.PasscodeChanged) and d.screen.name == WORKING.name
    assert ("passcode_change", "success") in audits(out)
    assert not any(secret in repr(cmd) for cmd in d.commands for secret in SECRETS)


def test_change_passcode_wrong_old_passcode_then_locked() -> None:
    d = at_change()
    d.send(e.SubmitPasscodeChange("111222", NEW_PASSCODE, NEW_PASSCODE), e.PasscodeWrong(1))
    assert isinstance(d.screen, s.ChangePasscode) and d.screen.last_try
    d.send(e.SubmitPasscodeChange("111223", NEW_PASSCODE, NEW_PASSCODE), e.PasscodeBlocked())
    assert isinstance(d.screen, s.CardStatus) and d.screen.can_unlock


def test_change_passcode_card_error() -> None:
    d = at_change()
    d.send(e.SubmitPasscodeChange(PASSCODE, NEW_PASSCODE, NEW_PASSCODE), e.CardActionFailed("x"))
    assert isinstance(d.screen, s.ChangePasscode) and not d.screen.changing and d.screen.errors


# ---------------------------------------------------------------- secrecy


def test_no_state_or_checkpoint_of_a_whole_registration_holds_a_secret() -> None:
    d = at_code()
    d.send(e.SubmitCode(CODE), e.RegistrationConfirmed())
    for state in d.states:
        text = repr(state)
        assert not any(secret in text for secret in SECRETS), text
    for command in of_type(d.commands, c.SaveCheckpoint):
        record = json.dumps(command.checkpoint.to_record())
        assert not any(secret in record for secret in SECRETS)
    for audit in of_type(d.commands, c.QueueAudit):
        assert EMAIL not in repr(audit) and not any(x in repr(audit) for x in SECRETS)

"""The RA desk in the pure flow (issue 17): sign-in, the holder's card, a cleared lock,
an assisted unlock, sign-out by S, by the RA's card pulled, and by idle time."""

from __future__ import annotations

import dataclasses
import inspect

from kiosk.effects import EFFECTS
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import ra_events as r
from kiosk.flow import states as s
from kiosk.flow.facts import FlowConfig
from kiosk.flow.ra_states import (
    RaConfirmHolder,
    RaContacts,
    RaEnded,
    RaHolder,
    RaHolderView,
    RaHome,
    RaNewPasscode,
    RaPasscode,
    RaReport,
    RaReportView,
    RaSession,
)
from tests.kiosk.kiosk_journey import LOCKED, NEW_PASSCODE, WORKING, Driver

RA_CARD = dataclasses.replace(WORKING, serial="aa00000000000009", uuid="555000000009")
SESSION = RaSession("ses_1", "Jordan Reeve", RA_CARD.serial, "manager", 300)
RA_PASSCODE = "602318"
LOCKED_VIEW = RaHolderView("Jo Bloggs", True, True, 3, "jo@nhs.net", "07700900001")
CLEARED_VIEW = dataclasses.replace(LOCKED_VIEW, locked=False, failed_attempts=0)


def at_ra_desk() -> Driver:
    return Driver.new(FlowConfig(ra_desk=True))


def signed_in() -> Driver:
    driver = at_ra_desk().at_card_status(RA_CARD)
    driver.send(r.RaSignInRequested(), e.SubmitPasscode(RA_PASSCODE), r.RaSignedIn(SESSION))
    return driver


def with_holder_card(view: RaHolderView = LOCKED_VIEW) -> Driver:
    driver = signed_in()
    driver.send(e.CardRemoved(), e.CardInserted(), e.CardRead(LOCKED), r.RaHolderRead(view))
    return driver


def of_type(commands: list[c.Command], kind: type) -> list[c.Command]:
    return [command for command in commands if isinstance(command, kind)]


def test_sign_in_only_at_an_ra_desk_and_only_from_a_working_card() -> None:
    ward = Driver.new().at_card_status(RA_CARD)
    ward.send(r.RaSignInRequested())
    assert isinstance(ward.screen, s.CardStatus)

    driver = at_ra_desk().at_card_status(RA_CARD)
    commands = driver.send(r.RaSignInRequested())
    assert isinstance(driver.screen, RaPasscode)
    assert not of_type(commands, r.RaSignIn)
    sign_in = driver.send(e.SubmitPasscode(RA_PASSCODE))
    (command,) = of_type(sign_in, r.RaSignIn)
    assert command.serial == RA_CARD.serial and RA_PASSCODE not in repr(command)
    assert driver.screen.busy


def test_a_holder_card_is_refused_with_a_way_forward() -> None:
    driver = at_ra_desk().at_card_status(RA_CARD)
    driver.send(r.RaSignInRequested(), e.SubmitPasscode(RA_PASSCODE))
    driver.send(r.RaRefused("This card is not an RA card.", "ra_role_required"))
    screen = driver.screen
    assert isinstance(screen, RaPasscode) and not screen.busy
    assert screen.error == "This card is not an RA card."
    driver.send(e.CardRemoved())
    assert isinstance(driver.screen, s.WaitingForCard)


def test_a_wrong_ra_passcode_says_the_tries_left() -> None:
    driver = at_ra_desk().at_card_status(RA_CARD)
    driver.send(r.RaSignInRequested(), e.SubmitPasscode("111111"), e.PasscodeWrong(tries_left=2))
    screen = driver.screen
    assert isinstance(screen, RaPasscode) and "2 more tries" in (screen.error or "")


def test_one_reader_ra_card_out_holder_card_in_clear_lock_and_assisted_unlock() -> None:
    driver = signed_in()
    assert isinstance(driver.screen, RaHome) and driver.screen.ra_card_in
    driver.send(e.CardRemoved())  # the RA's card out: the session stays
    assert isinstance(driver.screen, RaHome) and not of_type(driver.commands, r.RaSignOut)
    read = driver.send(e.CardInserted(), e.CardRead(LOCKED))
    (take,) = of_type(read, r.RaTakeHolderCard)
    assert (take.session_id, take.serial) == ("ses_1", LOCKED.serial)
    driver.send(r.RaHolderRead(LOCKED_VIEW))
    assert isinstance(driver.screen, RaHolder) and driver.screen.view == LOCKED_VIEW

    (clear,) = of_type(driver.send(r.RaClearLockRequested()), r.RaClearLock)
    assert clear.session_id == "ses_1"
    driver.send(r.RaHolderRead(CLEARED_VIEW, notice="Self-service is unlocked."))
    assert isinstance(driver.screen, RaHolder) and not driver.screen.busy

    driver.send(r.RaUnlockRequested())
    assert isinstance(driver.screen, RaConfirmHolder)
    driver.send(e.Continue())
    assert isinstance(driver.screen, RaNewPasscode)
    # The passcode rules apply before the card is touched.
    refused = driver.send(e.SubmitNewPasscode("123456", "123456"))
    assert not of_type(refused, r.RaAssistedUnlock) and driver.screen.errors
    write = driver.send(e.SubmitNewPasscode(NEW_PASSCODE, NEW_PASSCODE))
    (unlock,) = of_type(write, r.RaAssistedUnlock)
    assert unlock.serial == LOCKED.serial and NEW_PASSCODE not in repr(unlock)
    assert driver.screen.busy
    done = driver.send(r.RaUnlockDone(CLEARED_VIEW))
    assert of_type(done, c.WipeInputs)
    screen = driver.screen
    assert isinstance(screen, RaHolder) and "unlocked" in (screen.notice or "")

    # Nothing secret in any state or audit event along the way.
    for state in driver.states:
        assert NEW_PASSCODE not in repr(state) and RA_PASSCODE not in repr(state)
    for command in of_type(driver.commands, c.QueueAudit):
        assert NEW_PASSCODE not in repr(command) and RA_PASSCODE not in repr(command)


def test_the_ra_card_is_never_taken_for_the_holders_and_pulling_it_back_out_signs_out() -> None:
    driver = signed_in()
    driver.send(e.CardRemoved(), e.CardInserted())
    commands = driver.send(e.CardRead(RA_CARD))
    assert not of_type(commands, r.RaTakeHolderCard)
    assert isinstance(driver.screen, RaHome) and driver.screen.returned
    out = driver.send(e.CardRemoved())
    (sign_out,) = of_type(out, r.RaSignOut)
    assert (sign_out.session_id, sign_out.reason) == ("ses_1", "card_removed")
    assert isinstance(driver.screen, RaEnded)


def test_the_holder_card_pulled_mid_way_wipes_and_goes_back_to_the_desk() -> None:
    driver = with_holder_card()
    driver.send(r.RaUnlockRequested(), e.Continue())
    commands = driver.send(e.CardRemoved())
    assert of_type(commands, c.WipeInputs)
    assert isinstance(driver.screen, RaHome) and "Nothing was changed" in (
        driver.screen.notice or ""
    )


def test_s_and_idle_time_sign_out_and_a_session_the_service_ended_says_so() -> None:
    driver = with_holder_card()
    (sign_out,) = of_type(driver.send(r.RaSignOutRequested()), r.RaSignOut)
    assert sign_out.reason == "signed_out" and isinstance(driver.screen, RaEnded)

    idle = with_holder_card()
    idle.tick(SESSION.idle_seconds - 10)
    assert isinstance(idle.screen, RaHolder)
    (timed_out,) = of_type(idle.tick(20), r.RaSignOut)
    assert timed_out.reason == "idle" and isinstance(idle.screen, RaEnded)

    ended = with_holder_card()
    ended.send(r.RaClearLockRequested(), r.RaRefused("ended", "ra_session_ended"))
    assert isinstance(ended.screen, RaEnded)
    ended.send(e.CardRemoved())
    assert isinstance(ended.screen, s.WaitingForCard)


def test_every_ra_command_has_an_effect() -> None:
    commands = [
        cls
        for _, cls in inspect.getmembers(r, inspect.isclass)
        if issubclass(cls, c.Command) and cls.__module__ == r.__name__
    ]
    assert commands and all(cls in EFFECTS for cls in commands)


def test_contact_details_are_checked_on_the_kiosk_first_then_sent() -> None:
    driver = with_holder_card()
    driver.send(r.RaContactsRequested())
    assert isinstance(driver.screen, RaContacts)
    bad = driver.send(e.SubmitContactDetails(email="jo@example.com", mobile="12"))
    assert not of_type(bad, r.RaChangeContacts) and len(driver.screen.errors) == 2
    good = driver.send(e.SubmitContactDetails(email=" jo.b@nhs.net ", mobile="07700 900123"))
    (change,) = of_type(good, r.RaChangeContacts)
    assert (change.email, change.session_id) == ("jo.b@nhs.net", "ses_1")
    driver.send(r.RaRefused("The email could not be sent.", "mail_unavailable"))
    screen = driver.screen
    assert isinstance(screen, RaContacts) and not screen.busy and screen.errors
    driver.send(e.SubmitContactDetails(email="jo.b@nhs.net", mobile="07700900123"))
    driver.send(r.RaHolderRead(LOCKED_VIEW, notice="Contact details saved."))
    assert isinstance(driver.screen, RaHolder) and driver.screen.notice == "Contact details saved."


def test_the_report_is_for_a_manager_and_goes_back_where_it_came_from() -> None:
    driver = with_holder_card()
    (load,) = of_type(driver.send(r.RaReportRequested()), r.RaLoadReport)
    assert (load.since, load.until) == ("2026-10-24", "2026-11-22")  # 30 UTC days to today
    assert isinstance(driver.screen, RaReport) and driver.screen.busy
    driver.send(r.RaRefused("The unlock service cannot be reached just now."))
    assert not driver.screen.busy
    driver.send(e.Back())
    assert isinstance(driver.screen, RaHolder)

    not_manager = at_ra_desk().at_card_status(RA_CARD)
    ra_only = dataclasses.replace(SESSION, role="ra")
    not_manager.send(r.RaSignInRequested(), e.SubmitPasscode(RA_PASSCODE), r.RaSignedIn(ra_only))
    assert not not_manager.send(r.RaReportRequested())
    assert isinstance(not_manager.screen, RaHome)


def report_figures(since: str, until: str) -> RaReportView:
    return RaReportView(since, until, (since,), (0,), 0, 0, 0, 0, 0, (), ())


def test_the_report_period_is_chosen_with_keys_or_two_days_and_bad_days_change_nothing() -> None:
    driver = with_holder_card()
    driver.send(r.RaReportRequested())
    shown = report_figures("2026-10-24", "2026-11-22")
    driver.send(r.RaReportRead(shown))
    assert isinstance(driver.screen, RaReport) and driver.screen.report == shown

    # 7 and 90 days, today (2026-11-22, UTC) included; other counts are not periods.
    (load,) = of_type(driver.send(r.RaReportPeriodChosen(7)), r.RaLoadReport)
    assert (load.since, load.until) == ("2026-11-16", "2026-11-22")
    assert driver.screen.busy and driver.screen.report is None
    # An answer for another period (a late one) is not taken for this one.
    driver.send(r.RaReportRead(shown))
    assert driver.screen.busy
    driver.send(r.RaReportRead(report_figures("2026-11-16", "2026-11-22")))
    (load,) = of_type(driver.send(r.RaReportPeriodChosen(90)), r.RaLoadReport)
    assert (load.since, load.until) == ("2026-08-25", "2026-11-22")
    driver.send(r.RaReportRead(report_figures(load.since, load.until)))
    assert not driver.send(r.RaReportPeriodChosen(12))
    assert (driver.screen.since, driver.screen.until) == ("2026-08-25", "2026-11-22")

    # D: two days typed. Every bad pair says why and changes nothing.
    driver.send(r.RaReportDatesRequested())
    assert driver.screen.choosing_dates
    before = driver.screen
    for since, until, why in (
        ("1/11/2026", "2026-11-20", "YYYY-MM-DD"),
        ("2026-11-20", "2026-13-01", "YYYY-MM-DD"),
        ("2026-11-20", "2026-11-01", "before the first day"),
        ("2025-01-01", "2026-11-01", "366 days"),
        ("2026-11-01", "2026-11-23", "after today (2026-11-22)"),
    ):
        assert not driver.send(r.SubmitReportDates(since, until))
        assert why in (driver.screen.error or ""), (since, until)
        assert dataclasses.replace(driver.screen, error=None) == before
    (load,) = of_type(
        driver.send(r.SubmitReportDates(" 2026-11-01", "2026-11-20 ")), r.RaLoadReport
    )
    assert (load.since, load.until) == ("2026-11-01", "2026-11-20")
    assert not driver.screen.choosing_dates and driver.screen.error is None
    driver.send(r.RaReportRead(report_figures(load.since, load.until)))

    # Esc leaves the day fields for the report, then the report for the holder.
    driver.send(r.RaReportDatesRequested(), e.Back())
    assert isinstance(driver.screen, RaReport) and not driver.screen.choosing_dates
    assert driver.screen.report is not None
    driver.send(e.Back())
    assert isinstance(driver.screen, RaHolder)


def two_readers() -> Driver:
    return Driver.new(FlowConfig(ra_desk=True, ra_reader=True))


def test_two_readers_the_ras_card_in_its_own_reader_signs_in_and_pulling_it_signs_out() -> None:
    driver = two_readers()
    driver.send(e.CardInserted(), e.CardRead(LOCKED))  # a holder's card in the holders' reader
    driver.send(e.ServiceUnreachable(e.Call.START_UNLOCK))  # its first look, not answered
    (read,) = of_type(driver.send(r.RaCardInserted()), r.RaReadRaCard)
    assert read is not None
    driver.send(r.RaCardRead(RA_CARD))
    screen = driver.screen
    assert isinstance(screen, RaPasscode) and screen.ra_reader and screen.holder_card_in
    (sign_in,) = of_type(driver.send(e.SubmitPasscode(RA_PASSCODE)), r.RaSignIn)
    assert sign_in.ra_reader
    # Signed in: the holder's card already in is read at once.
    signed = driver.send(r.RaSignedIn(SESSION))
    assert of_type(signed, c.ReadCard) and isinstance(driver.screen, RaHome)
    driver.send(e.CardRead(LOCKED), r.RaHolderRead(LOCKED_VIEW))
    assert isinstance(driver.screen, RaHolder)
    driver.send(r.RaUnlockRequested(), e.Continue())
    assert isinstance(driver.screen, RaNewPasscode)

    # The RA's card pulled mid-way: signed out, nothing sent to the holder's card, and
    # the kiosk goes back to the holder's card as at any kiosk.
    out = driver.send(r.RaCardRemoved())
    (sign_out,) = of_type(out, r.RaSignOut)
    assert sign_out.reason == "card_removed"
    assert of_type(out, c.WipeInputs) and of_type(out, c.ReadCard)
    assert not of_type(driver.commands, r.RaAssistedUnlock)
    assert isinstance(driver.screen, s.ReadingCard)


def test_two_readers_no_sign_in_over_a_holders_journey() -> None:
    driver = two_readers().at_questions()
    assert not driver.send(r.RaCardInserted())
    assert isinstance(driver.screen, s.Questions)

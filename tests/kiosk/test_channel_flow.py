"""The policies on the pure flow: choosing email or text, and typing two codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.flow.code_entry import owed_message
from kiosk.flow.facts import Checkpoint
from kiosk.store import LocalStore
from tests.kiosk.kiosk_journey import (
    CODE,
    CODE_EXPIRES,
    LOCKED,
    UNLOCK_EXPIRES,
    UNLOCK_ID,
    Driver,
    of_type,
    unlock_started,
)

CHANNELS = (("email", "j***@nhs.net"), ("sms", "07*** ***001"))
TEXT_CODE = "87654321"


def two_codes_sent(**fields: object) -> tuple[Driver, list[c.Command]]:
    """A locked card's unlock started with a code by email and one by text (two-channel),
    other reply fields as given: the driver at the code screen and the commands it gave."""
    d = Driver.new()
    d.send(e.CardInserted(), e.CardRead(LOCKED))
    out = d.send(
        unlock_started(
            e.NextStep.CODE, code_sent_to="j***@nhs.net", text_sent_to="07*** ***001", **fields
        )
    )
    return d, out


def checkpoint_record() -> dict[str, object]:
    """A saved two-code checkpoint, as the store holds it."""
    _, out = two_codes_sent()
    return of_type(out, c.SaveCheckpoint)[-1].checkpoint.to_record()


def at_channel_choice() -> Driver:
    d = Driver.new()
    d.send(e.CardInserted(), e.CardRead(LOCKED))
    d.send(unlock_started(e.NextStep.CHANNEL, channels=CHANNELS))
    # Nothing was sent yet: the card status offers the unlock, Enter goes on.
    assert isinstance(d.screen, s.CardStatus) and d.screen.can_unlock
    d.send(e.Continue())
    return d


def test_the_holder_chooses_a_text_and_the_code_screen_says_where_it_went() -> None:
    d = at_channel_choice()
    assert d.screen == s.ChooseChannel(channels=CHANNELS)
    out = d.send(e.ChannelChosen("sms"))
    assert of_type(out, c.ChooseChannel) == [c.ChooseChannel(unlock_id=UNLOCK_ID, channel="sms")]
    assert isinstance(d.screen, s.ChooseChannel) and d.screen.busy
    d.send(e.AnswersAccepted("07*** ***001", CODE_EXPIRES))
    assert isinstance(d.screen, s.CodeEntry) and d.screen.sent_to == "07*** ***001"
    assert d.screen.by_text  # the screen speaks of a text, not an email
    out = d.send(e.SubmitCode(CODE))
    assert of_type(out, c.SendCode) == [c.SendCode(unlock_id=UNLOCK_ID, code=CODE)]


def test_a_channel_not_offered_is_refused_on_the_kiosk() -> None:
    d = at_channel_choice()
    out = d.send(e.ChannelChosen("pigeon"))
    assert not of_type(out, c.ChooseChannel)
    assert isinstance(d.screen, s.ChooseChannel) and d.screen.error


def test_two_codes_go_together_and_a_missing_texted_code_is_caught_here() -> None:
    d = Driver.new()
    d.send(e.CardInserted(), e.CardRead(LOCKED))
    d.send(
        unlock_started(e.NextStep.CODE, code_sent_to="j***@nhs.net", text_sent_to="07*** ***001")
    )
    assert isinstance(d.screen, s.CodeEntry) and d.screen.text_sent_to == "07*** ***001"
    assert not d.screen.by_text  # two codes: the email's field comes first
    out = d.send(e.SubmitCode(CODE))
    assert not of_type(out, c.SendCode)
    assert d.screen.error is not None and "texted code" in d.screen.error
    out = d.send(e.SubmitCode(CODE, text_code="8765 4321"))
    assert of_type(out, c.SendCode) == [
        c.SendCode(unlock_id=UNLOCK_ID, code=CODE, text_code=TEXT_CODE)
    ]
    # Neither code is in any command's or state's text.
    assert TEXT_CODE not in repr(out) and TEXT_CODE not in repr(d.states)


def at_two_codes() -> Driver:
    d, _ = two_codes_sent()
    d.send(e.SubmitCode(CODE, text_code=TEXT_CODE))
    return d


def test_the_wrong_one_of_two_codes_is_named_and_the_right_one_kept() -> None:
    for wrong, named, kept in (
        (("sms",), "The texted code is not right", ("code",)),
        (("email",), "The emailed code is not right", ("text-code",)),
        (("email", "sms"), "Neither code is right", ()),
    ):
        d = at_two_codes()
        out = d.send(e.CodeWrong(tries_left=2, wrong_codes=wrong))
        assert isinstance(d.screen, s.CodeEntry) and d.screen.error is not None
        assert d.screen.error.startswith(named) and "2 tries left" in d.screen.error
        assert of_type(out, c.WipeInputs) == [c.WipeInputs(keep=kept)]
    # One code sent: nothing is kept, the message is the one-code one.
    d = Driver.new()
    d.send(e.CardInserted(), e.CardRead(LOCKED))
    d.send(
        e.UnlockStartedReply(
            unlock_id=UNLOCK_ID, next=e.NextStep.CODE, expires_at=UNLOCK_EXPIRES, code_sent_to="x"
        )
    )
    d.send(e.SubmitCode(CODE))
    out = d.send(e.CodeWrong(tries_left=2))
    assert of_type(out, c.WipeInputs) == [c.WipeInputs()]
    assert isinstance(d.screen, s.CodeEntry) and str(d.screen.error).startswith("That code")


def test_an_owed_text_is_said_caught_on_submit_and_f7_sends_only_it() -> None:
    d, _ = two_codes_sent(code_expires_at=CODE_EXPIRES, not_sent=("sms",))
    assert isinstance(d.screen, s.CodeEntry) and d.screen.not_sent == ("sms",)
    assert d.screen.notice is not None and "could not be sent" in d.screen.notice
    out = d.send(e.SubmitCode(CODE, text_code=TEXT_CODE))
    assert not of_type(out, c.SendCode)
    assert d.screen.error is not None and "F7" in d.screen.error
    before = d.screen
    d.activity(61)
    out = d.send(e.ResendCodeRequested())
    assert of_type(out, c.ResendCode)
    out = d.send(e.ResendDone("j***@nhs.net", CODE_EXPIRES))
    assert isinstance(d.screen, s.CodeEntry) and d.screen.not_sent == ()
    assert d.screen.notice == (
        "We sent the code we still owed you to 07*** ***001. The other code still works."
    )
    assert d.screen.sent_at == before.sent_at  # the email's code and time are as they were
    assert not of_type(out, c.WipeInputs)  # what was typed stays
    out = d.send(e.SubmitCode(CODE, text_code=TEXT_CODE))
    assert of_type(out, c.SendCode)


def test_an_owed_text_is_saved_and_still_owed_after_a_restart(tmp_path: Path) -> None:
    """kill -9 while a code is owed: the restarted kiosk still knows which one (it said
    both fields and "This code has expired" before), and F7 then sends only it."""
    _, out = two_codes_sent(code_expires_at=CODE_EXPIRES, not_sent=("sms",))
    saved = of_type(out, c.SaveCheckpoint)[-1].checkpoint
    assert saved.not_sent == ("sms",)
    # Through the real store, as a restart reads it.
    store = LocalStore(tmp_path / "kiosk.sqlite")
    try:
        store.save_checkpoint(saved)
        kept = store.load_checkpoint()
    finally:
        store.close()
    assert kept == saved
    again = Driver.new(checkpoint=kept)
    again.send(e.CardInserted(), e.CardRead(LOCKED))
    assert isinstance(again.screen, s.CodeEntry) and again.screen.not_sent == ("sms",)
    assert again.screen.notice == owed_message(("sms",))
    again.activity(61)
    assert of_type(again.send(e.ResendCodeRequested()), c.ResendCode)
    out = again.send(e.ResendDone("j***@nhs.net", CODE_EXPIRES))
    assert isinstance(again.screen, s.CodeEntry) and again.screen.not_sent == ()
    # Nothing owed any more, saved so: a second restart does not say it is.
    assert of_type(out, c.SaveCheckpoint)[-1].checkpoint.not_sent == ()


def test_a_saved_owed_channel_that_is_not_a_channel_resumes_nothing() -> None:
    record = {**checkpoint_record(), "not_sent": "pigeon"}
    with pytest.raises(ValueError):
        Checkpoint.from_record(record)


def test_an_outage_while_the_code_is_sent_comes_back_to_the_choice() -> None:
    """Mail (or the service) failing as the chosen code goes: the outage screen, then the
    choice again with a notice (it crashed here: the choice had no notice to set)."""
    d = at_channel_choice()
    d.send(e.ChannelChosen("sms"))
    d.send(e.ServiceUnreachable(failed=e.Call.CHOOSE_CHANNEL, mail=True))
    assert isinstance(d.screen, s.ServiceUnavailable)
    d.send(e.ServiceReachable())
    assert isinstance(d.screen, s.ChooseChannel) and d.screen.notice and not d.screen.busy
    out = d.send(e.ChannelChosen("sms"))
    assert of_type(out, c.ChooseChannel) and d.screen.notice is None

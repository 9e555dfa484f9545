"""The policies on the pure flow: choosing email or text, and typing two codes."""

from __future__ import annotations

from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from tests.kiosk.kiosk_journey import (
    CODE,
    CODE_EXPIRES,
    LOCKED,
    UNLOCK_ID,
    Driver,
    of_type,
    unlock_started,
)

CHANNELS = (("email", "j***@nhs.net"), ("sms", "07*** ***001"))
TEXT_CODE = "87654321"


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
    out = d.send(e.SubmitCode(CODE))
    assert not of_type(out, c.SendCode)
    assert d.screen.error is not None and "texted code" in d.screen.error
    out = d.send(e.SubmitCode(CODE, text_code="8765 4321"))
    assert of_type(out, c.SendCode) == [
        c.SendCode(unlock_id=UNLOCK_ID, code=CODE, text_code=TEXT_CODE)
    ]
    # Neither code is in any command's or state's text.
    assert TEXT_CODE not in repr(out) and TEXT_CODE not in repr(d.states)

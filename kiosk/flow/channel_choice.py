"""Choosing how the unlock code is sent (policy national-2023): email or text.

The service offers the channels on the holder's record (masked); the holder picks
one with a key, the kiosk asks the service to send the code that way, and the code
screen follows as after answers.
"""

from __future__ import annotations

from dataclasses import replace

from contract.language import N_
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.flow.code_entry import code_sent
from kiosk.flow.common import HandlerTable, Result, handler_for, journey_of, stop
from kiosk.flow.facts import Checkpoint
from kiosk.flow.service_trouble import service_trouble

NOT_OFFERED = N_("That way is not offered here. Press one of the numbers shown.")


def _choose_channel(
    state: s.KioskState, event: e.Event, screen: s.ChooseChannel, journey: Checkpoint
) -> Result:
    if isinstance(event, e.ChannelChosen):
        if event.channel not in {channel for channel, _to in screen.channels}:
            return replace(state, screen=replace(screen, error=NOT_OFFERED)), []
        sending = replace(screen, sending=True, error=None, notice=None)
        return replace(state, screen=sending), [
            c.ChooseChannel(unlock_id=journey.service_id, channel=event.channel)
        ]
    if isinstance(event, e.AnswersAccepted):
        return code_sent(state, journey, event, s.CodeEntry, "channel")
    if isinstance(event, e.UnlockExpired):
        return stop(state, s.StopReason.EXPIRED, "unlock_expired")
    return service_trouble(state, event, (e.Call.CHOOSE_CHANNEL,)) or (state, [])


HANDLERS: HandlerTable = {
    s.ChooseChannel: handler_for(s.ChooseChannel, journey_of, _choose_channel),
}
"""Screen-state type -> handler, for the channel choice."""

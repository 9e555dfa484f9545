"""The kiosk's journeys as a pure state machine: `step(state, event) -> (state, commands)`.

No I/O, no clock, no Textual: time arrives in Tick and UserActivity events, the
world's answers arrive as events, and what should happen in the world leaves as
commands (kiosk/flow/commands.py) for the app to carry out.

The order of handling in `step`:
1. the clock (Tick) and the holder's presence (UserActivity);
2. reader and card events, which can end a session at any step;
3. overlays (cancel confirmation), Help and Cancel, the same on every screen;
4. the handler of the screen being shown, from the journeys' tables merged in
   `HANDLERS` (`session`, `unlock`, `registration`, `change_passcode`).
An event a screen does not expect (a late service reply after the card was
removed, a second Submit while sending) changes nothing.
"""

from __future__ import annotations

from dataclasses import replace

from kiosk.flow import change_passcode, channel_choice, ra_desk, registration, session, unlock
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.flow.common import INTENTS, Handler, Result, card_status, end_session
from kiosk.flow.service_trouble import while_unavailable
from kiosk.flow.session import resume

__all__ = ["HANDLERS", "card_status", "resume", "step"]


def step(state: s.KioskState, event: e.Event) -> Result:
    """Apply one event.

    Args:
        state: The current state.
        event: What happened.

    Returns:
        The new state and the commands for the app to carry out, in order.
    """
    if isinstance(event, e.Tick | e.UserActivity):
        state = replace(state, now=event.now)
    new_state, commands = _dispatch(state, event)
    return _bookkeeping(state, new_state, event), commands


def _dispatch(state: s.KioskState, event: e.Event) -> Result:
    if not isinstance(event, e.UserActivity) and ra_desk.handles(state, event):
        # The RA desk's screens take their own card, clock and key events.
        return ra_desk.step(state, event)
    if isinstance(event, e.Tick):
        return session.on_tick(state, event.now)
    if isinstance(event, e.UserActivity):
        return session.dismiss_warning(replace(state, last_activity=event.now)), []
    device = session.on_device(state, event)
    if device is not None:
        return device
    if isinstance(event, INTENTS) and isinstance(state.overlay, s.InactivityWarning):
        # A key press is activity: the warning goes, and the key does what it says.
        state = replace(state, overlay=None)
    if isinstance(state.overlay, s.CancelConfirmation):
        if isinstance(event, e.ConfirmCancel):
            return end_session(state, s.EndReason.CANCELLED)
        if isinstance(event, e.Back | e.Cancel | e.Continue):
            return replace(state, overlay=None), []
        if isinstance(event, INTENTS):
            return state, []
    if isinstance(event, e.Help):
        return session.on_help(state, event.topic)
    if isinstance(event, e.Cancel | e.ConfirmCancel) or (
        isinstance(event, e.Back) and not isinstance(state.screen, s.HelpPage)
    ):
        return session.on_cancel(state, confirmed=isinstance(event, e.ConfirmCancel))
    if state.screen.busy and isinstance(event, INTENTS):
        # Waiting on the card or the service: a second Submit (or any key meant for
        # the screen) changes nothing until the answer is in.
        return state, []
    handler = HANDLERS.get(type(state.screen))
    if handler is None:
        return state, []
    return handler(state, event)


def _bookkeeping(old: s.KioskState, new: s.KioskState, event: e.Event) -> s.KioskState:
    """Restart the inactivity clock when the holder acts or a new screen appears.

    A screen that just appeared (a service reply moved the journey on) gets the
    full timeout, so a slow service never eats the holder's time.
    """
    changed = type(old.screen) is not type(new.screen) or old.screen.busy != new.screen.busy
    if isinstance(event, INTENTS) or changed:
        new = replace(new, last_activity=new.now)
        if changed and isinstance(new.overlay, s.InactivityWarning):
            new = replace(new, overlay=None)
    return new


def _service_unavailable(state: s.KioskState, event: e.Event) -> Result:
    screen = state.screen
    assert isinstance(screen, s.ServiceUnavailable)
    return while_unavailable(state, event, HANDLERS.get(type(screen.resume_to)))


HANDLERS: dict[type[s.Screen], Handler] = {
    **session.HANDLERS,
    **unlock.HANDLERS,
    **channel_choice.HANDLERS,
    **registration.HANDLERS,
    **change_passcode.HANDLERS,
    s.ServiceUnavailable: _service_unavailable,
}
"""Every screen state's handler: the journeys' tables, merged."""

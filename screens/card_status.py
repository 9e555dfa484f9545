"""Card status: whose card it is, and what to do with it."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.flow.events import (
    ChangePasscodeRequested,
    HelpTopic,
    NextStep,
    RegisterRequested,
    UnlockStartedReply,
)
from kiosk.flow.ra_events import RaSignInRequested
from kiosk.flow.states import CardCondition, CardStatus, KioskState
from screens.action_keys import ActionKey, ActionKeysScreen, key_bindings
from screens.language import _, ngettext
from screens.wording import choice_list, date_words


def _where_codes_go(started: UnlockStartedReply | None) -> str:
    """What a locked card's screen says about the code(s), from what the service said
    when the card was read (None: the service was not reached; email, as by default)."""
    if started is not None and started.next is NextStep.CHANNEL:
        return _(
            "You can unlock it here and choose a new passcode. We will send you a code "
            "by email or by text message, as you choose, so have your email or your "
            "phone ready.\n\nPress Enter to start."
        )
    if started is not None and started.policy == "two-channel":
        return _(
            "You can unlock it here and choose a new passcode. We will send one code "
            "to your email and another to your mobile phone, and you need both, so have "
            "your email and your phone ready.\n\nPress Enter to start."
        )
    return _(
        "You can unlock it here and choose a new passcode. We will email you "
        "a code, so have your email ready.\n\nPress Enter to start."
    )


def _date(day: Any) -> str:
    return date_words(day)


class CardStatusScreen(ActionKeysScreen):
    """Blocked (unlock it here), working, expired, or expiring soon."""

    STATE = CardStatus
    # On working cards only; 3 at an RA desk only.
    ACTION_KEYS = {
        "1": ActionKey(RegisterRequested, "Register"),
        "2": ActionKey(ChangePasscodeRequested, "Change passcode"),
        "3": ActionKey(RaSignInRequested, "Sign in as an RA"),
    }
    BINDINGS = key_bindings(ACTION_KEYS)

    _unlockable: bool = False
    _expiring: bool = False
    _working: bool = False
    _registers: bool = False
    _ra_desk: bool = False

    def compose_body(self) -> ComposeResult:
        """Heading, the holder, what it means and what to do."""
        yield Static("", id="heading", classes="heading")
        yield Static("", id="holder", classes="holder")
        yield Static("", id="notice", classes="notice")
        yield Static("", id="lead", classes="lead")
        yield Static("", id="choices", classes="lead")
        yield Static("", id="expiring", classes="notice")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Render the card's condition with the next step for each."""
        assert isinstance(screen, CardStatus)
        card = screen.card
        self._unlockable = screen.can_unlock
        self._expiring = screen.expires_in_days is not None
        self._working = screen.can_register
        # Registering is offered only where an unlock needs it (the service's policy).
        told = self.policy
        self._registers = self._working and (told is None or told.registration_needed)
        self._ra_desk = state.config.ra_desk and screen.can_register
        self.set_text("notice", screen.notice)
        self.set_text("holder", Text.assemble(_("Card holder: "), (card.name, "bold")))
        if screen.condition is CardCondition.BLOCKED:
            heading: str = _("Your card is locked")
            lead = _where_codes_go(screen.started)
            if screen.notice is None:
                # A notice (the card just locked here) has already said why.
                lead = (
                    _("The passcode was typed wrongly too many times, so the card is locked.\n\n")
                    + lead
                )
            hints: tuple[tuple[str, str], ...] = (
                ("Enter", _("Unlock my card")),
                ("Esc", _("Stop")),
            )
        elif screen.condition is CardCondition.EXPIRED:
            heading = _("Your card has expired")
            lead = _(
                "This card expired on {date}. An expired card cannot be "
                "unlocked here.\n\nContact your Sponsor or the RA team for a new card. "
                "Take your card.",
                date=_date(card.expiry),
            )
            hints = (("Esc", _("Finish")),)
        else:
            heading = _("Your card is working")
            lead = _("Your card is not locked, so there is nothing to unlock.")
            if card.tries_left is not None:
                lead += " " + ngettext(
                    "You have {count} passcode try left before it locks.",
                    "You have {count} passcode tries left before it locks.",
                    card.tries_left,
                )
            lead += _("\n\nIf you have forgotten your passcode, press F1.")
            hints = (
                *([("1", _("Register"))] if self._registers else []),
                ("2", _("Change passcode")),
                *([("3", _("RA sign-in"))] if self._ra_desk else []),
                ("Esc", _("Finish")),
            )
        self.set_text("heading", heading)
        self.set_text("lead", lead)
        choices = None
        if self._working:
            choices = choice_list(
                _("What would you like to do? Press a number:"),
                [
                    *(
                        [
                            (
                                "1",
                                _(
                                    "Register for self-service (or update your registration), "
                                    "so you can unlock your own card if it ever locks"
                                ),
                            )
                        ]
                        if self._registers
                        else []
                    ),
                    ("2", _("Change your passcode")),
                    *([("3", _("Sign in as an RA (RA staff, own card)"))] if self._ra_desk else []),
                ],
                _("\nOr take your card if you are done."),
            )
        self.set_list("choices", choices, key=(self._working, self._registers, self._ra_desk))
        expiring = None
        if screen.expires_in_days is not None and screen.condition is not CardCondition.EXPIRED:
            when = (
                _("Your card expires today ({date}).", date=_date(card.expiry))
                if screen.expires_in_days == 0
                else ngettext(
                    "Your card expires in {count} day ({date}).",
                    "Your card expires in {count} days ({date}).",
                    screen.expires_in_days,
                    date=_date(card.expiry),
                )
            )
            expiring = (
                when
                + " "
                + _(
                    "Renew it through your Sponsor or the RA team before then. "
                    "Press F1 to find out how."
                )
            )
        self.set_text("expiring", expiring)
        # Per-card keys: Enter starts an unlock only on a card that can be
        # unlocked, and F1 opens the help page that fits the card.
        self.ENTER_CONTINUES = self._unlockable
        self.KEY_HINTS = hints
        if self._expiring or screen.condition is CardCondition.EXPIRED:
            # Renewing, and who the Sponsor is the text above sends them to.
            self.HELP_TOPIC = HelpTopic.EXPIRING
        elif self._unlockable:
            self.HELP_TOPIC = HelpTopic.CONTACT_RA
        else:
            self.HELP_TOPIC = HelpTopic.FORGOTTEN_PASSCODE

    def key_allowed(self, key: str) -> bool:
        """1 on a working card where registering is needed; 2 on a working card; 3 on a
        working card at an RA desk."""
        if key == "1":
            return self._registers
        return self._ra_desk if key == "3" else self._working

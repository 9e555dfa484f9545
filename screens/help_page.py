"""Help pages: one text per `HelpTopic`; the RA team's contacts from the settings."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from kiosk.flow.events import Help, HelpTopic
from kiosk.flow.states import HelpPage, KioskState
from screens.base import KioskScreen
from screens.widgets import RaContactsBox

#: Topic -> (menu label, heading, text). The keys 1..5 open them in this order.
HELP_TEXT: dict[HelpTopic, tuple[str, str, str]] = {
    HelpTopic.CONTACT_RA: (
        "Contact the RA team",
        "Contact your RA team",
        "The Registration Authority (RA) team looks after smartcards where you work. "
        "They can unlock your card, replace it, and help with anything this kiosk "
        "cannot do.",
    ),
    HelpTopic.FORGOTTEN_PASSCODE: (
        "Forgotten passcode",
        "Forgotten your passcode?",
        "If your card is locked and you registered for self-service, you can unlock "
        "it at this kiosk and choose a new passcode. You will need your email.\n\n"
        "If your card still works but you cannot remember the passcode, do not keep "
        "guessing: three wrong passcodes lock the card. If you have not registered "
        "for self-service, the RA team can unlock your card.",
    ),
    HelpTopic.LOST_OR_STOLEN: (
        "Lost, stolen or damaged card",
        "Lost, stolen or damaged card",
        "Report a lost or stolen card to the RA team at once, so that nobody else can "
        "use it. A damaged card cannot be unlocked here: the RA team will replace it.",
    ),
    HelpTopic.EXPIRING: (
        "Card expiring",
        "Your card is expiring",
        "Smartcards last 2 years. Renew your card before it expires, through your "
        "Sponsor or the RA team. An expired card cannot be unlocked here.",
    ),
    HelpTopic.TERMS: (
        "Terms of self-service",
        "Terms of self-service",
        "When you registered for self-service you agreed to keep your smartcard and "
        "passcode to yourself, never to share your security answers, and to report "
        "a lost or stolen card at once. Every unlock is recorded.",
    ),
}

_ORDER = tuple(HELP_TEXT)


class HelpPageScreen(KioskScreen):
    """One help page; 1-5 open the others; Esc or Enter goes back."""

    STATE = HelpPage
    HELP_TOPIC = None
    ENTER_CONTINUES = True
    KEY_HINTS = (("Esc", "Back"), ("1-5", "Other help"))
    BINDINGS = [
        Binding(str(number), f"topic({number - 1})", show=False)
        for number in range(1, len(_ORDER) + 1)
    ]

    def compose_body(self) -> ComposeResult:
        """Heading, the text, the RA team, and the other topics."""
        yield Static("", id="heading", classes="heading")
        yield Static("", id="lead", classes="lead")
        yield RaContactsBox(id="contacts", classes="contacts")
        yield Static("", id="menu", classes="detail")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Show the topic's text and the menu of the others."""
        assert isinstance(screen, HelpPage)
        _, heading, text = HELP_TEXT.get(screen.topic, HELP_TEXT[HelpTopic.CONTACT_RA])
        self.set_text("heading", heading)
        self.set_text("lead", text)
        self.query_one("#contacts", RaContactsBox).show_contacts(self.ra_contacts)
        menu = "\n".join(
            f"  {number}  {HELP_TEXT[topic][0]}"
            for number, topic in enumerate(_ORDER, start=1)
            if topic is not screen.topic
        )
        self.set_text("menu", "Other help: press a number\n" + menu)

    def action_topic(self, index: int) -> None:
        """A number key: open that help page."""
        if 0 <= index < len(_ORDER):
            self.intent(Help(_ORDER[index]))

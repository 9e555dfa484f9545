"""Help pages: one text per `HelpTopic`; the RA team's contacts from the settings."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from kiosk.flow.events import Help, HelpTopic
from kiosk.flow.states import HelpPage, KioskState
from screens.base import KioskScreen, item_list
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
        "Three wrong passcodes lock your card. Self-service unlock lets you unlock a "
        "locked card yourself at this kiosk: you answer the security questions you "
        "chose, we email you a code, and you choose a new passcode.\n\n"
        "Who can use it: anyone who registered for self-service while their card still "
        "worked. To register, put your working card in this kiosk and choose "
        '"Register for self-service"; you need your passcode and your work email.\n\n'
        "If you have not registered and your card is locked, ask the RA team to unlock "
        "it now, and register next time.",
    ),
    HelpTopic.LOST_OR_STOLEN: (
        "Lost, stolen or damaged card",
        "Lost, stolen or damaged card",
        "Report a lost or stolen card to the RA team at once, so that nobody else can "
        "use it: do not wait until you need it. A damaged card (cracked, bent, or not "
        "read by any reader) cannot be unlocked or repaired here: the RA team will "
        "cancel it and give you a new one.",
    ),
    HelpTopic.EXPIRING: (
        "Card expiring",
        "Your card is expiring",
        "Smartcards last 2 years. When you put your card in this kiosk it tells you "
        "if the card expires within 90 days.\n\n"
        "To renew, ask your Sponsor (usually your manager) or the RA team before the "
        "expiry date; they will arrange a new card. An expired card cannot be "
        "unlocked or used, so renew in good time.",
    ),
    HelpTopic.TERMS: (
        "Terms of self-service",
        "Terms of self-service",
        "In short: self-service is for your own card only; keep your passcode, "
        "security answers and codes to yourself; use an email address only you can "
        "read; report a lost or stolen card at once; three wrong answers lock "
        "self-service; and every use is recorded. The full terms follow.",
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
        yield Static("", id="terms", classes="detail")
        yield RaContactsBox(id="contacts", classes="contacts")
        yield Static("", id="menu", classes="detail")

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Show the topic's text and the menu of the others."""
        assert isinstance(screen, HelpPage)
        _, heading, text = HELP_TEXT.get(screen.topic, HELP_TEXT[HelpTopic.CONTACT_RA])
        self.set_text("heading", heading)
        self.set_text("lead", text)
        terms = None
        if screen.topic is HelpTopic.TERMS:
            config = state.config
            # The terms file's own text, shown as plain text (never markup).
            terms = (
                f"Terms version {config.terms_version}\n\n{config.terms_text}"
                if config.terms_text
                else "The full terms are not available at this kiosk; ask the RA team."
            )
        self.set_text("terms", terms)
        self.query_one("#contacts", RaContactsBox).show_contacts(self.ra_contacts)
        others = [
            (str(number), HELP_TEXT[topic][0])
            for number, topic in enumerate(_ORDER, start=1)
            if topic is not screen.topic
        ]
        menu = item_list("Other help: press a number", others)
        self.set_list("menu", menu, key=tuple(others))

    def action_topic(self, index: int) -> None:
        """A number key: open that help page."""
        if 0 <= index < len(_ORDER):
            self.intent(Help(_ORDER[index]))

"""Help pages: one text per `HelpTopic`; the RA team's contacts from the settings."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from contract.wire import PolicyOut
from kiosk.contact_rules import domains_text
from kiosk.flow import states
from kiosk.flow.events import Help, HelpTopic
from kiosk.flow.states import HelpPage, KioskState
from screens.base import KioskScreen, unwrap
from screens.language import _, current, tr
from screens.widgets import RaContactsBox
from screens.wording import item_list, terms_in_language

#: Topic -> (menu label, heading, text). The keys 1..5 open them in this order.
HELP_TEXT: dict[HelpTopic, tuple[str, str, str]] = {
    HelpTopic.CONTACT_RA: (
        _("Contact the RA team"),
        _("Contact your RA team"),
        _(
            "The Registration Authority (RA) team looks after smartcards where you work. "
            "They can unlock your card, replace it, and help with anything this kiosk "
            "cannot do."
        ),
    ),
    HelpTopic.FORGOTTEN_PASSCODE: (
        _("Forgotten passcode"),
        _("Forgotten your passcode?"),
        _(
            "Three wrong passcodes lock your card. Self-service unlock lets you unlock a "
            "locked card yourself at this kiosk: you answer the security questions you "
            "chose, we email you a code, and you choose a new passcode.\n\n"
            "Who can use it: anyone who registered for self-service while their card still "
            "worked. To register, put your working card in this kiosk and choose "
            '"Register for self-service"; you need your passcode and your work email.\n\n'
            "If you have not registered and your card is locked, ask the RA team to unlock "
            "it now, and register next time."
        ),
    ),
    HelpTopic.LOST_OR_STOLEN: (
        _("Lost, stolen or damaged card"),
        _("Lost, stolen or damaged card"),
        _(
            "Report a lost or stolen card to the RA team at once, so that nobody else can "
            "use it: do not wait until you need it. A damaged card (cracked, bent, or not "
            "read by any reader) cannot be unlocked or repaired here: the RA team will "
            "cancel it and give you a new one."
        ),
    ),
    HelpTopic.EXPIRING: (
        _("Card expiring"),
        _("Your card is expiring"),
        _(
            "Smartcards last 2 years. When you put your card in this kiosk it tells you "
            "if the card expires within 90 days.\n\n"
            "To renew, ask your Sponsor (usually your manager) or the RA team before the "
            "expiry date; they will arrange a new card. An expired card cannot be "
            "unlocked or used, so renew in good time."
        ),
    ),
    HelpTopic.TERMS: (
        _("Terms of self-service"),
        _("Terms of self-service"),
        _(
            "In short: self-service is for your own card only; keep your passcode, "
            "security answers and codes to yourself; use an email address only you can "
            "read; report a lost or stolen card at once; three wrong answers lock "
            "self-service; and every use is recorded. The full terms follow."
        ),
    ),
}

_ORDER = tuple(HELP_TEXT)

_NO_EMAIL = (
    _("No email yet?"),
    _(
        "The code usually arrives within a minute, at the address shown on the screen.\n\n"
        "  • Look in your junk or spam folder, and in any 'Other' or 'Clutter' folder.\n"
        "  • Wait a minute or two: some mail systems hold messages for a short while.\n"
        "  • Still nothing? Press Esc to go back to the code screen and press F7 for a new "
        "code. Only the newest code works, so use the code from the newest email.\n\n"
        "If the address shown is not one you can read now, stop here and ask the RA team "
        "to help: they can unlock your card and update your details."
    ),
)

_NO_TEXT = (
    _("No text yet?"),
    _(
        "The code usually arrives within a minute, on the mobile phone number shown on the "
        "screen.\n\n"
        "  • Check that your phone has signal and is not in flight mode.\n"
        "  • Wait a minute or two: texts are sometimes held for a short while.\n"
        "  • Still nothing? Press Esc to go back to the code screen and press F7 for a new "
        "code. Only the newest code works, so use the code from the newest text.\n\n"
        "If the number shown is not one you can use now, stop here and ask the RA team "
        "to help: they can unlock your card and update your details."
    ),
)
"""F1 on the code screen when the one code went by text (national-2023)."""

_SCREEN_HELP: dict[type, tuple[str, str]] = {
    states.CardStatus: (
        _("Unlocking your card here"),
        _(
            "If you registered for self-service, you can unlock your card here: you answer "
            "the security questions you chose when you registered, we email a code to the "
            "address you registered, and you choose a new passcode. It takes a few "
            "minutes, and you need to read your email (here or on your phone).\n\n"
            "If you have not registered, or cannot read that email, the RA team can "
            "unlock your card instead."
        ),
    ),
    states.Questions: (
        _("Forgotten your answers?"),
        _(
            "Type the answers you gave when you registered for self-service. Capital "
            "letters and extra spaces do not matter, but the words must be the same. "
            "Press F8 to see what you typed in the box you are in.\n\n"
            "Each wrong set of answers uses one attempt. After the last attempt, "
            "self-service is locked for this card and only the RA team can unlock it.\n\n"
            "If you cannot remember an answer, do not guess: press Esc to stop (your "
            "attempts are kept) and ask the RA team to unlock your card."
        ),
    ),
    states.CodeEntry: _NO_EMAIL,
    states.RegistrationCodeEntry: _NO_EMAIL,
    states.NewPasscode: (
        _("Choosing a new passcode"),
        _(
            "Your passcode is the number you type to use your card. Choose one you can "
            "remember but nobody could guess: the rules on the screen say what is not "
            "allowed. Type it twice, the same both times.\n\n"
            "It goes only to your card: it is never stored or sent anywhere, so nobody "
            "can tell you it later."
        ),
    ),
    states.ContactDetails: (
        _("Which email addresses work"),
        _(
            "Your codes are emailed, so give a work email address that only you can read: "
            "{domains}. A personal address (such as gmail.com) or a shared team mailbox "
            "cannot be used.\n\n"
            "Your mobile number must be a UK mobile: 11 digits starting 07, or +44 7 and 9 "
            "more digits. Spaces are fine.\n\n"
            "If your work address ends in something else, ask the RA team: they can tell "
            "you which addresses this kiosk accepts."
        ),
    ),
    states.ChooseQuestions: (
        _("Choosing your security questions"),
        _(
            "Choose 4 questions whose answers you will remember exactly in years to come, "
            "and that other people could not find out (avoid anything on social media). "
            "When you unlock your card, you will be asked some of them.\n\n"
            "Move with the Up and Down keys and press Space to choose or un-choose a "
            "question; press Enter when you have chosen 4."
        ),
    ),
    states.RegistrationAnswers: (
        _("Choosing your answers"),
        _(
            "Type each answer twice, the same both times, so a typing slip is caught now "
            "rather than when your card is locked. Capital letters and extra spaces do not "
            "matter. Press F8 to see what you typed in the box you are in.\n\n"
            "Choose answers you will type the same way every time: for example always "
            "'St Mary's' or always 'Saint Marys', not one then the other."
        ),
    ),
}
"""Help about the screen F1 was pressed on, when that screen has no topic of its own."""

SPONSOR = _(
    "Your Sponsor is the person at your organisation who approves your smartcard and "
    "what it lets you do, usually your line manager or a named senior colleague. If "
    "you do not know who your Sponsor is, the RA team can tell you."
)


_UNLOCKING_UNDER: dict[tuple[str, bool], str] = {
    ("national-2023", False): _(
        "Three wrong passcodes lock your card. Self-service unlock lets you unlock a "
        "locked card yourself at this kiosk: we send a code to the email address or "
        "mobile phone number your organisation holds for you, and you choose a new "
        "passcode. You do not need to register first.\n\n"
        "If neither is one you can read now, or they are out of date, ask the RA team to "
        "unlock your card and to update your details."
    ),
    ("two-channel", False): _(
        "Three wrong passcodes lock your card. Self-service unlock lets you unlock a "
        "locked card yourself at this kiosk: we send one code to the email address and "
        "another to the mobile phone number your organisation holds for you, you type "
        "both, and you choose a new passcode. You do not need to register first.\n\n"
        "If you cannot read both now, or they are out of date, ask the RA team to unlock "
        "your card and to update your details."
    ),
    ("two-channel", True): _(
        "Three wrong passcodes lock your card. Self-service unlock lets you unlock a "
        "locked card yourself at this kiosk: you answer the security questions you "
        "chose, we send one code to your email and another to your mobile phone, you "
        "type both, and you choose a new passcode.\n\n"
        "Who can use it: anyone who registered for self-service while their card still "
        "worked. To register, put your working card in this kiosk and choose "
        '"Register for self-service"; you need your passcode, your work email and your '
        "mobile phone.\n\n"
        "If you have not registered and your card is locked, ask the RA team to unlock "
        "it now, and register next time."
    ),
}
"""What unlocking here takes, under a policy other than the default `questions` (by
policy and whether a holder registers): the forgotten-passcode page and the locked
card's help say it instead of the default's words."""


_EMAIL_ONLY = _(
    "Three wrong passcodes lock your card. Self-service unlock lets you unlock a locked "
    "card yourself at this kiosk: we email a code to the address your organisation holds "
    "for you, and you choose a new passcode. You do not need to register first.\n\n"
    "If you cannot read that email now, or it is out of date, ask the RA team to unlock "
    "your card and to update your details."
)
"""national-2023 where no text can be sent: the code goes by email only."""


def _unlocking(policy: PolicyOut | None) -> str | None:
    """The words for unlocking under `policy`; None: the default policy's own."""
    if policy is None:
        return None
    if policy.policy == "national-2023" and not policy.texts:
        return _EMAIL_ONLY
    return _UNLOCKING_UNDER.get((policy.policy, policy.registration_needed))


def help_for(screen: HelpPage, policy: PolicyOut | None = None) -> tuple[str, str]:
    """The heading and text of the help page for `screen` under the service's `policy`.

    F1 on a screen without a topic of its own opens CONTACT_RA; the page then
    explains the screen it was opened from (`back_to`), where there is help for it.
    """
    unlocking = _unlocking(policy)
    if screen.topic is HelpTopic.CONTACT_RA:
        back, _outage = unwrap(screen.back_to)
        page = _SCREEN_HELP.get(type(back))
        if isinstance(back, states.CodeEntry) and back.by_text:
            page = _NO_TEXT
        if page is not None:
            heading, text = tr(page[0]), tr(page[1])
            if isinstance(back, states.CardStatus) and unlocking is not None:
                text = tr(unlocking)
            if isinstance(back, states.ContactDetails):
                text = text.format(domains=_domains(back.approved_domains))
            return heading, text
    _label, heading, text = HELP_TEXT.get(screen.topic, HELP_TEXT[HelpTopic.CONTACT_RA])
    if screen.topic is HelpTopic.FORGOTTEN_PASSCODE and unlocking is not None:
        text = unlocking
    heading, text = tr(heading), tr(text)
    if screen.topic is HelpTopic.EXPIRING:
        text += "\n\n" + tr(SPONSOR)
    return heading, text


def _domains(domains: tuple[str, ...]) -> str:
    return (
        _("it must end in ") + domains_text(domains)
        if domains
        else _("the address must be on your organisation's email system")
    )


class HelpPageScreen(KioskScreen):
    """One help page; 1-5 open the others; Esc or Enter goes back."""

    STATE = HelpPage
    HELP_TOPIC = None
    ENTER_CONTINUES = True
    KEY_HINTS = (("Esc", _("Back")), ("1-5", _("Other help")))
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
        heading, text = help_for(screen, self.policy)
        self.set_text("heading", heading)
        self.set_text("lead", text)
        terms = None
        if screen.topic is HelpTopic.TERMS:
            config = state.config
            # The terms file's own text, shown as plain text (never markup).
            terms = (
                _("Terms version {version}", version=config.terms_version)
                + "\n\n"
                + terms_in_language(config.terms_text)
                if config.terms_text
                else _("The full terms are not available at this kiosk; ask the RA team.")
            )
        self.set_text("terms", terms)
        self.show_ra_contacts()
        own_page = heading != tr(HELP_TEXT[screen.topic][1]) if screen.topic in HELP_TEXT else False
        others = [
            (str(number), tr(HELP_TEXT[topic][0]))
            for number, topic in enumerate(_ORDER, start=1)
            if own_page or topic is not screen.topic
        ]
        menu = item_list(_("Other help: press a number"), others)
        self.set_list("menu", menu, key=(current(), tuple(others)))

    def action_topic(self, index: int) -> None:
        """A number key: open that help page."""
        if 0 <= index < len(_ORDER):
            self.intent(Help(_ORDER[index]))

"""Registering: the terms and conditions, scrollable; Enter accepts, Esc declines."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from kiosk.flow.events import AcceptTerms, DeclineTerms, HelpTopic
from kiosk.flow.states import KioskState, Terms
from screens.base import KioskScreen
from screens.language import _
from screens.wording import terms_in_language


class TermsScreen(KioskScreen):
    """Read the terms (arrows and Page Up/Down scroll), then accept or decline."""

    STATE = Terms
    HELP_TOPIC = HelpTopic.TERMS
    KEY_HINTS = (
        (_("↑ ↓ PgUp PgDn"), _("Read")),
        ("Enter", _("I accept")),
        ("Esc", _("I do not accept")),
    )
    BINDINGS = [
        Binding("up", "scroll_terms('up')", show=False),
        Binding("down", "scroll_terms('down')", show=False),
        Binding("pageup", "scroll_terms('page_up')", show=False),
        Binding("pagedown", "scroll_terms('page_down')", show=False),
        Binding("home", "scroll_terms('home')", show=False),
        Binding("end", "scroll_terms('end')", show=False),
    ]

    def compose_body(self) -> ComposeResult:
        """Heading, version, the terms in their own scroller, what the keys do."""
        yield Static(_("Terms and conditions of self-service"), classes="heading")
        yield Static("", id="version", classes="detail")
        with VerticalScroll(id="terms-box", can_focus=False):
            yield Static("", id="terms-text")
        yield Static(
            _(
                "Press Enter to accept these terms and go on, or Esc if you do not accept "
                "them (you will not be registered)."
            ),
            classes="lead",
        )

    def render_state(self, screen: Any, state: KioskState) -> None:
        """The terms as plain text (never markup) and their version."""
        assert isinstance(screen, Terms)
        self.set_text("version", _("Version {version}", version=screen.version))
        self.query_one("#terms-text", Static).update(terms_in_language(screen.text))

    def action_scroll_terms(self, how: str) -> None:
        """Scroll the terms by keyboard."""
        box = self.query_one("#terms-box", VerticalScroll)
        actions = {
            "up": box.scroll_up,
            "down": box.scroll_down,
            "page_up": box.scroll_page_up,
            "page_down": box.scroll_page_down,
            "home": box.scroll_home,
            "end": box.scroll_end,
        }
        action = actions.get(how)
        if action is not None:
            action(animate=False)

    def action_enter(self) -> None:
        """Enter: accept the terms."""
        self.intent(AcceptTerms())

    def action_back(self) -> None:
        """Esc: decline the terms."""
        self.intent(DeclineTerms())

"""What every kiosk screen shares: the contract between the app and `screens/`.

A screen renders one flow state (a dataclass from `kiosk.flow.states`) and posts
`kiosk.messages.Intent` with a flow event for whatever the holder does. It holds
no rule. The app keeps one instance of each screen installed, so text typed into
a screen survives while another screen (service unavailable, help) is shown over
it; the app calls `wipe()` when the flow says inputs must go.

Every screen has the same chrome: a title bar (service and kiosk name), a banner
line used while the unlock service cannot be reached (`ServiceUnavailable`
renders as a banner ON TOP of the screen it will resume to, so what the holder
typed stays in view), the screen's own body, and a footer with the keys and how
to reach the RA team.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.console import Group
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Input, Static

from contract.contacts import RaContacts
from contract.wire import PolicyOut
from kiosk.flow.events import Back, Continue, Event, Help, HelpTopic
from kiosk.flow.states import KioskState, ServiceUnavailable
from kiosk.flow.states import Screen as ScreenState
from kiosk.messages import Intent
from screens.language import Language, Phrase, _, current, tr
from screens.widgets import RaContactsBox, SecretInput, short_contact
from screens.wording import access_hints, on_show, outage_text, plain_words, show_text

SERVICE_NAME = _("Smartcard self-service")
DEMO_KEYS_LINE = _("DEMO  F2-F4 card in (Ctrl: PIV)  F5 out  Ctrl+F5 RA card  F6 mail, answers")
"""The demo banner folded to one line (the demo mailbox shows the cards in full)."""
CHROME_ROWS = 5
"""Rows around the body: title, outage banner margin, key hints, help line."""
BODY_ROWS = 20
"""Rows the body needs before the full demo banner may take rows from it."""
REVEAL_KEY = "f8"


def unwrap(screen: ScreenState) -> tuple[ScreenState, ServiceUnavailable | None]:
    """The screen state to render, and the outage banner to show over it (if any).

    Args:
        screen: `KioskState.screen`.

    Returns:
        The innermost screen state (`ServiceUnavailable.resume_to`, followed), and
        the outermost `ServiceUnavailable` or None.
    """
    banner = screen if isinstance(screen, ServiceUnavailable) else None
    while isinstance(screen, ServiceUnavailable):
        screen = screen.resume_to
    return screen, banner


class KioskView:
    """What screens and overlays share: the app contract and state bookkeeping.

    `show` may be called before the screen is mounted (the app switches to a
    screen and shows it at once): the state is kept and rendered on mount.
    """

    #: The flow state type this view renders (a screen state or an overlay).
    STATE: ClassVar[type[Any]]

    #: Settings the screens may show (kiosk name, passcode rules ...), set by the app.
    settings: Any = None

    _state: KioskState | None = None
    _ready: bool = False

    #: Set by a render that shows something time-critical for the first time (a code
    #: about to expire); the app says the screen aloud to a holder who uses speech.
    announcement_due: bool = False

    def show(self, state: KioskState) -> None:
        """Render the whole kiosk state (`state.screen` is an instance of STATE).

        Args:
            state: The flow's state; rendered now if mounted, else on mount.
        """
        self._state = state
        if self._ready:
            self._draw()

    def wipe(self, keep: frozenset[str] = frozenset()) -> None:
        """Clear every input on this screen (secret or not) but the fields `keep` names."""
        for field in self.query(Input):  # type: ignore[attr-defined]
            if field.id in keep:
                continue
            if isinstance(field, SecretInput):
                field.wipe()
            else:
                field.clear()

    def intent(self, event: Event) -> None:
        """Tell the app what the holder wants.

        The kiosk app takes it at once (`handle_intent`), so the next screen is
        in place before the next key is handled: a posted message queued behind
        keys already typed, and those keys landed on the screen being left
        (an email typed straight after accepting the terms was lost). Anything
        else receives an `Intent` message.

        Args:
            event: A holder intent from `kiosk.flow.events`.
        """
        handle = getattr(self.app, "handle_intent", None)  # type: ignore[attr-defined]
        if callable(handle):
            handle(event)
        else:
            self.post_message(Intent(event))  # type: ignore[attr-defined]

    @property
    def ra_contacts(self) -> RaContacts:
        """The RA team's contacts as the service last sent them (`KioskApp.ra_contacts`;
        the neutral "your local RA team" when it never has)."""
        contacts = getattr(self.app, "ra_contacts", None)  # type: ignore[attr-defined]
        return contacts if isinstance(contacts, RaContacts) else RaContacts()

    @property
    def policy(self) -> PolicyOut | None:
        """The unlock policy as the service last sent it (`KioskApp.policy`; None when it
        never has: the screens then speak of the default policy)."""
        told = getattr(self.app, "policy", None)  # type: ignore[attr-defined]
        return told if isinstance(told, PolicyOut) else None

    @property
    def kiosk_name(self) -> str:
        """Where this kiosk is, from the settings."""
        return str(getattr(self.settings, "kiosk_name", "") or "")

    def _mounted(self) -> None:
        self._ready = True
        self._draw()

    _drawn_in: Language | None = None

    def _draw(self) -> None:
        if self._state is None:
            return
        try:
            if self._drawn_in is not current():
                self._drawn_in = current()
                self.retranslate()
            self._apply(self._state)
        except NoMatches:
            # Its widgets are gone (the app is shutting down, which can also
            # happen while a screen mounts) or not yet back: the state is kept
            # and drawn on the next mount.
            pass

    def retranslate(self) -> None:
        """Draw the words this screen was composed with in the current language.

        Statics made with a phrase (`_`) and the placeholders of fields; what the
        holder typed is left as it is. Words set while rendering a state are drawn
        again by `_apply`.
        """
        for widget in self.query(Static):  # type: ignore[attr-defined]
            if isinstance(widget.content, Phrase):
                widget.update(tr(widget.content))
        for field in self.query(Input):  # type: ignore[attr-defined]
            if isinstance(field.placeholder, Phrase):
                field.placeholder = tr(field.placeholder)

    def _apply(self, state: KioskState) -> None:
        """Render `state` (subclasses)."""

    #: Statics never read aloud: the demo banner lists the demo cards' passcodes.
    UNSPOKEN: ClassVar[frozenset[str]] = frozenset({"demo-banner", "kiosk-name"})

    def spoken_parts(self) -> list[str]:
        """What "read this screen aloud" says: every text on show, top to bottom.

        Only the screen's own words (heading, question or message, labels, keys),
        read from its Statics: never a field, so never what was typed into one.
        """
        parts: list[str] = []
        for widget in self.query(Static):  # type: ignore[attr-defined]
            if widget.id in self.UNSPOKEN or not on_show(widget):
                continue
            words = plain_words(widget.content)
            if words.strip():
                parts.append(words)
        return parts


class KioskScreen(KioskView, Screen[None]):
    """Base of every kiosk screen: the chrome, the keys, Enter-to-next-field.

    Subclasses compose their body in `compose_body` and render in `render_state`.
    Enter in a field moves to the next field; in the last one it calls
    `submit_step`. Enter elsewhere posts Continue when `ENTER_CONTINUES`. Escape
    posts Back; F1 posts Help(`HELP_TOPIC`) when the screen has a topic.
    """

    #: Enter (outside a field) posts Continue.
    ENTER_CONTINUES: bool = False
    #: Escape posts Back (the flow decides: back, ask to cancel, or nothing).
    ESCAPE_BACKS: ClassVar[bool] = True
    #: F1 opens this help page; None: no help key on this screen.
    HELP_TOPIC: HelpTopic | None = HelpTopic.CONTACT_RA
    #: Key hints for the footer, (key, what it does), besides F1.
    KEY_HINTS: tuple[tuple[str, str], ...] = ()
    #: F8 shows what was typed in the field with the cursor (answers; never passcodes).
    CAN_REVEAL: ClassVar[bool] = False

    _revealing: bool = False

    BINDINGS = [
        # Priority: the app runs it before it hands the next key to any widget, so
        # keys typed right after Enter land in the next field, however fast.
        Binding("enter", "enter", "Continue", show=False, priority=True),
        Binding("escape", "back", "Back", show=False),
        Binding("f1", "help", "Help", show=False),
        Binding(REVEAL_KEY, "reveal", "Show what I typed", show=False),
        # Priority, or the scrolling body takes Up/Down first; switched off (so the
        # key goes on) unless the cursor is in a field: a list keeps its own Up/Down.
        Binding("down", "next_field", "Next field", show=False, priority=True),
        Binding("up", "previous_field", "Previous field", show=False, priority=True),
    ]

    def compose(self) -> ComposeResult:
        """The chrome around the screen's own body."""
        with Horizontal(id="title-bar"):
            yield Static(SERVICE_NAME, id="title")
            yield Static("", id="kiosk-name")
        yield Static("", id="banner")
        yield Static("", id="demo-banner")
        # Not focusable: the first field (or nothing) takes the keys, never the scroller.
        # The measure keeps lines readable on a wide terminal (centred, at most
        # ~100 columns).
        with VerticalScroll(id="body", can_focus=False), Vertical(id="measure"):
            yield from self.compose_body()
        yield Static("", id="keys")
        yield Static("", id="help-line")

    def compose_body(self) -> ComposeResult:
        """The screen's own widgets (subclasses)."""
        yield from ()

    def on_mount(self) -> None:
        """Render the state the app gave before the screen was mounted."""
        self._mounted()
        self.call_after_refresh(self.focus_first_empty)

    def _apply(self, state: KioskState) -> None:
        screen_state, outage = unwrap(state.screen)
        show_text(self.query_one("#kiosk-name", Static), Text(self.kiosk_name))
        banner = self.query_one("#banner", Static)
        banner.display = outage is not None
        if outage is not None:
            show_text(banner, outage_text(outage, state.now, self.ra_contacts))
        show_text(self.query_one("#title", Static), tr(SERVICE_NAME))
        # Demo mode only: which demo card is which, and their public demo answers;
        # folded to one line of keys when it would crowd out the screen's own body.
        demo_text = getattr(getattr(self.app, "demo", None), "banner", "")
        demo_banner = self.query_one("#demo-banner", Static)
        demo_banner.display = bool(demo_text)
        if demo_text and not self._room_for(demo_text):
            demo_text = DEMO_KEYS_LINE
        show_text(demo_banner, Text(demo_text))
        help_line = Text(_("Need a person? "))
        help_line.append(short_contact(self.ra_contacts))
        show_text(self.query_one("#help-line", Static), help_line)
        self.render_state(screen_state, state)
        # After render_state: a screen may change its keys with its state.
        show_text(self.query_one("#keys", Static), self._key_hints())

    def _room_for(self, banner: str) -> bool:
        """Whether the full demo banner leaves the body enough rows."""
        width, height = self.size
        if not height:
            return False  # not laid out yet: fold, and look again on resize
        rows = sum(max(1, -(-len(line) // max(1, width - 4))) for line in banner.splitlines())
        return height - rows - CHROME_ROWS >= BODY_ROWS

    def on_resize(self) -> None:
        """Draw again for the new size (the demo banner folds, the key hints wrap)."""
        self._draw()

    def render_state(self, screen: Any, state: KioskState) -> None:
        """Render this screen's state (subclasses).

        Args:
            screen: The screen state, an instance of STATE (unwrapped from an outage).
            state: The whole kiosk state (for `now`, `card`, `config`).
        """

    def _key_hints(self) -> Text:
        hints = [(tr(key), tr(what)) for key, what in self.KEY_HINTS]
        if len(self.fields()) > 1:
            hints.insert(min(1, len(hints)), ("↑ ↓", _("Move between fields")))
        if self.CAN_REVEAL:
            what = _("Hide what I typed") if self._revealing else _("Show what I typed")
            hints.insert(max(0, len(hints) - 1), (REVEAL_KEY.upper(), what))
        if self.HELP_TOPIC is not None:
            hints.append(("F1", _("Help")))
        hints.extend(access_hints())
        # Packed into lines by hand, never wrapped inside a hint: on a narrow
        # terminal the hints go onto a second line instead of being cut off.
        width = max(20, (self.size.width or 100) - 4)
        text = Text()
        used = 0
        for key, what in hints:
            length = len(key) + len(what) + 3
            if used and used + 4 + length > width:
                text.append("\n")
                used = 0
            elif used:
                text.append("    ")
                used += 4
            text.append(f" {key} ", "reverse bold")
            text.append(f" {what}")
            used += length
        return text

    # -- keys ------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Switch the shared keys off on screens that do not use them."""
        if action == "continue":
            return self.ENTER_CONTINUES
        if action == "back":
            return self.ESCAPE_BACKS
        if action == "help":
            return self.HELP_TOPIC is not None
        if action == "reveal":
            return self.CAN_REVEAL
        if action in ("next_field", "previous_field"):
            return isinstance(self.focused, Input)
        return True

    def action_reveal(self) -> None:
        """F8: show (or hide again) what was typed, in the field with the cursor only."""
        self.set_revealing(not self._revealing)

    def set_revealing(self, on: bool) -> None:
        """Show what was typed in this screen's secret fields while each has the cursor."""
        self._revealing = on
        for field in self.query(SecretInput):
            field.reveal(on)
        if self._ready:
            show_text(self.query_one("#keys", Static), self._key_hints())

    def on_screen_suspend(self) -> None:
        """Leaving the screen masks everything again."""
        if self._revealing:
            self.set_revealing(False)

    def action_continue(self) -> None:
        """Enter outside a field: go on."""
        self.intent(Continue())

    def action_back(self) -> None:
        """Escape: back, or ask to stop (the flow decides which)."""
        self.intent(Back())

    def action_help(self) -> None:
        """F1: this screen's help page."""
        if self.HELP_TOPIC is not None:
            self.intent(Help(self.HELP_TOPIC))

    # -- forms -------------------------------------------------------------------

    def fields(self) -> list[Input]:
        """The screen's fields in the order Enter moves through them."""
        return [field for field in self.query(Input) if field.display]

    def action_enter(self) -> None:
        """Enter: the next field, or send the step from the last one, or Continue."""
        fields = self.fields()
        focused = self.focused
        if isinstance(focused, Input) and focused in fields:
            index = fields.index(focused)
            if index + 1 < len(fields):
                self.set_focus(fields[index + 1])  # at once, not on the next refresh
            else:
                # After the keys already queued for this field have reached it.
                focused.call_later(self.submit_step)
            return
        if self.ENTER_CONTINUES:
            self.action_continue()

    def action_next_field(self) -> None:
        """Down: the next field."""
        self._move_field(+1)

    def action_previous_field(self) -> None:
        """Up: the field before."""
        self._move_field(-1)

    def _move_field(self, step: int) -> None:
        fields = self.fields()
        if not fields:
            return
        focused = self.focused
        if isinstance(focused, Input) and focused in fields:
            index = max(0, min(len(fields) - 1, fields.index(focused) + step))
        else:
            index = 0
        self.set_focus(fields[index])

    def submit_step(self) -> None:
        """Post the step's intent with what was typed (form screens)."""

    def on_key(self, event: events.Key) -> None:
        """A printable key that reached the screen, not a field: type it into one.

        A field takes every printable key it is given, so a key gets here only when
        no field had the cursor yet: typed the moment a screen appeared (before the
        cursor was placed), or straight after the Enter that brought the screen.
        """
        if not event.is_printable or event.character is None:
            return
        fields = self.fields()
        if not fields:
            return
        target = self.focused if self.focused in fields else None
        if target is None:
            target = next((f for f in fields if not f.value), fields[0])
            self.set_focus(target)
        assert isinstance(target, Input)
        # Through the field's own queue, after its Focus (which may select all):
        # in order with the keys that follow, which go to the field directly.
        target.call_later(target.insert_text_at_cursor, event.character)
        event.stop()
        event.prevent_default()

    # -- after an error ------------------------------------------------------------

    _problem_shown: object = None

    def point_at_problem(self, problem: object) -> None:
        """When a new problem is shown, put the cursor where it needs attention.

        Call from `render_state` with the screen's error(s); when they change to
        something, the cursor goes to `field_needing_attention()` once the screen
        is drawn, and the body scrolls so the message and the field are in view.

        Args:
            problem: The error text or tuple of texts (falsy: no problem).
        """
        if problem == self._problem_shown:
            return
        self._problem_shown = problem
        if problem:
            self.call_after_refresh(self._attend)

    def _attend(self) -> None:
        field = self.field_needing_attention()
        if field is None:
            return
        anchor = self.problem_anchor(field)
        body = self.query_one("#body", VerticalScroll)
        field.focus(scroll_visible=False)
        # As little scrolling as brings the message into view, then the field
        # (the field wins when both do not fit).
        if anchor is not None and anchor.display:
            body.scroll_to_widget(anchor, animate=False, immediate=True)
        body.scroll_to_widget(field, animate=False, immediate=True)

    def field_needing_attention(self) -> Input | None:
        """The first field the problem is about (default: the first empty one, or the first).

        Screens that know which field a message is about override this.
        """
        fields = self.fields()
        for field in fields:
            if not field.value:
                return field
        return fields[0] if fields else None

    def problem_anchor(self, field: Input) -> Widget | None:
        """What to scroll to the top with `field` (default: the error message)."""
        for widget_id in ("error", "errors"):
            try:
                return self.query_one(f"#{widget_id}", Static)
            except NoMatches:
                continue
        return None

    def replace_fields(self, container_id: str, widgets: list[Widget]) -> None:
        """Replace everything in the container `container_id` with `widgets`.

        The old inputs are first unsubscribed from this screen's text-selection
        signal: a Textual `Input` subscribes on mount with a callback that holds
        the field (textual 8.2.8), and the signal forgets removed subscribers
        only when it is published, which it never is with selection off. Kept
        screens rebuild their answer fields for every holder, so without this
        each journey left its old fields (and their values) alive.
        """
        container = self.query_one(f"#{container_id}")
        for field in container.query(Input):
            self.text_selection_started_signal.unsubscribe(field)
        container.remove_children()
        self._revealing = False  # new fields start masked
        container.mount_all(widgets)
        self.call_after_refresh(self.focus_first_empty)

    def focus_first_empty(self) -> None:
        """Put the cursor in the first empty field (or the first field).

        Leaves it alone when it is already in a field: the holder may have started
        typing before this ran, and moving it would split their text.
        """
        fields = self.fields()
        if self.focused in fields:
            return
        for field in fields:
            if not field.value:
                field.focus()
                return
        if fields:
            fields[0].focus()

    def wipe(self, keep: frozenset[str] = frozenset()) -> None:
        """Clear every input but those `keep` names, and put the cursor in the first empty one."""
        super().wipe(keep)
        if self._revealing and self._ready:
            self.set_revealing(False)
        if not self._ready or not self.fields():
            return
        if self.is_current:
            empty = [field for field in self.fields() if not field.value]
            self.set_focus((empty or self.fields())[0])
        else:
            # A screen in the background must not take focus from the one on show;
            # with nothing focused, Textual's auto focus picks the first field on resume.
            self.set_focus(None)

    def set_list(self, widget_id: str, content: Group | None, key: object) -> None:
        """Show the `item_list` `content` in the Static `widget_id` (None: hide it).

        Args:
            widget_id: Id of a Static in this screen (without '#').
            content: From `item_list`.
            key: What the list was made from: it is drawn again only when this changes.
        """
        widget = self.query_one(f"#{widget_id}", Static)
        widget.display = content is not None
        key = (current(), key)  # drawn again in a new language
        if content is not None and getattr(widget, "_kiosk_shown", None) != key:
            widget._kiosk_shown = key  # type: ignore[attr-defined]
            widget.update(content)

    def show_ra_contacts(self) -> None:
        """Show `ra_contacts` in this screen's `RaContactsBox` (`#contacts`)."""
        self.query_one("#contacts", RaContactsBox).show_contacts(self.ra_contacts)

    def set_text(self, widget_id: str, content: Text | str | None) -> None:
        """Show `content` in the Static `widget_id`, or hide it when None or empty.

        Args:
            widget_id: Id of a Static in this screen (without '#').
            content: Plain str or Text (never markup: state text is shown as is).
        """
        widget = self.query_one(f"#{widget_id}", Static)
        widget.display = bool(content)
        if content:
            show_text(widget, Text(tr(content)) if isinstance(content, str) else content)


class KioskOverlay(KioskView, ModalScreen[None]):
    """Base of the overlays (inactivity warning, cancel confirmation): a modal box."""

    def compose(self) -> ComposeResult:
        """A centred box with the overlay's body."""
        with VerticalScroll(id="overlay-box"):
            yield from self.compose_body()

    def compose_body(self) -> ComposeResult:
        """The overlay's own widgets (subclasses)."""
        yield from ()

    def on_mount(self) -> None:
        """Render the state the app gave before the overlay was mounted."""
        self._mounted()

    def _apply(self, state: KioskState) -> None:
        if state.overlay is not None:
            self.render_overlay(state.overlay, state)

    def render_overlay(self, overlay: Any, state: KioskState) -> None:
        """Render the overlay state (subclasses).

        Args:
            overlay: `state.overlay`, an instance of STATE.
            state: The whole kiosk state.
        """

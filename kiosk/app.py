"""The kiosk app shell: wires the pure flow to the card, the service, the store and screens.

Data flows one way (docs/design.md section 2): a world event or a holder's intent goes
into `kiosk.flow.step`, which returns the new state and commands; the app shows
the state's screen and carries the commands out in workers (`kiosk.effects`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import events, on, work
from textual.app import App
from textual.message import Message

from card.watcher import CardWatcher, WatcherEvent
from kiosk import flow, policy, ra_contacts, service_facts
from kiosk.access import AccessKeys
from kiosk.card_access import CardAccess, CardThread
from kiosk.effects import IN_ORDER, ON_SCREEN, Effects
from kiosk.flow import commands as c
from kiosk.flow import events as e
from kiosk.flow import states as s
from kiosk.messages import Intent, WorldEvent
from kiosk.reader_events import IGNORED, ReaderFilter, ra_reader_event
from kiosk.service_client import ServiceClient
from kiosk.settings import KioskSettings
from kiosk.speech import Speaker
from kiosk.store import LocalStore
from screens.base import KioskScreen
from screens.demo_mailbox import DemoMailboxScreen

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
STYLESHEET = Path(__file__).resolve().parent.parent / "screens" / "kiosk.tcss"


def utc_now() -> dt.datetime:
    """The wall clock, in UTC."""
    return dt.datetime.now(dt.UTC)


class DemoControls:
    """Demo-only keys (F2-F6, F9-F11 for PIV cards); `demo.world` provides the real one."""

    @property
    def banner(self) -> str:
        """The demo cards as they are now (read on every draw, so never stale)."""
        return ""

    def insert(self, key: str) -> None:
        """Insert the demo card of holder `key` (locked, working, unregistered, ra, or
        piv-locked, piv-working, piv-unregistered)."""

    def remove(self) -> None:
        """Remove the demo card."""

    def remove_ra(self) -> None:
        """Remove the demo RA's card from the second reader (two-reader demo)."""

    def toggle_ra(self) -> None:
        """The demo RA's card into the second reader, or out if it is in."""

    def mailbox(self) -> str:
        """The demo mailbox as text, newest first."""
        return ""


class WatcherReport(Message):
    """A raw report from the card watcher thread, translated on the app thread."""

    def __init__(self, report: WatcherEvent) -> None:
        super().__init__()
        self.report = report


class KioskApp(App[None], inherit_bindings=False):
    """The full-screen kiosk. No quit key, no command palette, no selection."""

    CSS_PATH = str(STYLESHEET)
    ENABLE_COMMAND_PALETTE = False
    ALLOW_SELECT = False
    TITLE = "Smartcard self-service"

    def __init__(
        self,
        *,
        settings: KioskSettings,
        card: CardAccess,
        client: ServiceClient,
        store: LocalStore,
        clock: Clock = utc_now,
        watcher_factory: Callable[[Callable[[WatcherEvent], None]], Any] | None = None,
        demo: DemoControls | None = None,
        speaker: Speaker | None = None,
        ra_card: CardAccess | None = None,
        tick_seconds: float = 1.0,
        outbox_seconds: float = 5.0,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.clock = clock
        self.store = store
        self.client = client
        self.demo = demo
        self.card_thread = CardThread(card)
        #: At a two-reader RA desk, the RA's own reader (settings.ra_reader).
        self.ra_card_thread = CardThread(ra_card) if ra_card is not None else None
        self.reader_filter = ReaderFilter(settings.reader)
        self._watcher_factory = watcher_factory or (lambda cb: CardWatcher(cb))
        self._watcher: Any = None
        self._tick_seconds = tick_seconds
        self._outbox_seconds = outbox_seconds
        self.effects = Effects(
            card=self.card_thread,
            ra_card=self.ra_card_thread,
            client=client,
            store=store,
            emit=self._emit,
            clock=clock,
        )
        self.ra_contacts = ra_contacts.cached(store)
        """The RA team's contacts the screens show: the service's, as last sent."""
        self.policy = policy.cached(store)
        """The unlock policy the screens speak of: the service's, as last sent (None:
        never sent; the screens then say what the default policy takes)."""
        now = clock()
        self.state = s.KioskState.start(
            settings.flow_config(), now=now, checkpoint=store.load_checkpoint()
        )
        self._mounted = False
        self._card_in = False
        self._flushing = False
        self._store_queue: asyncio.Queue[c.Command] = asyncio.Queue()
        self._screens: dict[type[Any], KioskScreen] = {}
        self._overlay: Any = None
        self._mailbox: DemoMailboxScreen | None = None
        self.access = AccessKeys(
            self, settings.language, speaker or Speaker(settings.speech_program)
        )
        if hasattr(client, "language"):
            client.language = settings.language.value

    # -- lifecycle -----------------------------------------------------------

    def on_mount(self) -> None:
        """Show the first screen, start the watcher, the clock and the outbox."""
        self._mounted = True
        self._render(self.state)
        self._store_writer()
        self._watcher = self._watcher_factory(self._on_watcher_event)
        self._watcher.start()
        self.set_interval(self._tick_seconds, self._tick)
        self.set_interval(self._outbox_seconds, self._flush_outbox)
        self._refresh_service_facts()
        self.set_interval(service_facts.REFRESH_SECONDS, self._refresh_service_facts)

    async def on_unmount(self) -> None:
        """Stop the watcher and the card thread; close the client."""
        self._mounted = False
        self.access.speaker.stop()
        if self._watcher is not None:
            self._watcher.stop()
        self.card_thread.shutdown()
        if self.ra_card_thread is not None:
            self.ra_card_thread.shutdown()
        await self.client.aclose()

    # -- lock-down -----------------------------------------------------------

    async def action_quit(self) -> None:
        """No way out of a kiosk: the service manager restarts the app, never the holder."""

    def action_help_quit(self) -> None:
        """Ctrl+C does nothing here."""

    def action_command_palette(self) -> None:
        """No command palette on a kiosk."""

    def action_suspend_process(self) -> None:
        """No suspending to a shell on a kiosk."""

    async def on_event(self, event: events.Event) -> None:
        """Any key or click is activity: it restarts the inactivity countdown.

        While "Are you still there?" is on show, the key or click that answers
        it does nothing else.
        """
        if isinstance(event, events.Key | events.MouseDown):
            if self.demo is not None and self._demo_key(event):
                return
            warned = isinstance(self.state.overlay, s.InactivityWarning)
            self._dispatch(e.UserActivity(self.clock()))
            if isinstance(event, events.Key) and self.access.handle(event.key):
                # An access key (language, read aloud, contrast, text size): activity,
                # and nothing else; never typed into a field.
                event.stop()
                event.prevent_default()
                return
            if warned:
                # "Press any key to carry on": that key only takes the warning away.
                # Passed on, it landed in the field beneath (a letter in a masked
                # answer, or Enter sending the answers and spending an attempt).
                event.stop()
                event.prevent_default()
                return
        await super().on_event(event)

    # -- demo keys -------------------------------------------------------------

    def _demo_key(self, event: events.Event) -> bool:
        if not isinstance(event, events.Key) or self.demo is None:
            return False
        demo = self.demo
        # F9-F12 are the kiosk's own keys (language, read aloud, contrast, large text):
        # the demo's extra cards take Ctrl with the F-keys of their own-applet twins.
        actions: dict[str, Callable[[], None]] = {
            "f2": lambda: demo.insert("locked"),
            "f3": lambda: demo.insert("working"),
            "f4": lambda: demo.insert("unregistered"),
            "ctrl+f2": lambda: demo.insert("piv-locked"),
            "ctrl+f3": lambda: demo.insert("piv-working"),
            "ctrl+f4": lambda: demo.insert("piv-unregistered"),
            "f5": demo.remove,
            "ctrl+f5": demo.toggle_ra,
            "f6": lambda: self._show_mailbox(demo),
        }
        action = actions.get(event.key)
        if action is None:
            return False
        event.stop()
        event.prevent_default()
        action()
        return True

    def _show_mailbox(self, demo: DemoControls) -> None:
        # F6 opens the mailbox, and closes it again when it is on show.
        if self._overlay is not None:
            return  # the overlay on show needs an answer first
        if self._mailbox is not None:
            if self.screen is self._mailbox:
                self._mailbox.dismiss(None)
            return
        self._open_mailbox(demo)

    def _open_mailbox(self, demo: DemoControls) -> None:
        self._mailbox = DemoMailboxScreen(demo.mailbox(), banner=demo.banner)
        self.push_screen(self._mailbox, callback=self._mailbox_closed)

    def _mailbox_closed(self, _result: None) -> None:
        self._mailbox = None

    # -- the flow ---------------------------------------------------------------

    def _on_watcher_event(self, event: WatcherEvent) -> None:
        # Runs on the watcher thread: only hand the event on (post_message is thread-safe).
        self.post_message(WatcherReport(event))

    def _emit(self, event: e.Event) -> None:
        self.post_message(WorldEvent(event))

    def handle_intent(self, event: e.Event) -> None:
        """A holder's intent from a screen, taken at once (screens call this).

        Not through the message queue: keys typed after the key that made the
        intent are already queued, and must reach the screen the intent leads to.
        """
        self._dispatch(event)

    @on(Intent)
    def _on_intent(self, message: Intent) -> None:
        message.stop()
        self._dispatch(message.event)

    @on(WorldEvent)
    def _on_world(self, message: WorldEvent) -> None:
        self._dispatch(message.event)

    @on(WatcherReport)
    def _on_watcher_report(self, message: WatcherReport) -> None:
        ra_event = ra_reader_event(self.settings.ra_reader, message.report)
        if ra_event is IGNORED:
            return
        if ra_event is not None:
            self._dispatch(ra_event)
            return
        event = self.reader_filter.translate(message.report)
        if event is not None:
            self._dispatch(event)

    def _tick(self) -> None:
        self._dispatch(e.Tick(self.clock()))

    def _dispatch(self, event: e.Event) -> None:
        before = self.state
        state, commands = flow.step(before, event)
        self.state = state
        if not (
            isinstance(event, e.UserActivity)
            and state.screen is before.screen
            and state.overlay is before.overlay
        ):
            # A key press is activity before it is typing: drawing the whole screen
            # again for it, when nothing shown changed, tripled the time a key takes
            # to appear in a real terminal (bench/typing_terminal.py).
            self._render(state)
        for command in commands:
            if isinstance(command, ON_SCREEN):
                self._wipe(command.keep if isinstance(command, c.WipeInputs) else ())
            elif isinstance(command, IN_ORDER):
                # In order, one at a time: a checkpoint saved then cleared must end
                # up cleared, and audit events keep the order they happened in.
                self._store_queue.put_nowait(command)
            else:
                self._run(command)

    @work(group="store", exclusive=True, exit_on_error=False)
    async def _store_writer(self) -> None:
        while True:
            command = await self._store_queue.get()
            try:
                await self.effects.run(command)
            except Exception:
                log.exception("command %s failed", type(command).__name__)

    @work(group="effects", exit_on_error=False)
    async def _run(self, command: c.Command) -> None:
        try:
            await self.effects.run(command)
        except Exception:
            # Never a crash on a kiosk: report what failed, without its data.
            log.exception("command %s failed", type(command).__name__)
            call = command.call
            if call is not None:
                self._emit(e.ServiceUnreachable(failed=call))

    def _flush_outbox(self) -> None:
        # One delivery at a time, and never cancelled by the next tick: an
        # exclusive worker would cancel a slow delivery every period, for ever.
        if not self._flushing:
            self._flushing = True
            self._deliver_outbox()

    @work(group="outbox", exit_on_error=False)
    async def _deliver_outbox(self) -> None:
        try:
            await self.effects.flush_outbox()
        except Exception:
            log.exception("outbox delivery failed")
        finally:
            self._flushing = False

    @work(group="service-facts", exclusive=True, exit_on_error=False)
    async def _refresh_service_facts(self) -> None:
        # Each asked on its own: an answer that cannot be used for one never keeps the
        # other from the screens (service_facts.refresh answers None for it).
        contacts = await ra_contacts.refresh(self.client, self.store, self.clock)
        told = await policy.refresh(self.client, self.store, self.clock)
        changed = False
        if contacts is not None and contacts != self.ra_contacts:
            self.ra_contacts, changed = contacts, True
        if told is not None and told != self.policy:
            self.policy, changed = told, True
        if changed:
            self._render(self.state)

    # -- rendering ----------------------------------------------------------------

    def _screen_for(self, state: s.KioskState) -> KioskScreen:
        from screens import SCREENS, screen_key

        kind = screen_key(state.screen)
        if kind not in self._screens:
            screen = SCREENS[kind]()
            screen.settings = self.settings
            self._screens[kind] = screen
            self.install_screen(screen, name=f"kiosk-{kind.__name__}")
        return self._screens[kind]

    def redraw(self) -> None:
        """Draw what is on show again (the language changed)."""
        self._render(self.state)
        if self._mailbox is not None:
            self._mailbox.refresh()

    def _render(self, state: s.KioskState) -> None:
        if not self._mounted or not self.screen_stack:
            return  # not started yet, or shutting down (a late tick or reply)
        from screens import OVERLAYS

        card_gone = self._card_in and state.card is None
        self._card_in = state.card is not None
        if card_gone:
            self.access.card_gone()  # the next holder starts afresh

        target = self._screen_for(state)
        overlay_kind = None if state.overlay is None else OVERLAYS[type(state.overlay)]
        # The stack is [Textual's default screen, our screen, mailbox?, overlay?]:
        # the demo mailbox stays until Esc, whatever the flow does beneath it, and
        # an overlay (are you still there? stop?) is always in sight, on top.
        base = self.screen_stack[1] if len(self.screen_stack) > 1 else None
        overlay_right = type(self._overlay) is overlay_kind if self._overlay else not overlay_kind
        if base is not target or not overlay_right:
            self._close_overlay()  # an overlay belongs to the screen it was over
            if base is not target:
                lifted = self._lift_mailbox()
                self._switch_to(target)
                if lifted and self.demo is not None:
                    self._open_mailbox(self.demo)  # again, with any new mail
            if overlay_kind is not None:
                self._overlay = overlay_kind()
                self._overlay.settings = self.settings
                self.push_screen(self._overlay)
        target.show(state)
        if self._overlay is not None:
            self._overlay.show(state)
        if target.announcement_due:
            target.announcement_due = False
            self.announce()

    def announce(self) -> None:
        """Something time-critical came up (a time-out warning, a code about to expire):
        heard as well as shown (WCAG 2.2.1), with the terminal's bell, and read aloud
        to a holder who uses speech. Screens call it when they are drawn."""
        self.bell()
        self.access.announce()

    def _lift_mailbox(self) -> bool:
        """Take the demo mailbox off the top of the stack; whether it was there."""
        mailbox, self._mailbox = self._mailbox, None
        if mailbox is None or self.screen is not mailbox:
            return False
        self.pop_screen()  # pops without its callback
        return True

    def _switch_to(self, target: KioskScreen) -> None:
        if len(self.screen_stack) <= 1:
            self.push_screen(target)
        else:
            self.switch_screen(target)

    def _close_overlay(self) -> None:
        overlay, self._overlay = self._overlay, None
        if overlay is not None and overlay is self.screen:
            overlay.dismiss(None)

    def _wipe(self, keep: tuple[str, ...] = ()) -> None:
        for screen in self._screens.values():
            screen.wipe(frozenset(keep))


def make_app(
    *,
    settings: KioskSettings,
    card: CardAccess,
    client: ServiceClient,
    store: LocalStore,
    clock: Clock = utc_now,
    watcher_factory: Callable[[Callable[[WatcherEvent], None]], Any] | None = None,
    demo: DemoControls | None = None,
    ra_card: CardAccess | None = None,
    **options: Any,
) -> KioskApp:
    """Build the kiosk from its parts (tests pass loopback or fake parts the same way)."""
    return KioskApp(
        settings=settings,
        card=card,
        client=client,
        store=store,
        clock=clock,
        watcher_factory=watcher_factory,
        demo=demo,
        ra_card=ra_card,
        **options,
    )

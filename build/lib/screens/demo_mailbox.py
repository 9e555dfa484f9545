"""Demo only: the mails the local SMTP catcher received (the codes arrive here)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class DemoMailboxScreen(ModalScreen[None]):
    """The demo mailbox over the kiosk; Esc, Enter or F6 closes it."""

    BINDINGS = [Binding("escape,f6,enter", "close", "Close", show=False)]

    def __init__(self, text: str) -> None:
        super().__init__(id="demo-mailbox")
        self._text = text

    def compose(self) -> ComposeResult:
        """The mails as plain text (never markup: a mail may hold brackets)."""
        with VerticalScroll(id="demo-mailbox-body"):
            yield Static(
                Text.assemble(
                    ("Demo mailbox", "bold"),
                    " (Esc to close)\n\n",
                    self._text or "No mail yet.",
                ),
                id="demo-mailbox-text",
            )

    def action_close(self) -> None:
        """Close the mailbox."""
        self.dismiss(None)

"""Demo only: the mails the local SMTP catcher received (the codes arrive here)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class DemoMailboxScreen(ModalScreen[None]):
    """The demo mailbox over the kiosk, until Esc (or F6 again) closes it.

    Enter does not close it: Enter means "next" on every kiosk screen, and a
    mailbox that vanished on it is where a reader loses the code.
    """

    BINDINGS = [Binding("escape", "close", "Close", show=False)]

    def __init__(self, text: str, *, banner: str = "") -> None:
        """The mails as text, and the demo cards (with their answers) when given."""
        super().__init__()
        self._text = text
        self._banner = banner

    def compose(self) -> ComposeResult:
        """The mails as plain text (never markup: a mail may hold brackets)."""
        with VerticalScroll(id="demo-mailbox-body"):
            text = Text.assemble(
                ("Demo mailbox", "bold"),
                " (Esc to close, Up and Down to scroll)\n\n",
                self._text or "No mail yet.",
            )
            if self._banner:
                # The demo cards in full: on a small terminal the banner shows one line.
                text.append("\n\n" + "-" * 40 + "\n")
                text.append("The demo cards\n", "bold")
                text.append(self._banner)
            yield Static(text, id="demo-mailbox-text")

    def action_close(self) -> None:
        """Close the mailbox."""
        self.dismiss(None)

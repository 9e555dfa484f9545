"""The lines a screen says how its step went in, with the same ids and styles everywhere.

What went wrong (`#error`, or `#errors` for a list: `KioskScreen.problem_anchor`
scrolls to it) and then the flow's notice (`#notice`); both stay hidden until the
state says something.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static


def problem_lines(error_id: str = "error") -> ComposeResult:
    """What went wrong (`#error` or `#errors`), then the flow's notice (`#notice`)."""
    yield Static("", id=error_id, classes="error")
    yield Static("", id="notice", classes="notice")


def error_lines(errors: Sequence[str]) -> Text | None:
    """The flow's messages about the step, one a line, as plain text (None: there are none)."""
    return Text("\n".join(errors)) if errors else None

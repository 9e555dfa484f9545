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

from screens.language import tr


def problem_lines(error_id: str = "error") -> ComposeResult:
    """What went wrong (`#error` or `#errors`), then the flow's notice (`#notice`)."""
    yield Static("", id=error_id, classes="error")
    yield Static("", id="notice", classes="notice")


def error_lines(errors: Sequence[str]) -> Text | None:
    """The flow's messages about the step, one a line, in the current language, as plain
    text (None: there are none). Each is translated before the lines are joined: a joined
    string is no longer a phrase, and would stay in English."""
    return Text("\n".join(tr(error) for error in errors)) if errors else None

"""The words and small layouts several screens share: times, durations, lists, the
outage banner. Pure functions of what they are given; no screen state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from rich.console import Group
from rich.errors import MarkupError
from rich.table import Table
from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

from contract.contacts import RaContacts
from kiosk.flow.states import ServiceUnavailable
from screens.language import _, current, ngettext, tr
from screens.widgets import short_contact


def show_text(widget: Static, content: Text | str) -> None:
    """Show `content` in `widget`, unless it shows exactly that already.

    Screens are rendered again on every clock tick; a Static updated with the same
    text is still laid out and redrawn, and the whole screen went to the terminal
    once a second.

    A string (a phrase from the flow, or a plain one) is shown in the current
    language.
    """
    if isinstance(content, str):
        content = tr(content)
    if getattr(widget, "_kiosk_shown", None) == content:
        return
    widget._kiosk_shown = content  # type: ignore[attr-defined]
    widget.update(content)


def item_list(
    intro: Text | str | None,
    items: Sequence[tuple[Text | str, Text | str]],
    outro: Text | str | None = None,
) -> Group:
    """A list whose wrapped lines indent under the item's text, not under its marker.

    Args:
        intro: A line before the list (None: none).
        items: (marker, text) pairs: ("•", "Use 6 to 8 digits.") or a key and a choice.
        outro: A line after the list (None: none).

    Returns:
        A renderable for a Static (plain text throughout, never markup).
    """
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    for marker, text in items:
        grid.add_row(
            Text("  ") + (Text(marker) if isinstance(marker, str) else marker),
            Text(tr(text)) if isinstance(text, str) else text,
        )
    parts: list[Any] = []
    if intro:
        parts.append(Text(tr(intro)) if isinstance(intro, str) else intro)
    parts.append(grid)
    if outro:
        parts.append(Text(tr(outro)) if isinstance(outro, str) else outro)
    return Group(*parts)


def choice_list(
    intro: Text | str | None,
    choices: Sequence[tuple[str, Text | str]],
    outro: Text | str | None = None,
) -> Group:
    """An `item_list` of choices, each after the key that makes it, shown as a key.

    Args:
        intro: A line before the list (None: none).
        choices: (key, what it does) pairs: ("1", "Change your passcode").
        outro: A line after the list (None: none).

    Returns:
        A renderable for a Static.
    """
    return item_list(
        intro, [(Text(f" {key} ", "reverse bold"), text) for key, text in choices], outro
    )


def clock_time(when: dt.datetime) -> str:
    """A time as the holder reads a wall clock: 24-hour, in the kiosk's time zone."""
    return when.astimezone().strftime("%H:%M")


def new_passcode_works(name: str | None, at: dt.datetime | None, tail: str) -> Text:
    """ "Priya, your new passcode works from now on (changed at 14:05)" and then `tail`."""
    words: str
    if name and at is not None:
        words = _(
            "{name}, your new passcode works from now on (changed at {time})",
            name=name,
            time=clock_time(at),
        )
    elif name:
        words = _("{name}, your new passcode works from now on", name=name)
    elif at is not None:
        words = _("Your new passcode works from now on (changed at {time})", time=clock_time(at))
    else:
        words = _("Your new passcode works from now on")
    lead = Text(words)
    lead.append(tr(tail))
    return lead


def seconds_between(now: dt.datetime | None, then: dt.datetime) -> int | None:
    """Whole seconds from `now` to `then`, rounded up, never negative (None: no clock)."""
    if now is None:
        return None
    return max(0, -int((now - then).total_seconds() // 1))


def duration(seconds: int) -> str:
    """A short wait in words: "45 seconds", "1 minute 5 seconds", "12 minutes"."""
    minutes, secs = divmod(max(0, seconds), 60)
    parts = []
    if minutes:
        parts.append(ngettext("{count} minute", "{count} minutes", minutes))
    if secs or not minutes:
        parts.append(ngettext("{count} second", "{count} seconds", secs))
    return " ".join(parts)


def outage_text(outage: ServiceUnavailable, now: dt.datetime | None, contacts: RaContacts) -> Text:
    """What the outage banner says: what failed, that the kiosk tries again by itself,
    what the holder can do meanwhile, and that what they typed is kept (only when it is).

    No attempt count: it tells the holder nothing they can act on.
    """
    if outage.overloaded:
        text = Text.assemble(
            (_("The unlock service is busy just now"), "bold"),
            " " + _("while {doing}.", doing=tr(outage.doing)),
            " " + _("Nothing was counted against you. "),
        )
    elif outage.mail:
        text = Text.assemble(
            (_("We could not send your code just now"), "bold"),
            " " + _("while {doing}.", doing=tr(outage.doing)),
            " " + _("Nothing was counted against you. "),
        )
    else:
        text = Text.assemble(
            (_("The unlock service cannot be reached"), "bold"),
            " " + _("while {doing}.", doing=tr(outage.doing)) + " ",
        )
    wait = None if outage.retry_at is None else seconds_between(now, outage.retry_at)
    if wait is None or wait == 0:
        text.append(_("The kiosk is trying again now. "))
    else:
        text.append(_("The kiosk will try again by itself in {wait}. ", wait=duration(wait)))
    if outage.typed:
        text.append(_("What you typed is kept. "))
    text.append(_("You can wait here, or press Esc to stop and contact "))
    text.append(short_contact(contacts), "bold")
    text.append(".")
    return text


_MONTHS = (
    _("January"),
    _("February"),
    _("March"),
    _("April"),
    _("May"),
    _("June"),
    _("July"),
    _("August"),
    _("September"),
    _("October"),
    _("November"),
    _("December"),
)


def date_words(day: dt.date) -> str:
    """A date as the holder says it, in the current language: "3 March 2027"."""
    return f"{day.day} {tr(_MONTHS[day.month - 1])} {day.year}"


def terms_in_language(text: str) -> str:
    """The terms in the current language, paragraph by paragraph from the catalogue.

    A paragraph the catalogue does not hold (a deployment's own terms, not yet
    translated) stays as written.
    """
    return "\n\n".join(tr(paragraph) for paragraph in text.split("\n\n"))


def bold_value(words: str, value: str) -> Text:
    """`words` with the NUL placeholder replaced by `value` in bold (a name in a sentence).

    Translations put the name where their grammar wants it, so the sentence is
    made with a NUL where the name goes and the name is set in afterwards.
    """
    before, _nul, after = words.partition("\0")
    return Text.assemble(before, (value, "bold"), after)


def access_hints() -> list[tuple[str, str]]:
    """The access keys every screen shows (kiosk.access acts on them)."""
    return [
        ("F9", current().other.own_name),
        ("F10", _("Read aloud")),
        ("F11", _("High contrast")),
        ("F12", _("Large text")),
    ]


def on_show(widget: Widget) -> bool:
    """Whether `widget` and everything it sits in is displayed."""
    node: Any = widget
    while node is not None and isinstance(node, Widget):
        if not node.display:
            return False
        node = node.parent
    return True


def plain_words(content: Any) -> str:
    """The words of what a Static shows (str as markup, rich Text, a list of them)."""
    if isinstance(content, Text):
        return content.plain
    if isinstance(content, str):
        try:
            return Text.from_markup(tr(content)).plain
        except MarkupError:
            return str(tr(content))
    if isinstance(content, Group):
        return "\n".join(plain_words(part) for part in content.renderables)
    if isinstance(content, Table):
        rows = zip(*(column.cells for column in content.columns), strict=False)
        return "\n".join(" ".join(plain_words(cell) for cell in row) for row in rows)
    return ""

"""Widgets the kiosk screens share: the secret field, the RA contacts, the chrome.

`SecretInput` is the only kind of field a holder types a secret into (answers,
codes, passcodes). Textual's `Input` copies its real value to the clipboard on
ctrl+c even with `password=True`, and selection is what copy and cut work on,
so this subclass refuses both and keeps the selection collapsed to the cursor.
"""

from __future__ import annotations

import unicodedata

from rich.text import Text
from textual import events
from textual.widgets import Input, Static
from textual.widgets._input import Selection

from contract.codes import group_code
from contract.contacts import RaContacts
from screens.language import _, tr


def without_controls(text: str) -> str:
    """`text` less its control characters (C0, DEL, C1); a tab becomes a space.

    Args:
        text: Text pasted into a field.

    Returns:
        The same text with nothing a terminal would obey as a command.
    """
    return "".join(
        " " if ch == "\t" else ch for ch in text if ch == "\t" or unicodedata.category(ch) != "Cc"
    )


class TextInput(Input):
    """A visible field that never holds a control character.

    Keys never bring one (Textual inserts printable keys only), but a terminal
    paste does, and a visible field draws its value to the terminal as it is: a
    pasted escape sequence would clear the screen, retitle the window or make the
    terminal type a reply into the kiosk.
    """

    def replace(self, text: str, start: int, end: int) -> None:
        """Put `text`, less its control characters, between `start` and `end`."""
        super().replace(without_controls(text), start, end)


class SecretInput(Input):
    """A masked field whose value never leaves it except through `value`.

    Always `password=True`; copy, cut and paste from the app clipboard do nothing;
    nothing can be selected (so there is never a selection to copy, and focusing
    the field does not select what is in it).
    """

    # Mouse/text selection on this widget would be a way to lift its text.
    ALLOW_SELECT = False

    def __init__(
        self,
        *,
        placeholder: str = "",
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's own parameter name
        classes: str | None = None,
        max_length: int = 0,
    ) -> None:
        """Make an empty masked field.

        Args:
            placeholder: Shown while empty (never a secret).
            name: Textual name of the widget.
            id: Textual id of the widget.
            classes: CSS classes.
            max_length: Most characters the field takes (0: no limit).
        """
        super().__init__(
            placeholder=placeholder,
            password=True,
            select_on_focus=False,
            name=name,
            id=id,
            classes=classes,
            max_length=max_length,
        )

    #: Show the value as typed while the field has the cursor (the holder asked
    #: to see it: `reveal`). Leaving the field masks it again.
    revealed: bool = False

    def validate_password(self, password: bool) -> bool:
        """Keep the field masked whatever sets `password`."""
        return True

    def reveal(self, on: bool) -> None:
        """Show (or stop showing) the value as typed while this field has the cursor."""
        self.revealed = on
        self.refresh()

    @property
    def _value(self) -> Text:
        # Textual draws the field from this; everything else (copy, cut, word
        # moves) keeps treating the field as a password field.
        if self.revealed and self.has_focus:
            return Text(without_controls(self.value), no_wrap=True, overflow="ignore", end="")
        return Text("•" * len(self.value), no_wrap=True, overflow="ignore", end="")

    def _on_blur(self, event: events.Blur) -> None:
        self.refresh()  # masked again the moment the cursor leaves

    def validate_selection(self, selection: Selection) -> Selection:
        """Collapse any selection to the cursor: there is never text to copy."""
        return Selection.cursor(selection.end)

    def action_copy(self) -> None:
        """Copy nothing (the base class would copy the real value).

        The binding is consumed here rather than skipped, so ctrl+c never travels
        on to the screen's or the app's copy actions either.
        """

    def action_cut(self) -> None:
        """Cut nothing."""

    def action_paste(self) -> None:
        """Paste nothing from the app clipboard: a secret field takes typed keys only."""

    def action_select_all(self) -> None:
        """Select nothing."""

    def wipe(self) -> None:
        """Empty the field, mask it, and put the cursor back at the start."""
        self.value = ""
        self.cursor_position = 0
        self.revealed = False


class CodeInput(SecretInput):
    """The field for an emailed one-time code: shown as typed, in groups of four.

    A code is single use, bound to this journey and short-lived, so it is shown
    while it is typed (as GOV.UK and NHS services do), grouped like the email
    shows it, so it is easy to check. It is still a secret field: nothing can be
    copied, cut or selected, and once the cursor leaves it the code is masked.
    Spaces are the field's own: the flow drops them.
    """

    GROUP = 4
    revealed = True

    def reveal(self, on: bool) -> None:
        """A code is always shown while typed."""

    def wipe(self) -> None:
        """Empty the field."""
        super().wipe()
        self.revealed = True

    def set_digits(self, digits: int) -> None:
        """Take at most `digits` characters (and the spaces between their groups)."""
        self.max_length = digits + max(0, digits - 1) // self.GROUP

    def replace(self, text: str, start: int, end: int) -> None:
        """Edit, then regroup; deleting a group's space deletes the digit beside it."""
        value = self.value
        if not text and value[start:end] == " ":
            if self.cursor_position >= end:
                start = max(0, start - 1)  # backspace over the space
            else:
                end = min(len(value), end + 1)  # delete over the space
        edited = value[:start] + without_controls(text) + value[end:]
        cursor = start + len(without_controls(text))
        before = len("".join(edited[:cursor].split()))
        grouped = group_code(edited, self.GROUP)
        if self.max_length and len(grouped) > self.max_length:
            grouped = grouped[: self.max_length].rstrip()
        position = before + max(0, before - 1) // self.GROUP
        self.value = grouped
        self.cursor_position = min(position, len(grouped))


class RaContactsBox(Static):
    """The local RA team's contact details, from the kiosk settings."""

    def show_contacts(self, contacts: RaContacts) -> None:
        """Render `contacts` (missing details are left out, not shown empty).

        Args:
            contacts: The RA team's contacts from the settings.
        """
        self.update(contacts_text(contacts))


def contacts_text(contacts: RaContacts) -> Text:
    """The RA team's contacts as a few lines of plain text.

    Args:
        contacts: The RA team's contacts from the settings.

    Returns:
        Text with the team's name, phone, email and opening hours.
    """
    # Text built from parts, never markup: settings values are shown as they are.
    text = Text.assemble((_("Contact ") + tr(contacts.organisation), "bold"))
    if contacts.phone:
        text.append(_("\nPhone: "))
        text.append(contacts.phone, "bold")
    if contacts.email:
        text.append(_("\nEmail: "))
        text.append(contacts.email, "bold")
    if contacts.opening_hours:
        text.append(_("\nOpen: ") + contacts.opening_hours)
    if not (contacts.phone or contacts.email):
        text.append(_("\nAsk a member of staff how to reach them."))
    if contacts.example:
        text.append(_("\n(Example contact details: this kiosk is not set up yet.)"), "italic")
    return text


def short_contact(contacts: RaContacts) -> str:
    """One line saying how to reach the RA team, for the footer of every screen."""
    # Not contacts.how_to_reach(): its "or" is English.
    how = _(" or ").join(part for part in (contacts.phone, contacts.email) if part)
    team = tr(contacts.organisation)  # the neutral default has a translation
    line = f"{team}: {how}" if how else team
    # The shipped example is flagged wherever it shows, until a deployment sets its own.
    return line + _(" (example)") if contacts.example else line

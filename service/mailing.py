"""Mail that is never sent while the store is locked.

A code must be mailed before the answer says it was, and if it cannot be mailed
nothing may be counted (docs/api.md `mail_unavailable`). Sending inside the write
transaction gives both, but on SQLite it holds the one write lock for as long as
the relay takes: a silent relay then stops every request of every kiosk, and
past the busy timeout they fail. So a step that mails runs its body twice
(`run_mailing`):

1. the body runs in a transaction that is rolled back, and says which mail it
   wants (`Pass.send`); its random draws (the code, a new id) are recorded;
2. the mail goes out with no transaction open; if the relay fails, nothing was
   written;
3. the body runs again in a new transaction with the same draws, and is
   committed only if it asks for the very same mail. If another request changed
   the step in between, the body refuses as it would have (a Refusal), or asks
   for a different mail, and this request is answered `wrong_step`.

A body must be deterministic but for its draws: the clock is read outside it.

A step that sends a code on each of two channels may go on when one of them went
(`partial=True`): the second run is told which channels failed (`Pass.unsent`) and
keeps the code that arrived, owing the other (docs/api.md "Policies"). When every
message failed, nothing is written, as for any other step.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Connection

from service.domain.errors import MailNotSent, StepOutOfOrder
from service.secrecy import new_code, new_id

T = TypeVar("T")


@dataclass(frozen=True)
class Mail:
    """One templated mail or text: recipient, template name and values (a code among them)."""

    to: str
    template: str
    values: tuple[tuple[str, str], ...] = field(repr=False)
    channel: str = "email"
    """"email", or "sms" for a text message to a mobile number."""


class Pass:
    """One run of a mailing body: the random draws it makes and the mail it asks for.

    The first pass draws fresh values and records them; a replay (`Pass(replaying=
    first)`) hands out the first pass's draws in the same order.
    """

    def __init__(self, replaying: Pass | None = None, unsent: frozenset[str] = frozenset()) -> None:
        self._replay = list(replaying.draws) if replaying is not None else None
        self.draws: list[str] = []
        self.mails: tuple[Mail, ...] = ()
        self.unsent = unsent
        """Channels whose message failed (a partial step's second run; else empty)."""

    def _draw(self, fresh: str) -> str:
        value = self._replay.pop(0) if self._replay else fresh
        self.draws.append(value)
        return value

    def code(self) -> str:
        """A mailed code: 8 random digits (the first pass's, on a replay)."""
        return self._draw(new_code())

    def new_id(self) -> str:
        """A new flow id (the first pass's, on a replay)."""
        return self._draw(new_id())

    def send(self, to: str, template: str, **values: str) -> None:
        """Ask for this mail to be sent."""
        self.mails += (Mail(to, template, tuple(sorted(values.items()))),)

    def text(self, to: str, template: str, **values: str) -> None:
        """Ask for this text message to be sent to the mobile number `to`."""
        self.mails += (Mail(to, template, tuple(sorted(values.items())), "sms"),)


class _Planned(Exception):
    """The first run of a mailing body is over: roll it back and send its mail."""


class _Overtaken(Exception):
    """The second run of a mailing body asked for another mail: roll it back."""


def run_mailing(
    transaction: Callable[[], AbstractContextManager[Connection]],
    send: Callable[[Mail], None],
    body: Callable[[Connection, Pass], T],
    *,
    partial: bool = False,
) -> T:
    """Run a step that mails so that no transaction is open while it mails.

    `body` runs once and is rolled back, its mails are sent, and it runs again with
    the same draws; only that second run is committed, and only if it asks for
    the same mail. A body that asks for no mail (or refuses) is committed on its
    first run, as `transaction` would.

    Args:
        transaction: opens a transaction committed on success and on a refusal.
        send: sends one mail (raising MailNotSent).
        body: the step.
        partial: the step's messages go on different channels and it may keep
            those that went when another failed (its second run reads `Pass.unsent`).

    Returns:
        What the committed run of body returned.

    Raises:
        MailNotSent: the mail could not be sent; nothing was written.
        Refusal: the body's refusal, on either run; StepOutOfOrder when another
            request changed the step while the mail went out.
    """
    first = Pass()
    try:
        with transaction() as conn:
            result = body(conn, first)
            if first.mails:
                raise _Planned
    except _Planned:
        pass
    else:
        return result
    # Each message of the step in turn (a code by email and one by text, a notice on
    # every channel); if one fails nothing is written and a retry sends them all again,
    # unless the step is partial and another went: then the one that went is kept.
    failed: list[Mail] = []
    for mail in first.mails:
        try:
            send(mail)
        except MailNotSent:
            if not partial:
                raise
            failed.append(mail)
    if failed and len(failed) == len(first.mails):
        raise MailNotSent(failed[0].template)
    second = Pass(replaying=first, unsent=frozenset(mail.channel for mail in failed))
    try:
        with transaction() as conn:
            result = body(conn, second)
            if second.mails != first.mails:
                raise _Overtaken
    except _Overtaken:
        raise StepOutOfOrder() from None
    return result

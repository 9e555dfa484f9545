"""Notices a holder is owed, sent whatever a kiosk does.

A notice is written in the transaction of the event it tells of (self-service
paused, contact address changed, an unlock attempted but never reported), so it
exists exactly when the event does. It is then sent with no transaction open by
the sweep (`deliver_due`), which every instance runs when it starts, as soon as
a transaction that owed a notice commits, and every SWEEP seconds
(`service/housekeeping.py`). A notice that cannot be mailed stays owed
and is tried again with a growing pause; one being sent is claimed, so several
instances never send it twice (a sender killed mid-send leaves its claim, taken
over after CLAIM_HOLD: at least once, never lost).

Fields are names, times and masked addresses: never a secret. The language of the
request that owed the notice is kept with them, so a notice sent later by the sweep
is written in the holder's language like the mails sent during the request.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import Connection

from contract.language import Language
from service.domain.audit import record
from service.domain.errors import MailNotSent
from service.domain.parts import OWES_NOTICE, Parts
from service.mail_language import LANGUAGE, mail_language
from service.mailing import Mail
from service.queries import notices
from service.secrecy import new_id

log = logging.getLogger(__name__)

SMS_PREFIX = "sms:"
"""How a notice by text keeps its mobile number in `to_address`."""

SWEEP = 30.0
"""Seconds between two sweeps of one instance."""
CLAIM_HOLD = 120.0
"""A notice claimed longer ago than this is taken as abandoned by its sender."""
RETRY_MAX = 600.0
"""The longest pause between two tries of a notice that could not be mailed."""
BATCH = 50
"""Notices taken per look (a sweep looks again until none is due)."""
LANGUAGE_FIELD = "_language"
"""Where a notice's fields keep the language it is to be written in (not a template field)."""


def owe(
    parts: Parts,
    conn: Connection,
    *,
    uuid: str,
    to: str,
    template: str,
    due_at: float,
    about: str | None = None,
    channel: str = "email",
    **fields: str,
) -> str:
    """Record a notice owed to the holder, in the caller's transaction; its id.

    A notice by text (channel "sms") is kept with its number as `sms:<mobile>`.

    Once that transaction commits, the instance's housekeeping thread is woken to
    send it (`Parts.transaction`), so the request itself never waits for the mail.
    """
    notice_id = new_id()
    conn.info[OWES_NOTICE] = True
    notices.add(
        conn,
        id=notice_id,
        uuid=uuid,
        to_address=f"{SMS_PREFIX}{to}" if channel == "sms" else to,
        template=template,
        fields=json.dumps({**fields, LANGUAGE_FIELD: mail_language().value}, sort_keys=True),
        due_at=due_at,
        created_at=parts.now(),
        about=about,
        attempts=0,
    )
    return notice_id


def cancel(conn: Connection, about: str) -> None:
    """Drop the unsent notices about this (the event they would tell of was told another way)."""
    notices.cancel(conn, about)


def deliver_due(parts: Parts) -> int:
    """Send every notice that is due; how many went. Never raises for a mail failure."""
    sent = 0
    for _ in range(100):  # bounded: at most 100 batches a call
        now = parts.now()
        with parts.transaction() as conn:
            due = notices.due(conn, now, now - CLAIM_HOLD, BATCH)
        if not due:
            break
        progressed = False
        for row in due:
            outcome = _deliver_one(parts, row.id)
            sent += outcome == "sent"
            progressed = progressed or outcome != "taken"
        if not progressed:
            break
    return sent


def _deliver_one(parts: Parts, notice_id: str) -> str:
    """Send one notice if nobody else is: "sent", "failed" or "taken"."""
    claim = new_id()
    now = parts.now()
    with parts.transaction() as conn:
        row = notices.get(conn, notice_id)
        if row is None or row.due_at > now:
            return "taken"
        if not notices.claim(conn, notice_id, claim, now, now - CLAIM_HOLD):
            return "taken"
        row = notices.get(conn, notice_id)
    assert row is not None  # claimed just now, and notices are deleted only once sent
    fields = json.loads(row.fields)
    language = LANGUAGE.set(Language(fields.pop(LANGUAGE_FIELD, Language.ENGLISH.value)))
    try:
        to, texted = row.to_address, row.to_address.startswith(SMS_PREFIX)
        values = tuple(sorted(fields.items()))
        if texted:
            parts.send(Mail(to.removeprefix(SMS_PREFIX), row.template, values, "sms"))
        else:
            parts.send(Mail(to, row.template, values))
    except MailNotSent:
        attempts = row.attempts + 1
        pause = min(RETRY_MAX, 15.0 * 2 ** min(attempts, 10))
        log.warning("notice %s not sent (try %d); trying again later", row.template, attempts)
        with parts.transaction() as conn:
            notices.retry_later(conn, notice_id, claim, parts.now() + pause, attempts)
        return "failed"
    finally:
        LANGUAGE.reset(language)
    with parts.transaction() as conn:
        notices.sent(conn, notice_id, claim, parts.now())
        record(parts, conn, "notice_sent", "ok", uuid=row.uuid, notice=row.template)
    return "sent"

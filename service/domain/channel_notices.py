"""Notices to the holder on every channel on record (issue 18 item 4).

After an unlock, an unlock attempt never reported, or a change of contact details,
the holder is told by email and, where texts can go, by text, each saying how to
report "it was not me" (the RA contacts every message carries).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row

from service.domain import policy
from service.domain.notices import owe
from service.domain.parts import Parts
from service.mailing import Pass


def tell_every_channel(
    parts: Parts, out: Pass, holder: Row[Any], template: str, **values: str
) -> None:
    """Ask for the notice `template` on each of the holder's channels."""
    for channel in policy.channels_on_record(parts.settings, holder):
        to = policy.address(holder, channel)
        if channel == "sms":
            out.text(to, template, name=holder.name, **values)
        else:
            out.send(to, template, name=holder.name, **values)


def owe_every_channel(
    parts: Parts,
    conn: Connection,
    holder: Row[Any],
    template: str,
    due_at: float,
    about: str | None = None,
    **fields: str,
) -> None:
    """Owe the notice `template` on each of the holder's channels (service/domain/notices.py).

    A text is owed only where this kind of notice can go by text (its Notify text
    template is set, or texts go through an SMTP gateway).
    """
    for channel in policy.channels_on_record(parts.settings, holder):
        if channel == "sms" and not _text_template_set(parts, template):
            continue
        owe(
            parts,
            conn,
            uuid=holder.uuid,
            to=policy.address(holder, channel),
            template=template,
            due_at=due_at,
            about=about,
            channel=channel,
            **fields,
        )


def _text_template_set(parts: Parts, template: str) -> bool:
    settings = parts.settings
    if settings.mail_channel != "notify":
        return True
    field = f"{template.replace('-', '_')}_sms"
    return bool(getattr(settings.notify, field, None))

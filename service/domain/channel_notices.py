"""Notices to the holder on every channel on record (issue 18 item 4).

After an unlock the holder is told by email and, where texts can go, by text, each
saying how to report "it was not me" (the RA contacts every message carries).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from service.domain import policy
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

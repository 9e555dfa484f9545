"""The deployment's unlock policy (settings `policy`; docs/api.md "Policies").

- `questions`: registration, 3 of the holder's 4 questions, a code by email.
- `national-2023`: no questions and no registration; a code by email or text to the
  details in the holder directory, the holder chooses when both are on record.
- `two-channel`: a code by email and one by text, both needed (NIST SP 800-63B-4
  recovery at AAL2), after the questions when `two_channel_questions`.

A texted code lives `sms_code_minutes` (at most 10); an emailed one 15.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Row

from contract.contacts import mask_email, mask_mobile
from contract.wire import Channel, ChannelOption
from service.domain.codes import CODE_TTL
from service.settings import ServiceSettings


def asks_questions(settings: ServiceSettings) -> bool:
    """Whether an unlock asks the registered questions before any code."""
    return settings.policy == "questions" or (
        settings.policy == "two-channel" and settings.two_channel_questions
    )


def channels_on_record(settings: ServiceSettings, holder: Row[Any]) -> list[Channel]:
    """The channels this holder can be reached on: email, and text where texts can go."""
    found: list[Channel] = []
    if holder.email:
        found.append("email")
    if holder.mobile and settings.texts_possible:
        found.append("sms")
    return found


def code_ttl(settings: ServiceSettings, channel: Channel) -> float:
    """Seconds a code sent on this channel lives."""
    return settings.sms_code_minutes * 60.0 if channel == "sms" else CODE_TTL


def address(holder: Row[Any], channel: Channel) -> str:
    """Where a message on this channel goes: the holder's email or mobile."""
    return str(holder.mobile if channel == "sms" else holder.email)


def masked(holder: Row[Any], channel: Channel) -> str:
    """The address shown to the kiosk, masked."""
    if channel == "sms":
        return mask_mobile(holder.mobile)
    return mask_email(holder.email)


def options(holder: Row[Any], channels: list[Channel]) -> list[ChannelOption]:
    """The channels offered to the holder, each with its masked address."""
    return [ChannelOption(channel=c, to=masked(holder, c)) for c in channels]


def stored(row: Row[Any]) -> list[Channel]:
    """The channels an unlock's codes go to (email for unlocks begun before policies)."""
    raw = row.channels
    return list(json.loads(raw)) if raw else ["email"]

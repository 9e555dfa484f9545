"""The kiosk's journeys as a pure state machine (docs/design.md section 2).

`step(state, event) -> (state, commands)`: events in (card, reader, service
replies, the holder's intents, the clock), the new state and commands out. No
I/O, no clock, no Textual, no pyscard, no httpx, so every path is a unit test.

Modules: `facts` (card facts, questions, checkpoint, config), `events`,
`commands`, `states` (one dataclass per screen, and `KioskState`); the handlers,
each journey in its own module with its table of handlers by screen state:
`session` (card, reader, clock, help, cancel, card status), `unlock`,
`registration` and `registration_questions`, `change_passcode`; what they share:
`common` (audit, time, endings), `code_entry` (the code step, for either
journey), `card_passcode` (the card's passcode typed), `service_trouble` (an
unreachable or refusing service, for every screen); and `machine`, which
dispatches over the merged tables. Nothing imports another module's private name.
"""

from __future__ import annotations

from kiosk.flow.facts import (
    CardFacts,
    Checkpoint,
    FlowConfig,
    Journey,
    PinState,
    Question,
    Step,
)
from kiosk.flow.machine import card_status, resume, step
from kiosk.flow.states import KioskState

__all__ = [
    "CardFacts",
    "Checkpoint",
    "FlowConfig",
    "Journey",
    "KioskState",
    "PinState",
    "Question",
    "Step",
    "card_status",
    "resume",
    "step",
]

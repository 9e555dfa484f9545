"""The kiosk's journeys as a pure state machine (docs/design.md section 2).

`step(state, event) -> (state, commands)`: events in (card, reader, service
replies, the holder's intents, the clock), the new state and commands out. No
I/O, no clock, no Textual, no pyscard, no httpx, so every path is a unit test.

Modules: `facts` (card facts, questions, checkpoint, config), `events`,
`commands`, `states` (one dataclass per screen, and `KioskState`), `machine`.
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

"""Carry out the flow's commands: the card, the service and the local store.

No Textual here. Modules: `parts` (what effects act on), `card`, `service`,
`unblock` (card and service together), `store`, `outbox` (delivery), `refusals`
(the one table from problem codes to flow events) and `table` (command type ->
effect, and the `Effects` runner the app holds).
"""

from __future__ import annotations

from kiosk.effects.table import EFFECTS, IN_ORDER, ON_SCREEN, Effects

__all__ = ["EFFECTS", "IN_ORDER", "ON_SCREEN", "Effects"]

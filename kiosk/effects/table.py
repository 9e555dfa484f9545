"""Which effect carries out which command, and the runner the app calls.

`EFFECTS` is the explicit table from command type to effect (a test fails when a
command in `kiosk.flow.commands` has no effect and is not carried out by the app
itself). `IN_ORDER` are the store's commands, which the app runs one at a time in
the order the flow gave them.
"""

from __future__ import annotations

import logging

from kiosk.effects import card, outbox, ra, service, store, unblock
from kiosk.effects.parts import Effect, EffectParts
from kiosk.flow import commands as c

log = logging.getLogger(__name__)

EFFECTS: dict[type[c.Command], Effect] = {
    **card.EFFECTS,
    **service.EFFECTS,
    **unblock.EFFECTS,
    **ra.EFFECTS,
    **store.EFFECTS,
}
"""Command type -> the effect that carries it out."""

IN_ORDER: tuple[type[c.Command], ...] = tuple(store.EFFECTS)
"""Commands run one at a time, in order: a checkpoint saved then cleared must end up
cleared, and audit events keep the order they happened in."""

ON_SCREEN: tuple[type[c.Command], ...] = (c.WipeInputs,)
"""Commands the app carries out on its screens, not here."""


class Effects(EffectParts):
    """Runs commands against the card thread, the service client and the store.

    Textual-free: the app calls `run` from its workers and `flush_outbox` on a
    timer; every outcome comes back as a flow event through `emit`. Secrets
    (answers, codes, the new passcode) pass through on their way to the service
    or the card and are never logged, stored or put into an event.
    """

    async def run(self, command: c.Command) -> None:
        """Carry out one command; every outcome is emitted as a flow event."""
        effect = EFFECTS.get(type(command))
        if effect is None:
            log.debug("no effect for %s", type(command).__name__)
            return
        await effect(self, command)

    async def flush_outbox(self) -> int:
        """Send what is due, oldest first; stop at the first failure. Returns items sent."""
        return await outbox.flush_outbox(self)

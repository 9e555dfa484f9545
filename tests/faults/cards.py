"""The fault rows' cards, of either profile (issue 16): which demo card a row uses,
and what that card must hold once the fault is over.

A row parametrised over `PROFILES` runs once with the own-applet demo card and once
with the PIV one in the same state ("locked" / "piv-locked" ...). After a fault the
card must be as the row says (its passcode, its tries) and, on PIV, it must still
have every PUK try and hold a PUK the service's escrow knows, so the next unblock
can be done.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

import pytest

from card import piv
from card.applet import CardPersonalisation
from card.keys import load_dev_keys
from card.piv_applet import MAX_PUK_TRIES, PivPersonalisation
from demo.world import DemoWorld
from service.domain import puk_escrow
from tests.app.conftest import holder

PROFILES = ["own", "piv"]
"""The card profiles a fault row runs on (the test id says which)."""

MAX_TRIES = 3


def on_both_profiles(own: list[tuple[str, ...]], piv: list[tuple[str, ...]]) -> list[object]:
    """Parameter sets (profile, *values) for a row: every cell of `own` on the
    own-applet card, the cells of `piv` on the PIV card; ids like "piv-code"."""
    return [
        pytest.param(profile, *cell, id="-".join((profile, *cell)))
        for profile, cells in (("own", own), ("piv", piv))
        for cell in cells
    ]


def card_key(profile: str, state: str) -> str:
    """The demo card of `profile` in `state` ("locked", "working", "unregistered")."""
    return state if profile == "own" else f"piv-{state}"


def card_and_holder(world: DemoWorld, profile: str, state: str) -> tuple[str, dict[str, Any]]:
    """The demo card of `profile` in `state`, and its holder's public test data."""
    key = card_key(profile, state)
    return key, holder(world, key)


def escrowed_puk_count(world: DemoWorld, card: PivPersonalisation) -> tuple[int, bool]:
    """How many of the escrow's PUKs for `card` the card holds (0 or 1), and whether
    a rotation is pending there. The PUKs are opened in memory only."""
    guid = card.guid.hex()
    path = world.workdir / "service.db"
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as conn:
        row = conn.execute("SELECT puk, pending FROM puk_escrow WHERE guid = ?", (guid,)).fetchone()
    assert row is not None, "the service holds no PUK for this card"
    masters = load_dev_keys()
    sealed = [value for value in row if value is not None]
    held = sum(
        card.puk.matches(piv.encode_reference(puk_escrow.unseal(masters, guid, s).reveal()))
        for s in sealed
    )
    return held, row[1] is not None


def assert_card_holds(
    world: DemoWorld, key: str, pin: str, *, blocked: bool, rotation_pending: bool = False
) -> None:
    """The demo card `key` holds `pin`, with no try left when `blocked`, else all of
    them; a PIV card also has every PUK try and a PUK the service knows (and no PUK
    rotation under way unless `rotation_pending`)."""
    assert world.cards is not None
    card = world.cards.personalisation(key)
    tries = 0 if blocked else MAX_TRIES
    if isinstance(card, CardPersonalisation):
        assert card.pin == pin and card.tries_left == tries, "card half-written"
        return
    assert isinstance(card, PivPersonalisation)
    assert card.pin.matches(piv.encode_reference(pin)), "the PIV PIN changed"
    assert card.pin_tries_left == tries, f"PIN tries {card.pin_tries_left}, expected {tries}"
    assert card.puk_tries_left == MAX_PUK_TRIES, f"PUK tries {card.puk_tries_left} spent"
    held, pending = escrowed_puk_count(world, card)
    assert held == 1, "the card's PUK is not one the service holds"
    assert pending is rotation_pending, f"PUK rotation pending: {pending}"

"""Helpers for the RA desk's service tests: an RA-desk client, the cards' proofs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from card.keys import MasterKeys
from contract.ra_wire import HolderStateOut, RaSessionOut
from kiosk.ra_client import RaClient
from kiosk.service_client import (
    SelfServiceLockedError,
    ServiceClient,
    UnlockStarted,
    WrongAnswers,
)
from tests.service.conftest import RunningService, card_mac


@asynccontextmanager
async def ra_desk(live: RunningService, kiosk: str = "ra-desk") -> AsyncIterator[RaClient]:
    """A client for the RA endpoints as this kiosk (no retries: each call is one exchange)."""
    client = RaClient(live.url, live.tokens[kiosk], timeout=5.0, retries=0)
    try:
        yield client
    finally:
        await client.aclose()


async def sign_in(desk: RaClient, masters: MasterKeys, card: dict[str, Any]) -> RaSessionOut:
    """Sign in with this card: its holder key (the card checked the passcode first)."""
    nonce = await desk.new_nonce()
    mac = card_mac(masters, card["serial"], nonce, "holder_auth")
    return await desk.sign_in(card["serial"], card["uuid"], nonce, mac)


async def holder_card(
    desk: RaClient, masters: MasterKeys, session: RaSessionOut, card: dict[str, Any]
) -> HolderStateOut:
    """The holder's card put in: proved with its card key (a blocked card still has it)."""
    nonce = await desk.new_nonce()
    mac = card_mac(masters, card["serial"], nonce)
    return await desk.holder_card(session.session_id, card["serial"], card["uuid"], nonce, mac)


@asynccontextmanager
async def ra_desk_with_card(
    live: RunningService, masters: MasterKeys, card: dict[str, Any]
) -> AsyncIterator[tuple[RaClient, RaSessionOut]]:
    """At the RA desk, the demo RA signed in and `card` put in: (desk, session)."""
    async with ra_desk(live) as desk:
        session = await sign_in(desk, masters, live.holder("ra"))
        await holder_card(desk, masters, session, card)
        yield desk, session


async def assisted_unlock(
    desk: RaClient, masters: MasterKeys, session: RaSessionOut, card: dict[str, Any]
) -> str:
    """Start an assisted unlock for this card; its id."""
    nonce = await desk.new_nonce()
    mac = card_mac(masters, card["serial"], nonce)
    started = await desk.start_assisted_unlock(
        session.session_id, card["serial"], card["uuid"], nonce, mac
    )
    return started.assisted_unlock_id


async def lock_self_service(
    client: ServiceClient, masters: MasterKeys, holder: dict[str, Any]
) -> None:
    """Three wrong answer sets at a ward kiosk: the holder's self-service is locked."""
    nonce = await client.new_nonce()
    mac = card_mac(masters, holder["serial"], nonce.nonce)
    started: UnlockStarted = await client.start_unlock(
        holder["serial"], holder["uuid"], nonce.nonce, mac
    )
    wrong = {q.id: "not the answer" for q in started.questions}
    for _ in range(2):
        try:
            await client.send_unlock_answers(started.unlock_id, wrong)
        except WrongAnswers:
            pass
    try:
        await client.send_unlock_answers(started.unlock_id, wrong)
    except SelfServiceLockedError:
        return
    raise AssertionError("the third wrong set did not lock self-service")

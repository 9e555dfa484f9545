"""What a kiosk does for a holder, one step at a time, through the kiosk's own client.

The card's proofs are computed from the test's master keys (`card_mac`), so these
steps need no card; the service is the real one on loopback.
"""

from __future__ import annotations

from typing import Any

import httpx

from card.keys import MasterKeys
from kiosk.service_client import RegistrationStarted, ServiceClient, UnlockStarted
from tests.service.conftest import card_mac

TERMS = "2026-11"
"""The terms version a holder accepts when registering."""


async def start_unlock(
    client: ServiceClient, masters: MasterKeys, holder: dict[str, Any]
) -> UnlockStarted:
    """Ask for a nonce, prove the card over it and start an unlock."""
    nonce = await client.new_nonce()
    mac = card_mac(masters, holder["serial"], nonce.nonce)
    return await client.start_unlock(holder["serial"], holder["uuid"], nonce.nonce, mac)


def right_answers(holder: dict[str, Any], started: UnlockStarted) -> dict[str, str]:
    """The holder's own answers to the questions this unlock asks."""
    return {q.id: holder["answers"][q.id] for q in started.questions}


def wrong_answers(started: UnlockStarted) -> dict[str, str]:
    """A wrong answer to every question this unlock asks."""
    return {q.id: "not the answer" for q in started.questions}


async def to_code_step(
    client: ServiceClient, masters: MasterKeys, holder: dict[str, Any]
) -> UnlockStarted:
    """Start an unlock and answer it rightly, so that a code is mailed."""
    started = await start_unlock(client, masters, holder)
    await client.send_unlock_answers(started.unlock_id, right_answers(holder, started))
    return started


async def start_registration(
    client: ServiceClient,
    masters: MasterKeys,
    holder: dict[str, Any],
    *,
    email: str | None = None,
    mobile: str | None = None,
    terms: str = TERMS,
    key: str = "holder_auth",
) -> RegistrationStarted:
    """Prove the card with the holder key (its passcode was verified) and start a
    registration, to the holder's own address and mobile unless told otherwise."""
    nonce = await client.new_nonce()
    mac = card_mac(masters, holder["serial"], nonce.nonce, key=key)
    return await client.start_registration(
        holder["serial"],
        holder["uuid"],
        nonce.nonce,
        mac,
        holder["email"] if email is None else email,
        holder["mobile"] if mobile is None else mobile,
        terms,
    )


# -- the same over plain HTTP, for tests of what is on the wire ---------------------------


def bearer(token: str, key: str | None = None) -> dict[str, str]:
    """A kiosk's request headers: its token, and an Idempotency-Key when one is given."""
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def proof_body(holder: dict[str, Any], nonce: str, mac: str) -> dict[str, str]:
    """What a request proving the holder's card sends: the card's serial and uuid, the
    service's nonce and the card's MAC over it (both hex)."""
    return {"serial": holder["serial"], "uuid": holder["uuid"], "nonce": nonce, "mac": mac}


def post_unlock(
    url: str, token: str, masters: MasterKeys, holder: dict[str, Any]
) -> httpx.Response:
    """Ask the service at url for a nonce, prove the card over it and start an unlock, as
    the kiosk with `token`; the service's answer as it came."""
    nonce = httpx.post(f"{url}/v1/nonces", headers=bearer(token)).json()["nonce"]
    mac = card_mac(masters, holder["serial"], bytes.fromhex(nonce)).hex()
    return httpx.post(
        f"{url}/v1/unlocks", json=proof_body(holder, nonce, mac), headers=bearer(token)
    )


def unlock_over_http(
    url: str, token: str, masters: MasterKeys, holder: dict[str, Any]
) -> dict[str, Any]:
    """`post_unlock`, which must succeed: the started unlock's JSON."""
    started = post_unlock(url, token, masters, holder)
    assert started.status_code == 201, started.text
    return dict(started.json())

"""Nobody without the card can spend a holder's throttle (issue 13 item 4).

Over real HTTP on loopback: a kiosk that names a holder with bad card proofs gets
403s and then its own 429s, while the real card at another kiosk still proves.
"""

from __future__ import annotations

import secrets

import httpx

from card.keys import MasterKeys
from tests.service.conftest import MovableClock, RunningService, card_mac


def post_unlock(
    live: RunningService, kiosk: str, serial: str, uuid: str, mac: bytes | None, masters: MasterKeys
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {live.tokens[kiosk]}"}
    nonce = httpx.post(f"{live.url}/v1/nonces", headers=headers).json()["nonce"]
    mac = mac or card_mac(masters, serial, bytes.fromhex(nonce))
    body = {"serial": serial, "uuid": uuid, "nonce": nonce, "mac": mac.hex()}
    return httpx.post(f"{live.url}/v1/unlocks", json=body, headers=headers)


def start_of_minute(clock: MovableClock) -> None:
    # Counts are per clock minute: start just after one turns so none straddles two.
    clock.advance(60 - clock().timestamp() % 60 + 0.5)


def test_thirty_bad_proofs_naming_a_holder_leave_the_real_card_working(
    live_service: RunningService, masters: MasterKeys, clock: MovableClock
) -> None:
    holder = live_service.holder("locked")
    start_of_minute(clock)
    limit = live_service.service.settings.throttle.per_holder
    for _ in range(limit):
        bad = post_unlock(
            live_service, "ward-7", holder["serial"], holder["uuid"], b"\x00" * 16, masters
        )
        assert bad.status_code == 403, bad.text
    real = post_unlock(live_service, "ra-desk", holder["serial"], holder["uuid"], None, masters)
    assert real.status_code == 201, real.text


def test_bad_proofs_are_bounded_per_kiosk(
    live_service: RunningService, masters: MasterKeys, clock: MovableClock
) -> None:
    start_of_minute(clock)
    bound = live_service.service.settings.throttle.bad_proofs_per_kiosk
    for _ in range(bound):
        # A different made-up holder each time: no card or holder bucket is involved.
        uuid, serial = f"{secrets.randbelow(10**12):012d}", secrets.token_hex(8)
        answer = post_unlock(live_service, "ward-7", serial, uuid, b"\x00" * 16, masters)
        assert answer.status_code == 403, answer.text
    over = post_unlock(live_service, "ward-7", secrets.token_hex(8), "123456789012", None, masters)
    assert over.status_code == 429
    assert over.json()["code"] == "too_many_requests"
    assert 0 < int(over.headers["Retry-After"]) <= 60
    # Another kiosk is not held back, and the bound lifts with the minute.
    holder = live_service.holder("locked")
    other = post_unlock(live_service, "ra-desk", holder["serial"], holder["uuid"], None, masters)
    assert other.status_code == 201, other.text
    clock.advance(60)
    again = post_unlock(live_service, "ward-7", holder["serial"], holder["uuid"], None, masters)
    assert again.status_code == 201, again.text

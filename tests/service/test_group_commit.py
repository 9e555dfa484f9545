"""The cheap requests' writes are committed many to a transaction (issue 14).

Every authenticated request looks its token up and counts itself against its kiosk's
throttle, and every nonce is a row. Those writes, from requests waiting at the same
moment, share one transaction (service/group_commit.py), on SQLite and PostgreSQL,
without weakening a rule: each request still gets its own exact count and its own
answer, and a rule's durable write cannot join.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import event

from card.keys import MasterKeys
from service.domain.errors import UnknownKiosk
from service.group_commit import DurableWriteRefused
from service.selfservice import SelfService
from service.settings import ServiceSettings, Throttle
from tests.service.conftest import MovableClock, RunningService, start_service

BURST = 48


def commits_of(service: SelfService) -> list[int]:
    """A list that grows by one at each commit on the service's store."""
    commits: list[int] = []
    event.listen(service.engine, "commit", lambda _conn: commits.append(1))
    return commits


async def burst(url: str, asks: list[tuple[str, str, str]]) -> list[int]:
    """Send every (method, path, token) at once; their statuses in the same order."""
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as http:
        answers = await asyncio.gather(
            *(
                http.request(method, path, headers={"Authorization": f"Bearer {token}"})
                for method, path, token in asks
            )
        )
    return [a.status_code for a in answers]


async def test_requests_arriving_together_share_transactions(
    live_service: RunningService,
) -> None:
    token = live_service.tokens["ward-7"]
    # Warm the connections, so the burst is not spread out by their opening.
    await burst(live_service.url, [("GET", "/v1/questions", token)] * 4)
    commits = commits_of(live_service.service)
    asks = [("GET", "/v1/questions", token), ("POST", "/v1/nonces", token)] * (BURST // 2)
    statuses = await burst(live_service.url, asks)
    assert statuses == [200, 201] * (BURST // 2)
    # One transaction per request (and per nonce) before: 2 x BURST commits.
    assert len(commits) < BURST


@pytest.fixture
def throttled(
    settings: ServiceSettings, masters: MasterKeys, clock: MovableClock
) -> Iterator[RunningService]:
    """The service with 5 requests per kiosk and minute, early in a fresh minute."""
    now = clock()
    # At second 1 of the next minute: the test's counts all fall in one minute.
    clock.advance(61 - now.second - now.microsecond / 1e6)
    tight = settings.model_copy(update={"throttle": Throttle(per_kiosk=5)})
    with start_service(tight, masters, clock) as running:
        yield running


async def test_each_request_is_counted_exactly_even_in_a_shared_transaction(
    throttled: RunningService,
) -> None:
    ward, desk = throttled.tokens["ward-7"], throttled.tokens["ra-desk"]
    asks = [("GET", "/v1/questions", ward)] * 9 + [("POST", "/v1/nonces", desk)] * 3
    asks += [("GET", "/v1/questions", "not-a-token")] * 2
    statuses = await burst(throttled.url, asks)
    assert Counter(statuses[:9]) == {200: 5, 429: 4}  # ward-7: 5 a minute, exactly
    assert statuses[9:12] == [201, 201, 201]  # ra-desk's own count is untouched
    assert statuses[12:] == [401, 401]
    # The counts were committed: ra-desk has 2 left this minute.
    statuses = await burst(throttled.url, [("POST", "/v1/nonces", desk)] * 3)
    assert Counter(statuses) == {201: 2, 429: 1}


async def test_a_durable_write_cannot_join_a_group_commit(live_service: RunningService) -> None:
    group = live_service.service.group_commit

    def durable(parts: object) -> None:
        with parts.transaction():  # type: ignore[attr-defined]
            pass

    with pytest.raises(DurableWriteRefused):
        await group.run(durable)


async def test_the_writer_thread_ends_when_idle_and_starts_again(
    live_service: RunningService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service import group_commit

    monkeypatch.setattr(group_commit, "IDLE_SECONDS", 0.05)
    group = live_service.service.group_commit
    kiosk = await group.authenticate(live_service.tokens["ward-7"])

    # The writer that ran waits out its own idle time (the old one, 5 s) first.
    for _ in range(1000):
        if not group.writing:
            break
        await asyncio.sleep(0.01)
    assert not group.writing
    again, nonce = await group.kiosk_and_nonce(live_service.tokens["ward-7"])
    assert again == kiosk
    assert nonce.nonce


async def test_a_nonce_sweeps_in_a_unit_of_its_own_first_in_its_batch(
    live_service: RunningService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweep deletes old counter rows: run inside the token-ordered unit it would
    lock them among the counters, and two PostgreSQL instances' batches could lock in
    opposite orders. It runs as its own unit, ordered first, and only for a kiosk that
    proved itself."""
    from service.domain import nonces

    group = live_service.service.group_commit
    ran: list[tuple[str, str]] = []
    real_run = group.run

    async def recording(unit, *, order: str = ""):  # type: ignore[no-untyped-def]
        ran.append((getattr(unit, "__name__", "?"), order))
        return await real_run(unit, order=order)

    swept_inside: list[bool] = []
    real_new_nonce = nonces.new_nonce

    def new_nonce(parts, kiosk, *, housekeep=None):  # type: ignore[no-untyped-def]
        swept_inside.append(bool(housekeep))
        return real_new_nonce(parts, kiosk, housekeep=housekeep)

    monkeypatch.setattr(group, "run", recording)
    monkeypatch.setattr(nonces, "new_nonce", new_nonce)
    monkeypatch.setattr(nonces, "sweep_now", lambda: True)
    token = live_service.tokens["ward-7"]
    await group.kiosk_and_nonce(token)
    for _ in range(500):  # nobody waits for the sweep: it follows the answer
        if len(ran) == 2:
            break
        await asyncio.sleep(0.01)
    assert ran == [("both", token), ("sweep", "")]
    assert swept_inside == [False]

    ran.clear()
    with pytest.raises(UnknownKiosk):
        await group.kiosk_and_nonce("not-a-token")
    await asyncio.sleep(0.2)
    assert ran == [("both", "not-a-token")], "a stranger's request swept"

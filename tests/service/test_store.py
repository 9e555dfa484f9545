"""The store: migrations match the tables, the audit is append-only, counters hold under
concurrent requests (every rule lives in the database, not in process memory)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from card.keys import MasterKeys
from kiosk.service_client import ServiceClient
from service.store import migrate, open_engine
from service.tables import metadata
from tests.service.conftest import Mailbox, RunningService, card_mac


def test_migrations_build_exactly_the_tables(db_url: str) -> None:
    engine = open_engine(db_url)
    migrate(engine)
    migrate(engine)  # idempotent
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


def test_audit_is_append_only(live_service: RunningService) -> None:
    engine = live_service.service.engine
    for statement in ("UPDATE audit SET outcome = 'forged'", "DELETE FROM audit"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))


async def test_concurrent_wrong_answers_lock_exactly_once(
    live_service: RunningService, masters: MasterKeys, client: ServiceClient
) -> None:
    holder = live_service.holder("locked")
    starts = []
    for _ in range(5):
        nonce = await client.new_nonce()
        mac = card_mac(masters, holder["serial"], nonce.nonce)
        starts.append(await client.start_unlock(holder["serial"], holder["uuid"], nonce.nonce, mac))
    headers = {"Authorization": f"Bearer {live_service.tokens['ward-7']}"}
    async with httpx.AsyncClient(base_url=live_service.url, headers=headers) as http:
        responses = await asyncio.gather(
            *(
                http.post(
                    f"/v1/unlocks/{s.unlock_id}/answers",
                    json={"answers": {q.id: "wrong answer" for q in s.questions}},
                )
                for s in starts
            )
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [422, 422, 423, 423, 423]
    assert sorted(r.json().get("attempts_left", 0) for r in responses if r.status_code == 422) == [
        1,
        2,
    ]


async def test_concurrent_repeats_of_one_key_send_one_mail(
    live_service: RunningService, masters: MasterKeys, client: ServiceClient, mailbox: Mailbox
) -> None:
    holder = live_service.holder("locked")
    nonce = await client.new_nonce()
    mac = card_mac(masters, holder["serial"], nonce.nonce)
    started = await client.start_unlock(holder["serial"], holder["uuid"], nonce.nonce, mac)
    body = {"answers": {q.id: holder["answers"][q.id] for q in started.questions}}
    headers = {
        "Authorization": f"Bearer {live_service.tokens['ward-7']}",
        "Idempotency-Key": "one-logical-call",
    }
    async with httpx.AsyncClient(base_url=live_service.url, headers=headers) as http:
        responses = await asyncio.gather(
            *(http.post(f"/v1/unlocks/{started.unlock_id}/answers", json=body) for _ in range(6))
        )
    assert {r.status_code for r in responses} <= {200, 409}
    assert any(r.status_code == 200 for r in responses)
    for r in responses:
        if r.status_code == 409:
            assert r.json()["code"] == "request_in_progress"
    mailbox.wait_count(holder["email"], 1)
    assert len(mailbox.to(holder["email"])) == 1

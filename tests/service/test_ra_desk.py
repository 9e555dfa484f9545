"""The RA desk over real HTTP and SMTP, on SQLite and PostgreSQL (issue 17 items 1, 2, 4)."""

from __future__ import annotations

import json
import secrets

import httpx
import pytest

from card.keys import MasterKeys, aes_cmac
from contract.wire import AuditEvent
from kiosk.service_client import ServiceClient, ServiceRejected
from tests.service.conftest import Mailbox, MovableClock, RunningService, card_mac
from tests.service.holder_steps import proof_body
from tests.service.ra_desk import (
    assisted_unlock,
    holder_card,
    lock_self_service,
    ra_desk,
    ra_desk_with_card,
    sign_in,
)


def audit(live: RunningService, kind: str) -> list[dict[str, object]]:
    return [dict(r) for r in live.service.export_audit() if r["type"] == kind]


async def test_an_ra_clears_a_lock_and_unlocks_a_card_every_step_audited_as_theirs(
    client: ServiceClient, live_service: RunningService, masters: MasterKeys, mailbox: Mailbox
) -> None:
    ra, alex = live_service.holder("ra"), live_service.holder("locked")
    await lock_self_service(client, masters, alex)
    # What the kiosk says of itself is not among the holder's recent events (it repeats
    # the service's records, in codes the RA's screen has no words for).
    said = AuditEvent(id="evt-ra-1", at="2026-11-22T10:00:00Z", type="answers", uuid=alex["uuid"],
                      outcome="wrong")  # fmt: skip
    await client.send_audit([said])
    async with ra_desk(live_service) as desk:
        session = await sign_in(desk, masters, ra)
        assert session.ra_name == ra["name"] and session.role == "manager"
        state = await holder_card(desk, masters, session, alex)
        assert state.locked and state.failed_attempts == 3 and state.registered
        assert state.email == alex["email"]
        assert [e.outcome for e in state.recent_events][:2] == ["ok", "self_service_locked"]
        assert "answers" not in {e.type for e in state.recent_events}

        cleared = await desk.clear_lock(session.session_id)
        assert not cleared.locked and cleared.failed_attempts == 0

        unlock_id = await assisted_unlock(desk, masters, session, alex)
        challenge = secrets.token_bytes(16)
        cryptogram = await desk.assisted_cryptogram(session.session_id, unlock_id, challenge)
        unblock = masters.derive("unblock", bytes.fromhex(alex["serial"]))
        assert cryptogram == aes_cmac(unblock, challenge)
        await desk.assisted_result(session.session_id, unlock_id, "unlocked", 0x9000)
        notice = mailbox.wait_count(alex["email"], 1)[0]
        text = notice.get_payload(decode=True).decode()
        assert "ra-desk" in text and "unlocked" in text and "not you" in text

        await desk.sign_out(session.session_id, "card_removed")
        with pytest.raises(ServiceRejected) as ended:
            await desk.holder_state(session.session_id)
        assert ended.value.code == "ra_session_ended" and ended.value.status == 410

    for kind in ("ra_holder_card", "ra_clear_lock", "ra_unlock_start", "ra_unlock_result"):
        (record,) = audit(live_service, kind)
        assert record["uuid"] == alex["uuid"] and record["kiosk"] == "ra-desk", kind
        assert record["source"] == "ra"
        detail = record["detail"]
        assert isinstance(detail, dict) and detail["ra_uuid"] == ra["uuid"], kind
    (start,) = audit(live_service, "ra_unlock_start")
    assert start["detail"]["holder_present"] is True  # type: ignore[index]
    (out,) = audit(live_service, "ra_sign_out")
    assert out["outcome"] == "card_removed"


async def test_a_holder_card_cannot_start_an_ra_session(
    live_service: RunningService, masters: MasterKeys
) -> None:
    priya = live_service.holder("working")
    async with ra_desk(live_service) as desk:
        with pytest.raises(ServiceRejected) as refused:
            await sign_in(desk, masters, priya)
        assert refused.value.code == "ra_role_required" and refused.value.status == 403
        # A proof made with the card key (no passcode checked) is no RA proof either.
        ra = live_service.holder("ra")
        nonce = await desk.new_nonce()
        mac = card_mac(masters, ra["serial"], nonce)
        with pytest.raises(ServiceRejected) as unproven:
            await desk.sign_in(ra["serial"], ra["uuid"], nonce, mac)
        assert unproven.value.code == "holder_proof_invalid"
    outcomes = [r["outcome"] for r in audit(live_service, "ra_sign_in")]
    assert outcomes == ["ra_role_required", "holder_proof_invalid"]


async def test_the_ra_card_is_never_taken_for_the_holder_card(
    live_service: RunningService, masters: MasterKeys
) -> None:
    ra = live_service.holder("ra")
    async with ra_desk(live_service) as desk:
        session = await sign_in(desk, masters, ra)
        with pytest.raises(ServiceRejected) as own:
            await holder_card(desk, masters, session, ra)
        assert own.value.code == "own_card" and own.value.status == 409
        # No holder card yet: the actions refuse and change nothing.
        with pytest.raises(ServiceRejected) as none:
            await desk.clear_lock(session.session_id)
        assert none.value.code == "holder_card_required"


async def test_a_kiosk_that_is_not_an_ra_desk_is_refused(
    live_service: RunningService, masters: MasterKeys
) -> None:
    ra = live_service.holder("ra")
    async with ra_desk(live_service, "ward-7") as ward:
        with pytest.raises(ServiceRejected) as refused:
            await sign_in(ward, masters, ra)
        assert refused.value.code == "ra_desk_required" and refused.value.status == 403
    # Nor can a ward kiosk use a session an RA desk opened.
    async with ra_desk(live_service) as desk:
        session = await sign_in(desk, masters, ra)
    async with ra_desk(live_service, "ward-7") as ward:
        with pytest.raises(ServiceRejected) as other:
            await ward.holder_state(session.session_id)
        assert other.value.code == "ra_desk_required"


async def test_an_idle_session_ends_and_says_so(
    live_service: RunningService, masters: MasterKeys, clock: MovableClock
) -> None:
    alex = live_service.holder("locked")
    async with ra_desk_with_card(live_service, masters, alex) as (desk, session):
        clock.advance(session.idle_seconds - 5)
        await desk.holder_state(session.session_id)  # a call restarts the idle time
        clock.advance(session.idle_seconds - 5)
        await desk.holder_state(session.session_id)
        clock.advance(session.idle_seconds + 1)
        with pytest.raises(ServiceRejected) as ended:
            await desk.clear_lock(session.session_id)
        assert ended.value.code == "ra_session_ended"
    assert [r["outcome"] for r in audit(live_service, "ra_sign_out")] == ["idle"]
    assert audit(live_service, "ra_clear_lock") == []


async def test_the_ra_card_pulled_mid_unlock_leaves_nothing_half_done(
    live_service: RunningService, masters: MasterKeys, mailbox: Mailbox
) -> None:
    ra, alex, priya = (live_service.holder(k) for k in ("ra", "locked", "working"))
    challenge = secrets.token_bytes(16)
    async with ra_desk(live_service) as desk:
        # Pulled before the cryptogram: no cryptogram is issued, nothing is counted.
        session = await sign_in(desk, masters, ra)
        await holder_card(desk, masters, session, alex)
        unlock_id = await assisted_unlock(desk, masters, session, alex)
        await desk.sign_out(session.session_id, "card_removed")
        with pytest.raises(ServiceRejected) as ended:
            await desk.assisted_cryptogram(session.session_id, unlock_id, challenge)
        assert ended.value.code == "ra_session_ended"
        assert audit(live_service, "ra_unlock_cryptogram") == []

        # Pulled after the card took the cryptogram: its result is still recorded and
        # the holder still told, so the unlock is never half recorded.
        again = await sign_in(desk, masters, ra)
        await holder_card(desk, masters, again, priya)
        second = await assisted_unlock(desk, masters, again, priya)
        await desk.assisted_cryptogram(again.session_id, second, challenge)
        await desk.sign_out(again.session_id, "card_removed")
        await desk.assisted_result(again.session_id, second, "unlocked", 0x9000)
        mailbox.wait_count(priya["email"], 1)
    assert [r["outcome"] for r in audit(live_service, "ra_unlock_result")] == ["unlocked"]


async def test_contact_details_bad_input_changes_nothing_good_input_tells_both_addresses(
    live_service: RunningService, masters: MasterKeys, mailbox: Mailbox
) -> None:
    sam = live_service.holder("unregistered")
    async with ra_desk_with_card(live_service, masters, sam) as (desk, session):
        with pytest.raises(ServiceRejected) as domain:
            await desk.change_contacts(session.session_id, "sam@example.com", "07700900123")
        assert domain.value.code == "email_not_approved"
        with pytest.raises(ServiceRejected) as mobile:
            await desk.change_contacts(session.session_id, "sam.t@nhs.net", "12345")
        assert mobile.value.code == "mobile_invalid"
        assert (await desk.holder_state(session.session_id)).email == sam["email"]
        assert mailbox.all_text() == ""

        changed = await desk.change_contacts(session.session_id, "sam.t@gov.uk", "07700 900123")
        assert changed.email == "sam.t@gov.uk" and changed.mobile == "07700900123"
    old = mailbox.wait_count(sam["email"], 1)[0]
    new = mailbox.wait_count("sam.t@gov.uk", 1)[0]
    for notice in (old, new):
        assert "changed at the RA desk ra-desk" in notice.get_payload(decode=True).decode()
    (record,) = [r for r in audit(live_service, "ra_holder_contacts") if r["outcome"] == "ok"]
    assert record["detail"]["changed"] == ["email", "mobile"]  # type: ignore[index]
    # The audit names what changed, never the addresses.
    assert "sam.t@gov.uk" not in json.dumps(list(live_service.service.export_audit()))


async def test_a_repeated_sign_in_with_the_same_key_is_the_same_session(
    live_service: RunningService, masters: MasterKeys
) -> None:
    ra = live_service.holder("ra")
    async with ra_desk(live_service) as desk:
        nonce = await desk.new_nonce()
    body = proof_body(ra, nonce.hex(), card_mac(masters, ra["serial"], nonce, "holder_auth").hex())
    headers = {
        "Authorization": f"Bearer {live_service.tokens['ra-desk']}",
        "Idempotency-Key": "sign-in-1",
    }
    url = f"{live_service.url}/v1/ra/sessions"
    first = httpx.post(url, json=body, headers=headers)
    second = httpx.post(url, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert len(audit(live_service, "ra_sign_in")) == 1

"""The service's side of a PIV card (issue 16 item 4), over real HTTP and SMTP, on both stores.

Card proofs by the 9E and 9A keys checked against the card CA and the directory,
the PUK escrow (sealed at rest, released only to the unlock's kiosk after the
answers and the code, never in a record) and its rotation, which no interruption
can leave at a PUK the service does not know.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from card.keys import MasterKeys
from card.piv import Slot
from card.piv_ca import demo_credentials, issue_card_certificate, load_demo_ca, make_ca
from kiosk.service_client import (
    CardProofInvalid,
    PivSignature,
    ServiceClient,
    ServiceRejected,
    TooManyRequests,
    WrongStep,
)
from service.domain import puk_escrow
from service.settings import ServiceSettings
from service.tables import puk_escrow as escrow_table
from tests.service.conftest import Mailbox, MovableClock, RunningService, start_service
from tests.service.holder_steps import to_code_step
from tests.service.piv_cards import PivCardInHand, demo_piv_card, demo_piv_holders

NEW_PIN = "258147"


@pytest.fixture
def live_service(
    settings: ServiceSettings, masters: MasterKeys, clock: MovableClock
) -> Iterator[RunningService]:
    """The service in demo mode (it trusts the PUBLIC demo card CA), under the suite's
    client (kiosk ward-7) and client_b (ra-desk)."""
    with start_service(settings.model_copy(update={"demo": True}), masters, clock) as running:
        yield running


def seeded(service: RunningService, key: str) -> dict[str, Any]:
    return next(h for h in service.demo["holders"] if h["key"] == key)


async def start(client: ServiceClient, card: PivCardInHand, uuid: str) -> Any:
    nonce = await client.new_nonce()
    proof = card.sign(Slot.CARD_AUTHENTICATION, nonce.nonce)
    return await client.start_unlock(card.guid, uuid, nonce.nonce, proof)


async def to_accepted(
    client: ServiceClient, mailbox: Mailbox, card: PivCardInHand, holder: dict[str, Any], n: int
) -> str:
    """Prove the card, answer, enter the n-th code mailed: the unlock's id."""
    started = await start(client, card, holder["uuid"])
    answers = {q.id: holder["answers"][q.id] for q in started.questions}
    await client.send_unlock_answers(started.unlock_id, answers)
    await client.send_unlock_code(started.unlock_id, mailbox.code(holder["email"], n))
    return started.unlock_id


def test_seed_demo_enrols_the_piv_cards(live_service: RunningService) -> None:
    shown = {h["key"]: h for h in live_service.demo["holders"]}
    assert {h["profile"] for h in live_service.demo["holders"]} == {"own", "piv"}
    for key, fixed in demo_piv_holders().items():
        holder = shown[key]
        assert holder["profile"] == "piv"
        assert holder["serial"] == demo_piv_card(key).guid
        assert holder["registered"] == fixed["registered"]
    assert shown["locked"]["profile"] == "own"


async def test_a_locked_piv_card_is_unlocked_and_its_puk_rotated(
    client: ServiceClient, live_service: RunningService, mailbox: Mailbox
) -> None:
    holder = seeded(live_service, "piv-locked")
    card = demo_piv_card("piv-locked")
    factory_puk = demo_piv_holders()["piv-locked"]["puk"]
    unlock_id = await to_accepted(client, mailbox, card, holder, 1)

    pair = await client.get_puk(unlock_id)
    assert pair.puk == factory_puk and pair.next_puk != factory_puk and not pair.settle
    assert factory_puk not in repr(pair) and pair.next_puk not in repr(pair)
    assert card.reset_retry_counter(pair.puk, NEW_PIN) == 0x9000
    assert card.change_puk(pair.puk, pair.next_puk) == 0x9000
    await client.report_puk_rotated(unlock_id, pair.rotation)
    await client.report_puk_rotated(unlock_id, pair.rotation)  # a repeat changes nothing
    await client.report_unlock_result(unlock_id, "unlocked", "9000")
    assert "unlocked" in mailbox.wait_count(holder["email"], 2)[1].as_string()

    assert card.verify(NEW_PIN) == 0x9000
    # The PUK that reached the kiosk no longer unblocks the card (one try spent showing it).
    assert card.change_puk(pair.puk, pair.puk) == 0x63C2
    with pytest.raises(WrongStep):
        await client.get_puk(unlock_id)

    # The escrow now holds the new PUK: the next unlock hands it over, and a fresh one.
    card.card.pin_tries_left = 0
    again = await to_accepted(client, mailbox, card, holder, 3)
    second = await client.get_puk(again)
    assert second.puk == pair.next_puk and not second.settle
    assert second.rotation > pair.rotation

    # No PUK in the store in clear, nor in the audit.
    service = live_service.service
    with service.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(select(escrow_table))]
    stored = json.dumps([list(map(str, r)) for r in rows])
    audit = json.dumps(list(service.export_audit()))
    for puk in (factory_puk, pair.next_puk, second.next_puk):
        assert puk not in stored and puk not in audit
    assert any(r["type"] == "unlock_puk" and r["outcome"] == "released" for r in json.loads(audit))


async def test_an_interrupted_rotation_costs_at_most_one_puk_try(
    client: ServiceClient, live_service: RunningService, mailbox: Mailbox
) -> None:
    holder = seeded(live_service, "piv-locked")
    card = demo_piv_card("piv-locked")
    unlock_id = await to_accepted(client, mailbox, card, holder, 1)
    first = await client.get_puk(unlock_id)
    # The card was pulled after RESET RETRY COUNTER, before the rotation reached it;
    # the kiosk asks again (a restarted kiosk would too): the same pair, to settle.
    assert card.reset_retry_counter(first.puk, NEW_PIN) == 0x9000
    again = await client.get_puk(unlock_id)
    assert (again.puk, again.next_puk, again.settle) == (first.puk, first.next_puk, True)
    # Settling (card.profiles.piv.settle_puk): puk -> next succeeds, no try spent.
    assert card.change_puk(again.puk, again.next_puk) == 0x9000
    assert card.card.puk_tries_left == 3
    await client.report_puk_rotated(unlock_id, again.rotation)
    third = await client.get_puk(unlock_id)
    assert third.puk == first.next_puk and not third.settle
    # The rotation did reach the card this time but its report was lost: settling
    # costs one try (puk -> next is refused, which proves the card holds next), and
    # the next PUK the card accepts refills the counter.
    assert card.change_puk(third.puk, third.next_puk) == 0x9000
    fourth = await client.get_puk(unlock_id)
    assert fourth.settle and fourth.next_puk == third.next_puk
    assert card.change_puk(fourth.puk, fourth.next_puk) == 0x63C2
    await client.report_puk_rotated(unlock_id, fourth.rotation)
    assert card.change_puk(fourth.next_puk, fourth.next_puk) == 0x9000
    assert card.card.puk_tries_left == 3
    await client.report_unlock_result(unlock_id, "unlocked", "9000")
    # An old rotation's report, arriving late (from an outbox), changes nothing.
    await client.report_puk_rotated(unlock_id, first.rotation)
    with live_service.service.engine.connect() as conn:
        row = conn.execute(select(escrow_table)).all()
    mine = next(r for r in row if r.guid == card.guid)
    assert mine.pending is None and mine.rotation == fourth.rotation + 1


async def test_the_puk_goes_only_to_the_unlocks_kiosk_after_the_code(
    client: ServiceClient, client_b: ServiceClient, live_service: RunningService, mailbox: Mailbox
) -> None:
    holder = seeded(live_service, "piv-locked")
    card = demo_piv_card("piv-locked")
    started = await start(client, card, holder["uuid"])
    with pytest.raises(WrongStep):
        await client.get_puk(started.unlock_id)  # before the answers
    answers = {q.id: holder["answers"][q.id] for q in started.questions}
    await client.send_unlock_answers(started.unlock_id, answers)
    with pytest.raises(WrongStep):
        await client.get_puk(started.unlock_id)  # before the code
    await client.send_unlock_code(started.unlock_id, mailbox.code(holder["email"], 1))
    with pytest.raises(ServiceRejected) as other:
        await client_b.get_puk(started.unlock_id)
    assert other.value.code == "unknown_unlock"
    with pytest.raises(WrongStep):
        await client.get_cryptogram(started.unlock_id, secrets.token_bytes(16))
    for _ in range(5):
        await client.get_puk(started.unlock_id)
    with pytest.raises(TooManyRequests):
        await client.get_puk(started.unlock_id)

    # An own-applet unlock has no PUK to release.
    own = live_service.holder("locked")
    own_unlock = await to_code_step(client, live_service.service.masters, own)
    await client.send_unlock_code(own_unlock.unlock_id, mailbox.code(own["email"], 1))
    with pytest.raises(WrongStep):
        await client.get_puk(own_unlock.unlock_id)


async def test_a_piv_proof_holds_only_for_the_enrolled_card_under_the_card_ca(
    client: ServiceClient, live_service: RunningService
) -> None:
    holder = seeded(live_service, "piv-locked")
    card = demo_piv_card("piv-locked")
    other = demo_piv_card("piv-working")

    async def refused(serial: str, proof: PivSignature, uuid: str = holder["uuid"]) -> None:
        nonce = await client.new_nonce()
        with pytest.raises(CardProofInvalid):
            await client.start_unlock(serial, uuid, nonce.nonce, proof)

    async def refused_signed_by(signer: PivCardInHand, serial: str) -> None:
        """`signer`'s card key signs the fresh nonce, for the card `serial` names."""
        nonce = await client.new_nonce()
        proof = signer.sign(Slot.CARD_AUTHENTICATION, nonce.nonce)
        with pytest.raises(CardProofInvalid):
            await client.start_unlock(serial, holder["uuid"], nonce.nonce, proof)

    # A signature over another nonce.
    await refused(card.guid, card.sign(Slot.CARD_AUTHENTICATION, secrets.token_bytes(16)))
    # Another enrolled card's proof, naming this holder or this card's GUID.
    await refused_signed_by(other, card.guid)
    await refused_signed_by(other, other.guid)
    # The 9A key is not the card key.
    nonce = await client.new_nonce()
    assert card.verify(holder["pin"]) in (0x9000, 0x6983)
    card.card.pin_tries_left, card.applet.pin_verified = 3, True
    with pytest.raises(CardProofInvalid):
        await client.start_unlock(
            card.guid, holder["uuid"], nonce.nonce, card.sign(Slot.PIV_AUTHENTICATION, nonce.nonce)
        )
    # A card whose certificate comes from another CA, with the same GUID and holder.
    key, cert = make_ca("Another card CA", *_validity())
    from card.piv_ca import CardAuthority

    stranger_ca = CardAuthority(key=key, cert=cert, card_key_seed=b"\x01" * 32, public_demo=True)
    forged = demo_piv_card("piv-locked")
    creds = demo_credentials(
        guid=forged.card.guid,
        uuid=holder["uuid"],
        name=holder["name"],
        expiry=forged.card.expiry,
        ca=stranger_ca,
    )
    forged.card.credentials = creds
    await refused_signed_by(forged, forged.guid)
    # The right key, re-certified by the demo CA: the directory binds the key, so it holds.
    demo_ca = load_demo_ca()
    recert = issue_card_certificate(
        demo_ca,
        card.card.credentials.keys[Slot.CARD_AUTHENTICATION].public_key(),
        slot=Slot.CARD_AUTHENTICATION,
        guid=card.card.guid,
        uuid=holder["uuid"],
        name=holder["name"],
        expiry=card.card.expiry.replace(year=card.card.expiry.year - 1),
    )
    from cryptography.hazmat.primitives import serialization

    nonce = await client.new_nonce()
    signed = card.sign(Slot.CARD_AUTHENTICATION, nonce.nonce)
    again = PivSignature(signed.signature, recert.public_bytes(serialization.Encoding.DER))
    started = await client.start_unlock(card.guid, holder["uuid"], nonce.nonce, again)
    assert started.next == "answers"


async def test_a_piv_body_must_be_whole(
    client: ServiceClient, live_service: RunningService
) -> None:
    holder = seeded(live_service, "piv-locked")
    card = demo_piv_card("piv-locked")
    nonce = await client.new_nonce()
    proof = card.sign(Slot.CARD_AUTHENTICATION, nonce.nonce)
    base = {
        "profile": "piv",
        "serial": card.guid,
        "uuid": holder["uuid"],
        "nonce": nonce.nonce.hex(),
    }
    bad_bodies = [
        {**base, "signature": proof.signature.hex()},  # no certificate
        {**base, "certificate": proof.certificate.hex()},  # no signature
        {
            **base,
            "serial": card.guid[:16],
            "signature": proof.signature.hex(),
            "certificate": proof.certificate.hex(),
        },
        {**base, "profile": "own", "mac": "00" * 16},  # an own proof with a 32-hex serial
        {
            **base,
            "mac": "00" * 16,
            "signature": proof.signature.hex(),
            "certificate": proof.certificate.hex(),
        },
    ]
    import httpx

    async with httpx.AsyncClient(base_url=live_service.url) as raw:
        headers = {"Authorization": f"Bearer {live_service.tokens['ward-7']}"}
        for body in bad_bodies:
            answer = await raw.post("/v1/unlocks", json=body, headers=headers)
            assert answer.status_code == 422, body
            assert answer.json()["code"] == "request_invalid"


async def test_registration_proves_the_holder_with_9a_after_verify(
    client: ServiceClient, live_service: RunningService, mailbox: Mailbox
) -> None:
    holder = seeded(live_service, "piv-unregistered")
    card = demo_piv_card("piv-unregistered")
    nonce = await client.new_nonce()
    # Without VERIFY the card refuses to sign with 9A; the 9E key does not prove the holder.
    with pytest.raises(AssertionError):
        card.sign(Slot.PIV_AUTHENTICATION, nonce.nonce)
    with pytest.raises(ServiceRejected) as refused:
        await client.start_registration(
            card.guid,
            holder["uuid"],
            nonce.nonce,
            card.sign(Slot.CARD_AUTHENTICATION, nonce.nonce),
            "chris.novak@nhs.net",
            "07700900013",
            "2026-11",
        )
    assert refused.value.code == "holder_proof_invalid"
    assert card.verify(holder["pin"]) == 0x9000
    nonce = await client.new_nonce()
    started = await client.start_registration(
        card.guid,
        holder["uuid"],
        nonce.nonce,
        card.sign(Slot.PIV_AUTHENTICATION, nonce.nonce),
        "chris.novak@nhs.net",
        "07700900013",
        "2026-11",
    )
    answers = {"q03": "Jo Bloggs", "q07": "moby dick", "q11": "Rae", "q20": "ward 9"}
    await client.send_registration_answers(started.registration_id, answers)
    await client.confirm_registration(
        started.registration_id, mailbox.code("chris.novak@nhs.net", 1)
    )
    shown = live_service.service.show_holder(holder["uuid"])
    assert shown is not None and shown["registered"] is True


def test_a_sealed_puk_opens_only_under_its_keys_and_for_its_card(masters: MasterKeys) -> None:
    from card.piv import Puk

    guid = "53535500" * 4
    sealed = puk_escrow.seal(masters, guid, Puk("12345678"))
    assert "12345678" not in sealed
    assert puk_escrow.unseal(masters, guid, sealed).reveal() == "12345678"
    other = MasterKeys(secrets.token_bytes(32), masters.card_auth, masters.holder_auth)
    with pytest.raises(puk_escrow.EscrowBroken):
        puk_escrow.unseal(other, guid, sealed)
    with pytest.raises(puk_escrow.EscrowBroken):
        puk_escrow.unseal(masters, "00" * 16, sealed)
    # Two seals of one PUK differ (a fresh nonce each), so equal PUKs do not show.
    assert puk_escrow.seal(masters, guid, Puk("12345678")) != sealed


def _validity() -> tuple[Any, Any]:
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    return now - dt.timedelta(days=1), now + dt.timedelta(days=3650)

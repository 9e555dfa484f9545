"""Both journeys through the kiosk's client, over real HTTP and real SMTP."""

from __future__ import annotations

import secrets

import pytest

from card.keys import MasterKeys, aes_cmac
from kiosk.service_client import (
    CardProofInvalid,
    ServiceClient,
    ServiceRejected,
    WrongStep,
)
from tests.service.conftest import Mailbox, RunningService
from tests.service.holder_steps import start_registration, start_unlock


async def test_unlock_journey(
    client: ServiceClient, live_service: RunningService, masters: MasterKeys, mailbox: Mailbox
) -> None:
    holder = live_service.holder("locked")
    started = await start_unlock(client, masters, holder)
    assert started.next == "answers"
    assert started.attempts_left == 3
    asked = [q.id for q in started.questions]
    assert len(asked) == 3 and set(asked) <= set(holder["answers"])
    assert all(q.text.endswith("?") for q in started.questions)

    # Answers are compared normalised: case, outer and inner whitespace do not matter.
    answers = {q: "  " + holder["answers"][q].upper().replace(" ", "   ") + " " for q in asked}
    sent = await client.send_unlock_answers(started.unlock_id, answers)
    assert sent.code_sent_to == "a***@nhs.net"
    code = mailbox.code(holder["email"], 1)
    # The mail shows the code in two groups of four, as the kiosk's field does while
    # it is typed; sent as the mail shows it, it is taken (the spaces are for reading).
    mailed = mailbox.wait_count(holder["email"], 1)[0].get_payload(decode=True).decode()
    shown = f"{code[:4]} {code[4:]}"
    assert f"Your unlock code is: {shown}\r\n" in mailed and code not in mailed

    accepted = await client.send_unlock_code(started.unlock_id, shown)
    assert accepted.expires_at > started.expires_at.replace(year=2000)

    challenge = secrets.token_bytes(16)
    cryptogram = await client.get_cryptogram(started.unlock_id, challenge)
    unblock = masters.derive("unblock", bytes.fromhex(holder["serial"]))
    assert cryptogram == aes_cmac(unblock, challenge)

    await client.report_unlock_result(started.unlock_id, "unlocked", 0x9000)
    notice = mailbox.wait_count(holder["email"], 2)[1]
    text = notice.get_payload(decode=True).decode()
    assert "ward-7" in text and "0300 555 0100" in text and "unlocked" in text
    assert "not you" in text

    with pytest.raises(WrongStep):
        await client.get_cryptogram(started.unlock_id, challenge)
    with pytest.raises(WrongStep):
        await client.report_unlock_result(started.unlock_id, "unlocked", "9000")


async def test_registration_journey_then_unlock(
    client: ServiceClient, live_service: RunningService, masters: MasterKeys, mailbox: Mailbox
) -> None:
    holder = live_service.holder("unregistered")
    # The card only answers with the holder key after its passcode was verified.
    email = "sam.taylor@dwp.gov.uk"  # a subdomain of an approved domain
    started = await start_registration(
        client, masters, holder, email=email, mobile="+44 7700 900 003"
    )
    answers = {"q03": "Jo Bloggs", "q07": "moby dick", "q11": "Rae", "q20": "ward 9"}
    sent = await client.send_registration_answers(started.registration_id, answers)
    assert sent.code_sent_to == "s***@dwp.gov.uk"
    code = mailbox.code(email, 1)
    await client.confirm_registration(started.registration_id, code)
    with pytest.raises(WrongStep):
        await client.send_registration_answers(started.registration_id, answers)

    unlock = await start_unlock(client, masters, holder)
    assert {q.id for q in unlock.questions} <= set(answers)
    await client.send_unlock_answers(
        unlock.unlock_id, {q.id: answers[q.id] for q in unlock.questions}
    )
    assert mailbox.code(email, 2)


async def test_registration_refusals_in_order(
    client: ServiceClient, live_service: RunningService, masters: MasterKeys
) -> None:
    holder = live_service.holder("working")

    async def register(email: str, mobile: str, terms: str, key: str = "holder_auth") -> None:
        await start_registration(
            client, masters, holder, email=email, mobile=mobile, terms=terms, key=key
        )

    with pytest.raises(CardProofInvalid) as proof:
        await register("bad@example.com", "123", "old", key="card_auth")
    assert proof.value.status == 403 and proof.value.code == "holder_proof_invalid"
    with pytest.raises(ServiceRejected) as email:
        await register("p.shah@example.com", "123", "old")
    assert email.value.code == "email_not_approved"
    assert email.value.extras["approved_domains"] == ["nhs.net", "gov.uk", "mod.uk"]
    with pytest.raises(ServiceRejected) as fake_domain:
        await register("p.shah@notnhs.net", "07700900002", "2026-11")
    assert fake_domain.value.code == "email_not_approved"
    with pytest.raises(ServiceRejected) as mobile:
        await register("p.shah@nhs.net", "01632 960000", "old")
    assert mobile.value.code == "mobile_invalid"
    with pytest.raises(ServiceRejected) as terms:
        await register("p.shah@nhs.net", "07700 900002", "old")
    assert terms.value.code == "terms_outdated" and terms.value.extras["terms_version"] == "2026-11"


@pytest.mark.parametrize(
    "answers",
    [
        {"q01": "abc", "q02": "abc", "q03": "abc"},
        {"q01": "abc", "q02": "abc", "q03": "abc", "q99": "abc"},
        {"q01": "abc", "q02": "abc", "q03": "abc", "q04": " a  "},
        {"q01": "abc", "q02": "abc", "q03": "abc", "q04": "x" * 65},
    ],
)
async def test_registration_answers_invalid(
    client: ServiceClient,
    live_service: RunningService,
    masters: MasterKeys,
    answers: dict[str, str],
) -> None:
    holder = live_service.holder("working")
    started = await start_registration(client, masters, holder)
    with pytest.raises(ServiceRejected) as refused:
        await client.send_registration_answers(started.registration_id, answers)
    assert refused.value.status == 422 and refused.value.code == "answers_invalid"

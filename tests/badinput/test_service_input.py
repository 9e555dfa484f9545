"""Hostile answers and contact details at the service, through the kiosk's own client.

Over real HTTP on loopback with a real SMTP server. Each value gets a clear 422
with a problem code the kiosk branches on, never a 5xx, never its own text echoed
back, and a refused value changes nothing: no registration step taken, no holder
detail replaced, no attempt counted.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import httpx
import pytest

from card.keys import MasterKeys
from kiosk.service_client import (
    SelfServiceLockedError,
    ServiceClient,
    ServiceRejected,
    WrongAnswers,
)
from service.secrecy import normalise_answer
from tests.badinput.nasty import NASTY_EMAILS, NASTY_MOBILES, NASTY_TEXT
from tests.badinput.recording import RecordingTransport
from tests.service.conftest import Mailbox, RunningService
from tests.service.holder_steps import start_registration, start_unlock

GOOD = {"q02": "elm road", "q03": "blue", "q04": "rex"}


@pytest.fixture
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
async def kiosk(
    live_service: RunningService, transport: RecordingTransport
) -> AsyncIterator[ServiceClient]:
    """The kiosk "ward-7", every exchange recorded; no 5xx may appear in any test here."""
    client = ServiceClient(
        live_service.url, live_service.tokens["ward-7"], timeout=10.0, transport=transport
    )
    yield client
    await client.aclose()
    assert transport.server_errors() == []


def new_holder(live: RunningService, tag: int) -> dict[str, str]:
    """A fresh unregistered holder bound to its own card (throttles count per card)."""
    holder = {
        "uuid": f"7770{secrets.randbelow(10**8):08d}",
        "serial": secrets.token_hex(8),
        "name": f"Test Holder {tag}",
        "email": f"holder{tag}.{secrets.token_hex(3)}@nhs.net",
        "mobile": "07700900123",
    }
    live.service.add_holder(**holder)
    return holder


def fits(answer: str) -> bool:
    return 3 <= len(normalise_answer(answer)) <= 64


REFUSED_ANSWERS = {
    **{name: text for name, text in NASTY_TEXT.items() if not fits(text)},
    "empty": "",
    "spaces_only": " \t\r\n ",
    "two_after_nfkc": "\uff41\uff42",
    "65": "y" * 65,
    "ligatures_over_64_after_nfkc": "\ufb03" * 22,
}
ACCEPTED_ANSWERS = {name: text for name, text in NASTY_TEXT.items() if fits(text)}


async def test_registration_answers_out_of_bounds_are_answers_invalid_and_change_nothing(
    kiosk: ServiceClient,
    live_service: RunningService,
    masters: MasterKeys,
    mailbox: Mailbox,
    transport: RecordingTransport,
) -> None:
    holder = new_holder(live_service, 1)
    started = await start_registration(kiosk, masters, holder)
    for name, answer in REFUSED_ANSWERS.items():
        with pytest.raises(ServiceRejected) as refused:
            await kiosk.send_registration_answers(started.registration_id, {"q01": answer, **GOOD})
        assert (refused.value.status, refused.value.code) == (422, "answers_invalid"), name
        if len(answer.strip()) > 3:
            assert answer.strip()[:20] not in refused.value.detail, name
    # Nothing moved on: the same registration still takes good answers, and only then
    # is a code mailed.
    assert mailbox.to(holder["email"]) == []
    await kiosk.send_registration_answers(started.registration_id, {"q01": "biscuit", **GOOD})
    assert len(mailbox.wait_count(holder["email"], 1)) == 1
    assert transport.server_errors() == []


@pytest.mark.parametrize("name", sorted(ACCEPTED_ANSWERS))
async def test_odd_answers_that_fit_register_and_unlock_by_their_normal_form(
    name: str,
    kiosk: ServiceClient,
    live_service: RunningService,
    masters: MasterKeys,
    mailbox: Mailbox,
) -> None:
    # The holder registers the odd text; at unlock the same text must match, and a
    # different text must count as one wrong attempt, never as an error.
    holder = new_holder(live_service, 2)
    answer = ACCEPTED_ANSWERS[name]
    started = await start_registration(kiosk, masters, holder)
    await kiosk.send_registration_answers(started.registration_id, {"q01": answer, **GOOD})
    await kiosk.confirm_registration(started.registration_id, mailbox.code(holder["email"], 1))

    unlock = await start_unlock(kiosk, masters, holder)
    registered = {"q01": answer, **GOOD}
    asked = {q.id: registered[q.id] for q in unlock.questions}
    if "q01" in asked:
        with pytest.raises(WrongAnswers) as wrong:
            await kiosk.send_unlock_answers(unlock.unlock_id, {**asked, "q01": "not it"})
        assert wrong.value.attempts_left == 2
    await kiosk.send_unlock_answers(unlock.unlock_id, asked)
    assert len(mailbox.wait_count(holder["email"], 2)) == 2


@pytest.mark.parametrize(
    ("registered", "typed"),
    [
        ("Jo Bloggs", "\uff2a\uff4f\u3000\uff22\uff4c\uff4f\uff47\uff47\uff53"),  # full-width
        ("fish and chips", "\ufb01sh and chips"),  # fi ligature
        ("stra\u00dfe", "STRASSE"),  # case folding of sharp s
        ("caf\u00e9 rouge", "cafe\u0301   ROUGE"),  # combining accent, extra spaces
        ("\u05e9\u05dc\u05d5\u05dd", " \u05e9\u05dc\u05d5\u05dd\u00a0"),  # RTL, NBSP trim
    ],
    ids=["fullwidth", "ligature", "sharp_s", "combining", "rtl"],
)
async def test_nfkc_equivalent_answers_unlock(
    registered: str,
    typed: str,
    kiosk: ServiceClient,
    live_service: RunningService,
    masters: MasterKeys,
    mailbox: Mailbox,
) -> None:
    holder = new_holder(live_service, 3)
    answers = {"q01": registered, "q02": registered + " a", "q03": registered + " b"}
    answers["q04"] = registered + " c"
    started = await start_registration(kiosk, masters, holder)
    await kiosk.send_registration_answers(started.registration_id, answers)
    await kiosk.confirm_registration(started.registration_id, mailbox.code(holder["email"], 1))
    unlock = await start_unlock(kiosk, masters, holder)
    variants = {"q01": typed, "q02": typed + " a", "q03": typed + " b", "q04": typed + " c"}
    sent = await kiosk.send_unlock_answers(
        unlock.unlock_id, {q.id: variants[q.id] for q in unlock.questions}
    )
    assert sent.code_sent_to.endswith("@nhs.net")


HOSTILE_CONTACTS = {"email": NASTY_EMAILS, "mobile": NASTY_MOBILES}
REFUSED_AS = {"email": "email_not_approved", "mobile": "mobile_invalid"}
TAGS = {"email": 4, "mobile": 5}


@pytest.mark.parametrize(
    ("field", "name"),
    [(field, name) for field, values in HOSTILE_CONTACTS.items() for name in sorted(values)],
    ids=lambda part: str(part),
)
async def test_hostile_contact_detail_is_refused_with_422_and_nothing_stored(
    field: str, name: str, kiosk: ServiceClient, live_service: RunningService, masters: MasterKeys
) -> None:
    holder = new_holder(live_service, TAGS[field])
    before = live_service.service.show_holder(holder["uuid"])
    with pytest.raises(ServiceRejected) as refused:
        await start_registration(kiosk, masters, holder, **{field: HOSTILE_CONTACTS[field][name]})
    assert refused.value.status == 422
    assert refused.value.code in {REFUSED_AS[field], "request_invalid"}, refused.value.code
    assert live_service.service.show_holder(holder["uuid"]) == before


async def test_spaces_of_any_kind_in_a_mobile_are_ignored(
    kiosk: ServiceClient, live_service: RunningService, masters: MasterKeys, mailbox: Mailbox
) -> None:
    holder = new_holder(live_service, 6)
    started = await start_registration(kiosk, masters, holder, mobile="+44\u00a07700\t900\u3000124")
    await kiosk.send_registration_answers(started.registration_id, {"q01": "biscuit", **GOOD})
    await kiosk.confirm_registration(started.registration_id, mailbox.code(holder["email"], 1))
    shown = live_service.service.show_holder(holder["uuid"])
    assert shown is not None and shown["mobile"] == "+447700900124"


@pytest.mark.parametrize("name", sorted(NASTY_TEXT))
async def test_hostile_unlock_answers_cost_at_most_one_attempt_and_never_5xx(
    name: str, kiosk: ServiceClient, live_service: RunningService, masters: MasterKeys
) -> None:
    # A wrong answer counts (that is the rule); an answer the request schema refuses
    # (over 1024 characters) counts nothing. Neither may crash the service or echo.
    holder = live_service.holder("locked")
    live_service.service.clear_lock(holder["uuid"])
    unlock = await start_unlock(kiosk, masters, holder)
    answers = {q.id: NASTY_TEXT[name] for q in unlock.questions}
    with pytest.raises(ServiceRejected) as refused:
        await kiosk.send_unlock_answers(unlock.unlock_id, answers)
    shown = live_service.service.show_holder(holder["uuid"])
    assert shown is not None
    if refused.value.code == "answers_wrong":
        assert refused.value.attempts_left == 2 and shown["failed_attempts"] == 1
    else:
        assert (refused.value.status, refused.value.code) == (422, "answers_invalid")
        assert shown["failed_attempts"] == 0
    assert NASTY_TEXT[name][:20] not in refused.value.detail
    assert not isinstance(refused.value, SelfServiceLockedError)


@pytest.mark.parametrize(
    "raw",
    [b"\xff\xfet\x1e\x7f", b"\x00", b'{"code": "1234', b"\xef\xbb\xbf{}", b"[" * 10_000],
    ids=["not_utf8", "nul", "truncated", "bom", "deep_nesting"],
)
async def test_a_body_that_is_not_json_is_422_request_invalid(
    raw: bytes, live_service: RunningService
) -> None:
    # Found by the stateful run: bytes that are not UTF-8 were answered 400
    # http_error, a status the contract never names (docs/api.md: 422 request_invalid).
    headers = {
        "Authorization": f"Bearer {live_service.tokens['ward-7']}",
        "Content-Type": "application/json",
    }
    async with httpx.AsyncClient(base_url=live_service.url) as http:
        for path in ("/v1/unlocks", "/v1/unlocks/abc/code", "/v1/audit"):
            response = await http.post(path, content=raw, headers=headers)
            assert response.status_code == 422, (path, response.text)
            assert response.json()["code"] == "request_invalid"

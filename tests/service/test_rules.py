"""Every rule of docs/design.md section 4 / docs/api.md, over real HTTP and real SMTP."""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx
import pytest

from card.keys import DEV_KEYS_PATH, MasterKeys, load_dev_keys, write_master_keys
from kiosk.service_client import (
    CardProofInvalid,
    Expired,
    KioskUnauthorized,
    MailUnavailable,
    NotRegisteredError,
    SelfServiceLockedError,
    ServiceClient,
    ServiceRejected,
    ServiceUnreachableError,
    TooManyRequests,
    WrongAnswers,
    WrongCode,
    WrongStep,
)
from service.app import KeysRefused, create_app
from service.cli import main as cli_main
from service.settings import ServiceSettings, Throttle
from tests.service.conftest import (
    Mailbox,
    MovableClock,
    RunningService,
    card_mac,
    start_service,
)
from tests.service.holder_steps import (
    right_answers,
    start_registration,
    start_unlock,
    to_code_step,
    wrong_answers,
)


def ra_show(settings: ServiceSettings, uuid: str, capsys: pytest.CaptureFixture[str]) -> Any:
    capsys.readouterr()
    assert cli_main(["ra", "show", uuid, "--db", settings.db]) == 0
    return json.loads(capsys.readouterr().out)


# -- answers and the lock -----------------------------------------------------------------


async def test_three_failures_across_two_kiosks_lock_until_ra_clears(
    client: ServiceClient,
    client_b: ServiceClient,
    live_service: RunningService,
    masters: MasterKeys,
    settings: ServiceSettings,
    clock: MovableClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    holder = live_service.holder("locked")
    first = await start_unlock(client, masters, holder)
    with pytest.raises(WrongAnswers) as one:
        await client.send_unlock_answers(first.unlock_id, wrong_answers(first))
    assert one.value.attempts_left == 2

    second = await start_unlock(client_b, masters, holder)
    assert second.attempts_left == 2
    with pytest.raises(WrongAnswers) as two:
        await client_b.send_unlock_answers(second.unlock_id, wrong_answers(second))
    assert two.value.attempts_left == 1

    with pytest.raises(SelfServiceLockedError) as locked:
        await client.send_unlock_answers(first.unlock_id, wrong_answers(first))
    assert locked.value.status == 423
    # Right answers after the lock do not help, on either kiosk.
    with pytest.raises(SelfServiceLockedError):
        await client_b.send_unlock_answers(second.unlock_id, right_answers(holder, second))
    with pytest.raises(SelfServiceLockedError):
        await start_unlock(client_b, masters, holder)

    # The lock is in the store: a restarted service (same database) keeps it.
    live_service.stop()
    restarted = start_service(settings, masters, clock)
    try:
        async with ServiceClient(restarted.url, live_service.tokens["ward-7"]) as again:
            with pytest.raises(SelfServiceLockedError):
                await start_unlock(again, masters, holder)
            shown = ra_show(settings, holder["uuid"], capsys)
            assert shown["locked"] is True and shown["failed_attempts"] == 3
            assert cli_main(["ra", "clear-lock", holder["uuid"], "--db", settings.db]) == 0
            fresh = await start_unlock(again, masters, holder)
            assert fresh.attempts_left == 3
    finally:
        restarted.stop()


async def test_right_answers_reset_the_count(
    client: ServiceClient, live_service: RunningService, masters: MasterKeys, mailbox: Mailbox
) -> None:
    holder = live_service.holder("working")
    first = await start_unlock(client, masters, holder)
    with pytest.raises(WrongAnswers):
        await client.send_unlock_answers(first.unlock_id, wrong_answers(first))
    with pytest.raises(WrongAnswers):
        await client.send_unlock_answers(first.unlock_id, wrong_answers(first))
    await client.send_unlock_answers(first.unlock_id, right_answers(holder, first))
    again = await start_unlock(client, masters, holder)
    assert again.attempts_left == 3


async def test_answers_must_match_the_questions_and_are_not_counted(
    client: ServiceClient, live_service: RunningService, masters: MasterKeys
) -> None:
    holder = live_service.holder("locked")
    started = await start_unlock(client, masters, holder)
    asked = right_answers(holder, started)
    other = next(q for q in holder["answers"] if q not in asked)
    for bad in (
        {**asked, other: "x"},
        dict(list(asked.items())[:2]),
        {**dict(list(asked.items())[:2]), other: "x"},
    ):
        with pytest.raises(ServiceRejected) as refused:
            await client.send_unlock_answers(started.unlock_id, bad)
        assert refused.value.code == "answers_invalid"
    with pytest.raises(WrongAnswers) as counted:
        await client.send_unlock_answers(started.unlock_id, wrong_answers(started))
    assert counted.value.attempts_left == 2


async def test_not_registered(
    client: ServiceClient, live_service: RunningService, masters: MasterKeys
) -> None:
    with pytest.raises(NotRegisteredError) as refused:
        await start_unlock(client, masters, live_service.holder("unregistered"))
    assert refused.value.status == 409


# -- card proofs and enumeration -------------------------------------------------------------


async def test_nonce_is_single_use_bound_to_kiosk_and_short_lived(
    client: ServiceClient,
    client_b: ServiceClient,
    live_service: RunningService,
    masters: MasterKeys,
    clock: MovableClock,
) -> None:
    holder = live_service.holder("locked")
    nonce = await client.new_nonce()
    mac = card_mac(masters, holder["serial"], nonce.nonce)
    await client.start_unlock(holder["serial"], holder["uuid"], nonce.nonce, mac)
    with pytest.raises(CardProofInvalid):
        await client.start_unlock(holder["serial"], holder["uuid"], nonce.nonce, mac)

    other = await client.new_nonce()
    mac = card_mac(masters, holder["serial"], other.nonce)
    with pytest.raises(CardProofInvalid):
        await client_b.start_unlock(holder["serial"], holder["uuid"], other.nonce, mac)

    old = await client.new_nonce()
    clock.advance(121)
    mac = card_mac(masters, holder["serial"], old.nonce)
    with pytest.raises(CardProofInvalid):
        await client.start_unlock(holder["serial"], holder["uuid"], old.nonce, mac)


async def test_no_enumeration(
    client: ServiceClient, live_service: RunningService, masters: MasterKeys
) -> None:
    locked = live_service.holder("locked")
    working = live_service.holder("working")
    attempts = [
        ("999999999999", "0a0b0c0d0e0f0001", None),  # unknown uuid, unknown serial
        (locked["uuid"], working["serial"], None),  # serial bound to another holder
        (locked["uuid"], "0a0b0c0d0e0f0001", None),  # unknown serial
        (locked["uuid"], locked["serial"], b"\x00" * 16),  # bad MAC
    ]
    bodies = []
    for uuid, serial, forced_mac in attempts:
        nonce = await client.new_nonce()
        mac = forced_mac or card_mac(masters, serial, nonce.nonce)
        response = await raw_post(
            live_service,
            "/v1/unlocks",
            {"serial": serial, "uuid": uuid, "nonce": nonce.nonce.hex(), "mac": mac.hex()},
        )
        assert response.status_code == 403
        bodies.append(response.json())
    assert all(b == bodies[0] for b in bodies)
    assert bodies[0]["code"] == "card_proof_invalid"


# -- codes ----------------------------------------------------------------------------------


async def test_code_expires_after_15_minutes_and_unlock_after_30(
    client: ServiceClient,
    live_service: RunningService,
    masters: MasterKeys,
    mailbox: Mailbox,
    clock: MovableClock,
) -> None:
    holder = live_service.holder("locked")
    started = await to_code_step(client, masters, holder)
    code = mailbox.code(holder["email"], 1)
    clock.advance(15 * 60 + 1)
    with pytest.raises(Expired) as expired:
        await client.send_unlock_code(started.unlock_id, code)
    assert expired.value.code == "code_expired"
    # A resend gives a fresh 15 minutes (the unlock itself still has time).
    await client.resend_unlock_code(started.unlock_id)
    fresh = mailbox.code(holder["email"], 2)
    clock.advance(15 * 60)
    with pytest.raises(Expired) as gone:
        await client.send_unlock_code(started.unlock_id, fresh)
    assert gone.value.code == "unlock_expired"


async def test_code_void_after_three_wrong_and_single_use(
    client: ServiceClient, live_service: RunningService, masters: MasterKeys, mailbox: Mailbox
) -> None:
    holder = live_service.holder("locked")
    started = await to_code_step(client, masters, holder)
    code = mailbox.code(holder["email"], 1)
    bad = f"{(int(code) + 1) % 10**8:08d}"
    with pytest.raises(WrongCode) as one:
        await client.send_unlock_code(started.unlock_id, bad)
    assert one.value.tries_left == 2
    with pytest.raises(WrongCode) as two:
        await client.send_unlock_code(started.unlock_id, bad)
    assert two.value.tries_left == 1
    for attempt in (bad, code, code):
        with pytest.raises(Expired) as void:
            await client.send_unlock_code(started.unlock_id, attempt)
        assert void.value.code == "code_void"
    with pytest.raises(Expired):
        await client.resend_unlock_code(started.unlock_id)

    other = await to_code_step(client, masters, holder)
    code = mailbox.code(holder["email"], 2)
    await client.send_unlock_code(other.unlock_id, code)
    with pytest.raises(WrongStep):
        await client.send_unlock_code(other.unlock_id, code)


async def test_code_bound_to_its_unlock(
    client: ServiceClient, live_service: RunningService, masters: MasterKeys, mailbox: Mailbox
) -> None:
    holder = live_service.holder("locked")
    first = await to_code_step(client, masters, holder)
    first_code = mailbox.code(holder["email"], 1)
    second = await to_code_step(client, masters, holder)
    with pytest.raises(WrongCode):
        await client.send_unlock_code(second.unlock_id, first_code)
    await client.send_unlock_code(first.unlock_id, first_code)


async def test_resend_limits_and_counts_kept(
    client: ServiceClient,
    live_service: RunningService,
    masters: MasterKeys,
    mailbox: Mailbox,
    clock: MovableClock,
) -> None:
    holder = live_service.holder("locked")
    started = await to_code_step(client, masters, holder)
    old = mailbox.code(holder["email"], 1)
    bad = f"{(int(old) + 1) % 10**8:08d}"
    with pytest.raises(WrongCode):
        await client.send_unlock_code(started.unlock_id, bad)

    with pytest.raises(TooManyRequests) as soon:
        await client.resend_unlock_code(started.unlock_id)
    assert soon.value.code == "too_many_resends" and 0 < (soon.value.retry_after or 0) <= 60
    for n in range(3):
        clock.advance(61)
        await client.resend_unlock_code(started.unlock_id)
        mailbox.wait_count(holder["email"], 2 + n)
    clock.advance(61)
    with pytest.raises(TooManyRequests) as spent:
        await client.resend_unlock_code(started.unlock_id)
    assert spent.value.code == "too_many_resends" and spent.value.retry_after

    latest = mailbox.code(holder["email"], 4)
    with pytest.raises(WrongCode) as stale:
        await client.send_unlock_code(started.unlock_id, old)
    assert stale.value.tries_left == 1  # resends never reset the count
    await client.send_unlock_code(started.unlock_id, latest)


async def test_registration_codes(
    client: ServiceClient,
    live_service: RunningService,
    masters: MasterKeys,
    mailbox: Mailbox,
    clock: MovableClock,
) -> None:
    holder = live_service.holder("unregistered")
    reg = await start_registration(client, masters, holder)
    with pytest.raises(WrongStep):
        await client.confirm_registration(reg.registration_id, "12345678")
    answers = {"q01": "rex", "q02": "mill lane", "q03": "kim", "q04": "raleigh"}
    await client.send_registration_answers(reg.registration_id, answers)
    first = mailbox.code(holder["email"], 1)
    with pytest.raises(WrongCode) as wrong_code:
        await client.confirm_registration(
            reg.registration_id, "00000000" if first != "00000000" else "1"
        )
    assert wrong_code.value.tries_left == 2
    clock.advance(61)
    await client.resend_registration_code(reg.registration_id)
    second = mailbox.code(holder["email"], 2)
    with pytest.raises(WrongCode):
        await client.confirm_registration(reg.registration_id, first)
    await client.confirm_registration(reg.registration_id, second)
    clock.advance(31 * 60)
    with pytest.raises(WrongStep):
        await client.confirm_registration(reg.registration_id, second)

    late = await start_registration(client, masters, holder)
    clock.advance(30 * 60)
    with pytest.raises(Expired) as expired:
        await client.send_registration_answers(late.registration_id, answers)
    assert expired.value.code == "registration_expired"


# -- cryptograms and results ---------------------------------------------------------------


async def test_cryptogram_rules(
    client: ServiceClient, live_service: RunningService, masters: MasterKeys, mailbox: Mailbox
) -> None:
    holder = live_service.holder("locked")
    started = await to_code_step(client, masters, holder)
    with pytest.raises(WrongStep):
        await client.get_cryptogram(started.unlock_id, secrets.token_bytes(16))
    await client.send_unlock_code(started.unlock_id, mailbox.code(holder["email"], 1))
    with pytest.raises(WrongStep):
        await client.report_unlock_result(started.unlock_id, "card_error", "6982")
    for _ in range(5):
        await client.get_cryptogram(started.unlock_id, secrets.token_bytes(16))
        await client.report_unlock_result(started.unlock_id, "card_error", "6985")
    with pytest.raises(TooManyRequests) as spent:
        await client.get_cryptogram(started.unlock_id, secrets.token_bytes(16))
    assert spent.value.code == "too_many_attempts"
    await client.report_unlock_result(started.unlock_id, "unlocked", "9000")
    mailbox.wait_count(holder["email"], 2)


async def test_unlock_belongs_to_its_kiosk(
    client: ServiceClient,
    client_b: ServiceClient,
    live_service: RunningService,
    masters: MasterKeys,
) -> None:
    holder = live_service.holder("locked")
    started = await start_unlock(client, masters, holder)
    with pytest.raises(ServiceRejected) as other:
        await client_b.send_unlock_answers(started.unlock_id, right_answers(holder, started))
    assert other.value.status == 404 and other.value.code == "unknown_unlock"


# -- idempotency ----------------------------------------------------------------------------


async def raw_post(
    live: RunningService,
    path: str,
    body: dict[str, Any] | None = None,
    *,
    key: str | None = None,
    token: str | None = None,
    method: str = "POST",
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token or live.tokens['ward-7']}"}
    if key:
        headers["Idempotency-Key"] = key
    async with httpx.AsyncClient(base_url=live.url) as http:
        return await http.request(method, path, json=body, headers=headers)


async def test_same_key_twice_sends_one_mail_and_counts_once(
    client: ServiceClient,
    live_service: RunningService,
    masters: MasterKeys,
    mailbox: Mailbox,
    settings: ServiceSettings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    holder = live_service.holder("locked")
    started = await start_unlock(client, masters, holder)
    path = f"/v1/unlocks/{started.unlock_id}/answers"
    body = {"answers": wrong_answers(started)}
    first = await raw_post(live_service, path, body, key="k-wrong")
    again = await raw_post(live_service, path, body, key="k-wrong")
    assert first.status_code == again.status_code == 422
    assert first.json() == again.json() and again.json()["attempts_left"] == 2
    assert again.headers["content-type"].startswith("application/problem+json")
    assert ra_show(settings, holder["uuid"], capsys)["failed_attempts"] == 1

    body = {"answers": right_answers(holder, started)}
    ok = await raw_post(live_service, path, body, key="k-right")
    replay = await raw_post(live_service, path, body, key="k-right")
    assert ok.status_code == replay.status_code == 200 and ok.json() == replay.json()
    reused = await raw_post(
        live_service, f"/v1/unlocks/{started.unlock_id}/code", {"code": "12345678"}, key="k-right"
    )
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    changed = await raw_post(live_service, path, {"answers": wrong_answers(started)}, key="k-right")
    assert changed.json()["code"] == "idempotency_key_reused"
    code = mailbox.code(holder["email"], 1)
    assert len(mailbox.to(holder["email"])) == 1

    # Keys are per kiosk: another kiosk's identical key is its own request.
    other = await raw_post(
        live_service, path, body, key="k-right", token=live_service.tokens["ra-desk"]
    )
    assert other.status_code == 404

    await client.send_unlock_code(started.unlock_id, code)
    cpath = f"/v1/unlocks/{started.unlock_id}/cryptogram"
    challenge = secrets.token_hex(16)
    c1 = await raw_post(live_service, cpath, {"challenge": challenge}, key="k-crypt")
    c2 = await raw_post(live_service, cpath, {"challenge": challenge}, key="k-crypt")
    assert c1.status_code == c2.status_code == 200 and c1.json() == c2.json()
    for _ in range(4):  # the replay was not counted: four more are still allowed
        await client.get_cryptogram(started.unlock_id, secrets.token_bytes(16))


class LoseFirstAnswer(httpx.AsyncBaseTransport):
    """Delivers each request, but loses the first answer (as a dropped connection would)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.keys: list[str | None] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.keys.append(request.headers.get("Idempotency-Key"))
        response = await self.inner.handle_async_request(request)
        if len(self.keys) == 1:
            await response.aread()
            raise httpx.ReadError("connection lost", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_client_retry_reuses_its_key(
    live_service: RunningService, masters: MasterKeys, mailbox: Mailbox, client: ServiceClient
) -> None:
    holder = live_service.holder("locked")
    started = await start_unlock(client, masters, holder)
    transport = LoseFirstAnswer()
    async with ServiceClient(
        live_service.url,
        live_service.tokens["ward-7"],
        transport=transport,
        retries=2,
        backoff_initial=0.01,
    ) as flaky:
        sent = await flaky.send_unlock_answers(started.unlock_id, right_answers(holder, started))
    assert sent.code_sent_to == "a***@nhs.net"
    assert len(transport.keys) == 2 and transport.keys[0] == transport.keys[1] is not None
    mailbox.wait_count(holder["email"], 1)
    assert len(mailbox.to(holder["email"])) == 1


async def test_request_in_progress(live_service: RunningService) -> None:
    service = live_service.service
    kiosk = service.authenticate(live_service.tokens["ward-7"])
    assert service.idempotency_begin(kiosk, "busy", "POST", "/v1/audit", '{"events":[]}') is None
    response = await raw_post(live_service, "/v1/audit", {"events": []}, key="busy")
    assert response.status_code == 409 and response.json()["code"] == "request_in_progress"


# -- kiosks, keys, demo ----------------------------------------------------------------------


async def test_unknown_token(live_service: RunningService) -> None:
    async with ServiceClient(live_service.url, "not-a-kiosk") as stranger:
        with pytest.raises(KioskUnauthorized) as refused:
            await stranger.new_nonce()
        assert refused.value.status == 401
        assert (await stranger.health()).status == "ok"
    async with httpx.AsyncClient(base_url=live_service.url) as http:
        bare = await http.get("/v1/questions")
    assert bare.status_code == 401 and bare.json()["code"] == "unauthorized"
    assert bare.headers["content-type"].startswith("application/problem+json")


async def test_demo_token_and_dev_keys_need_demo_mode(
    live_service: RunningService, settings: ServiceSettings, tmp_path: Any, clock: MovableClock
) -> None:
    token = live_service.demo["kiosk_token"]
    async with ServiceClient(live_service.url, token) as demo_kiosk:
        with pytest.raises(KioskUnauthorized):
            await demo_kiosk.new_nonce()

    with pytest.raises(KeysRefused):
        create_app(settings.model_copy(update={"keys": DEV_KEYS_PATH}))
    with pytest.raises(KeysRefused):
        create_app(settings.model_copy(update={"keys": None}))
    with pytest.raises(KeysRefused):
        create_app(settings, masters=load_dev_keys())
    copied = write_master_keys(tmp_path / "copy.toml", load_dev_keys())
    assert cli_main(["serve", "--keys", str(copied), "--db", settings.db]) == 2

    demo_settings = settings.model_copy(update={"demo": True})
    demo = start_service(demo_settings, load_dev_keys(), clock)
    try:
        async with ServiceClient(demo.url, token) as demo_kiosk:
            assert (await demo_kiosk.new_nonce()).nonce
    finally:
        demo.stop()


async def test_mail_down_counts_nothing(
    settings: ServiceSettings, masters: MasterKeys, clock: MovableClock, tmp_path: Any
) -> None:
    from aiosmtpd.controller import Controller

    from tests.service.conftest import free_port

    port = free_port()  # nothing listens here yet
    down = start_service(settings.model_copy(update={"smtp_port": port}), masters, clock)
    holder = down.holder("locked")
    try:
        async with ServiceClient(down.url, down.tokens["ward-7"]) as c:
            started = await start_unlock(c, masters, holder)
            with pytest.raises(MailUnavailable) as unavailable:
                await c.send_unlock_answers(
                    started.unlock_id, right_answers(holder, started), idempotency_key="same"
                )
            assert unavailable.value.status == 503
            with pytest.raises(WrongAnswers) as wrong_once:
                await c.send_unlock_answers(started.unlock_id, wrong_answers(started))
            assert wrong_once.value.attempts_left == 2  # the 503 counted nothing

            box = Mailbox()
            smtp = Controller(box, hostname="127.0.0.1", port=port)
            smtp.start()
            try:
                # 5xx answers are not kept: the same key now runs for real.
                await c.send_unlock_answers(
                    started.unlock_id, right_answers(holder, started), idempotency_key="same"
                )
                box.wait_count(holder["email"], 1)
            finally:
                smtp.stop()
    finally:
        down.stop()


async def test_throttling(
    settings: ServiceSettings, masters: MasterKeys, clock: MovableClock
) -> None:
    tight = settings.model_copy(update={"throttle": Throttle(per_kiosk=600, per_card=2)})
    running = start_service(tight, masters, clock)
    holder = running.holder("locked")
    # Counts are per clock minute: start just after a minute turns, so the test
    # cannot straddle two windows.
    clock.advance(60 - clock().timestamp() % 60 + 0.5)
    try:
        async with ServiceClient(running.url, running.tokens["ward-7"]) as c:
            await start_unlock(c, masters, holder)
            await start_unlock(c, masters, holder)
            with pytest.raises(TooManyRequests) as throttled:
                await start_unlock(c, masters, holder)
            assert throttled.value.code == "too_many_requests"
            assert 0 < (throttled.value.retry_after or 0) <= 60
            clock.advance(60)
            await start_unlock(c, masters, holder)
    finally:
        running.stop()


async def test_questions_health_and_audit(
    client: ServiceClient, live_service: RunningService
) -> None:
    from contract.wire import AuditEvent

    catalogue = await client.questions()
    assert catalogue is not None and len(catalogue.questions) == 20
    assert [q.id for q in catalogue.questions] == [f"q{n:02d}" for n in range(1, 21)]
    assert await client.questions(etag=catalogue.etag) is None
    assert (await client.health()).version

    events = [
        AuditEvent(
            id=f"ev-{n}",
            at="2026-11-22T10:00:00Z",
            type="card_inserted",
            outcome="ok",
            serial="0102030405060701",
            uuid="555000000001",
            detail={"screen": "start", "pin": "483920"},
        )
        for n in range(2)
    ]
    first = await client.send_audit(events)
    assert (first.accepted, first.duplicates) == (2, 0)
    again = await client.send_audit(events)
    assert (again.accepted, again.duplicates) == (0, 2)
    records = [r for r in live_service.service.export_audit() if r["source"] == "kiosk"]
    assert [r["event_id"] for r in records] == ["ev-0", "ev-1"]
    assert records[0]["kiosk"] == "ward-7" and records[0]["detail"] == {"screen": "start"}


async def test_registration_never_clears_a_lock(
    client: ServiceClient, live_service: RunningService, masters: MasterKeys, mailbox: Mailbox
) -> None:
    holder = live_service.holder("working")
    for _ in range(3):
        started = await start_unlock(client, masters, holder)
        with pytest.raises((WrongAnswers, SelfServiceLockedError)):
            await client.send_unlock_answers(started.unlock_id, wrong_answers(started))
    reg = await start_registration(client, masters, holder)
    await client.send_registration_answers(
        reg.registration_id, {"q01": "abc", "q02": "def", "q03": "ghi", "q04": "jkl"}
    )
    await client.confirm_registration(reg.registration_id, mailbox.code(holder["email"], 1))
    with pytest.raises(SelfServiceLockedError):
        await start_unlock(client, masters, holder)


async def test_gateway_errors_are_retried_then_unreachable() -> None:
    calls: list[str | None] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers.get("Idempotency-Key"))
        return httpx.Response(502, text="<html>bad gateway</html>")

    async with ServiceClient(
        "http://service.invalid",
        "t",
        transport=httpx.MockTransport(gateway),
        retries=2,
        backoff_initial=0.01,
    ) as c:
        with pytest.raises(ServiceUnreachableError):
            await c.new_nonce()
    assert len(calls) == 3 and len(set(calls)) == 1


async def test_unreachable_service() -> None:
    from tests.service.conftest import free_port

    async with ServiceClient(
        f"http://127.0.0.1:{free_port()}", "t", retries=1, backoff_initial=0.01, timeout=2
    ) as c:
        with pytest.raises(ServiceUnreachableError):
            await c.health()


async def test_same_key_returns_the_same_nonce(live_service: RunningService) -> None:
    first = await raw_post(live_service, "/v1/nonces", key="n-1")
    again = await raw_post(live_service, "/v1/nonces", key="n-1")
    other = await raw_post(live_service, "/v1/nonces", key="n-2")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() != other.json()


@pytest.mark.parametrize(
    ("email", "approved"),
    [
        ("j.bloggs@nhs.net", True),
        ("J.Bloggs@NHS.NET", True),
        ("someone@dwp.gov.uk", True),
        ("someone@a.b.mod.uk", True),
        ("someone@nhs.net.evil.com", False),
        ("someone@evilnhs.net", False),
        ("a@b@nhs.net", False),
        ("@nhs.net", False),
        ("no-at-sign", False),
        ("sp ace@nhs.net", False),
    ],
)
def test_approved_domains(email: str, approved: bool) -> None:
    from service.secrecy import email_domain_approved

    assert email_domain_approved(email, ["nhs.net", "gov.uk", "mod.uk"]) is approved


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("  Moby   Dick ", "moby dick"),
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),
        ("\uff26\uff49\uff44\uff4f", "fido"),  # full-width letters (NFKC)
        ("tab\there\nnewline", "tab here newline"),
    ],
)
def test_answer_normalisation(raw: str, normal: str) -> None:
    from service.secrecy import normalise_answer

    assert normalise_answer(raw) == normal


async def test_malformed_answers_are_service_errors() -> None:
    from kiosk.service_client import ServiceError

    def odd(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json={"surprise": True})

    async with ServiceClient(
        "http://service.invalid", "t", transport=httpx.MockTransport(odd)
    ) as c:
        with pytest.raises(ServiceError):
            await c.new_nonce()


def test_normalisation_is_stable_and_hashes_agree() -> None:
    from hypothesis import given
    from hypothesis import settings as hsettings
    from hypothesis import strategies as st

    from service.secrecy import AnswerHasher, normalise_answer

    hasher = AnswerHasher(time_cost=1, memory_cost=8, parallelism=1)

    @given(st.text(max_size=40))
    @hsettings(max_examples=60, deadline=None, database=None)
    def stable(text: str) -> None:
        once = normalise_answer(text)
        assert normalise_answer(once) == once
        assert once == once.strip() and "  " not in once

    @given(st.text(alphabet=st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=20))
    @hsettings(max_examples=15, deadline=None, database=None)
    def same_answer(text: str) -> None:
        stored = hasher.hash(text)
        assert hasher.verify(stored, "  " + text.upper() + " ") == (
            normalise_answer(text.upper()) == normalise_answer(text)
        )
        assert hasher.verify(stored, text)

    stable()
    same_answer()


async def test_malformed_requests_never_echo_the_input(live_service: RunningService) -> None:
    secret = "7" * 65
    response = await raw_post(live_service, "/v1/unlocks/abc/code", {"code": secret})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "request_invalid" and secret not in response.text
    long_answer = "hunter2 " * 200
    response = await raw_post(
        live_service, "/v1/unlocks/abc/answers", {"answers": {"q01": long_answer}}
    )
    assert response.status_code == 422 and "hunter2" not in response.text

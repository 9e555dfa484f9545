"""The deployment's unlock policy (docs/api.md "Policies"), over real HTTP on both stores.

Codes are read from what the loopback Notify stand-in or the SMTP catcher received:
emails and texts alike. Every unlock ends with a notice on every channel on record.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from card.keys import MasterKeys
from contract.codes import digits_of, group_code
from kiosk.service_client import (
    Expired,
    MailUnavailable,
    NotRegisteredError,
    ServiceClient,
    ServiceRejected,
    WrongCode,
    WrongStep,
)
from service.domain import notices
from service.settings import Notify, ServiceSettings
from tests.service.conftest import Mailbox, MovableClock, RunningService, card_mac, start_service
from tests.service.holder_steps import start_unlock
from tests.service.notify_standin import NotifyStandIn, NotifyTemplate, serve_notify_keyed

CODE_FIELDS = ("name", "code", "expires_at", "ra_contact")
NOTICE_FIELDS = ("name", "kiosk", "time", "ra_contact")
IDS = {
    name: str(uuid.uuid4())
    for name in (
        "unlock-code",
        "registration-code",
        "unlock-notice",
        "unlock-code-sms",
        "registration-code-sms",
        "unlock-notice-sms",
    )
}
TEMPLATES = {
    IDS["unlock-code"]: NotifyTemplate("email", CODE_FIELDS),
    IDS["registration-code"]: NotifyTemplate("email", CODE_FIELDS),
    IDS["unlock-notice"]: NotifyTemplate("email", NOTICE_FIELDS),
    IDS["unlock-code-sms"]: NotifyTemplate("sms", CODE_FIELDS),
    IDS["registration-code-sms"]: NotifyTemplate("sms", CODE_FIELDS),
    IDS["unlock-notice-sms"]: NotifyTemplate("sms", NOTICE_FIELDS),
}
GATEWAY = "sms.test.invalid"


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[tuple[NotifyStandIn, Path]]:
    key_file = tmp_path / "notify.key"
    with serve_notify_keyed(TEMPLATES, key_file) as running:
        yield running, key_file


def on_notify(
    settings: ServiceSettings,
    standin: tuple[NotifyStandIn, Path],
    timeout: float = 5.0,
    **policy: Any,
) -> ServiceSettings:
    running, key_file = standin
    notify = Notify(
        api_key_file=key_file,
        base_url=running.url,
        timeout=timeout,
        attempts=1,
        unlock_code_email=IDS["unlock-code"],
        registration_code_email=IDS["registration-code"],
        unlock_notice_email=IDS["unlock-notice"],
        unlock_code_sms=IDS["unlock-code-sms"],
        registration_code_sms=IDS["registration-code-sms"],
        unlock_notice_sms=IDS["unlock-notice-sms"],
    )
    values = settings.model_dump() | {"mail_channel": "notify", "notify": notify} | policy
    return ServiceSettings(**values)


def on_smtp(settings: ServiceSettings, **policy: Any) -> ServiceSettings:
    values = settings.model_dump() | {"sms_gateway_domain": GATEWAY} | policy
    return ServiceSettings(**values)


def masked(holder: dict[str, Any]) -> str:
    return f"{holder['email'][0]}***@{holder['email'].partition('@')[2]}"


def text_code(standin: NotifyStandIn, mobile: str, count: int) -> str:
    """The code in the count-th text to mobile, as typed (the text shows it grouped)."""
    return digits_of(str(_wait_texts(standin, mobile, count)[count - 1].personalisation["code"]))


def _wait_texts(standin: NotifyStandIn, mobile: str, count: int) -> list[Any]:
    from tests.service.conftest import wait_for

    return wait_for(  # type: ignore[no-any-return]
        lambda: (lambda got: got if len(got) >= count else None)(standin.texts_to(mobile)),
        what=f"{count} texts to {mobile}",
    )


async def finish(c: ServiceClient, unlock_id: str) -> None:
    await c.get_cryptogram(unlock_id, b"\x01" * 16)
    await c.report_unlock_result(unlock_id, "unlocked", 0x9000)


def serve(settings: ServiceSettings, masters: MasterKeys, clock: MovableClock) -> RunningService:
    return start_service(settings, masters, clock)


@asynccontextmanager
async def served(
    settings: ServiceSettings, masters: MasterKeys, clock: MovableClock, timeout: float = 5.0
) -> AsyncIterator[tuple[RunningService, ServiceClient]]:
    """The service under `settings` on loopback, and kiosk ward-7's client for it (giving
    up after `timeout` seconds); the service stopped after."""
    with serve(settings, masters, clock) as running:
        async with ServiceClient(running.url, running.tokens["ward-7"], timeout=timeout) as c:
            yield running, c


# -- settings ---------------------------------------------------------------------------------


def test_old_questions_setting_loads_when_true_and_is_refused_clearly_when_false(
    settings: ServiceSettings,
) -> None:
    assert ServiceSettings(questions_required=True).policy == "questions"
    with pytest.raises(ValidationError) as refused:
        ServiceSettings(questions_required=False)
    assert 'policy = "national-2023"' in str(refused.value)
    assert ServiceSettings(policy="national-2023").texts_possible is False  # email only
    with pytest.raises(ValidationError) as no_texts:
        ServiceSettings(policy="two-channel")
    assert "sms_gateway_domain" in str(no_texts.value)
    with pytest.raises(ValidationError):
        ServiceSettings(policy="national-2023", sms_gateway_domain=GATEWAY, sms_code_minutes=11)


# -- national-2023 --------------------------------------------------------------------------


async def test_national_2023_unregistered_holder_chooses_text_and_is_told_everywhere(
    settings: ServiceSettings,
    standin: tuple[NotifyStandIn, Path],
    masters: MasterKeys,
    clock: MovableClock,
) -> None:
    notify = standin[0]
    chosen = on_notify(settings, standin, policy="national-2023")
    async with served(chosen, masters, clock) as (running, c):
        holder = running.holder("unregistered")  # no registration needed under this policy
        started = await start_unlock(c, masters, holder)
        assert started.next == "channel" and started.questions == ()
        assert started.policy == "national-2023"
        assert started.channels == (("email", masked(holder)), ("sms", "07*** ***003"))
        assert notify.received == []  # nothing sent before the holder chooses
        with pytest.raises(WrongStep):
            await c.send_unlock_code(started.unlock_id, "12345678")
        sent = await c.choose_unlock_channel(started.unlock_id, "sms")
        assert sent.code_sent_to == "07*** ***003"
        # A texted code lives 10 minutes, not 15.
        assert 598 <= (sent.code_expires_at - clock()).total_seconds() <= 600
        with pytest.raises(WrongStep):
            await c.choose_unlock_channel(started.unlock_id, "email")
        await c.send_unlock_code(started.unlock_id, text_code(notify, holder["mobile"], 1))
        await finish(c, started.unlock_id)
        # The notice goes by every channel on record, saying whom to call.
        [notice_mail] = notify.wait_count(holder["email"], 1)
        assert notice_mail.template_id == IDS["unlock-notice"]
        texts = _wait_texts(notify, holder["mobile"], 2)
        assert texts[1].template_id == IDS["unlock-notice-sms"]
        assert "0300 555 0100" in texts[1].personalisation["ra_contact"]
        assert notify.emails_to(holder["email"])[0].template_id == IDS["unlock-notice"]


async def test_national_2023_texted_code_expires_after_its_minutes(
    settings: ServiceSettings,
    standin: tuple[NotifyStandIn, Path],
    masters: MasterKeys,
    clock: MovableClock,
) -> None:
    notify = standin[0]
    chosen = on_notify(settings, standin, policy="national-2023", sms_code_minutes=5)
    async with served(chosen, masters, clock) as (running, c):
        holder = running.holder("locked")
        started = await start_unlock(c, masters, holder)
        await c.choose_unlock_channel(started.unlock_id, "sms")
        code = text_code(notify, holder["mobile"], 1)
        clock.advance(5 * 60 + 1)
        with pytest.raises(Expired) as lapsed:
            await c.send_unlock_code(started.unlock_id, code)
        assert lapsed.value.code == "code_expired"
        # The emailed choice still lives 15 minutes on another unlock.
        again = await start_unlock(c, masters, holder)
        mailed = await c.choose_unlock_channel(again.unlock_id, "email")
        assert 898 <= (mailed.code_expires_at - clock()).total_seconds() <= 900


async def test_national_2023_notify_refusing_or_down_counts_nothing(
    settings: ServiceSettings,
    standin: tuple[NotifyStandIn, Path],
    masters: MasterKeys,
    clock: MovableClock,
) -> None:
    notify = standin[0]
    chosen = on_notify(settings, standin, timeout=1.0, policy="national-2023")
    async with served(chosen, masters, clock, timeout=10.0) as (running, c):
        holder = running.holder("locked")
        started = await start_unlock(c, masters, holder)
        for status in (400, 500):  # refusing, then down (one try configured)
            notify.fail_next(status)
            with pytest.raises(MailUnavailable):
                await c.choose_unlock_channel(started.unlock_id, "sms")
        # Slow: Notify sits on the text past the service's timeout.
        notify.delay = 2.0
        with pytest.raises(MailUnavailable):
            await c.choose_unlock_channel(started.unlock_id, "sms")
        notify.delay = 0.0
        # Notify took that text in the end (too late): its code was never stored.
        _wait_texts(notify, holder["mobile"], 1)
        # Nothing changed: the holder can still choose, and the new code works.
        await c.choose_unlock_channel(started.unlock_id, "sms")
        await c.send_unlock_code(started.unlock_id, text_code(notify, holder["mobile"], 2))
        # The notice refused: nothing recorded, the result can be sent again.
        await c.get_cryptogram(started.unlock_id, b"\x01" * 16)
        notify.fail_next(500)
        with pytest.raises(MailUnavailable):
            await c.report_unlock_result(started.unlock_id, "unlocked", 0x9000)
        await c.report_unlock_result(started.unlock_id, "unlocked", 0x9000)
        assert len(notify.wait_count(holder["email"], 1)) == 1
        assert len(_wait_texts(notify, holder["mobile"], 3)) == 3


async def test_national_2023_without_texts_sends_the_email_code_at_once(
    settings: ServiceSettings, mailbox: Mailbox, masters: MasterKeys, clock: MovableClock
) -> None:
    # No text route on this deployment: email is the one channel, so no choice is asked.
    async with served(
        ServiceSettings(**(settings.model_dump() | {"policy": "national-2023"})), masters, clock
    ) as (running, c):
        holder = running.holder("unregistered")
        started = await start_unlock(c, masters, holder)
        assert (started.next, started.code_sent_to) == ("code", masked(holder))
        with pytest.raises(WrongStep):
            await c.choose_unlock_channel(started.unlock_id, "sms")
        await c.send_unlock_code(started.unlock_id, mailbox.code(holder["email"], 1))
        await finish(c, started.unlock_id)
        assert "unlocked" in str(mailbox.wait_count(holder["email"], 2)[1]["Subject"])


# -- two-channel ------------------------------------------------------------------------------


async def test_two_channel_needs_both_codes_and_counts_each(
    settings: ServiceSettings, mailbox: Mailbox, masters: MasterKeys, clock: MovableClock
) -> None:
    async with served(on_smtp(settings, policy="two-channel"), masters, clock) as (running, c):
        holder = running.holder("unregistered")
        text_to = f"{holder['mobile']}@{GATEWAY}"
        started = await start_unlock(c, masters, holder)
        assert started.next == "code" and started.policy == "two-channel"
        assert started.code_sent_to == masked(holder)
        assert started.text_sent_to == "07*** ***003"
        emailed = mailbox.code(holder["email"], 1)
        texted = mailbox.code(text_to, 1)
        assert emailed != texted
        # One code alone is bad input: refused, nothing counted.
        with pytest.raises(ServiceRejected) as alone:
            await c.send_unlock_code(started.unlock_id, emailed)
        assert (alone.value.status, alone.value.code) == (422, "request_invalid")
        # A wrong texted code costs the texted code a try, and only it.
        wrong = "00000000" if texted != "00000000" else "11111111"
        with pytest.raises(WrongCode) as one:
            await c.send_unlock_code(started.unlock_id, emailed, text_code=wrong)
        assert one.value.tries_left == 2
        assert one.value.extras["wrong_codes"] == ["sms"]
        with pytest.raises(WrongCode) as two:
            await c.send_unlock_code(started.unlock_id, wrong, text_code=wrong)
        assert two.value.tries_left == 1
        assert two.value.extras["wrong_codes"] == ["email", "sms"]
        # The right email code was not used up by the wrong text beside it.
        await c.send_unlock_code(started.unlock_id, emailed, text_code=texted)
        await finish(c, started.unlock_id)
        notice = mailbox.wait_count(holder["email"], 2)[1]
        assert "unlocked" in str(notice["Subject"])
        text_notice = mailbox.wait_count(text_to, 2)[1]
        assert b"Not you?" in text_notice.get_payload(decode=True)


async def test_two_channel_third_wrong_text_voids_and_resend_sends_both(
    settings: ServiceSettings, mailbox: Mailbox, masters: MasterKeys, clock: MovableClock
) -> None:
    async with served(on_smtp(settings, policy="two-channel"), masters, clock) as (running, c):
        holder = running.holder("locked")
        text_to = f"{holder['mobile']}@{GATEWAY}"
        started = await start_unlock(c, masters, holder)
        emailed = mailbox.code(holder["email"], 1)
        clock.advance(61)
        resent = await c.resend_unlock_code(started.unlock_id)
        assert resent.text_sent_to == "07*** ***001"
        assert resent.text_expires_at is not None
        assert 598 <= (resent.text_expires_at - clock()).total_seconds() <= 600
        new_email, new_text = mailbox.code(holder["email"], 2), mailbox.code(text_to, 2)
        with pytest.raises(WrongCode):
            await c.send_unlock_code(started.unlock_id, emailed, text_code=new_text)
        bad = "00000000" if new_text != "00000000" else "11111111"
        for left in (2, 1):
            with pytest.raises(WrongCode) as wrong:
                await c.send_unlock_code(started.unlock_id, new_email, text_code=bad)
            assert wrong.value.tries_left == left
        with pytest.raises(Expired):
            await c.send_unlock_code(started.unlock_id, new_email, text_code=bad)
        with pytest.raises(Expired) as void:
            await c.send_unlock_code(started.unlock_id, new_email, text_code=new_text)
        assert void.value.code == "code_void"


async def test_two_channel_with_questions_sends_both_codes_after_the_answers(
    settings: ServiceSettings, mailbox: Mailbox, masters: MasterKeys, clock: MovableClock
) -> None:
    chosen = on_smtp(settings, policy="two-channel", two_channel_questions=True)
    async with served(chosen, masters, clock) as (running, c):
        holder = running.holder("locked")
        with pytest.raises(NotRegisteredError):
            await start_unlock(c, masters, running.holder("unregistered"))
        started = await start_unlock(c, masters, holder)
        assert started.next == "answers" and len(started.questions) == 3
        answers = {q.id: holder["answers"][q.id] for q in started.questions}
        sent = await c.send_unlock_answers(started.unlock_id, answers)
        assert sent.text_sent_to == "07*** ***001"
        emailed = mailbox.code(holder["email"], 1)
        texted = mailbox.code(f"{holder['mobile']}@{GATEWAY}", 1)
        await c.send_unlock_code(started.unlock_id, emailed, text_code=texted)
        await finish(c, started.unlock_id)


async def test_questions_policy_unchanged_and_notice_goes_by_text_where_texts_can_go(
    settings: ServiceSettings, mailbox: Mailbox, masters: MasterKeys, clock: MovableClock
) -> None:
    async with served(on_smtp(settings), masters, clock) as (running, c):
        holder = running.holder("locked")
        started = await start_unlock(c, masters, holder)
        assert started.next == "answers" and started.policy == "questions"
        answers = {q.id: holder["answers"][q.id] for q in started.questions}
        sent = await c.send_unlock_answers(started.unlock_id, answers)
        assert sent.text_sent_to is None
        await c.send_unlock_code(started.unlock_id, mailbox.code(holder["email"], 1))
        await finish(c, started.unlock_id)
        mailbox.wait_count(holder["email"], 2)
        mailbox.wait_count(f"{holder['mobile']}@{GATEWAY}", 1)


async def test_a_change_of_contact_details_is_told_by_email_and_by_text(
    settings: ServiceSettings, mailbox: Mailbox, masters: MasterKeys, clock: MovableClock
) -> None:
    running = serve(on_smtp(settings), masters, clock)
    holder = running.holder("locked")  # registered, at its old email and mobile
    try:
        async with ServiceClient(running.url, running.tokens["ward-7"], timeout=5.0) as c:
            nonce = await c.new_nonce()
            mac = card_mac(masters, holder["serial"], nonce.nonce, key="holder_auth")
            new_address = "someone.else@nhs.net"
            started = await c.start_registration(
                holder["serial"],
                holder["uuid"],
                nonce.nonce,
                mac,
                new_address,
                "07700900123",
                "2026-11",
            )
            answers = {"q03": "Jo Bloggs", "q07": "moby dick", "q11": "Rae", "q20": "ward 9"}
            await c.send_registration_answers(started.registration_id, answers)
            await c.confirm_registration(started.registration_id, mailbox.code(new_address, 1))
        assert notices.deliver_due(running.service) == 2
        [told] = mailbox.wait_count(holder["email"], 1)
        assert "changed" in str(told["Subject"])
        [texted] = mailbox.wait_count(f"{holder['mobile']}@{GATEWAY}", 1)
        body = texted.get_payload(decode=True)
        assert b"details were changed" in body and b"0300 555 0100" in body
        assert b"someone.else" not in body
    finally:
        running.stop()


POLICY_ANSWERS = {
    "questions": ({"policy": "questions"}, True, True),
    "national-2023": ({"policy": "national-2023"}, False, True),
    "national-2023 without texts": (
        {"policy": "national-2023", "sms_gateway_domain": None},
        False,
        False,
    ),
    "two-channel": ({"policy": "two-channel"}, False, True),
    "two-channel with questions": (
        {"policy": "two-channel", "two_channel_questions": True},
        True,
        True,
    ),
}


@pytest.mark.parametrize(
    ("chosen", "needed", "texts"), POLICY_ANSWERS.values(), ids=POLICY_ANSWERS.keys()
)
async def test_the_policy_endpoint_says_what_unlocking_takes_to_a_kiosk_only(
    settings: ServiceSettings,
    masters: MasterKeys,
    clock: MovableClock,
    chosen: dict[str, Any],
    needed: bool,
    texts: bool,
) -> None:
    async with served(on_smtp(settings, **chosen), masters, clock) as (running, c):
        told = await c.policy()
        assert (told.policy, told.registration_needed, told.texts) == (
            chosen["policy"],
            needed,
            texts,
        )
        async with ServiceClient(running.url, "not-a-kiosk-token", timeout=5.0) as stranger:
            with pytest.raises(ServiceRejected) as refused:
                await stranger.policy()
    assert refused.value.status == 401


@pytest.mark.parametrize("policy", ["questions", "national-2023", "two-channel"])
async def test_a_confirmed_registration_names_the_policy_so_the_kiosk_can_say_what_unlocking_takes(
    settings: ServiceSettings,
    mailbox: Mailbox,
    masters: MasterKeys,
    clock: MovableClock,
    policy: str,
) -> None:
    running = serve(on_smtp(settings, policy=policy), masters, clock)
    holder = running.holder("locked")
    try:
        async with ServiceClient(running.url, running.tokens["ward-7"], timeout=5.0) as c:
            nonce = await c.new_nonce()
            mac = card_mac(masters, holder["serial"], nonce.nonce, key="holder_auth")
            started = await c.start_registration(
                holder["serial"], holder["uuid"], nonce.nonce, mac, holder["email"],
                "07700900123", "2026-11",
            )  # fmt: skip
            answers = {"q03": "Jo Bloggs", "q07": "moby dick", "q11": "Rae", "q20": "ward 9"}
            await c.send_registration_answers(started.registration_id, answers)
            code = mailbox.code(holder["email"], 1)
            said = [
                # The second is a repeat under the same key: the kept answer, policy and all.
                await c.confirm_registration(started.registration_id, code, idempotency_key="k1")
                for _ in range(2)
            ]
        assert said == [policy, policy]
    finally:
        running.stop()


async def test_two_channel_partial_send_keeps_the_code_that_went_and_resends_only_the_owed(
    settings: ServiceSettings,
    standin: tuple[NotifyStandIn, Path],
    masters: MasterKeys,
    clock: MovableClock,
) -> None:
    """Notify refuses the text but takes the email: the emailed code is kept (never voided,
    re-sent or re-counted), the text is owed; a resend sends only the text and is not one
    of the 3 resends. Both channels down: nothing is written, as before."""
    notify = standin[0]
    async with served(
        on_notify(settings, standin, policy="two-channel"), masters, clock, timeout=10.0
    ) as (running, c):
        holder = running.holder("locked")
        notify.fail_next(500, kind="sms")
        notify.fail_next(500, kind="email")
        with pytest.raises(MailUnavailable):
            await start_unlock(c, masters, holder)  # both down: nothing written
        notify.fail_next(500, kind="sms")
        started = await start_unlock(c, masters, holder)
        assert started.next == "code" and started.text_sent_to == "07*** ***001"
        assert started.not_sent == ("sms",)
        emailed = notify.code(holder["email"], 1)
        assert notify.texts_to(holder["mobile"]) == []
        # The texted code was never sent: nothing to check, nothing counted.
        with pytest.raises(Expired) as never:
            await c.send_unlock_code(started.unlock_id, emailed, text_code="12345678")
        assert never.value.code == "code_expired"
        clock.advance(61)
        resent = await c.resend_unlock_code(started.unlock_id)
        assert resent.text_sent_to == "07*** ***001" and resent.not_sent == ()
        # The RA manager's report counts the start refused with both channels down
        # (mail_not_sent) and the text owed by the next start, but not the resend that
        # delivered it.
        today = clock().date()
        assert running.service.report(today, today).totals.codes_not_delivered == 2
        texted = text_code(notify, holder["mobile"], 1)
        assert len(notify.emails_to(holder["email"])) == 1  # the email was not sent again
        # The emailed code kept its tries: a wrong text costs the text alone.
        wrong = "00000000" if texted != "00000000" else "11111111"
        with pytest.raises(WrongCode) as one:
            await c.send_unlock_code(started.unlock_id, emailed, text_code=wrong)
        assert one.value.extras["wrong_codes"] == ["sms"] and one.value.tries_left == 2
        # Sending the owed text was not one of the 3 resends.
        for _ in range(3):
            clock.advance(61)
            await c.resend_unlock_code(started.unlock_id)
        assert len(notify.emails_to(holder["email"])) == 4
        emailed = notify.code(holder["email"], 4)
        texted = text_code(notify, holder["mobile"], 4)
        await c.send_unlock_code(started.unlock_id, emailed, text_code=texted)
        await finish(c, started.unlock_id)


async def test_the_paused_notice_goes_by_email_and_by_text(
    settings: ServiceSettings, mailbox: Mailbox, masters: MasterKeys, clock: MovableClock
) -> None:
    """Wrong codes pause self-service; the holder is told on every channel on record, the
    text through the SMTP gateway, neither with a code in it (issue 18: notices everywhere)."""
    from service.housekeeping import Housekeeping
    from service.settings import CodeGuesses

    chosen = on_smtp(
        settings, policy="two-channel", code_guesses=CodeGuesses(per_holder=4, window=3600.0)
    )
    running = serve(chosen, masters, clock)
    housekeeping = Housekeeping(running.service)
    housekeeping.start()
    holder = running.holder("locked")
    text_to = f"{holder['mobile']}@{GATEWAY}"
    try:
        async with ServiceClient(running.url, running.tokens["ward-7"], timeout=5.0) as c:
            started = await start_unlock(c, masters, holder)
            sent = {mailbox.code(holder["email"], 1), mailbox.code(text_to, 1)}
            wrong = next(f"{n:08d}" for n in range(10) if f"{n:08d}" not in sent)
            with pytest.raises(WrongCode):  # two wrong codes: two counted
                await c.send_unlock_code(started.unlock_id, wrong, text_code=wrong)
            with pytest.raises(ServiceRejected) as paused:  # four: paused
                await c.send_unlock_code(started.unlock_id, wrong, text_code=wrong)
            assert paused.value.code == "self_service_paused"
            emailed = [
                m for m in mailbox.wait_count(holder["email"], 2) if "paused" in m["Subject"]
            ]
            texted = mailbox.wait_count(text_to, 2)[1]
            assert len(emailed) == 1
            body = texted.get_payload(decode=True).decode()
            assert "self-service is paused until" in body and "Not you?" in body
            assert not any(c in body for code in sent for c in (code, group_code(code)))
    finally:
        housekeeping.stop()
        running.stop()

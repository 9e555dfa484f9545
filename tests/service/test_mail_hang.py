"""A mail relay that accepts a connection and then says nothing.

A black-holed relay is a realistic fault (a firewall change, a relay out of
workers). The holder whose code is being mailed waits for it, up to the mail
timeout, and then gets `mail_unavailable` with nothing counted; every other
kiosk must be answered meanwhile. On SQLite there is one write lock, so a mail
sent while it is held stops every request of every kiosk.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import Connection, insert, select

from card.keys import MasterKeys
from contract.contacts import RaContacts
from kiosk.service_client import Expired, MailUnavailable, ServiceClient
from service.api.errors import problem_for
from service.domain.errors import Refusal
from service.mailing import Pass
from service.settings import ServiceSettings
from service.tables import audit
from tests.service.conftest import (
    CHEAP_ARGON2,
    Mailbox,
    MovableClock,
    RunningService,
    start_service,
)
from tests.service.holder_steps import right_answers, start_unlock
from tests.support import BlackHole

#: Long enough that a request queued behind the hanging mail cannot finish inside
#: OTHER_KIOSK_BOUND by waiting for the relay to time out.
RELAY_TIMEOUT = 60.0
OTHER_KIOSK_BOUND = 40.0


@pytest.fixture
def relay() -> Iterator[BlackHole]:
    """A mail relay that takes connections and never answers, until closed."""
    r = BlackHole()
    yield r
    r.close()


async def test_a_silent_relay_holds_up_only_the_holder_waiting_for_mail(
    relay: BlackHole, db_url: str, masters: MasterKeys, clock: MovableClock, tmp_path: Path
) -> None:
    settings = ServiceSettings(
        db=db_url,
        smtp_host="127.0.0.1",
        smtp_port=relay.port,
        smtp_timeout=RELAY_TIMEOUT,
        ra_contacts=RaContacts(organisation="the RA team", phone="0300 555 0100"),
        argon2=CHEAP_ARGON2,
    )
    running = start_service(settings, masters, clock)
    waiting = ServiceClient(running.url, running.tokens["ward-7"], timeout=120.0, retries=0)
    other = ServiceClient(running.url, running.tokens["ra-desk"], timeout=120.0, retries=0)
    try:
        holder = running.holder("locked")
        started = await start_unlock(waiting, masters, holder)
        answers = right_answers(holder, started)
        mailing = asyncio.create_task(waiting.send_unlock_answers(started.unlock_id, answers))
        assert await asyncio.to_thread(relay.accepted.wait, 20), "the service never mailed"

        # The relay now holds the first holder's code. Another kiosk carries on:
        # the question list, a nonce and a whole unlock start of another holder.
        async def other_kiosk() -> None:
            await other.questions()
            other_holder = running.holder("working")
            other_started = await start_unlock(other, masters, other_holder)
            assert other_started.next == "answers"

        await asyncio.wait_for(other_kiosk(), OTHER_KIOSK_BOUND)
        assert not mailing.done(), "the relay let go too early: the check proved nothing"

        relay.close()  # hang up on everyone: the service's mail fails at once
        with pytest.raises(MailUnavailable):
            await mailing
        # Nothing was counted: the same answers are still expected and accepted.
        with pytest.raises(MailUnavailable):
            await waiting.send_unlock_answers(started.unlock_id, answers)  # relay gone now
    finally:
        await waiting.aclose()
        await other.aclose()
        running.stop()


class MeddlingMailer:
    """Hands mail to the real relay, but first lets `meddle` change the store once.

    This is how another request looks from inside a mailing step: it runs while
    the mail is out and no transaction is open.
    """

    def __init__(self, relay: object, meddle: Callable[[], None]) -> None:
        self.relay = relay
        self.meddle: Callable[[], None] | None = meddle

    def send(self, to: str, template: str, **values: str) -> None:
        meddle, self.meddle = self.meddle, None
        if meddle is not None:
            meddle()
        self.relay.send(to, template, **values)  # type: ignore[attr-defined]


async def test_a_step_changed_while_its_mail_was_out_is_checked_again(
    client: ServiceClient,
    live_service: RunningService,
    masters: MasterKeys,
    mailbox: Mailbox,
    clock: MovableClock,
) -> None:
    service = live_service.service
    kiosk = service.authenticate(live_service.tokens["ward-7"])
    holder = live_service.holder("locked")
    started = await start_unlock(client, masters, holder)
    await client.send_unlock_answers(started.unlock_id, right_answers(holder, started))
    first_code = mailbox.code(holder["email"], 1)
    clock.advance(61)  # past the resend interval

    def three_wrong_codes() -> None:
        for _ in range(3):
            with contextlib.suppress(Refusal):
                service.unlock_code(kiosk, started.unlock_id, "00000000")

    service.mailer = MeddlingMailer(service.mailer, three_wrong_codes)  # type: ignore[assignment]
    # The resend was planned against a live code; while its mail was out the code
    # was voided, so the resend is refused as it would have been, not recorded.
    with pytest.raises(Expired) as refused:
        await client.resend_unlock_code(started.unlock_id)
    assert refused.value.code == "code_void"
    with pytest.raises(Expired):
        await client.send_unlock_code(started.unlock_id, first_code)


def test_a_mailing_step_that_changes_its_mind_writes_nothing(
    live_service: RunningService,
) -> None:
    service = live_service.service
    runs: list[int] = []

    def body(conn: Connection, out: Pass) -> str:
        runs.append(1)
        conn.execute(
            insert(audit).values(
                event_id=None,
                at="2026-11-22T00:00:00Z",
                recorded_at=0.0,
                source="test",
                kiosk=None,
                type="meddled",
                uuid=None,
                serial=None,
                outcome="ok",
                detail="{}",
            )
        )
        out.send(f"holder{len(runs)}@nhs.net", "unlock-code", code=out.code())
        return "done"

    sent: list[str] = []
    service.mailer = SimpleNamespace(send=lambda to, *_a, **_k: sent.append(to))  # type: ignore[assignment]
    with pytest.raises(Refusal) as overtaken:
        service.mailing(body)
    problem = problem_for(overtaken.value)
    assert (problem.status, problem.code) == (409, "wrong_step")
    assert sent == ["holder1@nhs.net"] and len(runs) == 2
    with service.engine.connect() as conn:
        assert conn.execute(select(audit).where(audit.c.type == "meddled")).first() is None


def test_a_second_run_replays_the_first_runs_draws() -> None:
    first = Pass()
    drawn = (first.new_id(), first.code())
    first.send("a@nhs.net", "unlock-code", code=drawn[1])
    again = Pass(replaying=first)
    assert (again.new_id(), again.code()) == drawn
    again.send("a@nhs.net", "unlock-code", code=drawn[1])
    assert again.mails == first.mails
    assert drawn[1] not in repr(first.mails)  # a mail's values (the code) stay out of logs

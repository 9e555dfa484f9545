"""Notices nobody can suppress (issue 13 item 11).

- A kiosk that takes the cryptogram and never reports a result used to leave the
  holder unaware that their card may have been unlocked. Now the first
  cryptogram owes the holder a notice, due `notices.unreported_after` seconds
  later; an "unlocked" result cancels it (its own notice goes instead), anything
  else lets it go. It is sent by the notice sweep: when an instance starts, as
  soon as a transaction owes one, and every 30 s.
- Re-registering to a new address tells the old address as well.
Over real HTTP and SMTP on loopback, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from email.message import Message

import pytest

from card.keys import MasterKeys
from kiosk.service_client import ServiceClient
from service.domain import notices
from service.domain.errors import MailNotSent
from service.housekeeping import Housekeeping
from service.mailer import Mailer
from service.queries import notices as owed
from tests.service.conftest import Mailbox, MovableClock, RunningService, wait_for
from tests.service.holder_steps import right_answers, start_registration, start_unlock

WAIT = 300.0  # notices.unreported_after, the default


def attempts(mailbox: Mailbox, address: str) -> list[Message]:
    return [m for m in mailbox.to(address) if "started to unlock" in m["Subject"]]


async def up_to_the_cryptogram(
    client: ServiceClient, live: RunningService, masters: MasterKeys, mailbox: Mailbox
) -> tuple[dict[str, str], str]:
    holder = live.holder("locked")
    started = await start_unlock(client, masters, holder)
    await client.send_unlock_answers(started.unlock_id, right_answers(holder, started))
    await client.send_unlock_code(started.unlock_id, mailbox.code(holder["email"], 1))
    await client.get_cryptogram(started.unlock_id, secrets.token_bytes(16))
    return holder, started.unlock_id


@pytest.fixture
def housekeeping(live_service: RunningService) -> Iterator[list[Housekeeping]]:
    """Start the served instance's housekeeping when the test says (as `serve` does)."""
    started: list[Housekeeping] = []
    yield started
    for h in started:
        h.stop()


async def test_an_unreported_unlock_is_told_to_the_holder_after_the_wait(
    client: ServiceClient,
    live_service: RunningService,
    masters: MasterKeys,
    mailbox: Mailbox,
    clock: MovableClock,
    housekeeping: list[Housekeeping],
) -> None:
    holder, _ = await up_to_the_cryptogram(client, live_service, masters, mailbox)
    # The kiosk goes silent. Before the wait is over, nothing goes.
    assert notices.deliver_due(live_service.service) == 0
    assert attempts(mailbox, holder["email"]) == []
    # Once it is over, the sweep a starting instance runs sends it.
    clock.advance(WAIT + 1)
    keeper = Housekeeping(live_service.service)
    housekeeping.append(keeper)
    keeper.start()
    sent = wait_for(lambda: attempts(mailbox, holder["email"]), what="the attempt notice")
    text = sent[0].get_payload(decode=True).decode()
    assert "ward-7" in text and "0300 555 0100" in text and "not you" in text
    # Once: later sweeps do not send it again.
    assert notices.deliver_due(live_service.service) == 0
    assert len(attempts(mailbox, holder["email"])) == 1


async def test_an_unlocked_result_cancels_the_attempt_notice(
    client: ServiceClient,
    live_service: RunningService,
    masters: MasterKeys,
    mailbox: Mailbox,
    clock: MovableClock,
) -> None:
    holder, unlock_id = await up_to_the_cryptogram(client, live_service, masters, mailbox)
    await client.report_unlock_result(unlock_id, "unlocked", 0x9000)
    clock.advance(WAIT + 1)
    assert notices.deliver_due(live_service.service) == 0
    mails = mailbox.wait_count(holder["email"], 2)
    assert [m["Subject"] for m in mails][1] == "Your smartcard was unlocked"
    assert attempts(mailbox, holder["email"]) == []


class DownMailer:
    def send(self, to: str, template: str, **values: str) -> None:
        raise MailNotSent(template)


async def test_a_notice_the_relay_refuses_stays_owed_and_goes_later(
    client: ServiceClient,
    live_service: RunningService,
    masters: MasterKeys,
    mailbox: Mailbox,
    clock: MovableClock,
) -> None:
    holder, _ = await up_to_the_cryptogram(client, live_service, masters, mailbox)
    clock.advance(WAIT + 1)
    real: Mailer = live_service.service.mailer
    live_service.service.mailer = DownMailer()
    assert notices.deliver_due(live_service.service) == 0
    with live_service.service.engine.connect() as conn:
        [left] = owed.unsent(conn, holder["uuid"])
    assert left.attempts == 1 and left.template == "unlock-attempt"
    live_service.service.mailer = real
    clock.advance(notices.RETRY_MAX)
    assert notices.deliver_due(live_service.service) == 1
    assert len(attempts(mailbox, holder["email"])) == 1


async def test_re_registering_to_a_new_address_tells_the_old_one(
    client: ServiceClient,
    live_service: RunningService,
    masters: MasterKeys,
    mailbox: Mailbox,
    housekeeping: list[Housekeeping],
) -> None:
    keeper = Housekeeping(live_service.service)
    housekeeping.append(keeper)
    keeper.start()
    holder = live_service.holder("locked")  # registered, at its old address
    new_address = "someone.else@nhs.net"
    started = await start_registration(
        client, masters, holder, email=new_address, mobile="07700900123"
    )
    answers = {"q03": "Jo Bloggs", "q07": "moby dick", "q11": "Rae", "q20": "ward 9"}
    await client.send_registration_answers(started.registration_id, answers)
    await client.confirm_registration(started.registration_id, mailbox.code(new_address, 1))

    [told] = mailbox.wait_count(holder["email"], 1)
    assert "changed" in told["Subject"]
    text = told.get_payload(decode=True).decode()
    assert "s***@nhs.net" in text and new_address not in text
    assert "ward-7" in text and "0300 555 0100" in text
    # The new address got its code and nothing else.
    assert len(mailbox.to(new_address)) == 1


async def test_a_notice_sent_later_is_in_the_language_of_the_journey(
    client: ServiceClient,
    live_service: RunningService,
    masters: MasterKeys,
    mailbox: Mailbox,
    clock: MovableClock,
) -> None:
    """The sweep sends after the request, outside it: the holder's language (the kiosk's
    Accept-Language) is kept with the notice, so a Welsh journey's notice is Welsh."""
    client.language = "cy"
    holder, _ = await up_to_the_cryptogram(client, live_service, masters, mailbox)
    clock.advance(WAIT + 1)
    assert notices.deliver_due(live_service.service) == 1
    (sent,) = [m for m in mailbox.to(holder["email"]) if "ddatgloi" in m["Subject"]]
    assert sent["Subject"] == "Dechreuodd rhywun ddatgloi eich cerdyn clyfar"
    assert "_language" not in sent.get_payload(decode=True).decode()

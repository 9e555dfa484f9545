"""Mail through GOV.UK Notify: the real client library against a stand-in of its API.

The stand-in (tests/service/notify_standin.py) checks the client's JWT with the
service's key as Notify does, and can be told to answer 500, 429 or 400.
"""

from __future__ import annotations

import dataclasses
import logging
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from card.keys import MasterKeys
from contract.contacts import RaContacts
from contract.language import Language
from kiosk.service_client import MailUnavailable, ServiceClient, WrongAnswers
from service.assembly import mailer_for
from service.domain.errors import MailNotSent
from service.mail_language import LANGUAGE
from service.mailer import Mailer
from service.notify import NotifyMailer
from service.settings import Notify, NotifyTemplateIds, ServiceSettings
from tests.service.conftest import (
    CHEAP_ARGON2,
    MovableClock,
    card_mac,
    free_port,
    start_service,
    wait_for,
)
from tests.service.notify_standin import (
    NotifyStandIn,
    NotifyTemplate,
    Received,
    make_api_key,
    serve_notify,
)

CODE_FIELDS = ("name", "code", "expires_at", "ra_contact")
TEMPLATE_IDS = {
    "unlock-code": str(uuid.uuid4()),
    "registration-code": str(uuid.uuid4()),
    "unlock-notice": str(uuid.uuid4()),
}
TEMPLATES = {
    TEMPLATE_IDS["unlock-code"]: NotifyTemplate("email", CODE_FIELDS),
    TEMPLATE_IDS["registration-code"]: NotifyTemplate("email", CODE_FIELDS),
    TEMPLATE_IDS["unlock-notice"]: NotifyTemplate("email", ("name", "kiosk", "time", "ra_contact")),
}
SMS_CODE_ID = str(uuid.uuid4())
TEMPLATES[SMS_CODE_ID] = NotifyTemplate("sms", CODE_FIELDS)
CODE_VALUES = {
    "name": "Alex Morgan",
    "code": "12345678",
    "expires_at": "14:15 UTC",
    "ra_contact": "the RA team on 0300 555 0100",
}


@dataclasses.dataclass
class NotifyWorld:
    standin: NotifyStandIn
    api_key: str
    key_file: Path


def write_key(path: Path, key: str, mode: int = 0o600) -> Path:
    path.write_text(key + "\n")
    path.chmod(mode)
    return path


@pytest.fixture
def notify(tmp_path: Path) -> Iterator[NotifyWorld]:
    """A Notify stand-in on loopback and the service's key for it in an owner-only file."""
    api_key, service_id, secret = make_api_key()
    with serve_notify(NotifyStandIn(service_id, secret, TEMPLATES)) as standin:
        yield NotifyWorld(standin, api_key, write_key(tmp_path / "notify.key", api_key))


def notify_settings(world: NotifyWorld, **more: object) -> ServiceSettings:
    return ServiceSettings(
        mail_channel="notify",
        notify=Notify(
            api_key_file=world.key_file,
            base_url=world.standin.url,
            timeout=5.0,
            unlock_code_email=TEMPLATE_IDS["unlock-code"],
            registration_code_email=TEMPLATE_IDS["registration-code"],
            unlock_notice_email=TEMPLATE_IDS["unlock-notice"],
            unlock_code_sms=SMS_CODE_ID,
        ),
        **more,  # type: ignore[arg-type]
    )


def notify_mailer(world: NotifyWorld) -> NotifyMailer:
    mailer = mailer_for(notify_settings(world))
    assert isinstance(mailer, NotifyMailer)
    # No waiting between tries in tests; the tries themselves are real requests.
    return dataclasses.replace(mailer, sleep=lambda _seconds: None)


def assert_key_hidden(key: str, *texts: str) -> None:
    secret = key[-36:]
    for text in texts:
        assert key not in text and secret not in text


def test_code_mail_reaches_notify_with_its_template_and_fields(notify: NotifyWorld) -> None:
    notify_mailer(notify).send("alex.morgan@nhs.net", "unlock-code", **CODE_VALUES)
    [sent] = notify.standin.emails_to("alex.morgan@nhs.net")
    assert sent.template_id == TEMPLATE_IDS["unlock-code"]
    assert sent.personalisation == CODE_VALUES
    assert notify.standin.code("alex.morgan@nhs.net", 1) == "12345678"


def test_a_text_reaches_notify_and_a_429_is_tried_again(notify: NotifyWorld) -> None:
    notify.standin.fail_next(429)
    notify_mailer(notify).send_text("+44 7700 900 001", "unlock-code", **CODE_VALUES)
    assert notify.standin.refused == [429]
    [sent] = notify.standin.texts_to("+44 7700 900 001")
    assert sent.template_id == SMS_CODE_ID and sent.personalisation == CODE_VALUES


def test_a_text_without_its_template_id_is_not_sent(notify: NotifyWorld) -> None:
    with pytest.raises(MailNotSent):
        notify_mailer(notify).send_text("+44 7700 900 001", "unlock-notice", **CODE_VALUES)
    assert notify.standin.requests == 0


def test_an_email_template_id_is_refused_for_a_text(notify: NotifyWorld) -> None:
    mailer = dataclasses.replace(
        notify_mailer(notify), sms_templates={"unlock-code": TEMPLATE_IDS["unlock-code"]}
    )
    with pytest.raises(MailNotSent):
        mailer.send_text("+44 7700 900 001", "unlock-code", **CODE_VALUES)
    assert notify.standin.refused == [400]  # Notify: template not found for this type


def test_smtp_stays_the_default() -> None:
    from service.mailer import SmtpMailer

    assert isinstance(mailer_for(ServiceSettings()), SmtpMailer)


def test_a_transient_500_is_tried_again_and_sent_once(notify: NotifyWorld) -> None:
    notify.standin.fail_next(500)
    notify_mailer(notify).send("alex.morgan@nhs.net", "unlock-code", **CODE_VALUES)
    assert notify.standin.refused == [500]
    assert len(notify.standin.emails_to("alex.morgan@nhs.net")) == 1


def test_rate_limited_every_time_is_mail_not_sent_after_the_bounded_tries(
    notify: NotifyWorld,
) -> None:
    notify.standin.fail_next(429, 429, 429, 429)
    with pytest.raises(MailNotSent):
        notify_mailer(notify).send("alex.morgan@nhs.net", "unlock-code", **CODE_VALUES)
    assert notify.standin.refused == [429, 429, 429]  # attempts = 3 by default
    assert notify.standin.received == []


def test_a_400_is_not_tried_again(notify: NotifyWorld) -> None:
    notify.standin.fail_next(400)
    with pytest.raises(MailNotSent):
        notify_mailer(notify).send("alex.morgan@nhs.net", "unlock-code", **CODE_VALUES)
    assert notify.standin.refused == [400]


def test_missing_personalisation_is_notifys_400(notify: NotifyWorld) -> None:
    values = {k: v for k, v in CODE_VALUES.items() if k != "code"}
    with pytest.raises(MailNotSent):
        notify_mailer(notify).send("alex.morgan@nhs.net", "unlock-code", **values)
    assert notify.standin.refused == [400]


def test_notify_unreachable_is_mail_not_sent(notify: NotifyWorld) -> None:
    mailer = dataclasses.replace(notify_mailer(notify), base_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(MailNotSent):
        mailer.send("alex.morgan@nhs.net", "unlock-code", **CODE_VALUES)


def test_notify_slow_is_mail_not_sent_within_tries_times_timeout(notify: NotifyWorld) -> None:
    import time

    notify.standin.delay = 1.0
    mailer = dataclasses.replace(notify_mailer(notify), timeout=0.2)
    began = time.monotonic()
    with pytest.raises(MailNotSent):
        mailer.send("alex.morgan@nhs.net", "unlock-code", **CODE_VALUES)
    assert time.monotonic() - began < 3 * 0.2 + 0.5  # attempts x timeout, and a margin
    assert wait_for(lambda: notify.standin.requests == 3, what="three tries")


def test_a_wrong_key_gets_403_and_the_key_is_never_told(
    notify: NotifyWorld, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Same service id, another secret: only the signature is wrong.
    wrong = notify.api_key[:-36] + str(uuid.uuid4())
    world = dataclasses.replace(notify, key_file=write_key(tmp_path / "wrong.key", wrong))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(MailNotSent) as refused:
        notify_mailer(world).send("alex.morgan@nhs.net", "unlock-code", **CODE_VALUES)
    assert notify.standin.refused == [403]  # not tried again
    assert notify.standin.received == []
    told = "".join(traceback.format_exception(refused.value))
    assert "403" in caplog.text
    assert_key_hidden(wrong, caplog.text, told, repr(refused.value), repr(notify_mailer(world)))
    assert "12345678" not in caplog.text + told  # nor the code


def test_the_key_is_never_logged_on_success(
    notify: NotifyWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    notify.standin.fail_next(500)
    notify_mailer(notify).send("alex.morgan@nhs.net", "unlock-code", **CODE_VALUES)
    assert caplog.text  # the client and urllib3 did log
    assert_key_hidden(notify.api_key, caplog.text)


def test_a_key_file_others_may_read_is_a_setting_error(notify: NotifyWorld) -> None:
    notify.key_file.chmod(0o640)
    with pytest.raises(ValidationError, match="may be read by others") as refused:
        notify_settings(notify)
    assert_key_hidden(notify.api_key, str(refused.value))


def test_a_key_file_without_a_key_is_a_setting_error(tmp_path: Path) -> None:
    leaked = "not-a-key-" + str(uuid.uuid4())
    path = write_key(tmp_path / "bad.key", leaked)
    with pytest.raises(ValidationError, match="does not hold a Notify API key") as refused:
        Notify(api_key_file=path)
    assert leaked not in str(refused.value)


def test_notify_needs_its_key_file_and_templates() -> None:
    with pytest.raises(ValidationError, match="notify.api_key_file"):
        ServiceSettings(mail_channel="notify")


# -- end to end: the service mails through Notify --------------------------------------


async def test_unlock_journey_with_codes_from_notify(
    notify: NotifyWorld, masters: MasterKeys, clock: MovableClock, tmp_path: Path
) -> None:
    settings = notify_settings(
        notify,
        db=f"sqlite:///{tmp_path / 'service.db'}",
        ra_contacts=RaContacts(organisation="the RA team", phone="0300 555 0100"),
        argon2=CHEAP_ARGON2,
    )
    running = start_service(settings, masters, clock)
    holder = running.holder("locked")
    try:
        async with ServiceClient(running.url, running.tokens["ward-7"], timeout=5.0) as c:
            nonce = await c.new_nonce()
            mac = card_mac(masters, holder["serial"], nonce.nonce)
            started = await c.start_unlock(holder["serial"], holder["uuid"], nonce.nonce, mac)
            asked = [q.id for q in started.questions]
            right = {q: holder["answers"][q] for q in asked}

            # Notify refusing: 503 mail_unavailable and nothing counted.
            notify.standin.fail_next(400)
            with pytest.raises(MailUnavailable):
                await c.send_unlock_answers(started.unlock_id, right)
            with pytest.raises(WrongAnswers) as wrong_once:
                await c.send_unlock_answers(started.unlock_id, {q: "wrong" for q in asked})
            assert wrong_once.value.attempts_left == 2  # the refusal counted nothing

            sent = await c.send_unlock_answers(started.unlock_id, right)
            assert sent.code_sent_to.endswith("@nhs.net")
            code = notify.standin.code(holder["email"], 1)
            await c.send_unlock_code(started.unlock_id, code)
            await c.get_cryptogram(started.unlock_id, b"\x01" * 16)
            await c.report_unlock_result(started.unlock_id, "unlocked", 0x9000)

            notice = notify.standin.wait_count(holder["email"], 2)[1]
            assert notice.template_id == TEMPLATE_IDS["unlock-notice"]
            assert notice.personalisation["kiosk"] == "ward-7"
            assert notice.personalisation["ra_contact"] == "the RA team on 0300 555 0100"
    finally:
        running.stop()


# -- Welsh templates (issue 19) -------------------------------------------------------------

WELSH_IDS = {kind: str(uuid.uuid4()) for kind in ("unlock-code", "unlock-notice", "code-sms")}
TEMPLATES[WELSH_IDS["unlock-code"]] = NotifyTemplate("email", CODE_FIELDS)
TEMPLATES[WELSH_IDS["unlock-notice"]] = NotifyTemplate(
    "email", ("name", "kiosk", "time", "ra_contact")
)
TEMPLATES[WELSH_IDS["code-sms"]] = NotifyTemplate("sms", CODE_FIELDS)


def code_texted_in_welsh(mailer: Mailer, standin: NotifyStandIn, number: str) -> Received:
    """Text a code to `number` through `mailer` in Welsh; the one text Notify got."""
    token = LANGUAGE.set(Language.WELSH)
    try:
        mailer.send_text(number, "unlock-code", **CODE_VALUES)
    finally:
        LANGUAGE.reset(token)
    [text] = standin.texts_to(number)
    return text


def welsh_settings(world: NotifyWorld, tmp_path: Path, **welsh: str) -> ServiceSettings:
    settings = notify_settings(
        world,
        db=f"sqlite:///{tmp_path / 'service.db'}",
        ra_contacts=RaContacts(organisation="the RA team", phone="0300 555 0100"),
        argon2=CHEAP_ARGON2,
    )
    notify = settings.notify.model_copy(update={"cy": NotifyTemplateIds(**welsh)})
    return settings.model_copy(update={"notify": notify})


def test_welsh_template_ids_are_settings_per_kind() -> None:
    loaded = Notify(cy={"unlock_code_email": "c1", "unlock_code_sms": "c2"})  # type: ignore[arg-type]
    assert loaded.cy.unlock_code_email == "c1" and loaded.cy.unlock_notice_email is None
    with pytest.raises(ValidationError):
        Notify(cy={"unlock_code_emial": "typo"})  # type: ignore[arg-type]


async def test_a_welsh_journey_goes_through_the_welsh_templates_and_falls_back_logged(
    notify: NotifyWorld,
    masters: MasterKeys,
    clock: MovableClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A Welsh holder's code mail goes through the Welsh template id; a kind with no Welsh
    id (the texted code here) goes through the English one, and the log says so, with no
    code, address or key in it. An English holder's stays English."""
    settings = welsh_settings(
        notify,
        tmp_path,
        unlock_code_email=WELSH_IDS["unlock-code"],
        unlock_notice_email=WELSH_IDS["unlock-notice"],
    )
    running = start_service(settings, masters, clock)
    holder = running.holder("locked")
    caplog.set_level(logging.INFO)
    try:
        async with ServiceClient(running.url, running.tokens["ward-7"], timeout=5.0) as c:
            for language, count, code_id in (
                ("cy", 1, WELSH_IDS["unlock-code"]),
                ("en", 2, TEMPLATE_IDS["unlock-code"]),
            ):
                c.language = language
                nonce = await c.new_nonce()
                mac = card_mac(masters, holder["serial"], nonce.nonce)
                started = await c.start_unlock(holder["serial"], holder["uuid"], nonce.nonce, mac)
                right = {q.id: holder["answers"][q.id] for q in started.questions}
                await c.send_unlock_answers(started.unlock_id, right)
                sent = notify.standin.wait_count(holder["email"], 2 * count - 1)[-1]
                assert sent.template_id == code_id, language
                await c.send_unlock_code(started.unlock_id, str(sent.personalisation["code"]))
                await c.get_cryptogram(started.unlock_id, b"\x01" * 16)
                await c.report_unlock_result(started.unlock_id, "unlocked", 0x9000)
                notice = notify.standin.wait_count(holder["email"], 2 * count)[-1]
                expected = WELSH_IDS["unlock-notice"] if language == "cy" else None
                assert notice.template_id == (expected or TEMPLATE_IDS["unlock-notice"])
    finally:
        running.stop()
    # The mailer directly, in Welsh: the texted code has no Welsh id, so English, logged.
    caplog.clear()
    mailer = dataclasses.replace(
        mailer_for(settings),  # type: ignore[type-var]
        sleep=lambda _seconds: None,
    )
    text = code_texted_in_welsh(mailer, notify.standin, "+44 7700 900 001")
    assert text.template_id == SMS_CODE_ID
    said = [r.getMessage() for r in caplog.records if r.name == "service.notify"]
    assert any("no Welsh Notify template id, sent in English" in line for line in said), said
    assert_key_hidden(notify.api_key, *said)
    for line in said:
        assert CODE_VALUES["code"] not in line and "7700" not in line


async def test_a_welsh_text_goes_through_its_welsh_template(notify: NotifyWorld) -> None:
    settings = notify_settings(notify)
    notify_ids = settings.notify.model_copy(
        update={"cy": NotifyTemplateIds(unlock_code_sms=WELSH_IDS["code-sms"])}
    )
    mailer = mailer_for(settings.model_copy(update={"notify": notify_ids}))
    text = code_texted_in_welsh(mailer, notify.standin, "+44 7700 900 002")
    assert text.template_id == WELSH_IDS["code-sms"]

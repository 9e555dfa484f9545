"""Unlocks through the real kiosk under each policy (docs/api.md "Policies").

The demo world's service runs the policy; texts go to the SMTP catcher through the
email-to-SMS gateway setting (`<mobile>@sms.demo.invalid`), so the codes are read
from what the catcher received, emails and texts alike.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from card.pcscd import PrivatePcscd
from demo.world import DemoWorld
from kiosk.app import KioskApp
from kiosk.flow import events as e
from kiosk.flow import states as s
from tests.app.conftest import holder, kiosk_on, latest_code, world_settings
from tests.app.journey import SIZE, card_in, fields_ready, insert_card, intent, on, until
from tests.conftest import CHEAP_ANSWER_HASHING, reader_has_card
from tests.screens.harness import screen_text
from tests.secrecy import recording_cryptograms, scan, world_secrets
from tests.service.notify_standin import NotifyStandIn, NotifyTemplate, serve_notify_keyed
from tests.support import wait_for

GATEWAY = "sms.demo.invalid"
NOTIFY_KINDS = (
    "unlock_code_email",
    "registration_code_email",
    "unlock_notice_email",
    "unlock_code_sms",
    "unlock_notice_sms",
)


NOTIFY_IDS = {kind: str(uuid.uuid4()) for kind in NOTIFY_KINDS}
"""The stand-in's template id for each of the service's Notify templates."""


@pytest.fixture
def policy_world(live_pcscd: PrivatePcscd, tmp_path: Path) -> Iterator[Callable[..., DemoWorld]]:
    """Starts the test's demo world, its service set by keywords (`policy="two-channel"`:
    SSU_SERVICE_POLICY) and sending through the `notify` stand-in when given it as
    `through`; stopped after the test, then the secrecy scan of what it left
    behind (codes by email and by text included: both reach the catcher)."""
    started: list[DemoWorld] = []

    def start(through: NotifyStandIn | None = None, **env: str) -> DemoWorld:
        if through is not None:  # sending through the Notify stand-in, not SMTP
            env |= {
                "mail_channel": "notify",
                "notify__api_key_file": str(tmp_path / "notify.key"),
                "notify__base_url": through.url,
                **{f"notify__{kind}": template_id for kind, template_id in NOTIFY_IDS.items()},
            }
        service_env = {**CHEAP_ANSWER_HASHING, "SSU_SERVICE_SMS_GATEWAY_DOMAIN": GATEWAY}
        service_env |= {f"SSU_SERVICE_{name.upper()}": value for name, value in env.items()}
        world = DemoWorld(tmp_path / "world", pcscd=live_pcscd, service_env=service_env)
        started.append(world.start())
        return world

    with recording_cryptograms() as cryptograms:
        yield start
        for world in started:
            world.stop()
        wait_for(lambda: reader_has_card(False), what="the demo card to be removed")
    for world in started:
        hits = scan([tmp_path], world_secrets(world, cryptograms))
        assert not hits, f"secrets found on disk: {hits}"


@pytest.fixture
def notify(tmp_path: Path) -> Iterator[NotifyStandIn]:
    """The Notify stand-in on loopback, its API key in an owner-only file."""
    templates = {
        NOTIFY_IDS[kind]: NotifyTemplate(kind.rpartition("_")[2], ()) for kind in NOTIFY_KINDS
    }
    with serve_notify_keyed(templates, tmp_path / "notify.key") as standin:
        yield standin


@asynccontextmanager
async def on_kiosk(world: DemoWorld, tmp_path: Path) -> AsyncIterator[tuple[KioskApp, Any]]:
    """The kiosk on the world's parts, running under Pilot: (app, pilot)."""
    settings = world_settings(world, tmp_path)
    with kiosk_on(world, settings, demo=world.cards, outbox_seconds=0.5) as app:
        async with app.run_test(size=SIZE) as pilot:
            yield app, pilot


def texted_code(world: DemoWorld, mobile: str, count: int = 1) -> str:
    return latest_code(world, f"{mobile}@{GATEWAY}", count)


async def new_passcode_and_unlocked(pilot: Any, app: KioskApp, world: DemoWorld) -> None:
    await until(pilot, app, on(s.NewPasscode))
    await intent(pilot, app, e.SubmitNewPasscode("258147", "258147"))
    await until(pilot, app, on(s.Unlocked))
    assert world.cards is not None
    card = world.cards.personalisation("locked")
    assert card.tries_left == 3 and card.pin == "258147"


async def test_national_2023_holder_chooses_a_text_and_unlocks(
    policy_world: Callable[..., DemoWorld], tmp_path: Path
) -> None:
    world = policy_world(policy="national-2023")
    alex = holder(world, "locked")
    async with on_kiosk(world, tmp_path) as (app, pilot):
        # Before any card, the waiting screen says no registration is needed here, as
        # the service said (GET /v1/policy).
        await until(pilot, app, lambda _: app.policy is not None)
        assert app.policy is not None and app.policy.policy == "national-2023"
        await pilot.pause()
        assert "You do not need to register first" in " ".join(screen_text(app).split())
        await card_in(pilot, app, world, "locked")
        # The locked card's screen already says the code may go by text (from what the
        # service said when the card was read).
        await until(pilot, app, on(s.CardStatus))
        await pilot.pause()
        assert "by email or by text message" in str(app.screen.query_one("#lead").render())
        await intent(pilot, app, e.Continue())
        state = await until(pilot, app, on(s.ChooseChannel))
        assert isinstance(state.screen, s.ChooseChannel)
        assert [c for c, _to in state.screen.channels] == ["email", "sms"]
        assert "07*** ***001" in str(app.screen.query_one("#options").render())
        await pilot.press("2")  # a text message
        state = await until(pilot, app, on(s.CodeEntry))
        assert isinstance(state.screen, s.CodeEntry)
        assert state.screen.sent_to == "07*** ***001"
        assert state.screen.text_sent_to is None and state.screen.by_text
        # The screen speaks of the text it sent, not of an email.
        await pilot.pause()
        shown = " ".join(
            str(app.screen.query_one(f"#{part}").render())
            for part in ("heading", "sent", "code-label", "resend")
        )
        assert "Check your texts" in shown and "We texted a code to 07*** ***001" in shown
        assert "Code from the text" in shown and "No text?" in shown
        assert "email" not in shown.lower(), shown
        await intent(pilot, app, e.SubmitCode(texted_code(world, alex["mobile"])))
        await new_passcode_and_unlocked(pilot, app, world)
    # The notice went by email and by text; the demo mailbox (F6) shows the texts as
    # texts beside the emails, and the banner names the policy.
    box = world.mail.mailbox.text()
    assert "TEXT to 07700900001" in box and "EMAIL to " in box
    assert "Your smartcard was unlocked at" in box.split("TEXT to 07700900001")[1]
    assert world.cards is not None
    assert world.cards.banner.startswith("Policy: national-2023")


@pytest.mark.parametrize("questions", [False, True])
async def test_two_channel_holder_types_both_codes_and_unlocks(
    policy_world: Callable[..., DemoWorld], tmp_path: Path, questions: bool
) -> None:
    world = policy_world(
        policy="two-channel",
        two_channel_questions="true" if questions else "false",
    )
    alex = holder(world, "locked")
    async with on_kiosk(world, tmp_path) as (app, pilot):
        await insert_card(pilot, app, world, "locked")
        if questions:
            # Without questions the codes go as the card is first checked, and
            # their screen comes at once (nothing else is asked first).
            await until(pilot, app, on(s.CardStatus))
            await pilot.pause()
            lead = str(app.screen.query_one("#lead").render())
            assert "one code to your email and another to your mobile phone" in lead
            await intent(pilot, app, e.Continue())
            state = await until(pilot, app, on(s.Questions))
            assert isinstance(state.screen, s.Questions)
            answers = {q.id: alex["answers"][q.id] for q in state.screen.questions}
            await intent(pilot, app, e.SubmitAnswers(answers))
        state = await until(pilot, app, on(s.CodeEntry))
        assert isinstance(state.screen, s.CodeEntry)
        assert state.screen.text_sent_to == "07*** ***001"
        await fields_ready(pilot, app)  # the code screen composed (it may lag the state)
        assert app.screen.query_one("#text-code").display
        emailed = latest_code(world, alex["email"])
        texted = texted_code(world, alex["mobile"])
        # The emailed code alone is not enough: the kiosk asks for the text's.
        await intent(pilot, app, e.SubmitCode(emailed))
        state = await until(pilot, app, lambda st: bool(getattr(st.screen, "error", None)))
        assert "texted code" in str(state.screen.error)  # type: ignore[attr-defined]
        await intent(pilot, app, e.SubmitCode(emailed, text_code=texted))
        await new_passcode_and_unlocked(pilot, app, world)


@pytest.mark.parametrize("policy", ["questions", "national-2023", "two-channel"])
async def test_each_policy_through_notify_codes_read_from_the_notify_server(
    policy_world: Callable[..., DemoWorld],
    notify: NotifyStandIn,
    tmp_path: Path,
    policy: str,
) -> None:
    """An unlock through the kiosk under each policy, the demo service sending through
    GOV.UK Notify's API (the loopback stand-in): every code is read from what Notify
    received, and the unlock notice goes by email and by text through it."""
    world = policy_world(policy=policy, through=notify)
    alex = holder(world, "locked")
    async with on_kiosk(world, tmp_path) as (app, pilot):
        if policy == "two-channel":
            # Without questions both codes go as the card is first checked.
            await insert_card(pilot, app, world, "locked")
        else:
            await card_in(pilot, app, world, "locked")
            await intent(pilot, app, e.Continue())
        if policy == "questions":
            state = await until(pilot, app, on(s.Questions))
            assert isinstance(state.screen, s.Questions)
            answers = {q.id: alex["answers"][q.id] for q in state.screen.questions}
            await intent(pilot, app, e.SubmitAnswers(answers))
        if policy == "national-2023":
            await until(pilot, app, on(s.ChooseChannel))
            await intent(pilot, app, e.ChannelChosen("email"))
        state = await until(pilot, app, on(s.CodeEntry))
        assert isinstance(state.screen, s.CodeEntry)
        emailed = notify.code(alex["email"], 1)
        if policy == "two-channel":
            assert state.screen.text_sent_to == "07*** ***001"
            [text] = wait_for(lambda: notify.texts_to(alex["mobile"]), what="the text")
            texted: str | None = str(text.personalisation["code"])
        else:
            assert state.screen.text_sent_to is None
            texted = None
        await intent(pilot, app, e.SubmitCode(emailed, text_code=texted))
        await new_passcode_and_unlocked(pilot, app, world)
    # The unlock notice went by both channels on record, through Notify.
    codes_by_text = 1 if policy == "two-channel" else 0
    wait_for(
        lambda: len(notify.texts_to(alex["mobile"])) == codes_by_text + 1,
        what="the text notice",
    )
    assert len(notify.emails_to(alex["email"])) == 2


async def test_two_channel_wrong_texted_code_is_named_and_the_emailed_one_kept(
    policy_world: Callable[..., DemoWorld], tmp_path: Path
) -> None:
    """The service says which of two codes was wrong (`wrong_codes`): the kiosk names
    it, keeps the right one in its field, and only the wrong one is typed again."""
    world = policy_world(policy="two-channel")
    alex = holder(world, "locked")
    async with on_kiosk(world, tmp_path) as (app, pilot):
        await insert_card(pilot, app, world, "locked")
        await until(pilot, app, on(s.CodeEntry))
        await fields_ready(pilot, app)
        emailed = latest_code(world, alex["email"])
        texted = texted_code(world, alex["mobile"])
        wrong = "".join(str((int(d) + 1) % 10) for d in texted)
        await pilot.press(*emailed, "enter", *wrong, "enter")
        state = await until(pilot, app, lambda st: bool(getattr(st.screen, "error", None)))
        assert isinstance(state.screen, s.CodeEntry)
        error = str(state.screen.error)
        assert "The texted code is not right" in error and "2 tries left" in error
        await pilot.pause()
        code_field = app.screen.query_one("#code", Input)
        text_field = app.screen.query_one("#text-code", Input)
        assert "".join(code_field.value.split()) == emailed
        assert text_field.value == ""
        assert app.screen.focused is text_field
        await pilot.press(*texted, "enter")
        await new_passcode_and_unlocked(pilot, app, world)


async def test_two_channel_text_not_sent_keeps_the_email_and_says_f7_sends_the_text(
    policy_world: Callable[..., DemoWorld],
    notify: NotifyStandIn,
    tmp_path: Path,
) -> None:
    """Notify refuses the text, takes the email: the kiosk says the text is owed and
    F7 sends it; typing the codes before is caught here (nothing reaches the service)."""
    world = policy_world(policy="two-channel", through=notify)
    alex = holder(world, "locked")
    notify.fail_next(400, kind="sms")
    async with on_kiosk(world, tmp_path) as (app, pilot):
        await insert_card(pilot, app, world, "locked")
        state = await until(pilot, app, on(s.CodeEntry))
        assert isinstance(state.screen, s.CodeEntry)
        assert state.screen.not_sent == ("sms",)
        await fields_ready(pilot, app)
        # The field can take the cursor a moment before the screen's words are drawn
        # (seen once in 4 runs here): wait for them, as a holder's eye would.
        owed = "The text with your second code could not be sent"
        for _ in range(100):
            shown = str(app.screen.query_one("#notice").render())
            if owed in shown:
                break
            await pilot.pause(0.05)
        assert owed in shown
        emailed = notify.code(alex["email"], 1)
        assert notify.texts_to(alex["mobile"]) == []
        await intent(pilot, app, e.SubmitCode(emailed, text_code="12345678"))
        assert isinstance(app.state.screen, s.CodeEntry)
        assert "Press F7 to send the text again" in str(app.state.screen.error)


@pytest.mark.parametrize("fault", ["refusing", "down", "slow"])
async def test_notify_fault_when_the_code_is_sent_through_the_kiosk(
    policy_world: Callable[..., DemoWorld],
    notify: NotifyStandIn,
    tmp_path: Path,
    fault: str,
) -> None:
    """The fault matrix's mail rows with GOV.UK Notify in place of SMTP (docs/reliability.md):
    Notify refusing (400), down (500) or slow (past the service's timeout) when the holder's
    chosen code goes. The kiosk says the code could not be sent and that nothing was
    counted, tries again by itself, and the unlock completes once Notify is back."""
    world = policy_world(
        policy="national-2023",
        notify__attempts="1",
        notify__timeout="1",
        through=notify,
    )
    alex = holder(world, "locked")
    async with on_kiosk(world, tmp_path) as (app, pilot):
        await card_in(pilot, app, world, "locked")
        await intent(pilot, app, e.Continue())
        await until(pilot, app, on(s.ChooseChannel))
        if fault == "slow":
            notify.delay = 2.0
        else:
            notify.fail_next(400 if fault == "refusing" else 500)
        await pilot.press("1")  # email
        await until(pilot, app, lambda st: isinstance(st.screen, s.ServiceUnavailable))
        await pilot.pause()
        banner = str(app.screen.query_one("#banner").render())
        assert "could not send your code" in banner
        assert "Nothing was counted against you" in banner
        notify.delay = 0.0
        # Back once the service answers: nothing was sent, the holder chooses again.
        state = await until(pilot, app, on(s.ChooseChannel), timeout=45)
        assert isinstance(state.screen, s.ChooseChannel) and state.screen.notice
        await pilot.press("1")
        state = await until(pilot, app, on(s.CodeEntry))
        assert isinstance(state.screen, s.CodeEntry)
        count = 2 if fault == "slow" else 1  # the slow one arrived late, unused
        code = notify.code(alex["email"], count)
        await intent(pilot, app, e.SubmitCode(code))
        await new_passcode_and_unlocked(pilot, app, world)

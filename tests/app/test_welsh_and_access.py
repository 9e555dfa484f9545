"""A Welsh holder unlocks their card through the real app, card, service and mail,
switching language mid-answer without losing what they typed; read-aloud, high
contrast and large text on every screen of the journey (Pilot)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static

from contract.language import Language
from demo.world import DemoWorld
from kiosk.access import HIGH_CONTRAST, LARGE_TEXT
from kiosk.app import KioskApp, make_app
from kiosk.card_access import PcscCardAccess
from kiosk.flow import states as s
from kiosk.service_client import ServiceClient
from kiosk.settings import KioskSettings
from kiosk.speech import Speaker
from kiosk.store import LocalStore
from screens.language import current, set_current
from screens.wording import plain_words
from tests.app.conftest import holder, kiosk_on
from tests.app.journey import SIZE, fields_ready, on, until
from tests.conftest import READER
from tests.support import mailed_codes, wait_for

pytestmark = pytest.mark.pcsc

NEW_PASSCODE = "258147"


class SpeechLog:
    """A stand-in speech engine: a real program that writes what it was given."""

    def __init__(self, folder: Path) -> None:
        self.words = folder / "spoken.txt"
        self.argv = folder / "argv.txt"
        self.program = folder / "fake-espeak-ng"
        self.program.write_text(
            "#!/bin/sh\n"
            f'printf "%s\\n" "$@" >> "{self.argv}"\n'
            f'{{ cat; printf "\\n<<END>>\\n"; }} >> "{self.words}"\n'
        )
        self.program.chmod(0o755)

    def said(self) -> list[str]:
        if not self.words.exists():
            return []
        return [t.strip() for t in self.words.read_text("utf-8").split("<<END>>") if t.strip()]


@pytest.fixture
def speech(tmp_path: Path) -> SpeechLog:
    return SpeechLog(tmp_path)


@pytest.fixture
async def welsh_kiosk(
    world: DemoWorld, kiosk_settings: KioskSettings, speech: SpeechLog
) -> AsyncIterator[KioskApp]:
    with kiosk_on(
        world,
        kiosk_settings,
        demo=world.cards,
        outbox_seconds=0.5,
        speaker=Speaker(str(speech.program)),
    ) as app:
        yield app
    set_current(Language.ENGLISH)


async def heard(pilot: Any, speech: SpeechLog, words: str, timeout: float = 10) -> str:
    """The latest speech that says `words` (the app keeps running while we wait)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        found = [text for text in speech.said() if words in text]
        if found:
            return found[-1]
        await pilot.pause(0.1)
    raise AssertionError(f"never heard {words!r}; heard {speech.said()}")


async def until_drawn(pilot: Any, app: KioskApp, timeout: float = 10) -> None:
    """Until the screen the state names is on show with its heading drawn."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not heading(app):
        if loop.time() > deadline:
            raise AssertionError(f"no heading drawn on {app.screen!r}")
        await pilot.pause(0.05)


def heading(app: KioskApp) -> str:
    """The heading on show (some screens fill theirs when they draw a state)."""
    for widget in app.screen.query(".heading").results(Static):
        words = plain_words(widget.content)
        if widget.display and words:
            return words
    return ""


async def check_access_keys(pilot: Any, app: KioskApp, speech: SpeechLog, secrets: list[str]):  # type: ignore[no-untyped-def]
    """F10 says this screen (its heading; never a secret), F11 and F12 switch on and off."""
    await pilot.press("f10")
    said = await heard(pilot, speech, heading(app))
    for secret in secrets:
        assert secret not in said
    argv = speech.argv.read_text("utf-8")
    assert "-v" in argv and ("cy" in argv.split() or "en-gb" in argv.split())
    assert heading(app) not in argv  # the words go through stdin, never the command line
    for key, css in (("f11", HIGH_CONTRAST), ("f12", LARGE_TEXT)):
        await pilot.press(key)
        assert app.has_class(css)
        await pilot.press(key)
        assert not app.has_class(css)
    return said


async def test_a_welsh_holder_unlocks_and_gets_welsh_mail(
    world: DemoWorld, welsh_kiosk: KioskApp, speech: SpeechLog
) -> None:
    app = welsh_kiosk
    alex = holder(world, "locked")
    assert world.cards is not None
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app, on(s.WaitingForCard))
        await pilot.press("f9")
        assert current() is Language.WELSH
        await pilot.pause()
        assert heading(app) == "Rhowch eich cerdyn clyfar i mewn"
        await check_access_keys(pilot, app, speech, [])
        world.cards.insert("locked")
        await until(pilot, app, on(s.CardStatus))
        await until_drawn(pilot, app)
        assert heading(app) == "Mae eich cerdyn wedi'i gloi"
        await check_access_keys(pilot, app, speech, [])
        await pilot.press("enter")
        state = await until(pilot, app, on(s.Questions))
        await fields_ready(pilot, app)
        assert isinstance(state.screen, s.Questions)
        questions = state.screen.questions
        answers = [alex["answers"][q.id] for q in questions]
        # Half of the first answer, then English and back: nothing typed is lost.
        await pilot.press(*answers[0][:3])
        await pilot.press("f9")
        await pilot.pause()
        assert heading(app) == "Answer your security questions"
        assert app.screen.query(Input).first().value == answers[0][:3]
        await pilot.press("f9")
        await pilot.pause()
        assert heading(app) == "Atebwch eich cwestiynau diogelwch"
        assert app.screen.query(Input).first().value == answers[0][:3]
        await pilot.press(*answers[0][3:])
        said = await check_access_keys(pilot, app, speech, answers)
        assert "Beth" in said or "Ym mha" in said  # the questions, in Welsh
        for i, answer in enumerate(answers):
            if i:
                await pilot.press(*answer)
            await pilot.press("enter")
        await until(pilot, app, on(s.CodeEntry))
        await fields_ready(pilot, app)
        mail = wait_for(
            lambda: [m for m in world.mail.mailbox.snapshot() if alex["email"] in str(m["To"])],
            timeout=30,
            what="the code mail",
        )[-1]
        body = mail.get_body(("plain",)).get_content()
        assert mail["Subject"] == "Cod datgloi eich cerdyn clyfar"
        assert "Eich cod datgloi yw:" in body
        [code] = mailed_codes(body)
        await pilot.press(*code[:4])
        await check_access_keys(pilot, app, speech, [code, code[:4]])
        await pilot.press(*code[4:], "enter")
        await until(pilot, app, on(s.NewPasscode))
        await fields_ready(pilot, app)
        await pilot.press(*NEW_PASSCODE)
        await check_access_keys(pilot, app, speech, [NEW_PASSCODE])
        await pilot.press("enter", *NEW_PASSCODE, "enter")
        await until(pilot, app, on(s.Unlocked), timeout=20)
        await until_drawn(pilot, app)
        assert heading(app) == "Mae eich cerdyn wedi'i ddatgloi"
        await check_access_keys(pilot, app, speech, [NEW_PASSCODE])
        notice = wait_for(
            lambda: [
                m
                for m in world.mail.mailbox.snapshot()
                if alex["email"] in str(m["To"])
                and "datgloi" in str(m["Subject"])
                and "Cod" not in str(m["Subject"])
            ],
            timeout=30,
            what="the unlock notice",
        )[-1]
        assert notice["Subject"] == "Cafodd eich cerdyn clyfar ei ddatgloi"
        # The card comes out: the next holder is greeted in the deployment's language.
        world.cards.remove()
        await until(pilot, app, lambda st: st.card is None)
        await pilot.pause()
        assert current() is Language.ENGLISH
        await asyncio.sleep(0)
    everything = "\n".join(speech.said())
    for secret in (NEW_PASSCODE, code, *answers):
        assert secret not in everything


async def test_the_inactivity_warning_is_said_and_any_key_gives_more_time(
    world: DemoWorld, kiosk_settings: KioskSettings, speech: SpeechLog
) -> None:
    """WCAG 2.2.1: the time-out is shown and heard before it acts, and a key extends it."""
    clock = [dt.datetime.now(dt.UTC)]
    store = LocalStore(kiosk_settings.store)
    app = make_app(
        settings=kiosk_settings.model_copy(update={"language": Language.WELSH}),
        card=PcscCardAccess(READER),
        client=ServiceClient(world.service_url, world.kiosk_token, timeout=3.0, retries=1),
        store=store,
        demo=world.cards,
        clock=lambda: clock[0],
        tick_seconds=0.1,
        speaker=Speaker(str(speech.program)),
    )
    assert world.cards is not None
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert current() is Language.WELSH  # the deployment's default
            await until(pilot, app, on(s.WaitingForCard))
            world.cards.insert("locked")
            await until(pilot, app, on(s.CardStatus))
            await pilot.press("enter")
            await until(pilot, app, on(s.Questions))
            await fields_ready(pilot, app)
            await pilot.press("f10")  # the holder uses speech
            await heard(pilot, speech, "Atebwch eich cwestiynau diogelwch")
            await pilot.press("a", "b", "c")
            timeouts = kiosk_settings.timeouts
            quiet = timeouts.inactivity_seconds + 1  # the warning then counts down
            clock[0] += dt.timedelta(seconds=quiet)
            await until(pilot, app, lambda st: isinstance(st.overlay, s.InactivityWarning))
            said = await heard(pilot, speech, "Ydych chi dal yna?")
            assert "Pwyswch unrhyw fysell i barhau." in said
            assert "abc" not in said
            await pilot.press("space")  # any key: more time
            state = await until(pilot, app, lambda st: st.overlay is None)
            assert isinstance(state.screen, s.Questions)
            assert app.screen.query(Input).first().value == "abc"  # nothing was lost
            world.cards.remove()
            await until(pilot, app, lambda st: st.card is None)
    finally:
        store.close()
        set_current(Language.ENGLISH)

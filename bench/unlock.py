"""Machine time of a whole unlock through the app, against raw APDUs + HTTP; typing latency.

Everything runs on the demo world (demo.world.DemoWorld: private pcscd + vpcd, SMTP
catcher, the service in demo mode) with the demo "locked" holder, a fresh locked card
each journey.

Floor (first, without the app): the same unlock done raw, timed over its exchanges
only: smartcard.scard SCardTransmit for each APDU and one httpx.Client request for
each HTTP call (nonce, INTERNAL AUTHENTICATE, unlock; answers; code; GET CHALLENGE,
cryptogram, RESET RETRY COUNTER, result). Waiting for the mail is the person's time
and is left out of both.

App: the kiosk built like tests/app/conftest.py, headless under Pilot; machine time is
the sum of, for each of the holder's steps (Continue, answers, code, new passcode), the
time from the intent posted to the next screen shown and no longer busy.

Typing: on the code screen, digits and backspaces pressed into the masked code field
with `pilot.press`, each timed from the press to the field's value updated and the
Pilot idle (screen refreshed).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bench.common import READER, demo_kiosk, emit, ratio, summary
from card.pcscd import PrivatePcscd
from tests.support import mailed_codes

_DEBUG: Callable[[], str] = lambda: ""  # noqa: E731 - replaced while the app runs
NEW_PINS = ("258147", "369258", "471036", "582947", "693058", "704169", "815270", "926381")


class Mail:
    """Codes from the demo world's SMTP catcher (bounded waits)."""

    def __init__(self, world: Any, email: str) -> None:
        self.world = world
        self.email = email

    def count(self) -> int:
        """Messages to the holder so far."""
        return len([m for m in self.world.mail.mailbox.snapshot() if self.email in str(m["To"])])

    def code_after(self, seen: int, timeout: float = 15.0) -> str:
        """The code in the first message to the holder after the first `seen`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mails = [m for m in self.world.mail.mailbox.snapshot() if self.email in str(m["To"])]
            for message in mails[seen:]:
                body = message.get_body(("plain",))
                found = mailed_codes(body.get_content() if body is not None else "")
                if found and "unlocked" not in str(message["Subject"]).lower():
                    return found[0]
            time.sleep(0.01)
        raise TimeoutError("no code mailed")


def _locked_card(holder: dict[str, Any]) -> Any:
    from card.virtual import build_card

    return build_card(
        serial=bytes.fromhex(holder["serial"]),
        uuid=holder["uuid"],
        name=holder["name"],
        pin=holder["pin"],
        state="locked",
    )


def _insert(port: int, personalisation: Any) -> Any:
    from card.virtual import VirtualCard, make_applet

    card = VirtualCard(make_applet(personalisation), port=port)
    card.start()
    return card


def _wait_present(present: bool, timeout: float = 5.0) -> None:
    from smartcard import scard

    hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            hresult, states = scard.SCardGetStatusChange(
                ctx, 0, [(READER, scard.SCARD_STATE_UNAWARE)]
            )
            if hresult == scard.SCARD_S_SUCCESS:
                if bool(states[0][1] & scard.SCARD_STATE_PRESENT) == present:
                    return
            time.sleep(0.01)
        raise TimeoutError(f"card present={present} never seen")
    finally:
        scard.SCardReleaseContext(ctx)


class RawCard:
    """Raw PC/SC: one connection, timed transmits."""

    def __init__(self) -> None:
        from smartcard import scard

        self.scard = scard
        _, self.ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        hresult, self.card, self.proto = scard.SCardConnect(
            self.ctx,
            READER,
            scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        if hresult != scard.SCARD_S_SUCCESS:
            raise RuntimeError(f"SCardConnect: {scard.SCardGetErrorMessage(hresult)}")
        self.spent = 0.0

    def apdu(self, hexstr: str, data: bytes = b"") -> bytes:
        """Transmit one APDU; the response data, status word 9000 required."""
        command = list(bytes.fromhex(hexstr) + data)
        t = time.perf_counter()
        hresult, response = self.scard.SCardTransmit(self.card, self.proto, command)
        self.spent += time.perf_counter() - t
        if hresult != self.scard.SCARD_S_SUCCESS or bytes(response[-2:]) != b"\x90\x00":
            raise RuntimeError(f"APDU {hexstr}: {hresult:#x} {bytes(response).hex()}")
        return bytes(response[:-2])

    def close(self) -> None:
        """Disconnect and release."""
        self.scard.SCardDisconnect(self.card, self.scard.SCARD_LEAVE_CARD)
        self.scard.SCardReleaseContext(self.ctx)


def raw_unlock(world: Any, holder: dict[str, Any], new_pin: str) -> dict[str, float]:
    """One unlock done raw; seconds spent in APDUs and in HTTP round trips."""
    mail = Mail(world, holder["email"])
    card = _insert(world.pcscd.port, _locked_card(holder))
    http_spent = 0.0
    try:
        _wait_present(True)
        raw = RawCard()
        client = httpx.Client(
            base_url=world.service_url,
            headers={"Authorization": f"Bearer {world.kiosk_token}"},
            timeout=15,
        )

        def call(path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
            nonlocal http_spent
            t = time.perf_counter()
            reply = client.post(path, json=body)
            http_spent += time.perf_counter() - t
            if reply.status_code >= 300:
                raise RuntimeError(f"{path}: {reply.status_code} {reply.text[:200]}")
            answer: dict[str, Any] = reply.json()
            return answer

        try:
            raw.apdu("00A4040005F053535501")
            serial = raw.apdu("00CA010100")
            uuid = raw.apdu("00CA010200").decode()
            raw.apdu("00CA010300")
            raw.apdu("00CA010400")
            nonce = call("/v1/nonces")["nonce"]
            mac = raw.apdu("0088000110", bytes.fromhex(nonce))
            seen = mail.count()
            unlock = call(
                "/v1/unlocks",
                {"serial": serial.hex(), "uuid": uuid, "nonce": nonce, "mac": mac.hex()},
            )
            uid = unlock["unlock_id"]
            answers = {q["id"]: holder["answers"][q["id"]] for q in unlock["questions"]}
            call(f"/v1/unlocks/{uid}/answers", {"answers": answers})
            code = mail.code_after(seen)
            call(f"/v1/unlocks/{uid}/code", {"code": code})
            challenge = raw.apdu("0084000010")
            cryptogram = call(f"/v1/unlocks/{uid}/cryptogram", {"challenge": challenge.hex()})
            pin = new_pin.encode().ljust(8, b"\xff")
            raw.apdu("002C008118", bytes.fromhex(cryptogram["cryptogram"]) + pin)
            call(f"/v1/unlocks/{uid}/result", {"outcome": "unlocked", "status_word": "9000"})
        finally:
            raw.close()
            client.close()
    finally:
        card.stop()
        _wait_present(False)
    return {"apdu": raw.spent, "http": http_spent, "total": raw.spent + http_spent}


async def until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    """Let the running app go on until predicate holds (TimeoutError after timeout s)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the app did not reach the expected state: {_DEBUG()}")
        await asyncio.sleep(0.001)


def _changed(field: Any, before: str) -> Callable[[], bool]:
    return lambda: field.value != before


async def _time_presses(pilot: Any, field: Any, keys: int) -> list[float]:
    """Press `keys` digits and backspaces into the focused field; seconds from each press
    to the field showing it. Emptied before it fills, so every press changes it."""
    samples: list[float] = []
    for i in range(keys):
        key = "backspace" if field.value and i % 4 == 3 else str(i % 10)
        before = field.value
        t = time.perf_counter()
        await pilot.press(key)
        await until(_changed(field, before), 5)
        await pilot.pause()
        samples.append(time.perf_counter() - t)
        if len(field.value) >= 7:
            field.value = ""
            await pilot.pause()
    return samples


class AppJourneys:
    """Whole unlocks of the demo locked card through a running app (under Pilot).

    Shared with bench/app_memory.py. Each journey inserts a fresh locked card, posts
    the holder's intents (Continue, answers, the mailed code, a new passcode) and
    times each from the intent posted to the next screen shown and no longer busy.
    """

    def __init__(self, app: Any, world: Any, holder: dict[str, Any]) -> None:
        self.app = app
        self.holder = holder
        self.port = world.pcscd.port
        self.mail = Mail(world, holder["email"])
        self.steps: dict[str, list[float]] = {
            "continue": [],
            "answers": [],
            "code": [],
            "passcode": [],
        }
        #: The card of the last journey (its PIN and tries left show what was written)
        #: and the new passcode typed for it.
        self.card: Any = None
        self.new_pin = ""
        global _DEBUG
        _DEBUG = lambda: (  # noqa: E731
            f"{type(app.state.screen).__name__}, focused {app.focused!r}, "
            f"value {getattr(app.focused, 'value', None)!r}"
        )

    def on(self, kind: type) -> Callable[[], bool]:
        """Whether the flow shows a `kind` screen that is not busy."""
        app = self.app
        return lambda: (
            isinstance(app.state.screen, kind) and not getattr(app.state.screen, "busy", False)
        )

    async def step(self, name: str, event: Any, kind: type) -> None:
        """Post one intent and wait for the `kind` screen; the time goes to `steps[name]`."""
        from kiosk.messages import Intent

        t = time.perf_counter()
        self.app.post_message(Intent(event))
        await until(self.on(kind))
        self.steps[name].append(time.perf_counter() - t)

    async def one(self, j: int, at: Callable[[str], Awaitable[None]] | None = None) -> float:
        """Journey `j` from the waiting screen back to it; its machine time (four steps).

        `at("code")` is awaited on the code screen once the code has been mailed,
        `at("passcode")` on the new-passcode screen, each before the step is taken.
        """
        from kiosk.flow import events as e
        from kiosk.flow import states as s

        app, holder = self.app, self.holder
        self.card = _locked_card(holder)
        card = _insert(self.port, self.card)
        try:
            await until(self.on(s.CardStatus))
            seen = self.mail.count()
            await self.step("continue", e.Continue(), s.Questions)
            questions = app.state.screen.questions
            answers = {q.id: holder["answers"][q.id] for q in questions}
            await self.step("answers", e.SubmitAnswers(answers), s.CodeEntry)
            code = await asyncio.to_thread(self.mail.code_after, seen)
            if at is not None:
                await at("code")
            await self.step("code", e.SubmitCode(code), s.NewPasscode)
            if at is not None:
                await at("passcode")
            pin = self.new_pin = NEW_PINS[j % len(NEW_PINS)]
            await self.step("passcode", e.SubmitNewPasscode(pin, pin), s.Unlocked)
            total = sum(v[-1] for v in self.steps.values())
        finally:
            card.stop()
        await until(lambda: not isinstance(app.state.screen, s.Unlocked), 10)
        return total


async def app_unlocks(
    app: Any, world: Any, holder: dict[str, Any], journeys: int, keys: int
) -> dict[str, Any]:
    """Unlocks through the app; machine time per journey, per step; typing latencies."""
    from textual.widgets import Input

    from kiosk.flow import states as s

    run = AppJourneys(app, world, holder)
    totals: list[float] = []
    typing: list[float] = []

    async with app.run_test(size=(100, 34)) as pilot:

        async def type_into_code(where: str) -> None:
            if where != "code":
                return
            await pilot.pause()
            field = app.screen.query_one("#code", Input)
            field.focus()
            await pilot.pause()
            typing.extend(await _time_presses(pilot, field, keys))
            field.value = ""

        await until(run.on(s.WaitingForCard))
        for j in range(journeys):
            totals.append(await run.one(j, type_into_code if j == 0 and keys else None))
    return {"totals": totals, "steps": run.steps, "typing": typing}


async def typing_floor(keys: int) -> list[float]:
    """The same presses into a bare Textual `Input(password=True)` in a one-field app."""
    from textual.app import App, ComposeResult
    from textual.widgets import Input

    class OneField(App[None]):
        def compose(self) -> ComposeResult:
            yield Input(password=True, id="code")

    app = OneField()
    async with app.run_test(size=(100, 34)) as pilot:
        field = app.query_one("#code", Input)
        field.focus()
        await pilot.pause()
        return await _time_presses(pilot, field, keys)


def run(quick: bool = True) -> dict[str, Any]:
    """Whole-unlock machine time (app vs raw) and typing latency."""

    from demo.world import DemoWorld

    journeys = int(os.environ.get("BENCH_UNLOCK_JOURNEYS", 3 if quick else 8))
    keys = int(os.environ.get("BENCH_UNLOCK_KEYS", 40 if quick else 150))
    floor_typing = asyncio.run(typing_floor(keys))
    pcscd = PrivatePcscd()
    pcscd.start()
    os.environ.update(pcscd.environ())
    workdir = Path(tempfile.mkdtemp(prefix="ssu-bench-unlock-"))
    world = DemoWorld(workdir / "world", pcscd=pcscd).start()
    result: dict[str, Any] = {"journeys": journeys}
    try:
        holder = next(h for h in world.demo_data["holders"] if h["key"] == "locked")
        raws = [raw_unlock(world, holder, NEW_PINS[i % len(NEW_PINS)]) for i in range(journeys)]
        app, store = demo_kiosk(world, workdir)
        try:
            got = asyncio.run(app_unlocks(app, world, holder, journeys, keys))
        finally:
            store.close()
    finally:
        world.stop()
        pcscd.stop()
    floor = summary([r["total"] for r in raws])
    ours = summary(got["totals"])
    result["unlock"] = {
        "how": (
            f"{journeys} unlocks of the demo locked card each way. Floor: raw SCardTransmit "
            "APDUs (SELECT, GET DATA x4, INTERNAL AUTHENTICATE, GET CHALLENGE, RESET RETRY "
            "COUNTER) + httpx round trips (nonce, unlock, answers, code, cryptogram, result), "
            "summed. App: intent posted to the next screen shown, not busy, summed over "
            "Continue, answers, code and new passcode. The app's card read before the "
            "card status screen is in benchmark 1, not here; so is the raw read here."
        ),
        "floor": floor,
        "floor_apdu": summary([r["apdu"] for r in raws]),
        "floor_http": summary([r["http"] for r in raws]),
        "app": ours,
        "app_steps": {k: summary(v) for k, v in got["steps"].items()},
        "ratio_median": ratio(ours["median"], floor["median"]),
    }
    t = summary(got["typing"])
    t["floor"] = summary(floor_typing)
    t["ratio_median"] = ratio(t["median"], t["floor"]["median"])
    t["ratio_p95"] = ratio(t["p95"], t["floor"]["p95"])
    t["how"] = (
        f"{t['n']} key presses (digits, every 4th a backspace) into the masked code field "
        "(`SecretInput`, password=True) on the code screen, under Pilot: `pilot.press` to "
        "the field's value changed and `pilot.pause()` returned (screen refreshed). "
        "Headless: the terminal write itself is not included. Floor: the same presses "
        "into a bare `Input(password=True)` in a one-field Textual app, same process."
    )
    result["typing"] = t
    return result


if __name__ == "__main__":
    emit(run(quick="--full" not in sys.argv))

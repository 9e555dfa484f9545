"""Demo mode: everything on this machine, on embedded defaults.

`DemoWorld` starts a private pcscd with the vpcd reader, a local SMTP catcher, the
unlock service in demo mode on loopback with the demo holders, and keeps the
demo cards (whose passcode and counter persist while the demo runs, so a card
blocked by hand stays blocked when re-inserted). The tests use the same world,
so the demo and the tests run on the very same real parts.

Demo data is public by design (config/demo-holders.toml, config/dev-keys.toml).
"""

from __future__ import annotations

import email
import email.policy
import errno
import functools
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from card import piv
from card.applet import CardPersonalisation
from card.pcscd import PrivatePcscd, die_with_parent
from card.piv_applet import PivPersonalisation, ReferenceData
from card.virtual import (
    DEMO_HOLDERS_PATH,
    VirtualCard,
    VirtualPivCard,
    VpcdCard,
    build_card,
    build_piv_card,
    make_applet,
    make_piv_applet,
)
from kiosk.app import DemoControls

LOOPBACK = "127.0.0.1"


SMS_GATEWAY = "sms.demo.invalid"
"""The demo's email-to-SMS gateway domain: texts reach the mail catcher there."""


class PortTaken(RuntimeError):
    """The service could not bind its port: something else took it first."""


class DemoNotStarted(RuntimeError):
    """A part of the demo world did not start; the message says which and why."""


def _what_failed(exc: BaseException) -> str:
    if isinstance(exc, subprocess.CalledProcessError):
        said = (exc.stderr or b"").decode(errors="replace").strip().splitlines()
        return f"seeding the demo data failed: {said[-1] if said else exc}"
    if isinstance(exc, subprocess.TimeoutExpired):
        return "seeding the demo data took too long"
    return str(exc) or type(exc).__name__


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclass
class Mailbox:
    """What the local SMTP catcher received, oldest first (thread-safe)."""

    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        """Keep the message."""
        raw = envelope.content if isinstance(envelope.content, bytes) else b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[EmailMessage]:
        """A copy of the messages so far."""
        with self.lock:
            return list(self.messages)

    def text(self) -> str:
        """Every message as text, newest first (for the demo mailbox screen)."""
        parts = []
        for message in reversed(self.snapshot()):
            body = message.get_body(("plain",))
            content = body.get_content() if body is not None else ""
            to = str(message["To"])
            if to.endswith(f"@{SMS_GATEWAY}"):
                # A text message, through the demo's email-to-SMS gateway address.
                parts.append(f"TEXT to {to.partition('@')[0]}\n\n{content.strip()}\n")
                continue
            parts.append(f"EMAIL to {to}\nSubject: {message['Subject']}\n\n{content.strip()}\n")
        return "\n" + ("-" * 60 + "\n").join(parts) if parts else ""


class MailCatcher:
    """A real SMTP server on loopback that keeps what it receives."""

    def __init__(self, port: int | None = None) -> None:
        self._chosen = port is not None
        #: Where it serves: the port given, or one chosen when it starts (0 until then).
        self.port = port or 0
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        """Start serving on loopback (on a free port chosen again if another process
        took this one first, unless the port was given)."""
        for tries_left in range(4, -1, -1):
            if not self._chosen:
                # Chosen now, not when made: a parallel test worker may have taken it
                # since. (A port taken in between is only known once aiosmtpd's wait
                # ends: rare, and then another is chosen.)
                self.port = free_port()
            try:
                self._serve()
                return
            except OSError as exc:
                if self._chosen or not tries_left or exc.errno != errno.EADDRINUSE:
                    raise

    def restart(self) -> None:
        """Serve again after stop(), on the same port with the same mailbox."""
        self._serve()

    def _serve(self) -> None:
        # aiosmtpd waits 5 s for its thread by default: too short on a busy machine
        # (a test run on every core), where the demo could fail to start.
        controller = Controller(self.mailbox, hostname=LOOPBACK, port=self.port, ready_timeout=30)
        try:
            controller.start()
        except BaseException:
            # Nothing left behind: a server that came up after the wait is stopped, and
            # the event loop a failed start leaves open is closed.
            controller.stop(no_assert=True)
            if not controller.loop.is_closed():
                controller.loop.close()
            raise
        self._controller = controller

    def stop(self) -> None:
        """Stop serving (nothing to do if it is not serving)."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()


def load_demo_data(path: Path = DEMO_HOLDERS_PATH) -> dict[str, Any]:
    """config/demo-holders.toml as a dict."""
    with open(path, "rb") as f:
        return tomllib.load(f)


@dataclass(frozen=True)
class HolderStatus:
    """What the demo service holds about a demo holder now (for the banner)."""

    registered: bool
    answers_changed: bool = False
    """Registered again at the kiosk since the demo started: the seeded answers are gone."""
    self_service_locked: bool = False


def demo_holders(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every demo holder, own-applet cards first, each with its card's `profile`."""
    own = [{**h, "profile": "own"} for h in data.get("holders", [])]
    return own + [{**h, "profile": "piv"} for h in data.get("piv_holders", [])]


#: The demo keys that insert each demo card (F5 removes it).
DEMO_KEYS = {
    "locked": "F2",
    "working": "F3",
    "unregistered": "F4",
    "piv-locked": "Ctrl+F2",
    "piv-working": "Ctrl+F3",
    "piv-unregistered": "Ctrl+F4",
    "ra": "Ctrl+F5",
}
"""The demo's key for each card (F9-F12 are the kiosk's language and access keys)."""


class DemoCards(DemoControls):
    """The demo cards (three holders, an RA, and three PIV cards), one in each reader at a time."""

    def __init__(
        self,
        port: int,
        mailbox: Mailbox,
        holders: list[dict[str, Any]],
        holder_status: Callable[[str], HolderStatus | None] | None = None,
        status_every: float = 1.0,
        policy: str = "questions",
    ) -> None:
        self.port = port
        self._policy = policy
        self._mailbox = mailbox
        self._cards: dict[str, CardPersonalisation | PivPersonalisation] = {}
        self._holders = {h["key"]: h for h in holders}
        self._inserted: VpcdCard | None = None
        self._holder_status = holder_status or (lambda _uuid: None)
        self._status: dict[str, HolderStatus | None] = {}
        self._status_read_at: float | None = None
        self._status_every = status_every

    @property
    def banner(self) -> str:
        """The demo cards as they are now: passcode, locked or not, registration."""
        # Every screen draw reads this: look at the service's database at most once
        # every `status_every` seconds, so the app thread never waits on it more than that.
        now = time.monotonic()
        if self._status_read_at is None or now - self._status_read_at >= self._status_every:
            self._status = {
                h["uuid"]: self._holder_status(h["uuid"]) for h in self._holders.values()
            }
            self._status_read_at = now
        lines = _banner(list(self._holders.values()), self._cards, self._status.get)
        return f"{POLICY_LINES.get(self._policy, self._policy)}\n{lines}"

    def personalisation(self, key: str) -> CardPersonalisation | PivPersonalisation:
        """The demo card of holder `key`, remembered for the whole demo."""
        if key not in self._cards:
            h = self._holders[key]
            if h.get("profile") == "piv":
                # Its PUK is the one seed-demo escrowed; unblocks rotate it from then on.
                self._cards[key] = build_piv_card(
                    serial=bytes.fromhex(h["serial"]),
                    uuid=h["uuid"],
                    name=h["name"],
                    pin=h["pin"],
                    puk=h["puk"],
                    state=h["card_state"],
                )
                return self._cards[key]
            self._cards[key] = build_card(
                serial=bytes.fromhex(h["serial"]),
                uuid=h["uuid"],
                name=h["name"],
                pin=h["pin"],
                state=h["card_state"],
            )
        return self._cards[key]

    #: `make demo`: the RA's card (key "ra") goes into the second reader, the RA's own.
    ra_second_reader: bool = False
    _ra_inserted: VpcdCard | None = None

    def insert(self, key: str) -> None:
        """Insert holder `key`'s card (removing any card in the reader first); the RA's
        card into the second reader when `ra_second_reader`."""
        second = key == "ra" and self.ra_second_reader
        port = self.port + 1 if second else self.port
        personalisation = self.personalisation(key)
        card: VpcdCard
        if isinstance(personalisation, PivPersonalisation):
            card = VirtualPivCard(make_piv_applet(personalisation), port=port)
        else:
            card = VirtualCard(make_applet(personalisation), port=port)
        if second:
            self.remove_ra()
            card.start()
            self._ra_inserted = card
            return
        self.remove()
        card.start()
        self._inserted = card

    def toggle_ra(self) -> None:
        """The RA's card into its reader, or out again if it is in."""
        if self._ra_inserted is not None:
            self.remove_ra()
        else:
            self.insert("ra")

    def remove_ra(self) -> None:
        """Pull the RA's card out of the second reader."""
        card, self._ra_inserted = self._ra_inserted, None
        if card is not None:
            card.stop()

    def remove(self) -> None:
        """Pull the card out."""
        card, self._inserted = self._inserted, None
        if card is not None:
            card.stop()

    def mailbox(self) -> str:
        """The demo mailbox, newest first."""
        return self._mailbox.text()


POLICY_LINES = {
    "questions": "Policy: questions (register, answer 3 questions, code by email).",
    "national-2023": "Policy: national-2023 (no questions: a code by email or text).",
    "two-channel": "Policy: two-channel (a code by email and one by text, both needed).",
}
"""The banner's first line: which unlock policy the demo service runs (--policy)."""

QUESTIONS_PATH = DEMO_HOLDERS_PATH.parent / "questions.toml"


def _question_texts() -> dict[str, str]:
    with open(QUESTIONS_PATH, "rb") as f:
        return {q["id"]: q["text"] for q in tomllib.load(f)["questions"]}


@functools.lru_cache(maxsize=64)
def _holds_pin(reference: ReferenceData, pin: str) -> bool:
    # scrypt on every screen draw would be slow: a PIN change makes a new reference.
    return reference.matches(piv.encode_reference(pin))


def _card_now(
    h: dict[str, Any], card: CardPersonalisation | PivPersonalisation | None
) -> tuple[str, bool]:
    """The passcode to show and whether the card is locked, as the card is now."""
    if card is None:
        return h["pin"], h["card_state"] == "locked"
    if isinstance(card, PivPersonalisation):
        # A PIV card keeps only a digest of its PIN: show the demo one while it holds.
        same = _holds_pin(card.pin, h["pin"])
        return (h["pin"] if same else "the one you chose"), card.pin_blocked
    return card.pin, card.tries_left == 0


def _banner(
    holders: list[dict[str, Any]],
    cards: dict[str, CardPersonalisation | PivPersonalisation],
    holder_status: Callable[[str], HolderStatus | None],
) -> str:
    texts = _question_texts()
    lines = ["DEMO - public test data. F2 locked card, F3 working card, F4 unregistered card,"]
    if any(h.get("profile") == "piv" for h in holders):
        lines.append("PIV cards: Ctrl+F2 locked, Ctrl+F3 working, Ctrl+F4 unregistered.")
    lines.append("F5 remove card, F6 mailbox (codes arrive there), Ctrl+F5 RA card in/out.")
    labels = DEMO_KEYS
    for h in holders:
        # A card inserted once keeps its own passcode and counter (changed by an
        # unlock, a passcode change or wrong tries); the service keeps the rest.
        pin, locked = _card_now(h, cards.get(h["key"]))
        status = holder_status(h["uuid"]) or HolderStatus(registered=bool(h.get("answers")))
        facts = [f"passcode {pin}", "card locked" if locked else "card works"]
        if h.get("ra_role"):
            facts.append(f"RA {'manager' if h['ra_role'] == 'manager' else ''}".strip() + " (3)")
        elif not status.registered:
            facts.append("not registered")
        elif status.self_service_locked:
            facts.append("self-service locked (the RA team must clear it)")
        lines.append(f"{labels.get(h['key'], '')} {h['name']}: " + ", ".join(facts))
        if not status.registered:
            continue
        if status.answers_changed:
            lines.append("     answers: the answers you chose when you registered")
            continue
        for qid, answer in sorted(h.get("answers", {}).items()):
            lines.append(f"     {texts.get(qid, qid)} {answer}")
    return "\n".join(lines)


class DemoWorld:
    """pcscd + vpcd, the SMTP catcher and the unlock service in demo mode, on loopback."""

    def __init__(
        self,
        workdir: Path | None = None,
        pcscd: PrivatePcscd | None = None,
        service_env: dict[str, str] | None = None,
        policy: str | None = None,
    ) -> None:
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="ssu-demo-"))
        #: Extra SSU_SERVICE_* variables for the service (tests: a cheap argon2 cost).
        #: Texts go to the mail catcher as <mobile>@sms.demo.invalid (the demo mailbox
        #: shows them as texts), so every policy runs and notices go by text too.
        self._service_env = {"SSU_SERVICE_SMS_GATEWAY_DOMAIN": SMS_GATEWAY}
        if policy is not None:
            self._service_env["SSU_SERVICE_POLICY"] = policy
        self._service_env |= dict(service_env or {})
        #: The unlock policy the demo service runs (the banner says it).
        self.policy = self._service_env.get("SSU_SERVICE_POLICY", "questions")
        #: An already running pcscd to share (tests: libpcsclite allows one per process).
        self._own_pcscd = pcscd is None
        self.pcscd = pcscd or PrivatePcscd(self.workdir / "pcscd")
        self.mail = MailCatcher()
        self.service_port = free_port()
        self.db_url = f"sqlite:///{self.workdir / 'service.db'}"
        self.service: subprocess.Popen[bytes] | None = None
        self.demo_data = load_demo_data()
        self.kiosk_token = ""
        self.cards: DemoCards | None = None
        self._seeded: dict[str, float | None] = {}

    @property
    def service_url(self) -> str:
        """Where the demo service listens."""
        return f"http://{LOOPBACK}:{self.service_port}"

    def _service_cmd(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "service.cli", *args, "--db", self.db_url]

    def start(self) -> DemoWorld:
        """Start everything and wait until the service answers.

        Raises:
            DemoNotStarted: a part did not start (what started is stopped again).
        """
        try:
            self._start_parts()
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
            self.stop()
            raise DemoNotStarted(f"{_what_failed(exc)} (files in {self.workdir})") from exc
        return self

    def _start_parts(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self._own_pcscd:
            # Generous waits: a demo may start while every core is busy (a test run).
            self.pcscd.start(timeout=30)
            os.environ.update(self.pcscd.environ())
        self.mail.start()
        seeded = subprocess.run(
            self._service_cmd("seed-demo", "--demo"),
            capture_output=True,
            check=True,
            timeout=120,
            env={**os.environ, **self._service_env},
        )
        try:
            self.kiosk_token = json.loads(seeded.stdout)["kiosk_token"]
        except (ValueError, KeyError) as exc:
            raise RuntimeError(f"seeding the demo data gave no kiosk token: {exc!r}") from exc
        self._seeded = self._registrations()
        for tries_left in range(4, -1, -1):
            try:
                self.start_service(timeout=60)
                break
            except PortTaken:
                # Another process (a parallel test worker) took the free port between
                # our choosing it and the service binding it: choose again.
                if not tries_left:
                    raise
                self.service_port = free_port()
        self.cards = DemoCards(
            self.pcscd.port,
            self.mail.mailbox,
            demo_holders(self.demo_data),
            self.holder_status,
            policy=self.policy,
        )

    def _registrations(self) -> dict[str, float | None]:
        """uuid -> when the holder registered, as the service's database holds it."""
        path = self.workdir / "service.db"
        if not path.exists():
            return {}
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)) as conn:
            return dict(conn.execute("SELECT uuid, registered_at FROM holders").fetchall())

    def holder_status(self, uuid: str) -> HolderStatus | None:
        """A demo holder as the service holds them now (None: not readable now)."""
        path = self.workdir / "service.db"
        try:
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.2)) as conn:
                row = conn.execute(
                    "SELECT registered, registered_at, locked_at FROM holders WHERE uuid = ?",
                    (uuid,),
                ).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        registered, registered_at, locked_at = row
        return HolderStatus(
            registered=bool(registered),
            answers_changed=registered_at != self._seeded.get(uuid),
            self_service_locked=locked_at is not None,
        )

    def start_service(self, timeout: float = 30.0) -> None:
        """Start (or restart) the unlock service and wait for its health check."""
        log_path = self.workdir / "service.log"
        logged_before = log_path.stat().st_size if log_path.exists() else 0
        log = open(log_path, "ab")  # noqa: SIM115 - owned by the child
        self.service = subprocess.Popen(
            self._service_cmd(
                "serve",
                "--demo",
                "--host",
                LOOPBACK,
                "--port",
                str(self.service_port),
                "--smtp-host",
                LOOPBACK,
                "--smtp-port",
                str(self.mail.port),
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
            env={**os.environ, **self._service_env},
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.service.poll() is not None:
                this_start = log_path.read_bytes()[logged_before:]
                if b"address already in use" in this_start:
                    raise PortTaken(f"port {self.service_port} was taken")
                raise RuntimeError(f"the service exited; see {self.workdir / 'service.log'}")
            try:
                if httpx.get(f"{self.service_url}/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise TimeoutError("the demo service did not start")

    def stop_service(self) -> None:
        """Stop the unlock service (as an outage would)."""
        proc, self.service = self.service, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def stop(self) -> None:
        """Stop everything this world started."""
        if self.cards is not None:
            self.cards.remove()
            self.cards.remove_ra()
        self.stop_service()
        self.mail.stop()
        if self._own_pcscd:
            self.pcscd.stop()

"""Real parts on loopback: the service under uvicorn, an aiosmtpd mail server, a movable clock."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from card.keys import MasterKeys, aes_cmac
from contract.contacts import RaContacts
from kiosk.service_client import ServiceClient
from service.app import create_app
from service.selfservice import SelfService
from service.settings import Argon2Cost, ServiceSettings
from tests.postgres import PrivatePostgres
from tests.support import mailed_codes

WAIT = 30.0


def wait_for(predicate: Callable[[], Any], timeout: float = WAIT, what: str = "condition") -> Any:
    """Poll predicate until it returns something truthy, or fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- mail ------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """Everything the loopback SMTP server received."""

    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or b""
        with self.lock:
            self.messages.append(message_from_bytes(content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def wait_count(self, address: str, count: int) -> list[Message]:
        """Wait until address has received count messages; all of them."""
        return wait_for(  # type: ignore[no-any-return]
            lambda: (lambda got: got if len(got) >= count else None)(self.to(address)),
            what=f"{count} mails to {address}",
        )

    def code(self, address: str, count: int) -> str:
        """The 8-digit code in the count-th mail to address."""
        message = self.wait_count(address, count)[count - 1]
        body = message.get_payload(decode=True)
        assert isinstance(body, bytes)
        found = mailed_codes(body)
        assert found, "no code in mail"
        return found[0]

    def all_text(self) -> str:
        with self.lock:
            return "\n".join(m.as_string() for m in self.messages)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on loopback; yields its mailbox and port."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield mailbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Mailbox, int]) -> Mailbox:
    return smtp_server[0]


# -- clock and keys --------------------------------------------------------------------


class MovableClock:
    """Real time plus an offset tests can move forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def masters(tmp_path: Path) -> MasterKeys:
    """Fresh, non-development master keys."""
    return MasterKeys.fresh()


def card_mac(masters: MasterKeys, serial: str, nonce: bytes, key: str = "card_auth") -> bytes:
    """What the card answers to INTERNAL AUTHENTICATE over nonce."""
    return aes_cmac(masters.derive(key, bytes.fromhex(serial)), nonce)


# -- the service -----------------------------------------------------------------------

CHEAP_ARGON2 = Argon2Cost(time_cost=1, memory_cost=8, parallelism=1)


BACKENDS = ["sqlite", "postgresql"]
"""Every store the service supports: each test that uses one runs on both."""


@pytest.fixture(params=BACKENDS)
def store_backend(request: pytest.FixtureRequest) -> str:
    """The store's backend; this suite runs each test on SQLite and on PostgreSQL."""
    return str(request.param)


def fresh_store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store's URL: an SQLite file in tmp_path, or a new database in the
    session's private PostgreSQL cluster (dropped after the test)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'service.db'}"
        return
    cluster: PrivatePostgres = request.getfixturevalue("postgres")
    url = cluster.new_database()
    try:
        yield url
    finally:
        cluster.drop_database(url)


@pytest.fixture
def db_url(store_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store on this test's backend."""
    yield from fresh_store(store_backend, request, tmp_path)


@pytest.fixture
def settings(db_url: str, smtp_server: tuple[Mailbox, int]) -> ServiceSettings:
    """Settings for a test service: its own store, the loopback SMTP server."""
    return ServiceSettings(
        db=db_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp_server[1],
        smtp_timeout=5.0,
        ra_contacts=RaContacts(organisation="the RA team", phone="0300 555 0100"),
        argon2=CHEAP_ARGON2,
    )


@dataclass
class RunningService:
    """A service under uvicorn on 127.0.0.1, with two registered kiosks."""

    url: str
    service: SelfService
    server: uvicorn.Server
    thread: threading.Thread
    tokens: dict[str, str]
    demo: dict[str, Any]

    def holder(self, key: str) -> dict[str, Any]:
        """A demo holder by its key in config/demo-holders.toml (locked, working, unregistered,
        ra: an RA manager)."""
        index = {"locked": 0, "working": 1, "unregistered": 2, "ra": 3}[key]
        return dict(self.demo["holders"][index])

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=WAIT)

    def __enter__(self) -> RunningService:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def client(self, kiosk: str = "ward-7") -> ServiceClient:
        """The kiosk's own client, as kiosk `kiosk` ("ward-7" or "ra-desk")."""
        return ServiceClient(self.url, self.tokens[kiosk], timeout=5.0, retries=2)


def start_service(
    settings: ServiceSettings, masters: MasterKeys, clock: Callable[[], datetime]
) -> RunningService:
    """Build the app, seed the demo holders, add two kiosks and serve on a free port.

    Stop it when done, or use it as a context manager (`with start_service(...) as s:`).
    """
    app = create_app(settings, clock=clock, masters=masters)
    service: SelfService = app.state.service
    demo = service.seed_demo()
    tokens = {}
    for name in ("ward-7", "ra-desk"):
        tokens[name] = secrets.token_urlsafe(32)
        service.add_kiosk(name, tokens[name], ra_desk=name == "ra-desk")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, access_log=True, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started, what="uvicorn to start")
    return RunningService(
        url=f"http://127.0.0.1:{port}",
        service=service,
        server=server,
        thread=thread,
        tokens=tokens,
        demo=demo,
    )


@pytest.fixture
def live_service(
    settings: ServiceSettings, masters: MasterKeys, clock: MovableClock
) -> Iterator[RunningService]:
    """The service over real HTTP on loopback."""
    with start_service(settings, masters, clock) as running:
        yield running


@pytest.fixture
async def client(live_service: RunningService) -> AsyncIterator[ServiceClient]:
    """A client as kiosk "ward-7"."""
    async with live_service.client("ward-7") as c:
        yield c


@pytest.fixture
async def client_b(live_service: RunningService) -> AsyncIterator[ServiceClient]:
    """A client as kiosk "ra-desk"."""
    async with live_service.client("ra-desk") as c:
        yield c

"""Fixtures for real parts: a private pcscd with the vpcd reader, and virtual cards.

The pcscd is private to this test session (docs/design.md section 3, hermetic recipe):
its own reader.conf.d on free ports, its socket in a temporary directory, so the
tests never touch a pcscd that someone else runs, and two test runs can share a
machine. libpcsclite reads PCSCLITE_CSOCK_NAME once per process, so the whole
session uses one pcscd (restarted in place when a test needs that).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from card.applet import CardPersonalisation
from card.pcscd import PrivatePcscd
from card.piv_applet import PivPersonalisation
from card.virtual import (
    VirtualCard,
    VirtualPivCard,
    VpcdCard,
    build_card,
    build_piv_card,
    make_applet,
    make_piv_applet,
)
from demo.world import DemoWorld
from service.logs import unconfigure_logging
from tests.postgres import PrivatePostgres
from tests.secrecy import recording_cryptograms, recording_puks, scan, world_secrets
from tests.support import wait_for

# aiosmtpd waits 5 s for a test's SMTP server to come up unless told otherwise: too
# short with every core busy (the whole suite in parallel); its own variable says longer.
os.environ.setdefault("AIOSMTPD_CONTROLLER_TIMEOUT", "30")

READER = "Virtual PCD 00 00"
RA_READER = "Virtual PCD 00 01"
"""The private pcscd's second reader: the RA's own, at a desk with two."""


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivatePcscd]:
    """A private pcscd with a vpcd reader, for the whole session."""
    daemon = PrivatePcscd(tmp_path_factory.mktemp("pcscd"))
    daemon.start()
    os.environ.update(daemon.environ())
    os.environ.pop("SSU_READER", None)
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PrivatePostgres]:
    """A private PostgreSQL cluster for the whole session (per xdist worker), started
    the first time a test asks for it and stopped at the end; never the system's."""
    cluster = PrivatePostgres().start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def store_backend() -> str:
    """The service store's backend where a directory does not choose: SQLite.

    tests/service and tests/load parametrise this over SQLite and PostgreSQL.
    """
    return "sqlite"


@pytest.fixture
def live_pcscd(pcscd: PrivatePcscd) -> PrivatePcscd:
    """The session pcscd, started again if an earlier test left it stopped."""
    if pcscd.proc is None or pcscd.proc.poll() is not None:
        pcscd.start()
    return pcscd


def reader_has_card(present: bool, reader: str = READER) -> bool:
    """Whether pcscd sees `reader` with (or without) a card."""
    from card.reader import list_readers

    try:
        states = {r.name: r.has_card for r in list_readers()}
    except Exception:
        return False
    return states.get(reader) is present


def make_card(state: str = "working", **overrides: object) -> CardPersonalisation:
    """A card personalisation with test defaults."""
    values: dict[str, object] = {
        "serial": bytes.fromhex("5353550000000042"),
        "uuid": "555000000042",
        "name": "Priya Shah",
        "pin": "583920",
        "state": state,
    }
    values.update(overrides)
    return build_card(**values)  # type: ignore[arg-type]


#: The test PIV card's PUK (public test data).
TEST_PUK = "24681357"


def make_piv_card(state: str = "working", **overrides: object) -> PivPersonalisation:
    """A PIV card personalisation with test defaults (PIN 583920, PUK TEST_PUK)."""
    values: dict[str, object] = {
        "serial": bytes.fromhex("5353550000000043"),
        "uuid": "555000000043",
        "name": "Jordan Lee",
        "pin": "583920",
        "puk": TEST_PUK,
        "state": state,
    }
    values.update(overrides)
    return build_piv_card(**values)  # type: ignore[arg-type]


InsertCard = Callable[..., VirtualCard]


@pytest.fixture
def insert_card(live_pcscd: PrivatePcscd) -> Iterator[InsertCard]:
    """Insert a virtual card into slot 0 and wait until pcscd sees it; removed after.

    A PivPersonalisation (`make_piv_card()`) inserts a virtual PIV card.
    """
    cards: list[VpcdCard] = []

    def insert(
        card: CardPersonalisation | PivPersonalisation | None = None,
        cls: type[VpcdCard] | None = None,
        wait: bool = True,
    ) -> VpcdCard:
        vcard: VpcdCard
        if isinstance(card, PivPersonalisation):
            vcard = (cls or VirtualPivCard)(make_piv_applet(card), port=live_pcscd.port)
        else:
            vcard = (cls or VirtualCard)(make_applet(card or make_card()), port=live_pcscd.port)
        vcard.start()
        cards.append(vcard)
        if wait:
            wait_for(lambda: reader_has_card(True), what="pcscd to see the card")
        return vcard

    yield insert
    for vcard in cards:
        vcard.stop()
    if live_pcscd.proc is not None and live_pcscd.proc.poll() is None:
        wait_for(lambda: reader_has_card(False), what="pcscd to see the card removed")


# The kiosk's tests drive whole journeys, not the hashing: argon2id at its configured
# cost (about 0.2 s of CPU per answer) only made them slow and, on a busy machine,
# late past the test client's timeout. The service's own tests keep their costs.
CHEAP_ANSWER_HASHING = {
    "SSU_SERVICE_ARGON2__TIME_COST": "1",
    "SSU_SERVICE_ARGON2__MEMORY_COST": "64",
    "SSU_SERVICE_ARGON2__PARALLELISM": "1",
}


@pytest.fixture
def world(live_pcscd: PrivatePcscd, tmp_path: Path) -> Iterator[DemoWorld]:
    """A fresh demo world (service database, mailbox, cards) on the session pcscd."""
    with recording_cryptograms() as cryptograms, recording_puks() as piv_secrets:
        demo = DemoWorld(tmp_path / "world", pcscd=live_pcscd, service_env=CHEAP_ANSWER_HASHING)
        demo.start()
        try:
            yield demo
        finally:
            demo.stop()
            wait_for(lambda: reader_has_card(False), what="the demo card to be removed")
    # Every test on the demo world ends with the secrecy scan of what it left behind.
    hits = scan([tmp_path], world_secrets(demo, cryptograms, piv_secrets))
    assert not hits, f"secrets found on disk: {hits}"


@pytest.fixture
def today() -> dt.date:
    """Today's date, for card expiry arithmetic."""
    return dt.date.today()


@pytest.fixture(autouse=True)
def no_service_logging_left_behind() -> Iterator[None]:
    """A test that ran `ssu-service` in-process leaves no log handler on the root logger
    (the SMTP catcher's threads logged through it to the terminal between tests)."""
    level = logging.getLogger().level
    yield
    unconfigure_logging()
    logging.getLogger().setLevel(level)

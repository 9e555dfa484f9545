"""The kiosk app on real parts: private pcscd + vpcd with the demo cards, the unlock
service in demo mode over HTTP on loopback, and a real SMTP server receiving the codes.

These are the very parts `make demo` runs (demo.world.DemoWorld).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from card.virtual import VirtualCard
from demo.world import DemoWorld
from kiosk.app import KioskApp, make_app
from kiosk.card_access import PcscCardAccess
from kiosk.service_client import ServiceClient
from kiosk.settings import KioskSettings
from kiosk.store import LocalStore
from tests.conftest import RA_READER, READER, reader_has_card
from tests.support import mailed_codes, wait_for


def holder(world: DemoWorld, key: str) -> dict[str, Any]:
    """A demo holder's public test data (uuid, pin, answers ...; PIV ones: puk)."""
    everyone = [*world.demo_data["holders"], *world.demo_data.get("piv_holders", [])]
    return next(h for h in everyone if h["key"] == key)


def latest_code(world: DemoWorld, email: str, count: int = 1) -> str:
    """The code in the `count`-th mail to `email` (waits for it)."""

    def mails() -> list[Any]:
        got = [m for m in world.mail.mailbox.snapshot() if email in str(m["To"])]
        return got if len(got) >= count else []

    message = wait_for(mails, timeout=30, what=f"mail {count} to {email}")[count - 1]
    body = message.get_body(("plain",)).get_content()
    found = mailed_codes(body)
    assert found, "no code in the mail"
    return found[0]


def world_settings(world: DemoWorld, tmp_path: Path) -> KioskSettings:
    """A kiosk's settings for the world's service and reader, its store in tmp_path."""
    return KioskSettings.load(
        None,
        service_url=world.service_url,
        kiosk_token=SecretStr(world.kiosk_token),
        store=tmp_path / "kiosk.sqlite",
        reader=READER,
        kiosk_name="Ward 7 kiosk",
    )


@contextmanager
def kiosk_on(
    world: DemoWorld,
    settings: KioskSettings,
    opener: Callable[[Path], LocalStore] = LocalStore,
    **parts: Any,
) -> Iterator[KioskApp]:
    """The kiosk app on the world's reader and service (a client quick to give up: the
    fault tests' hanging service must be given up on within their waits), with
    its store opened by `opener`; `parts` are make_app's other arguments (`ra_card`,
    `demo` ...). The store is closed after."""
    store = opener(settings.store)
    try:
        yield make_app(
            settings=settings,
            card=PcscCardAccess(READER),
            client=ServiceClient(world.service_url, world.kiosk_token, timeout=3.0, retries=1),
            store=store,
            **parts,
        )
    finally:
        store.close()


@pytest.fixture
def kiosk_settings(world: DemoWorld, tmp_path: Path) -> KioskSettings:
    return world_settings(world, tmp_path)


@pytest.fixture
def ra_reader(world: DemoWorld) -> Iterator[list[VirtualCard]]:
    """The RA's reader: the cards a test puts in it are pulled after the test."""
    cards: list[VirtualCard] = []
    yield cards
    for card in cards:
        card.stop()
    wait_for(lambda: reader_has_card(False, RA_READER), what="the RA reader empty")


@pytest.fixture
async def kiosk(world: DemoWorld, kiosk_settings: KioskSettings) -> AsyncIterator[KioskApp]:
    with kiosk_on(world, kiosk_settings, demo=world.cards, outbox_seconds=0.5) as app:
        yield app


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

"""One source for the RA team's contacts: the service's settings, on every screen.

The kiosk shows what `GET /v1/ra-contacts` answers (the same `RaContacts` every
mail quotes), flags the shipped example on every screen, and keeps the last
answer so that a restart during an outage still shows them. The unlock policy
(`GET /v1/policy`) is asked and kept the same way.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from contract.contacts import RaContacts
from contract.wire import PolicyOut
from demo.world import DemoWorld
from kiosk.app import KioskApp, make_app
from kiosk.card_access import PcscCardAccess
from kiosk.flow import states as s
from kiosk.service_client import ServiceClient
from kiosk.settings import KioskSettings
from kiosk.store import LocalStore
from tests.app.journey import SIZE, on, until
from tests.conftest import READER
from tests.screens.harness import screen_text

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = PolicyOut(policy="questions", registration_needed=True)
"""The demo service's policy (the shipped config's)."""
SHIPPED = RaContacts.model_validate(
    tomllib.loads((ROOT / "config" / "service.toml").read_text())["ra_contacts"]
)


async def test_the_screens_show_the_services_contacts_and_keep_them_for_an_outage(
    world: DemoWorld, kiosk: KioskApp, kiosk_settings: KioskSettings
) -> None:
    # The demo's service runs on the shipped config/service.toml: its example contacts.
    assert SHIPPED.example and SHIPPED.phone
    assert "placeholder" not in SHIPPED.model_dump_json().lower()
    async with kiosk.run_test(size=SIZE) as pilot:
        await until(pilot, kiosk, on(s.WaitingForCard))
        for _ in range(200):
            if kiosk.ra_contacts == SHIPPED and kiosk.policy == QUESTIONS:
                break
            await pilot.pause(0.05)
        assert kiosk.policy == QUESTIONS
        await pilot.pause(0.2)
        text = " ".join(screen_text(kiosk).split())  # the footer may wrap
        assert f"{SHIPPED.organisation}: {SHIPPED.phone}" in text and "(example)" in text

    # Restarted with its service out of reach: the contacts last sent, at once.
    store = LocalStore(kiosk_settings.store)
    offline = make_app(
        settings=kiosk_settings,
        card=PcscCardAccess(READER),
        client=ServiceClient("http://127.0.0.1:9", world.kiosk_token, timeout=0.5, retries=0),
        store=store,
    )
    try:
        assert offline.ra_contacts == SHIPPED
        assert offline.policy == QUESTIONS
        async with offline.run_test(size=SIZE) as pilot:
            await until(pilot, offline, on(s.WaitingForCard))
            await pilot.pause(0.2)
            assert SHIPPED.phone in screen_text(offline)
    finally:
        store.close()


def test_a_kiosk_that_never_reached_its_service_names_no_team(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "kiosk.sqlite")
    try:
        from kiosk import policy, ra_contacts

        assert ra_contacts.cached(store) == RaContacts()
        assert policy.cached(store) is None  # the screens speak of the default policy
        assert RaContacts().organisation == "your local RA team"
    finally:
        store.close()


def test_the_mail_phrase_is_built_from_the_same_contacts() -> None:
    line = SHIPPED.one_line()
    assert SHIPPED.organisation in line and SHIPPED.phone in line and SHIPPED.email in line
    assert "example" in line  # a mail sent with the shipped example says so too

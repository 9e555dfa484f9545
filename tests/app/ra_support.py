"""Helpers for the RA desk's tests on the demo world."""

from __future__ import annotations

import pytest

from demo.world import DemoWorld
from kiosk.card_access import PcscCardAccess
from kiosk.service_client import SelfServiceLockedError, ServiceClient, WrongAnswers
from tests.conftest import READER


async def lock_self_service(world: DemoWorld) -> None:
    """Three wrong answer sets at the kiosk, with the card in the first reader."""
    card = PcscCardAccess(READER)
    facts = card.read()
    async with ServiceClient(world.service_url, world.kiosk_token) as client:
        nonce = await client.new_nonce()
        mac = card.card_mac(facts.serial, nonce.nonce)
        started = await client.start_unlock(facts.serial, facts.uuid, nonce.nonce, mac)
        wrong = {q.id: "not the answer" for q in started.questions}
        for _ in range(2):
            with pytest.raises(WrongAnswers):
                await client.send_unlock_answers(started.unlock_id, wrong)
        with pytest.raises(SelfServiceLockedError):
            await client.send_unlock_answers(started.unlock_id, wrong)

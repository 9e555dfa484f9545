"""A virtual PIV card driven APDU by APDU in the test's process, for the service tests.

The card is the project's own PIV applet (`card.piv_applet`, which OpenSC accepts),
without a reader: the service tests need its signatures and its PUK behaviour,
not PC/SC. The kiosk's tests drive the same card through pcscd.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

from card import piv
from card.piv import Puk, Slot
from card.piv_applet import PivApplet, PivPersonalisation
from card.virtual import build_piv_card, make_piv_applet
from kiosk.service_client import PivSignature
from service.settings import CONFIG_DIR


def demo_piv_holders() -> dict[str, dict[str, Any]]:
    """config/demo-holders.toml's PIV holders by key, with their demo PUK."""
    with open(CONFIG_DIR / "demo-holders.toml", "rb") as f:
        return {h["key"]: h for h in tomllib.load(f)["piv_holders"]}


@dataclass
class PivCardInHand:
    """One virtual PIV card and the APDUs the tests send it."""

    applet: PivApplet

    @property
    def card(self) -> PivPersonalisation:
        return self.applet.card

    @property
    def guid(self) -> str:
        return self.card.guid.hex()

    def send(self, command: bytes) -> tuple[int, bytes]:
        """One command, with GET RESPONSE for long answers; (status word, data)."""
        answer = self.applet.process(command)
        data = answer[:-2]
        while answer[-2] == 0x61:
            answer = self.applet.process(bytes([0x00, 0xC0, 0x00, 0x00, answer[-1]]))
            data += answer[:-2]
        return int.from_bytes(answer[-2:], "big"), data

    def sign(self, slot: Slot, nonce: bytes) -> PivSignature:
        sw, data = self.send(piv.general_authenticate(slot, piv.nonce_challenge(nonce)))
        assert sw == 0x9000, f"{sw:04X}"
        _, cert = self.send(piv.get_data(piv.CERT_OBJECT[slot]))
        der = piv.parse_container(cert)[0x70]
        return PivSignature(signature=piv.parse_signature(data), certificate=der)

    def verify(self, pin: str) -> int:
        return self.send(piv.verify(pin))[0]

    def reset_retry_counter(self, puk: str, new_pin: str) -> int:
        return self.send(piv.reset_retry_counter(Puk(puk), new_pin))[0]

    def change_puk(self, old: str, new: str) -> int:
        return self.send(piv.change_puk(Puk(old), Puk(new)))[0]


def demo_piv_card(key: str, **overrides: Any) -> PivCardInHand:
    """The demo PIV card of holder `key` (piv-locked, piv-working, piv-unregistered)."""
    h = demo_piv_holders()[key]
    values: dict[str, Any] = {
        "serial": bytes.fromhex(h["serial"]),
        "uuid": h["uuid"],
        "name": h["name"],
        "pin": h["pin"],
        "puk": h["puk"],
        "state": h["card_state"],
    }
    values.update(overrides)
    applet = make_piv_applet(build_piv_card(**values))
    card = PivCardInHand(applet)
    assert card.send(piv.select())[0] == 0x9000
    return card

"""The unlock applet's behaviour, as the virtual card runs it.

Pure logic: a command APDU in, a response APDU out. The vpcd transport lives in
`card.virtual`. This is the executable form of the applet table in docs/design.md
section 3, so it answers exactly what that table says to any PC/SC client.
"""

from __future__ import annotations

import datetime as dt
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from card import apdu
from card.apdu import SW, AuthKey, DataObject, Ins
from card.applet_session import AppletSession
from card.keys import CardKeys, aes_cmac

MAX_TRIES = 3


@dataclass
class CardPersonalisation:
    """What a card is issued with. `pin` and `tries_left` change over its life."""

    serial: bytes
    uuid: str
    name: str
    expiry: dt.date
    pin: str
    tries_left: int = MAX_TRIES
    keys: CardKeys | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if len(self.serial) != apdu.SERIAL_LENGTH:
            raise ValueError("serial must be 8 bytes")
        if len(self.uuid) != 12 or not self.uuid.isdigit():
            raise ValueError("uuid must be 12 digits")
        apdu.encode_pin(self.pin)  # validates
        if not 0 <= self.tries_left <= MAX_TRIES:
            raise ValueError("tries_left must be 0..3")


def _sw(sw: int, data: bytes = b"") -> bytes:
    return data + sw.to_bytes(2, "big")


class Applet(AppletSession[CardPersonalisation]):
    """One card's applet state: persistent PIN data plus a volatile session."""

    def __init__(
        self,
        card: CardPersonalisation,
        keys: CardKeys,
        *,
        random: Callable[[int], bytes] = os.urandom,
        on_change: Callable[[CardPersonalisation], None] | None = None,
    ) -> None:
        super().__init__(card, on_change)
        self._keys = keys
        self._random = random
        self.challenge: bytes | None = None

    # -- session ----------------------------------------------------------

    def reset(self) -> None:
        """Power off or reset: the session is forgotten, the PIN data is not."""
        super().reset()
        self.challenge = None

    # -- dispatch ---------------------------------------------------------

    def process(self, command: bytes) -> bytes:
        """Answer one command APDU (short APDUs, case 1 to 4)."""
        if len(command) < 4:
            return _sw(SW.WRONG_LENGTH)
        cla, ins, p1, p2 = command[0], command[1], command[2], command[3]
        body = command[4:]
        data: bytes = b""
        if len(body) == 1:
            pass  # case 2: Le only
        elif len(body) > 1:
            lc = body[0]
            if lc == 0 or len(body) not in (1 + lc, 2 + lc):
                return _sw(SW.WRONG_LENGTH)
            data = bytes(body[1 : 1 + lc])
        if cla != 0x00:
            return _sw(SW.CLA_NOT_SUPPORTED)
        # Any command but RESET RETRY COUNTER forgets a pending challenge;
        # GET CHALLENGE sets a new one below.
        pending, self.challenge = self.challenge, None
        if ins == Ins.SELECT:
            return self._select(p1, p2, data)
        handlers: dict[int, Callable[[int, int, bytes], bytes]] = {
            Ins.GET_DATA: self._get_data,
            Ins.VERIFY: self._verify,
            Ins.CHANGE_REFERENCE_DATA: self._change,
            Ins.GET_CHALLENGE: self._get_challenge,
            Ins.INTERNAL_AUTHENTICATE: self._internal_authenticate,
            Ins.RESET_RETRY_COUNTER: lambda a, b, d: self._reset_retry_counter(a, b, d, pending),
        }
        handler = handlers.get(ins)
        if handler is None:
            return _sw(SW.INS_NOT_SUPPORTED)
        if not self.selected:
            # Like a card whose default application is not ours.
            return _sw(SW.CONDITIONS_NOT_SATISFIED)
        return handler(p1, p2, data)

    # -- commands ---------------------------------------------------------

    def _select(self, p1: int, p2: int, data: bytes) -> bytes:
        if p1 != 0x04 or p2 != 0x00 or data != apdu.AID:
            self.selected = False
            return _sw(SW.FILE_NOT_FOUND)
        self.selected = True
        return _sw(SW.OK)

    def _get_data(self, p1: int, p2: int, data: bytes) -> bytes:
        if p1 != 0x01 or data:
            return _sw(SW.WRONG_DATA)
        c = self.card
        values: dict[int, bytes] = {
            DataObject.SERIAL: c.serial,
            DataObject.UUID: c.uuid.encode("ascii"),
            DataObject.EXPIRY: c.expiry.strftime("%Y%m%d").encode("ascii"),
            DataObject.NAME: c.name.encode("utf-8"),
        }
        value = values.get(p2)
        if value is None:
            return _sw(SW.DATA_NOT_FOUND)
        return _sw(SW.OK, value)

    def _tries_word(self) -> int:
        return SW.BLOCKED if self.card.tries_left == 0 else 0x63C0 | self.card.tries_left

    def _check_pin(self, block: bytes) -> int:
        """Compare a PIN block, counting a failure; the status to answer."""
        if self.card.tries_left == 0:
            return SW.BLOCKED
        expected = apdu.encode_pin(self.card.pin)
        if hmac.compare_digest(block, expected):
            self.card.tries_left = MAX_TRIES
            self._changed()
            return SW.OK
        self.pin_verified = False
        self.card.tries_left -= 1
        self._changed()
        return self._tries_word()

    def _verify(self, p1: int, p2: int, data: bytes) -> bytes:
        if p1 != 0x00 or p2 != apdu.PIN_REF:
            return _sw(SW.WRONG_DATA)
        if not data:
            if self.card.tries_left == 0:
                return _sw(SW.BLOCKED)
            return _sw(SW.OK if self.pin_verified else self._tries_word())
        if len(data) != apdu.PIN_LENGTH:
            return _sw(SW.WRONG_LENGTH)
        sw = self._check_pin(data)
        self.pin_verified = sw == SW.OK
        return _sw(sw)

    def _change(self, p1: int, p2: int, data: bytes) -> bytes:
        if p1 != 0x00 or p2 != apdu.PIN_REF:
            return _sw(SW.WRONG_DATA)
        if len(data) != 2 * apdu.PIN_LENGTH:
            return _sw(SW.WRONG_LENGTH)
        try:
            new = apdu.decode_pin(data[apdu.PIN_LENGTH :])
        except ValueError:
            return _sw(SW.WRONG_DATA)
        sw = self._check_pin(data[: apdu.PIN_LENGTH])
        if sw != SW.OK:
            return _sw(sw)
        self.card.pin = new
        self.pin_verified = True
        self._changed()
        return _sw(SW.OK)

    def _get_challenge(self, p1: int, p2: int, data: bytes) -> bytes:
        if p1 != 0x00 or p2 != 0x00 or data:
            return _sw(SW.WRONG_DATA)
        self.challenge = self._random(apdu.CHALLENGE_LENGTH)
        return _sw(SW.OK, self.challenge)

    def _reset_retry_counter(self, p1: int, p2: int, data: bytes, pending: bytes | None) -> bytes:
        if p1 != 0x00 or p2 != apdu.PIN_REF:
            return _sw(SW.WRONG_DATA)
        if len(data) != apdu.CRYPTOGRAM_LENGTH + apdu.PIN_LENGTH:
            return _sw(SW.WRONG_LENGTH)
        if pending is None:
            return _sw(SW.CONDITIONS_NOT_SATISFIED)
        cryptogram, block = data[: apdu.CRYPTOGRAM_LENGTH], data[apdu.CRYPTOGRAM_LENGTH :]
        if not hmac.compare_digest(cryptogram, aes_cmac(self._keys.unblock, pending)):
            return _sw(SW.SECURITY_NOT_SATISFIED)
        try:
            new = apdu.decode_pin(block)
        except ValueError:
            return _sw(SW.WRONG_DATA)
        self.card.pin = new
        self.card.tries_left = MAX_TRIES
        self.pin_verified = False
        self._changed()
        return _sw(SW.OK)

    def _internal_authenticate(self, p1: int, p2: int, data: bytes) -> bytes:
        if p1 != 0x00 or p2 not in (AuthKey.CARD, AuthKey.HOLDER):
            return _sw(SW.WRONG_DATA)
        if len(data) != apdu.NONCE_LENGTH:
            return _sw(SW.WRONG_LENGTH)
        if p2 == AuthKey.HOLDER:
            if not self.pin_verified:
                return _sw(SW.SECURITY_NOT_SATISFIED)
            return _sw(SW.OK, aes_cmac(self._keys.holder_auth, data))
        return _sw(SW.OK, aes_cmac(self._keys.card_auth, data))

"""A session with the card in a PC/SC reader, speaking the unlock applet.

Blocking calls: the kiosk runs them in a worker thread. Every failure is a
`CardError` subclass with a plain-language message.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from smartcard import scard

from card import apdu
from card.apdu import AuthKey, CardInfo, DataObject, PinStatus, Response
from card.closing import Closing
from card.pcsc import CardUnresponsive, Context, NoCardError, NoReaderError, check

READER_ENV = "SSU_READER"


@dataclass(frozen=True)
class ReaderState:
    """A reader and whether it holds a card."""

    name: str
    has_card: bool


def list_readers(ctx: Context | None = None) -> list[ReaderState]:
    """Every reader with whether a card is present."""
    own = ctx is None
    ctx = ctx or Context()
    try:
        names = ctx.readers()
        if not names:
            return []
        states = ctx.status_change([(n, scard.SCARD_STATE_UNAWARE) for n in names], 0)
        return [ReaderState(n, bool(s & scard.SCARD_STATE_PRESENT)) for n, s, _ in states]
    finally:
        if own:
            ctx.release()


def choose_reader(requested: str | None, readers: list[ReaderState]) -> str:
    """The reader to use: the requested one, else SSU_READER, else the first with a card."""
    wanted = requested or os.environ.get(READER_ENV) or None
    if not readers:
        raise NoReaderError("No card reader is connected", scard.SCARD_E_NO_READERS_AVAILABLE)
    if wanted:
        for r in readers:
            if r.name == wanted:
                return r.name
        raise NoReaderError(f"Reader {wanted!r} is not connected", scard.SCARD_E_UNKNOWN_READER)
    for r in readers:
        if r.has_card:
            return r.name
    raise NoCardError("There is no card in any reader", scard.SCARD_E_NO_SMARTCARD)


class CardSession(Closing):
    """One connection to a card, with the applet selected.

    Use as a context manager: `with CardSession.open() as card: card.info()`.
    """

    #: Seconds to wait for one APDU's answer before giving up on the card.
    transmit_timeout: float = 10.0

    def __init__(
        self,
        ctx: Context,
        reader: str,
        owns_context: bool = True,
        transmit_timeout: float | None = None,
        select: bool = True,
    ) -> None:
        if transmit_timeout is not None:
            self.transmit_timeout = transmit_timeout
        self.reader = reader
        self._broken = False
        self._ctx = ctx
        self._owns_context = owns_context
        hr, self._card, self._protocol = scard.SCardConnect(
            ctx.handle,
            reader,
            scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        check(hr, "connecting to the card")
        self._pci = (
            scard.SCARD_PCI_T1 if self._protocol == scard.SCARD_PROTOCOL_T1 else scard.SCARD_PCI_T0
        )
        self.atr = self._read_atr()
        if select:
            self.select()

    @classmethod
    def open(
        cls, reader: str | None = None, transmit_timeout: float | None = None, select: bool = True
    ) -> CardSession:
        """Connect to the chosen reader's card and select the unlock applet.

        With `select=False` no application is selected: the card-profile seam
        (`card.profiles.detect_profile`) does that, for whichever the card holds.
        """
        ctx = Context()
        try:
            name = choose_reader(reader, list_readers(ctx))
            return cls(ctx, name, transmit_timeout=transmit_timeout, select=select)
        except BaseException:
            ctx.release()
            raise

    def _read_atr(self) -> bytes:
        hr, _name, _state, _proto, atr = scard.SCardStatus(self._card)
        check(hr, "reading the card")
        return bytes(atr)

    def close(self) -> None:
        """Disconnect (leaving the card powered) and release the context."""
        if self._broken:
            # A transmit is still stuck inside pcscd; cleaning up would block
            # behind it, so do it in the background.
            threading.Thread(target=self._release, name="card-release", daemon=True).start()
        else:
            self._release()

    def _release(self) -> None:
        try:
            scard.SCardDisconnect(self._card, scard.SCARD_LEAVE_CARD)
        except Exception:  # noqa: BLE001 - the card or daemon may be gone already
            pass
        if self._owns_context:
            self._ctx.release()

    # -- transport --------------------------------------------------------

    def transmit(self, command: bytes) -> Response:
        """Send one APDU; handles 61xx (GET RESPONSE) and 6Cxx (wrong Le) for real cards."""
        resp = self._raw(command)
        if resp.sw & 0xFF00 == 0x6C00 and len(command) in (5,):
            resp = self._raw(command[:4] + bytes([resp.sw & 0xFF]))
        data = resp.data
        while resp.sw & 0xFF00 == 0x6100:
            resp = self._raw(bytes([0x00, 0xC0, 0x00, 0x00, resp.sw & 0xFF]))
            data += resp.data
        return Response(data, resp.sw)

    def _raw(self, command: bytes) -> Response:
        if self._broken:
            raise CardUnresponsive("The card stopped answering; take it out and insert it again", 0)
        # vpcd (and a wedged reader) can block SCardTransmit for ever, so the
        # call runs in a daemon thread and we stop waiting after a deadline.
        box: list[tuple[int, list[int]]] = []
        call = threading.Thread(
            target=lambda: box.append(scard.SCardTransmit(self._card, self._pci, list(command))),
            name="card-transmit",
            daemon=True,
        )
        call.start()
        call.join(self.transmit_timeout)
        if not box:
            self._broken = True
            raise CardUnresponsive(
                f"The card did not answer within {self.transmit_timeout:g} seconds", 0
            )
        hr, answer = box[0]
        check(hr, "talking to the card")
        if not answer:
            self._check_still_present()
        return Response.parse(bytes(answer))

    def _check_still_present(self, within: float = 1.0) -> None:
        """Raise CardRemovedError if the card leaves within `within` seconds.

        vpcd answers an empty success when the card went mid-command, and
        pcscd notices the removal only at its next poll (every 400 ms).
        """
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            hr, _name, _state, _proto, _atr = scard.SCardStatus(self._card)
            check(hr, "talking to the card")
            time.sleep(0.05)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Exclusive access for a sequence (GET CHALLENGE then RESET RETRY COUNTER)."""
        self.begin_transaction()
        try:
            yield
        finally:
            self.end_transaction()

    def begin_transaction(self) -> None:
        """Keep other PC/SC clients off the card until end_transaction()."""
        check(scard.SCardBeginTransaction(self._card), "locking the card")

    def end_transaction(self) -> None:
        """Let other clients at the card again (errors ignored: it may be gone)."""
        if not self._broken:
            scard.SCardEndTransaction(self._card, scard.SCARD_LEAVE_CARD)

    # -- applet -----------------------------------------------------------

    def select(self) -> None:
        """SELECT the unlock applet (6A82: not one of our cards)."""
        self.transmit(apdu.select()).check()

    def info(self) -> CardInfo:
        """Serial, holder UUID, expiry and name."""

        def get(obj: DataObject) -> bytes:
            return self.transmit(apdu.get_data(obj)).check()

        return CardInfo(
            serial=apdu.parse_serial(get(DataObject.SERIAL)),
            uuid=apdu.parse_uuid(get(DataObject.UUID)),
            expiry=apdu.parse_expiry(get(DataObject.EXPIRY)),
            name=apdu.parse_name(get(DataObject.NAME)),
        )

    def pin_status(self) -> PinStatus:
        """Verified / tries left / blocked, without spending a try."""
        return apdu.parse_pin_status(self.transmit(apdu.verify_query()))

    def verify(self, passcode: str) -> None:
        """VERIFY; raises WrongPin (tries_left) or PinBlocked."""
        self._expect_empty(self.transmit(apdu.verify(passcode)).check(), "VERIFY")

    def change_passcode(self, old: str, new: str) -> None:
        """CHANGE REFERENCE DATA; raises WrongPin or PinBlocked."""
        resp = self.transmit(apdu.change_reference_data(old, new))
        self._expect_empty(resp.check(), "CHANGE REFERENCE DATA")

    def get_challenge(self) -> bytes:
        """A fresh single-use 16-byte challenge."""
        data = self.transmit(apdu.get_challenge()).check()
        return apdu.parse_fixed(data, apdu.CHALLENGE_LENGTH, "challenge")

    def reset_retry_counter(self, cryptogram: bytes, new: str) -> None:
        """Unblock with the service's cryptogram for the last challenge, setting `new`."""
        resp = self.transmit(apdu.reset_retry_counter(cryptogram, new))
        self._expect_empty(resp.check(), "RESET RETRY COUNTER")

    def authenticate(self, key: AuthKey, nonce: bytes) -> bytes:
        """INTERNAL AUTHENTICATE: the card's MAC over the nonce."""
        data = self.transmit(apdu.internal_authenticate(key, nonce)).check()
        return apdu.parse_fixed(data, apdu.MAC_LENGTH, "MAC")

    @staticmethod
    def _expect_empty(data: bytes, what: str) -> None:
        if data:
            raise apdu.CardProtocolError(f"The card answered {what} with unexpected data")

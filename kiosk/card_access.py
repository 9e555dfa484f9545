"""The kiosk's door to the card: blocking calls on one dedicated thread.

Everything here blocks on PC/SC, so the app runs it through `CardThread`, a
single worker thread: card commands never interleave, and a challenge read for
an unblock stays fresh until RESET RETRY COUNTER (nothing else reaches the card
in between, and a PC/SC transaction keeps other programs out too).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import Protocol, TypeVar

from card import apdu
from card.apdu import AuthKey, PinState
from card.pcsc import CardRemovedError, NoCardError
from card.reader import CardSession
from kiosk.flow import facts

T = TypeVar("T")


class CardAccess(Protocol):
    """What the app needs from a card reader (blocking; see CardThread)."""

    def read(self) -> facts.CardFacts:
        """The card's public facts and passcode state."""
        ...

    def card_mac(self, serial: str, nonce: bytes) -> bytes:
        """MAC of the nonce with the card key, from the card with this serial."""
        ...

    def begin_unblock(self, serial: str) -> bytes:
        """Open an exclusive session with the card and read a fresh challenge."""
        ...

    def finish_unblock(self, cryptogram: bytes, new_passcode: str) -> None:
        """RESET RETRY COUNTER with the cryptogram; always ends the session."""
        ...

    def abort_unblock(self) -> None:
        """End a session opened by begin_unblock without writing."""
        ...

    def verify(self, serial: str, passcode: str) -> None:
        """VERIFY the passcode; raises apdu.WrongPin (tries_left) or apdu.PinBlocked."""
        ...

    def holder_mac(self, serial: str, nonce: bytes, passcode: str | None = None) -> bytes:
        """MAC of the nonce with the holder key, in one session with the passcode check.

        Raises HolderNotVerifiedError when the card is not verified (and no passcode
        was given to VERIFY first).
        """
        ...

    def change_passcode(self, serial: str, old: str, new: str) -> None:
        """CHANGE REFERENCE DATA; raises apdu.WrongPin or apdu.PinBlocked."""
        ...


class WrongCard(apdu.CardError):
    """The card in the reader is not the one the journey is for."""


class HolderNotVerifiedError(apdu.CardError):
    """The card no longer holds a verified passcode (it was reset since VERIFY)."""


class PcscCardAccess:
    """CardAccess over PC/SC with the unlock applet."""

    def __init__(self, reader: str | None = None, transmit_timeout: float = 10.0) -> None:
        self.reader = reader
        self.transmit_timeout = transmit_timeout
        self._unblock: CardSession | None = None
        # The session the passcode was verified in, kept open until the holder
        # proof: pcscd powers a card down once no client holds it, and power-off
        # forgets the verified passcode (docs/design.md section 3).
        self._verified: tuple[str, CardSession] | None = None

    def _open(self) -> CardSession:
        return CardSession.open(self.reader, transmit_timeout=self.transmit_timeout)

    def read(self) -> facts.CardFacts:
        """The card's public facts and passcode state."""
        # A card read starts a new session at the kiosk: nothing verified carries over.
        self.forget_verified()
        with self._open() as session:
            info = session.info()
            status = session.pin_status()
        pin = {
            PinState.BLOCKED: facts.PinState.BLOCKED,
            PinState.VERIFIED: facts.PinState.VERIFIED,
            PinState.WORKING: facts.PinState.WORKING,
        }[status.state]
        return facts.CardFacts(
            serial=info.serial_hex,
            uuid=info.uuid,
            name=info.name,
            expiry=info.expiry,
            pin=pin,
            tries_left=status.tries_left,
        )

    @staticmethod
    def _same_card(session: CardSession, serial: str) -> None:
        got = session.info().serial_hex
        if got != serial:
            raise WrongCard("A different card is in the reader now")

    def card_mac(self, serial: str, nonce: bytes) -> bytes:
        """MAC of the nonce with the card key (INTERNAL AUTHENTICATE P2 01)."""
        self.forget_verified()
        with self._open() as session:
            self._same_card(session, serial)
            return session.authenticate(AuthKey.CARD, nonce)

    def verify(self, serial: str, passcode: str) -> None:
        """VERIFY the passcode on the card with this serial.

        On success the session stays open (shared, not exclusive) for `holder_mac`,
        so the card stays powered and verified; any other outcome closes it.
        """
        self.forget_verified()
        session = self._open()
        try:
            self._same_card(session, serial)
            with session.transaction():
                session.verify(passcode)
        except BaseException:
            session.close()
            raise
        self._verified = (serial, session)

    def holder_mac(self, serial: str, nonce: bytes, passcode: str | None = None) -> bytes:
        """MAC of the nonce with the holder key (INTERNAL AUTHENTICATE P2 02).

        In the session `verify` kept open when there is one, in one transaction:
        VERIFY `passcode` when given, check the card holds a verified passcode,
        then the MAC. A kept session that went stale (the card was reset) is
        dropped for a fresh one, where the card no longer holds the passcode.

        Raises:
            HolderNotVerifiedError: The card forgot the passcode (it was reset or powered
                down) and no passcode was given to VERIFY again.
        """
        kept, self._verified = self._verified, None
        if kept is not None:
            kept_serial, session = kept
            try:
                if kept_serial == serial:
                    return self._holder_mac_in(session, serial, nonce, passcode)
            except (CardRemovedError, NoCardError, WrongCard, apdu.WrongPin, apdu.PinBlocked):
                # Removed, another card, or a passcode try spent: never try again.
                raise
            except apdu.CardError:
                pass  # stale handle or a reset card: a fresh session tells the truth
            finally:
                session.close()
        with self._open() as fresh:
            return self._holder_mac_in(fresh, serial, nonce, passcode)

    def _holder_mac_in(
        self, session: CardSession, serial: str, nonce: bytes, passcode: str | None
    ) -> bytes:
        with session.transaction():
            self._same_card(session, serial)
            if passcode is not None:
                session.verify(passcode)
            elif session.pin_status().state is not PinState.VERIFIED:
                raise HolderNotVerifiedError("The card needs the passcode again")
            return session.authenticate(AuthKey.HOLDER, nonce)

    def forget_verified(self) -> None:
        """Close the session kept after VERIFY (the holder went another way).

        Every other card operation calls this first, so a verified session never
        outlives the registration it was opened for by more than the next card
        operation (or the card's removal).
        """
        kept, self._verified = self._verified, None
        if kept is not None:
            kept[1].close()

    def change_passcode(self, serial: str, old: str, new: str) -> None:
        """CHANGE REFERENCE DATA from `old` to `new` on the card with this serial."""
        self.forget_verified()
        with self._open() as session, session.transaction():
            self._same_card(session, serial)
            session.change_passcode(old, new)

    def begin_unblock(self, serial: str) -> bytes:
        """Open an exclusive session with the card and read a fresh challenge."""
        self.abort_unblock()
        self.forget_verified()
        session = self._open()
        try:
            self._same_card(session, serial)
            session.begin_transaction()
            challenge = session.get_challenge()
        except BaseException:
            session.close()
            raise
        self._unblock = session
        return challenge

    def finish_unblock(self, cryptogram: bytes, new_passcode: str) -> None:
        """RESET RETRY COUNTER with the cryptogram; always ends the session."""
        session, self._unblock = self._unblock, None
        if session is None:
            raise apdu.CardError("The card session was lost; please try again")
        try:
            session.reset_retry_counter(cryptogram, new_passcode)
        finally:
            session.end_transaction()
            session.close()

    def abort_unblock(self) -> None:
        """End a session opened by begin_unblock without writing."""
        session, self._unblock = self._unblock, None
        if session is not None:
            session.end_transaction()
            session.close()


class CardThread:
    """Runs blocking card calls one at a time on a dedicated daemon thread."""

    def __init__(self, access: CardAccess) -> None:
        self.access = access
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="card")

    async def call(self, fn: Callable[[CardAccess], T]) -> T:
        """Run fn(access) on the card thread and await its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, fn, self.access)

    def shutdown(self) -> None:
        """Stop accepting work; a stuck call is abandoned, not waited for."""
        self._pool.shutdown(wait=False, cancel_futures=True)

"""The kiosk's door to the card: blocking calls on one dedicated thread.

Everything here blocks on PC/SC, so the app runs it through `CardThread`, a
single worker thread: card commands never interleave, and a challenge read for
an unblock stays fresh until RESET RETRY COUNTER (nothing else reaches the card
in between, and a PC/SC transaction keeps other programs out too).

Cards are reached through the card-profile seam (`card.profiles`): our own applet
or PIV, found by SELECT, asked the same questions. Proofs come back as the MAC
(own applet) or a `SignedProof` (PIV); the unblock differs per profile: a challenge
and the service's cryptogram (own), or the escrowed PUK pair (PIV, `piv_unblock`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from card import apdu
from card.apdu import PinState
from card.pcsc import CardRemovedError, NoCardError
from card.piv import Puk
from card.profiles import OwnProfile, PivProfile, open_profile
from kiosk.flow import facts

Profile = OwnProfile | PivProfile

T = TypeVar("T")
OneProfile = TypeVar("OneProfile", OwnProfile, PivProfile)


@dataclass(frozen=True)
class SignedProof:
    """A PIV card's proof over a nonce: its ECDSA signature and the key's DER certificate."""

    signature: bytes
    certificate: bytes


Proof = bytes | SignedProof
"""What a card proves a nonce with: the MAC (own applet) or a signed proof (PIV)."""


class CardAccess(Protocol):
    """What the app needs from a card reader (blocking; see CardThread)."""

    def read(self) -> facts.CardFacts:
        """The card's public facts and passcode state."""
        ...

    def card_mac(self, serial: str, nonce: bytes) -> Proof:
        """The card key's proof over the nonce (MAC, or PIV 9E signature)."""
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

    def holder_mac(self, serial: str, nonce: bytes, passcode: str | None = None) -> Proof:
        """The holder key's proof (MAC, or PIV 9A signature), in one session with the
        passcode check.

        Raises HolderNotVerifiedError when the card is not verified (and no passcode
        was given to VERIFY first).
        """
        ...

    def change_passcode(self, serial: str, old: str, new: str) -> None:
        """CHANGE REFERENCE DATA; raises apdu.WrongPin or apdu.PinBlocked."""
        ...

    def piv_unblock(self, serial: str, puk: Puk, next_puk: Puk, new_passcode: str) -> None:
        """PIV: RESET RETRY COUNTER with `puk`, then rotate the PUK to `next_puk`."""
        ...

    def piv_settle(self, serial: str, puk: Puk, next_puk: Puk) -> None:
        """PIV: leave the card on `next_puk` when it holds `puk` or `next_puk`."""
        ...

    def piv_refill(self, serial: str, puk: Puk) -> None:
        """PIV: fill the PUK counter again (CHANGE REFERENCE DATA `puk` -> `puk`)."""
        ...


class WrongCard(apdu.CardError):
    """The card in the reader is not the one the journey is for."""


class HolderNotVerifiedError(apdu.CardError):
    """The card no longer holds a verified passcode (it was reset since VERIFY)."""


class NotThisProfile(apdu.CardError):
    """The call is for the other card profile (a PUK for our applet, a challenge for PIV)."""


class PcscCardAccess:
    """CardAccess over PC/SC, for either card profile."""

    def __init__(self, reader: str | None = None, transmit_timeout: float = 10.0) -> None:
        self.reader = reader
        self.transmit_timeout = transmit_timeout
        self._unblock: OwnProfile | None = None
        # The session the passcode was verified in, kept open until the holder
        # proof: pcscd powers a card down once no client holds it, and power-off
        # forgets the verified passcode (docs/design.md section 3).
        self._verified: tuple[str, Profile] | None = None

    def _open(self) -> Profile:
        return open_profile(self.reader, transmit_timeout=self.transmit_timeout)

    def read(self) -> facts.CardFacts:
        """The card's public facts and passcode state."""
        # A card read starts a new session at the kiosk: nothing verified carries over.
        self.forget_verified()
        with self._open() as card:
            info = card.identity()
            status = card.pin_status()
        pin = {
            PinState.BLOCKED: facts.PinState.BLOCKED,
            PinState.VERIFIED: facts.PinState.VERIFIED,
            PinState.WORKING: facts.PinState.WORKING,
        }[status.state]
        if info.uuid is None:
            raise apdu.CardProtocolError("The card does not say whose it is")
        return facts.CardFacts(
            serial=info.serial_hex,
            uuid=info.uuid,
            name=info.name or "",
            expiry=info.expiry,
            pin=pin,
            tries_left=status.tries_left,
        )

    @staticmethod
    def _same_card(card: Profile, serial: str) -> None:
        got = card.identity().serial_hex
        if got != serial:
            raise WrongCard("A different card is in the reader now")

    @staticmethod
    def _proof(card: Profile, holder: bool, nonce: bytes) -> Proof:
        proof = card.prove_holder(nonce) if holder else card.prove_card(nonce)
        if proof.certificate is None:
            return proof.value
        return SignedProof(signature=proof.value, certificate=proof.certificate)

    def card_mac(self, serial: str, nonce: bytes) -> Proof:
        """The card key's proof: INTERNAL AUTHENTICATE P2 01, or PIV GENERAL AUTHENTICATE 9E."""
        self.forget_verified()
        with self._open() as card:
            self._same_card(card, serial)
            return self._proof(card, False, nonce)

    def verify(self, serial: str, passcode: str) -> None:
        """VERIFY the passcode on the card with this serial.

        On success the session stays open (shared, not exclusive) for `holder_mac`,
        so the card stays powered and verified; any other outcome closes it.
        """
        self.forget_verified()
        card = self._open()
        try:
            self._same_card(card, serial)
            with card.session.transaction():
                card.verify(passcode)
        except BaseException:
            card.close()
            raise
        self._verified = (serial, card)

    def holder_mac(self, serial: str, nonce: bytes, passcode: str | None = None) -> Proof:
        """The holder key's proof: INTERNAL AUTHENTICATE P2 02, or PIV GENERAL
        AUTHENTICATE 9A.

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
        self, card: Profile, serial: str, nonce: bytes, passcode: str | None
    ) -> Proof:
        with card.session.transaction():
            self._same_card(card, serial)
            if passcode is not None:
                card.verify(passcode)
            elif card.pin_status().state is not PinState.VERIFIED:
                raise HolderNotVerifiedError("The card needs the passcode again")
            return self._proof(card, True, nonce)

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
        with self._open() as card, card.session.transaction():
            self._same_card(card, serial)
            card.change_passcode(old, new)

    def begin_unblock(self, serial: str) -> bytes:
        """Open an exclusive session with the card and read a fresh challenge."""
        card = self._to_unblock(
            serial, OwnProfile, "This card is unblocked with its PUK, not a cryptogram"
        )
        try:
            card.session.begin_transaction()
            challenge = card.unblock_challenge()
        except BaseException:
            card.close()
            raise
        self._unblock = card
        return challenge

    def _piv(self, serial: str) -> PivProfile:
        return self._to_unblock(
            serial, PivProfile, "This card is unblocked with a cryptogram, not a PUK"
        )

    def _to_unblock(self, serial: str, profile: type[OneProfile], otherwise: str) -> OneProfile:
        """The card with this serial, opened afresh (any unblock under way ended, no
        passcode taken as verified), when it is of `profile`; NotThisProfile(otherwise)
        when it is not."""
        self.abort_unblock()
        self.forget_verified()
        card = self._open()
        try:
            self._same_card(card, serial)
            if not isinstance(card, profile):
                raise NotThisProfile(otherwise)
        except BaseException:
            card.close()
            raise
        return card

    def piv_unblock(self, serial: str, puk: Puk, next_puk: Puk, new_passcode: str) -> None:
        """RESET RETRY COUNTER with `puk` and the new passcode, then CHANGE REFERENCE DATA
        of the PUK to `next_puk`, in one PC/SC transaction (`unblock_and_rotate`).

        Raises:
            card.piv.WrongPuk, card.piv.PukBlocked: the card refused the PUK.
            card.pcsc errors: the card left mid-way; how far it got is unknown (the
                service's next release says `settle`).
        """
        with self._piv(serial) as card:
            card.unblock_and_rotate(puk, next_puk, new_passcode)

    def piv_settle(self, serial: str, puk: Puk, next_puk: Puk) -> None:
        """Leave the card on `next_puk` spending at most one PUK try (`settle_puk`)."""
        with self._piv(serial) as card, card.session.transaction():
            card.settle_puk(puk, next_puk)

    def piv_refill(self, serial: str, puk: Puk) -> None:
        """Fill the PUK counter again once the card is settled on `puk` (`refill_puk`)."""
        with self._piv(serial) as card:
            card.refill_puk(puk)

    def finish_unblock(self, cryptogram: bytes, new_passcode: str) -> None:
        """RESET RETRY COUNTER with the cryptogram; always ends the session."""
        session, self._unblock = self._unblock, None
        if session is None:
            raise apdu.CardError("The card session was lost; please try again")
        try:
            session.unblock_with_cryptogram(cryptogram, new_passcode)
        finally:
            session.session.end_transaction()
            session.close()

    def abort_unblock(self) -> None:
        """End a session opened by begin_unblock without writing."""
        session, self._unblock = self._unblock, None
        if session is not None:
            session.session.end_transaction()
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

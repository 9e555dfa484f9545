"""The RA desk's card and service steps (issue 17): the effects an RA flow runs.

Textual-free, like `kiosk.effects`: each step talks to a card through `CardThread`
and to the service through `RaClient`, and raises what went wrong as a plain error
a flow can turn into a screen. One reader or two: with one, the RA's card and the
holder's take turns in the same reader (`RaDeskCards.one_reader`); with two, the
RA's card stays in its own reader and pulling it ends the session
(`RaDeskCards.two_readers`).

Secrets: the RA's passcode goes to the RA's card only (VERIFY, then the holder-key
proof); the holder's new passcode goes to the holder's card only (RESET RETRY
COUNTER). Neither reaches the service, a log or the store, and no error message
here quotes one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from card import apdu
from card.pcsc import CardRemovedError, NoCardError
from contract.ra_wire import HolderStateOut, RaSessionOut
from kiosk.card_access import CardAccess, CardThread, PcscCardAccess, Proof
from kiosk.effects.service import wire_proof
from kiosk.flow.facts import CardFacts
from kiosk.proof_body import CardProofValue
from kiosk.ra_client import RaClient

log = logging.getLogger(__name__)

T = TypeVar("T")

CARD_GONE = (NoCardError, CardRemovedError)

SignOutReason = Literal["card_removed", "signed_out", "idle"]


class RaCardRemoved(Exception):
    """The RA's card left its reader mid-action: the session was ended, nothing written."""


class HolderCardRemoved(Exception):
    """The holder's card left the reader before it was written: nothing was written."""


class HolderCardNotWritten(Exception):
    """The holder's card refused the new passcode; its status word was reported."""

    def __init__(self, status_word: str) -> None:
        super().__init__(f"The card refused the new passcode (status {status_word})")
        self.status_word = status_word


@dataclass
class RaDeskCards:
    """The desk's readers: where the RA's card goes, and where the holder's."""

    ra: CardThread
    holder: CardThread
    ra_present: Callable[[], bool] | None = None
    """With two readers, whether the RA's card is still in its reader (None: one
    reader, where the RA's card is out while the holder's is in)."""

    @classmethod
    def one_reader(cls, reader: str | None = None) -> RaDeskCards:
        """RA's card first, then the holder's, in the same reader."""
        thread = CardThread(PcscCardAccess(reader))
        return cls(ra=thread, holder=thread)

    @classmethod
    def two_readers(
        cls, ra_reader: str, holder_reader: str, ra_present: Callable[[], bool]
    ) -> RaDeskCards:
        """The RA's card stays in `ra_reader`; holders' cards go in `holder_reader`."""
        return cls(
            ra=CardThread(PcscCardAccess(ra_reader)),
            holder=CardThread(PcscCardAccess(holder_reader)),
            ra_present=ra_present,
        )

    def shutdown(self) -> None:
        """Stop the card threads."""
        self.ra.shutdown()
        if self.holder is not self.ra:
            self.holder.shutdown()


class RaDesk:
    """One RA desk: its readers and its client; holds the RA's session while it lasts."""

    def __init__(self, client: RaClient, cards: RaDeskCards) -> None:
        self.client = client
        self.cards = cards
        self.session: RaSessionOut | None = None

    async def read_ra_card(self) -> CardFacts:
        """The facts of the card in the RA's reader."""
        return await self.cards.ra.call(lambda access: access.read())

    async def read_holder_card(self) -> CardFacts:
        """The facts of the card in the holder's reader."""
        return await self.cards.holder.call(lambda access: access.read())

    async def sign_in(self, ra_card: CardFacts, passcode: str) -> RaSessionOut:
        """VERIFY the RA's passcode on their card, prove it with the holder key, sign in.

        Raises:
            apdu.WrongPin, apdu.PinBlocked: the card refused the passcode (nothing sent).
            ServiceRejected: the service refused (`ra_role_required` for a holder's card,
                `ra_desk_required` at a kiosk that is not an RA desk).
        """
        serial = ra_card.serial
        nonce = await self.client.new_nonce()

        def prove(access: CardAccess) -> Proof:
            return access.holder_mac(serial, nonce, passcode)

        mac = wire_proof(await self.cards.ra.call(prove))
        self.session = await self.client.sign_in(serial, ra_card.uuid, nonce, mac)
        return self.session

    def _session_id(self) -> str:
        if self.session is None:
            raise RaCardRemoved("No RA is signed in")
        return self.session.session_id

    async def _holder_proof(self, holder: CardFacts) -> tuple[bytes, CardProofValue]:
        nonce = await self.client.new_nonce()
        serial = holder.serial

        def prove(access: CardAccess) -> Proof:
            return access.card_mac(serial, nonce)

        try:
            return nonce, wire_proof(await self.cards.holder.call(prove))
        except CARD_GONE as exc:
            raise HolderCardRemoved(str(exc)) from exc

    async def take_holder_card(self, holder: CardFacts) -> HolderStateOut:
        """Prove the holder's card to the service; what the RA may see of the holder."""
        session_id = self._session_id()
        nonce, mac = await self._holder_proof(holder)
        return await self.client.holder_card(session_id, holder.serial, holder.uuid, nonce, mac)

    async def clear_lock(self) -> HolderStateOut:
        """Clear the holder's self-service lock."""
        return await self.client.clear_lock(self._session_id())

    async def change_contacts(self, email: str, mobile: str) -> HolderStateOut:
        """Record or correct the holder's email and mobile."""
        return await self.client.change_contacts(self._session_id(), email, mobile)

    async def assisted_unlock(self, holder: CardFacts, new_passcode: str) -> None:
        """Unblock the holder's card with the passcode they typed (the RA confirmed them).

        The RA's card is checked before anything is written (two readers): pulled,
        the session is ended and the card left as it was. Once the card may have
        taken the cryptogram, the result is reported whatever happened to the RA's
        card, so the unlock is never half recorded.

        Raises:
            RaCardRemoved: the RA's card left its reader; nothing was written.
            HolderCardRemoved: the holder's card left before it was written.
            HolderCardNotWritten: the card refused; its status word was reported.
            ServiceRejected, ServiceUnreachableError: from the service; nothing written.
        """
        session_id = self._session_id()
        await self._check_ra_card()
        nonce, mac = await self._holder_proof(holder)
        started = await self.client.start_assisted_unlock(
            session_id, holder.serial, holder.uuid, nonce, mac
        )
        unlock_id = started.assisted_unlock_id
        serial = holder.serial
        try:
            challenge = await self.cards.holder.call(lambda access: access.begin_unblock(serial))
        except CARD_GONE as exc:
            raise HolderCardRemoved(str(exc)) from exc
        try:
            await self._check_ra_card()
            cryptogram = await self.client.assisted_cryptogram(session_id, unlock_id, challenge)
        except BaseException:
            await self.cards.holder.call(lambda access: access.abort_unblock())
            raise
        try:
            await self.cards.holder.call(
                lambda access: access.finish_unblock(cryptogram, new_passcode)
            )
        except apdu.CardStatusError as exc:
            word = f"{exc.sw:04X}"
            await self.client.assisted_result(session_id, unlock_id, "card_error", exc.sw)
            raise HolderCardNotWritten(word) from exc
        except CARD_GONE as exc:
            # The card may or may not have taken it: the holder puts it back and the
            # RA reads it again; nothing is claimed here.
            raise HolderCardRemoved(str(exc)) from exc
        await self.client.assisted_result(session_id, unlock_id, "unlocked", 0x9000)

    async def _check_ra_card(self) -> None:
        """Two readers: the RA's card must still be in; pulled, the session ends here."""
        if self.cards.ra_present is not None and not self.cards.ra_present():
            await self.sign_out("card_removed")
            raise RaCardRemoved("The RA's card was removed")

    async def sign_out(self, reason: SignOutReason = "card_removed") -> None:
        """End the RA's session (the RA's card left, or the RA signed out)."""
        session, self.session = self.session, None
        if session is not None:
            await self.client.sign_out(session.session_id, reason)

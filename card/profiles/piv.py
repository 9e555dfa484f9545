"""The PIV profile (NIST SP 800-73-4): cards a trust can buy (YubiKey 5, PIV Java Cards).

Reads and writes through `card.reader.CardSession` (which fetches long answers
with GET RESPONSE), with the APDUs of `card.piv`.

Unblock (`UnblockMethod.PUK`), with the PUK the service escrows for the card
and a fresh PUK the service chose and recorded as pending *before* releasing
either (so whatever happens the service knows both candidates):

1. `unblock_with_puk(puk, new_passcode)`: RESET RETRY COUNTER. 9000 means the
   escrowed PUK is right; WrongPuk means it is not (one try spent: stop, never
   guess another value); PukBlocked means the card can never be unblocked.
   Interrupted (card pulled, kiosk killed)? Repeat it: the PUK has not changed.
2. `rotate_puk(puk, next_puk)`: CHANGE REFERENCE DATA 81 old -> new. After
   9000 the released PUK is worthless; report the rotation to the service.
3. If step 1 or 2 was interrupted the card holds one of the two and nobody
   knows which: `settle_puk(puk, next_puk)` finds out spending at most one PUK
   try (none when the card still held `puk`, and only on one of the two values
   the service is sure of), and leaves the card on `next_puk`; report the
   rotation at once. The PUK counter is full then (a PUK accepted refills it),
   so that one try never blocks the PUK.

The PUK is a `card.piv.Puk` (its repr hides it), held in memory for these
APDUs only; nothing here logs or stores it.
"""

from __future__ import annotations

from typing import ClassVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from card import apdu, piv
from card.apdu import PinStatus, Response
from card.closing import Closing
from card.piv import SW, DataObject, Puk, Slot
from card.profiles.base import CardIdentity, CardProof, KeyRole, ProfileName, UnblockMethod
from card.reader import CardSession


class PivProfile(Closing):
    """A card with the PIV application, selected in `session`."""

    name: ClassVar[ProfileName] = ProfileName.PIV
    unblock_method: ClassVar[UnblockMethod] = UnblockMethod.PUK

    def __init__(self, session: CardSession, template: bytes = b"") -> None:
        self.session = session
        #: The application property template the card answered SELECT with.
        self.template = template

    @classmethod
    def select(cls, session: CardSession) -> PivProfile:
        """SELECT the PIV application; raises AppletNotFound (6A82) when it is absent."""
        template = session.transmit(piv.select()).check()
        if not template or template[0] != 0x61:
            raise apdu.CardProtocolError("The card's PIV SELECT answer is not a property template")
        return cls(session, template)

    # -- reads ------------------------------------------------------------

    def get_data(self, obj: int) -> bytes:
        """GET DATA of one object.

        Raises:
            card.apdu.DataNotFound: The card does not hold that object (6A82): a
                card fresh from the factory has no CHUID or certificates until
                it is personalised (enrolment).
            card.apdu.SecurityNotSatisfied: The object needs the PIN verified.
        """
        resp = self.session.transmit(piv.get_data(obj))
        if resp.sw == SW.NOT_FOUND:
            known = {o.value: o.name for o in DataObject}
            name = known.get(obj, f"{obj:X}")
            raise apdu.DataNotFound(resp.sw, f"The card holds no PIV {name} object")
        return resp.check()

    def chuid(self) -> piv.Chuid:
        """The CHUID: GUID and expiration date."""
        return piv.parse_chuid(self.get_data(DataObject.CHUID))

    def certificate(self, slot: Slot) -> x509.Certificate:
        """The certificate of a slot (9A PIV Authentication, 9E Card Authentication)."""
        return piv.parse_certificate_object(self.get_data(piv.CERT_OBJECT[slot]))

    def identity(self) -> CardIdentity:
        """GUID and expiry from the CHUID; UUID and name from the 9A certificate."""
        chuid = self.chuid()
        uuid: str | None = None
        name: str | None = None
        try:
            subject = self.certificate(Slot.PIV_AUTHENTICATION).subject
        except apdu.DataNotFound:
            subject = None  # no 9A certificate: the directory's binding says who
        if subject is not None:
            uids = subject.get_attributes_for_oid(NameOID.USER_ID)
            cns = subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            uid = str(uids[0].value) if uids else ""
            uuid = uid if len(uid) == 12 and uid.isdigit() else None
            name = str(cns[0].value) if cns else None
        return CardIdentity(
            profile=self.name, serial=chuid.guid, uuid=uuid, expiry=chuid.expiry, name=name
        )

    def printed_name(self) -> str:
        """The holder name of the printed information (5FC109); VERIFY first.

        Raises:
            card.apdu.SecurityNotSatisfied: The PIN is not verified.
        """
        return piv.parse_printed_name(self.get_data(DataObject.PRINTED_INFORMATION))

    # -- PIN ----------------------------------------------------------------

    def pin_status(self) -> PinStatus:
        """VERIFY query (P2 80): 9000 verified, 63Cx tries left, 6983 blocked."""
        return apdu.parse_pin_status(self.session.transmit(piv.verify_query()))

    def verify(self, passcode: str) -> None:
        """VERIFY the PIN; raises WrongPin (tries_left) or PinBlocked.

        A PIV card answers the try that blocks the PIN with 63C0; that is
        PinBlocked here, as on the unlock applet.
        """
        _pin_result(self.session.transmit(piv.verify(passcode)))

    def forget_verification(self) -> None:
        """VERIFY with P1 FF: the card forgets the verified PIN (no power cycle needed)."""
        self.session.transmit(piv.forget_verification()).check()

    def change_passcode(self, old: str, new: str) -> None:
        """CHANGE REFERENCE DATA 80; raises WrongPin or PinBlocked."""
        _pin_result(self.session.transmit(piv.change_pin(old, new)))

    # -- proofs ---------------------------------------------------------------

    def _sign(self, slot: Slot, nonce: bytes) -> bytes:
        command = piv.general_authenticate(slot, piv.nonce_challenge(nonce))
        return piv.parse_signature(self.session.transmit(command).check())

    def prove_card(self, nonce: bytes) -> CardProof:
        """GENERAL AUTHENTICATE 9E over SHA-256(nonce), with the 9E certificate.

        Check it with `card.piv.verify_signature_proof(nonce, proof.value,
        proof.certificate, card_ca, guid=identity.serial)`.
        """
        signature = self._sign(Slot.CARD_AUTHENTICATION, nonce)
        cert = self.certificate(Slot.CARD_AUTHENTICATION)
        return CardProof(self.name, KeyRole.CARD, nonce, signature, _der(cert))

    def prove_holder(self, nonce: bytes) -> CardProof:
        """GENERAL AUTHENTICATE 9A (needs the PIN verified), with the 9A certificate."""
        signature = self._sign(Slot.PIV_AUTHENTICATION, nonce)
        cert = self.certificate(Slot.PIV_AUTHENTICATION)
        return CardProof(self.name, KeyRole.HOLDER, nonce, signature, _der(cert))

    # -- unblock --------------------------------------------------------------

    def unblock_with_puk(self, puk: Puk, new_passcode: str) -> None:
        """RESET RETRY COUNTER: the PUK unblocks the PIN and sets `new_passcode`.

        Raises:
            card.piv.WrongPuk: The card refused this PUK (one try spent).
            card.piv.PukBlocked: The PUK is blocked: the card is beyond unblocking.
            card.apdu.WrongData: The card refused the new PIN's format (no try spent).
        """
        _puk_result(self.session.transmit(piv.reset_retry_counter(puk, new_passcode)))

    def rotate_puk(self, puk: Puk, next_puk: Puk) -> None:
        """CHANGE REFERENCE DATA 81: the PUK becomes `next_puk`.

        Raises:
            card.piv.WrongPuk: The card refused `puk` (one try spent).
            card.piv.PukBlocked: The PUK is blocked.
        """
        _puk_result(self.session.transmit(piv.change_puk(puk, next_puk)))

    def unblock_and_rotate(self, puk: Puk, next_puk: Puk, new_passcode: str) -> None:
        """Steps 1 and 2 in one PC/SC transaction: unblock with `puk`, then rotate it.

        When this raises a reader error (card pulled, pcscd gone) the caller
        cannot tell how far it got: re-read the PIN state, repeat step 1 if the
        PIN is still blocked, and `settle_puk` if the rotation may have reached
        the card.
        """
        with self.session.transaction():
            self.unblock_with_puk(puk, new_passcode)
            self.rotate_puk(puk, next_puk)

    def settle_puk(self, puk: Puk, next_puk: Puk) -> Puk:
        """After an interrupted unblock: leave the card on `next_puk`, return it.

        One CHANGE REFERENCE DATA 81 puk -> next. 9000: the card still held `puk`
        (the commonest case: pulled during RESET RETRY COUNTER, or before the
        rotation reached it) and now holds `next_puk`, its counter full, no try
        spent. A refusal spends one try and proves the card holds `next_puk`, the
        only other candidate: the rotation had happened. Either way the caller
        reports the rotation at once (it needs no card), so what the one try
        taught is kept even if the card is pulled next; the next RESET RETRY
        COUNTER with `next_puk` refills the counter. Never a third value, never a
        second try spent finding out.

        Trying `next_puk` first (next -> next) would spend the try in the common
        case instead, and what its refusal taught (the card holds `puk`) is a fact
        the service has no way to be told: a card pulled before `puk -> next`
        would cost another try at every later settle.

        Raises:
            card.piv.PukBlocked: The PUK is blocked (the card was at its last try).
        """
        try:
            self.rotate_puk(puk, next_puk)
        except piv.WrongPuk:
            pass  # one try spent: the card holds next_puk (or neither: the next use says)
        return next_puk

    def refill_puk(self, puk: Puk) -> None:
        """CHANGE REFERENCE DATA 81 puk -> puk: nothing changes but the PUK counter,
        full again. For a card settled with no RESET RETRY COUNTER to follow (the
        write had got through before the kiosk stopped).

        Raises:
            card.piv.WrongPuk: The card does not hold `puk` (one try spent).
            card.piv.PukBlocked: The PUK is blocked.
        """
        self.rotate_puk(puk, puk)

    # -- session --------------------------------------------------------------

    def close(self) -> None:
        """Close the session."""
        self.session.close()


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _pin_result(resp: Response) -> None:
    if resp.sw == 0x63C0:
        raise apdu.PinBlocked(resp.sw, "The card's passcode is blocked")
    if resp.check():
        raise apdu.CardProtocolError("The card answered a PIN command with data")


def _puk_result(resp: Response) -> None:
    if resp.sw in (SW.BLOCKED, 0x63C0):
        raise piv.PukBlocked("The card's unblocking key is blocked: it can no longer be unblocked")
    if resp.sw & 0xFFF0 == 0x63C0:
        raise piv.WrongPuk(resp.sw & 0x0F)
    if resp.check():
        raise apdu.CardProtocolError("The card answered a PUK command with data")

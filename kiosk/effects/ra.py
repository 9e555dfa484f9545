"""The RA desk's effects (issue 17): the card and the service for each RA command.

The RA's passcode goes to the RA's card only (VERIFY, then the holder-key proof the
service checks); the holder's new passcode goes to the holder's card only (RESET
RETRY COUNTER with the cryptogram of the RA session). Neither is logged, stored or
put into an event. One reader: the kiosk's card thread serves both cards in turn.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import TypeVar

from card import apdu
from card.pcsc import CardRemovedError, NoCardError
from contract.language import N_
from contract.problems import ProblemCode
from contract.ra_wire import HolderStateOut, ReportOut
from kiosk.card_access import CardAccess, CardThread, Proof, WrongCard
from kiosk.effects.card import passcode_refused
from kiosk.effects.parts import Effect, EffectParts
from kiosk.effects.service import wire_proof
from kiosk.flow import commands as c
from kiosk.flow import ra_events as r
from kiosk.flow.ra_states import RaEvent, RaHolderView, RaReportView, RaSession
from kiosk.proof_body import CardProofValue
from kiosk.service_http import ServiceError, ServiceRejected

log = logging.getLogger(__name__)

GONE = (NoCardError, CardRemovedError, WrongCard)

T = TypeVar("T")

MESSAGES = {
    ProblemCode.RA_ROLE_REQUIRED: N_(
        "This card is not an RA card. Only RA staff can sign in here."
    ),
    ProblemCode.RA_DESK_REQUIRED: N_("This kiosk is not set up as an RA desk."),
    ProblemCode.HOLDER_PROOF_INVALID: N_(
        "Your card could not be checked. Take it out and try again."
    ),
    ProblemCode.CARD_PROOF_INVALID: N_("The holder's card could not be checked. Try it again."),
    ProblemCode.OWN_CARD: N_("That is your own card; an RA cannot act on it here."),
    ProblemCode.RA_SESSION_ENDED: N_("Your RA session has ended. Sign in again with your card."),
    ProblemCode.HOLDER_CARD_REQUIRED: N_("Put the holder's card in again."),
    ProblemCode.EMAIL_NOT_APPROVED: N_("Use an email address on an approved domain."),
    ProblemCode.MOBILE_INVALID: N_("Give a UK mobile number (07... or +447...)."),
    ProblemCode.MAIL_UNAVAILABLE: N_(
        "The email could not be sent; nothing was changed. Try again."
    ),
}
UNREACHABLE = N_("The unlock service cannot be reached just now. Try again in a moment.")
CARD_TAKEN = N_("The card was taken out before it was written. Put it back in and try again.")
REFUSED = N_("The unlock service refused that.")
RA_CARD_TAKEN = N_(
    "Your own card was taken out, so you are signed out. Nothing was written to the holder's card."
)


def refused(exc: ServiceError) -> r.RaRefused:
    """The RA flow's event for a service that said no or could not be reached."""
    if isinstance(exc, ServiceRejected):
        code = exc.problem
        message = MESSAGES.get(code, REFUSED) if code else ""
        return r.RaRefused(message=message or REFUSED, code=exc.code)
    return r.RaRefused(message=UNREACHABLE)


def holder_view(state: HolderStateOut) -> RaHolderView:
    """The flow's view of the service's answer."""
    recent = tuple(
        RaEvent(event.at[:16].replace("T", " "), event.type, event.outcome, event.kiosk)
        for event in state.recent_events
    )
    return RaHolderView(
        name=state.name,
        registered=state.registered,
        locked=state.locked,
        failed_attempts=state.failed_attempts,
        email=state.email,
        mobile=state.mobile,
        recent=recent,
    )


def _ra_thread(parts: EffectParts, ra_reader: bool) -> CardThread:
    if ra_reader and parts.ra_card is not None:
        return parts.ra_card
    return parts.card


async def ra_read_ra_card(parts: EffectParts, _cmd: r.RaReadRaCard) -> None:
    """RaReadRaCard: the facts of the card in the RA's own reader."""
    try:
        card = await _ra_thread(parts, True).call(lambda access: access.read())
    except GONE:
        return  # the watcher reports the removal
    except apdu.CardError as exc:
        parts.emit(
            r.RaRefused(
                message=N_("The card in the RA reader cannot be read: {problem}", problem=str(exc))
            )
        )
        return
    parts.emit(r.RaCardRead(card))


async def ra_sign_in(parts: EffectParts, cmd: r.RaSignIn) -> None:
    """RaSignIn: VERIFY on the RA's card, its holder-key MAC, then the service."""
    ra = parts.client.ra_client()
    thread = _ra_thread(parts, cmd.ra_reader)
    serial, passcode = cmd.serial, cmd.passcode
    try:
        nonce = await ra.new_nonce()

        def prove(access: CardAccess) -> Proof:
            return access.holder_mac(serial, nonce, passcode)

        out = await ra.sign_in(serial, cmd.uuid, nonce, wire_proof(await thread.call(prove)))
    except GONE:
        return  # the watcher reports the removal
    except apdu.CardError as exc:
        parts.emit(passcode_refused(exc))
        return
    except ServiceError as exc:
        parts.emit(refused(exc))
        return
    session = RaSession(out.session_id, out.ra_name, serial, out.role, out.idle_seconds)
    parts.emit(r.RaSignedIn(session))


def holder_card_refused(exc: apdu.CardError | ServiceError) -> r.RaRefused:
    """Proving the holder's card failed: the card did not answer as it should, or the
    service said no. Plain words for the RA's screen."""
    if isinstance(exc, ServiceError):
        return refused(exc)
    return r.RaRefused(
        message=N_("The holder's card could not be read: {problem}", problem=str(exc))
    )


async def _holder_card_proved(
    parts: EffectParts,
    session_id: str,
    serial: str,
    uuid: str,
    post: Callable[[str, str, str, bytes, CardProofValue], Awaitable[T]],
) -> T:
    """The holder's card MACs a fresh nonce with its card key (a blocked card still does);
    `post` takes the proof to the RA session on the service, and its answer is returned."""
    nonce = await parts.client.ra_client().new_nonce()
    mac = await parts.card.call(lambda access: access.card_mac(serial, nonce))
    return await post(session_id, serial, uuid, nonce, wire_proof(mac))


async def ra_take_holder_card(parts: EffectParts, cmd: r.RaTakeHolderCard) -> None:
    """RaTakeHolderCard: the holder's card MACs a nonce with its card key; the service
    answers with the holder's state."""
    ra = parts.client.ra_client()
    try:
        state = await _holder_card_proved(
            parts, cmd.session_id, cmd.serial, cmd.uuid, ra.holder_card
        )
    except GONE:
        return
    except (apdu.CardError, ServiceError) as exc:
        parts.emit(holder_card_refused(exc))
        return
    parts.emit(r.RaHolderRead(holder_view(state)))


async def ra_clear_lock(parts: EffectParts, cmd: r.RaClearLock) -> None:
    """RaClearLock: the service clears the holder's self-service lock."""
    try:
        state = await parts.client.ra_client().clear_lock(cmd.session_id)
    except ServiceError as exc:
        parts.emit(refused(exc))
        return
    notice = N_("Self-service is unlocked: the holder can answer their questions again.")
    parts.emit(r.RaHolderRead(holder_view(state), notice=notice))


async def ra_change_contacts(parts: EffectParts, cmd: r.RaChangeContacts) -> None:
    """RaChangeContacts: the service tells the old and new address, then records them."""
    try:
        state = await parts.client.ra_client().change_contacts(
            cmd.session_id, cmd.email, cmd.mobile
        )
    except ServiceError as exc:
        parts.emit(refused(exc))
        return
    notice = N_("Contact details saved. A notice went to the old and the new email address.")
    parts.emit(r.RaHolderRead(holder_view(state), notice=notice))


async def _ra_card_gone(parts: EffectParts, ra_serial: str) -> bool:
    """Two readers: whether the RA's own card has left its reader (one reader: never asked,
    the RA's card is out while the holder's is in)."""
    if parts.ra_card is None or not ra_serial:
        return False
    try:
        card = await parts.ra_card.call(lambda access: access.read())
    except (*GONE, apdu.CardError):
        return True
    return card.serial != ra_serial


async def ra_assisted_unlock(parts: EffectParts, cmd: r.RaAssistedUnlock) -> None:
    """RaAssistedUnlock: the holder's card proved again, GET CHALLENGE, the cryptogram of
    the RA session, RESET RETRY COUNTER with the new passcode, the result reported.

    With two readers the RA's card is looked for before the unlock starts and again
    before the cryptogram is asked for: pulled, the session is ended on the service and
    the holder's card is left as it was (the flow signs out when the watcher sees it go;
    this closes the gap between the two)."""
    ra = parts.client.ra_client()
    serial, session_id = cmd.serial, cmd.session_id
    if await _ra_card_gone(parts, cmd.ra_serial):
        await ra_sign_out(parts, r.RaSignOut(session_id, "card_removed"))
        parts.emit(r.RaRefused(message=RA_CARD_TAKEN))
        return
    try:
        started = await _holder_card_proved(
            parts, session_id, serial, cmd.uuid, ra.start_assisted_unlock
        )
        unlock_id = started.assisted_unlock_id
        challenge = await parts.card.call(lambda access: access.begin_unblock(serial))
    except GONE:
        parts.emit(r.RaRefused(message=CARD_TAKEN))
        return
    except (apdu.CardError, ServiceError) as exc:
        parts.emit(holder_card_refused(exc))
        return
    if await _ra_card_gone(parts, cmd.ra_serial):
        await parts.card.call(lambda access: access.abort_unblock())
        await ra_sign_out(parts, r.RaSignOut(session_id, "card_removed"))
        parts.emit(r.RaRefused(message=RA_CARD_TAKEN))
        return
    try:
        cryptogram = await ra.assisted_cryptogram(session_id, unlock_id, challenge)
    except ServiceError as exc:
        await parts.card.call(lambda access: access.abort_unblock())
        parts.emit(refused(exc))
        return
    new = cmd.new_passcode
    try:
        await parts.card.call(lambda access: access.finish_unblock(cryptogram, new))
    except apdu.CardStatusError as exc:
        await _report(parts, session_id, unlock_id, "card_error", exc.sw)
        parts.emit(
            r.RaRefused(
                message=N_("The card refused the new passcode: {problem}", problem=str(exc))
            )
        )
        return
    except GONE:
        parts.emit(r.RaRefused(message=CARD_TAKEN))
        return
    except apdu.CardError as exc:
        parts.emit(
            r.RaRefused(message=N_("The card could not be written: {problem}", problem=str(exc)))
        )
        return
    if not await _report(parts, session_id, unlock_id, "unlocked", 0x9000):
        parts.emit(r.RaRefused(message=N_("The card is unlocked, but the service was not told.")))
        return
    try:
        state = await ra.holder_state(session_id)
    except ServiceError as exc:
        parts.emit(refused(exc))
        return
    parts.emit(r.RaUnlockDone(holder_view(state)))


async def _report(
    parts: EffectParts, session_id: str, unlock_id: str, outcome: str, sw: int
) -> bool:
    try:
        await parts.client.ra_client().assisted_result(
            session_id,
            unlock_id,
            "unlocked" if outcome == "unlocked" else "card_error",
            sw,
        )
    except ServiceError:
        log.warning("assisted unlock result not reported")
        return False
    return True


async def ra_load_report(parts: EffectParts, cmd: r.RaLoadReport) -> None:
    """RaLoadReport: the service's report, made into what the report screen shows."""
    since, until = date.fromisoformat(cmd.since), date.fromisoformat(cmd.until)
    try:
        report = await parts.client.ra_client().report(cmd.session_id, since, until)
    except ServiceError as exc:
        parts.emit(refused(exc))
        return
    parts.emit(r.RaReportRead(report_view(report)))


def report_view(report: ReportOut) -> RaReportView:
    """The report screen's view of the service's report."""
    first, last = date.fromisoformat(report.since), date.fromisoformat(report.until)
    days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    per_day = dict.fromkeys(days, 0)
    per_kiosk: dict[str, list[int]] = {}
    for row in report.rows:
        if row.day in per_day:
            per_day[row.day] += row.unlocks_self_service + row.unlocks_assisted
        figures = per_kiosk.setdefault(row.kiosk, [0, 0, 0, 0, 0])
        for i, n in enumerate(
            (
                row.registrations,
                row.unlocks_self_service,
                row.unlocks_assisted,
                row.locks,
                sum(row.refusals.values()),
            )
        ):
            figures[i] += n
    totals = report.totals
    kiosks = tuple(
        N_(
            "{name}: {registrations} registrations, {self_service} + {assisted} unlocks, "
            "{locks} locks, {refusals} refusals",
            name=name,
            registrations=f[0],
            self_service=f[1],
            assisted=f[2],
            locks=f[3],
            refusals=f[4],
        )
        for name, f in sorted(per_kiosk.items())
    )
    return RaReportView(
        since=report.since,
        until=report.until,
        days=tuple(days),
        unlocks_per_day=tuple(per_day.values()),
        registrations=totals.registrations,
        unlocks_self_service=totals.unlocks_self_service,
        unlocks_assisted=totals.unlocks_assisted,
        locks=totals.locks,
        codes_not_delivered=totals.codes_not_delivered,
        refusals=tuple(sorted(totals.refusals.items(), key=lambda kv: (-kv[1], kv[0]))),
        kiosks=kiosks,
    )


async def ra_sign_out(parts: EffectParts, cmd: r.RaSignOut) -> None:
    """RaSignOut: end the session on the service; the kiosk has moved on already."""
    try:
        await parts.client.ra_client().sign_out(cmd.session_id, cmd.reason)
    except ServiceError:
        # The service ends it anyway after its idle time.
        log.warning("RA sign-out not delivered")


EFFECTS: dict[type[c.Command], Effect] = {
    r.RaReadRaCard: ra_read_ra_card,
    r.RaSignIn: ra_sign_in,
    r.RaTakeHolderCard: ra_take_holder_card,
    r.RaClearLock: ra_clear_lock,
    r.RaChangeContacts: ra_change_contacts,
    r.RaAssistedUnlock: ra_assisted_unlock,
    r.RaLoadReport: ra_load_report,
    r.RaSignOut: ra_sign_out,
}
"""Command type -> effect, for the RA desk."""

"""The one table from the service's problem codes to flow events.

A call that got no usable answer (network, timeout, a gateway, 5xx, the mail
server down, a throttle) is `ServiceUnreachable`: the flow retries or asks the
holder to send again. A refusal the flow knows becomes its own event; any other
is `ServiceRefused`, which stops the journey.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from contract.problems import ProblemCode
from kiosk import service_client as sc
from kiosk.flow import events as e

_REGISTRATION_CALLS = frozenset(
    {
        e.Call.START_REGISTRATION,
        e.Call.LOAD_QUESTION_CATALOGUE,
        e.Call.SEND_REGISTRATION_ANSWERS,
        e.Call.CONFIRM_REGISTRATION,
        e.Call.RESEND_REGISTRATION_CODE,
    }
)

_OUTAGES = frozenset(
    {ProblemCode.MAIL_UNAVAILABLE, ProblemCode.TOO_MANY_REQUESTS, ProblemCode.SERVICE_BUSY}
)
"""Refusals that say "not now" rather than "no": they are retried like an outage."""


@dataclass(frozen=True)
class Refusal:
    """How one problem code reaches the flow."""

    event: Callable[[e.Call, sc.ServiceRejected], e.Event | None]
    """The flow event (None: not one the flow knows after all, so ServiceRefused)."""
    calls: frozenset[e.Call] | None = None
    """Only for these calls (None: any); from another call it is ServiceRefused."""


def _email_not_approved(_call: e.Call, exc: sc.ServiceRejected) -> e.Event:
    domains = exc.extras.get("approved_domains")
    listed = tuple(str(d) for d in domains) if isinstance(domains, list) else ()
    return e.EmailNotApproved(approved_domains=listed)


def _terms_outdated(_call: e.Call, exc: sc.ServiceRejected) -> e.Event:
    version = exc.extras.get("terms_version")
    return e.TermsOutdated(terms_version=str(version) if version is not None else None)


def _answers_wrong(_call: e.Call, exc: sc.ServiceRejected) -> e.Event | None:
    left = exc.attempts_left
    return e.AnswersWrong(attempts_left=left) if left is not None else None


def _code_wrong(_call: e.Call, exc: sc.ServiceRejected) -> e.Event | None:
    left = exc.tries_left
    if left is None:
        return None
    return e.CodeWrong(tries_left=left, wrong_codes=exc.wrong_codes)


def _always(event: e.Event) -> Callable[[e.Call, sc.ServiceRejected], e.Event]:
    return lambda _call, _exc: event


_REGISTRATION_EXPIRED = Refusal(_always(e.RegistrationExpired()), _REGISTRATION_CALLS)

REFUSALS: dict[ProblemCode, Refusal] = {
    ProblemCode.MAIL_UNAVAILABLE: Refusal(
        lambda call, exc: e.ServiceUnreachable(failed=call, retry_after=exc.retry_after, mail=True)
    ),
    ProblemCode.TOO_MANY_REQUESTS: Refusal(
        lambda call, exc: e.ServiceUnreachable(
            failed=call, retry_after=exc.retry_after, overloaded=True
        )
    ),
    # Still busy after the client waited as long as it will (kiosk.service_http):
    # nothing was counted, so the holder may simply send again.
    ProblemCode.SERVICE_BUSY: Refusal(
        lambda call, exc: e.ServiceUnreachable(
            failed=call, retry_after=exc.retry_after, overloaded=True
        )
    ),
    ProblemCode.TOO_MANY_RESENDS: Refusal(
        lambda _call, exc: e.ResendRefused(retry_after=exc.retry_after)
    ),
    ProblemCode.SELF_SERVICE_LOCKED: Refusal(_always(e.SelfServiceLockedReply())),
    ProblemCode.SELF_SERVICE_PAUSED: Refusal(
        lambda _call, exc: e.SelfServiceLockedReply(paused_for=exc.retry_after or 1)
    ),
    ProblemCode.NOT_REGISTERED: Refusal(_always(e.NotRegisteredReply())),
    ProblemCode.CARD_PROOF_INVALID: Refusal(_always(e.CardProofRefused())),
    ProblemCode.HOLDER_PROOF_INVALID: Refusal(_always(e.CardProofRefused()), _REGISTRATION_CALLS),
    ProblemCode.ANSWERS_WRONG: Refusal(_answers_wrong),
    ProblemCode.ANSWERS_INVALID: Refusal(
        lambda _call, exc: e.RegistrationAnswersRefused(detail=exc.detail),
        frozenset({e.Call.SEND_REGISTRATION_ANSWERS}),
    ),
    ProblemCode.CODE_WRONG: Refusal(_code_wrong),
    ProblemCode.CODE_VOID: Refusal(_always(e.CodeVoid())),
    ProblemCode.CODE_EXPIRED: Refusal(_always(e.CodeExpired())),
    ProblemCode.UNLOCK_EXPIRED: Refusal(_always(e.UnlockExpired())),
    ProblemCode.UNKNOWN_UNLOCK: Refusal(_always(e.UnlockExpired())),
    ProblemCode.REGISTRATION_EXPIRED: _REGISTRATION_EXPIRED,
    ProblemCode.UNKNOWN_REGISTRATION: _REGISTRATION_EXPIRED,
    ProblemCode.EMAIL_NOT_APPROVED: Refusal(_email_not_approved, _REGISTRATION_CALLS),
    ProblemCode.MOBILE_INVALID: Refusal(_always(e.MobileRefused()), _REGISTRATION_CALLS),
    ProblemCode.TERMS_OUTDATED: Refusal(_terms_outdated, _REGISTRATION_CALLS),
}
"""Problem code -> the flow event it becomes. Codes not here are ServiceRefused."""


def refusal_event(call: e.Call, exc: sc.ServiceError) -> e.Event:
    """The flow event for a failed service call.

    Args:
        call: The call that failed.
        exc: How it failed (the client's exception).

    Returns:
        ServiceUnreachable for an outage, the refusal's own event when the flow
        knows it, else ServiceRefused with the problem code.
    """
    if not isinstance(exc, sc.ServiceRejected):
        return e.ServiceUnreachable(failed=call)
    problem = exc.problem
    if exc.status >= 500 and problem not in _OUTAGES:
        return e.ServiceUnreachable(failed=call)
    refusal = REFUSALS.get(problem) if problem is not None else None
    if refusal is not None and (refusal.calls is None or call in refusal.calls):
        event = refusal.event(call, exc)
        if event is not None:
            return event
    return e.ServiceRefused(failed=call, code=exc.code)

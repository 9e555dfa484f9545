"""The service's audit and refusal codes in the RA's words (issue 17): the one table.

The RA desk shows what the service recorded about a holder (recent events: an audit
type and its outcome) and why it refused (the report's refusals by reason, problem
codes). The service speaks in codes; these tables give each a phrase to translate.
tests/kiosk/test_ra_wording.py reads the service's source and fails when it can write
a code that has no phrase here (or when a phrase's code is no longer written).
"""

from __future__ import annotations

from contract.language import N_
from kiosk.flow.ra_states import RaEvent
from screens.language import tr

EVENTS: dict[str, str] = {
    "demo_holder_added": N_("Demo holder added"),
    "holder_added": N_("Holder added"),
    "kiosk_added": N_("Kiosk added"),
    "kiosk_revoked": N_("Kiosk withdrawn"),
    "kiosk_rotated": N_("Kiosk token renewed"),
    "mail_not_sent": N_("Mail not sent"),
    "notice_sent": N_("Notice sent"),
    "piv_card_enrolled": N_("PIV card enrolled"),
    "ra_clear_lock": N_("RA cleared the lock"),
    "ra_holder_card": N_("Card checked at the RA desk"),
    "ra_holder_contacts": N_("Contacts changed at the RA desk"),
    "ra_report": N_("Report read"),
    "ra_role_granted": N_("RA role given"),
    "ra_role_revoked": N_("RA role taken away"),
    "ra_sign_in": N_("RA sign-in"),
    "ra_sign_out": N_("RA sign-out"),
    "ra_unlock_cryptogram": N_("Assisted unlock: card unblock sent"),
    "ra_unlock_result": N_("Assisted unlock: result"),
    "ra_unlock_start": N_("Assisted unlock started"),
    "registration_answers": N_("Registration: answers"),
    "registration_confirm": N_("Registration: code"),
    "registration_resend": N_("Registration: code sent again"),
    "registration_start": N_("Registration started"),
    "unlock_answers": N_("Unlock: answers"),
    "unlock_channel": N_("Unlock: where the code goes"),
    "unlock_code": N_("Unlock: code"),
    "unlock_cryptogram": N_("Unlock: card unblock sent"),
    "unlock_puk": N_("Unlock: PUK released"),
    "unlock_puk_rotated": N_("Unlock: PUK changed"),
    "unlock_resend": N_("Unlock: code sent again"),
    "unlock_result": N_("Unlock: result"),
    "unlock_start": N_("Unlock started"),
}
"""Audit type -> what happened, in a few words."""

OUTCOMES: dict[str, str] = {
    "already_recorded": N_("already recorded"),
    "card_error": N_("the card refused"),
    "card_removed": N_("card taken out"),
    "expired": N_("time up"),
    "idle": N_("no use for a while"),
    "ok": N_("done"),
    "released": N_("released"),
    "replaced": N_("another RA signed in"),
    "role_revoked": N_("role taken away"),
    "signed_out": N_("signed out"),
    "unlocked": N_("unlocked"),
}
"""Outcome that is not a refusal -> how it ended."""

REFUSALS: dict[str, str] = {
    "unauthorized": N_("kiosk not recognised"),
    "request_invalid": N_("request not valid"),
    "internal_error": N_("service fault"),
    "body_too_large": N_("request too large"),
    "card_proof_invalid": N_("card check failed"),
    "holder_proof_invalid": N_("card and passcode check failed"),
    "not_registered": N_("not registered"),
    "self_service_locked": N_("self-service locked"),
    "self_service_paused": N_("self-service paused"),
    "unknown_unlock": N_("unknown unlock"),
    "unknown_registration": N_("unknown registration"),
    "wrong_step": N_("step out of order"),
    "unlock_expired": N_("unlock timed out"),
    "registration_expired": N_("registration timed out"),
    "answers_wrong": N_("wrong answers"),
    "answers_invalid": N_("answers not valid"),
    "code_wrong": N_("wrong code"),
    "code_expired": N_("code expired"),
    "code_void": N_("code void"),
    "email_not_approved": N_("email domain not approved"),
    "mobile_invalid": N_("mobile number not valid"),
    "terms_outdated": N_("old terms"),
    "too_many_requests": N_("too many requests"),
    "too_many_resends": N_("too many resends"),
    "too_many_attempts": N_("too many attempts"),
    "request_in_progress": N_("request already in progress"),
    "idempotency_key_reused": N_("request repeated differently"),
    "ra_desk_required": N_("not an RA desk"),
    "ra_role_required": N_("not an RA"),
    "ra_manager_required": N_("not an RA manager"),
    "ra_session_ended": N_("RA session ended"),
    "holder_card_required": N_("holder's card needed"),
    "own_card": N_("RA's own card"),
    "unknown_assisted_unlock": N_("unknown assisted unlock"),
    "period_invalid": N_("period not valid"),
    "mail_unavailable": N_("mail could not be sent"),
    "service_busy": N_("service busy"),
}
"""Problem code -> what was refused, in a few words."""


def refusal_phrase(code: str) -> str:
    """A refusal (problem) code in the RA's language; the code itself if it has none."""
    phrase = REFUSALS.get(code)
    return tr(phrase) if phrase is not None else code


def outcome_phrase(code: str) -> str:
    """An audit outcome in the RA's language: a refusal's reason, or how it ended."""
    phrase = OUTCOMES.get(code) or REFUSALS.get(code)
    return tr(phrase) if phrase is not None else code


def event_phrase(code: str) -> str:
    """An audit type in the RA's language; the code itself if it has no phrase."""
    phrase = EVENTS.get(code)
    return tr(phrase) if phrase is not None else code


def event_line(event: RaEvent) -> str:
    """One recent event: when, what, how it ended, and where."""
    line = f"{event.at}  {event_phrase(event.type)} — {outcome_phrase(event.outcome)}"
    return f"{line} ({event.kiosk})" if event.kiosk else line

"""The problem codes the service answers with and the kiosk branches on (docs/api.md)."""

from __future__ import annotations

from enum import StrEnum


class ProblemCode(StrEnum):
    """The `code` member of every problem+json body the service returns."""

    UNAUTHORIZED = "unauthorized"
    REQUEST_INVALID = "request_invalid"
    INTERNAL_ERROR = "internal_error"
    BODY_TOO_LARGE = "body_too_large"
    # Proving the card and the holder.
    CARD_PROOF_INVALID = "card_proof_invalid"
    HOLDER_PROOF_INVALID = "holder_proof_invalid"
    # Who may use self-service.
    NOT_REGISTERED = "not_registered"
    SELF_SERVICE_LOCKED = "self_service_locked"
    SELF_SERVICE_PAUSED = "self_service_paused"
    # Journeys and their steps.
    UNKNOWN_UNLOCK = "unknown_unlock"
    UNKNOWN_REGISTRATION = "unknown_registration"
    WRONG_STEP = "wrong_step"
    UNLOCK_EXPIRED = "unlock_expired"
    REGISTRATION_EXPIRED = "registration_expired"
    # Answers and codes.
    ANSWERS_WRONG = "answers_wrong"
    ANSWERS_INVALID = "answers_invalid"
    CODE_WRONG = "code_wrong"
    CODE_EXPIRED = "code_expired"
    CODE_VOID = "code_void"
    # Registration details.
    EMAIL_NOT_APPROVED = "email_not_approved"
    MOBILE_INVALID = "mobile_invalid"
    TERMS_OUTDATED = "terms_outdated"
    # Throttles and idempotency.
    TOO_MANY_REQUESTS = "too_many_requests"
    TOO_MANY_RESENDS = "too_many_resends"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    REQUEST_IN_PROGRESS = "request_in_progress"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    # The RA desk (docs/api.md "The RA desk").
    RA_DESK_REQUIRED = "ra_desk_required"
    RA_ROLE_REQUIRED = "ra_role_required"
    RA_MANAGER_REQUIRED = "ra_manager_required"
    RA_SESSION_ENDED = "ra_session_ended"
    HOLDER_CARD_REQUIRED = "holder_card_required"
    OWN_CARD = "own_card"
    UNKNOWN_ASSISTED_UNLOCK = "unknown_assisted_unlock"
    PERIOD_INVALID = "period_invalid"
    # Dependencies.
    MAIL_UNAVAILABLE = "mail_unavailable"
    SERVICE_BUSY = "service_busy"


PROBLEM_MEDIA_TYPE = "application/problem+json"
"""The media type of every refusal."""

"""The refusals of the self-service rules, and the failures of what they depend on.

The rules raise these and know nothing of HTTP; `service/api/errors.py` holds the
one table that answers each with a status. Each names its problem code (`code`),
the contract's word for it, which the audit also records as the step's outcome;
class names say what happened in the rules' words (`HolderLocked` is answered
`self_service_locked`), so they are not confused with the kiosk's events and states.
"""

from __future__ import annotations

from typing import Any, ClassVar

from contract.problems import ProblemCode


class DomainError(Exception):
    """Something the service answers a kiosk with instead of what it asked for."""

    code: ClassVar[ProblemCode]
    """Its name in the contract, and the outcome the audit records for it."""
    default_detail: ClassVar[str]

    def __init__(self, detail: str | None = None, **extras: Any) -> None:
        self.detail = detail or self.default_detail
        self.extras = extras
        """The extension members it carries (attempts left, retry after ...)."""
        super().__init__(f"{self.code}: {self.detail}")


class Refusal(DomainError):
    """A rule said no. What was written before it (a counted failure, a used nonce,
    the audit record) is kept: see `Parts.transaction`."""


class MailNotSent(DomainError):
    """The mail could not be handed to the SMTP relay; nothing was written."""

    code = ProblemCode.MAIL_UNAVAILABLE
    default_detail = "The email could not be sent; try again soon."

    def __init__(self, template: str = "") -> None:
        super().__init__()
        self.template = template


class ServiceBusy(DomainError):
    """Answer checking is full: refused at the edge before any transaction, so nothing
    was read, counted or written, and nothing is kept under the Idempotency-Key."""

    code = ProblemCode.SERVICE_BUSY
    default_detail = "The service is busy; try again shortly."

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after=retry_after)


# -- the kiosk and throttles ---------------------------------------------------------------


class UnknownKiosk(Refusal):
    code = ProblemCode.UNAUTHORIZED
    default_detail = "A valid kiosk token is required."


class Throttled(Refusal):
    code = ProblemCode.TOO_MANY_REQUESTS
    default_detail = "Too many requests; try again later."

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after=retry_after)


# -- proofs and who may use self-service ------------------------------------------------------


class CardNotProven(Refusal):
    code = ProblemCode.CARD_PROOF_INVALID
    default_detail = "The card could not be verified."


class HolderNotProven(Refusal):
    code = ProblemCode.HOLDER_PROOF_INVALID
    default_detail = "The card could not be verified."


class HolderNotRegistered(Refusal):
    code = ProblemCode.NOT_REGISTERED
    default_detail = "This card is not registered for self-service."


class HolderLocked(Refusal):
    code = ProblemCode.SELF_SERVICE_LOCKED
    default_detail = "Self-service is locked for this card."


class HolderPaused(Refusal):
    """Too many wrong codes for this holder lately: self-service waits (code_guesses)."""

    code = ProblemCode.SELF_SERVICE_PAUSED
    default_detail = "Too many wrong codes: self-service is paused for this card for now."

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after=retry_after)


# -- journeys and their steps -------------------------------------------------------------------


class UnknownUnlock(Refusal):
    code = ProblemCode.UNKNOWN_UNLOCK
    default_detail = "No such unlock for this kiosk."


class UnknownRegistration(Refusal):
    code = ProblemCode.UNKNOWN_REGISTRATION
    default_detail = "No such registration for this kiosk."


class UnlockLapsed(Refusal):
    code = ProblemCode.UNLOCK_EXPIRED
    default_detail = "This unlock has expired. Please start again."


class RegistrationLapsed(Refusal):
    code = ProblemCode.REGISTRATION_EXPIRED
    default_detail = "This registration has expired. Please start again."


class StepOutOfOrder(Refusal):
    code = ProblemCode.WRONG_STEP
    default_detail = "This step was changed by another request; please try again."


# -- answers and codes --------------------------------------------------------------------------


class AnswersRejected(Refusal):
    code = ProblemCode.ANSWERS_WRONG
    default_detail = "One or more answers are not right."

    def __init__(self, attempts_left: int) -> None:
        super().__init__(attempts_left=attempts_left)


class AnswersMalformed(Refusal):
    code = ProblemCode.ANSWERS_INVALID
    default_detail = "An answer is far too long."


class CodeRejected(Refusal):
    code = ProblemCode.CODE_WRONG
    default_detail = "That code is not right."

    def __init__(self, tries_left: int, wrong_codes: list[str] | None = None) -> None:
        if wrong_codes is None:
            super().__init__(tries_left=tries_left)
        else:
            detail = f"Not right: the {' and the '.join(wrong_codes)} code."
            super().__init__(detail, tries_left=tries_left, wrong_codes=wrong_codes)


class ChannelRefused(Refusal):
    """A code channel the unlock cannot use: not on record, or the texted code missing."""

    code = ProblemCode.REQUEST_INVALID
    default_detail = "That way of sending a code is not available for this holder."


class CodeLapsed(Refusal):
    code = ProblemCode.CODE_EXPIRED
    default_detail = "This code has expired. Ask for a new one."


class CodeVoided(Refusal):
    code = ProblemCode.CODE_VOID
    default_detail = "This code no longer works. Please start again."


class ResendLimited(Refusal):
    code = ProblemCode.TOO_MANY_RESENDS
    default_detail = "Please wait before asking for another code."

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        super().__init__(detail, retry_after=retry_after)


class CryptogramLimitReached(Refusal):
    code = ProblemCode.TOO_MANY_ATTEMPTS
    default_detail = "Too many cryptograms for this unlock."


# -- registration details ------------------------------------------------------------------------


class EmailDomainRefused(Refusal):
    code = ProblemCode.EMAIL_NOT_APPROVED
    default_detail = "Use an email address on an approved domain."

    def __init__(self, approved_domains: list[str]) -> None:
        super().__init__(approved_domains=approved_domains)


class MobileMalformed(Refusal):
    code = ProblemCode.MOBILE_INVALID
    default_detail = "Give a UK mobile number (07...)."


class TermsChanged(Refusal):
    code = ProblemCode.TERMS_OUTDATED
    default_detail = "The terms have changed; please read them again."

    def __init__(self, terms_version: str) -> None:
        super().__init__(terms_version=terms_version)


# -- idempotency -----------------------------------------------------------------------------------


class RequestStillRunning(Refusal):
    code = ProblemCode.REQUEST_IN_PROGRESS
    default_detail = "The first request with this key is running."


class IdempotencyKeyEmpty(Refusal):
    code = ProblemCode.REQUEST_INVALID
    default_detail = "Malformed request: header.Idempotency-Key is empty."


class IdempotencyKeyMismatch(Refusal):
    code = ProblemCode.IDEMPOTENCY_KEY_REUSED
    default_detail = "This Idempotency-Key was used for a different request."

"""The RA desk's refusals (docs/api.md "The RA desk"); statuses in service/api/errors.py."""

from __future__ import annotations

from contract.problems import ProblemCode
from service.domain.errors import Refusal


class NotAnRaDesk(Refusal):
    code = ProblemCode.RA_DESK_REQUIRED
    default_detail = "This kiosk is not an RA desk."


class NotAnRa(Refusal):
    code = ProblemCode.RA_ROLE_REQUIRED
    default_detail = "This card's holder has no RA role."


class NotAnRaManager(Refusal):
    code = ProblemCode.RA_MANAGER_REQUIRED
    default_detail = "Only an RA manager can read the report."


class RaSessionEnded(Refusal):
    code = ProblemCode.RA_SESSION_ENDED
    default_detail = "The RA session has ended. Sign in again with your card."


class HolderCardMissing(Refusal):
    code = ProblemCode.HOLDER_CARD_REQUIRED
    default_detail = "Put the holder's card in the reader first."


class OwnCard(Refusal):
    code = ProblemCode.OWN_CARD
    default_detail = "That is the RA's own card; an RA cannot act on it at their own desk."


class UnknownAssistedUnlock(Refusal):
    code = ProblemCode.UNKNOWN_ASSISTED_UNLOCK
    default_detail = "No such assisted unlock in this RA session."


class ReportPeriodInvalid(Refusal):
    code = ProblemCode.PERIOD_INVALID
    default_detail = "The period must start on or before its end, and span at most 366 days."

"""The request and response bodies of the wire contract (docs/api.md), as pydantic models.

The service declares them as its routes' bodies and `response_model`s, so FastAPI
checks what arrives and what leaves; the kiosk's client can read the same ones.
Field names and JSON are the contract's: add optional fields, never rename.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Serial = Annotated[
    str, StringConstraints(pattern=r"^(?:[0-9a-fA-F]{16}|[0-9a-fA-F]{32})$", to_lower=True)
]
"""A card serial: 16 hex (own applet, 8 bytes) or 32 hex (PIV, the CHUID's 16-byte GUID)."""
Hex32 = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{32}$", to_lower=True)]
# A DER ECDSA P-256 signature is at most 72 bytes; a card certificate a few hundred.
HexSignature = Annotated[
    str, StringConstraints(pattern=r"^(?:[0-9a-fA-F]{2}){8,80}$", to_lower=True)
]
HexCertificate = Annotated[
    str, StringConstraints(pattern=r"^(?:[0-9a-fA-F]{2}){64,4096}$", to_lower=True)
]
Profile = Literal["own", "piv"]
"""Which application a card speaks (docs/design.md section 3)."""
Uuid12 = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
# No NUL anywhere: PostgreSQL text cannot hold it, and no holder types one.
NO_NUL = r"^[^\x00]*$"

Text12 = Annotated[str, StringConstraints(max_length=12, pattern=NO_NUL)]
Text32 = Annotated[str, StringConstraints(max_length=32, pattern=NO_NUL)]
Text40 = Annotated[str, StringConstraints(max_length=40, pattern=NO_NUL)]
Text64 = Annotated[str, StringConstraints(max_length=64, pattern=NO_NUL)]
Text320 = Annotated[str, StringConstraints(max_length=320, pattern=NO_NUL)]
Name64 = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=NO_NUL)]

Answer = Annotated[str, StringConstraints(max_length=1024)]
QuestionId = Annotated[str, StringConstraints(max_length=16)]
Code = Annotated[str, StringConstraints(max_length=64)]
FlowId = Annotated[str, StringConstraints(max_length=64, pattern=NO_NUL)]
"""An unlock or registration id in a path."""


class WireModel(BaseModel):
    """A body of the contract: unknown members are refused."""

    model_config = ConfigDict(extra="forbid")


class ProblemBody(BaseModel):
    """application/problem+json with the extension members of docs/api.md."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str
    title: str
    status: int
    detail: str
    code: str
    attempts_left: int | None = None
    tries_left: int | None = None
    retry_after: int | None = None
    approved_domains: list[str] | None = None
    terms_version: str | None = None


# -- the service ----------------------------------------------------------------------


class Health(WireModel):
    status: Literal["ok"]
    version: str


class Readiness(WireModel):
    """GET /v1/ready when the answer steps would be admitted (else 503 service_busy)."""

    status: Literal["ready"]
    version: str


class Question(WireModel):
    id: str
    text: str


class Questions(WireModel):
    version: str
    questions: list[Question]


class NonceOut(WireModel):
    nonce: str
    expires_at: str


class CardProofIn(WireModel):
    """How a kiosk proves a card over a service nonce (docs/api.md "Card proofs").

    Own applet: `mac`, the AES-CMAC of the nonce. PIV: `signature`, the card's DER
    ECDSA signature over the nonce, and `certificate`, the DER certificate of the
    key that made it (9E for an unlock, 9A for a registration).
    """

    profile: Profile = "own"
    serial: Serial
    uuid: Uuid12
    nonce: Hex32
    mac: Hex32 | None = None
    signature: HexSignature | None = None
    certificate: HexCertificate | None = None

    @model_validator(mode="after")
    def _proof_of_its_profile(self) -> CardProofIn:
        if self.profile == "own":
            if len(self.serial) != 16 or self.mac is None:
                raise ValueError("an own-applet card proof is a 16-hex serial and a mac")
            if self.signature is not None or self.certificate is not None:
                raise ValueError("an own-applet card proof has no signature or certificate")
        else:
            if len(self.serial) != 32 or self.signature is None or self.certificate is None:
                raise ValueError("a PIV card proof is a 32-hex GUID, a signature and a certificate")
            if self.mac is not None:
                raise ValueError("a PIV card proof has no mac")
        return self


# -- unlocks --------------------------------------------------------------------------


class UnlockIn(CardProofIn):
    pass


Channel = Literal["email", "sms"]
"""How a code or notice reaches the holder: email, or a text message (SMS)."""


class ChannelOption(WireModel):
    """A channel on record for the holder, with its masked address."""

    channel: Channel
    to: str


class UnlockOut(WireModel):
    unlock_id: str
    next: Literal["answers", "code", "channel"]
    questions: list[Question]
    attempts_left: int
    expires_at: str
    code_sent_to: str | None = None
    """Only when next is "code" (absent from the JSON otherwise)."""
    text_sent_to: str | None = None
    """Only when a second code went by text (policy two-channel): the masked mobile."""
    not_sent: list[Channel] | None = None
    """Two codes, and this channel's message failed while the other's went (as CodeSent)."""
    channels: list[ChannelOption] | None = None
    """Only when next is "channel": where the holder may have the code sent."""
    policy: str | None = None
    """The deployment's policy: "questions", "national-2023" or "two-channel"."""


class ChannelIn(WireModel):
    channel: Channel


class AnswersIn(WireModel):
    answers: dict[QuestionId, Answer] = Field(max_length=32)


class CodeSent(WireModel):
    code_sent_to: str
    code_expires_at: str
    text_sent_to: str | None = None
    """Only when a second code went by text (policy two-channel): the masked mobile."""
    text_expires_at: str | None = None
    """When that texted code stops working (at most 10 minutes)."""
    not_sent: list[Channel] | None = None
    """Two codes, and this channel's message failed while the other went: the code
    that went is kept; a resend sends the one owed (docs/api.md "Policies")."""


class CodeIn(WireModel):
    code: Code
    text_code: Code | None = None
    """The code sent by text, when the unlock sent two (policy two-channel)."""


class CodeAccepted(WireModel):
    status: Literal["code_accepted"]
    expires_at: str


class ChallengeIn(WireModel):
    challenge: Hex32


class CryptogramOut(WireModel):
    cryptogram: str


class ResultIn(WireModel):
    outcome: Literal["unlocked", "card_error"]
    status_word: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{4}$")]


class Empty(WireModel):
    pass


class PukOut(WireModel):
    """POST /v1/unlocks/{id}/puk: a PIV card's escrowed PUK and the one to rotate it to.

    `settle` true: the card may hold `puk` or `next_puk` (an earlier rotation was not
    confirmed); find out with at most one PUK try and leave it on `next_puk`, report
    the rotation, then ask again. `rotation` names this pair in the rotation report.
    """

    puk: str
    next_puk: str
    settle: bool
    rotation: int


class PukRotatedIn(WireModel):
    rotation: int = Field(ge=0)


# -- registrations ----------------------------------------------------------------------


class PolicyOut(WireModel):
    """GET /v1/policy: what unlocking takes in this deployment (docs/api.md "Policies")."""

    policy: str
    """"questions", "national-2023" or "two-channel" (a string: a later policy must not
    break an earlier kiosk, which then says what the default one takes)."""
    registration_needed: bool
    """Whether a holder must register (and so answer questions) before unlocking."""
    texts: bool = True
    """Whether codes can go by text here (False: a deployment with no text route, where
    national-2023 sends its one code by email)."""


class RegistrationIn(CardProofIn):
    email: Text320
    mobile: Text32
    terms_version: Text64


class RegistrationOut(WireModel):
    registration_id: str
    expires_at: str


class Registered(WireModel):
    status: Literal["registered"]
    policy: str | None = None
    """The deployment's policy, so the kiosk can say how a locked card will be unlocked."""


# -- audit ------------------------------------------------------------------------------


class AuditEvent(BaseModel):
    # Members the contract does not name are dropped, not refused.
    model_config = ConfigDict(extra="ignore")

    id: Name64
    at: Text40
    type: Name64
    serial: Text32 | None = None
    uuid: Text12 | None = None
    outcome: Text64
    detail: dict[str, Any] = Field(default_factory=dict)


class AuditIn(WireModel):
    events: list[AuditEvent] = Field(max_length=1000)


class AuditOut(WireModel):
    accepted: int
    duplicates: int

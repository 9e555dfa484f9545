"""The store's tables, on SQLAlchemy Core (the migrations create the same shape).

Times are UTC epoch seconds (floats), which every database compares the same way.
No column ever holds an answer, code, cryptogram, key or token in clear.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
)

metadata = MetaData()

kiosks = Table(
    "kiosks",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    # SHA-256 of a 256-bit random token: enough, since a token cannot be guessed.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("demo", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
    # Set by `kiosk revoke`: the token is refused from then on, on every instance.
    Column("revoked_at", Float),
    # Set by `kiosk add --ra-desk`: only such a kiosk may call the RA endpoints.
    Column("ra_desk", Boolean, nullable=False, default=False, server_default=false()),
)

holders = Table(
    "holders",
    metadata,
    Column("uuid", String(12), primary_key=True),
    Column("serial", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("mobile", String(32), nullable=False),
    Column("registered", Boolean, nullable=False, default=False),
    Column("terms_version", String(64)),
    Column("registered_at", Float),
    Column("failed_attempts", Integer, nullable=False, default=0),
    Column("locked_at", Float),
    Column("demo", Boolean, nullable=False, default=False),
    # `ra` or `manager` (contract/ra_wire.py RA_ROLES), set by `ssu-service ra grant`.
    Column("ra_role", String(16)),
)

holder_answers = Table(
    "holder_answers",
    metadata,
    Column("uuid", String(12), primary_key=True),
    Column("question_id", String(8), primary_key=True),
    Column("answer_hash", String(200), nullable=False),
)

nonces = Table(
    "nonces",
    metadata,
    Column("nonce", String(32), primary_key=True),
    Column("kiosk_id", String(32), nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("used", Boolean, nullable=False, default=False),
)


def _code_columns() -> list[Column[object]]:
    return [
        Column("code_hash", String(64)),
        Column("code_expires_at", Float),
        Column("code_tries_left", Integer, nullable=False, default=3),
        Column("code_void", Boolean, nullable=False, default=False),
        Column("resends", Integer, nullable=False, default=0),
        Column("last_sent_at", Float),
    ]


unlocks = Table(
    "unlocks",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kiosk_id", String(32), nullable=False),
    Column("uuid", String(12), nullable=False),
    Column("serial", String(32), nullable=False),
    # answers | channel -> code -> accepted -> closed
    Column("step", String(16), nullable=False),
    Column("question_ids", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    *_code_columns(),
    Column("accepted_expires_at", Float),
    Column("cryptograms", Integer, nullable=False, default=0),
    # The policy's channels (service/domain/policy.py): JSON list of "email"/"sms" the
    # codes go to (null: email, as before policies); a second code by text when two.
    Column("channels", Text),
    Column("sms_code_hash", String(64)),
    Column("sms_code_expires_at", Float),
    Column("sms_code_tries_left", Integer),
    Column("sms_code_void", Boolean),
    Column("closed_at", Float),
    # own | piv: a PIV card is unblocked with its escrowed PUK, not a cryptogram.
    Column("profile", String(8), nullable=False, default="own"),
    Column("puk_releases", Integer, nullable=False, default=0),
)

registrations = Table(
    "registrations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kiosk_id", String(32), nullable=False),
    Column("uuid", String(12), nullable=False),
    Column("serial", String(32), nullable=False),
    Column("email", String(320), nullable=False),
    Column("mobile", String(32), nullable=False),
    Column("terms_version", String(64), nullable=False),
    # answers -> code -> registered
    Column("step", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    *_code_columns(),
)

registration_answers = Table(
    "registration_answers",
    metadata,
    Column("registration_id", String(32), primary_key=True),
    Column("question_id", String(8), primary_key=True),
    Column("answer_hash", String(200), nullable=False),
)

# An RA's session at an RA desk (docs/api.md "The RA desk"): bound to the kiosk and
# the RA's card, ended by sign-out (the card pulled), idle time or its maximum age.
ra_sessions = Table(
    "ra_sessions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kiosk_id", String(32), nullable=False),
    Column("ra_uuid", String(12), nullable=False),
    Column("ra_serial", String(32), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_seen_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    # The holder whose card the kiosk last proved in this session (None before one).
    Column("holder_uuid", String(12)),
    Column("holder_serial", String(32)),
    Column("ended_at", Float),
    Column("ended_why", String(32)),
)

# An RA-assisted unlock: no questions or code; the cryptogram path of an unlock.
ra_unlocks = Table(
    "ra_unlocks",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("session_id", String(32), nullable=False),
    Column("uuid", String(12), nullable=False),
    Column("serial", String(32), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("cryptograms", Integer, nullable=False, default=0),
    Column("closed_at", Float),
)

# The holder directory's binding of a PIV card: its GUID (holders.serial) and the
# SHA-256 of the public keys (SubjectPublicKeyInfo, DER) of its 9E and 9A
# certificates, as read at enrolment: a certificate re-issued for the same key
# still matches, one for another key does not.
piv_cards = Table(
    "piv_cards",
    metadata,
    Column("guid", String(32), primary_key=True),
    Column("uuid", String(12), nullable=False, unique=True),
    Column("card_key_sha256", String(64), nullable=False),
    Column("holder_key_sha256", String(64), nullable=False),
    Column("enrolled_at", Float, nullable=False),
)

# Each PIV card's PUK, AES-256-GCM under a key derived from the masters
# (service/domain/puk_escrow.py). `pending` is the PUK a rotation under way is
# taking the card to: while it is set the card holds `puk` or `pending`.
puk_escrow = Table(
    "puk_escrow",
    metadata,
    Column("guid", String(32), primary_key=True),
    Column("puk", Text, nullable=False),
    Column("pending", Text),
    Column("rotation", Integer, nullable=False, default=0),
    Column("updated_at", Float, nullable=False),
)

idempotency = Table(
    "idempotency",
    metadata,
    Column("kiosk_id", String(32), primary_key=True),
    Column("key_hash", String(64), primary_key=True),
    Column("method", String(8), nullable=False),
    Column("path", String(300), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("state", String(8), nullable=False),  # running | done
    Column("status", Integer),
    Column("body", Text),
    Column("created_at", Float, nullable=False),
    # The instance running the request (while "running"): if that instance stops
    # beating (kill -9), the record is abandoned at once, not after IDEMPOTENCY_STALE.
    Column("instance_id", String(32)),
)

rate_limits = Table(
    "rate_limits",
    metadata,
    Column("bucket", String(100), primary_key=True),
    Column("window", Integer, primary_key=True),
    Column("count", Integer, nullable=False),
)

audit = Table(
    "audit",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), unique=True),
    Column("at", String(40), nullable=False),
    Column("recorded_at", Float, nullable=False),
    Column("source", String(8), nullable=False),  # service | kiosk | ra
    Column("kiosk", String(200)),
    Column("type", String(64), nullable=False),
    Column("uuid", String(12)),
    Column("serial", String(32)),
    Column("outcome", String(64), nullable=False),
    Column("detail", Text, nullable=False),
)

instances = Table(
    "instances",
    metadata,
    # One row per running service instance, beaten every few seconds: work an
    # instance holds (a running request, a mail being sent) is abandoned once its
    # beat stops, so a kill -9 frees it within seconds.
    Column("id", String(32), primary_key=True),
    Column("started_at", Float, nullable=False),
    Column("seen_at", Float, nullable=False),
)

mail_claims = Table(
    "mail_claims",
    metadata,
    # At most one mail in flight per flow ("unlocks:<id>"): concurrent steps of one
    # journey queue here, so two right answers at once send one code, not two.
    Column("key", String(120), primary_key=True),
    Column("token", String(32), nullable=False),
    Column("instance_id", String(32), nullable=False),
    Column("claimed_at", Float, nullable=False),
)

code_guesses = Table(
    "code_guesses",
    metadata,
    # One row per wrong code, per holder, across unlocks and registrations: too many
    # in the window pause self-service for the holder (docs/api.md).
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uuid", String(12), nullable=False),
    Column("at", Float, nullable=False),
)

notices = Table(
    "notices",
    metadata,
    # Notices the service owes a holder, written in the transaction of the event
    # they tell of and sent after it (and by the sweep, until sent): no kiosk can
    # stop one. Values hold names, times and masked addresses, never a secret.
    Column("id", String(32), primary_key=True),
    Column("uuid", String(12), nullable=False),
    Column("to_address", String(320), nullable=False),
    Column("template", String(64), nullable=False),
    Column("fields", Text, nullable=False),
    Column("due_at", Float, nullable=False),
    Column("created_at", Float, nullable=False),
    # What may cancel it before it is due ("unlock-attempt:<unlock id>").
    Column("about", String(120)),
    Column("claimed_at", Float),
    Column("claim", String(32)),
    Column("sent_at", Float),
    Column("attempts", Integer, nullable=False, default=0),
)

# Housekeeping and `audit export --since` scan by time.
Index("ix_audit_recorded_at", audit.c.recorded_at)
Index("ix_nonces_expires_at", nonces.c.expires_at)
Index("ix_idempotency_created_at", idempotency.c.created_at)
Index("ix_rate_limits_window", rate_limits.c.window)
Index("ix_code_guesses_uuid_at", code_guesses.c.uuid, code_guesses.c.at)
Index("ix_notices_due", notices.c.sent_at, notices.c.due_at)
Index("ix_notices_about", notices.c.about)

"""Initial store.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=True),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("recorded_at", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("kiosk", sa.String(length=200), nullable=True),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("uuid", sa.String(length=12), nullable=True),
        sa.Column("serial", sa.String(length=16), nullable=True),
        sa.Column("outcome", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_audit_recorded_at", "audit", ["recorded_at"], unique=False)
    op.create_table(
        "holder_answers",
        sa.Column("uuid", sa.String(length=12), nullable=False),
        sa.Column("question_id", sa.String(length=8), nullable=False),
        sa.Column("answer_hash", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("uuid", "question_id"),
    )
    op.create_table(
        "holders",
        sa.Column("uuid", sa.String(length=12), nullable=False),
        sa.Column("serial", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("mobile", sa.String(length=32), nullable=False),
        sa.Column("registered", sa.Boolean(), nullable=False),
        sa.Column("terms_version", sa.String(length=64), nullable=True),
        sa.Column("registered_at", sa.Float(), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.Float(), nullable=True),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("uuid"),
        sa.UniqueConstraint("serial"),
    )
    op.create_table(
        "idempotency",
        sa.Column("kiosk_id", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("kiosk_id", "key_hash"),
    )
    op.create_index("ix_idempotency_created_at", "idempotency", ["created_at"], unique=False)
    op.create_table(
        "kiosks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "nonces",
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("kiosk_id", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("nonce"),
    )
    op.create_index("ix_nonces_expires_at", "nonces", ["expires_at"], unique=False)
    op.create_table(
        "rate_limits",
        sa.Column("bucket", sa.String(length=100), nullable=False),
        sa.Column("window", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "window"),
    )
    op.create_index("ix_rate_limits_window", "rate_limits", ["window"], unique=False)
    op.create_table(
        "registration_answers",
        sa.Column("registration_id", sa.String(length=32), nullable=False),
        sa.Column("question_id", sa.String(length=8), nullable=False),
        sa.Column("answer_hash", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("registration_id", "question_id"),
    )
    op.create_table(
        "registrations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kiosk_id", sa.String(length=32), nullable=False),
        sa.Column("uuid", sa.String(length=12), nullable=False),
        sa.Column("serial", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("mobile", sa.String(length=32), nullable=False),
        sa.Column("terms_version", sa.String(length=64), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", sa.Float(), nullable=True),
        sa.Column("code_tries_left", sa.Integer(), nullable=False),
        sa.Column("code_void", sa.Boolean(), nullable=False),
        sa.Column("resends", sa.Integer(), nullable=False),
        sa.Column("last_sent_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "unlocks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kiosk_id", sa.String(length=32), nullable=False),
        sa.Column("uuid", sa.String(length=12), nullable=False),
        sa.Column("serial", sa.String(length=16), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("question_ids", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", sa.Float(), nullable=True),
        sa.Column("code_tries_left", sa.Integer(), nullable=False),
        sa.Column("code_void", sa.Boolean(), nullable=False),
        sa.Column("resends", sa.Integer(), nullable=False),
        sa.Column("last_sent_at", sa.Float(), nullable=True),
        sa.Column("accepted_expires_at", sa.Float(), nullable=True),
        sa.Column("cryptograms", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_append_only_{event.lower()} BEFORE {event} ON audit "
                "BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END"
            )
    elif bind.dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the audit is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_append_only ON audit")
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
    for table in (
        "unlocks",
        "registrations",
        "registration_answers",
        "rate_limits",
        "nonces",
        "kiosks",
        "idempotency",
        "holders",
        "holder_answers",
        "audit",
    ):
        op.drop_table(table)

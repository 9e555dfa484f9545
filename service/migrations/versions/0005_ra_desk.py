"""The RA desk: RA roles, RA-desk kiosks, RA sessions and assisted unlocks.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kiosks") as batch:
        batch.add_column(
            sa.Column("ra_desk", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("holders") as batch:
        batch.add_column(sa.Column("ra_role", sa.String(length=16), nullable=True))
    op.create_table(
        "ra_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kiosk_id", sa.String(length=32), nullable=False),
        sa.Column("ra_uuid", sa.String(length=12), nullable=False),
        sa.Column("ra_serial", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("last_seen_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("holder_uuid", sa.String(length=12), nullable=True),
        sa.Column("holder_serial", sa.String(length=32), nullable=True),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.Column("ended_why", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "ra_unlocks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("uuid", sa.String(length=12), nullable=False),
        sa.Column("serial", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("cryptograms", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("ra_unlocks")
    op.drop_table("ra_sessions")
    with op.batch_alter_table("holders") as batch:
        batch.drop_column("ra_role")
    with op.batch_alter_table("kiosks") as batch:
        batch.drop_column("ra_desk")

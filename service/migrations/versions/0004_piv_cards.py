"""PIV cards: 32-hex serials (GUIDs), the directory's certificate binding, the PUK escrow.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# A PIV card's serial is its 16-byte GUID: 32 hex digits where one is stored.
_SERIAL_TABLES = ("holders", "unlocks", "registrations", "audit")


def _serials_to(length: int) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in _SERIAL_TABLES:
        # On SQLite a batch alter rebuilds the table, which drops the audit's
        # append-only triggers: they are made again below, as 0001 made them.
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "serial",
                existing_type=sa.String(length=48 - length),
                type_=sa.String(length=length),
                existing_nullable=table == "audit",
            )
    if sqlite:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_append_only_{event.lower()}")
            op.execute(
                f"CREATE TRIGGER audit_append_only_{event.lower()} BEFORE {event} ON audit "
                "BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END"
            )


def upgrade() -> None:
    _serials_to(32)
    with op.batch_alter_table("unlocks") as batch:
        batch.add_column(
            sa.Column("profile", sa.String(length=8), nullable=False, server_default="own")
        )
        batch.add_column(
            sa.Column("puk_releases", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "piv_cards",
        sa.Column("guid", sa.String(length=32), nullable=False),
        sa.Column("uuid", sa.String(length=12), nullable=False),
        sa.Column("card_key_sha256", sa.String(length=64), nullable=False),
        sa.Column("holder_key_sha256", sa.String(length=64), nullable=False),
        sa.Column("enrolled_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("guid"),
        sa.UniqueConstraint("uuid"),
    )
    op.create_table(
        "puk_escrow",
        sa.Column("guid", sa.String(length=32), nullable=False),
        sa.Column("puk", sa.Text(), nullable=False),
        sa.Column("pending", sa.Text(), nullable=True),
        sa.Column("rotation", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("guid"),
    )


def downgrade() -> None:
    op.drop_table("puk_escrow")
    op.drop_table("piv_cards")
    with op.batch_alter_table("unlocks") as batch:
        batch.drop_column("puk_releases")
        batch.drop_column("profile")
    _serials_to(16)

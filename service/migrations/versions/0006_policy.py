"""Unlock policies: the channels an unlock's codes go to, and a second code by text.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("channels", sa.Text()),
    ("sms_code_hash", sa.String(64)),
    ("sms_code_expires_at", sa.Float()),
    ("sms_code_tries_left", sa.Integer()),
    ("sms_code_void", sa.Boolean()),
)


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no default) on both backends: no table rebuild, so
    # SQLite keeps the triggers the earlier migrations made.
    for name, kind in _COLUMNS:
        op.add_column("unlocks", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("unlocks") as batch:
        for name, _kind in reversed(_COLUMNS):
            batch.drop_column(name)

"""sharing levels of layer versions (issue 6)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28

Two columns on ``layer_versions``: ``sharing`` (the layer's level, ``public`` for every
version stored before) and ``owner`` (the jurisdiction of the person who stored it; NULL
for versions stored before, as for the system). Batch mode, so SQLite (which cannot alter
a column in place) and PostgreSQL take the same steps.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("layer_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sharing", sa.String(length=10), nullable=False, server_default="public")
        )
        batch_op.add_column(sa.Column("owner", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("layer_versions", schema=None) as batch_op:
        batch_op.drop_column("owner")
        batch_op.drop_column("sharing")

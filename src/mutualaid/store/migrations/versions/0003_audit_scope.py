"""who may read each audit row (issue 16)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07

One column on ``audit_log``: ``readers``, the jurisdictions whose coordinators may read
the row (JSON text of a sorted list; ``[]``: admins only), written with each new row and
covered by its hash. Rows written before stay NULL: they are hashed as they always were
(the chain of an upgraded store stays intact) and read as before by the writer's own
jurisdiction only, and then only when they name no other jurisdiction as a party and
are not a plan (:func:`mutualaid.store.audit.may_read`): the safe default for the rows an
uninvolved coordinator's "Compute offers" wrote before the fix. Batch mode, so SQLite and
PostgreSQL take the same steps.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("readers", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("readers")

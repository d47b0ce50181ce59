"""partial answers and deployment over time (issue 12)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

``offer_lines.offered``: the units the plan proposed (``units`` becomes what the
provider committed, then what the requester accepted); existing lines get their
``units``. ``offer_lines.committed``: the units the provider committed (null before;
existing lines of offers that were committed get their ``units``).
``offers.committed_at``, ``accepted_at``, ``arrived_at``, ``released_at``: when each
move was made (a line's estimated arrival is ``committed_at`` + its minutes; null for
moves made before this revision).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mutualaid.store.tables import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TIMES = ("committed_at", "accepted_at", "arrived_at", "released_at")


def upgrade() -> None:
    with op.batch_alter_table("offer_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("offered", sa.Integer(), nullable=True))
    op.execute(sa.text("UPDATE offer_lines SET offered = units"))
    with op.batch_alter_table("offer_lines", schema=None) as batch_op:
        batch_op.alter_column("offered", existing_type=sa.Integer(), nullable=False)
        batch_op.add_column(sa.Column("committed", sa.Integer(), nullable=True))
    op.execute(
        sa.text(
            "UPDATE offer_lines SET committed = units WHERE offer_id IN (SELECT id FROM "
            "offers WHERE state IN ('committed', 'accepted', 'refused', 'withdrawn', "
            "'released'))"
        )
    )
    with op.batch_alter_table("offers", schema=None) as batch_op:
        for name in _TIMES:
            batch_op.add_column(sa.Column(name, UTCDateTime(), nullable=True))
    # An offer still committed or accepted was last changed by that move: its time.
    op.execute(sa.text("UPDATE offers SET committed_at = updated_at WHERE state = 'committed'"))
    op.execute(sa.text("UPDATE offers SET accepted_at = updated_at WHERE state = 'accepted'"))


def downgrade() -> None:
    # The older schema knows no on_scene state: those units are deployed (accepted).
    op.execute(sa.text("UPDATE offers SET state = 'accepted' WHERE state = 'on_scene'"))
    with op.batch_alter_table("offers", schema=None) as batch_op:
        for name in reversed(_TIMES):
            batch_op.drop_column(name)
    with op.batch_alter_table("offer_lines", schema=None) as batch_op:
        batch_op.drop_column("committed")
        batch_op.drop_column("offered")

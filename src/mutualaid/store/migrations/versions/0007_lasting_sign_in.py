"""a sign-in that lasts, and throttled tries audited (issue 13)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

``sign_in_sessions.cookie_hash``: the SHA-256 of the session's browser cookie (set by
the app's server when the browser exchanged its sign-in ticket; null before). The
ticket itself: ``ticket_hash`` (its SHA-256, null once used), ``ticket_browser`` (the
SHA-256 of the browser id it was given to) and ``ticket_expires_at``.
``sign_in_throttle.refused``: the tries refused in the key's current delay window (each
written to the audit log up to a bound).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mutualaid.store.tables import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sign_in_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cookie_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("ticket_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("ticket_browser", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("ticket_expires_at", UTCDateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_sign_in_sessions_cookie_hash"), ["cookie_hash"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_sign_in_sessions_ticket_hash"), ["ticket_hash"], unique=True
        )
    with op.batch_alter_table("sign_in_throttle", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("refused", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )


def downgrade() -> None:
    with op.batch_alter_table("sign_in_throttle", schema=None) as batch_op:
        batch_op.drop_column("refused")
    with op.batch_alter_table("sign_in_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_sessions_ticket_hash"))
        batch_op.drop_index(batch_op.f("ix_sign_in_sessions_cookie_hash"))
        for name in ("ticket_expires_at", "ticket_browser", "ticket_hash", "cookie_hash"):
            batch_op.drop_column(name)

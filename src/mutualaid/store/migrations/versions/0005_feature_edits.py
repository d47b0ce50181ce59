"""feature edits: one incident or resource changed in the app (issue 12)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

``feature_edits``: one row per change of one feature made in the app (an incident
contained or closed, its severity or needs changed; a resource out of service or back,
its quantity), over the layer version it was made on. A small change instead of a new
full layer version; :func:`mutualaid.store.layer_store.load_stored_scenario` applies the
current version's edits. Independent of every other table's columns.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mutualaid.store.tables import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feature_edits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("layer_version_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.String(length=500), nullable=False),
        sa.Column("properties", sa.Text(), nullable=False),
        sa.Column("edited_by", sa.String(length=200), nullable=False),
        sa.Column("edited_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["layer_version_id"],
            ["layer_versions.id"],
            name=op.f("fk_feature_edits_layer_version_id_layer_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenarios.id"],
            name=op.f("fk_feature_edits_scenario_id_scenarios"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feature_edits")),
    )
    with op.batch_alter_table("feature_edits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_feature_edits_layer_version_id_feature_id",
            ["layer_version_id", "feature_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("feature_edits", schema=None) as batch_op:
        batch_op.drop_index("ix_feature_edits_layer_version_id_feature_id")
    op.drop_table("feature_edits")

"""Alembic environment: migrations run on the connection :mod:`mutualaid.store.migrate`
passes in (``config.attributes["connection"]``), never on a URL from a config file."""

from __future__ import annotations

from alembic import context

from mutualaid.store.tables import metadata

#: Objects in the database that the schema deliberately leaves out: PostGIS's own tables
#: and the generated PostGIS column (and its index) added by the first migration.
POSTGIS_ONLY = {"geom", "ix_layer_features_geom"}


def include_object(obj, name, type_, reflected, compare_to):
    """Compare only what :mod:`mutualaid.store.tables` describes."""
    if reflected and compare_to is None and type_ == "table":
        return False
    return name not in POSTGIS_ONLY


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()

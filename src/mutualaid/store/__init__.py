"""Persistence behind one interface: SQLite (WAL) by default, PostgreSQL + PostGIS when
``MUTUALAID_DATABASE_URL`` names one (contract, section 3).

- :mod:`.database` opens the store (:func:`open_store`) with the settings each backend needs
  for safe concurrent writers;
- :mod:`.tables` is the schema, created and upgraded by the Alembic migrations in
  ``migrations/`` (:mod:`.migrate`);
- :mod:`.audit` is the append-only, hash-chained audit log every change writes to;
- :mod:`.layers` stores layer versions and scenarios; :mod:`.workflow` the
  request → offer → commit → accept → release workflow; :mod:`.accounts` local accounts.

No Streamlit here. The names below are loaded on first use, so that importing a module of
this package (as the command line does) does not import SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mutualaid.store.database import Store, database_url, open_store

__all__ = ["Store", "database_url", "open_store"]


def __getattr__(name: str) -> Any:
    """``Store``, ``database_url`` and ``open_store`` from :mod:`.database`, on first use."""
    if name in __all__:
        from mutualaid.store import database

        return getattr(database, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Persistence behind one interface: SQLite (WAL) by default, PostgreSQL + PostGIS when
``MUTUALAID_DATABASE_URL`` names one (contract, section 3).

- :mod:`.engine` opens the store (:func:`open_store`) with the settings each backend needs
  for safe concurrent writers;
- :mod:`.tables` is the schema, created and upgraded by the Alembic migrations in
  ``migrations/`` (:mod:`.migrate`);
- :mod:`.audit` is the append-only, hash-chained audit log every change writes to;
- :mod:`.layers` stores layer versions and scenarios; :mod:`.workflow` the
  request → offer → commit → accept → release workflow; :mod:`.accounts` local accounts.

No Streamlit here.
"""

from mutualaid.store.engine import Store, database_url, open_store

__all__ = ["Store", "database_url", "open_store"]

"""Every test gets its own empty state folder, so no test reads or writes the developer's
store (``var/``) or a store named in the environment, and a new store starts empty."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from mutualaid.settings import FIRST_RUN_ENV, STATE_DIR_ENV
from mutualaid.store.engine import DATABASE_URL_ENV


@pytest.fixture(autouse=True)
def _own_state_folder(tmp_path_factory: pytest.TempPathFactory,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path_factory.mktemp("state")))
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    # no samples or demo accounts in a new store, except where a test asks for them
    monkeypatch.setenv(FIRST_RUN_ENV, "0")


@pytest.fixture
def full_disk():
    """``full_disk(url)``: from then on the SQLite store file *url* cannot grow, as on a
    full disk. Every connection of this process to that file is given
    ``PRAGMA max_page_count`` = its current size whenever it is checked out of a pool,
    so the next write needing a new page fails with SQLite's own "database or disk is
    full" (a real ``SQLITE_FULL``, not a stand-in). Undone at the end of the test."""
    listeners = []

    def fill(url: str) -> None:
        path = os.path.realpath(sa.engine.make_url(url).database)

        def cap(dbapi_connection, _record, _proxy) -> None:  # noqa: ANN001 - DB-API
            cursor = dbapi_connection.cursor()
            try:
                files = [row[2] for row in cursor.execute("PRAGMA database_list")]
                if not any(name and os.path.realpath(name) == path for name in files):
                    return
                pages = cursor.execute("PRAGMA page_count").fetchone()[0]
                cursor.execute(f"PRAGMA max_page_count = {int(pages)}")
            finally:
                cursor.close()

        sa.event.listen(sa.pool.Pool, "checkout", cap)
        listeners.append(cap)

    yield fill
    for cap in listeners:
        sa.event.remove(sa.pool.Pool, "checkout", cap)

"""Opening the store: one SQLAlchemy engine with the settings each backend needs.

SQLite is the embedded default, a file in the app's state folder. Several writers (app
sessions, the command line) share it safely because:

- the journal is in WAL mode, so readers never block the writer and a killed writer
  leaves either its whole transaction or none of it;
- every transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock at once
  instead of at its first write, so two transactions that read then write cannot both
  read the old state (the classic lost update), and a waiting writer waits up to
  :data:`~mutualaid.settings.STORE_BUSY_TIMEOUT_S` instead of failing with
  "database is locked";
- ``synchronous=FULL``: a commit that returned is on disk.

PostgreSQL (with PostGIS) is used when the URL names it; there row locks and
conditional updates give the same guarantees with many app servers.
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from mutualaid.errors import StoreFull
from mutualaid.settings import (
    DATABASE_URL_ENV,  # noqa: F401 - re-exported, where the store's callers find it
    STORE_BUSY_TIMEOUT_S,
    STORE_FILE_NAME,
    database_url_setting,
    state_dir,
    statement_tally_path,
)

#: What a coordinator reads when the store's disk is full (:class:`StoreFull`).
DISK_FULL_MESSAGE = (
    "Nothing was stored: the disk of the shared store is full. Your change "
    "was undone as a whole, and everything stored before is intact. Ask "
    "the app's administrator to free space on the store's disk, then try "
    "again."
)
#: PostgreSQL's SQLSTATE of "disk full" (class 53, insufficient resources).
_PG_DISK_FULL = "53100"

_LOG = logging.getLogger(__name__)


def is_disk_full(exc: BaseException) -> bool:
    """True when *exc* (or what it wraps) says the store's disk is full: SQLite's
    ``SQLITE_FULL`` ("database or disk is full"), PostgreSQL's ``DiskFull`` (SQLSTATE
    53100, "No space left on device") or an ``ENOSPC`` :class:`OSError`."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno == errno.ENOSPC:
            return True
        if getattr(current, "sqlstate", None) == _PG_DISK_FULL:
            return True
        text = str(current)
        if "database or disk is full" in text or "No space left on device" in text:
            return True
        current = getattr(current, "orig", None) or current.__cause__
    return False


def database_url(*, environ: dict[str, str] | None = None) -> str:
    """The store's SQLAlchemy URL: ``MUTUALAID_DATABASE_URL`` when set, else an SQLite
    file in the state folder (:func:`mutualaid.settings.state_dir`).

    A plain ``postgresql://`` URL is given the psycopg 3 driver, the one installed.
    """
    url = database_url_setting(environ=environ)
    if not url:
        return f"sqlite:///{state_dir(environ=environ) / STORE_FILE_NAME}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@dataclass(frozen=True)
class Store:
    """An open store.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        Configured by :func:`open_store`; use :meth:`transaction` for every change.
    """

    engine: Engine

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @property
    def url(self) -> str:
        """The URL, password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back on any exception.
        On SQLite it holds the write lock from its start (``BEGIN IMMEDIATE``).

        Raises
        ------
        StoreFull
            The store's disk is full (:func:`is_disk_full`); nothing was stored.
        """
        try:
            with self.engine.begin() as connection:
                yield connection
        except (sa.exc.DBAPIError, OSError) as exc:
            # A full disk is told in a coordinator's words; the traceback is logged.
            if is_disk_full(exc):
                _LOG.error(
                    "the store %s is full; the transaction was rolled back", self.url, exc_info=True
                )
                raise StoreFull(DISK_FULL_MESSAGE) from exc
            raise

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads only (a transaction that is rolled back at the end).

        On SQLite its transaction is a deferred ``BEGIN``: in WAL mode a reader sees one
        consistent snapshot and waits for no writer (and no writer for it). Taking the
        write lock here, as :meth:`transaction` does, would queue every session's rerun
        (each reads its account) behind every other and behind each write.
        """
        with self.engine.connect() as connection:
            connection.execution_options(**{_READ_ONLY: True})
            yield connection

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


#: The execution option that marks a :meth:`Store.reading` connection.
_READ_ONLY = "mutualaid_reads_only"


def _sqlite_engine(url: sa.engine.URL) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url, connect_args={"timeout": STORE_BUSY_TIMEOUT_S, "check_same_thread": False}
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # pysqlite's own transaction handling would delay BEGIN to the first write;
        # switched off so that the "begin" hook below decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(STORE_BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        reads_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")

    return engine


def open_store(url: str | None = None, *, pool_size: int = 10, max_overflow: int = 40) -> Store:
    """Open the store *url* names (default :func:`database_url`). Creates nothing but an
    SQLite file's folder: :func:`mutualaid.store.migrate.upgrade` creates the tables.

    Parameters
    ----------
    url : str, optional
        An SQLAlchemy URL (``sqlite:///path``, ``postgresql+psycopg://...``).
    pool_size, max_overflow : int
        Connection pool of a PostgreSQL engine (many app sessions write at once).

    Returns
    -------
    Store
    """
    parsed = sa.engine.make_url(url or database_url())
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed)
    else:
        engine = sa.create_engine(
            parsed, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow
        )
    tally = statement_tally_path()
    if tally is not None:
        _tally_statements(engine, tally)
    return Store(engine)


def _tally_statements(engine: Engine, path: Path) -> None:
    """Append one byte to *path* for every statement *engine* sends (a benchmark's
    count, :data:`~mutualaid.settings.STATEMENT_TALLY_ENV`; one ``O_APPEND`` write each,
    atomic across the threads and processes that share the file)."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _count(*_args: object) -> None:
        os.write(handle, b".")

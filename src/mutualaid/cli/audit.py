"""``mutualaid audit verify`` and ``mutualaid audit export``: the audit log from the
command line (contract, section 3).

    mutualaid audit verify
    mutualaid audit export [--format csv|json] [--out FILE]

``verify`` recomputes the hash chain (:func:`mutualaid.store.audit.verify`): exit 0 and
``audit log intact: N rows``, or exit 1 naming the first row that was changed, removed
or reordered. ``export`` writes every row, oldest first, with its hashes, so a copy kept
elsewhere can later prove what the log held. CSV cells that a spreadsheet would run as
a formula are neutralised (:func:`mutualaid.text.neutralise_formula`): actors,
subjects and before/after values come from uploaded files.

``export`` is an operator's tool, run on the server with the database's own rights: it
writes the whole log, every jurisdiction's rows. The Audit log page's downloads hold only
the rows the signed-in person may read (:func:`mutualaid.store.audit.entries`, the
page's one reading function) in the same formats (:mod:`mutualaid.store.audit_export`),
so the two never differ in form. Neither holds a row's ``readers`` column; ``audit
verify`` checks it as part of each row's hash. A store that cannot be opened (no file, no
schema, server down, bad URL) is one clear line and exit 1, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Final

from mutualaid.errors import StoreUnavailable
from mutualaid.store.audit_export import (
    stored_rows,
    write_csv,
    write_json,
)

if TYPE_CHECKING:  # SQLAlchemy and the store are imported by the commands that use them,
    # so that building the ``mutualaid`` parser stays fast (issue 11)

    from mutualaid.store.database import Store

EXIT_OK: Final[int] = 0
EXIT_FAILED: Final[int] = 1

#: ``--format`` values.
FORMATS: Final[tuple[str, ...]] = ("csv", "json")


# --- opening the store --------------------------------------------------------------------


def _first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    return text[0] if text else type(original).__name__


def open_existing(url: str | None = None) -> Store:
    """The store *url* names (default :func:`~mutualaid.store.database.database_url`),
    checked to exist and to hold the audit log. Unlike
    :func:`~mutualaid.store.database.open_store`, never creates an SQLite file: checking
    a store that is not there must not leave an empty one behind.

    Raises
    ------
    StoreUnavailable
        Saying, in one line, what is wrong and what to do.
    """
    import sqlalchemy as sa

    from mutualaid.store.database import database_url, open_store
    from mutualaid.store.tables import audit_log

    url = url or database_url()
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise StoreUnavailable(f"cannot open the store: {url!r} is not a database URL") from None
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise StoreUnavailable(f"cannot open the store {shown}: it names no file")
        if not Path(parsed.database).is_file():
            raise StoreUnavailable(
                f"cannot open the store: there is no file at "
                f"{parsed.database} (run `mutualaid db init` first)"
            )
    try:
        store = open_store(url)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise StoreUnavailable(f"cannot open the store {shown}: {_first_line(exc)}") from None
    try:
        with store.reading() as connection:
            present = sa.inspect(connection).has_table(audit_log.name)
    except sa.exc.SQLAlchemyError as exc:
        store.dispose()
        raise StoreUnavailable(f"cannot open the store {shown}: {_first_line(exc)}") from None
    if not present:
        store.dispose()
        raise StoreUnavailable(
            f"the store {shown} has no audit log (run `mutualaid db init` first)"
        )
    return store


# --- the commands -------------------------------------------------------------------------


def run_verify(args: argparse.Namespace) -> int:
    """``mutualaid audit verify``: exit 0 when the chain is intact, 1 naming the first
    bad row (or saying why the store cannot be read)."""
    import sqlalchemy as sa

    from mutualaid.store import audit

    try:
        store = open_existing()
    except StoreUnavailable as exc:
        print(f"mutualaid audit verify: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        with store.reading() as connection:
            result = audit.verify(connection)
    except sa.exc.SQLAlchemyError as exc:
        print(
            f"mutualaid audit verify: cannot read the audit log: {_first_line(exc)}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    finally:
        store.dispose()
    if result.ok:
        print(f"audit log intact: {result.rows} rows")
        return EXIT_OK
    print(f"audit log NOT intact: {result.problem} ({result.rows} rows read)", file=sys.stderr)
    return EXIT_FAILED


def run_export(args: argparse.Namespace) -> int:
    """``mutualaid audit export``: every row, oldest first, as CSV or JSON, to
    standard output or ``--out FILE`` (written whole or not at all)."""
    import sqlalchemy as sa

    try:
        store = open_existing()
    except StoreUnavailable as exc:
        print(f"mutualaid audit export: {exc}", file=sys.stderr)
        return EXIT_FAILED
    write = write_csv if args.format == "csv" else write_json
    try:
        with store.reading() as connection:
            if args.out:
                target = Path(args.out)
                # A temporary file renamed at the end: an export that fails half-way
                # leaves no half file that looks complete.
                partial = target.with_name(target.name + ".partial")
                with partial.open("w", encoding="utf-8", newline="") as out:
                    count = write(stored_rows(connection), out)
                partial.replace(target)
                print(f"{count} audit rows written to {target}", file=sys.stderr)
            else:
                write(stored_rows(connection), sys.stdout)
    except sa.exc.SQLAlchemyError as exc:
        print(
            f"mutualaid audit export: cannot read the audit log: {_first_line(exc)}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    finally:
        store.dispose()
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``audit verify`` and ``audit export`` to the ``mutualaid`` parser."""
    parser = subparsers.add_parser(
        "audit",
        help="check or export the audit log",
        description="The store is the one MUTUALAID_DATABASE_URL names (default: an SQLite "
        "file in the state folder).",
    )
    actions = parser.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = actions.add_parser(
        "verify", help="check the hash chain: exit 0 intact, 1 naming the first bad row"
    )
    verify.set_defaults(handler=run_verify)
    export = actions.add_parser("export", help="write every row, oldest first, with hashes")
    export.add_argument(
        "--format",
        choices=FORMATS,
        default="csv",
        help="csv (cells safe for spreadsheets) or json; default csv",
    )
    export.add_argument(
        "--out", metavar="FILE", default=None, help="write here instead of standard output"
    )
    export.set_defaults(handler=run_export)

"""The audit log's rows as an export: CSV and JSON, in one form for the command line's
``mutualaid audit export`` (every row, :mod:`mutualaid.cli.audit`) and the Audit log page's
downloads (the rows the signed-in person may read).

CSV cells that a spreadsheet would run as a formula are neutralised
(:func:`mutualaid.text.neutralise_formula`): actors, subjects and before/after values come
from uploaded files. Neither form holds a row's ``readers`` column. Importing this module
imports no SQLAlchemy (the command line's parser stays fast).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final, TextIO

from mutualaid.store import jsontext
from mutualaid.text import neutralise_formula

if TYPE_CHECKING:
    import sqlalchemy as sa

    from mutualaid.store import audit

#: Columns of an export, in order: the stored fields, hashes included.
EXPORT_COLUMNS: Final[tuple[str, ...]] = (
    "seq",
    "at",
    "actor",
    "action",
    "subject",
    "before",
    "after",
    "prev_hash",
    "hash",
)


def stored_rows(connection: sa.engine.Connection) -> Iterator[dict[str, Any]]:
    """Every row of the log, oldest first, as stored (``before`` / ``after`` are the
    stored JSON text, so a tampered row is exported as it now is)."""
    import sqlalchemy as sa

    from mutualaid.store.tables import audit_log

    result = connection.execute(sa.select(audit_log).order_by(audit_log.c.seq))
    for row in result:
        yield {column: getattr(row, column) for column in EXPORT_COLUMNS}


def entry_row(entry: audit.AuditEntry) -> dict[str, Any]:
    """An :class:`~mutualaid.store.audit.AuditEntry` as an export row (before / after
    back to their stored JSON text)."""
    return {
        "seq": entry.seq,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "before": jsontext.dumps(entry.before),
        "after": jsontext.dumps(entry.after),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def write_csv(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write *rows* as CSV (a header, then one line per row) with every cell
    neutralised against formula injection; return how many rows were written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for row in rows:
        writer.writerow([neutralise_formula(row[column]) for column in EXPORT_COLUMNS])
        count += 1
    return count


def write_json(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write *rows* as a JSON array of objects, ``before`` / ``after`` as JSON values
    (the stored text itself when it is not valid JSON); return how many were written."""
    out.write("[")
    count = 0
    for row in rows:
        item = dict(row)
        for column in ("before", "after"):
            try:
                item[column] = json.loads(row[column])
            except (TypeError, ValueError):
                item[column] = row[column]  # a tampered row: keep what is there
        out.write(("\n" if count == 0 else ",\n") + json.dumps(item, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def csv_text(rows: Iterable[dict[str, Any]]) -> str:
    """*rows* as CSV text (see :func:`write_csv`)."""
    buffer = io.StringIO()
    write_csv(rows, buffer)
    return buffer.getvalue()


def json_text(rows: Iterable[dict[str, Any]]) -> str:
    """*rows* as JSON text (see :func:`write_json`)."""
    buffer = io.StringIO()
    write_json(rows, buffer)
    return buffer.getvalue()

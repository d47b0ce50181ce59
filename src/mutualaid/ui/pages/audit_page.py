"""The Audit log page's Streamlit side: chain status, filters, the table, downloads.

Every change to the store wrote a row (:mod:`mutualaid.store.audit`); this page reads
them for coordinators (the rows whose recorded readers name their jurisdiction: its
requests, the offers it makes or receives, its own refusals; and the rows its own
accounts wrote that name no other jurisdiction) and admins (every row). The table and
both downloads read through one function, :func:`query`
(:func:`mutualaid.store.audit.entries`). The chain is verified at the top, so a log
changed behind the app's back says so before anyone reads it.

Actors, subjects and before/after values come from uploaded files and sign-in names:
they are shown with ``st.dataframe`` (text cells) and widget labels only, never as
Markdown or HTML. Each row is said in words (:mod:`mutualaid.store.audit_words`: a
sentence, and its before/after as ``field: old → new``); the raw rows, before/after as
their JSON text, are in a collapsed "details" table for auditors. The downloads are the
matching rows, oldest first, in the formats of ``mutualaid audit export`` (CSV cells
neutralised against formula injection). Session-state keys all start with ``"audit."``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from mutualaid.access.actor import Actor
from mutualaid.display import record_text
from mutualaid.store import Store, audit, audit_words
from mutualaid.store.audit_export import csv_text, entry_row, json_text
from mutualaid.store.tables import audit_log
from mutualaid.text import literal
from mutualaid.ui.state import state_key

PAGE: Final[str] = "audit"
#: Rows shown in the table (newest first); the downloads hold every matching row.
TABLE_ROWS: Final[int] = 500
#: The table's columns, with their headings.
COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("seq", "seq"),
    ("time", "time (UTC)"),
    ("actor", "actor"),
    ("action", "action"),
    ("subject", "subject"),
    ("before", "before"),
    ("after", "after"),
)
#: The table in words: its columns, with their headings.
WORD_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("seq", "seq"),
    ("time", "time (UTC)"),
    ("what", "what happened"),
    ("changes", "before → after"),
)
ANYONE: Final[str] = "(anyone)"


@dataclass(frozen=True)
class Filters:
    """What the reader narrowed the log to (all None / empty: everything).

    Parameters
    ----------
    actions : tuple of str
        Only these actions (:data:`mutualaid.store.audit.ACTIONS`).
    actor : str or None
        Only this account (matched whole).
    subject : str
        Only subjects containing this text, any case.
    since, until : datetime or None
        Only rows at or after *since* and before *until* (UTC).
    """

    actions: tuple[str, ...] = ()
    actor: str | None = None
    subject: str = ""
    since: datetime | None = None
    until: datetime | None = None
    #: Whose rows the reader may read at all (:func:`scope`); not a reader's choice.
    jurisdiction: str | None = None


def scope(actor: Actor) -> str | None:
    """The jurisdiction whose rows *actor* may read; None: every row.

    An admin reads the whole log; anyone else the rows a coordinator of its own
    jurisdiction may read (:func:`mutualaid.store.audit.reader_scope`,
    :func:`mutualaid.store.audit.may_read`): the log's subjects and before/after values
    can name features another jurisdiction shares with nobody or with its partners only
    (:mod:`mutualaid.access.sharing`).
    """
    return audit.reader_scope(actor)


def day_range(picked: Sequence[date] | date | None) -> tuple[datetime | None, datetime | None]:
    """The date input's value as *since* (start of the first day, UTC) and *until*
    (start of the day after the last). While a range is being picked it holds one
    date: that day alone."""
    if picked is None:
        return None, None
    days = [picked] if isinstance(picked, date) else list(picked)
    if not days:
        return None, None
    first, last = days[0], days[-1]
    since = datetime.combine(first, time(0), tzinfo=UTC)
    return since, datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC)


def query(
    store: Store, filters: Filters, *, limit: int | None = None, newest_first: bool = True
) -> list[audit.AuditEntry]:
    """The rows matching *filters* (:func:`mutualaid.store.audit.entries`)."""
    with store.reading() as connection:
        return list(
            audit.entries(
                connection,
                actions=filters.actions or None,
                actor=filters.actor,
                subject_contains=filters.subject or None,
                since=filters.since,
                until=filters.until,
                limit=limit,
                newest_first=newest_first,
                jurisdiction=filters.jurisdiction,
            )
        )


def actors(store: Store, jurisdiction: str | None = None) -> list[str]:
    """Every actor of the rows a coordinator of *jurisdiction* may read (None: of every
    row), sorted (:func:`mutualaid.store.audit.actors`)."""
    with store.reading() as connection:
        return audit.actors(connection, jurisdiction)


def first_and_last_day(store: Store) -> tuple[date, date] | None:
    """The UTC days of the log's first and last rows; None for an empty log."""
    with store.reading() as connection:
        first, last = connection.execute(
            sa.select(sa.func.min(audit_log.c.at), sa.func.max(audit_log.c.at))
        ).one()
    if first is None:
        return None
    return (
        datetime.fromisoformat(first).astimezone(UTC).date(),
        datetime.fromisoformat(last).astimezone(UTC).date(),
    )


def time_text(at: str) -> str:
    """``2026-07-14T17:30:00.123456+00:00`` as ``2026-07-14 17:30:00`` (UTC); stored
    text that is not a time (a tampered row) as it is."""
    try:
        return datetime.fromisoformat(at).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return at


def table(entries: Sequence[audit.AuditEntry]) -> pd.DataFrame:
    """The rows as the page shows them: text columns, before/after in words
    (:func:`mutualaid.display.record_text`; the downloads keep the stored JSON)."""
    rows = []
    for entry in entries:
        rows.append(
            {
                "seq": entry.seq,
                "time": time_text(entry.at),
                "actor": entry.actor,
                "action": entry.action,
                "subject": entry.subject,
                "before": record_text(entry.before),
                "after": record_text(entry.after),
            }
        )
    frame = pd.DataFrame(rows, columns=[c for c, _ in COLUMNS])
    frame["seq"] = frame["seq"].astype("int64")
    return frame.rename(columns=dict(COLUMNS))


def words_table(entries: Sequence[audit.AuditEntry]) -> pd.DataFrame:
    """The rows in words: each a sentence and its changes (``field: old → new``)."""
    rows = [
        {
            "seq": entry.seq,
            "time": time_text(entry.at),
            "what": audit_words.sentence(entry),
            "changes": audit_words.changes_text(entry),
        }
        for entry in entries
    ]
    frame = pd.DataFrame(rows, columns=[c for c, _ in WORD_COLUMNS])
    frame["seq"] = frame["seq"].astype("int64")
    return frame.rename(columns=dict(WORD_COLUMNS))


def _rows(entries: Sequence[audit.AuditEntry]) -> Iterator[dict]:
    return (entry_row(entry) for entry in entries)


def show_status(store: Store) -> audit.Verification:
    """The chain's verdict, first thing on the page."""
    with store.reading() as connection:
        result = audit.verify(connection)
    if result.ok:
        st.success(f"Audit chain intact: {result.rows} row(s), none changed, removed or reordered.")
    else:
        # The problem names sequence numbers only (no stored text), so it is safe here.
        st.error(
            f"Audit chain broken at row {result.first_bad}: {result.problem}. "
            "Rows from there on cannot be trusted; compare with an exported copy."
        )
    return result


def choose_filters(store: Store, actor: Actor | None = None) -> Filters:
    """The filter widgets, in one row, within what *actor* may read (:func:`scope`;
    None: the whole log)."""
    readable = None if actor is None else scope(actor)
    cols = st.columns([3, 2, 2, 2])
    actions = cols[0].multiselect(
        "Actions",
        list(audit.ACTIONS),
        key=state_key(PAGE, "actions"),
        format_func=lambda name: f"{name} — {audit.ACTIONS[name]}",
        placeholder="every action",
    )
    who = cols[1].selectbox(
        "Actor", [ANYONE, *actors(store, readable)], key=state_key(PAGE, "actor")
    )
    subject = cols[2].text_input(
        "Subject contains", key=state_key(PAGE, "subject"), placeholder="offer 12", max_chars=200
    )
    days = first_and_last_day(store)
    # Empty by default (every day): a default range would hide rows written after it.
    picked = cols[3].date_input(
        "Dates (UTC)",
        # An empty range: every day. Streamlit takes it (tests/app/test_audit_page.py);
        # its annotations name only ranges of one or two dates.
        value=(),  # type: ignore[arg-type]
        key=state_key(PAGE, "days"),
        format="YYYY-MM-DD",
        help="Pick a first and a last day; empty: every day."
        + (f" The log runs from {days[0]} to {days[1]}." if days else ""),
    )
    since, until = day_range(picked)
    return Filters(
        actions=tuple(actions),
        actor=None if who == ANYONE else who,
        subject=subject.strip(),
        since=since,
        until=until,
        jurisdiction=readable,
    )


def show_table(store: Store, filters: Filters) -> int:
    """The newest matching rows (up to :data:`TABLE_ROWS`); returns how many are shown."""
    shown = query(store, filters, limit=TABLE_ROWS + 1)
    if len(shown) > TABLE_ROWS:
        shown = shown[:TABLE_ROWS]
        st.caption(
            f"More than {TABLE_ROWS} rows match; the newest {TABLE_ROWS} are shown. "
            "The downloads hold all of them."
        )
    else:
        st.caption(f"{len(shown)} row(s) match.")
    if shown:
        raw = table(shown)  # before the words: a row that is not JSON fails here
        seq = {"seq": st.column_config.NumberColumn("seq", format="%d")}
        st.dataframe(
            words_table(shown),
            hide_index=True,
            width="stretch",
            column_config={
                **seq,
                "what happened": st.column_config.TextColumn("what happened", width="large"),
                "before → after": st.column_config.TextColumn("before → after", width="large"),
            },
        )
        with st.expander("Details for auditors: the rows as stored (JSON)"):
            st.dataframe(raw, hide_index=True, width="stretch", column_config=seq)
    return len(shown)


def show_downloads(store: Store, filters: Filters, *, matching: int) -> None:
    """CSV and JSON of every matching row, oldest first, made when clicked."""
    cols = st.columns(2)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    cols[0].download_button(
        "Download CSV",
        lambda: csv_text(_rows(query(store, filters, newest_first=False))),
        file_name=f"audit-{stamp}.csv",
        mime="text/csv",
        key=state_key(PAGE, "csv"),
        disabled=not matching,
        on_click="ignore",
        help="Cells a spreadsheet would run as a formula start with an apostrophe.",
    )
    cols[1].download_button(
        "Download JSON",
        lambda: json_text(_rows(query(store, filters, newest_first=False))),
        file_name=f"audit-{stamp}.json",
        mime="application/json",
        key=state_key(PAGE, "json"),
        disabled=not matching,
        on_click="ignore",
        help="With each row's hashes: the copy can be checked against the log later.",
    )


def show_page(store: Store, actor: Actor) -> None:
    """The whole page below its title, for a signed-in *actor* (coordinator or above; the
    sidebar says who)."""
    st.caption(
        "Every change to shared data is recorded here: who made it, when, and "
        "what it was before and after."
    )
    show_status(store)
    readable = scope(actor)
    if readable is not None:
        st.caption(
            literal(
                f"You read the rows written by the accounts of "
                f"{readable or 'no jurisdiction'} that name no other "
                "jurisdiction's dealings, and the rows about its requests, the "
                "offers it makes or receives and its refusals; an admin reads "
                "the whole log."
            )
        )
    filters = choose_filters(store, actor)
    try:
        matching = show_table(store, filters)
    except ValueError:
        # A row's before/after is no longer JSON: changed behind the app's back (the
        # status above says where). The export still shows it as it now is.
        st.error(
            "The log holds a row that is not as written; it cannot be listed. "
            "Export it with `mutualaid audit export` to look at it."
        )
        return
    show_downloads(store, filters, matching=matching)

"""The audit log: every change, who made it, when, and what it was before and after.

Rows are only ever appended, in the same transaction as the change they record, so a
change and its audit row are stored together or not at all. Each row carries the hash
of the previous one (a hash chain): :func:`verify` recomputes the chain and names the
first row that was changed, removed or reordered directly in the database.

What the chain proves: that the rows are the ones written, in the order written. Someone
able to rewrite the whole table and its head consistently is not detected; keep an
exported copy (or the last hash) elsewhere for that.

Who reads which row (issue 16). A row's subject and before/after values can name what the
sharing rules hide from most jurisdictions (an offer's lines name the requester's
incidents and the provider's units, which may be shared with partners or with nobody).
So each row records, when it is written, the jurisdictions whose coordinators may read
it (``readers``, a migration 0003 column, JSON text of a sorted list):

* an offer's rows (created, committed, declined, accepted, refused, withdrawn, released):
  its provider and its requester, the two parties its board shows it to;
* a request's rows (created, closed, cancelled): its requester;
* a computed plan: the jurisdictions party to every offer it made or superseded and to
  every request it planned (a coordinator plans only its own requests, so: that
  requester); a plan an admin computed for several requesters: admins only;
* a refusal (``access.denied``): the refused person's own jurisdiction (the reason is
  what that person was told); none for an account bound to no jurisdiction;
* an empty list: admins only.

A coordinator reads a row whose ``readers`` name its jurisdiction: everything such a row
names is what the sharing rules and its own workflow board already show it. A row
written without readers (NULL: layer, sharing, agreement and account changes, and every
row written before migration 0003) is read, as before, by the coordinators of the
writer's own jurisdiction only (the writer's account being of that jurisdiction and not
an admin's, whose rows may name any jurisdiction's layers), and then only when it names
no other jurisdiction as a party (its ``provider``, ``requester`` or ``jurisdiction``
values) and is not a plan (a plan names other jurisdictions' offers): so a row an
uninvolved coordinator wrote before the fix (the "Compute offers" that planned everyone's
requests) is not read by its jurisdiction either. An admin reads every row.
:func:`entries` is the one reading function: the Audit log page's table and its CSV/JSON
downloads both go through it. The ``mutualaid audit export`` command is an operator's
tool on the server and writes every row.

``readers`` is part of the hash of every row that has it (:func:`row_hash`), so changing,
adding or removing it is a changed row for :func:`verify`; rows without it (NULL) are
hashed exactly as before the column existed, so the chain of an upgraded store stays
intact.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mutualaid.store import jsontext
from mutualaid.store.tables import accounts, audit_head, audit_log

if TYPE_CHECKING:
    from mutualaid.access.actor import Actor
    from mutualaid.store.database import Store

#: The ``prev_hash`` of the first row.
GENESIS_HASH = "0" * 64

#: Every action written to the log, with what it means for people reading it.
ACTIONS: dict[str, str] = {
    "scenario.loaded": "a scenario's layers were stored",
    "layer.loaded": "a layer version was stored",
    "agreement.changed": "the mutual-aid agreements were changed",
    "plan.computed": "a plan was computed and stored",
    "request.created": "a jurisdiction requested assistance",
    "request.closed": "the requester closed a request (its needs are met or handled)",
    "request.cancelled": "a request was withdrawn",
    "offer.created": "a plan's units were offered to a requester",
    "offer.committed": "a provider committed its units",
    "offer.declined": "a provider declined to send its units",
    "offer.accepted": "the requester accepted the units (now deployed)",
    "offer.refused": "the requester declined the units",
    "offer.withdrawn": "the provider took back committed units before acceptance",
    "offer.released": "deployed units were released and are available again",
    "offer.arrived": "deployed units arrived at the incident (on scene)",
    "account.created": "an account was created",
    "account.changed": "an account was changed",
    "account.sign_in_failed": "a sign-in failed (unknown username, wrong password or "
    "disabled account)",
    "account.sign_in_throttled": "sign-in tries were refused for a while (too many "
    "failures, or too many at once)",
    "account.unlocked": "an admin cleared a username's sign-in delays",
    "access.denied": "an action was refused for lack of rights",
    "sharing.changed": "who may see a layer was changed (a share given or revoked)",
    "feature.edited": "one incident or resource was changed in the app (status, severity, "
    "needs, response time or quantity)",
}


@dataclass(frozen=True)
class AuditEntry:
    """One row of the log.

    Parameters
    ----------
    seq : int
        Its position, from 1, without gaps.
    at : str
        When, ISO 8601 in UTC.
    actor, action, subject : str
        Who (an account name, or ``system:...``), what (:data:`ACTIONS`), and what it
        was done to (``offer 12``).
    before, after : Any
        The state before and after (JSON values; None where there was none).
    prev_hash, hash : str
    readers : tuple of str or None
        The jurisdictions whose coordinators may read the row (empty: admins only);
        None for a row written without (read by its writer's jurisdiction, see the
        module's docstring).
    """

    seq: int
    at: str
    actor: str
    action: str
    subject: str
    before: Any
    after: Any
    prev_hash: str
    hash: str
    readers: tuple[str, ...] | None = None


def readers_text(readers: Iterable[str | None] | None) -> str | None:
    """The stored (and hashed) form of *readers*: JSON text of the sorted, distinct,
    non-empty jurisdiction ids; None stays None.

    Examples
    --------
    >>> readers_text(["NL-B", "DE-A", "NL-B", None])
    '["DE-A","NL-B"]'
    >>> readers_text([]), readers_text(None)
    ('[]', None)
    """
    if readers is None:
        return None
    return jsontext.dumps(sorted({str(r) for r in readers if r}))


def _readers(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    value = jsontext.loads(text)
    if not isinstance(value, list):
        raise ValueError("an audit row's readers are not a list")
    return tuple(str(v) for v in value)


def row_hash(
    *,
    seq: int,
    at: str,
    actor: str,
    action: str,
    subject: str,
    before: str,
    after: str,
    prev_hash: str,
    readers: str | None = None,
) -> str:
    """SHA-256 (hex) of one row's stored fields and its predecessor's hash.

    *before*, *after* and *readers* are the stored JSON text, hashed as stored. A row
    without readers (None) is hashed as rows were before the column existed.
    """
    fields: list[Any] = [seq, at, actor, action, subject, before, after, prev_hash]
    if readers is not None:
        fields.append(readers)
    text = jsontext.dumps(fields)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record(
    connection: Connection,
    *,
    actor: str,
    action: str,
    subject: str,
    before: Any = None,
    after: Any = None,
    now: datetime | None = None,
    readers: Iterable[str | None] | None = None,
) -> AuditEntry:
    """Append one row, inside the caller's transaction.

    The head row is locked first (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's
    ``BEGIN IMMEDIATE`` holds the whole database), so concurrent appends are ordered
    and each links to the one before. Call it as the transaction's last statement:
    the lock is then held only briefly, and always after any row locks the change
    took, so two transactions cannot wait on each other.

    Parameters
    ----------
    connection : sqlalchemy.engine.Connection
        In a transaction (:meth:`mutualaid.store.Store.transaction`).
    actor, action, subject : str
        See :class:`AuditEntry`; *action* must be one of :data:`ACTIONS`.
    before, after : Any
        JSON-serialisable values.
    now : datetime.datetime, optional
        The time to record (UTC); the current time when None.
    readers : iterable of str, optional
        The jurisdictions whose coordinators may read the row (see the module's
        docstring); empty: admins only. None (for rows that name nothing of another
        jurisdiction): the coordinators of the writer's own jurisdiction.

    Returns
    -------
    AuditEntry
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    head = connection.execute(
        sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1).with_for_update()
    ).first()
    if head is None:
        # The first append ever: create the head. Two first appends at once on
        # PostgreSQL collide on the primary key and one transaction fails cleanly.
        connection.execute(audit_head.insert().values(id=1, seq=0, hash=GENESIS_HASH))
        seq, prev = 1, GENESIS_HASH
    else:
        seq, prev = head.seq + 1, head.hash
    at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")
    before_text, after_text = jsontext.dumps(before), jsontext.dumps(after)
    readers_stored = readers_text(readers)
    digest = row_hash(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        before=before_text,
        after=after_text,
        prev_hash=prev,
        readers=readers_stored,
    )
    connection.execute(
        audit_log.insert().values(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            before=before_text,
            after=after_text,
            prev_hash=prev,
            hash=digest,
            readers=readers_stored,
        )
    )
    connection.execute(audit_head.update().where(audit_head.c.id == 1).values(seq=seq, hash=digest))
    return AuditEntry(
        seq,
        at,
        actor,
        action,
        subject,
        jsontext.loads(before_text),
        jsontext.loads(after_text),
        prev,
        digest,
        _readers(readers_stored),
    )


def record_denial(
    store: Store,
    *,
    actor: Actor,
    attempted: str,
    subject: str,
    reason: str,
    now: datetime | None = None,
) -> AuditEntry:
    """Write an ``access.denied`` row in a transaction of its own: the refused action did
    not happen, but the attempt is on record. Its readers are the actor's own
    jurisdiction (the reason is what the actor was told); admins only when it has none.

    Parameters
    ----------
    store : Store
    actor : Actor
        Who tried.
    attempted : str
        What they tried, in words or as an action name (``commit``, ``add a layer``).
    subject : str
        What it was tried on (``offer 12``, ``scenario erft: incidents``).
    reason : str
        Why it was refused, as told to the person.
    now : datetime.datetime, optional
        The time to record (UTC).
    """
    with store.transaction() as connection:
        return record(
            connection,
            actor=actor.username,
            action="access.denied",
            subject=subject,
            after={
                "attempted": attempted,
                "role": actor.role,
                "jurisdiction": actor.jurisdiction,
                "reason": reason,
            },
            now=now,
            readers=(actor.jurisdiction,),
        )


@dataclass(frozen=True)
class Verification:
    """What :func:`verify` found.

    Parameters
    ----------
    ok : bool
        True when the whole chain is intact.
    rows : int
        Rows read.
    first_bad : int or None
        The sequence number of the first row that is not as written (for rows removed
        from the end: the first missing one).
    problem : str
        Said for people, empty when ok.
    """

    ok: bool
    rows: int
    first_bad: int | None = None
    problem: str = ""


def verify(connection: Connection) -> Verification:
    """Recompute the chain and report the first row that was changed, removed or
    reordered.

    A row whose fields no longer give its hash was changed; a gap in the sequence
    numbers is a removed row; a row whose ``prev_hash`` is not its predecessor's hash
    follows a row that was removed, replaced or moved; fewer rows than the head
    records means rows were removed from the end.
    """
    rows = connection.execute(sa.select(audit_log).order_by(audit_log.c.seq))
    expected_seq, prev, count = 1, GENESIS_HASH, 0
    for row in rows:
        count += 1
        if row.seq != expected_seq:
            if row.seq > expected_seq:
                return Verification(
                    False,
                    count,
                    expected_seq,
                    f"row {expected_seq} is missing: it was removed (the next row is {row.seq})",
                )
            return Verification(
                False, count, row.seq, f"row {row.seq} appears twice or out of order"
            )
        if row.prev_hash != prev:
            return Verification(
                False,
                count,
                row.seq,
                f"row {row.seq} does not follow row {row.seq - 1}: a row "
                f"was removed, replaced or reordered",
            )
        digest = row_hash(
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            action=row.action,
            subject=row.subject,
            before=row.before,
            after=row.after,
            prev_hash=row.prev_hash,
            readers=row.readers,
        )
        if digest != row.hash:
            return Verification(
                False,
                count,
                row.seq,
                f"row {row.seq} was changed: its content does not match its hash",
            )
        prev, expected_seq = row.hash, expected_seq + 1
    head = connection.execute(
        sa.select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
    ).first()
    head_seq, head_hash = (0, GENESIS_HASH) if head is None else (head.seq, head.hash)
    if head_seq > count:
        return Verification(
            False,
            count,
            count + 1,
            f"rows {count + 1} to {head_seq} are missing: they were removed",
        )
    if head_seq != count or head_hash != prev:
        return Verification(
            False,
            count,
            count,
            f"row {count} is not the last row written: the log's end was changed",
        )
    return Verification(True, count)


def entries(
    connection: Connection,
    *,
    actions: Sequence[str] | None = None,
    actor: str | None = None,
    subject_contains: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    newest_first: bool = True,
    jurisdiction: str | None = None,
) -> Iterator[AuditEntry]:
    """Rows of the log matching every filter given.

    Parameters
    ----------
    actions : sequence of str, optional
        Only these actions.
    actor : str, optional
        Only this actor.
    subject_contains : str, optional
        Only subjects containing this text (case-insensitive).
    since, until : datetime.datetime, optional
        Only rows at or after *since* and before *until* (timezone-aware).
    limit : int, optional
        At most this many rows.
    newest_first : bool
        Order (by sequence number).
    jurisdiction : str, optional
        Only the rows a coordinator of this jurisdiction may read (see the module's
        docstring; :func:`reader_scope` says whose rows a person reads). None: every
        row (an admin, or the operator's export).
    """
    query = sa.select(audit_log)
    if jurisdiction is not None:
        query = query.where(_maybe_readable(jurisdiction))
    if actions:
        query = query.where(audit_log.c.action.in_(list(actions)))
    if actor:
        query = query.where(audit_log.c.actor == actor)
    if subject_contains:
        query = query.where(
            audit_log.c.subject.ilike(f"%{_escape_like(subject_contains)}%", escape="\\")
        )
    # ISO 8601 UTC text with a fixed width sorts as time does.
    if since is not None:
        query = query.where(
            audit_log.c.at >= since.astimezone(UTC).isoformat(timespec="microseconds")
        )
    if until is not None:
        query = query.where(
            audit_log.c.at < until.astimezone(UTC).isoformat(timespec="microseconds")
        )
    query = query.order_by(audit_log.c.seq.desc() if newest_first else audit_log.c.seq)
    if limit is not None and jurisdiction is None:
        query = query.limit(limit)
    count = 0
    for row in connection.execute(query):
        if limit is not None and count >= limit:
            return
        entry = AuditEntry(
            row.seq,
            row.at,
            row.actor,
            row.action,
            row.subject,
            jsontext.loads(row.before),
            jsontext.loads(row.after),
            row.prev_hash,
            row.hash,
            _readers(row.readers),
        )
        if jurisdiction is not None and not may_read(entry, jurisdiction):
            continue
        count += 1
        yield entry


def reader_scope(reader: Actor) -> str | None:
    """Whose rows *reader* reads: None for an admin (every row), else its jurisdiction
    (``""`` for an account bound to none, which reads no row)."""
    return None if reader.role == "admin" else (reader.jurisdiction or "")


#: Keys of a row's before/after values that name a jurisdiction as a party to what the
#: row records (an offer's provider and requester, a request's or an account's
#: jurisdiction).
PARTY_KEYS: tuple[str, ...] = ("provider", "requester", "jurisdiction")


def may_read(entry: AuditEntry, jurisdiction: str) -> bool:
    """Whether a coordinator of *jurisdiction* may read *entry*, given that, when the row
    has no readers, its writer's account is of *jurisdiction* (:func:`entries` checks
    that in the database).

    A row with readers: when they name *jurisdiction*. A row without (see the module's
    docstring): when it is not a plan and names no other jurisdiction as a party.
    """
    if not jurisdiction:
        return False
    if entry.readers is not None:
        return jurisdiction in entry.readers
    if entry.action == "plan.computed":
        return False
    named = {
        value
        for doc in (entry.before, entry.after)
        if isinstance(doc, dict)
        for key in PARTY_KEYS
        if isinstance(value := doc.get(key), str) and value
    }
    return named <= {jurisdiction}


def _maybe_readable(jurisdiction: str) -> sa.ColumnElement[bool]:
    """The rows a coordinator of *jurisdiction* might read, as a query can find them: the
    readers' text contains the id's JSON text (a superset: :func:`may_read` decides),
    or there are no readers and the writer is one of its jurisdiction's accounts (not an
    admin's)."""
    # An admin bound to the jurisdiction is no writer of it here: an admin sees (and its
    # rows may name) every jurisdiction's layers.
    own = sa.select(accounts.c.username).where(
        accounts.c.jurisdiction == jurisdiction, accounts.c.role != "admin"
    )
    named = f"%{_escape_like(jsontext.dumps(jurisdiction))}%"
    return sa.or_(
        audit_log.c.readers.like(named, escape="\\"),
        sa.and_(audit_log.c.readers.is_(None), audit_log.c.actor.in_(own)),
    )


def actors(connection: Connection, jurisdiction: str | None = None) -> list[str]:
    """Every actor of the rows a coordinator of *jurisdiction* may read (None: of every
    row), sorted."""
    if jurisdiction is None:
        return sorted(a for (a,) in connection.execute(sa.select(audit_log.c.actor).distinct()))
    return sorted({e.actor for e in entries(connection, jurisdiction=jurisdiction)})


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

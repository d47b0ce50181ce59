"""A cheap version of the store, to tell an open page that something changed, and the
notices a person is owed for what arrived since (issue 12: live pages).

Every change to the store writes its audit row in the same transaction
(:mod:`mutualaid.store.audit`), and every audit row moves the one ``audit_head`` row's
``seq`` on by one. So that number (:func:`change_mark`, one primary-key read) is a
version of the whole store, the same for every app server on one database: a commit,
accept, release or any other move of an offer, a request made, closed or cancelled, a
plan computed, a layer (new incidents, units) stored, a sharing, agreement or account
change all move it. Nothing else does: reading, signing in (a successful sign-in writes
no audit row) and the sessions' own bookkeeping leave it where it is.

Some audit rows change nothing anyone sees: a failed or throttled sign-in, a refused
action (:data:`QUIET_ACTIONS`). A flood of wrong passwords must not redraw every open
page of every session, so :func:`changed_since` looks at the actions between two marks
(one range read on the log's primary key, made only when the mark moved) and says
whether any of them is not quiet.

:func:`notices_for` reads the same range for the offers addressed to a person's
jurisdiction: a new proposed offer for its provider (a request asks it for units), a
committed, declined or withdrawn offer for its requester, an accepted, refused or
released one for its provider. An offer's audit rows name their readers, its provider
and its requester, the only two jurisdictions that see the offer on the board
(:mod:`mutualaid.store.workflow.board`); a notice is only made from a row whose readers
name the person's jurisdiction, so nobody learns of an offer they could not see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa

from mutualaid.access.actor import Actor
from mutualaid.store import jsontext
from mutualaid.store.database import Store
from mutualaid.store.tables import audit_head, audit_log

#: Audit actions that change nothing a page shows: they move the mark, yet no page is
#: redrawn for them.
QUIET_ACTIONS: Final[frozenset[str]] = frozenset(
    {"account.sign_in_failed", "account.sign_in_throttled", "access.denied"}
)

#: Offer actions a party is told of: action -> (the party told, "provider" or
#: "requester"; what happened, as the notice says it).
NOTICE_ACTIONS: Final[dict[str, tuple[str, str]]] = {
    "offer.created": ("provider", "asks {provider} for {units} unit(s) for request {request}"),
    "offer.committed": ("requester", "committed by {provider}: {units} unit(s) to accept"),
    "offer.declined": ("requester", "declined by {provider}"),
    "offer.withdrawn": ("requester", "withdrawn by {provider}"),
    "offer.accepted": ("provider", "accepted by {requester} (units deployed)"),
    "offer.refused": ("provider", "refused by {requester} (units freed)"),
    "offer.released": ("provider", "released by {requester} (units available again)"),
}

_OFFER_SUBJECT = re.compile(r"offer (\d+)")


@dataclass(frozen=True)
class Notice:
    """One thing that arrived for a person: an offer addressed to its jurisdiction.

    Parameters
    ----------
    seq : int
        The audit row it comes from (a session shows each notice once).
    offer_id : int
    action : str
        One of :data:`NOTICE_ACTIONS`.
    by : str
        The account that made the change.
    text : str
        The sentence to show (plain text: ids come from files and must be escaped
        before Markdown).
    """

    seq: int
    offer_id: int
    action: str
    by: str
    text: str


def change_mark(store: Store) -> int:
    """The store's change mark: the sequence number of its last audit row (0 for a
    store with none). It moves with every change anyone makes on any app server and
    with nothing else (the module's docstring says what changes it).

    One primary-key read of the one-row ``audit_head`` table.
    """
    with store.reading() as connection:
        seq = connection.execute(
            sa.select(audit_head.c.seq).where(audit_head.c.id == 1)
        ).scalar_one_or_none()
    return int(seq or 0)


def changed_since(store: Store, since: int, until: int) -> bool:
    """Whether any audit row after *since* up to *until* is a change a page shows (an
    action not in :data:`QUIET_ACTIONS`).

    Parameters
    ----------
    store : Store
    since, until : int
        Two change marks (:func:`change_mark`); nothing changed when ``until <= since``.
    """
    if until <= since:
        return False
    with store.reading() as connection:
        shown = connection.execute(
            sa.select(audit_log.c.seq)
            .where(
                audit_log.c.seq > since,
                audit_log.c.seq <= until,
                audit_log.c.action.not_in(sorted(QUIET_ACTIONS)),
            )
            .limit(1)
        ).first()
    return shown is not None


def _notice(row: sa.Row, jurisdiction: str) -> Notice | None:
    party, sentence = NOTICE_ACTIONS[row.action]
    readers = jsontext.loads(row.readers) if row.readers is not None else None
    if not isinstance(readers, list) or jurisdiction not in readers:
        return None  # not a row this jurisdiction may read
    after = jsontext.loads(row.after)
    match = _OFFER_SUBJECT.fullmatch(row.subject)
    if not isinstance(after, dict) or match is None or after.get(party) != jurisdiction:
        return None  # addressed to the other party
    lines = after.get("lines") or []
    units = sum(int(line.get("units", 0)) for line in lines if isinstance(line, dict))
    offer_id = int(match.group(1))
    text = f"Offer {offer_id} " + sentence.format(
        provider=after.get("provider", "?"),
        requester=after.get("requester", "?"),
        request=after.get("request", "?"),
        units=units,
    )
    return Notice(int(row.seq), offer_id, str(row.action), str(row.actor), f"{text}.")


def notices_for(store: Store, actor: Actor, since: int, until: int) -> list[Notice]:
    """The offers addressed to *actor*'s jurisdiction that arrived or moved after the
    change mark *since* up to *until*, oldest first; not those *actor* made itself.

    An account bound to no jurisdiction (an admin) is owed none: nothing is addressed
    to it.

    Parameters
    ----------
    store : Store
    actor : Actor
    since, until : int
        Two change marks (:func:`change_mark`).

    Returns
    -------
    list of Notice
    """
    jurisdiction = actor.jurisdiction
    if not jurisdiction or until <= since:
        return []
    with store.reading() as connection:
        rows = connection.execute(
            sa.select(
                audit_log.c.seq,
                audit_log.c.actor,
                audit_log.c.action,
                audit_log.c.subject,
                audit_log.c.after,
                audit_log.c.readers,
            )
            .where(
                audit_log.c.seq > since,
                audit_log.c.seq <= until,
                audit_log.c.action.in_(sorted(NOTICE_ACTIONS)),
                audit_log.c.actor != actor.username,
            )
            .order_by(audit_log.c.seq)
        ).all()
    notices = [_notice(row, jurisdiction) for row in rows]
    return [n for n in notices if n is not None]

"""Reading the workflow's rows: timestamps, who changed a row, a stored scenario's id and
frames, an offer's lines and units per resource; and the refusal of a move for lack of
rights (:func:`deny`: recorded as ``access.denied`` in a transaction of its own).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mutualaid.access.actor import Actor
from mutualaid.errors import (
    Denied,
    NotFound,
)
from mutualaid.store import audit
from mutualaid.store.database import Store
from mutualaid.store.tables import (
    offer_lines,
    offers,
    scenarios,
)
from mutualaid.store.workflow.states import (
    ACCEPTED,
    COMMITTED,
    DECLINED,
    EITHER,
    PROVIDER,
    REFUSED,
    REQUESTER,
    WITHDRAWN,
    Transition,
    may,
    sides_of,
)

if TYPE_CHECKING:
    pass


# --- States -------------------------------------------------------------------------------
def denial(actor: Actor, transition: Transition, *, provider: str, requester: str) -> str:
    """Why *actor* may not make *transition* ("" when it may)."""
    if may(actor, transition.by, provider=provider, requester=requester):
        return ""
    if not actor.at_least("coordinator"):
        return "only a coordinator can"
    if transition.by == PROVIDER:
        return f"its units belong to {provider}"
    if transition.by == REQUESTER:
        return f"only a coordinator of {requester}, the requester, can"
    sides = sides_of(EITHER, provider=provider, requester=requester)
    return f"only a coordinator of {' or '.join(sides)} can"


def deny(
    store: Store, actor: Actor, *, action: str, subject: str, reason: str, now: datetime
) -> None:
    """Record the refusal in a transaction of its own, then raise :class:`Denied`."""
    message = f"{actor.label} cannot {action} {subject}: {reason}"
    audit.record_denial(
        store, actor=actor, attempted=action, subject=subject, reason=message, now=now
    )
    raise Denied(message)


# --- Small helpers ------------------------------------------------------------------------
def timestamp(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


def clock_text(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%H:%M} UTC"


def who_changed(row: Any) -> str:
    """``"alice (DE-NW) at 20:31 UTC"``: who made an offer's last move (the side is
    named where the state says which side moved)."""
    side = {
        COMMITTED: row.provider,
        DECLINED: row.provider,
        WITHDRAWN: row.provider,
        ACCEPTED: row.requester,
        REFUSED: row.requester,
    }.get(row.state)
    where = f" ({side})" if side else ""
    return f"{row.updated_by}{where} at {clock_text(row.updated_at)}"


def scenario_id_of(connection: Connection, name: str) -> int:
    found = connection.execute(sa.select(scenarios.c.id).where(scenarios.c.name == name)).first()
    if found is None:
        raise NotFound(f"there is no scenario named {name!r} in the store")
    return found.id


def stored_scenario(store: Store, name: str):
    from mutualaid.store.layer_store import load_stored_scenario

    stored = load_stored_scenario(store, name)
    if stored is None:
        raise NotFound(f"there is no scenario named {name!r} in the store")
    return stored


def line_dicts(rows: Iterable[Any]) -> list[dict]:
    """An offer's lines for its audit row: what each holds (``units``), was offered and
    was committed (None before the commit)."""
    return [
        {
            "line_id": int(r.id),
            "resource_id": r.resource_id,
            "incident_id": r.incident_id,
            "type": r.type,
            "units": int(r.units),
            "offered": int(r.offered),
            "committed": None if r.committed is None else int(r.committed),
            "minutes": float(r.minutes),
        }
        for r in rows
    ]


def offer_row(connection: Connection, offer_id: int) -> Any:
    row = connection.execute(sa.select(offers).where(offers.c.id == offer_id)).first()
    if row is None:
        raise NotFound(f"offer {offer_id} does not exist")
    return row


def offer_line_rows(connection: Connection, offer_id: int) -> list[Any]:
    return list(
        connection.execute(
            sa.select(offer_lines)
            .where(offer_lines.c.offer_id == offer_id)
            .order_by(offer_lines.c.id)
        )
    )


def per_resource(lines: Iterable[Any]) -> list[tuple[str, int]]:
    """Units per resource, sorted by resource id: the fixed order rows are locked in."""
    total: dict[str, int] = defaultdict(int)
    for line in lines:
        total[line.resource_id] += int(line.units)
    return sorted(total.items())

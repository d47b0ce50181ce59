"""The request → offer → commit → accept → release workflow, in EMAC / EDXL-RM terms.

A jurisdiction *requests* assistance for its incidents (EDXL-RM RequestResource). The
optimiser's plan for what is still open turns into *offers*, one per (request, providing
jurisdiction) (ResponseToRequestResource). The provider's coordinator *commits* its units
or *declines*; the requester *accepts* (the units are deployed) or *refuses*; deployed
units are later *released* and available again.

Every state and every allowed move is written down once: :data:`OFFER_TRANSITIONS` and
:data:`REQUEST_TRANSITIONS`. Anything else is refused with :class:`InvalidTransition`.

A unit is never committed twice: a commit takes its units with one conditional update
per resource (``... WHERE quantity - committed >= n``), resources in a fixed order (no
deadlocks on PostgreSQL), and the offer's own state change is conditional too
(``... WHERE state = 'proposed'``). When another coordinator got there first the whole
transaction is rolled back and the loser is told who holds the units
(:class:`UnitsTaken`) or who moved the offer (:class:`Conflict`).

"Compute offers" plans the requests of the person computing (:func:`plan_scope`): an
admin's plan covers every open request, a coordinator's its own jurisdiction's open
requests only, and only those requests' proposed offers are superseded; a coordinator
whose jurisdiction has no open request is refused (issue 16).

Every change writes its audit row (:func:`mutualaid.store.audit.record`) as the last
statement of its own transaction; a refusal for lack of rights is recorded too
(``access.denied``), in a transaction of its own, before :class:`Denied` is raised.
Each row names its readers (:mod:`mutualaid.store.audit`): an offer's rows its provider
and requester, a request's rows its requester.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mutualaid.access.actor import Actor
from mutualaid.access.sharing import OWNER, PUBLIC, feature_levels, sees_everything
from mutualaid.errors import (
    Conflict,
    Denied,
    InvalidRequest,
    InvalidTransition,
    NotFound,
    WorkflowError,
)
from mutualaid.store import audit, jsontext
from mutualaid.store.database import Store
from mutualaid.store.tables import (
    offer_lines,
    offers,
    plans,
    request_lines,
    requests,
    scenarios,
    units,
)

if TYPE_CHECKING:
    from mutualaid.allocation import Plan
    from mutualaid.scenario.loading import Scenario

# --- States -------------------------------------------------------------------------------
OPEN: Final = "open"
CLOSED: Final = "closed"
CANCELLED: Final = "cancelled"
REQUEST_STATES: Final[tuple[str, ...]] = (OPEN, CLOSED, CANCELLED)

PROPOSED: Final = "proposed"
COMMITTED: Final = "committed"
DECLINED: Final = "declined"
SUPERSEDED: Final = "superseded"
ACCEPTED: Final = "accepted"
REFUSED: Final = "refused"
WITHDRAWN: Final = "withdrawn"
RELEASED: Final = "released"
OFFER_STATES: Final[tuple[str, ...]] = (
    PROPOSED,
    COMMITTED,
    DECLINED,
    SUPERSEDED,
    ACCEPTED,
    REFUSED,
    WITHDRAWN,
    RELEASED,
)

#: Offers whose units are held (committed, or deployed once accepted).
HOLDING_STATES: Final[tuple[str, ...]] = (COMMITTED, ACCEPTED)
#: Offers that count against a request line's need. Released units were deployed and
#: served the incident, so their release does not reopen the need (the requester makes
#: a new request if the incident needs more).
FILLING_STATES: Final[tuple[str, ...]] = (COMMITTED, ACCEPTED, RELEASED)

# Who may make a move: a coordinator of the offer's provider, of its requester, of either,
# or any coordinator or admin (the planner, who computes plans and offers: an admin for
# every request, a coordinator for its own jurisdiction's only, see plan_scope).
PROVIDER: Final = "provider"
REQUESTER: Final = "requester"
EITHER: Final = "either"
PLANNER: Final = "planner"

# What a move does to the units of the offer's lines.
TAKE: Final = "take"
FREE: Final = "free"
KEEP: Final = "keep"


@dataclass(frozen=True)
class Transition:
    """One allowed move.

    Parameters
    ----------
    action : str
        Its name (``"commit"``), as the board's ``allowed_actions`` say it.
    source, target : str
        The state it leaves and the state it reaches (a past participle, used in
        messages: "offer 12 was already committed").
    by : str
        Whose coordinator may make it: :data:`PROVIDER`, :data:`REQUESTER`,
        :data:`EITHER` or :data:`PLANNER`.
    units : str
        :data:`TAKE` (commit the units), :data:`FREE` (give them back) or :data:`KEEP`.
    audit_action : str
        The audit log's action name.
    """

    action: str
    source: str
    target: str
    by: str
    units: str
    audit_action: str


#: Every move an offer can make. ``supersede`` is made by :func:`plan_offers` only.
OFFER_TRANSITIONS: Final[dict[str, Transition]] = {
    t.action: t
    for t in (
        Transition("commit", PROPOSED, COMMITTED, PROVIDER, TAKE, "offer.committed"),
        Transition("decline", PROPOSED, DECLINED, PROVIDER, KEEP, "offer.declined"),
        Transition("supersede", PROPOSED, SUPERSEDED, PLANNER, KEEP, "plan.computed"),
        Transition("accept", COMMITTED, ACCEPTED, REQUESTER, KEEP, "offer.accepted"),
        Transition("refuse", COMMITTED, REFUSED, REQUESTER, FREE, "offer.refused"),
        Transition("withdraw", COMMITTED, WITHDRAWN, PROVIDER, FREE, "offer.withdrawn"),
        Transition("release", ACCEPTED, RELEASED, EITHER, FREE, "offer.released"),
    )
}

#: Every move a request can make. Both supersede the request's still-proposed offers;
#: ``cancel`` only while none of its offers holds units.
REQUEST_TRANSITIONS: Final[dict[str, Transition]] = {
    t.action: t
    for t in (
        Transition("close", OPEN, CLOSED, REQUESTER, KEEP, "request.closed"),
        Transition("cancel", OPEN, CANCELLED, REQUESTER, KEEP, "request.cancelled"),
    )
}


# --- Errors -------------------------------------------------------------------------------


class UnitsTaken(Conflict):
    """A commit found fewer units free than its offer needs.

    Attributes
    ----------
    resource_id : str
    wanted, free, quantity : int
        Units the offer needs of the resource, units still free, units it has.
    holders : tuple of dict
        The offers holding the rest: ``offer_id``, ``state``, ``units``, ``by``,
        ``jurisdiction``, ``at``.
    """

    def __init__(
        self,
        message: str,
        *,
        resource_id: str,
        wanted: int,
        free: int,
        quantity: int,
        holders: tuple[dict, ...],
    ) -> None:
        super().__init__(message)
        self.resource_id, self.wanted, self.free = resource_id, wanted, free
        self.quantity, self.holders = quantity, holders


# --- Results ------------------------------------------------------------------------------
@dataclass(frozen=True)
class OfferState:
    """An offer's state after a move."""

    offer_id: int
    state: str
    version: int
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class RequestState:
    """A request's state after a move."""

    request_id: int
    state: str
    version: int
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class PlanOutcome:
    """What :func:`plan_offers` stored: the plan's id, the new offers (in id order), the
    offers it superseded, and the plan itself."""

    plan_id: int
    offer_ids: tuple[int, ...]
    superseded: tuple[int, ...]
    plan: Plan


@dataclass(frozen=True)
class RequestLineView:
    """A request line and the units of it not yet filled by committed, accepted or
    released offers."""

    incident_id: str
    type: str
    units: int
    remaining: int


@dataclass(frozen=True)
class RequestView:
    """A request on the board, with the actions the viewer may take on it."""

    id: int
    jurisdiction: str
    state: str
    version: int
    note: str
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    lines: tuple[RequestLineView, ...]
    allowed_actions: tuple[str, ...]


@dataclass(frozen=True)
class OfferLineView:
    """Units of one resource offered to one incident."""

    resource_id: str
    incident_id: str
    type: str
    units: int
    minutes: float


@dataclass(frozen=True)
class OfferView:
    """An offer on the board, with the actions the viewer may take on it."""

    id: int
    plan_id: int
    request_id: int
    provider: str
    requester: str
    state: str
    version: int
    created_at: datetime
    updated_by: str
    updated_at: datetime
    lines: tuple[OfferLineView, ...]
    allowed_actions: tuple[str, ...]

    @property
    def units(self) -> int:
        """Units offered in all."""
        return sum(line.units for line in self.lines)


@dataclass(frozen=True)
class Board:
    """A scenario's requests and offers as one viewer sees them.

    ``viewer_actions`` holds ``"request"`` when the viewer may request assistance and
    ``"plan"`` when the viewer may compute offers (a coordinator: for its own
    jurisdiction's open requests, :func:`plan_scope`; without one it is refused).
    """

    scenario: str
    requests: tuple[RequestView, ...]
    offers: tuple[OfferView, ...]
    viewer_actions: tuple[str, ...]


# --- Who may do what ----------------------------------------------------------------------
def _sides(by: str, *, provider: str, requester: str) -> tuple[str, ...]:
    return {
        PROVIDER: (provider,),
        REQUESTER: (requester,),
        EITHER: tuple(dict.fromkeys((provider, requester))),
    }[by]


def may(actor: Actor, by: str, *, provider: str = "", requester: str = "") -> bool:
    """True when *actor* may make a move made by *by* (see :class:`Transition`).

    Examples
    --------
    >>> alice = Actor("alice", "coordinator", "DE-NW")
    >>> may(alice, PROVIDER, provider="DE-NW", requester="NL-LI")
    True
    >>> may(alice, REQUESTER, provider="DE-NW", requester="NL-LI")
    False
    """
    if not actor.at_least("coordinator"):
        return False
    if by == PLANNER:
        return True
    return actor.jurisdiction is not None and actor.jurisdiction in _sides(
        by, provider=provider, requester=requester
    )


def offer_actions(viewer: Actor, *, state: str, provider: str, requester: str) -> tuple[str, ...]:
    """The actions *viewer* may take on an offer in *state* (the buttons to show)."""
    return tuple(
        t.action
        for t in OFFER_TRANSITIONS.values()
        if t.source == state
        and t.by != PLANNER
        and may(viewer, t.by, provider=provider, requester=requester)
    )


def request_actions(
    viewer: Actor, *, state: str, jurisdiction: str, holds_units: bool = False
) -> tuple[str, ...]:
    """The actions *viewer* may take on a request; ``cancel`` only while none of its
    offers holds units (*holds_units* false)."""
    return tuple(
        t.action
        for t in REQUEST_TRANSITIONS.values()
        if t.source == state
        and may(viewer, t.by, requester=jurisdiction)
        and not (t.action == "cancel" and holds_units)
    )


def _denial(actor: Actor, transition: Transition, *, provider: str, requester: str) -> str:
    """Why *actor* may not make *transition* ("" when it may)."""
    if may(actor, transition.by, provider=provider, requester=requester):
        return ""
    if not actor.at_least("coordinator"):
        return "only a coordinator can"
    if transition.by == PROVIDER:
        return f"its units belong to {provider}"
    if transition.by == REQUESTER:
        return f"only a coordinator of {requester}, the requester, can"
    sides = _sides(EITHER, provider=provider, requester=requester)
    return f"only a coordinator of {' or '.join(sides)} can"


def _deny(
    store: Store, actor: Actor, *, action: str, subject: str, reason: str, now: datetime
) -> None:
    """Record the refusal in a transaction of its own, then raise :class:`Denied`."""
    message = f"{actor.label} cannot {action} {subject}: {reason}"
    audit.record_denial(
        store, actor=actor, attempted=action, subject=subject, reason=message, now=now
    )
    raise Denied(message)


# --- Small helpers ------------------------------------------------------------------------
def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


def _clock(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%H:%M} UTC"


def _who(row: Any) -> str:
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
    return f"{row.updated_by}{where} at {_clock(row.updated_at)}"


def _scenario_id(connection: Connection, name: str) -> int:
    found = connection.execute(sa.select(scenarios.c.id).where(scenarios.c.name == name)).first()
    if found is None:
        raise NotFound(f"there is no scenario named {name!r} in the store")
    return found.id


def _stored_scenario(store: Store, name: str):
    from mutualaid.store.layers import load_stored_scenario

    stored = load_stored_scenario(store, name)
    if stored is None:
        raise NotFound(f"there is no scenario named {name!r} in the store")
    return stored


def _line_dicts(rows: Iterable[Any]) -> list[dict]:
    return [
        {
            "resource_id": r.resource_id,
            "incident_id": r.incident_id,
            "type": r.type,
            "units": int(r.units),
            "minutes": float(r.minutes),
        }
        for r in rows
    ]


def _offer_row(connection: Connection, offer_id: int) -> Any:
    row = connection.execute(sa.select(offers).where(offers.c.id == offer_id)).first()
    if row is None:
        raise NotFound(f"offer {offer_id} does not exist")
    return row


def _offer_lines(connection: Connection, offer_id: int) -> list[Any]:
    return list(
        connection.execute(
            sa.select(offer_lines)
            .where(offer_lines.c.offer_id == offer_id)
            .order_by(offer_lines.c.id)
        )
    )


def _per_resource(lines: Iterable[Any]) -> list[tuple[str, int]]:
    """Units per resource, sorted by resource id: the fixed order rows are locked in."""
    total: dict[str, int] = defaultdict(int)
    for line in lines:
        total[line.resource_id] += int(line.units)
    return sorted(total.items())


# --- Offers -------------------------------------------------------------------------------
def commit_offer(
    store: Store,
    offer_id: int,
    *,
    actor: Actor,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> OfferState:
    """The provider commits the offer's units (proposed → committed).

    Parameters
    ----------
    store : Store
    offer_id : int
    actor : Actor
        A coordinator of the offer's provider.
    expected_version : int, optional
        The version the actor saw; when another move came first, :class:`Conflict`.
    now : datetime.datetime, optional
        The time to record (UTC); the current time when None.

    Returns
    -------
    OfferState

    Raises
    ------
    NotFound, Denied, InvalidTransition, Conflict
    UnitsTaken
        Fewer units of a resource are free than the offer needs; nothing was committed.
    """
    return _offer_move(
        store,
        offer_id,
        OFFER_TRANSITIONS["commit"],
        actor=actor,
        expected_version=expected_version,
        now=now,
    )


def decline_offer(
    store: Store,
    offer_id: int,
    *,
    actor: Actor,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> OfferState:
    """The provider declines to send its units (proposed → declined). See
    :func:`commit_offer` for the parameters and errors."""
    return _offer_move(
        store,
        offer_id,
        OFFER_TRANSITIONS["decline"],
        actor=actor,
        expected_version=expected_version,
        now=now,
    )


def accept_offer(
    store: Store,
    offer_id: int,
    *,
    actor: Actor,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> OfferState:
    """The requester accepts the committed units, now deployed (committed → accepted).
    See :func:`commit_offer`."""
    return _offer_move(
        store,
        offer_id,
        OFFER_TRANSITIONS["accept"],
        actor=actor,
        expected_version=expected_version,
        now=now,
    )


def refuse_offer(
    store: Store,
    offer_id: int,
    *,
    actor: Actor,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> OfferState:
    """The requester declines the committed units, which are freed (committed → refused).
    See :func:`commit_offer`."""
    return _offer_move(
        store,
        offer_id,
        OFFER_TRANSITIONS["refuse"],
        actor=actor,
        expected_version=expected_version,
        now=now,
    )


def withdraw_offer(
    store: Store,
    offer_id: int,
    *,
    actor: Actor,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> OfferState:
    """The provider takes its committed units back before acceptance (committed →
    withdrawn). See :func:`commit_offer`."""
    return _offer_move(
        store,
        offer_id,
        OFFER_TRANSITIONS["withdraw"],
        actor=actor,
        expected_version=expected_version,
        now=now,
    )


def release_offer(
    store: Store,
    offer_id: int,
    *,
    actor: Actor,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> OfferState:
    """Deployed units are released and available again (accepted → released), by a
    coordinator of either side. See :func:`commit_offer`."""
    return _offer_move(
        store,
        offer_id,
        OFFER_TRANSITIONS["release"],
        actor=actor,
        expected_version=expected_version,
        now=now,
    )


def _offer_move(
    store: Store,
    offer_id: int,
    move: Transition,
    *,
    actor: Actor,
    expected_version: int | None,
    now: datetime | None,
) -> OfferState:
    now = _now(now)
    subject = f"offer {offer_id}"
    # Provider and requester never change, so rights can be checked before the change.
    with store.reading() as connection:
        seen = _offer_row(connection, offer_id)
    reason = _denial(actor, move, provider=seen.provider, requester=seen.requester)
    if reason:
        _deny(store, actor, action=move.action, subject=subject, reason=reason, now=now)
    with store.transaction() as connection:
        # The state change first and conditional: of two coordinators moving the same
        # offer, the second waits on the row (PostgreSQL) or the write lock (SQLite) and
        # then finds the state changed.
        where = [offers.c.id == offer_id, offers.c.state == move.source]
        if expected_version is not None:
            where.append(offers.c.version == expected_version)
        changed = connection.execute(
            offers.update()
            .where(*where)
            .values(
                state=move.target,
                version=offers.c.version + 1,
                updated_by=actor.username,
                updated_at=now,
            )
        )
        if changed.rowcount != 1:
            raise _offer_refusal(connection, offer_id, move, expected_version)
        row = _offer_row(connection, offer_id)
        lines = _offer_lines(connection, offer_id)
        moved = _move_units(connection, row, lines, move)
        audit.record(
            connection,
            actor=actor.username,
            action=move.audit_action,
            subject=subject,
            before={"state": move.source, "version": row.version - 1},
            after={
                "state": move.target,
                "version": row.version,
                "provider": row.provider,
                "requester": row.requester,
                "request": row.request_id,
                "lines": _line_dicts(lines),
                "units": moved,
            },
            now=now,
            readers=(row.provider, row.requester),
        )
    return OfferState(offer_id, row.state, row.version, row.updated_by, row.updated_at)


def _offer_refusal(
    connection: Connection, offer_id: int, move: Transition, expected_version: int | None
) -> WorkflowError:
    """Why the conditional update changed nothing, read after it: who came first."""
    row = _offer_row(connection, offer_id)
    if row.state == move.source:
        return Conflict(
            f"offer {offer_id} changed since you saw it (version {expected_version}): "
            f"it is now version {row.version}, last changed by {_who(row)}; look "
            f"again before you {move.action} it"
        )
    if row.state == move.target or (
        expected_version is not None and row.version != expected_version
    ):
        return Conflict(f"offer {offer_id} was already {row.state} by {_who(row)}")
    return InvalidTransition(
        f"offer {offer_id} is {row.state} (by {_who(row)}); only a "
        f"{move.source} offer can be {move.target}"
    )


def _move_units(
    connection: Connection, offer: Any, lines: list[Any], move: Transition
) -> list[dict]:
    """Take or free the units of an offer's lines, one resource at a time in resource id
    order. Returns, per resource, the units moved and ``committed`` after."""
    if move.units == KEEP:
        return []
    moved = []
    for resource_id, n in _per_resource(lines):
        key = [units.c.scenario_id == offer.scenario_id, units.c.resource_id == resource_id]
        if move.units == TAKE:
            statement = (
                units.update()
                .where(*key, units.c.quantity - units.c.committed >= n)
                .values(committed=units.c.committed + n, version=units.c.version + 1)
            )
        else:
            # Never below zero: a resources layer reloaded since may have reset the count.
            statement = (
                units.update()
                .where(*key)
                .values(
                    committed=sa.case((units.c.committed >= n, units.c.committed - n), else_=0),
                    version=units.c.version + 1,
                )
            )
        after = connection.execute(statement.returning(units.c.committed, units.c.quantity)).first()
        if after is None and move.units == TAKE:
            raise _units_taken(connection, offer, resource_id, n)
        if after is not None:
            moved.append(
                {
                    "resource_id": resource_id,
                    "units": n,
                    "committed": after.committed,
                    "quantity": after.quantity,
                }
            )
    return moved


def _units_taken(connection: Connection, offer: Any, resource_id: str, wanted: int) -> UnitsTaken:
    """The message of a commit that found too few units free: who holds the rest."""
    head = f"offer {offer.id} was not committed"
    # Locked (PostgreSQL; the next row in the commit's own lock order) so that no other
    # commit changes it between this read and the read of who holds it: the count and
    # the holders then agree.
    row = connection.execute(
        sa.select(units)
        .where(units.c.scenario_id == offer.scenario_id, units.c.resource_id == resource_id)
        .with_for_update()
    ).first()
    if row is None:
        return UnitsTaken(
            f"{head}: resource {resource_id} is no longer in the scenario's resources layer",
            resource_id=resource_id,
            wanted=wanted,
            free=0,
            quantity=0,
            holders=(),
        )
    held = connection.execute(
        sa.select(
            offers.c.id,
            offers.c.state,
            offers.c.provider,
            offers.c.requester,
            offers.c.updated_by,
            offers.c.updated_at,
            sa.func.sum(offer_lines.c.units).label("units"),
        )
        .join(offer_lines, offer_lines.c.offer_id == offers.c.id)
        # The offer itself is already marked committed in this (doomed) transaction.
        .where(
            offers.c.scenario_id == offer.scenario_id,
            offer_lines.c.resource_id == resource_id,
            offers.c.state.in_(HOLDING_STATES),
            offers.c.id != offer.id,
        )
        .group_by(
            offers.c.id,
            offers.c.state,
            offers.c.provider,
            offers.c.requester,
            offers.c.updated_by,
            offers.c.updated_at,
        )
        .order_by(offers.c.updated_at, offers.c.id)
    ).all()
    holders, parts = [], []
    for h in held:
        n = int(h.units)
        verb = "is" if n == 1 else "are"
        if h.state == COMMITTED:
            parts.append(f"{n} {verb} committed to offer {h.id} by {_who(h)}")
        else:
            parts.append(f"{n} {verb} deployed with offer {h.id} (accepted by {_who(h)})")
        holders.append(
            {
                "offer_id": h.id,
                "state": h.state,
                "units": n,
                "by": h.updated_by,
                "jurisdiction": h.provider if h.state == COMMITTED else h.requester,
                "at": h.updated_at,
            }
        )
    free = row.quantity - row.committed
    text = (
        f"{head}: resource {resource_id} ({row.type}) has {free} of {row.quantity} "
        f"unit{'s' if row.quantity != 1 else ''} free and the offer needs {wanted}"
    )
    if parts:
        text += "; " + ", ".join(parts)
    return UnitsTaken(
        text,
        resource_id=resource_id,
        wanted=wanted,
        free=free,
        quantity=row.quantity,
        holders=tuple(holders),
    )


# --- Requests -----------------------------------------------------------------------------
def create_request(
    store: Store,
    scenario_name: str,
    *,
    actor: Actor,
    lines: Sequence[tuple[str, str, int]] | None = None,
    note: str = "",
    now: datetime | None = None,
) -> int:
    """The actor's jurisdiction requests assistance for its incidents.

    Parameters
    ----------
    store : Store
    scenario_name : str
        A stored scenario (:func:`mutualaid.store.layers.save_scenario`).
    actor : Actor
        A coordinator; the request is made for the actor's jurisdiction.
    lines : sequence of (incident_id, type, units), optional
        What is requested. Each incident must be an active incident of the actor's
        jurisdiction in the scenario's incidents layer that needs that many units of
        the type, not already requested in an open request. By default every such need.
    note : str
        Free text for the providers.
    now : datetime.datetime, optional

    Returns
    -------
    int
        The new request's id.

    Raises
    ------
    NotFound, Denied
    InvalidRequest
        Lines that do not match the incidents layer, all of them in one message.
    """
    now = _now(now)
    if not (actor.at_least("coordinator") and actor.jurisdiction):
        _deny(
            store,
            actor,
            action="request assistance in",
            subject=f"scenario {scenario_name}",
            reason="only a coordinator of the requesting jurisdiction can",
            now=now,
        )
    stored = _stored_scenario(store, scenario_name)
    jurisdiction = str(actor.jurisdiction)
    with store.transaction() as connection:
        # Locking the scenario row orders concurrent requests of one scenario, so that
        # one need cannot be requested twice.
        connection.execute(
            sa.select(scenarios.c.id).where(scenarios.c.id == stored.id).with_for_update()
        ).first()
        requested = {
            (r.incident_id, r.type): r.request_id
            for r in connection.execute(
                sa.select(
                    request_lines.c.request_id, request_lines.c.incident_id, request_lines.c.type
                )
                .join(requests, requests.c.id == request_lines.c.request_id)
                .where(requests.c.scenario_id == stored.id, requests.c.state == OPEN)
            )
        }
        wanted = _checked_lines(stored.scenario, scenario_name, jurisdiction, lines, requested)
        request_id = connection.execute(
            requests.insert()
            .values(
                scenario_id=stored.id,
                jurisdiction=jurisdiction,
                state=OPEN,
                note=note,
                version=1,
                created_by=actor.username,
                created_at=now,
                updated_by=actor.username,
                updated_at=now,
            )
            .returning(requests.c.id)
        ).scalar_one()
        connection.execute(
            request_lines.insert(),
            [
                {"request_id": request_id, "incident_id": i, "type": k, "units": n}
                for i, k, n in wanted
            ],
        )
        audit.record(
            connection,
            actor=actor.username,
            action="request.created",
            subject=f"request {request_id}",
            after={
                "state": OPEN,
                "version": 1,
                "scenario": scenario_name,
                "jurisdiction": jurisdiction,
                "note": note,
                "lines": [{"incident_id": i, "type": k, "units": n} for i, k, n in wanted],
            },
            now=now,
            readers=(jurisdiction,),
        )
    return int(request_id)


def _checked_lines(
    scenario: Scenario,
    name: str,
    jurisdiction: str,
    lines: Sequence[tuple[str, str, int]] | None,
    requested: dict[tuple[str, str], int],
) -> list[tuple[str, str, int]]:
    incidents = {str(row.id): row for row in scenario.incidents.itertuples(index=False)}
    if lines is None:
        wanted = [
            (iid, str(k), int(n))
            for iid, row in incidents.items()
            if row.jurisdiction == jurisdiction and str(row.status).strip().lower() == "active"
            for k, n in sorted((row.needs or {}).items())
            if int(n) > 0 and (iid, str(k)) not in requested
        ]
        if not wanted:
            raise InvalidRequest(
                f"nothing to request: {jurisdiction} has no active incident in "
                f"scenario {name} with a need not already requested"
            )
        return wanted
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    wanted = []
    if not lines:
        raise InvalidRequest("the request has no lines")
    for position, line in enumerate(lines, start=1):
        try:
            incident_id, rtype, n = line
        except (TypeError, ValueError):
            problems.append(f"line {position}: expected (incident id, type, units), got {line!r}")
            continue
        incident_id, rtype = str(incident_id), str(rtype)
        where = f"line {position} ({incident_id}, {rtype})"
        row = incidents.get(incident_id)
        if row is None:
            problems.append(f"{where}: there is no incident {incident_id} in scenario {name}")
            continue
        if row.jurisdiction != jurisdiction:
            problems.append(
                f"{where}: incident {incident_id} lies in {row.jurisdiction or 'no jurisdiction'}, "
                f"not {jurisdiction}; a jurisdiction requests assistance for its own incidents"
            )
            continue
        if str(row.status).strip().lower() != "active":
            problems.append(
                f"{where}: incident {incident_id} is {row.status}; only active "
                f"incidents can be given assistance"
            )
            continue
        needs = {str(k): int(v) for k, v in (row.needs or {}).items()}
        if rtype not in needs:
            listed = ", ".join(f"{k} {v}" for k, v in sorted(needs.items())) or "nothing"
            problems.append(f"{where}: incident {incident_id} needs no {rtype} (it needs {listed})")
            continue
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or not 1 <= n <= needs[rtype]:
            problems.append(
                f"{where}: units must be a whole number from 1 to {needs[rtype]} "
                f"(what the incident needs), got {n!r}"
            )
            continue
        if (incident_id, rtype) in seen:
            problems.append(f"{where}: listed twice (also line {seen[(incident_id, rtype)]})")
            continue
        if (incident_id, rtype) in requested:
            problems.append(
                f"{where}: already requested in request "
                f"{requested[(incident_id, rtype)]}, which is still open"
            )
            continue
        seen[(incident_id, rtype)] = position
        wanted.append((incident_id, rtype, int(n)))
    if problems:
        raise InvalidRequest("the request was not made:\n" + "\n".join(problems))
    return wanted


def close_request(
    store: Store,
    request_id: int,
    *,
    actor: Actor,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> RequestState:
    """The requester closes its request (open → closed): no more assistance is wanted.
    Its still-proposed offers are superseded; committed and accepted ones go on.

    Raises
    ------
    NotFound, Denied, InvalidTransition, Conflict
    """
    return _request_move(
        store,
        request_id,
        REQUEST_TRANSITIONS["close"],
        actor=actor,
        expected_version=expected_version,
        now=now,
    )


def cancel_request(
    store: Store,
    request_id: int,
    *,
    actor: Actor,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> RequestState:
    """The requester withdraws its request (open → cancelled), only while none of its
    offers is committed or accepted; its proposed offers are superseded.

    Raises
    ------
    NotFound, Denied, InvalidTransition, Conflict
    """
    return _request_move(
        store,
        request_id,
        REQUEST_TRANSITIONS["cancel"],
        actor=actor,
        expected_version=expected_version,
        now=now,
    )


def _request_move(
    store: Store,
    request_id: int,
    move: Transition,
    *,
    actor: Actor,
    expected_version: int | None,
    now: datetime | None,
) -> RequestState:
    now = _now(now)
    subject = f"request {request_id}"
    with store.reading() as connection:
        seen = _request_row(connection, request_id)
    reason = _denial(actor, move, provider="", requester=seen.jurisdiction)
    if reason:
        _deny(store, actor, action=move.action, subject=subject, reason=reason, now=now)
    with store.transaction() as connection:
        where = [requests.c.id == request_id, requests.c.state == move.source]
        if expected_version is not None:
            where.append(requests.c.version == expected_version)
        changed = connection.execute(
            requests.update()
            .where(*where)
            .values(
                state=move.target,
                version=requests.c.version + 1,
                updated_by=actor.username,
                updated_at=now,
            )
        )
        if changed.rowcount != 1:
            raise _request_refusal(connection, request_id, move, expected_version)
        # Superseding first locks the proposed offers, so a commit of one of them that is
        # under way finishes before the check below reads the holding offers.
        superseded = _supersede(connection, offers.c.request_id == request_id, actor=actor, now=now)
        if move.action == "cancel":
            holding = connection.execute(
                sa.select(offers)
                .where(offers.c.request_id == request_id, offers.c.state.in_(HOLDING_STATES))
                .order_by(offers.c.id)
            ).all()
            if holding:
                listed = ", ".join(f"offer {o.id} is {o.state} (by {_who(o)})" for o in holding)
                raise InvalidTransition(
                    f"request {request_id} cannot be cancelled: {listed}; refuse or release "
                    f"those units first, or close the request"
                )
        row = _request_row(connection, request_id)
        audit.record(
            connection,
            actor=actor.username,
            action=move.audit_action,
            subject=subject,
            before={"state": move.source, "version": row.version - 1},
            after={
                "state": move.target,
                "version": row.version,
                "jurisdiction": row.jurisdiction,
                "superseded_offers": list(superseded),
            },
            now=now,
            readers=(row.jurisdiction,),
        )
    return RequestState(request_id, row.state, row.version, row.updated_by, row.updated_at)


def _request_row(connection: Connection, request_id: int) -> Any:
    row = connection.execute(sa.select(requests).where(requests.c.id == request_id)).first()
    if row is None:
        raise NotFound(f"request {request_id} does not exist")
    return row


def _request_refusal(
    connection: Connection, request_id: int, move: Transition, expected_version: int | None
) -> WorkflowError:
    row = _request_row(connection, request_id)
    who = f"{row.updated_by} ({row.jurisdiction}) at {_clock(row.updated_at)}"
    if row.state == move.source:
        return Conflict(
            f"request {request_id} changed since you saw it (version "
            f"{expected_version}): it is now version {row.version}, last changed "
            f"by {who}; look again before you {move.action} it"
        )
    if row.state == move.target or (
        expected_version is not None and row.version != expected_version
    ):
        return Conflict(f"request {request_id} was already {row.state} by {who}")
    return InvalidTransition(
        f"request {request_id} is {row.state} (by {who}); only an "
        f"{move.source} request can be {move.target}"
    )


def _supersede(
    connection: Connection, condition: sa.ColumnElement, *, actor: Actor, now: datetime
) -> tuple[int, ...]:
    """Mark the proposed offers matching *condition* superseded; their ids.

    They are locked in id order first (PostgreSQL), so two callers cannot deadlock."""
    ids = tuple(
        connection.execute(
            sa.select(offers.c.id)
            .where(condition, offers.c.state == PROPOSED)
            .order_by(offers.c.id)
            .with_for_update()
        ).scalars()
    )
    if ids:
        connection.execute(
            offers.update()
            .where(offers.c.id.in_(ids), offers.c.state == PROPOSED)
            .values(
                state=SUPERSEDED,
                version=offers.c.version + 1,
                updated_by=actor.username,
                updated_at=now,
            )
        )
    return ids


# --- Plans and offers ---------------------------------------------------------------------
@dataclass(frozen=True)
class _OpenLine:
    request_id: int
    requester: str
    incident_id: str
    type: str
    units: int
    remaining: int


def _open_lines(
    connection: Connection, scenario_id: int, *, open_only: bool = True
) -> list[_OpenLine]:
    """Request lines of a scenario with the units not yet filled."""
    query = (
        sa.select(request_lines, requests.c.jurisdiction)
        .join(requests, requests.c.id == request_lines.c.request_id)
        .where(requests.c.scenario_id == scenario_id)
        .order_by(request_lines.c.request_id, request_lines.c.id)
    )
    if open_only:
        query = query.where(requests.c.state == OPEN)
    filled = _filled(connection, scenario_id)
    return [
        _OpenLine(
            r.request_id,
            r.jurisdiction,
            r.incident_id,
            r.type,
            int(r.units),
            max(0, int(r.units) - filled.get((r.request_id, r.incident_id, r.type), 0)),
        )
        for r in connection.execute(query)
    ]


def _filled(connection: Connection, scenario_id: int) -> dict[tuple[int, str, str], int]:
    rows = connection.execute(
        sa.select(
            offers.c.request_id,
            offer_lines.c.incident_id,
            offer_lines.c.type,
            sa.func.sum(offer_lines.c.units).label("units"),
        )
        .join(offer_lines, offer_lines.c.offer_id == offers.c.id)
        .where(offers.c.scenario_id == scenario_id, offers.c.state.in_(FILLING_STATES))
        .group_by(offers.c.request_id, offer_lines.c.incident_id, offer_lines.c.type)
    )
    return {(r.request_id, r.incident_id, r.type): int(r.units) for r in rows}


def open_part(
    scenario: Scenario, *, free: dict[str, int], needs: dict[str, dict[str, int]]
) -> Scenario:
    """The part of a scenario still to be planned.

    Parameters
    ----------
    scenario : Scenario
    free : dict
        Resource id -> units not committed (a resource not listed has none free).
    needs : dict
        Incident id -> {type: units} still requested and not filled.

    Returns
    -------
    Scenario
        Resources with their free units only (records with none dropped) and incidents
        with the open needs of open requests only (those with none dropped).

    Notes
    -----
    The optimiser computes each jurisdiction's reserve from the units it is given, here
    the free ones: units committed abroad by an earlier plan are not counted against
    the reserve of the next, so successive plans together may send more abroad than
    the reserve share of the whole stock. Exact would be a cap per (jurisdiction, type)
    reduced by what is already committed abroad, which ``allocate`` does not take yet.
    """
    res = scenario.resources.copy()
    quantity = [int(free.get(str(r), 0)) for r in res["id"]]
    res["quantity"] = quantity
    res = res[[q > 0 for q in quantity]]
    inc = scenario.incidents.copy()
    open_needs = [dict(needs.get(str(i), {})) for i in inc["id"]]
    inc["needs"] = open_needs
    inc = inc[[bool(n) for n in open_needs]]
    return dataclasses.replace(scenario, resources=res, incidents=inc)


def plan_scope(actor: Actor) -> str | None:
    """Whose open requests *actor* plans: None for an admin (every requester's), else its
    own jurisdiction's (``""`` for an account bound to none: nothing).

    Only the requester's coordinator or an admin computes offers for a request (issue
    16): a plan supersedes the request's proposed offers and its audit rows name the
    units offered, so a jurisdiction that is not the requester (a third jurisdiction, or
    a provider that could serve it) neither replaces a requester's offers nor starts
    the planning of a request it has not been offered into.
    """
    if sees_everything(actor):
        return None
    return actor.jurisdiction or ""


def plan_offers(
    store: Store, scenario_name: str, *, actor: Actor, now: datetime | None = None
) -> PlanOutcome:
    """Plan what is still open of the requests *actor* may plan for, and turn the plan
    into offers.

    The requests planned are :func:`plan_scope`'s: an admin's plan covers every open
    request of the scenario, a coordinator's the open requests of its own jurisdiction.
    The stored scenario is reduced to what is still open (each resource's uncommitted
    units; each incident's units requested in those requests and not yet filled), the
    optimiser (:func:`mutualaid.allocation.allocate`) plans it, the plan is stored, the
    still-proposed offers of those requests (and only those) are superseded, and one
    offer is made per (request, providing jurisdiction).

    What the offers name stays within what their two parties may see: the incidents are
    the requester's own; a unit shared with nobody serves only its owner's requests
    (``home_only``) and a unit shared with partners can only go where an agreement lets
    it, i.e. to a partner. The audit rows are readable by the parties only
    (:mod:`mutualaid.store.audit`).

    Parameters
    ----------
    store : Store
    scenario_name : str
    actor : Actor
        A coordinator of a jurisdiction with an open request in the scenario, or an
        admin.
    now : datetime.datetime, optional

    Returns
    -------
    PlanOutcome

    Raises
    ------
    NotFound
    Denied
        Not a coordinator or an admin; or a coordinator whose jurisdiction has no open
        request in the scenario (recorded as ``access.denied``, naming no request).
    """
    from mutualaid.allocation import allocate

    now = _now(now)
    subject = f"scenario {scenario_name}"
    if not may(actor, PLANNER):
        _deny(
            store,
            actor,
            action="plan offers in",
            subject=subject,
            reason="only a coordinator or an admin can",
            now=now,
        )
    stored = _stored_scenario(store, scenario_name)
    scope = plan_scope(actor)
    with store.reading() as connection:
        free = {
            r.resource_id: int(r.quantity - r.committed)
            for r in connection.execute(sa.select(units).where(units.c.scenario_id == stored.id))
        }
        planned = [
            line
            for line in _open_lines(connection, stored.id)
            if scope is None or line.requester == scope
        ]
    if scope is not None and not planned:
        mine = scope or "the account's jurisdiction (it is bound to none)"
        _deny(
            store,
            actor,
            action="plan offers in",
            subject=subject,
            reason=f"{mine} has no open request in it; offers for a request are computed "
            f"by the requester's coordinator or an admin",
            now=now,
        )
    request_ids = sorted({line.request_id for line in planned})
    lines = [line for line in planned if line.remaining > 0]
    needs: dict[str, dict[str, int]] = defaultdict(dict)
    owner: dict[tuple[str, str], _OpenLine] = {}
    for line in lines:
        needs[line.incident_id][line.type] = (
            needs[line.incident_id].get(line.type, 0) + line.remaining
        )
        owner[(line.incident_id, line.type)] = line
    # Units shared with nobody ("owner" level, issue 6) serve their owner's own requests
    # only: an offer to another jurisdiction would name them. Partner-level units can
    # only go where an agreement lets them, i.e. to partners.
    levels = feature_levels(stored.scenario.resources, stored.layer_levels.get("resources", PUBLIC))
    home_only = {
        resource_id
        for resource_id, level in zip(stored.scenario.resources["id"].astype(str), levels)
        if level == OWNER
    }
    # The optimiser runs outside the write transaction (on SQLite that holds the store).
    plan = allocate(open_part(stored.scenario, free=free, needs=needs), home_only=home_only)
    body = plan.to_dict()
    versions = {kind: v.version for kind, v in sorted(stored.versions.items())}
    with store.transaction() as connection:
        still_open = set(
            connection.execute(
                sa.select(requests.c.id)
                .where(requests.c.id.in_(request_ids), requests.c.state == OPEN)
                .order_by(requests.c.id)
                .with_for_update()
            ).scalars()
        )
        plan_id = connection.execute(
            plans.insert()
            .values(
                scenario_id=stored.id,
                layer_versions=jsontext.dumps(versions),
                body=jsontext.dumps(body),
                computed_by=actor.username,
                computed_at=now,
            )
            .returning(plans.c.id)
        ).scalar_one()
        # Only the planned requests' proposed offers: another requester's stand.
        superseded = _supersede(
            connection, offers.c.request_id.in_(request_ids), actor=actor, now=now
        )
        grouped: dict[tuple[int, str], list[dict]] = defaultdict(list)
        for a in body["assignments"]:
            planned_line = owner.get((a["incident_id"], a["type"]))
            if planned_line is None or planned_line.request_id not in still_open:
                continue
            grouped[(planned_line.request_id, a["from_jurisdiction"])].append(
                {
                    "resource_id": a["resource_id"],
                    "incident_id": a["incident_id"],
                    "type": a["type"],
                    "units": int(a["units"]),
                    "minutes": float(a["minutes"]),
                }
            )
        made = []
        for (request_id, provider), offered in sorted(grouped.items()):
            requester = owner[(offered[0]["incident_id"], offered[0]["type"])].requester
            offer_id = connection.execute(
                offers.insert()
                .values(
                    scenario_id=stored.id,
                    plan_id=plan_id,
                    request_id=request_id,
                    provider=provider,
                    requester=requester,
                    state=PROPOSED,
                    version=1,
                    created_at=now,
                    updated_by=actor.username,
                    updated_at=now,
                )
                .returning(offers.c.id)
            ).scalar_one()
            connection.execute(offer_lines.insert(), [{"offer_id": offer_id, **x} for x in offered])
            made.append((int(offer_id), request_id, provider, requester, offered))
        summary = {
            k: body["summary"].get(k)
            for k in ("weighted_coverage", "unit_minutes", "units_assigned", "units_needed")
        }
        # The plan's row names the offers it made and superseded, all of them of the
        # planned requests: their requester reads it when there is one; a plan an admin
        # computed for several requesters is read by admins only.
        requesters = {line.requester for line in planned}
        audit.record(
            connection,
            actor=actor.username,
            action="plan.computed",
            subject=f"plan {plan_id}",
            after={
                "scenario": scenario_name,
                "layer_versions": versions,
                "summary": summary,
                "superseded_offers": list(superseded),
                "offers": [m[0] for m in made],
                "requests": request_ids,
            },
            now=now,
            readers=requesters if len(requesters) == 1 else (),
        )
        for offer_id, request_id, provider, requester, offered in made:
            audit.record(
                connection,
                actor=actor.username,
                action="offer.created",
                subject=f"offer {offer_id}",
                after={
                    "state": PROPOSED,
                    "version": 1,
                    "plan": int(plan_id),
                    "request": request_id,
                    "provider": provider,
                    "requester": requester,
                    "lines": offered,
                },
                now=now,
                readers=(provider, requester),
            )
    return PlanOutcome(int(plan_id), tuple(m[0] for m in made), superseded, plan)


# --- The board ----------------------------------------------------------------------------
def board(store: Store, scenario_name: str, *, viewer: Actor) -> Board:
    """A scenario's requests and offers, each with the actions *viewer* may take.

    Parameters
    ----------
    store : Store
    scenario_name : str
    viewer : Actor

    Returns
    -------
    Board
        Requests and offers in id order: for an admin all of them, for anyone else those
        its jurisdiction is part of (its own requests, offers it makes or receives, and
        the requests those offers answer).

    Raises
    ------
    NotFound
    """
    with store.reading() as connection:
        scenario_id = _scenario_id(connection, scenario_name)
        lines_by_request: dict[int, list[RequestLineView]] = defaultdict(list)
        for line in _open_lines(connection, scenario_id, open_only=False):
            lines_by_request[line.request_id].append(
                RequestLineView(line.incident_id, line.type, line.units, line.remaining)
            )
        offer_rows = connection.execute(
            sa.select(offers).where(offers.c.scenario_id == scenario_id).order_by(offers.c.id)
        ).all()
        olines: dict[int, list[OfferLineView]] = defaultdict(list)
        for r in connection.execute(
            sa.select(offer_lines)
            .join(offers, offers.c.id == offer_lines.c.offer_id)
            .where(offers.c.scenario_id == scenario_id)
            .order_by(offer_lines.c.id)
        ):
            olines[r.offer_id].append(
                OfferLineView(r.resource_id, r.incident_id, r.type, int(r.units), float(r.minutes))
            )
        request_rows = connection.execute(
            sa.select(requests).where(requests.c.scenario_id == scenario_id).order_by(requests.c.id)
        ).all()
    if not sees_everything(viewer):
        # A jurisdiction sees the requests and offers it is part of (as requester or as
        # provider), not the dealings of two others (issue 6: sharing).
        mine = viewer.jurisdiction
        offer_rows = [o for o in offer_rows if mine in (o.provider, o.requester)]
        involved = {o.request_id for o in offer_rows}
        request_rows = [r for r in request_rows if r.jurisdiction == mine or r.id in involved]
    holding = {o.request_id for o in offer_rows if o.state in HOLDING_STATES}
    request_views = tuple(
        RequestView(
            r.id,
            r.jurisdiction,
            r.state,
            r.version,
            r.note,
            r.created_by,
            r.created_at,
            r.updated_by,
            r.updated_at,
            tuple(lines_by_request.get(r.id, ())),
            request_actions(
                viewer, state=r.state, jurisdiction=r.jurisdiction, holds_units=r.id in holding
            ),
        )
        for r in request_rows
    )
    offer_views = tuple(
        OfferView(
            o.id,
            o.plan_id,
            o.request_id,
            o.provider,
            o.requester,
            o.state,
            o.version,
            o.created_at,
            o.updated_by,
            o.updated_at,
            tuple(olines.get(o.id, ())),
            offer_actions(viewer, state=o.state, provider=o.provider, requester=o.requester),
        )
        for o in offer_rows
    )
    viewer_actions = tuple(
        a
        for a, ok in (
            ("request", viewer.at_least("coordinator") and bool(viewer.jurisdiction)),
            ("plan", may(viewer, PLANNER)),
        )
        if ok
    )
    return Board(scenario_name, request_views, offer_views, viewer_actions)

"""The moves of offers and requests: commit, decline, accept, refuse, withdraw, arrive and
release an offer; create, close and cancel a request. Each is conditional on the state it
read and writes its audit row as the last statement of its transaction; a commit takes its
units with one conditional update per resource (:class:`~mutualaid.errors.UnitsTaken`
when another coordinator got there first).

Answers may be partial (issue 12, as EDXL-RM allows): a commit takes, per line, the units
the provider names (fewer than offered, or 0 to decline that line), an accept keeps, per
line, the units the requester names (0 refuses that line) and frees the rest. A line's
``units`` is always what the offer holds on it now, so what is not committed or not
accepted is open again for the next plan. Each move stamps its time on the offer
(:data:`TIME_OF_MOVE`).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mutualaid.access.actor import Actor
from mutualaid.errors import (
    Conflict,
    InvalidAnswer,
    InvalidRequest,
    InvalidTransition,
    NotFound,
    UnitsTaken,
    WorkflowError,
)
from mutualaid.store import audit
from mutualaid.store.database import Store
from mutualaid.store.tables import (
    offer_lines,
    offers,
    request_lines,
    requests,
    scenarios,
    units,
)
from mutualaid.store.workflow.records import (
    clock_text,
    denial,
    deny,
    line_dicts,
    offer_line_rows,
    offer_row,
    per_resource,
    stored_scenario,
    timestamp,
    who_changed,
)
from mutualaid.store.workflow.states import (
    COMMITTED,
    FREE,
    HOLDING_STATES,
    KEEP,
    OFFER_TRANSITIONS,
    OPEN,
    PROPOSED,
    REQUEST_TRANSITIONS,
    SUPERSEDED,
    TAKE,
    Transition,
)

if TYPE_CHECKING:
    from mutualaid.scenario.loading import Scenario


#: The offer column each move stamps with its time (issue 12: deployment over time).
TIME_OF_MOVE: dict[str, str] = {
    "commit": "committed_at",
    "accept": "accepted_at",
    "arrive": "arrived_at",
    "release": "released_at",
}


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


# --- Offers -------------------------------------------------------------------------------
def commit_offer(
    store: Store,
    offer_id: int,
    *,
    actor: Actor,
    expected_version: int | None = None,
    now: datetime | None = None,
    units: Mapping[int, int] | None = None,
) -> OfferState:
    """The provider commits the offer's units (proposed → committed), all of them or,
    per line, fewer.

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
    units : mapping of int to int, optional
        Offer line id (:attr:`OfferLineView.id`) → units to commit on it, from 0 (the
        line is declined) to the units offered; a line not named is committed whole.
        None commits every line whole. At least one unit must be committed (to commit
        none, decline the offer).

    Returns
    -------
    OfferState

    Raises
    ------
    NotFound, Denied, InvalidTransition, Conflict
    InvalidAnswer
        *units* names a line not of this offer, a negative or non-whole number, more
        than offered, or commits nothing; nothing was committed.
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
        answer=units,
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
    units: Mapping[int, int] | None = None,
) -> OfferState:
    """The requester accepts the committed units, now deployed (committed → accepted),
    all of them or, per line, fewer: the units not accepted are freed and their need is
    open again.

    Parameters
    ----------
    units : mapping of int to int, optional
        Offer line id → units to accept on it, from 0 (that line is refused) to the
        units committed on it; a line not named is accepted whole. None accepts every
        line whole. At least one unit must be accepted (to accept none, refuse the
        offer).

    See :func:`commit_offer` for the other parameters and the errors
    (:class:`~mutualaid.errors.InvalidAnswer` for *units* that do not fit).
    """
    return _offer_move(
        store,
        offer_id,
        OFFER_TRANSITIONS["accept"],
        actor=actor,
        expected_version=expected_version,
        now=now,
        answer=units,
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


def arrive_offer(
    store: Store,
    offer_id: int,
    *,
    actor: Actor,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> OfferState:
    """The accepted units arrived at the incident (accepted → on_scene), marked by a
    coordinator of either side; they stay held. See :func:`commit_offer`."""
    return _offer_move(
        store,
        offer_id,
        OFFER_TRANSITIONS["arrive"],
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
    """Deployed units are released and available again (accepted or on scene →
    released), by a coordinator of either side. See :func:`commit_offer`."""
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
    answer: Mapping[int, int] | None = None,
) -> OfferState:
    now = timestamp(now)
    subject = f"offer {offer_id}"
    # Provider and requester never change, so rights can be checked before the change.
    with store.reading() as connection:
        seen = offer_row(connection, offer_id)
    reason = denial(actor, move, provider=seen.provider, requester=seen.requester)
    if reason:
        deny(store, actor, action=move.action, subject=subject, reason=reason, now=now)
    with store.transaction() as connection:
        # The state change first and conditional: of two coordinators moving the same
        # offer, the second waits on the row (PostgreSQL) or the write lock (SQLite) and
        # then finds the state changed.
        # One conditional update per source state, so the state left is known exactly.
        left = None
        for source in move.sources:
            where = [offers.c.id == offer_id, offers.c.state == source]
            if expected_version is not None:
                where.append(offers.c.version == expected_version)
            values: dict[str, Any] = {
                "state": move.target,
                "version": offers.c.version + 1,
                "updated_by": actor.username,
                "updated_at": now,
            }
            if move.action in TIME_OF_MOVE:
                values[TIME_OF_MOVE[move.action]] = now
            changed = connection.execute(offers.update().where(*where).values(**values))
            if changed.rowcount == 1:
                left = source
                break
        if left is None:
            raise _offer_refusal(connection, offer_id, move, expected_version)
        row = offer_row(connection, offer_id)
        lines = offer_line_rows(connection, offer_id)
        if move.action in ("commit", "accept"):
            # What the answer leaves on each line; on accept, the rest is freed.
            kept = _answered(offer_id, lines, answer, move.action)
            freed = [(x.resource_id, int(x.units) - kept[x.id]) for x in lines]
            _set_line_units(connection, lines, kept, committing=move.action == "commit")
            lines = offer_line_rows(connection, offer_id)
            if move.action == "commit":
                moved = _move_units(connection, row, per_resource(lines), TAKE)
            else:
                moved = _move_units(connection, row, _summed(freed), FREE)
        else:
            moved = _move_units(connection, row, per_resource(lines), move.units)
        audit.record(
            connection,
            actor=actor.username,
            action=move.audit_action,
            subject=subject,
            before={"state": left, "version": row.version - 1},
            after={
                "state": move.target,
                "version": row.version,
                "provider": row.provider,
                "requester": row.requester,
                "request": row.request_id,
                "lines": line_dicts(lines),
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
    row = offer_row(connection, offer_id)
    if row.state in move.sources:
        return Conflict(
            f"offer {offer_id} changed since you saw it: it was last changed by "
            f"{who_changed(row)}; look again before you {move.action} it"
        )
    if row.state == move.target or (
        expected_version is not None and row.version != expected_version
    ):
        return Conflict(f"offer {offer_id} was already {row.state} by {who_changed(row)}")
    return InvalidTransition(
        f"offer {offer_id} is {row.state} (by {who_changed(row)}); only a "
        f"{move.sources_text} offer can be {move.target}"
    )


def _answered(
    offer_id: int, lines: list[Any], answer: Mapping[int, int] | None, action: str
) -> dict[int, int]:
    """Line id → the units a commit or accept leaves on each line of the offer: what
    *answer* names, else the whole line (the units offered on commit, committed on
    accept). :class:`InvalidAnswer` with every problem when *answer* does not fit."""
    most = {x.id: int(x.offered if action == "commit" else x.units) for x in lines}
    if answer is None:
        return most
    problems: list[str] = []
    by_id = {x.id: x for x in lines}
    for line_id in answer:
        if line_id not in by_id:
            problems.append(f"line {line_id!r} is not a line of offer {offer_id}")
    kept = dict(most)
    limit = "offered" if action == "commit" else "committed"
    for line_id, n in answer.items():
        line = by_id.get(line_id)
        if line is None:
            continue
        if (
            isinstance(n, bool)
            or not isinstance(n, numbers.Integral)
            or not 0 <= n <= most[line_id]
        ):
            problems.append(
                f"line {line_id} ({line.resource_id} → {line.incident_id}, {line.type}): "
                f"units must be a whole number from 0 to {most[line_id]} (the units "
                f"{limit}), got {n!r}"
            )
            continue
        kept[line_id] = int(n)
    if not problems and sum(kept.values()) == 0:
        whole = "decline" if action == "commit" else "refuse"
        problems.append(f"no units to {action}; to {action} none, {whole} the offer")
    if problems:
        done = OFFER_TRANSITIONS[action].target
        raise InvalidAnswer(f"offer {offer_id} was not {done}: " + "; ".join(problems))
    return kept


def _set_line_units(
    connection: Connection, lines: list[Any], kept: Mapping[int, int], *, committing: bool
) -> None:
    """Write what each line now holds (and, on commit, what was committed on it)."""
    rows = [
        {"line_id": x.id, "n": kept[x.id]}
        for x in lines
        if committing or kept[x.id] != int(x.units)
    ]
    if not rows:
        return
    values: dict[str, Any] = {"units": sa.bindparam("n")}
    if committing:
        values["committed"] = sa.bindparam("n")
    connection.execute(
        offer_lines.update().where(offer_lines.c.id == sa.bindparam("line_id")).values(**values),
        rows,
    )


def _summed(amounts: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Units per resource, sorted by resource id, only those above 0."""
    total: dict[str, int] = {}
    for resource_id, n in amounts:
        total[resource_id] = total.get(resource_id, 0) + n
    return sorted((r, n) for r, n in total.items() if n > 0)


def _move_units(
    connection: Connection, offer: Any, amounts: list[tuple[str, int]], mode: str
) -> list[dict]:
    """Take or free *amounts* (resource id, units; sorted by resource id, the order rows
    are locked in) of an offer, one resource at a time. Returns, per resource, the units
    moved and ``committed`` after."""
    if mode == KEEP:
        return []
    moved = []
    for resource_id, n in amounts:
        if n <= 0:
            continue  # a line committed or accepted at 0 holds nothing
        key = [units.c.scenario_id == offer.scenario_id, units.c.resource_id == resource_id]
        if mode == TAKE:
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
        if after is None and mode == TAKE:
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
            parts.append(f"{n} {verb} committed to offer {h.id} by {who_changed(h)}")
        else:
            parts.append(f"{n} {verb} deployed with offer {h.id} (accepted by {who_changed(h)})")
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
        A stored scenario (:func:`mutualaid.store.layer_store.save_scenario`).
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
    now = timestamp(now)
    if not (actor.at_least("coordinator") and actor.jurisdiction):
        deny(
            store,
            actor,
            action="request assistance in",
            subject=f"scenario {scenario_name}",
            reason="only a coordinator of the requesting jurisdiction can",
            now=now,
        )
    stored = stored_scenario(store, scenario_name)
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
    now = timestamp(now)
    subject = f"request {request_id}"
    with store.reading() as connection:
        seen = _request_row(connection, request_id)
    reason = denial(actor, move, provider="", requester=seen.jurisdiction)
    if reason:
        deny(store, actor, action=move.action, subject=subject, reason=reason, now=now)
    with store.transaction() as connection:
        (source,) = move.sources
        where = [requests.c.id == request_id, requests.c.state == source]
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
        superseded = supersede_offers(
            connection, offers.c.request_id == request_id, actor=actor, now=now
        )
        if move.action == "cancel":
            holding = connection.execute(
                sa.select(offers)
                .where(offers.c.request_id == request_id, offers.c.state.in_(HOLDING_STATES))
                .order_by(offers.c.id)
            ).all()
            if holding:
                listed = ", ".join(
                    f"offer {o.id} is {o.state} (by {who_changed(o)})" for o in holding
                )
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
            before={"state": source, "version": row.version - 1},
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
    who = f"{row.updated_by} ({row.jurisdiction}) at {clock_text(row.updated_at)}"
    if row.state in move.sources:
        return Conflict(
            f"request {request_id} changed since you saw it: it was last changed by "
            f"{who}; look again before you {move.action} it"
        )
    if row.state == move.target or (
        expected_version is not None and row.version != expected_version
    ):
        return Conflict(f"request {request_id} was already {row.state} by {who}")
    return InvalidTransition(
        f"request {request_id} is {row.state} (by {who}); only an "
        f"{move.sources_text} request can be {move.target}"
    )


def supersede_offers(
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

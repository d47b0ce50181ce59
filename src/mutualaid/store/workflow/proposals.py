""" "Compute offers": the optimiser's plan for the open requests of the person computing
(:func:`plan_scope`) turned into proposed offers, one per (request, providing
jurisdiction), superseding those requests' earlier proposals (issue 16).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mutualaid.access.actor import Actor
from mutualaid.access.sharing import OWNER, PUBLIC, feature_levels, sees_everything
from mutualaid.store import audit, jsontext
from mutualaid.store.database import Store
from mutualaid.store.tables import (
    offer_lines,
    offers,
    plans,
    request_lines,
    requests,
    units,
)
from mutualaid.store.workflow.held import held_in
from mutualaid.store.workflow.moves import supersede_offers
from mutualaid.store.workflow.records import deny, stored_scenario, timestamp
from mutualaid.store.workflow.states import FILLING_STATES, OPEN, PLANNER, PROPOSED, may

if TYPE_CHECKING:
    from mutualaid.allocation import Plan
    from mutualaid.scenario.loading import Scenario


# --- States -------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlanOutcome:
    """What :func:`plan_offers` stored: the plan's id, the new offers (in id order), the
    offers it superseded, and the plan itself."""

    plan_id: int
    offer_ids: tuple[int, ...]
    superseded: tuple[int, ...]
    plan: Plan


# --- Plans and offers ---------------------------------------------------------------------
@dataclass(frozen=True)
class _OpenLine:
    request_id: int
    requester: str
    incident_id: str
    type: str
    units: int
    remaining: int


def open_request_lines(
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
    The reserve caps are not computed from these free units alone: :func:`plan_offers`
    passes the held units (:func:`mutualaid.store.workflow.held_in`) to ``allocate``,
    which counts them in each owner's stock and, when abroad, against its cap.
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

    now = timestamp(now)
    subject = f"scenario {scenario_name}"
    if not may(actor, PLANNER):
        deny(
            store,
            actor,
            action="plan offers in",
            subject=subject,
            reason="only a coordinator or an admin can",
            now=now,
        )
    stored = stored_scenario(store, scenario_name)
    scope = plan_scope(actor)
    with store.reading() as connection:
        free = {
            r.resource_id: int(r.quantity - r.committed)
            for r in connection.execute(sa.select(units).where(units.c.scenario_id == stored.id))
        }
        held = held_in(connection, stored.id)
        planned = [
            line
            for line in open_request_lines(connection, stored.id)
            if scope is None or line.requester == scope
        ]
    if scope is not None and not planned:
        mine = scope or "the account's jurisdiction (it is bound to none)"
        deny(
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
    # The held units count against their owner's reserve cap (issue 12): no sequence of
    # plans and commits sends more abroad than the reserve allows.
    plan = allocate(
        open_part(stored.scenario, free=free, needs=needs), home_only=home_only, held=held
    )
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
        superseded = supersede_offers(
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

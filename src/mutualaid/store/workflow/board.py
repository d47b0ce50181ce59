"""The board a coordinator reads: the requests and offers its role and jurisdiction may
see, each with the moves it may make (:func:`board`).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from mutualaid.access.actor import Actor
from mutualaid.access.sharing import sees_everything
from mutualaid.store.database import Store
from mutualaid.store.layer_store.versioning import scenario_jurisdictions
from mutualaid.store.tables import (
    offer_lines,
    offers,
    requests,
)
from mutualaid.store.workflow.held import STAGE_OF_STATE, eta_of
from mutualaid.store.workflow.proposals import open_request_lines
from mutualaid.store.workflow.records import scenario_id_of
from mutualaid.store.workflow.states import (
    HOLDING_STATES,
    PLANNER,
    may,
    offer_actions,
    request_actions,
)

if TYPE_CHECKING:
    pass


# --- States -------------------------------------------------------------------------------
@dataclass(frozen=True)
class RequestLineView:
    """A request line and the units of it not yet filled by the units committed,
    accepted, on scene or released on its offers' lines (after a partial answer, only
    what the lines hold)."""

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
    """Units of one resource offered to one incident.

    ``units`` is what the line holds now (what was offered while the offer is proposed,
    then what was committed, then what was accepted); ``offered`` what the plan
    proposed, ``committed`` what the provider committed (None before); ``id`` names the
    line in a partial commit or accept; ``eta`` is the estimated arrival (commit time +
    ``minutes``, UTC; None before the commit and for a line that holds no units).
    """

    resource_id: str
    incident_id: str
    type: str
    units: int
    minutes: float
    id: int = 0
    offered: int = 0
    committed: int | None = None
    eta: datetime | None = None


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
    committed_at: datetime | None = None
    accepted_at: datetime | None = None
    arrived_at: datetime | None = None
    released_at: datetime | None = None

    @property
    def units(self) -> int:
        """Units the offer holds in all (offered while proposed, then committed, then
        accepted)."""
        return sum(line.units for line in self.lines)

    @property
    def offered(self) -> int:
        """Units the plan offered in all."""
        return sum(line.offered for line in self.lines)

    @property
    def stage(self) -> str | None:
        """Where its held units are: ``committed``, ``en_route`` (accepted) or
        ``on_scene`` (:data:`mutualaid.allocation.held.STAGES`); None when it holds none."""
        return STAGE_OF_STATE.get(self.state)


@dataclass(frozen=True)
class Board:
    """A scenario's requests and offers as one viewer sees them.

    ``viewer_actions`` holds ``"request"`` when the viewer may request assistance (a
    coordinator whose jurisdiction the scenario holds) and
    ``"plan"`` when the viewer may compute offers (a coordinator: for its own
    jurisdiction's open requests, :func:`plan_scope`; without one it is refused).
    """

    scenario: str
    requests: tuple[RequestView, ...]
    offers: tuple[OfferView, ...]
    viewer_actions: tuple[str, ...]


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
        scenario_id = scenario_id_of(connection, scenario_name)
        lines_by_request: dict[int, list[RequestLineView]] = defaultdict(list)
        for line in open_request_lines(connection, scenario_id, open_only=False):
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
                OfferLineView(
                    r.resource_id,
                    r.incident_id,
                    r.type,
                    int(r.units),
                    float(r.minutes),
                    id=int(r.id),
                    offered=int(r.offered),
                    committed=None if r.committed is None else int(r.committed),
                )
            )
        request_rows = connection.execute(
            sa.select(requests).where(requests.c.scenario_id == scenario_id).order_by(requests.c.id)
        ).all()
        # Issue 13: a coordinator requests for its jurisdiction only in a scenario that
        # holds it (a DE-NW coordinator has nothing to request on Lake Chad).
        holds_own = bool(viewer.jurisdiction) and (
            viewer.jurisdiction in scenario_jurisdictions(connection, scenario_id)
        )
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
            tuple(
                # A line committed or accepted at 0 holds nothing and arrives nowhere.
                dataclasses.replace(x, eta=eta_of(o.committed_at, x.minutes) if x.units else None)
                for x in olines.get(o.id, ())
            ),
            offer_actions(viewer, state=o.state, provider=o.provider, requester=o.requester),
            committed_at=o.committed_at,
            accepted_at=o.accepted_at,
            arrived_at=o.arrived_at,
            released_at=o.released_at,
        )
        for o in offer_rows
    )
    viewer_actions = tuple(
        a
        for a, ok in (
            ("request", viewer.at_least("coordinator") and holds_own),
            ("plan", may(viewer, PLANNER)),
        )
        if ok
    )
    return Board(scenario_name, request_views, offer_views, viewer_actions)

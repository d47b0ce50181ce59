"""The units the workflow holds in a scenario, read as :class:`~mutualaid.allocation.held.Held`
(issue 12): every line of every offer that is committed or deployed, with its stage
(``committed``; ``en_route`` once accepted; ``on_scene`` once arrived) and its estimated
arrival. A line holds its ``units``: what was committed, then what was accepted, so a
partial answer's rest is not held (and is open for the next plan).

Every plan, figure, map and export starts from what is still free and still needed
(:func:`mutualaid.allocation.held.free_part`); this is the one place the held units are
read from the store. One indexed query per call.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mutualaid.allocation import held
from mutualaid.allocation.held import Held, HeldLine, held_of
from mutualaid.store.database import Store
from mutualaid.store.tables import offer_lines, offers, scenarios
from mutualaid.store.workflow.states import ACCEPTED, COMMITTED, HOLDING_STATES, ON_SCENE

#: The stage of an offer's units in each holding state.
STAGE_OF_STATE: dict[str, str] = {
    COMMITTED: held.COMMITTED,
    ACCEPTED: held.EN_ROUTE,
    ON_SCENE: held.ON_SCENE,
}


def eta_of(committed_at: datetime | None, minutes: float) -> datetime | None:
    """The estimated arrival of a line: its commit time + its trip's minutes (UTC);
    None before the commit (or for offers committed before migration 0006 recorded
    the time)."""
    if committed_at is None:
        return None
    return committed_at + timedelta(minutes=float(minutes))


def held_in(connection: Connection, scenario_id: int) -> Held:
    """Every held line of the scenario with id *scenario_id*, in a fixed order."""
    rows = connection.execute(
        sa.select(
            offers.c.id,
            offers.c.state,
            offers.c.provider,
            offers.c.requester,
            offers.c.committed_at,
            offer_lines.c.resource_id,
            offer_lines.c.incident_id,
            offer_lines.c.type,
            offer_lines.c.units,
            offer_lines.c.minutes,
        )
        .join(offer_lines, offer_lines.c.offer_id == offers.c.id)
        .where(
            offers.c.scenario_id == scenario_id,
            offers.c.state.in_(HOLDING_STATES),
            offer_lines.c.units > 0,
        )
    )
    return held_of(
        HeldLine(
            offer_id=int(r.id),
            resource_id=r.resource_id,
            incident_id=r.incident_id,
            type=r.type,
            units=int(r.units),
            minutes=float(r.minutes),
            from_jurisdiction=r.provider,
            to_jurisdiction=r.requester,
            stage=STAGE_OF_STATE.get(r.state, held.COMMITTED),
            eta=eta_of(r.committed_at, r.minutes),
        )
        for r in rows
    )


def held_lines(store: Store, scenario_name: str) -> Held:
    """The units the workflow holds in the scenario named *scenario_name* (none when
    there is no such scenario).

    Parameters
    ----------
    store : Store
    scenario_name : str

    Returns
    -------
    Held
    """
    with store.reading() as connection:
        found = connection.execute(
            sa.select(scenarios.c.id).where(scenarios.c.name == scenario_name)
        ).first()
        return Held() if found is None else held_in(connection, found.id)

"""Units already held by the workflow: committed to an offer or deployed (issue 12).

A plan is made from what is still free and still needed. The workflow's offers that
hold units (committed by their provider, or accepted and deployed) are read from the
store as :class:`HeldLine` rows (:func:`mutualaid.store.workflow.held_lines`); this
module, pure and without the store, turns them into the part of a scenario still to be
planned (:func:`free_part`) and into what each jurisdiction already has abroad, which
the reserve cap of contract section 2 counts (:func:`abroad_units`,
:func:`stock_units`; :func:`mutualaid.allocation.allocate` takes them as ``held``)::

    held = Held(lines)
    plan = allocate(free_part(scenario, held), held=held)

so that no sequence of plans, commits and releases sends more of a jurisdiction's
units of a type abroad than floor((1 - reserve) x its available units of the type),
the held ones included.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from mutualaid.scenario.loading import Scenario

#: The stages of held units, in the order they happen. ``committed``: the provider
#: committed them, the requester has not accepted yet; ``en_route``: accepted and on
#: their way (deployed); ``on_scene``: arrived (deployed).
COMMITTED = "committed"
EN_ROUTE = "en_route"
ON_SCENE = "on_scene"
STAGES: tuple[str, ...] = (COMMITTED, EN_ROUTE, ON_SCENE)
#: The stages in which units are deployed (the requester accepted them).
DEPLOYED_STAGES: tuple[str, ...] = (EN_ROUTE, ON_SCENE)


@dataclass(frozen=True)
class HeldLine:
    """Units of one resource held for one incident by one offer.

    Parameters
    ----------
    offer_id : int
        The offer holding them.
    resource_id, incident_id, type : str
    units : int
        Units held (> 0).
    minutes : float
        The trip's minutes, as planned.
    from_jurisdiction : str
        The provider: the resource's owner.
    to_jurisdiction : str
        The requester: the incident's jurisdiction.
    stage : str
        One of :data:`STAGES`.
    eta : datetime.datetime or None
        The estimated arrival (commit time + minutes), UTC; None when not known.
    """

    offer_id: int
    resource_id: str
    incident_id: str
    type: str
    units: int
    minutes: float
    from_jurisdiction: str
    to_jurisdiction: str
    stage: str = COMMITTED
    eta: datetime | None = None

    @property
    def deployed(self) -> bool:
        """True once the requester accepted the units (en route or on scene)."""
        return self.stage in DEPLOYED_STAGES

    @property
    def abroad(self) -> bool:
        """True when the units serve an incident outside their owner's jurisdiction."""
        return self.from_jurisdiction != self.to_jurisdiction


@dataclass(frozen=True)
class Held:
    """Every line of units held in one scenario (none: an empty tuple).

    Examples
    --------
    >>> line = HeldLine(1, "R1", "I1", "boat", 2, 30.0, "DE-NW", "NL-LI")
    >>> Held((line,)).units_of_resource()
    {'R1': 2}
    >>> Held((line,)).abroad()
    {('DE-NW', 'boat'): 2}
    """

    lines: tuple[HeldLine, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.lines)

    @property
    def key(self) -> str:
        """A short hash of every line (for caches): it changes with any move that
        takes, frees or advances units."""
        text = "\n".join(
            f"{x.offer_id}|{x.resource_id}|{x.incident_id}|{x.type}|{x.units}|{x.stage}"
            for x in sorted(self.lines, key=_order)
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16] if text else ""

    def units_of_resource(self) -> dict[str, int]:
        """Units held per resource id."""
        total: dict[str, int] = defaultdict(int)
        for x in self.lines:
            total[x.resource_id] += x.units
        return dict(total)

    def units_for_need(self) -> dict[tuple[str, str], int]:
        """Units held per (incident id, type): help already on its way or there."""
        total: dict[tuple[str, str], int] = defaultdict(int)
        for x in self.lines:
            total[(x.incident_id, x.type)] += x.units
        return dict(total)

    def abroad(self) -> dict[tuple[str, str], int]:
        """Units held abroad per (owning jurisdiction, type)."""
        total: dict[tuple[str, str], int] = defaultdict(int)
        for x in self.lines:
            if x.abroad:
                total[(x.from_jurisdiction, x.type)] += x.units
        return dict(total)

    def stock(self) -> dict[tuple[str, str], int]:
        """Units held per (owning jurisdiction, type), at home and abroad: part of the
        owner's available units of the type, though no longer free."""
        total: dict[tuple[str, str], int] = defaultdict(int)
        for x in self.lines:
            total[(x.from_jurisdiction, x.type)] += x.units
        return dict(total)


def _order(line: HeldLine) -> tuple:
    return (line.offer_id, line.resource_id, line.incident_id, line.type)


def held_of(lines: Iterable[HeldLine]) -> Held:
    """A :class:`Held` of *lines*, in a fixed order (offer, resource, incident, type)."""
    return Held(tuple(sorted(lines, key=_order)))


def free_part(scenario: Scenario, held: Held) -> Scenario:
    """The part of *scenario* still to be planned: each resource's units not held (a
    record with none left is dropped) and each incident's needs less the units held for
    it (a type with none left is dropped; the incident stays, with its status).

    Parameters
    ----------
    scenario : Scenario
        The whole scenario, as stored (or as a person may see it).
    held : Held
        The units the workflow holds in it.

    Returns
    -------
    Scenario
        The same scenario when nothing is held.
    """
    if not held:
        return scenario
    taken = held.units_of_resource()
    resources = scenario.resources
    if taken:
        ids = resources["id"].astype(str)
        quantity = pd.to_numeric(resources["quantity"]).astype("int64")
        left = quantity - ids.map(lambda r: taken.get(r, 0)).astype("int64")
        resources = resources.assign(quantity=left.clip(lower=0))
        resources = resources[resources["quantity"] > 0]
    served = held.units_for_need()
    incidents = scenario.incidents
    if served:
        incidents = incidents.assign(
            needs=[_less(str(i), n, served) for i, n in zip(incidents["id"], incidents["needs"])]
        )
    return dataclasses.replace(scenario, resources=resources, incidents=incidents)


def _less(incident_id: str, needs: object, served: Mapping[tuple[str, str], int]) -> dict:
    if not isinstance(needs, Mapping):
        return {}
    left = {}
    for rtype, n in needs.items():
        rest = int(n) - served.get((incident_id, str(rtype)), 0)
        if rest > 0:
            left[str(rtype)] = rest
    return left

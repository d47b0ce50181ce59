"""The figures of the operation, computed in one place (issue 12).

Every page and export that shows how the operation stands (Overview's headline,
Allocation's summary, the Briefing and its HTML export) takes its numbers from
:func:`operation_figures`, so that one label means one number everywhere. The help an
incident gets has three parts, shown apart:

- *deployed*: units the requester accepted through the workflow (en route or on scene);
- *committed*: units a provider committed that the requester has not accepted yet;
- *proposed*: units the current plan would send from what is still free.

Held help (deployed and committed) is counted where it goes: a line counts when its
incident is shown (the requester sees the help its incidents get, also from a
resource it may not see). The plan's proposals count when both ends are shown, as the
map draws them. The glossary (``docs/glossary.md``) defines each figure in words.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from mutualaid.allocation.held import ON_SCENE, Held
from mutualaid.display import display_text
from mutualaid.figures.plan import jurisdiction_countries, plan_dict
from mutualaid.scenario.loading import Scenario
from mutualaid.vocabulary import number


@dataclass(frozen=True)
class OperationFigures:
    """How the operation stands: the figures every page and export shows.

    Parameters
    ----------
    active_incidents : int
        Incidents shown whose status is active.
    units_needed : int
        Units the active incidents shown need, in all (before any help).
    units_deployed : int
        Units accepted through the workflow, en route or on scene, for the incidents
        shown (``units_en_route + units_on_scene``).
    units_en_route, units_on_scene : int
        The deployed units on their way, and arrived.
    units_committed : int
        Units committed by a provider and not yet accepted by the requester.
    units_proposed : int
        Units the current plan proposes from what is still free.
    units_short : int
        Units still missing for the active incidents shown once the deployed,
        committed and proposed help is counted.
    need_covered : float or None
        Severity-weighted share (0-1) of the active incidents' needs that deployed and
        committed units cover; None when they need nothing.
    need_met : float or None
        The same share with the plan's proposals too: what the picture is once the
        plan is carried out.
    units_leaving_jurisdiction : int
        Deployed, committed and proposed units serving an incident outside their
        owner's jurisdiction.
    units_across_national_borders : int
        Of those, the units whose owner is in another country than the incident.
    """

    active_incidents: int
    units_needed: int
    units_deployed: int
    units_en_route: int
    units_on_scene: int
    units_committed: int
    units_proposed: int
    units_short: int
    need_covered: float | None
    need_met: float | None
    units_leaving_jurisdiction: int
    units_across_national_borders: int

    @property
    def units_held(self) -> int:
        """Deployed and committed units: no longer free."""
        return self.units_deployed + self.units_committed


def feature_ids(frame: pd.DataFrame) -> set[str]:
    """The ids of a layer's features, as text (none without an ``id`` column)."""
    return {display_text(v) for v in frame["id"]} if "id" in frame.columns else set()


def _active_needs(
    incidents: pd.DataFrame, types: set[str]
) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """Needs of the active incidents per (incident, type), and each one's severity."""
    needs: dict[tuple[str, str], int] = {}
    severity: dict[str, int] = {}
    if "id" not in incidents.columns:
        return needs, severity
    status = (
        incidents["status"].map(display_text)
        if "status" in incidents.columns
        else pd.Series("active", index=incidents.index)
    )
    levels = pd.to_numeric(incidents.get("severity"), errors="coerce")
    column = incidents["needs"] if "needs" in incidents.columns else [None] * len(incidents)
    for iid, state, level, wanted in zip(incidents["id"], status, levels, column):
        if state != "active":
            continue
        key = display_text(iid)
        severity[key] = 0 if pd.isna(level) else int(level)
        for rtype, n in (wanted if isinstance(wanted, Mapping) else {}).items():
            if (not types or str(rtype) in types) and int(n) > 0:
                needs[(key, str(rtype))] = int(n)
    return needs, severity


def operation_figures(
    scenario: Scenario,
    held: Held,
    plan: Mapping[str, Any] | Any,
    *,
    resource_types: Sequence[str] = (),
) -> OperationFigures:
    """The operation's figures for the incidents and resources *scenario* shows.

    Parameters
    ----------
    scenario : Scenario
        The whole scenario as the person may see it (its needs before any help), or
        the part a filter keeps.
    held : Held
        The units the workflow holds (:func:`mutualaid.store.workflow.held_lines`).
    plan : Plan or dict
        The plan of what is still free and still needed
        (:func:`mutualaid.allocation.held.free_part`).
    resource_types : sequence of str
        Only these types count (every type when empty).

    Returns
    -------
    OperationFigures
    """
    types = {str(t) for t in resource_types}
    incidents = feature_ids(scenario.incidents)
    resources = feature_ids(scenario.resources)
    countries = jurisdiction_countries(scenario.jurisdictions)
    needs, severity = _active_needs(scenario.incidents, types)

    helped: dict[tuple[str, str], int] = defaultdict(int)  # deployed + committed
    proposed: dict[tuple[str, str], int] = defaultdict(int)
    en_route = on_scene = committed = leaving = national = 0
    for line in held.lines:
        if line.incident_id not in incidents or (types and line.type not in types):
            continue
        helped[(line.incident_id, line.type)] += line.units
        if line.stage == ON_SCENE:
            on_scene += line.units
        elif line.deployed:
            en_route += line.units
        else:
            committed += line.units
        if line.abroad:
            leaving += line.units
            if countries.get(line.from_jurisdiction) != countries.get(line.to_jurisdiction):
                national += line.units
    units_proposed = 0
    for row in plan_dict(plan).get("assignments") or []:
        iid, rtype, n = str(row["incident_id"]), str(row["type"]), int(row["units"])
        if iid not in incidents or str(row["resource_id"]) not in resources:
            continue
        if types and rtype not in types:
            continue
        proposed[(iid, rtype)] += n
        units_proposed += n
        src, dst = str(row["from_jurisdiction"]), str(row["to_jurisdiction"])
        if src != dst:
            leaving += n
            if countries.get(src) != countries.get(dst):
                national += n

    weight_needed = weight_covered = weight_met = 0
    short = 0
    for (iid, rtype), n in needs.items():
        level = severity.get(iid, 0)
        covered = min(n, helped.get((iid, rtype), 0))
        met = min(n, covered + proposed.get((iid, rtype), 0))
        weight_needed += level * n
        weight_covered += level * covered
        weight_met += level * met
        short += n - met
    return OperationFigures(
        active_incidents=len(severity),
        units_needed=sum(needs.values()),
        units_deployed=en_route + on_scene,
        units_en_route=en_route,
        units_on_scene=on_scene,
        units_committed=committed,
        units_proposed=units_proposed,
        units_short=short,
        need_covered=(weight_covered / weight_needed) if weight_needed else None,
        need_met=(weight_met / weight_needed) if weight_needed else None,
        units_leaving_jurisdiction=leaving,
        units_across_national_borders=national,
    )


def share_text(share: float | None) -> str:
    """A severity-weighted share as people read it (``"87.2 %"``; ``"-"`` with no need)."""
    return "-" if share is None else f"{share * 100:.1f} %"


def figure_labels(figures: OperationFigures) -> list[tuple[str, str, str]]:
    """The operation's figures as (label, value, help) text, in display order: the
    same labels on every page and in the briefing's export (docs/glossary.md)."""
    return [
        ("Active incidents", number(figures.active_incidents), GLOSSARY["Active incidents"]),
        (
            "Need met",
            share_text(figures.need_met),
            GLOSSARY["Need met"],
        ),
        ("Need covered now", share_text(figures.need_covered), GLOSSARY["Need covered now"]),
        (
            "Units deployed",
            number(figures.units_deployed),
            GLOSSARY["Units deployed"],
        ),
        ("Units committed", number(figures.units_committed), GLOSSARY["Units committed"]),
        ("Units proposed", number(figures.units_proposed), GLOSSARY["Units proposed"]),
        (
            "Units short / needed",
            f"{number(figures.units_short)} / {number(figures.units_needed)}",
            GLOSSARY["Units short / needed"],
        ),
        (
            "Units leaving their jurisdiction",
            number(figures.units_leaving_jurisdiction),
            GLOSSARY["Units leaving their jurisdiction"],
        ),
        (
            "Units across national borders",
            number(figures.units_across_national_borders),
            GLOSSARY["Units across national borders"],
        ),
    ]


#: Each figure's label and its meaning, as the glossary (docs/glossary.md) says it.
GLOSSARY: dict[str, str] = {
    "Active incidents": "Incidents shown whose status is active.",
    "Need met": (
        "Severity-weighted share of the active incidents' needs met by the units deployed, "
        "committed and proposed by the current plan."
    ),
    "Need covered now": (
        "Severity-weighted share of the active incidents' needs met by the units deployed "
        "and committed through the workflow (without the plan's proposals)."
    ),
    "Units deployed": (
        "Units the requester accepted through the workflow, en route or on scene, for the "
        "incidents shown."
    ),
    "Units committed": "Units a provider committed that the requester has not accepted yet.",
    "Units proposed": (
        "Units the current plan proposes from what is still free (not yet committed)."
    ),
    "Units short / needed": (
        "Units still missing once deployed, committed and proposed help is counted, of the "
        "units the active incidents need in all."
    ),
    "Units leaving their jurisdiction": (
        "Deployed, committed and proposed units serving an incident outside their owner's "
        "jurisdiction."
    ),
    "Units across national borders": (
        "Of the units leaving their jurisdiction, those whose owner is in another country "
        "than the incident."
    ),
    "Mean response (proposed)": (
        "Mean travel time, in minutes, of the units the current plan proposes (border "
        "delays included), weighted by units."
    ),
    "Worst response (proposed)": (
        "The longest travel time, in minutes, of a unit the current plan proposes."
    ),
    "Unit-minutes": (
        "The sum over the current plan's proposals of units times travel minutes: what the "
        "plan minimises once the need met is as high as it can be."
    ),
    "Solve seconds": "How long the optimiser took to make the current plan.",
}

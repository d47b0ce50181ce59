"""The operations picture: a scenario narrowed by filters, and its headline figures.

Pure functions, no Streamlit: the overview page (``pages/overview.py``) applies the
filters a coordinator picked to the scenario's frames *before* its map is built, and
shows :func:`headline_figures` above it.

    filters = Filters(hazards=("flood",), severities=(4, 5))
    shown = apply_filters(scenario, filters)
    figures = headline_figures(shown, plan)
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from mutualaid.display import display_text
from mutualaid.figures.operation import feature_ids
from mutualaid.figures.plan import assignments_frame, unmet_frame
from mutualaid.scenario.loading import Scenario


@dataclass(frozen=True)
class Filters:
    """What the map and figures show; an empty choice means "all".

    Parameters
    ----------
    hazards : tuple of str
        Incident hazards.
    severities : tuple of int
        Incident severities.
    statuses : tuple of str
        Incident statuses (active, contained, closed).
    resource_types : tuple of str
        Resource types (resources; the plan's units and needs of these types).
    jurisdictions : tuple of str
        Jurisdiction ids: incidents in them, resources owned by them.
    """

    hazards: tuple[str, ...] = ()
    severities: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    resource_types: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()

    def key(self) -> str:
        """A stable text key (sorted choices), for caches."""
        return json.dumps(
            {k: sorted(map(str, v)) for k, v in dataclasses.asdict(self).items()}, sort_keys=True
        )


def _choices(frame: pd.DataFrame, column: str) -> list[str]:
    if column not in frame.columns:
        return []
    return sorted({display_text(v) for v in frame[column] if display_text(v)})


def filter_options(scenario: Scenario) -> dict[str, list[Any]]:
    """The values each filter can take in this scenario (as in :class:`Filters`)."""
    severities = (
        sorted(
            {
                int(v)
                for v in pd.to_numeric(scenario.incidents.get("severity"), errors="coerce").dropna()
            }
        )
        if "severity" in scenario.incidents.columns
        else []
    )
    return {
        "hazards": _choices(scenario.incidents, "hazard"),
        "severities": severities,
        "statuses": _choices(scenario.incidents, "status"),
        "resource_types": _choices(scenario.resources, "type"),
        "jurisdictions": _choices(scenario.jurisdictions, "id"),
    }


def _keep(frame: pd.DataFrame, column: str, chosen: Sequence[Any]) -> pd.Series:
    """Rows whose *column* is one of *chosen* (every row when nothing is chosen)."""
    if not chosen:
        return pd.Series(True, index=frame.index)
    if column not in frame.columns:
        return pd.Series(False, index=frame.index)
    wanted = {display_text(v) for v in chosen}
    return frame[column].map(display_text).isin(wanted)


def apply_filters(scenario: Scenario, filters: Filters) -> Scenario:
    """The scenario with only the incidents and resources the filters keep.

    Jurisdictions, agreements and travel times are kept whole (the map needs every
    outline for context). Kept rows are renumbered from 0, as the map's features are.

    Examples
    --------
    >>> apply_filters(scenario, Filters(hazards=("flood",))).incidents  # doctest: +SKIP
    """
    incidents = scenario.incidents
    keep = (
        _keep(incidents, "hazard", filters.hazards)
        & _keep(incidents, "severity", filters.severities)
        & _keep(incidents, "status", filters.statuses)
        & _keep(incidents, "jurisdiction", filters.jurisdictions)
    )
    resources = scenario.resources
    keep_r = _keep(resources, "type", filters.resource_types) & _keep(
        resources, "jurisdiction", filters.jurisdictions
    )
    return dataclasses.replace(
        scenario,
        incidents=incidents[keep].reset_index(drop=True),
        resources=resources[keep_r].reset_index(drop=True),
    )


def shown_assignments(plan: Any, scenario: Scenario, filters: Filters) -> pd.DataFrame:
    """The plan's assignments between the incidents and resources *scenario* holds
    (already filtered), of the chosen resource types."""
    frame = assignments_frame(plan)
    keep = frame["incident_id"].isin(feature_ids(scenario.incidents)) & frame["resource_id"].isin(
        feature_ids(scenario.resources)
    )
    if filters.resource_types:
        keep &= frame["type"].isin({str(t) for t in filters.resource_types})
    return frame[keep].reset_index(drop=True)


def unmet_units(plan: Any, scenario: Scenario, filters: Filters) -> dict[str, int]:
    """Units still short per incident id, for the incidents shown and chosen types."""
    frame = unmet_frame(plan)
    keep = frame["incident_id"].isin(feature_ids(scenario.incidents)) & (frame["units"] > 0)
    if filters.resource_types:
        keep &= frame["type"].isin({str(t) for t in filters.resource_types})
    return {str(k): int(v) for k, v in frame[keep].groupby("incident_id")["units"].sum().items()}


@dataclass(frozen=True)
class Headline:
    """The figures above the operations map.

    Parameters
    ----------
    active_incidents : int
        Incidents shown whose status is active.
    units_deployed : int
        Units of the resources shown already assigned (status ``assigned``) plus the
        units the current plan sends.
    need_met : float or None
        Severity-weighted share (0-1) of the shown active incidents' needs the plan
        meets; None when they need nothing.
    cross_border_units : int
        Units the plan sends across a jurisdiction's border.
    """

    active_incidents: int
    units_deployed: int
    need_met: float | None
    cross_border_units: int


def _severity_by_id(incidents: pd.DataFrame) -> dict[str, int]:
    if "severity" not in incidents.columns or "id" not in incidents.columns:
        return {}
    levels = pd.to_numeric(incidents["severity"], errors="coerce").fillna(0).astype(int)
    return {display_text(i): int(s) for i, s in zip(incidents["id"], levels)}


def headline_figures(
    scenario: Scenario, plan: Mapping[str, Any] | Any, *, filters: Filters = Filters()
) -> Headline:
    """The headline figures of the (filtered) scenario under the current plan.

    Parameters
    ----------
    scenario : Scenario
        As shown: :func:`apply_filters` already applied.
    plan : Plan or dict
        The plan of the whole scenario (:func:`mutualaid.allocation.allocate`).
    filters : Filters
        The filters applied (the resource types also narrow the plan's units and needs).
    """
    incidents, resources = scenario.incidents, scenario.resources
    status = (
        incidents["status"].map(display_text)
        if "status" in incidents.columns
        else pd.Series("active", index=incidents.index)
    )
    active = int((status == "active").sum())
    assigned = 0
    if {"status", "quantity"} <= set(resources.columns):
        on_duty = resources["status"].map(display_text) == "assigned"
        assigned = int(
            pd.to_numeric(resources.loc[on_duty, "quantity"], errors="coerce").fillna(0).sum()
        )
    sent = shown_assignments(plan, scenario, filters)
    severity = _severity_by_id(incidents)
    delivered = sum(severity.get(i, 0) * int(u) for i, u in zip(sent["incident_id"], sent["units"]))
    short_frame = unmet_frame(plan)
    short_frame = short_frame[short_frame["incident_id"].isin(set(severity))]
    if filters.resource_types:
        short_frame = short_frame[
            short_frame["type"].isin({str(t) for t in filters.resource_types})
        ]
    short = sum(
        severity.get(i, 0) * int(u)
        for i, u in zip(short_frame["incident_id"], short_frame["units"])
    )
    needed = delivered + short
    return Headline(
        active_incidents=active,
        units_deployed=assigned + int(sent["units"].sum()),
        need_met=(delivered / needed) if needed else None,
        cross_border_units=int(sent.loc[sent["cross_border"], "units"].sum()),
    )


def shown_flows(flows: Mapping[str, Any], assignments: pd.DataFrame) -> dict[str, Any]:
    """The flow lines (``flows_geojson``) of the assignments shown."""
    pairs = set(zip(assignments["resource_id"], assignments["incident_id"], assignments["type"]))
    kept = []
    for feature in (flows or {}).get("features") or []:
        props = feature.get("properties") or {}
        pair = (
            display_text(props.get("resource_id")),
            display_text(props.get("incident_id")),
            display_text(props.get("type")),
        )
        if pair in pairs:
            kept.append(feature)
    return {"type": "FeatureCollection", "features": kept}

"""The plan: assignments, unmet needs with reasons, excluded features and a summary.

:meth:`Plan.to_dict` gives the contract's JSON (section 3): ``assignments``, ``unmet`` and
``summary`` with exactly the contract's keys, plus extra keys the contract allows
(``excluded``; per assignment the ``agreement`` used, ``travel_minutes``,
``border_delay_min``, ``severity``; per unmet need ``other_reasons`` and ``detail``;
in the summary how the optimum was proven).

Minutes are rounded to 10^-6 minute, the resolution the optimiser works at, so
Σ units x minutes over the assignments equals ``summary.unit_minutes`` to that precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mutualaid.scenario.loading import Scenario

ASSIGNMENT_COLUMNS = (
    "resource_id",
    "incident_id",
    "type",
    "units",
    "minutes",
    "from_jurisdiction",
    "to_jurisdiction",
    "cross_border",
    "agreement",
    "travel_minutes",
    "border_delay_min",
    "severity",
)
EXCLUDED_COLUMNS = ("kind", "id", "reason", "detail")
#: Decimal places of minutes in the plan.
MINUTE_DECIMALS = 6


@dataclass
class Plan:
    """An optimal allocation and its explanations.

    Attributes
    ----------
    assignments : DataFrame
        One row per (resource, incident) pair used, columns :data:`ASSIGNMENT_COLUMNS`;
        ``minutes`` is one unit's trip (travel + border delay).
    unmet : DataFrame
        One row per (incident, type) still short, with ``units`` missing and ``reason``.
    excluded : DataFrame
        Incidents and resources that take no part, and why.
    summary : dict
        ``weighted_coverage``, ``unit_minutes``, ``units_assigned``, ``units_needed``,
        ``solve_seconds`` and extras (``weighted_need``, ``optimal``, ``solver``: how
        many types and components each method proved, eligible pairs, LP rounds, seconds
        per stage). Needs count for active incidents inside a jurisdiction; excluded
        incidents are listed in ``excluded`` instead.
    """

    assignments: pd.DataFrame
    unmet: pd.DataFrame
    excluded: pd.DataFrame
    summary: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The plan as JSON-ready data (contract, section 3)."""
        return {
            "assignments": _records(self.assignments),
            "unmet": _records(self.unmet),
            "excluded": _records(self.excluded),
            "summary": _plain(self.summary),
        }


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of plain Python values (column-wise: fast for 10^5 rows)."""
    columns = {}
    for name in frame.columns:
        values = frame[name].tolist()  # numpy scalars become int, float, bool
        if frame[name].dtype == object:
            values = [_plain(v) for v in values]
        elif frame[name].dtype.kind == "f":
            values = [None if math.isnan(v) else v for v in values]
        columns[str(name)] = values
    return [dict(zip(columns, row)) for row in zip(*columns.values())]


def _plain(value):
    """numpy scalars and arrays to Python values, NaN to None, for ``json.dumps``."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(value) else float(value)
    return value


def flows_geojson(plan: Plan, scenario: Scenario) -> dict:
    """The plan's flows as a GeoJSON FeatureCollection of lines, unit to incident.

    Parameters
    ----------
    plan : Plan
        From :func:`mutualaid.allocation.allocate`.
    scenario : Scenario
        The scenario the plan was made from (for the locations).

    Returns
    -------
    dict
        One LineString feature per assignment, from the resource's point to the
        incident's location, with the assignment's fields as properties.
    """
    res, inc = _points(scenario.resources), _points(scenario.incidents)
    features = []
    for row in plan.to_dict()["assignments"]:
        r, i = res[row["resource_id"]], inc[row["incident_id"]]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [r, i]},
                "properties": row,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _points(layer: pd.DataFrame) -> dict[str, list[float]]:
    return {
        i: [x, y]
        for i, x, y in zip(
            layer["id"].astype(str), layer["lon"].astype(float), layer["lat"].astype(float)
        )
    }

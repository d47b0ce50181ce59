"""A scenario: the four layers (and optional travel times) that one plan is made from.

A scenario folder holds ``jurisdictions.geojson``, ``incidents.geojson``,
``resources.geojson``, ``agreements.csv`` and optionally ``travel_times.csv``
(contract, section 3). :func:`load_scenario` reads and checks all of them, joins
incidents and resources to jurisdictions, and returns every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from mutualaid.layers.problems import Report

SCENARIO_FILES: dict[str, str] = {
    "jurisdictions": "jurisdictions.geojson",
    "incidents": "incidents.geojson",
    "resources": "resources.geojson",
    "agreements": "agreements.csv",
}
TRAVEL_TIMES_FILE = "travel_times.csv"


@dataclass
class Scenario:
    """The validated layers of one scenario, in the canonical shape of
    :mod:`mutualaid.layers.schema`.

    Parameters
    ----------
    jurisdictions, incidents, resources : geopandas.GeoDataFrame
        Canonical layers; incidents and resources carry their ``jurisdiction``.
    agreements : pandas.DataFrame
        Canonical agreement rows.
    travel_times : pandas.DataFrame or None
        Minutes from a routing engine, replacing the built-in model when given.
    name : str
        A label for people (the folder name).
    """

    jurisdictions: "gpd.GeoDataFrame"
    incidents: "gpd.GeoDataFrame"
    resources: "gpd.GeoDataFrame"
    agreements: "pd.DataFrame"
    travel_times: "pd.DataFrame | None" = None
    name: str = ""


@dataclass
class ScenarioResult:
    """What :func:`load_scenario` found: the scenario when every layer was accepted,
    and the report of each layer either way."""

    scenario: Scenario | None
    reports: list["Report"] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every layer was accepted."""
        return self.scenario is not None and all(r.ok for r in self.reports)

"""A scenario: the four layers (and optional travel times) that one plan is made from.

A scenario folder holds ``jurisdictions.geojson``, ``incidents.geojson``,
``resources.geojson``, ``agreements.csv`` and optionally ``travel_times.csv``
(contract, section 3). :func:`load_scenario` reads and checks all of them, joins
incidents and resources to jurisdictions, and returns every problem at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mutualaid.errors import ScenarioRejected

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

    jurisdictions: gpd.GeoDataFrame
    incidents: gpd.GeoDataFrame
    resources: gpd.GeoDataFrame
    agreements: pd.DataFrame
    travel_times: pd.DataFrame | None = None
    name: str = ""


@dataclass
class ScenarioResult:
    """What :func:`load_scenario` found: the scenario when every layer was accepted,
    and the report of each layer either way."""

    scenario: Scenario | None
    reports: list[Report] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every layer was accepted."""
        return self.scenario is not None and all(r.ok for r in self.reports)

    @property
    def accepted(self) -> Scenario:
        """The scenario, where the caller has checked that one was accepted.

        Raises
        ------
        ScenarioRejected
            When the layers were rejected (:attr:`scenario` is None).
        """
        if self.scenario is None:
            raise ScenarioRejected("the scenario was rejected; its reports say why")
        return self.scenario


def _missing(kind: str, path: Path, *, reason: str) -> Report:
    from mutualaid.layers.problems import Report

    report = Report(kind, source=str(path))
    report.add(reason)
    return report


def load_scenario(
    directory: Path | str, *, travel_times: Path | str | None = None
) -> ScenarioResult:
    """Read and check every layer of a scenario folder, returning every problem at once.

    Jurisdictions are read first; incidents and resources are then joined to them
    (a resource's given jurisdiction must be one of them), agreements are checked
    against their ids and country codes, and travel times (the folder's
    ``travel_times.csv``, or *travel_times* when given) against the incident and
    resource ids. When a layer is rejected the others are still checked, so that
    the coordinator sees everything to fix in one pass.

    Parameters
    ----------
    directory : pathlib.Path or str
        The scenario folder (contract, section 3).
    travel_times : pathlib.Path or str, optional
        A travel-times CSV to use instead of the folder's own.

    Returns
    -------
    ScenarioResult
        ``scenario`` is None unless every layer was accepted; ``reports`` holds one
        report per layer (a missing file is a report with one error). Never raises
        for a bad folder or bad files.

    Examples
    --------
    >>> result = load_scenario(Path("data/rhine-flood-2021"))  # doctest: +SKIP
    >>> result.ok, [r.kind for r in result.reports]  # doctest: +SKIP
    (True, ['jurisdictions', 'incidents', 'resources', 'agreements'])
    """
    from mutualaid.layers import load_layer

    folder = Path(directory)
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is not a folder"
        return ScenarioResult(
            None, [_missing("scenario", folder, reason=f"the scenario folder {folder} {what}")]
        )
    reports: list[Report] = []
    frames: dict[str, Any] = {}

    def load(kind: str, path: Path, **kwargs: Any) -> None:
        if not path.is_file():
            reports.append(
                _missing(
                    kind,
                    path,
                    reason=f"missing file: {path.name} is not in "
                    f"{path.parent} (it holds the {kind})",
                )
            )
            return
        result = load_layer(path, kind=kind, **kwargs)
        reports.append(result.report)
        if result.frame is not None:
            frames[kind] = result.frame

    load("jurisdictions", folder / SCENARIO_FILES["jurisdictions"])
    jurisdictions = frames.get("jurisdictions")
    for kind in ("incidents", "resources", "agreements"):
        load(kind, folder / SCENARIO_FILES[kind], jurisdictions=jurisdictions)
    if "jurisdictions" not in frames:
        # Without accepted jurisdictions, incidents and resources cannot be placed and
        # agreements cannot be checked: say so once rather than let the plan fail later.
        reports[0].add(
            "the other layers could not be checked against the jurisdictions "
            "because this layer was rejected",
            severity="warning",
        )
    times_path = Path(travel_times) if travel_times is not None else folder / TRAVEL_TIMES_FILE
    if travel_times is not None or times_path.is_file():
        incidents, resources = frames.get("incidents"), frames.get("resources")
        load(
            "travel_times",
            times_path,
            resource_ids=None if resources is None else resources["id"].tolist(),
            incident_ids=None if incidents is None else incidents["id"].tolist(),
        )
    scenario = None
    if all(r.ok for r in reports) and all(k in frames for k in SCENARIO_FILES):
        scenario = Scenario(
            jurisdictions=frames["jurisdictions"],
            incidents=frames["incidents"],
            resources=frames["resources"],
            agreements=frames["agreements"],
            travel_times=frames.get("travel_times"),
            name=folder.resolve().name,
        )
    return ScenarioResult(scenario, reports)


def scenario_fingerprint(folder: Path) -> str:
    """A hash of the scenario's files (names and contents): it changes when they do.

    Used as the cache key of everything loaded or built from the folder, so an edited
    file is never served from a stale cache, whatever its modification time says.
    """
    digest = hashlib.sha256()
    for name in (*SCENARIO_FILES.values(), TRAVEL_TIMES_FILE):
        path = folder / name
        digest.update(name.encode() + b"\0")
        try:
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        except FileNotFoundError:
            digest.update(b"<missing>")
        except OSError as exc:  # unreadable: still a distinct, stable key
            digest.update(f"<unreadable {exc.errno}>".encode())
        digest.update(b"\0")
    return digest.hexdigest()

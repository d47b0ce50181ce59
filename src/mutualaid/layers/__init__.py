"""Reading and checking layers: readers per format, one validator per layer kind.

:func:`load_layer` is the one entry point the command line, the app and
:func:`mutualaid.scenario.loading.load_scenario` use: read the file, map its field names,
validate it, and (for incidents and resources, when jurisdictions are given) find
each feature's jurisdiction. It never raises for bad input: whatever is wrong with
the file ends up in the report.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mutualaid.layers.problems import Problem, Report
from mutualaid.layers.schema import KINDS

_LOG = logging.getLogger(__name__)

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

__all__ = ["LayerResult", "load_layer"]


@dataclass
class LayerResult:
    """What :func:`load_layer` found.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame, pandas.DataFrame or None
        The canonical layer (:mod:`mutualaid.layers.schema`), None when rejected.
    report : Report
        Every problem, from reading and from validation.
    format : str
        The format the file was read as (``geojson``, ``csv``...), empty when it
        could not be read at all.
    """

    frame: gpd.GeoDataFrame | pd.DataFrame | None
    report: Report
    format: str = ""

    @property
    def ok(self) -> bool:
        """True when the layer was accepted."""
        return self.frame is not None and self.report.ok


def _label(source: Any, filename: str | None) -> str:
    if filename:
        return str(filename)
    if isinstance(source, (str, Path)):
        return str(source)
    return "the uploaded file"


def _dedupe(read: list[Problem], later: list[Problem]) -> list[Problem]:
    """Drop later problems that repeat what reading already said about the same
    feature's geometry (a CSV row without coordinates is reported by the reader)."""
    told = {
        (p.feature, "geometry")
        for p in read
        if p.severity == "error" and p.feature is not None and p.field in ("geometry", "lat", "lon")
    }
    return [
        p
        for p in later
        if not (p.feature is not None and p.field == "geometry" and (p.feature, "geometry") in told)
    ]


_POINT_KINDS = ("jurisdictions", "incidents", "resources")


def _coordinate_columns(columns: Iterable[Any]) -> list[Any]:
    """The latitude and longitude columns a CSV reader turned into points (the first
    of each set of names, ignoring case, as :mod:`mutualaid.layers.readers` picks)."""
    from mutualaid.layers.readers import LATITUDE_NAMES, LONGITUDE_NAMES

    by_lower: dict[str, Any] = {}
    for column in columns:
        by_lower.setdefault(str(column).lower(), column)
    picked = []
    for names in (LATITUDE_NAMES, LONGITUDE_NAMES):
        found = next((by_lower[n] for n in names if n in by_lower), None)
        if found is not None:
            picked.append(found)
    return picked


def load_layer(
    source: Any,
    *,
    kind: str,
    mapping: Mapping[str, str] | None = None,
    jurisdictions: gpd.GeoDataFrame | None = None,
    data: bytes | None = None,
    filename: str | None = None,
    resource_ids: Iterable[str] | None = None,
    incident_ids: Iterable[str] | None = None,
    bounded: bool = False,
) -> LayerResult:
    """Read, map and validate one layer, collecting every problem.

    Parameters
    ----------
    source : str or pathlib.Path
        The file (for an upload, what it should be called in messages).
    kind : {"jurisdictions", "incidents", "resources", "agreements", "travel_times"}
    mapping : mapping of str to str, optional
        ``{field: source column}`` (see :func:`mutualaid.layers.fields.parse_mapping`).
    jurisdictions : geopandas.GeoDataFrame, optional
        Canonical jurisdictions: incidents and resources are joined to them,
        resources' and agreements' references are checked against them.
    data : bytes, optional
        The file's content (an upload); *source* is then only a name.
    filename : str, optional
        The name to read the format from and show in messages.
    resource_ids, incident_ids : iterable of str, optional
        For travel times: the scenario's ids.
    bounded : bool, default False
        Read the file in a worker process with a time and a memory limit
        (:func:`mutualaid.layers.bounded.read_layer_bounded`): for every file a person
        brings (uploads, ``mutualaid validate``), so that none can stall the server.

    Returns
    -------
    LayerResult
        ``frame`` is None when the layer is rejected. Never raises for bad input:
        a file that cannot be read at all, or any unexpected failure, is one error
        for the whole file in the report.

    Examples
    --------
    >>> result = load_layer("data/rhine/jurisdictions.geojson", kind="jurisdictions")
    ... # doctest: +SKIP
    >>> result.report.ok  # doctest: +SKIP
    True
    """
    if kind not in KINDS:
        raise ValueError(f"unknown layer kind {kind!r}; expected one of {', '.join(KINDS)}")
    from mutualaid.errors import LayerError

    report = Report(kind, source=_label(source, filename))
    fmt = ""
    frame = None
    try:
        if data is None and isinstance(source, (str, Path)):
            path = Path(source)
            if path.is_dir():
                raise LayerError(f"{path} is a folder; give one layer file")
            if not path.exists():
                raise LayerError(f"file not found: {path}")
        from mutualaid.layers.fields import apply_mapping
        from mutualaid.layers.readers import read_layer
        from mutualaid.layers.validate import validate_layer

        reader = read_layer
        if bounded:
            from mutualaid.layers.bounded import read_layer_bounded

            reader = read_layer_bounded
        raw = reader(source, kind=kind, data=data, filename=filename)
        fmt = raw.format
        read_problems = list(raw.problems)
        mapped, mapping_problems = apply_mapping(raw.frame, kind=kind, mapping=mapping)
        if fmt == "csv" and kind in _POINT_KINDS:
            # The CSV's latitude/longitude columns became the geometry (and lon/lat).
            mapped = mapped.drop(columns=_coordinate_columns(mapped.columns))
        frame, checked = validate_layer(
            mapped,
            kind=kind,
            jurisdictions=jurisdictions,
            source=report.source,
            resource_ids=resource_ids,
            incident_ids=incident_ids,
        )
        mapped_badly = {p.field for p in mapping_problems if p.severity == "error"}
        later = [p for p in checked.problems if not (p.feature is None and p.field in mapped_badly)]
        problems = read_problems + mapping_problems + _dedupe(read_problems, later)
        # Whole-file problems first, then feature by feature in file order.
        report.extend(sorted(problems, key=lambda p: -1 if p.feature is None else p.feature))
    except LayerError as exc:
        report.add(str(exc) or "the file cannot be read as a layer")
        frame = None
    except Exception as exc:  # noqa: BLE001 - never a traceback, whatever the file holds
        _LOG.info("the layer %s could not be read", report.source, exc_info=True)
        reason = str(exc).strip() or type(exc).__name__
        report.add(f"could not read the file: {reason}")
        frame = None
    if not report.ok:
        frame = None
    return LayerResult(frame=frame, report=report, format=fmt)

"""Key figures of an allocation plan.

Pure pandas, no Streamlit: a plan (a :class:`mutualaid.allocation.Plan` or its
``to_dict()``, the contract's plan JSON, section 3) and the scenario it was made from
in, tables out. Every function reads only the contract's keys (plus the optional
extras the engine adds, when present), so a plan read back from a JSON file works too.

Figures::

    figures = key_figures(plan, scenario)
    figures.by_severity        # units needed / delivered / % per severity 1..5
    figures.weighted_share     # severity-weighted coverage, 0..1
    figures.response           # unit-weighted mean and worst response minutes
    figures.by_country         # units crossing each national border, from -> to
    figures.by_jurisdiction    # units crossing each jurisdiction boundary
    figures.unmet              # unmet needs, most severe first, with reasons

The what-if edits a coordinator makes (reserves, agreements) are
:mod:`mutualaid.allocation.what_if`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mutualaid.scenario.loading import Scenario
from mutualaid.settings import SEVERITY_MAX, SEVERITY_MIN
from mutualaid.vocabulary import reason_label, units_text

#: The contract's assignment keys (section 3), in its order.
ASSIGNMENT_KEYS: tuple[str, ...] = (
    "resource_id",
    "incident_id",
    "type",
    "units",
    "minutes",
    "from_jurisdiction",
    "to_jurisdiction",
    "cross_border",
)
#: The contract's unmet-need keys (section 3).
UNMET_KEYS: tuple[str, ...] = ("incident_id", "type", "units", "reason")

#: How a flow crosses (or not) a boundary: ``local`` stays in its jurisdiction,
#: ``jurisdiction`` goes to another jurisdiction of the same country, ``national``
#: crosses a national border.
LOCAL, JURISDICTION, NATIONAL = "local", "jurisdiction", "national"
CROSSINGS: tuple[str, ...] = (LOCAL, JURISDICTION, NATIONAL)

SEVERITIES: tuple[int, ...] = tuple(range(SEVERITY_MIN, SEVERITY_MAX + 1))


# --- the plan as tables ---------------------------------------------------------------------


def plan_dict(plan: Any) -> dict:
    """The plan as the contract's dict (``Plan.to_dict()`` when given a Plan).

    Parameters
    ----------
    plan : Plan or mapping
        From :func:`mutualaid.allocation.allocate`, or its ``to_dict()`` / JSON.
    """
    if hasattr(plan, "to_dict") and not isinstance(plan, Mapping):
        plan = plan.to_dict()
    if not isinstance(plan, Mapping):
        raise TypeError(f"a plan must be a Plan or its dict, got {type(plan).__name__}")
    return dict(plan)


def assignments_frame(plan: Any) -> pd.DataFrame:
    """One row per assignment: the contract's columns first, then any extras.

    ``units`` are integers, ``minutes`` floats, ``cross_border`` booleans.
    """
    rows = plan_dict(plan).get("assignments") or []
    frame = pd.DataFrame(list(rows))
    for key in ASSIGNMENT_KEYS:
        if key not in frame.columns:
            frame[key] = pd.Series(dtype=object)
    frame["units"] = pd.to_numeric(frame["units"]).fillna(0).astype("int64")
    frame["minutes"] = pd.to_numeric(frame["minutes"]).astype("float64")
    frame["cross_border"] = frame["cross_border"].astype(bool)
    for key in ("resource_id", "incident_id", "type", "from_jurisdiction", "to_jurisdiction"):
        frame[key] = frame[key].astype(object).map(_text)
    extras = [c for c in frame.columns if c not in ASSIGNMENT_KEYS]
    return frame[[*ASSIGNMENT_KEYS, *extras]].reset_index(drop=True)


def unmet_frame(plan: Any) -> pd.DataFrame:
    """One row per unmet need: the contract's columns first, then any extras."""
    rows = plan_dict(plan).get("unmet") or []
    frame = pd.DataFrame(list(rows))
    for key in UNMET_KEYS:
        if key not in frame.columns:
            frame[key] = pd.Series(dtype=object)
    frame["units"] = pd.to_numeric(frame["units"]).fillna(0).astype("int64")
    for key in ("incident_id", "type", "reason"):
        frame[key] = frame[key].astype(object).map(_text)
    extras = [c for c in frame.columns if c not in UNMET_KEYS]
    return frame[[*UNMET_KEYS, *extras]].reset_index(drop=True)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def jurisdiction_countries(jurisdictions: pd.DataFrame) -> dict[str, str]:
    """Each jurisdiction id's country code."""
    return {str(j): str(c) for j, c in zip(jurisdictions["id"], jurisdictions["country"])}


def with_crossings(assignments: pd.DataFrame, jurisdictions: pd.DataFrame) -> pd.DataFrame:
    """The assignments with ``from_country``, ``to_country`` and ``crossing`` added.

    ``crossing`` is one of :data:`CROSSINGS`. A jurisdiction the layer does not know
    (which a valid plan never names) has country ``""``.

    Examples
    --------
    >>> with_crossings(assignments_frame(plan), scenario.jurisdictions)  # doctest: +SKIP
    """
    countries = jurisdiction_countries(jurisdictions)
    out = assignments.copy()
    out["from_country"] = out["from_jurisdiction"].map(lambda j: countries.get(j, ""))
    out["to_country"] = out["to_jurisdiction"].map(lambda j: countries.get(j, ""))
    same_place = out["from_jurisdiction"] == out["to_jurisdiction"]
    same_country = out["from_country"] == out["to_country"]
    out["crossing"] = np.where(same_place, LOCAL, np.where(same_country, JURISDICTION, NATIONAL))
    return out


def _incident_table(scenario: Scenario) -> pd.DataFrame:
    inc = scenario.incidents
    return pd.DataFrame(
        {
            "incident_id": inc["id"].astype(str).to_numpy(),
            "incident": inc["name"].map(_text).to_numpy() if "name" in inc else "",
            "jurisdiction": inc["jurisdiction"].map(_text).to_numpy(),
            "severity": pd.to_numeric(inc["severity"], errors="coerce").to_numpy(),
        }
    )


# --- need met by severity -----------------------------------------------------------------


def _excluded_incidents(plan: dict) -> set[str]:
    return {
        str(row.get("id")) for row in plan.get("excluded") or [] if row.get("kind") == "incident"
    }


def need_by_severity(plan: Any, scenario: Scenario) -> pd.DataFrame:
    """Units needed, delivered and short per severity (1..5), with response minutes.

    Needed counts the needs of every active incident that takes part in the plan
    (the plan's ``excluded`` incidents, outside every jurisdiction, do not).

    Returns
    -------
    DataFrame
        ``severity``, ``needed``, ``delivered``, ``short``, ``met_pct`` (NaN where
        nothing is needed), ``weighted_needed``, ``weighted_delivered`` (severity x
        units), ``mean_minutes`` (unit-weighted) and ``worst_minutes`` (NaN where
        nothing was delivered); one row per severity level, always all five.
    """
    data = plan_dict(plan)
    excluded = _excluded_incidents(data)
    inc = scenario.incidents
    active = inc[inc["status"].astype(str) == "active"]
    needed = dict.fromkeys(SEVERITIES, 0)
    for iid, severity, needs in zip(active["id"].astype(str), active["severity"], active["needs"]):
        if iid in excluded or not isinstance(needs, Mapping):
            continue
        level = int(severity)
        if level in needed:
            needed[level] += sum(int(n) for n in needs.values() if int(n) > 0)

    a = assignments_frame(data)
    severity_of = dict(zip(inc["id"].astype(str), pd.to_numeric(inc["severity"])))
    a["severity"] = a["incident_id"].map(severity_of)
    a["unit_minutes"] = a["units"] * a["minutes"]
    grouped = a.groupby("severity").agg(
        delivered=("units", "sum"),
        unit_minutes=("unit_minutes", "sum"),
        worst_minutes=("minutes", "max"),
    )
    table = pd.DataFrame({"severity": list(SEVERITIES), "needed": [needed[s] for s in SEVERITIES]})
    table["delivered"] = table["severity"].map(grouped["delivered"]).fillna(0).astype("int64")
    table["short"] = table["needed"] - table["delivered"]
    with np.errstate(invalid="ignore", divide="ignore"):
        table["met_pct"] = np.where(
            table["needed"] > 0,
            100.0 * table["delivered"] / table["needed"].where(table["needed"] > 0, 1),
            np.nan,
        )
        table["weighted_needed"] = table["severity"] * table["needed"]
        table["weighted_delivered"] = table["severity"] * table["delivered"]
        unit_minutes = table["severity"].map(grouped["unit_minutes"])
        table["mean_minutes"] = np.where(
            table["delivered"] > 0,
            unit_minutes / table["delivered"].where(table["delivered"] > 0, 1),
            np.nan,
        )
    table["worst_minutes"] = table["severity"].map(grouped["worst_minutes"]).astype("float64")
    return table


def weighted_share(by_severity: pd.DataFrame) -> float:
    """Severity-weighted coverage, 0..1: Σ severity x delivered / Σ severity x needed
    (1.0 when nothing is needed)."""
    need = float(by_severity["weighted_needed"].sum())
    return 1.0 if need == 0 else float(by_severity["weighted_delivered"].sum()) / need


# --- response minutes ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Response:
    """How long the assigned units take to arrive.

    Attributes
    ----------
    units : int
        Units assigned.
    mean_minutes : float
        Mean over units (Σ units x minutes / Σ units); NaN when nothing is assigned.
    worst_minutes : float
        The longest trip of any assigned unit; NaN when nothing is assigned.
    """

    units: int
    mean_minutes: float
    worst_minutes: float


def response_minutes(plan: Any) -> Response:
    """Unit-weighted mean and worst response minutes of the plan."""
    a = assignments_frame(plan)
    units = int(a["units"].sum())
    if units == 0:
        return Response(0, math.nan, math.nan)
    mean = float((a["units"] * a["minutes"]).sum()) / units
    return Response(units, mean, float(a.loc[a["units"] > 0, "minutes"].max()))


# --- units crossing borders ---------------------------------------------------------------


def border_units(plan: Any, scenario: Scenario, *, by: str = "country") -> pd.DataFrame:
    """Units crossing each border, one row per direction, most units first.

    Parameters
    ----------
    plan : Plan or mapping
    scenario : Scenario
        For each jurisdiction's country.
    by : {"country", "jurisdiction"}
        ``country``: national borders only (``from_country`` -> ``to_country``).
        ``jurisdiction``: every trip leaving its jurisdiction (the contract's
        ``cross_border``), with both sides' countries.

    Returns
    -------
    DataFrame
        ``from_country``, ``to_country`` (and for ``jurisdiction`` also
        ``from_jurisdiction``, ``to_jurisdiction``), ``units``, ``assignments`` (rows
        of the plan) and ``types`` (the resource types sent, ``;``-separated).
    """
    if by not in ("country", "jurisdiction"):
        raise ValueError(f"by must be 'country' or 'jurisdiction', got {by!r}")
    a = with_crossings(assignments_frame(plan), scenario.jurisdictions)
    if by == "country":
        keys = ["from_country", "to_country"]
        a = a[a["crossing"] == NATIONAL]
    else:
        keys = ["from_jurisdiction", "from_country", "to_jurisdiction", "to_country"]
        a = a[a["from_jurisdiction"] != a["to_jurisdiction"]]
    a = a[a["units"] > 0]
    columns = [*keys, "units", "assignments", "types"]
    if a.empty:
        return pd.DataFrame(
            {
                c: pd.Series(dtype="int64" if c in ("units", "assignments") else object)
                for c in columns
            }
        )
    table = a.groupby(keys, as_index=False).agg(
        units=("units", "sum"),
        assignments=("units", "size"),
        types=("type", lambda t: ";".join(sorted(set(t)))),
    )
    table = table.sort_values(["units", *keys], ascending=[False, *[True] * len(keys)])
    return table[columns].reset_index(drop=True)


def units_sent_out(plan: Any) -> pd.Series:
    """Units each jurisdiction sends to other jurisdictions (only senders listed)."""
    a = assignments_frame(plan)
    a = a[a["from_jurisdiction"] != a["to_jurisdiction"]]
    return a.groupby("from_jurisdiction")["units"].sum().astype("int64").sort_index()


def crossing_units(plan: Any, scenario: Scenario) -> dict[str, int]:
    """Units per kind of trip: ``local``, ``jurisdiction`` and ``national``."""
    a = with_crossings(assignments_frame(plan), scenario.jurisdictions)
    sums = a.groupby("crossing")["units"].sum()
    return {kind: int(sums.get(kind, 0)) for kind in CROSSINGS}


# --- unmet needs ----------------------------------------------------------------------------

UNMET_TABLE_COLUMNS: tuple[str, ...] = (
    "severity",
    "incident_id",
    "incident",
    "jurisdiction",
    "type",
    "units",
    "reason",
    "detail",
)


def unmet_table(plan: Any, scenario: Scenario) -> pd.DataFrame:
    """Unmet needs with the incident's name, jurisdiction and severity, most severe
    first (then most units short, then incident id and type).

    Returns
    -------
    DataFrame
        :data:`UNMET_TABLE_COLUMNS`; ``detail`` is the engine's explanation when the
        plan has one (``""`` otherwise), and ``other_reasons`` follows when present.
    """
    unmet = unmet_frame(plan)
    table = unmet.merge(_incident_table(scenario), on="incident_id", how="left")
    table["severity"] = pd.to_numeric(table["severity"], errors="coerce").astype("Int64")
    for column in ("incident", "jurisdiction"):
        table[column] = table[column].map(_text)
    table["detail"] = table["detail"].map(_text) if "detail" in table else ""
    columns = list(UNMET_TABLE_COLUMNS)
    if "other_reasons" in table:
        table["other_reasons"] = table["other_reasons"].map(
            lambda v: "; ".join(map(str, v)) if isinstance(v, (list, tuple)) else _text(v)
        )
        columns.append("other_reasons")
    table = table.sort_values(
        ["severity", "units", "incident_id", "type"],
        ascending=[False, False, True, True],
        na_position="last",
        kind="stable",
    )
    return table[columns].reset_index(drop=True)


def unmet_by_incident(plan: Any) -> pd.DataFrame:
    """Unmet units per incident: ``incident_id``, ``units`` and ``needs`` (text such
    as ``3 boats (reserve limit); 1 pump (no agreement)``), most units first."""
    unmet = unmet_frame(plan)
    unmet = unmet[unmet["units"] > 0]
    if unmet.empty:
        return pd.DataFrame(
            {
                "incident_id": pd.Series(dtype=object),
                "units": pd.Series(dtype="int64"),
                "needs": pd.Series(dtype=object),
            }
        )
    unmet = unmet.sort_values(["incident_id", "type"], kind="stable")
    unmet["need"] = [
        f"{units_text(u, t)} ({reason_label(r)})"
        for t, u, r in zip(unmet["type"], unmet["units"], unmet["reason"])
    ]
    table = unmet.groupby("incident_id", as_index=False).agg(
        units=("units", "sum"), needs=("need", "; ".join)
    )
    table = table.sort_values(["units", "incident_id"], ascending=[False, True])
    return table.reset_index(drop=True)


# --- all figures at once ------------------------------------------------------------------


@dataclass(frozen=True)
class KeyFigures:
    """Everything the allocation page shows about one plan (see the module doc)."""

    by_severity: pd.DataFrame
    weighted_share: float
    response: Response
    crossings: dict[str, int]
    by_country: pd.DataFrame
    by_jurisdiction: pd.DataFrame
    unmet: pd.DataFrame
    units_needed: int
    units_assigned: int


def key_figures(plan: Any, scenario: Scenario) -> KeyFigures:
    """The plan's key figures (see :class:`KeyFigures`), for the scenario it was made
    from (with held units: the free part, :func:`mutualaid.allocation.held.free_part`).

    Examples
    --------
    >>> figures = key_figures(allocate(scenario), scenario)  # doctest: +SKIP
    >>> round(figures.weighted_share, 3), figures.response.worst_minutes  # doctest: +SKIP
    (0.849, 291.2)
    """
    data = plan_dict(plan)
    by_severity = need_by_severity(data, scenario)
    return KeyFigures(
        by_severity=by_severity,
        weighted_share=weighted_share(by_severity),
        response=response_minutes(data),
        crossings=crossing_units(data, scenario),
        by_country=border_units(data, scenario, by="country"),
        by_jurisdiction=border_units(data, scenario, by="jurisdiction"),
        unmet=unmet_table(data, scenario),
        units_needed=int(by_severity["needed"].sum()),
        units_assigned=int(by_severity["delivered"].sum()),
    )

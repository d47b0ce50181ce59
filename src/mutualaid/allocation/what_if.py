"""The what-if edits a coordinator makes: what if a reserve or an agreement changed.

Pure pandas, no Streamlit: the scenario and the coordinator's values in, checked edits,
a stable key of them and an edited :class:`~mutualaid.scenario.loading.Scenario` out::

    reserves = reserve_overrides(scenario, {"NL-LI": 1.0})    # only real changes
    agreements, report = edited_agreements(table, scenario)   # validated, or None
    edit(scenario, reserves=reserves, agreements=agreements)  # a new Scenario
    key = overrides_key(reserves=reserves, agreements=agreements)  # the same edits, same key
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from mutualaid.layers.problems import Report
from mutualaid.layers.schema import AGREEMENT_COLUMNS
from mutualaid.layers.validate import validate_agreements
from mutualaid.scenario.loading import Scenario

#: Decimals of reserve shares as the editor keeps them (steps of 0.05 are exact here).
RESERVE_DECIMALS = 6


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def reserve_overrides(scenario: Scenario, values: Mapping[str, float]) -> dict[str, float]:
    """The reserve values that differ from the scenario's, checked, sorted by id.

    Parameters
    ----------
    scenario : Scenario
    values : mapping of jurisdiction id to share
        What the coordinator set; a value equal to the layer's own is no change.

    Raises
    ------
    ValueError
        For an unknown jurisdiction or a share outside 0..1 (or not a number).
    """
    current = dict(
        zip(
            scenario.jurisdictions["id"].astype(str),
            pd.to_numeric(scenario.jurisdictions["reserve"]).fillna(0.0),
        )
    )
    out: dict[str, float] = {}
    for jid, value in values.items():
        jid = str(jid)
        if jid not in current:
            raise ValueError(f"reserve for {jid!r}: no jurisdiction has that id")
        try:
            share = round(float(value), RESERVE_DECIMALS)
        except (TypeError, ValueError):
            raise ValueError(f"reserve for {jid}: a share from 0 to 1, got {value!r}") from None
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"reserve for {jid}: a share from 0 to 1, got {value!r}")
        if share != round(float(current[jid]), RESERVE_DECIMALS):
            out[jid] = share
    return dict(sorted(out.items()))


def agreements_table(agreements: pd.DataFrame) -> pd.DataFrame:
    """Canonical agreements as an editable text table (as in ``agreements.csv``).

    ``resource_types`` becomes ``boat;pump`` text; extra columns (``basis``...) are
    kept as text after the four canonical ones.
    """
    out = pd.DataFrame(
        {
            "from": agreements["from"].map(_text),
            "to": agreements["to"].map(_text),
            "resource_types": agreements["resource_types"].map(_types_text),
            "border_delay_min": pd.to_numeric(agreements["border_delay_min"]).astype("float64"),
        }
    )
    for column in agreements.columns:
        if column not in AGREEMENT_COLUMNS:
            out[str(column)] = agreements[column].map(_text)
    return out.reset_index(drop=True)


def _types_text(value: Any) -> str:
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        return ";".join(str(v) for v in value)
    return _text(value)


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def edited_agreements(
    table: pd.DataFrame, scenario: Scenario, *, source: str = "agreements (edited)"
) -> tuple[pd.DataFrame | None, Report]:
    """Check an edited agreements table against the scenario's jurisdictions.

    Rows left wholly blank (a row added and not filled in) are ignored; problems name
    rows by their position in *table*, counted from 1.

    Returns
    -------
    agreements : DataFrame or None
        Canonical rows for :func:`mutualaid.allocation.allocate`, or None when the
        table has errors.
    report : Report
        Every problem (:func:`mutualaid.layers.validate.validate_agreements`).
    """
    table = table.reset_index(drop=True)
    canonical = [c for c in AGREEMENT_COLUMNS if c in table.columns]
    blank = (
        table[canonical].map(_blank).all(axis=1)
        if canonical
        else pd.Series(False, index=table.index)
    )
    kept = np.flatnonzero(~blank.to_numpy())
    frame, report = validate_agreements(
        table.iloc[kept].reset_index(drop=True), jurisdictions=scenario.jurisdictions, source=source
    )
    # Problems name rows of the checked table: map them back to the editor's rows.
    report.problems = [
        dataclasses.replace(p, feature=int(kept[p.feature - 1]) + 1)
        if p.feature is not None and 0 < p.feature <= len(kept)
        else p
        for p in report.problems
    ]
    return frame, report


def same_agreements(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """True when two canonical agreement tables grant the same rows, in the same order
    (the order decides which row a trip is credited to when delays tie)."""
    return _agreement_rows(a) == _agreement_rows(b)


def _agreement_rows(agreements: pd.DataFrame | None) -> list[list[Any]] | None:
    if agreements is None:
        return None
    return [
        [_text(f), _text(t), _types_text(k), float(d)]
        for f, t, k, d in zip(
            agreements["from"],
            agreements["to"],
            agreements["resource_types"],
            pd.to_numeric(agreements["border_delay_min"]),
        )
    ]


def overrides_key(
    *, reserves: Mapping[str, float] | None = None, agreements: pd.DataFrame | None = None
) -> str:
    """A stable text key of a set of edits (the same edits give the same key, in any
    process): canonical JSON of the reserve changes and agreement rows.

    Use :func:`overrides_digest` for a short hash of it.
    """
    payload = {
        "reserves": {
            str(k): round(float(v), RESERVE_DECIMALS) for k, v in sorted((reserves or {}).items())
        },
        "agreements": _agreement_rows(agreements),
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"))


def overrides_digest(key: str) -> str:
    """A short, stable hash of :func:`overrides_key`'s text."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def parse_overrides(key: str) -> tuple[dict[str, float], pd.DataFrame | None]:
    """Reserves and agreements back from :func:`overrides_key`'s text.

    The agreements come back canonical (``resource_types`` as tuples), ready for
    :func:`mutualaid.allocation.allocate`.
    """
    payload = json.loads(key)
    reserves = {str(k): float(v) for k, v in payload.get("reserves", {}).items()}
    rows = payload.get("agreements")
    if rows is None:
        return reserves, None
    agreements = pd.DataFrame(
        [
            {"from": f, "to": t, "resource_types": tuple(k.split(";")), "border_delay_min": d}
            for f, t, k, d in rows
        ],
        columns=list(AGREEMENT_COLUMNS),
    )
    agreements["border_delay_min"] = agreements["border_delay_min"].astype("float64")
    return reserves, agreements


def edit(
    scenario: Scenario,
    *,
    reserves: Mapping[str, float] | None = None,
    agreements: pd.DataFrame | None = None,
) -> Scenario:
    """A copy of the scenario with reserves and agreements replaced.

    ``allocate(edit(s, reserves=r, agreements=a))`` plans the same as
    ``allocate(s, reserves=r, agreements=a)``; the edited scenario also shows the new
    reserves on the map and in tables.

    Parameters
    ----------
    scenario : Scenario
        Left unchanged.
    reserves : mapping of jurisdiction id to share, optional
        Checked as by :func:`reserve_overrides`.
    agreements : DataFrame, optional
        Canonical rows (e.g. from :func:`edited_agreements`) replacing the scenario's.
    """
    jurisdictions = scenario.jurisdictions
    changes = reserve_overrides(scenario, reserves or {})
    if changes:
        jurisdictions = jurisdictions.copy()
        ids = jurisdictions["id"].astype(str)
        new = ids.map(changes)
        jurisdictions["reserve"] = new.where(new.notna(), jurisdictions["reserve"]).astype(
            "float64"
        )
    return dataclasses.replace(
        scenario,
        jurisdictions=jurisdictions,
        agreements=scenario.agreements if agreements is None else agreements.reset_index(drop=True),
    )


def describe_edits(
    scenario: Scenario,
    *,
    reserves: Mapping[str, float] | None = None,
    agreements: pd.DataFrame | None = None,
) -> list[str]:
    """The edits in words, one line each (empty when nothing differs from the files)."""
    lines = []
    current = dict(
        zip(
            scenario.jurisdictions["id"].astype(str),
            pd.to_numeric(scenario.jurisdictions["reserve"]).fillna(0.0),
        )
    )
    for jid, share in reserve_overrides(scenario, reserves or {}).items():
        lines.append(f"reserve of {jid}: {_share_text(current[jid])} -> {_share_text(share)}")
    if agreements is not None and not same_agreements(agreements, scenario.agreements):
        lines.append(
            f"agreements edited: {len(agreements)} row(s) instead of "
            f"{len(scenario.agreements)} in the file"
        )
    return lines


def _share_text(value: float) -> str:
    return f"{float(value):g}"

"""The agreements as a provider × receiver matrix, and an edited table checked.

Pure pandas, no Streamlit. The matrix is a read view of the agreement rows (contract,
section 1): one row per providing side, one column per receiving side (``*``, the
countries, then the jurisdictions that appear), each cell the rows granted between
the two, as text such as ``boats, pumps @ 20 min``. Editing happens on the rows
(:func:`mutualaid.allocation.what_if.agreements_table` is the editable form);
:func:`check_table` validates an edited table as the contract says.

Examples
--------
>>> rows = pd.DataFrame({"from": ["NL"], "to": ["DE-NW"], "resource_types": [("boat",)],
...                      "border_delay_min": [20.0]})
>>> agreements_matrix(rows).loc["NL", "DE-NW"]
'boats @ 20 min'
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Final

import pandas as pd

from mutualaid import vocabulary
from mutualaid.allocation.what_if import agreements_table, edited_agreements, same_agreements
from mutualaid.layers.problems import Report
from mutualaid.scenario.loading import Scenario

#: Joins the cells of several rows granted between the same two sides.
CELL_SEPARATOR: Final[str] = " | "
#: The matrix's row and column axis names.
FROM_AXIS: Final[str] = "from \\ to"
WILDCARD: Final[str] = "*"


def delay_text(minutes: Any) -> str:
    """Minutes as short text: ``20``, ``7.5`` (no trailing ``.0``).

    Examples
    --------
    >>> delay_text(20.0), delay_text(7.5), delay_text(None)
    ('20', '7.5', '0')
    """
    try:
        value = float(minutes)
    except (TypeError, ValueError):
        return "0"
    if math.isnan(value):
        return "0"
    return f"{value:g}"


def types_text(types: Any) -> str:
    """Resource types as ``a;b`` text (``*`` stays ``*``)."""
    if isinstance(types, (list, tuple, set, frozenset)):
        return ";".join(str(t) for t in types)
    return "" if types is None else str(types)


def cell_text(types: Any, minutes: Any) -> str:
    """One agreement row as a matrix cell: ``types @ delay min``, the types in words
    (:func:`mutualaid.vocabulary.types_text`).

    Examples
    --------
    >>> cell_text(("boat", "fire_engine"), 20.0)
    'boats, fire engines @ 20 min'
    >>> cell_text("*", 0)
    'every type @ 0 min'
    """
    return f"{vocabulary.types_text(types_text(types).split(';'))} @ {delay_text(minutes)} min"


def side_order(sides: Iterable[str], *, countries: Iterable[str] = ()) -> list[str]:
    """Sides in matrix order: ``*`` first, then country codes, then jurisdiction ids,
    each group sorted.

    Parameters
    ----------
    sides : iterable of str
        The sides that appear.
    countries : iterable of str
        Codes known to be countries (the jurisdictions' ``country`` values); a
        two-letter upper-case side is taken as a country too.
    """
    known = set(countries)
    unique = sorted({str(s) for s in sides})

    def group(side: str) -> int:
        if side == WILDCARD:
            return 0
        if side in known or (len(side) == 2 and side.isalpha() and side.isupper()):
            return 1
        return 2

    return sorted(unique, key=lambda s: (group(s), s))


def agreements_matrix(agreements: pd.DataFrame, *, countries: Iterable[str] = ()) -> pd.DataFrame:
    """The agreement rows as a provider × receiver matrix of text cells.

    Parameters
    ----------
    agreements : pandas.DataFrame
        Canonical agreement rows (``from``, ``to``, ``resource_types`` as tuples or
        ``a;b`` text, ``border_delay_min``).
    countries : iterable of str
        Country codes of the scenario, to order countries before jurisdictions.

    Returns
    -------
    pandas.DataFrame
        Index: providing sides; columns: receiving sides (each in :func:`side_order`).
        A cell lists every row granted from its row side to its column side, in the
        table's order, joined by :data:`CELL_SEPARATOR`; ``""`` where none is.
    """
    if agreements is None or len(agreements) == 0:
        return pd.DataFrame(index=pd.Index([], name=FROM_AXIS), dtype=object)
    rows = pd.DataFrame(
        {
            "from": agreements["from"].map(str).to_numpy(),
            "to": agreements["to"].map(str).to_numpy(),
            "cell": [
                cell_text(t, d)
                for t, d in zip(agreements["resource_types"], agreements["border_delay_min"])
            ],
        }
    )
    matrix = rows.pivot_table(
        index="from",
        columns="to",
        values="cell",
        aggfunc=CELL_SEPARATOR.join,
        fill_value="",
        sort=False,
    )
    countries = list(countries)
    matrix = matrix.reindex(
        index=side_order(rows["from"], countries=countries),
        columns=side_order(rows["to"], countries=countries),
        fill_value="",
    )
    matrix.index.name = FROM_AXIS
    matrix.columns.name = None
    return matrix.astype(str)


def editor_table(scenario: Scenario) -> pd.DataFrame:
    """The scenario's agreements as the editable text table (one row per agreement)."""
    return agreements_table(scenario.agreements)


def check_table(
    table: pd.DataFrame, scenario: Scenario
) -> tuple[pd.DataFrame | None, Report, bool]:
    """Validate an edited agreements table against the scenario's jurisdictions.

    Returns
    -------
    agreements : DataFrame or None
        Canonical rows when the table has no errors, else None.
    report : Report
        Every problem; rows are numbered as in *table*, from 1.
    changed : bool
        True when the valid rows grant something other than the scenario's agreements.
    """
    frame, report = edited_agreements(table, scenario, source="agreements (edited in the app)")
    if frame is None:
        return None, report, False
    return frame, report, not same_agreements(frame, scenario.agreements)

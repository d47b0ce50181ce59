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
from mutualaid.display import display_text, words
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


# --- a readable matrix and the detail of one pair (issue 13) ----------------------------------


def _type_list(types: Any) -> list[str]:
    if isinstance(types, (list, tuple, set, frozenset)):
        return [str(t) for t in types]
    text = "" if types is None else str(types)
    return [t.strip() for t in text.split(";") if t.strip()]


def summary_cell(rows: pd.DataFrame) -> str:
    """The rows granted between two sides as a short cell: what types (``all``: every
    type, ``boat``, ``3 types``) and the border delay (``20 min``, ``10–30 min``); short
    enough that a column of them is never cut.

    Examples
    --------
    >>> summary_cell(pd.DataFrame({"resource_types": [("*",)], "border_delay_min": [20.0]}))
    'all · 20 min'
    >>> summary_cell(pd.DataFrame({"resource_types": [("boat",), ("pump", "bus")],
    ...                            "border_delay_min": [10.0, 30.0]}))
    '3 types · 10–30 min'
    """
    if rows is None or len(rows) == 0:
        return ""
    types = {t for cell in rows["resource_types"] for t in _type_list(cell)}
    if WILDCARD in types:
        what = "all"
    elif len(types) == 1:
        what = words(next(iter(types)))
    else:
        what = f"{len(types)} types"
    delays = sorted({delay_text(d) for d in rows["border_delay_min"]}, key=float)
    delay = delays[0] if len(delays) == 1 else f"{delays[0]}–{delays[-1]}"
    return f"{what} · {delay} min"


def summary_matrix(agreements: pd.DataFrame, *, countries: Iterable[str] = ()) -> pd.DataFrame:
    """The provider × receiver matrix with a short cell per pair (:func:`summary_cell`),
    on the axes of :func:`agreements_matrix`; ``""`` where nothing is granted."""
    full = agreements_matrix(agreements, countries=countries)
    if full.empty:
        return full
    cells = {
        (str(f), str(t)): summary_cell(group)
        for (f, t), group in agreements.assign(
            _f=agreements["from"].map(str), _t=agreements["to"].map(str)
        ).groupby(["_f", "_t"], sort=False)
    }
    short = pd.DataFrame(
        [[cells.get((f, t), "") for t in full.columns] for f in full.index],
        index=full.index,
        columns=full.columns,
    )
    return short.astype(str)


def side_name(side: str, jurisdictions: pd.DataFrame) -> str:
    """A side's full name: a jurisdiction's name (``NL-LI · Limburg``), a country with its
    jurisdictions (``NL (12 jurisdictions)``), ``any side`` for ``*``."""
    if side == WILDCARD:
        return "any side"
    ids = jurisdictions["id"].map(str)
    if side in set(ids):
        name = display_text(jurisdictions.loc[ids == side, "name"].iloc[0])
        return f"{side} · {name}" if name and name != side else side
    count = int((jurisdictions["country"].map(str) == side).sum())
    if count:
        return f"{side} ({count} jurisdiction{'' if count == 1 else 's'})"
    return side


def pair_rows(agreements: pd.DataFrame, provider: str, receiver: str) -> pd.DataFrame:
    """The rows granted from *provider* to *receiver* (the matrix cell), in words: the
    types allowed, the border delay and the basis when the layer gives one."""
    if agreements is None or len(agreements) == 0:
        return pd.DataFrame(columns=["types allowed", "border delay (min)"])
    rows = agreements[
        (agreements["from"].map(str) == provider) & (agreements["to"].map(str) == receiver)
    ]
    table = pd.DataFrame(
        {
            "types allowed": [
                "all types"
                if WILDCARD in _type_list(t)
                else ", ".join(words(x) for x in _type_list(t))
                for t in rows["resource_types"]
            ],
            "border delay (min)": [delay_text(d) for d in rows["border_delay_min"]],
        }
    )
    if "basis" in rows.columns:
        table["basis"] = [display_text(b) for b in rows["basis"]]
    return table.reset_index(drop=True)


def reserve_rows(jurisdictions: pd.DataFrame, side: str) -> pd.DataFrame:
    """The reserve rules of a providing side's jurisdictions (contract: the share of each
    resource type's available units that must stay at home): jurisdiction, name and
    ``20 %`` each; every jurisdiction for ``*``."""
    ids = jurisdictions["id"].map(str)
    if side == WILDCARD:
        mask = pd.Series(True, index=jurisdictions.index)
    else:
        mask = (ids == side) | (jurisdictions["country"].map(str) == side)
    chosen = jurisdictions[mask]
    reserve = (
        chosen["reserve"] if "reserve" in chosen.columns else pd.Series(0.0, index=chosen.index)
    )
    return pd.DataFrame(
        {
            "jurisdiction": chosen["id"].map(str).to_numpy(),
            "name": [display_text(n) for n in chosen.get("name", chosen["id"])],
            "keeps at home": [
                f"{round(100 * float(r or 0))} %" if pd.notna(r) else "0 %" for r in reserve
            ],
        }
    )


def reserve_text(reserves: pd.DataFrame) -> str:
    """The reserve rules in one sentence: ``NL-LI keeps 20 % of each type at home`` or
    ``its 11 jurisdictions keep 20–50 % of each type at home``."""
    if len(reserves) == 0:
        return "No jurisdiction of this side is in the scenario: no reserve applies."
    shares = sorted({int(s.rstrip(" %")) for s in reserves["keeps at home"]})
    share = f"{shares[0]} %" if len(shares) == 1 else f"{shares[0]}–{shares[-1]} %"
    if len(reserves) == 1:
        who = f"{reserves['jurisdiction'].iloc[0]} keeps"
    else:
        who = f"its {len(reserves)} jurisdictions keep"
    return f"{who} {share} of each resource type's available units at home (reserve)."

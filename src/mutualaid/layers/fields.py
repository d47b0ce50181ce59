"""Field names: which of a file's columns is which canonical field.

A coordinator's file rarely says ``severity``; it says ``Sev`` or ``severity_level``.
This module recognises common aliases per layer kind, applies explicit mappings
(``--map id=iso_3166_2``), and gathers an incident's needs from a ``needs`` object
or from flat ``need_<type>`` columns (CSV, Shapefile and KML cannot hold objects).

Matching ignores case, spaces, hyphens, underscores and dots, so ``Reported At``,
``reported-at`` and ``REPORTED_AT`` all name ``reported_at``. Shapefile column names
are cut to 10 characters, so a 10-character column that starts a known name
(``max_respon``) is recognised too, after every full-length alias.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from mutualaid.errors import StrictJSONError
from mutualaid.layers.problems import Problem
from mutualaid.settings import RESOURCE_TYPES

if TYPE_CHECKING:  # pandas is imported where frames are handled: the command line's
    # parser check of ``--map`` (parse_mapping) must not import it (issue 11)
    import pandas as pd

#: The fields a file may provide for each kind, in schema order. Derived columns
#: (``lon``, ``lat``, an incident's ``jurisdiction``) are computed, never read.
FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "jurisdictions": ("id", "name", "country", "reserve"),
    "incidents": (
        "id",
        "name",
        "hazard",
        "severity",
        "status",
        "reported_at",
        "needs",
        "max_response_min",
        "sharing",
    ),
    "resources": (
        "id",
        "name",
        "type",
        "quantity",
        "status",
        "jurisdiction",
        "speed_kmh",
        "sharing",
    ),
    "agreements": ("from", "to", "resource_types", "border_delay_min"),
    "travel_times": ("resource_id", "incident_id", "minutes"),
}

_NAME_ALIASES: Final[tuple[str, ...]] = ("title", "label", "name_en")

#: Aliases per kind and field, best first. The canonical name itself always comes
#: first and is not listed. ``priority`` is deliberately absent for severity: in
#: many services priority 1 is the most urgent, the opposite of severity 1 (minor).
ALIASES: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "jurisdictions": {
        "id": ("iso_3166_2", "jurisdiction_id", "identifier", "ident", "code", "uid"),
        "name": ("jurisdiction_name",) + _NAME_ALIASES,
        "country": ("iso_a2", "country_code", "countrycode", "iso2", "country_iso"),
        "reserve": ("reserve_share", "reserve_fraction", "reserve_ratio"),
    },
    "incidents": {
        "id": ("incident_id", "identifier", "ident", "code", "uid"),
        "name": ("incident_name",) + _NAME_ALIASES,
        "hazard": ("hazard_type", "event_type", "incident_type", "event", "type"),
        "severity": ("sev", "severity_level", "level"),
        "status": ("incident_status", "state"),
        "reported_at": (
            "reported",
            "reported_time",
            "reported_on",
            "timestamp",
            "datetime",
            "date_time",
            "time",
            "date",
        ),
        "needs": ("need", "requirements"),
        "max_response_min": (
            "max_response",
            "max_response_minutes",
            "max_response_time",
            "response_limit_min",
            "response_limit",
        ),
        "sharing": ("share", "shared_with", "sharing_level", "visibility"),
    },
    "resources": {
        "id": ("resource_id", "unit_id", "identifier", "ident", "code", "uid"),
        "name": ("resource_name", "unit_name") + _NAME_ALIASES,
        "type": ("resource_type", "unit_type", "kind"),
        "quantity": ("qty", "count", "units", "number", "n_units"),
        "status": ("resource_status", "state"),
        "jurisdiction": (
            "owner",
            "owner_jurisdiction",
            "agency_jurisdiction",
            "home_jurisdiction",
            "jurisdiction_id",
        ),
        "speed_kmh": ("speed", "speed_km_h", "speed_kph", "kmh"),
        "sharing": ("share", "shared_with", "sharing_level", "visibility"),
    },
    "agreements": {
        "from": ("from_jurisdiction", "provider", "providing", "giver"),
        "to": ("to_jurisdiction", "receiver", "recipient", "receiving"),
        "resource_types": ("resource_type", "types", "type"),
        "border_delay_min": ("border_delay", "border_delay_minutes", "delay_min", "delay"),
    },
    "travel_times": {
        "resource_id": ("resource", "unit_id"),
        "incident_id": ("incident",),
        "minutes": (
            "travel_minutes",
            "travel_time_min",
            "duration_min",
            "duration_minutes",
            "time_min",
        ),
    },
}

#: dBASE (Shapefile) column names hold at most this many characters.
SHAPEFILE_NAME_LENGTH: Final[int] = 10

_NEED_COLUMN = re.compile(r"^needs?[\s_\-.:]+(?P<type>\S.*)$", re.IGNORECASE)
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def normalise_name(name: Any) -> str:
    """A column name reduced for matching: lower case, no spaces, hyphens,
    underscores or dots.

    Examples
    --------
    >>> normalise_name("Reported At")
    'reportedat'
    """
    return re.sub(r"[\s\-_.]+", "", str(name).strip().lower())


def type_key(text: Any) -> str:
    """A resource type written by a person, as a key: ``"Fire Engine"`` ->
    ``"fire_engine"``. The result may still be malformed; the validators check it."""
    return re.sub(r"[\s\-]+", "_", str(text).strip().lower())


def need_column_type(column: Any) -> str | None:
    """The resource type of a flat ``need_<type>`` column, or None for other columns.

    Examples
    --------
    >>> need_column_type("need_fire_engine")
    'fire_engine'
    >>> need_column_type("needs") is None
    True
    """
    match = _NEED_COLUMN.match(str(column).strip())
    return type_key(match.group("type")) if match else None


def _untruncated_need(column: str, need: str) -> str:
    """The known resource type a Shapefile-truncated ``need_`` column stands for
    (``need_fire_`` -> ``fire_engine``), or *need* unchanged."""
    if len(column.strip()) != SHAPEFILE_NAME_LENGTH or need in RESOURCE_TYPES:
        return need
    matches = [t for t in RESOURCE_TYPES if t.startswith(need)]
    return matches[0] if len(matches) == 1 else need


def _known_fields() -> set[str]:
    return {f for fields in FIELDS.values() for f in fields}


def parse_mapping(pairs: Iterable[str] | None, *, kind: str | None = None) -> dict[str, str]:
    """Turn ``FIELD=SOURCE`` pairs into ``{field: source}``.

    Parameters
    ----------
    pairs : iterable of str
        Each ``FIELD=SOURCE``: the file's SOURCE column is the canonical FIELD.
        FIELD is case-insensitive; SOURCE is kept as written (it is matched to the
        file's columns later, ignoring case). For incidents FIELD may also be
        ``need_<type>`` (a column holding the units needed of that type).
    kind : str, optional
        When given, FIELD must be a field of this layer kind.

    Returns
    -------
    dict of str to str

    Raises
    ------
    ValueError
        A pair without ``=``, an empty side, an unknown FIELD, or one FIELD mapped
        twice; the message says which pair and what would be right.

    Examples
    --------
    >>> parse_mapping(["id=iso_3166_2", "country=iso_a2"])
    {'id': 'iso_3166_2', 'country': 'iso_a2'}
    """
    allowed = set(FIELDS[kind]) if kind in FIELDS else _known_fields()
    allow_needs = kind in (None, "incidents")
    mapping: dict[str, str] = {}
    for pair in pairs or ():
        text = str(pair)
        if "=" not in text:
            raise ValueError(f"--map {text!r} is not FIELD=SOURCE (for example id=iso_3166_2)")
        field, source = (part.strip() for part in text.split("=", 1))
        field = field.lower()
        if not field or not source:
            raise ValueError(
                f"--map {text!r} needs both a FIELD and a SOURCE column (for example id=iso_3166_2)"
            )
        need_type = need_column_type(field) if allow_needs else None
        if need_type is not None:
            if not _FIELD_NAME.match(need_type):
                raise ValueError(
                    f"--map {text!r}: {need_type!r} is not a resource type key "
                    "(lowercase letters, digits and _)"
                )
            field = f"need_{need_type}"
        elif field not in allowed:
            where = f"for {kind} " if kind in FIELDS else ""
            known = ", ".join(sorted(allowed))
            raise ValueError(
                f"--map {text!r}: {field!r} is not a field {where}(known fields: {known})"
            )
        if field in mapping and mapping[field] != source:
            raise ValueError(f"--map gives {field} twice ({mapping[field]!r} and {source!r})")
        mapping[field] = source
    return mapping


def _candidates(field: str, kind: str) -> list[str]:
    """Normalised names that may stand for *field*, best first."""
    return [normalise_name(field)] + [normalise_name(a) for a in ALIASES[kind].get(field, ())]


def _truncated_match(column: str, names: Iterable[str]) -> bool:
    """True when *column* looks like one of *names* cut to a Shapefile's 10 characters."""
    col = str(column).strip().lower()
    if len(col) != SHAPEFILE_NAME_LENGTH:
        return False
    return any(len(n) > SHAPEFILE_NAME_LENGTH and n.lower().startswith(col) for n in names)


def _resolve(
    columns: list[str], *, kind: str, taken: set[str], fields: Iterable[str]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Choose a column for each field from aliases.

    Returns the choice ``{field: column}`` and, for fields where several columns
    qualified, the others ``{field: [column, ...]}`` (best first).
    """
    chosen: dict[str, str] = {}
    rivals: dict[str, list[str]] = {}
    by_norm: dict[str, list[str]] = {}
    for col in columns:
        by_norm.setdefault(normalise_name(col), []).append(col)
    used = set(taken)
    for field in fields:
        names = _candidates(field, kind)
        found: list[str] = []
        for name in names:
            found += [c for c in by_norm.get(name, []) if c not in used and c not in found]
        full_names = [field, *ALIASES[kind].get(field, ())]
        found += [
            c
            for c in columns
            if c not in used and c not in found and _truncated_match(c, full_names)
        ]
        if not found:
            continue
        # A column spelled exactly like the field beats other spellings of it.
        found.sort(key=lambda c: c != field)
        chosen[field] = found[0]
        used.add(found[0])
        exact = [c for c in found if normalise_name(c) == normalise_name(field)]
        # A column named exactly like the field is not in competition with aliases
        # (a file with ``name`` and ``name_en`` means ``name``); two spellings of the
        # field itself, or two aliases with no exact column, are.
        others = exact[1:] if exact else found[1:]
        if others:
            rivals[field] = others
    return chosen, rivals


def suggest_mapping(columns: Iterable[Any], *, kind: str) -> dict[str, str]:
    """Propose a column for each canonical field of *kind* (for the app's mapping form).

    Parameters
    ----------
    columns : iterable of str
        The file's column names (a ``geometry`` column is ignored).
    kind : str
        The layer kind.

    Returns
    -------
    dict of str to str
        ``{field: column}`` for every field a column was found for; for incidents,
        also ``{"need_<type>": column}`` for flat need columns.

    Examples
    --------
    >>> suggest_mapping(["iso_3166_2", "name", "iso_a2", "geometry"], kind="jurisdictions")
    {'id': 'iso_3166_2', 'name': 'name', 'country': 'iso_a2'}
    """
    if kind not in FIELDS:
        raise ValueError(f"unknown layer kind {kind!r}")
    cols = [str(c) for c in columns if str(c) != "geometry"]
    chosen, _ = _resolve(cols, kind=kind, taken=set(), fields=FIELDS[kind])
    suggestion = {f: chosen[f] for f in FIELDS[kind] if f in chosen}
    if kind == "incidents":
        used = set(suggestion.values())
        for col in cols:
            need = need_column_type(col)
            if need is not None and col not in used:
                suggestion.setdefault(f"need_{_untruncated_need(col, need)}", col)
    return suggestion


def _find_column(source: str, columns: list[str]) -> str | None:
    if source in columns:
        return source
    matches = [c for c in columns if normalise_name(c) == normalise_name(source)]
    return matches[0] if len(matches) == 1 else None


def _free_name(name: str, columns: Iterable[str]) -> str:
    """``<name>_in_file`` (or a numbered variant) not yet among *columns*."""
    existing = set(columns)
    candidate = f"{name}_in_file"
    n = 2
    while candidate in existing:
        candidate = f"{name}_in_file_{n}"
        n += 1
    return candidate


def apply_mapping(
    frame: pd.DataFrame, *, kind: str, mapping: Mapping[str, str] | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Rename a layer's columns to the canonical field names.

    Explicit *mapping* entries come first: a SOURCE that is not a column is an
    error naming the columns the file has. Fields still missing are then looked
    for among the aliases; when two columns could be the same field, the best one
    is used and a warning says which. For incidents, flat ``need_<type>`` columns
    and a ``needs`` object (or its JSON text, as GeoPackage stores it) are combined
    into one ``needs`` column of dicts; the units themselves are checked later by
    the validator.

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        The layer with the file's own column names.
    kind : str
        The layer kind.
    mapping : mapping of str to str, optional
        ``{field: source column}``, as from :func:`parse_mapping`.

    Returns
    -------
    frame : same type as *frame*
        A copy with canonical names; columns that are no field keep their names.
    problems : list of Problem
        Errors for a bad mapping or unreadable needs, warnings for competing columns.
    """
    if kind not in FIELDS:
        raise ValueError(f"unknown layer kind {kind!r}")
    problems: list[Problem] = []
    out = frame.copy()
    geometry_name = out.geometry.name if hasattr(out, "geometry") and _has_geometry(out) else None
    columns = [c for c in out.columns if c != geometry_name]
    renames: dict[str, str] = {}
    taken: set[str] = set()
    copies: dict[str, str] = {}
    need_sources: dict[str, str] = {}
    for field, source in (mapping or {}).items():
        found = _find_column(source, [str(c) for c in columns])
        if found is None:
            available = ", ".join(repr(str(c)) for c in columns) or "none"
            problems.append(
                Problem(
                    f"the mapping {field}={source} names a column {source!r} that the file does "
                    f"not have; its columns are: {available}",
                    field=field,
                )
            )
            continue
        need = need_column_type(field) if kind == "incidents" else None
        if need is not None and field not in FIELDS[kind]:
            need_sources[need] = found
            taken.add(found)
        elif field not in FIELDS[kind]:
            problems.append(
                Problem(
                    f"the mapping {field}={source} names {field!r}, which is not a field of "
                    f"{kind} (fields: {', '.join(FIELDS[kind])})",
                    field=field,
                )
            )
        elif found in taken:
            copies[field] = found
        else:
            renames[found] = field
            taken.add(found)
    mapped_fields = set(renames.values()) | set(copies)
    missing = [f for f in FIELDS[kind] if f not in mapped_fields]
    free = [str(c) for c in columns if c not in taken]
    chosen, rivals = _resolve(free, kind=kind, taken=set(), fields=missing)
    for field, col in chosen.items():
        renames[col] = field
        taken.add(col)
    for field, others in rivals.items():
        names = ", ".join(repr(o) for o in others)
        problems.append(
            Problem(
                f"columns {chosen[field]!r} and {names} could both be {field}; {chosen[field]!r} "
                f"was used (name the right one with --map {field}=COLUMN)",
                severity="warning",
                field=field,
            )
        )
    # A column that already has a canonical name but is not the chosen one (a mapped
    # ``id=iso_3166_2`` next to the file's own ``id``) keeps its data under a new name.
    targets = set(renames.values()) | set(copies)
    moved: dict[str, str] = {}
    names_now = [str(c) for c in out.columns]
    for col in columns:
        if col not in renames and col in targets:
            new = _free_name(str(col), names_now + list(moved.values()))
            moved[col] = new
            problems.append(
                Problem(
                    f"the file's own column {col!r} is kept as {new!r} because "
                    f"{col} was mapped to another column",
                    severity="warning",
                    field=str(col),
                )
            )
    out = out.rename(columns={**moved, **renames})
    for field, col in copies.items():
        out[field] = out[renames.get(col, col)]
    if kind == "incidents":
        out, need_problems = _combine_needs(
            out, explicit=need_sources, exclude=set(renames.values()) | set(copies)
        )
        problems += need_problems
    return out, problems


def _has_geometry(frame: Any) -> bool:
    try:
        frame.geometry  # noqa: B018 - raises when there is no active geometry column
    except (AttributeError, ValueError):
        return False
    return True


def _reject_constant(name: str) -> Any:
    raise StrictJSONError(f"{name} is not a number JSON allows")


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise StrictJSONError(f"{key!r} is given twice")
        result[key] = value
    return result


def parse_json_object(text: str) -> dict[str, Any]:
    """Parse a JSON object strictly: no ``NaN``/``Infinity``, no repeated keys.

    Raises
    ------
    ValueError
        With a short reason a person can act on.

    Examples
    --------
    >>> parse_json_object('{"boat": 2}')
    {'boat': 2}
    """
    try:
        value = json.loads(
            text, parse_constant=_reject_constant, object_pairs_hook=_reject_duplicates
        )
    except StrictJSONError as exc:
        raise ValueError(str(exc)) from None
    except (json.JSONDecodeError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        raise ValueError(f"it is not valid JSON ({reason})") from None
    if not isinstance(value, dict):
        raise ValueError('it is not a JSON object like {"boat": 2}')
    return value


def _is_missing(value: Any) -> bool:
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _short(value: Any, limit: int = 60) -> str:
    text = str(value)
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _combine_needs(
    frame: pd.DataFrame, *, explicit: Mapping[str, str], exclude: set[str]
) -> tuple[pd.DataFrame, list[Problem]]:
    """One ``needs`` column of dicts from a needs object/JSON and ``need_<type>`` columns.

    Values are left as the file gave them (numbers or text); the validator checks
    them. Empty flat cells mean "none of this type". JSON that cannot be read is an
    error here and the cell becomes None, so the validator does not repeat it.
    """
    import pandas as pd

    problems: list[Problem] = []
    flat: dict[str, str] = dict(explicit)
    for col in frame.columns:
        if col in exclude or col == "needs" or col in flat.values():
            continue
        need = need_column_type(col)
        if need is None:
            continue
        need = _untruncated_need(str(col), need)
        if need in flat:
            problems.append(
                Problem(
                    f"columns {flat[need]!r} and {str(col)!r} both give the need for {need!r}; "
                    f"{flat[need]!r} was used",
                    severity="warning",
                    field="needs",
                )
            )
            continue
        flat[need] = str(col)
    n = len(frame)
    ids = frame["id"].tolist() if "id" in frame.columns else [None] * n
    if "needs" in frame.columns:
        base = list(frame["needs"])
    else:
        base = [None] * n
    combined: list[Any] = []
    for i, cell in enumerate(base):
        if isinstance(cell, (bytes, bytearray)):
            cell = bytes(cell).decode("utf-8", errors="replace")
        if isinstance(cell, str) and cell.strip():
            try:
                cell = parse_json_object(cell)
            except ValueError as exc:
                problems.append(
                    Problem(
                        f'needs must be an object like {{"boat": 2}}; {_short(cell)} cannot be '
                        f"read: {exc}",
                        feature=i + 1,
                        feature_id=_id_text(ids[i]),
                        field="needs",
                    )
                )
                cell = None
        elif _is_missing(cell):
            cell = None
        combined.append(cell)
    if flat:
        columns = {need: frame[col].tolist() for need, col in flat.items()}
        for i in range(n):
            extra = {
                need: values[i] for need, values in columns.items() if not _is_missing(values[i])
            }
            if not extra:
                continue
            cell = combined[i]
            if cell is None:
                combined[i] = extra
            elif isinstance(cell, dict):
                merged = dict(cell)
                for need, value in extra.items():
                    if need in merged and merged[need] != value:
                        problems.append(
                            Problem(
                                f"the need for {need!r} is given twice: {merged[need]!r} in needs "
                                f"and {value!r} in column {flat[need]!r}",
                                feature=i + 1,
                                feature_id=_id_text(ids[i]),
                                field="needs",
                            )
                        )
                    merged[need] = value
                combined[i] = merged
        frame = frame.drop(columns=list(flat.values()))
    frame["needs"] = pd.Series(combined, index=frame.index, dtype=object)
    return frame, problems


def _id_text(value: Any) -> str | None:
    if _is_missing(value) or isinstance(value, (dict, list)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() or None

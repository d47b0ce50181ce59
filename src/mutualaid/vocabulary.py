"""Words for people: one display name for every field and vocabulary value, and the
few rules that turn numbers, needs and durations into text.

The files, the plan's JSON, the CSV headers and the command line keep the contract's
keys (``fire_engine``, ``max_response_min``); only what a person reads changes. Every
display name lives in :data:`VOCABULARY`, one table of *group* -> *key* -> English
text, so that the next step (the contract's six languages) translates one table.

A lookup never returns a raw key: a key the table does not know (a new resource type a
file brought, an extra column) is humanised (``search_dog`` -> ``search dog``). An empty
value is :data:`EMPTY` (a dash), never ``None``.

This is a base module: it imports only the standard library.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Final

#: What an empty cell or a missing value shows.
EMPTY: Final[str] = "—"

# --- The table --------------------------------------------------------------------------

#: Group names of :data:`VOCABULARY`.
FIELD: Final = "field"
RESOURCE_TYPE: Final = "resource_type"
RESOURCE_TYPE_PLURAL: Final = "resource_type_plural"
HAZARD: Final = "hazard"
STATUS: Final = "status"
STATE: Final = "state"
ROLE: Final = "role"
SHARING: Final = "sharing"
LAYER_KIND: Final = "layer_kind"
CROSSING: Final = "crossing"
REASON: Final = "reason"

#: Every display name, by group and key (English). Field names are written as a
#: column header or a form label reads them (capital first); vocabulary values as they
#: read inside a sentence (``2 fire engines``, ``out of service``).
VOCABULARY: Final[Mapping[str, Mapping[str, str]]] = {
    FIELD: {
        # every layer (contract, section 1)
        "id": "ID",
        "name": "Name",
        "geometry": "Shape",
        "lon": "Longitude",
        "lat": "Latitude",
        "sharing": "Shared with",
        # jurisdictions
        "country": "Country",
        "reserve": "Kept in reserve",
        # incidents
        "hazard": "Hazard",
        "severity": "Severity",
        "status": "Status",
        "reported_at": "Reported",
        "needs": "Needs",
        "max_response_min": "Maximum response time",
        # resources
        "type": "Resource type",
        "quantity": "Units",
        "jurisdiction": "Jurisdiction",
        "owner": "Owner",
        "speed_kmh": "Speed (km/h)",
        # agreements
        "from": "From",
        "to": "To",
        "resource_types": "Resource types",
        "border_delay_min": "Border delay",
        "basis": "Basis",
        # travel times
        "resource_id": "Resource ID",
        "incident_id": "Incident ID",
        "minutes": "Minutes",
        # the plan (contract, section 3)
        "units": "Units",
        "from_jurisdiction": "From jurisdiction",
        "to_jurisdiction": "To jurisdiction",
        "cross_border": "Across a border",
        "reason": "Reason",
        "other_reasons": "Other reasons",
        "detail": "Detail",
        "weighted_coverage": "Severity-weighted units delivered",
        "unit_minutes": "Unit-minutes",
        "units_assigned": "Units assigned",
        "units_needed": "Units needed",
        "solve_seconds": "Solve seconds",
        # the app's own columns
        "resource_name": "Resource name",
        "incident_name": "Incident name",
        "crossing": "Crossing",
        "stage": "Stage",
        "eta": "Arrival",
        "provider": "Provider",
        "requester": "Requester",
        "state": "State",
        "role": "Role",
        "username": "Username",
        "display_name": "Name",
        "disabled": "Disabled",
        "created_at": "Created",
        "updated_at": "Updated",
        "kind": "Layer",
        "version": "Version",
        "units_short": "Units short",
        "units_needed_total": "Units needed",
        "need_met": "Need met",
        "incidents": "Incidents",
        "resources": "Resources",
        "jurisdictions": "Jurisdictions",
        "agreements": "Agreements",
        "from_country": "From country",
        "to_country": "To country",
        "assignments": "Assignments",
        "agreement": "Agreement",
        "travel_minutes": "Travel minutes",
        "incident": "Incident",
        "resource": "Resource",
        "met_pct": "Met %",
        "mean_minutes": "Mean minutes",
        "worst_minutes": "Worst minutes",
        "offered": "Offered",
        "committed": "Committed",
    },
    # contract, section 1: resource types (settings.RESOURCE_TYPES)
    RESOURCE_TYPE: {
        "ambulance": "ambulance",
        "fire_engine": "fire engine",
        "usar_team": "USAR team",
        "boat": "boat",
        "helicopter": "helicopter",
        "medical_team": "medical team",
        "water_purification": "water purification unit",
        "pump": "pump",
        "generator": "generator",
        "shelter_kit": "shelter kit",
        "airplane": "airplane",
        "air_ambulance": "air ambulance",
        "drone": "drone",
    },
    RESOURCE_TYPE_PLURAL: {
        "ambulance": "ambulances",
        "fire_engine": "fire engines",
        "usar_team": "USAR teams",
        "boat": "boats",
        "helicopter": "helicopters",
        "medical_team": "medical teams",
        "water_purification": "water purification units",
        "pump": "pumps",
        "generator": "generators",
        "shelter_kit": "shelter kits",
        "airplane": "airplanes",
        "air_ambulance": "air ambulances",
        "drone": "drones",
    },
    # contract, section 1: hazards (settings.HAZARDS)
    HAZARD: {
        "flood": "flood",
        "wildfire": "wildfire",
        "earthquake": "earthquake",
        "storm": "storm",
        "epidemic": "epidemic",
        "hazmat": "hazardous materials",
        "landslide": "landslide",
        "drought": "drought",
        "other": "other",
    },
    # incident and resource statuses (settings.INCIDENT_STATUSES, RESOURCE_STATUSES)
    STATUS: {
        "active": "active",
        "contained": "contained",
        "closed": "closed",
        "available": "available",
        "assigned": "assigned",
        "out_of_service": "out of service",
    },
    # the workflow's request and offer states and the held units' stages
    # (store.workflow.states, allocation.held.STAGES)
    STATE: {
        "open": "open",
        "closed": "closed",
        "cancelled": "cancelled",
        "proposed": "proposed",
        "committed": "committed",
        "declined": "declined",
        "superseded": "superseded",
        "accepted": "accepted",
        "on_scene": "on scene",
        "refused": "refused",
        "withdrawn": "withdrawn",
        "released": "released",
        "en_route": "en route",
    },
    # access.actor.ROLES
    ROLE: {
        "viewer": "viewer",
        "planner": "planner",
        "coordinator": "coordinator",
        "admin": "administrator",
    },
    # access.sharing.LEVELS
    SHARING: {
        "public": "everyone",
        "partners": "partner jurisdictions",
        "owner": "own jurisdiction only",
    },
    # layers.schema.KINDS
    LAYER_KIND: {
        "jurisdictions": "jurisdictions",
        "incidents": "incidents",
        "resources": "resources",
        "agreements": "agreements",
        "travel_times": "travel times",
    },
    # figures.plan.CROSSINGS
    CROSSING: {
        "local": "within a jurisdiction",
        "jurisdiction": "to another jurisdiction",
        "national": "across a national border",
    },
    # allocation.explain.REASONS (the contract's words are their own keys)
    REASON: {
        "no units of that type": "no units of that type",
        "no agreement": "no agreement",
        "beyond the maximum response time": "beyond the maximum response time",
        "reserve limit": "reserve limit",
        "outcompeted by more severe incidents": "outcompeted by more severe incidents",
    },
}


# --- Lookups ----------------------------------------------------------------------------


def humanise(key: object) -> str:
    """A key the table does not know, as words: underscores become spaces.

    Examples
    --------
    >>> humanise("search_dog")
    'search dog'
    >>> humanise(None)
    '—'
    """
    if key is None or (isinstance(key, float) and math.isnan(key)):
        return EMPTY
    text = " ".join(str(key).replace("_", " ").split())
    return text or EMPTY


def value_label(group: str, key: object) -> str:
    """The display name of *key* in *group* of :data:`VOCABULARY`, else the key
    humanised (:func:`humanise`): never a raw key, never ``None``.

    Parameters
    ----------
    group : str
        One of the group names (:data:`RESOURCE_TYPE`, :data:`STATE`, ...).
    key : object
        The canonical value (``"out_of_service"``).

    Returns
    -------
    str

    Examples
    --------
    >>> value_label(STATUS, "out_of_service")
    'out of service'
    """
    if isinstance(key, str):
        found = VOCABULARY.get(group, {}).get(key)
        if found is None:
            found = VOCABULARY.get(group, {}).get(key.strip().lower())
        if found is not None:
            return found
    return humanise(key)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def label(key: object) -> str:
    """A field's display name, as a column header or a form label reads it.

    Examples
    --------
    >>> label("max_response_min")
    'Maximum response time'
    >>> label("need_pump")
    'Need pump'
    """
    return _capital(value_label(FIELD, key))


def labels(keys: Iterable[object]) -> dict[Any, str]:
    """``{key: label(key)}`` for each key: a frame's ``rename(columns=...)``."""
    return {key: label(key) for key in keys}


def type_label(key: object, units: int | float | None = None) -> str:
    """A resource type's display name; plural when *units* is not 1.

    Examples
    --------
    >>> type_label("fire_engine"), type_label("usar_team", 3)
    ('fire engine', 'USAR teams')
    >>> type_label("search_dog", 2)
    'search dogs'
    """
    if units is None or units == 1:
        return value_label(RESOURCE_TYPE, key)
    if isinstance(key, str) and key in VOCABULARY[RESOURCE_TYPE_PLURAL]:
        return VOCABULARY[RESOURCE_TYPE_PLURAL][key]
    single = value_label(RESOURCE_TYPE, key)
    if single == EMPTY:
        return single
    if single.endswith(("s", "sh", "ch", "x", "z")):
        return single + "es"
    return single + "s"


def types_text(keys: Iterable[object]) -> str:
    """Resource types as a list in words (``"*"`` is every type).

    Examples
    --------
    >>> types_text(["boat", "fire_engine"])
    'boats, fire engines'
    >>> types_text(["*"])
    'every type'
    """
    names = [
        "every type" if str(k).strip() == "*" else type_label(k, 2) for k in keys if str(k).strip()
    ]
    return ", ".join(names) if names else EMPTY


def hazard_label(key: object) -> str:
    """A hazard's display name (``hazmat`` -> ``hazardous materials``)."""
    return value_label(HAZARD, key)


def status_label(key: object) -> str:
    """An incident's or a resource's status (``out_of_service`` -> ``out of service``)."""
    return value_label(STATUS, key)


def state_label(key: object) -> str:
    """A workflow request's or offer's state, or a held unit's stage (``on_scene`` ->
    ``on scene``)."""
    return value_label(STATE, key)


def role_label(key: object) -> str:
    """A role's display name (``admin`` -> ``administrator``)."""
    return value_label(ROLE, key)


def sharing_label(key: object) -> str:
    """A sharing level's display name (``partners`` -> ``partner jurisdictions``)."""
    return value_label(SHARING, key)


def kind_label(key: object) -> str:
    """A layer kind's display name (``travel_times`` -> ``travel times``)."""
    return value_label(LAYER_KIND, key)


def crossing_label(key: object) -> str:
    """How a trip crosses boundaries (``national`` -> ``across a national border``)."""
    return value_label(CROSSING, key)


def reason_label(key: object) -> str:
    """An unmet need's reason, as people read it."""
    return value_label(REASON, key)


def account_label(role: object, jurisdiction: object = None) -> str:
    """A role and its jurisdiction in one plain label (``coordinator for DE-NW``).

    Examples
    --------
    >>> account_label("viewer", "NG-BO")
    'viewer for NG-BO'
    >>> account_label("admin")
    'administrator'
    """
    name = role_label(role)
    where = "" if jurisdiction is None else str(jurisdiction).strip()
    return f"{name} for {where}" if where else name


# --- Numbers, needs, durations ------------------------------------------------------------


def _finite(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number_value = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return number_value if math.isfinite(number_value) else None


def number(value: object, digits: int = 1) -> str:
    """A number as people read it: thousands separated, a whole number without ``.0``,
    others to *digits* decimals (trailing zeros dropped); :data:`EMPTY` for None or NaN.

    Examples
    --------
    >>> number(180.0), number(12345), number(74.56), number(None)
    ('180', '12,345', '74.6', '—')
    """
    found = _finite(value)
    if found is None:
        return str(value) if isinstance(value, str) and value.strip() else EMPTY
    rounded = round(found, digits)
    if rounded.is_integer():
        return f"{int(rounded):,}"
    return f"{rounded:,.{digits}f}".rstrip("0").rstrip(".")


def percent(share: object) -> str:
    """A share (0..1) as a percentage with one decimal (``"87.2 %"``, as every page's
    figures); :data:`EMPTY` when there is none.

    Examples
    --------
    >>> percent(0.8724), percent(None)
    ('87.2 %', '—')
    """
    found = _finite(share)
    return EMPTY if found is None else f"{found * 100:.1f} %"


def duration(minutes: object) -> str:
    """Minutes as a duration people read: ``45 min``, ``1 h 30 min``, ``2 h``.

    Examples
    --------
    >>> duration(45), duration(90.4), duration(120), duration(None)
    ('45 min', '1 h 30 min', '2 h', '—')
    """
    found = _finite(minutes)
    if found is None:
        return EMPTY
    whole = int(round(found))
    if abs(whole) < 60:
        return f"{whole} min"
    hours, rest = divmod(abs(whole), 60)
    sign = "-" if whole < 0 else ""
    return f"{sign}{hours:,} h {rest} min" if rest else f"{sign}{hours:,} h"


def units_text(units: object, key: object) -> str:
    """A count of one resource type in words (``2 boats``, ``1 USAR team``)."""
    found = _finite(units)
    return f"{number(units)} {type_label(key, found)}"


def needs_text(needs: object) -> str:
    """An incident's needs in words, ordered by type: ``2 boats, 1 pump``; types
    needing nothing are left out; :data:`EMPTY` when nothing is needed.

    Parameters
    ----------
    needs : Mapping or None
        ``{resource_type: units}``.

    Examples
    --------
    >>> needs_text({"pump": 1, "boat": 2, "drone": 0})
    '2 boats, 1 pump'
    >>> needs_text({})
    '—'
    """
    if not isinstance(needs, Mapping):
        return EMPTY
    parts = [
        units_text(units, key)
        for key, units in sorted(needs.items(), key=lambda item: str(item[0]))
        if (_finite(units) or 0) != 0
    ]
    return ", ".join(parts) if parts else EMPTY


def keys(group: str) -> tuple[str, ...]:
    """The keys *group* of :data:`VOCABULARY` names (for tests and pickers)."""
    return tuple(VOCABULARY.get(group, {}))


__all__ = [
    "CROSSING",
    "EMPTY",
    "FIELD",
    "HAZARD",
    "LAYER_KIND",
    "REASON",
    "RESOURCE_TYPE",
    "RESOURCE_TYPE_PLURAL",
    "ROLE",
    "SHARING",
    "STATE",
    "STATUS",
    "VOCABULARY",
    "account_label",
    "crossing_label",
    "duration",
    "hazard_label",
    "humanise",
    "keys",
    "kind_label",
    "label",
    "labels",
    "needs_text",
    "number",
    "percent",
    "reason_label",
    "role_label",
    "sharing_label",
    "state_label",
    "status_label",
    "type_label",
    "types_text",
    "units_text",
    "value_label",
]

#!/usr/bin/env python3
"""Build the two sample scenarios in ``data/`` from the reference data.

    python scripts/build_scenarios.py                # writes data/rhine-flood-2021, data/lake-chad
    python scripts/build_scenarios.py --out DIR      # writes DIR/rhine-flood-2021, DIR/lake-chad

Each scenario folder is what ``mutualaid allocate`` reads (contract, section 3):
``jurisdictions.geojson``, ``incidents.geojson``, ``resources.geojson``,
``agreements.csv``, plus a ``README.md`` that summarises it.

What is real and what is invented
---------------------------------
Real: the admin-1 outlines (Natural Earth, public domain), the positions, names and
populations of towns (GeoNames, CC BY 4.0) and of airfields and heliports
(OurAirports, public domain), the places and dates the incidents are modelled on.
Invented: every incident's severity, needs and status, every unit count, every
reserve share and every agreement row (rows are *modelled on* real treaties).

Reproducibility
---------------
No random numbers: where variety is wanted (reserves, which units are out of
service) it comes from a SHA-256 of the record's id, so the same input always gives
the same bytes. GeoJSON is written by hand: one feature per line, properties in the
contract's order, coordinates rounded to :data:`COORD_DECIMALS`, no NaN, features
sorted by id. The reference files are read as JSON (GDAL never guesses a format).
The only inputs are the files in ``data/reference/`` (see ``SOURCES.md`` there).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
from shapely.geometry import Point, shape

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "data"
DEFAULT_REFERENCE = REPO / "data" / "reference"

#: Decimal places kept for every coordinate (1e-5 degree is about 1 m).
COORD_DECIMALS = 5
#: Most units one resource record may hold (the brief: quantity 1 to 10).
MAX_QUANTITY = 10
#: GeoNames lists city districts as towns (``Zürich (Kreis 11)``, ``Porz am Rhein``).
#: A town within ``max(DEDUP_MIN_KM, DEDUP_KM_PER_SQRT_MILLION * sqrt(population of
#: the bigger town / 1e6))`` of a more populous town of the same country is dropped,
#: so districts do not stack up units (Köln: 12 km, Liège: 5.3 km).
DEDUP_MIN_KM = 3.0
DEDUP_KM_PER_SQRT_MILLION = 12.0
#: Local responders: the ``LOCAL_TOWNS`` most populous towns within ``LOCAL_KM`` of
#: each active incident also hold units, whatever their jurisdiction's quota.
LOCAL_KM = 15.0
LOCAL_TOWNS = 1

RESOURCE_TYPES: tuple[str, ...] = (
    "ambulance",
    "boat",
    "fire_engine",
    "generator",
    "helicopter",
    "medical_team",
    "pump",
    "shelter_kit",
    "usar_team",
    "water_purification",
)
TYPE_CODES: dict[str, str] = {
    "ambulance": "AMB",
    "boat": "BOAT",
    "fire_engine": "FIRE",
    "generator": "GEN",
    "helicopter": "HELI",
    "medical_team": "MED",
    "pump": "PUMP",
    "shelter_kit": "SHELTER",
    "usar_team": "USAR",
    "water_purification": "WATER",
}
TYPE_LABELS: dict[str, str] = {
    "ambulance": "Ambulances",
    "boat": "Rescue boats",
    "fire_engine": "Fire engines",
    "generator": "Generators",
    "helicopter": "Helicopters",
    "medical_team": "Medical team",
    "pump": "High-capacity pumps",
    "shelter_kit": "Shelter kits",
    "usar_team": "USAR team",
    "water_purification": "Water purification unit",
}
AGREEMENT_COLUMNS: tuple[str, ...] = ("from", "to", "resource_types", "border_delay_min", "basis")


# --------------------------------------------------------------------------------------
# Specification types: everything scenario-specific is data, below.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentSpec:
    """One incident. ``place`` is a GeoNames city name (looked up in the reference
    cities of ``jurisdiction``'s country) unless ``lonlat`` places it by hand."""

    key: str
    name: str
    jurisdiction: str
    hazard: str
    severity: int
    reported_at: str
    needs: Mapping[str, int]
    place: str | None = None
    lonlat: tuple[float, float] | None = None
    status: str = "active"
    max_response_min: int | None = None


@dataclass(frozen=True)
class CityRule:
    """Units of ``type`` at every selected city of at least ``min_pop`` people in
    ``countries`` (None: all): ``base + population // per_pop``, capped."""

    type: str
    min_pop: int
    per_pop: int
    countries: frozenset[str] | None = None
    base: int = 1

    def quantity(self, *, country: str, population: int) -> int:
        if population < self.min_pop:
            return 0
        if self.countries is not None and country not in self.countries:
            return 0
        return min(MAX_QUANTITY, self.base + population // self.per_pop)


@dataclass(frozen=True)
class NamedUnit:
    """Units placed at a named town (``city``) or airfield (``airfield`` ident),
    in addition to the population rules."""

    type: str
    quantity: int
    label: str
    city: str | None = None
    country: str | None = None
    airfield: str | None = None
    speed_kmh: int | None = None


@dataclass(frozen=True)
class AgreementSpec:
    """A permission; ``both_ways`` writes the mirrored row too."""

    a: str
    b: str
    types: tuple[str, ...]
    delay: int
    basis: str
    both_ways: bool = True


@dataclass(frozen=True)
class ScenarioSpec:
    folder: str
    title: str
    admin1: str
    cities: str
    airfields: str
    countries: tuple[str, ...]
    name_fixes: Mapping[str, str]
    city_quota: Mapping[str, int]
    city_rules: tuple[CityRule, ...]
    named_units: tuple[NamedUnit, ...]
    incidents: tuple[IncidentSpec, ...]
    agreements: tuple[AgreementSpec, ...]
    reserve_choices: tuple[float, ...]
    modelled_on: str
    notes: tuple[str, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------------------
# Deterministic helpers
# --------------------------------------------------------------------------------------


def stable_int(key: str) -> int:
    """A number that depends only on *key* (unlike :func:`hash`, which is salted)."""
    return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")


def round_coords(value: Any) -> Any:
    """Coordinates of a GeoJSON geometry rounded to :data:`COORD_DECIMALS`, 2-D only."""
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], (int, float)):
            return [_round(value[0]), _round(value[1])]
        return [round_coords(v) for v in value]
    return value


def _round(x: float) -> float:
    r = round(float(x), COORD_DECIMALS)
    return 0.0 if r == 0 else r  # never write -0.0


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


# --------------------------------------------------------------------------------------
# Reading the reference data
# --------------------------------------------------------------------------------------


def read_features(path: Path) -> list[dict[str, Any]]:
    """The features of a reference GeoJSON file, read as JSON."""
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)["features"]


def read_points(path: Path) -> gpd.GeoDataFrame:
    """A reference point file as a GeoDataFrame (properties + geometry), in file order."""
    feats = read_features(path)
    rows = [dict(f["properties"]) for f in feats]
    geoms = [shape(f["geometry"]) for f in feats]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")


def locate(points: gpd.GeoDataFrame, jurisdictions: gpd.GeoDataFrame) -> list[str | None]:
    """For each point (in order), the id of the jurisdiction that contains it, or None."""
    left = gpd.GeoDataFrame(
        {"_row": range(len(points))}, geometry=points.geometry.values, crs="EPSG:4326"
    )
    joined = gpd.sjoin(left, jurisdictions[["id", "geometry"]], how="left", predicate="within")
    found: dict[int, str] = {}
    for row, jid in zip(joined["_row"], joined["id"]):
        if isinstance(jid, str):
            # Overlapping outlines could match twice; keep the smallest id, stably.
            found[row] = min(found.get(row, jid), jid)
    return [found.get(i) for i in range(len(points))]


# --------------------------------------------------------------------------------------
# Building the layers
# --------------------------------------------------------------------------------------


def build_jurisdictions(spec: ScenarioSpec, reference: Path) -> list[dict[str, Any]]:
    """Admin-1 areas of the scenario's countries as canonical jurisdiction features."""
    out = []
    for feat in read_features(reference / spec.admin1):
        props = feat["properties"]
        if props["iso_a2"] not in spec.countries:
            continue
        jid = props["iso_3166_2"]
        geometry = {
            "type": feat["geometry"]["type"],
            "coordinates": round_coords(feat["geometry"]["coordinates"]),
        }
        if not shape(geometry).is_valid:
            raise ValueError(f"{jid}: outline invalid after rounding to {COORD_DECIMALS} decimals")
        reserve = spec.reserve_choices[stable_int(f"reserve:{jid}") % len(spec.reserve_choices)]
        out.append(
            {
                "properties": {
                    "id": jid,
                    "name": spec.name_fixes.get(jid, props["name"]),
                    "country": props["iso_a2"],
                    "reserve": reserve,
                },
                "geometry": geometry,
            }
        )
    ids = [f["properties"]["id"] for f in out]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{spec.folder}: duplicate jurisdiction ids")
    return sorted(out, key=lambda f: f["properties"]["id"])


def jurisdiction_frame(features: Sequence[Mapping[str, Any]]) -> gpd.GeoDataFrame:
    """Jurisdiction features as a GeoDataFrame with ``id``, ``country`` and geometry."""
    return gpd.GeoDataFrame(
        [{"id": f["properties"]["id"], "country": f["properties"]["country"]} for f in features],
        geometry=[shape(f["geometry"]) for f in features],
        crs="EPSG:4326",
    )


def prepare_cities(spec: ScenarioSpec, reference: Path, jur: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reference cities inside a jurisdiction of their own country, most populous
    first, without districts that sit within :data:`DEDUP_KM` of a bigger city."""
    cities = read_points(reference / spec.cities)
    cities["jurisdiction"] = locate(cities, jur)
    country_of = dict(zip(jur["id"], jur["country"]))
    # A town that the simplified outlines put across the border (Gamboru, NG, falls in
    # CM-EN at 0.01 degree) is dropped rather than handed to the wrong country.
    keep = [
        isinstance(j, str) and country_of[j] == c
        for j, c in zip(cities["jurisdiction"], cities["countrycode"])
    ]
    cities = cities[keep].copy()
    cities["population"] = cities["population"].astype(int)
    cities = cities.sort_values(["population", "geonameid"], ascending=[False, True])
    kept: list[int] = []
    centres: list[tuple[float, float, str, float]] = []
    for idx, row in cities.iterrows():
        x, y = row.geometry.x, row.geometry.y
        if any(
            c == row["countrycode"] and haversine_km(x, y, cx, cy) < radius
            for cx, cy, c, radius in centres
        ):
            continue
        kept.append(idx)
        radius = max(
            DEDUP_MIN_KM, DEDUP_KM_PER_SQRT_MILLION * math.sqrt(int(row["population"]) / 1e6)
        )
        centres.append((x, y, row["countrycode"], radius))
    return cities.loc[kept].reset_index(drop=True)


def find_city(cities: gpd.GeoDataFrame, *, name: str, country: str | None) -> Any:
    match = cities[
        (cities["name"] == name) & ((cities["countrycode"] == country) if country else True)
    ]
    if len(match) != 1:
        raise ValueError(f"city {name!r} ({country}) found {len(match)} times in the reference")
    return match.iloc[0]


def build_incidents(
    spec: ScenarioSpec, cities: gpd.GeoDataFrame, jur: gpd.GeoDataFrame
) -> list[dict[str, Any]]:
    """Incident features, each checked to lie in the jurisdiction its spec names."""
    country_of = dict(zip(jur["id"], jur["country"]))
    points = []
    for inc in spec.incidents:
        if inc.lonlat is not None:
            points.append(Point(inc.lonlat))
        else:
            city = find_city(cities, name=inc.place, country=country_of[inc.jurisdiction])
            points.append(city.geometry)
    frame = gpd.GeoDataFrame(geometry=points, crs="EPSG:4326")
    found = locate(frame, jur)
    counters: dict[str, int] = {}
    out = []
    for inc, pt, where in zip(spec.incidents, points, found):
        if where != inc.jurisdiction:
            raise ValueError(
                f"incident {inc.key!r} at {pt.wkt} lies in {where}, not {inc.jurisdiction}"
            )
        if not 1 <= inc.severity <= 5:
            raise ValueError(f"incident {inc.key!r}: severity {inc.severity}")
        unknown = set(inc.needs) - set(RESOURCE_TYPES)
        if unknown:
            raise ValueError(f"incident {inc.key!r}: unknown types {sorted(unknown)}")
        counters[inc.jurisdiction] = counters.get(inc.jurisdiction, 0) + 1
        props: dict[str, Any] = {
            "id": f"I-{inc.jurisdiction}-{counters[inc.jurisdiction]:02d}",
            "name": inc.name,
            "hazard": inc.hazard,
            "severity": inc.severity,
            "status": inc.status,
            "reported_at": inc.reported_at,
            "needs": {k: int(v) for k, v in sorted(inc.needs.items()) if v > 0},
        }
        if inc.max_response_min is not None:
            props["max_response_min"] = inc.max_response_min
        out.append(
            {
                "properties": props,
                "geometry": {"type": "Point", "coordinates": round_coords([pt.x, pt.y])},
            }
        )
    return sorted(out, key=lambda f: f["properties"]["id"])


@dataclass
class _Unit:
    jurisdiction: str
    type: str
    quantity: int
    name: str
    lon: float
    lat: float
    order: tuple[Any, ...]
    speed_kmh: int | None = None


def select_cities(
    spec: ScenarioSpec, cities: gpd.GeoDataFrame, incidents: Sequence[Mapping[str, Any]]
) -> gpd.GeoDataFrame:
    """The towns that hold units: the ``city_quota[j]`` most populous of each
    jurisdiction j, and the local responders of every active incident."""
    chosen: set[int] = set()
    for jid, quota in sorted(spec.city_quota.items()):
        chosen.update(cities.index[cities["jurisdiction"] == jid][:quota])
    xs, ys = cities.geometry.x.to_numpy(), cities.geometry.y.to_numpy()
    for feat in incidents:
        if feat["properties"]["status"] != "active":
            continue
        ix, iy = feat["geometry"]["coordinates"]
        near = [i for i in cities.index if haversine_km(ix, iy, xs[i], ys[i]) <= LOCAL_KM]
        chosen.update(near[:LOCAL_TOWNS])  # cities are sorted most populous first
    return cities.loc[sorted(chosen)]


def city_units(
    spec: ScenarioSpec, cities: gpd.GeoDataFrame, incidents: Sequence[Mapping[str, Any]]
) -> list[_Unit]:
    """Units at the selected towns, by the scenario's population rules; rules for the
    same type add up (capped at :data:`MAX_QUANTITY`)."""
    units = []
    for _, row in select_cities(spec, cities, incidents).iterrows():
        totals: dict[str, int] = {}
        for rule in spec.city_rules:
            q = rule.quantity(country=row["countrycode"], population=int(row["population"]))
            if q:
                totals[rule.type] = min(MAX_QUANTITY, totals.get(rule.type, 0) + q)
        for rtype, q in sorted(totals.items()):
            name = f"{TYPE_LABELS[rtype]}, {row['name']}"
            units.append(
                _Unit(
                    row["jurisdiction"],
                    rtype,
                    q,
                    name,
                    row.geometry.x,
                    row.geometry.y,
                    (0, -int(row["population"]), int(row["geonameid"]), rtype),
                )
            )
    return units


def named_units(
    spec: ScenarioSpec, reference: Path, cities: gpd.GeoDataFrame, jur: gpd.GeoDataFrame
) -> list[_Unit]:
    """The scenario's named capacities, at their town or airfield."""
    airfields = read_points(reference / spec.airfields)
    airfields["jurisdiction"] = locate(airfields, jur)
    units = []
    for n, nu in enumerate(spec.named_units):
        if nu.airfield:
            match = airfields[airfields["ident"] == nu.airfield]
            if len(match) != 1:
                raise ValueError(f"airfield {nu.airfield!r} not found once in the reference")
            row = match.iloc[0]
            where, site = row["jurisdiction"], row["name"].strip().rstrip(".")
        else:
            row = find_city(cities, name=nu.city, country=nu.country)
            where, site = row["jurisdiction"], row["name"]
        if not isinstance(where, str):
            raise ValueError(f"named unit {nu.label!r} lies outside every jurisdiction")
        units.append(
            _Unit(
                where,
                nu.type,
                nu.quantity,
                f"{nu.label}, {site}",
                row.geometry.x,
                row.geometry.y,
                (1, n),
                nu.speed_kmh,
            )
        )
    return units


def resource_status(rid: str) -> str:
    """Most units are available; about one record in 16 is assigned elsewhere and
    one in 20 out of service, chosen by id so that rebuilding changes nothing."""
    h = stable_int(f"status:{rid}")
    if h % 20 == 0:
        return "out_of_service"
    if h % 16 == 1:
        return "assigned"
    return "available"


def build_resources(units: Iterable[_Unit]) -> list[dict[str, Any]]:
    """Resource features with readable ids ``<jurisdiction>-<TYPE>-<nnn>``."""
    ordered = sorted(units, key=lambda u: (u.jurisdiction, u.type, u.order))
    counters: dict[tuple[str, str], int] = {}
    out = []
    for u in ordered:
        key = (u.jurisdiction, u.type)
        counters[key] = counters.get(key, 0) + 1
        rid = f"{u.jurisdiction}-{TYPE_CODES[u.type]}-{counters[key]:03d}"
        if not 1 <= u.quantity <= MAX_QUANTITY:
            raise ValueError(f"{rid}: quantity {u.quantity}")
        props: dict[str, Any] = {
            "id": rid,
            "name": u.name,
            "type": u.type,
            "quantity": int(u.quantity),
            "status": resource_status(rid),
            "jurisdiction": u.jurisdiction,
        }
        if u.speed_kmh is not None:
            props["speed_kmh"] = u.speed_kmh
        out.append(
            {
                "properties": props,
                "geometry": {"type": "Point", "coordinates": round_coords([u.lon, u.lat])},
            }
        )
    return sorted(out, key=lambda f: f["properties"]["id"])


def build_agreements(spec: ScenarioSpec) -> list[dict[str, Any]]:
    """Agreement rows in spec order, mirrored rows right after their original."""
    rows = []
    for ag in spec.agreements:
        pairs = [(ag.a, ag.b)] + ([(ag.b, ag.a)] if ag.both_ways and ag.a != ag.b else [])
        for a, b in pairs:
            rows.append(
                {
                    "from": a,
                    "to": b,
                    "resource_types": ";".join(ag.types),
                    "border_delay_min": ag.delay,
                    "basis": ag.basis,
                }
            )
    keys = [(r["from"], r["to"], r["resource_types"]) for r in rows]
    if len(keys) != len(set(keys)):
        raise ValueError(f"{spec.folder}: duplicate agreement rows")
    return rows


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def geojson_text(features: Sequence[Mapping[str, Any]]) -> str:
    """A FeatureCollection, one feature per line, stable and NaN-free."""
    lines = ['{"type": "FeatureCollection", "features": [']
    for i, feat in enumerate(features):
        body = json.dumps(
            {"type": "Feature", "properties": feat["properties"], "geometry": feat["geometry"]},
            ensure_ascii=False,
            allow_nan=False,
            separators=(", ", ": "),
        )
        lines.append(body + ("," if i < len(features) - 1 else ""))
    lines.append("]}")
    return "\n".join(lines) + "\n"


def csv_text(rows: Sequence[Mapping[str, Any]]) -> str:
    """Agreement rows as CSV with ``\n`` line ends and :data:`AGREEMENT_COLUMNS`."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=AGREEMENT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _units_by_type(resources: Sequence[Mapping[str, Any]], status: str | None) -> dict[str, int]:
    totals: dict[str, int] = {}
    for f in resources:
        p = f["properties"]
        if status is None or p["status"] == status:
            totals[p["type"]] = totals.get(p["type"], 0) + p["quantity"]
    return totals


def readme_text(
    spec: ScenarioSpec, jurisdictions: list, incidents: list, resources: list, agreements: list
) -> str:
    """The scenario folder's README: counts, needs against supply, incidents, notes."""
    active = [f["properties"] for f in incidents if f["properties"]["status"] == "active"]
    demand: dict[str, int] = {}
    for p in active:
        for k, v in p["needs"].items():
            demand[k] = demand.get(k, 0) + v
    available = _units_by_type(resources, "available")
    total = _units_by_type(resources, None)
    countries = sorted({f["properties"]["country"] for f in jurisdictions})
    lines = [
        f"# {spec.title}",
        "",
        f"Modelled on {spec.modelled_on}. Built by `scripts/build_scenarios.py` from the",
        "reference data in `data/reference/`; do not edit by hand, rebuild with `make scenarios`.",
        "See `data/README.md` for sources, licences and what is real or invented.",
        "",
        "| layer | features |",
        "|---|---|",
        f"| jurisdictions.geojson | {len(jurisdictions)} admin-1 areas of {', '.join(countries)} |",
        f"| incidents.geojson | {len(incidents)} ({len(active)} active) |",
        f"| resources.geojson | {len(resources)} records, {sum(total.values())} units |",
        f"| agreements.csv | {len(agreements)} rows |",
        "",
        "Needs of active incidents against units available (status `available`):",
        "",
        "| type | needed | available | all units |",
        "|---|---|---|---|",
    ]
    for t in RESOURCE_TYPES:
        if demand.get(t) or total.get(t):
            lines.append(
                f"| {t} | {demand.get(t, 0)} | {available.get(t, 0)} | {total.get(t, 0)} |"
            )
    lines += [
        "",
        "Incidents:",
        "",
        "| id | name | hazard | severity | status | needs |",
        "|---|---|---|---|---|---|",
    ]
    for f in incidents:
        p = f["properties"]
        needs = ", ".join(f"{k} {v}" for k, v in p["needs"].items())
        lines.append(
            f"| {p['id']} | {p['name']} | {p['hazard']} | {p['severity']} "
            f"| {p['status']} | {needs} |"
        )
    if spec.notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in spec.notes]
    return "\n".join(lines) + "\n"


def build_scenario(spec: ScenarioSpec, reference: Path) -> dict[str, str]:
    """The text of every file of one scenario folder, by file name."""
    jurisdictions = build_jurisdictions(spec, reference)
    jur = jurisdiction_frame(jurisdictions)
    cities = prepare_cities(spec, reference, jur)
    incidents = build_incidents(spec, cities, jur)
    units = city_units(spec, cities, incidents) + named_units(spec, reference, cities, jur)
    resources = build_resources(units)
    agreements = build_agreements(spec)
    return {
        "jurisdictions.geojson": geojson_text(jurisdictions),
        "incidents.geojson": geojson_text(incidents),
        "resources.geojson": geojson_text(resources),
        "agreements.csv": csv_text(agreements),
        "README.md": readme_text(spec, jurisdictions, incidents, resources, agreements),
    }


def write_scenario(files: Mapping[str, str], folder: Path) -> None:
    """Write each file of one scenario into *folder* (created when missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        # newline="" keeps "\n" on every platform, so the bytes match everywhere.
        with (folder / name).open("w", encoding="utf-8", newline="") as fh:
            fh.write(text)


# --------------------------------------------------------------------------------------
# Scenario 1: Rhine-basin flood, modelled on 14-15 July 2021 ("Bernd")
# --------------------------------------------------------------------------------------

_DE = frozenset({"DE"})
_NL = frozenset({"NL"})
_NOT_DE = frozenset({"NL", "BE", "FR", "CH", "LU"})
_NOT_NL = frozenset({"DE", "BE", "FR", "CH", "LU"})
_NOT_DE_NL = frozenset({"BE", "FR", "CH", "LU"})

RHINE_INCIDENTS: tuple[IncidentSpec, ...] = (
    # Rhineland-Palatinate: the Ahr valley and the Kyll
    IncidentSpec(
        "schuld",
        "Ahr flash flood, Schuld",
        "DE-RP",
        "flood",
        5,
        "2021-07-14T19:30:00Z",
        {
            "helicopter": 3,
            "boat": 3,
            "usar_team": 1,
            "ambulance": 4,
            "shelter_kit": 4,
            "fire_engine": 3,
        },
        lonlat=(6.8894, 50.4467),
        max_response_min=240,
    ),
    IncidentSpec(
        "altenahr",
        "Ahr flash flood, Altenahr",
        "DE-RP",
        "flood",
        5,
        "2021-07-14T21:00:00Z",
        {
            "helicopter": 4,
            "boat": 4,
            "usar_team": 2,
            "ambulance": 5,
            "medical_team": 2,
            "shelter_kit": 6,
            "generator": 3,
        },
        lonlat=(6.9886, 50.5175),
        max_response_min=240,
    ),
    IncidentSpec(
        "dernau",
        "Ahr flash flood, Dernau and Mayschoss",
        "DE-RP",
        "flood",
        5,
        "2021-07-14T22:15:00Z",
        {"helicopter": 3, "boat": 4, "usar_team": 1, "pump": 4, "ambulance": 4, "shelter_kit": 5},
        lonlat=(7.0425, 50.5342),
        max_response_min=300,
    ),
    IncidentSpec(
        "neuenahr",
        "Ahr flood, Bad Neuenahr-Ahrweiler",
        "DE-RP",
        "flood",
        5,
        "2021-07-14T23:00:00Z",
        {
            "boat": 6,
            "helicopter": 4,
            "usar_team": 2,
            "pump": 8,
            "ambulance": 10,
            "medical_team": 3,
            "generator": 6,
            "shelter_kit": 8,
            "fire_engine": 6,
        },
        place="Bad Neuenahr-Ahrweiler",
    ),
    IncidentSpec(
        "sinzig",
        "Care home flooded, Sinzig",
        "DE-RP",
        "flood",
        5,
        "2021-07-15T00:45:00Z",
        {"boat": 4, "ambulance": 6, "medical_team": 2, "helicopter": 1},
        place="Sinzig",
        max_response_min=180,
    ),
    IncidentSpec(
        "ahr-water",
        "Drinking water contaminated, Ahr valley",
        "DE-RP",
        "epidemic",
        3,
        "2021-07-15T16:00:00Z",
        {"water_purification": 6, "medical_team": 2},
        lonlat=(7.0950, 50.5436),
    ),
    IncidentSpec(
        "ehrang",
        "Kyll flood, Trier-Ehrang",
        "DE-RP",
        "flood",
        4,
        "2021-07-15T01:30:00Z",
        {"boat": 4, "pump": 6, "ambulance": 3, "shelter_kit": 4, "generator": 2},
        lonlat=(6.6830, 49.8000),
    ),
    # North Rhine-Westphalia: Erft, Eifel, Inde/Vicht, Volme/Lenne, Wupper
    IncidentSpec(
        "blessem",
        "Ground collapse at the gravel pit, Erftstadt-Blessem",
        "DE-NW",
        "landslide",
        5,
        "2021-07-15T10:30:00Z",
        {"usar_team": 2, "boat": 3, "helicopter": 2, "pump": 6, "ambulance": 4, "shelter_kit": 4},
        lonlat=(6.7953, 50.8125),
        max_response_min=300,
    ),
    IncidentSpec(
        "euskirchen",
        "Erft flood, Euskirchen",
        "DE-NW",
        "flood",
        4,
        "2021-07-15T02:00:00Z",
        {"boat": 4, "pump": 6, "ambulance": 4, "fire_engine": 4, "generator": 3},
        place="Euskirchen",
    ),
    IncidentSpec(
        "muenstereifel",
        "Erft flash flood, Bad Muenstereifel",
        "DE-NW",
        "flood",
        4,
        "2021-07-14T22:30:00Z",
        {"boat": 3, "pump": 4, "helicopter": 1, "ambulance": 3, "shelter_kit": 3, "generator": 2},
        lonlat=(6.7661, 50.5531),
    ),
    IncidentSpec(
        "steinbach",
        "Dam at risk, Steinbachtalsperre (Swisttal evacuated)",
        "DE-NW",
        "flood",
        4,
        "2021-07-15T13:00:00Z",
        {"pump": 10, "ambulance": 4, "shelter_kit": 4, "fire_engine": 4},
        lonlat=(6.8367, 50.5908),
        max_response_min=360,
    ),
    IncidentSpec(
        "gemuend",
        "Urft and Olef flood, Schleiden-Gemuend",
        "DE-NW",
        "flood",
        4,
        "2021-07-14T21:30:00Z",
        {"boat": 3, "helicopter": 1, "pump": 3, "ambulance": 2, "shelter_kit": 2},
        lonlat=(6.4999, 50.5719),
    ),
    IncidentSpec(
        "stolberg",
        "Vicht flood, Stolberg",
        "DE-NW",
        "flood",
        4,
        "2021-07-14T20:00:00Z",
        {"boat": 4, "pump": 6, "ambulance": 3, "fire_engine": 3, "generator": 2},
        place="Stolberg",
    ),
    IncidentSpec(
        "stolberg-hazmat",
        "Fuel and chemicals released from flooded works, Stolberg",
        "DE-NW",
        "hazmat",
        3,
        "2021-07-15T08:00:00Z",
        {"fire_engine": 4, "pump": 2, "medical_team": 1},
        lonlat=(6.2440, 50.7790),
    ),
    IncidentSpec(
        "eschweiler",
        "Hospital evacuation, Eschweiler",
        "DE-NW",
        "flood",
        4,
        "2021-07-15T03:00:00Z",
        {"helicopter": 2, "ambulance": 10, "medical_team": 3, "boat": 2},
        place="Eschweiler",
        max_response_min=180,
    ),
    IncidentSpec(
        "hagen",
        "Volme flood, Hagen",
        "DE-NW",
        "flood",
        3,
        "2021-07-14T15:30:00Z",
        {"pump": 5, "fire_engine": 3, "boat": 2},
        place="Hagen",
    ),
    IncidentSpec(
        "altena",
        "Lenne flood, Altena",
        "DE-NW",
        "flood",
        3,
        "2021-07-14T17:00:00Z",
        {"pump": 3, "fire_engine": 2, "generator": 2},
        place="Altena",
    ),
    IncidentSpec(
        "wuppertal",
        "Wupper flood, Wuppertal",
        "DE-NW",
        "flood",
        3,
        "2021-07-14T18:00:00Z",
        {"pump": 4, "fire_engine": 2},
        place="Wuppertal",
        status="contained",
    ),
    IncidentSpec(
        "leichlingen",
        "Wupper flood, Leichlingen",
        "DE-NW",
        "flood",
        3,
        "2021-07-15T00:30:00Z",
        {"boat": 2, "pump": 3, "shelter_kit": 2},
        place="Leichlingen",
    ),
    # Province of Liège and Namur: Vesdre, Ourthe, Lomme
    IncidentSpec(
        "pepinster",
        "Vesdre flood, Pepinster",
        "BE-WLG",
        "flood",
        5,
        "2021-07-14T17:30:00Z",
        {
            "boat": 5,
            "helicopter": 3,
            "usar_team": 1,
            "ambulance": 4,
            "shelter_kit": 6,
            "generator": 2,
        },
        lonlat=(5.8050, 50.5670),
        max_response_min=240,
    ),
    IncidentSpec(
        "verviers",
        "Vesdre flood, Verviers",
        "BE-WLG",
        "flood",
        5,
        "2021-07-14T18:30:00Z",
        {
            "boat": 5,
            "helicopter": 2,
            "pump": 6,
            "ambulance": 6,
            "medical_team": 2,
            "shelter_kit": 6,
            "water_purification": 2,
        },
        place="Verviers",
    ),
    IncidentSpec(
        "trooz",
        "Vesdre flood, Trooz",
        "BE-WLG",
        "flood",
        4,
        "2021-07-14T20:30:00Z",
        {"boat": 4, "helicopter": 1, "ambulance": 2, "shelter_kit": 3},
        lonlat=(5.6830, 50.5670),
    ),
    IncidentSpec(
        "chaudfontaine",
        "Vesdre flood, Chaudfontaine",
        "BE-WLG",
        "flood",
        4,
        "2021-07-14T21:30:00Z",
        {"boat": 4, "pump": 4, "ambulance": 2, "shelter_kit": 3},
        place="Chaudfontaine",
    ),
    IncidentSpec(
        "liege",
        "Ourthe and Meuse high water, Liege (Angleur)",
        "BE-WLG",
        "flood",
        3,
        "2021-07-15T06:00:00Z",
        {"boat": 3, "pump": 4, "shelter_kit": 4},
        place="Liège",
    ),
    IncidentSpec(
        "eupen",
        "Vesdre reservoir spilling, Eupen",
        "BE-WLG",
        "flood",
        3,
        "2021-07-15T04:00:00Z",
        {"pump": 3, "ambulance": 2},
        place="Eupen",
    ),
    IncidentSpec(
        "rochefort",
        "Lomme and Wamme flood, Rochefort and Jemelle",
        "BE-WNA",
        "flood",
        4,
        "2021-07-15T01:00:00Z",
        {"boat": 4, "ambulance": 2, "shelter_kit": 4, "pump": 3},
        lonlat=(5.2217, 50.1606),
    ),
    # Dutch Limburg: Geul and Meuse
    IncidentSpec(
        "valkenburg",
        "Geul flood, Valkenburg aan de Geul",
        "NL-LI",
        "flood",
        4,
        "2021-07-15T05:00:00Z",
        {"boat": 4, "pump": 6, "ambulance": 2, "shelter_kit": 4, "generator": 2},
        lonlat=(5.8311, 50.8650),
    ),
    IncidentSpec(
        "meerssen",
        "Geul flood, Meerssen",
        "NL-LI",
        "flood",
        3,
        "2021-07-15T09:00:00Z",
        {"pump": 4, "boat": 2, "shelter_kit": 2},
        lonlat=(5.7500, 50.8830),
    ),
    IncidentSpec(
        "roermond",
        "Meuse flood wave, Roermond",
        "NL-LI",
        "flood",
        2,
        "2021-07-15T18:00:00Z",
        {"pump": 6, "boat": 3, "shelter_kit": 4},
        place="Roermond",
        max_response_min=600,
    ),
    # Luxembourg: Sauer, White Ernz, Alzette
    IncidentSpec(
        "echternach",
        "Sauer flood, Echternach",
        "LU-G",
        "flood",
        3,
        "2021-07-15T07:00:00Z",
        {"boat": 3, "pump": 3, "shelter_kit": 2},
        # The town lies on the Sauer border (6.4217, 49.8117); the outline
        # simplified at 0.01 degree puts that in DE-RP, so the point sits 1.3 km
        # south-west, in the town's southern part.
        lonlat=(6.4150, 49.8000),
    ),
    IncidentSpec(
        "larochette",
        "White Ernz flood, Larochette",
        "LU-L",
        "flood",
        2,
        "2021-07-15T03:30:00Z",
        {"pump": 2, "boat": 1},
        lonlat=(6.2183, 49.7850),
    ),
    IncidentSpec(
        "ettelbruck",
        "Alzette and Sauer high water, Ettelbruck",
        "LU-D",
        "flood",
        2,
        "2021-07-15T08:30:00Z",
        {"pump": 2},
        lonlat=(6.1040, 49.8470),
        status="closed",
    ),
    # Switzerland: lakes and the Aare
    IncidentSpec(
        "luzern",
        "Lake Lucerne high water, Luzern",
        "CH-LU",
        "flood",
        2,
        "2021-07-15T12:00:00Z",
        {"pump": 4, "water_purification": 1},
        place="Luzern",
        max_response_min=240,
    ),
    IncidentSpec(
        "biel",
        "Lake Biel high water, Biel/Bienne",
        "CH-BE",
        "flood",
        2,
        "2021-07-15T14:00:00Z",
        {"pump": 3, "boat": 2},
        place="Biel/Bienne",
    ),
    IncidentSpec(
        "thun",
        "Lake Thun high water, Thun",
        "CH-BE",
        "flood",
        2,
        "2021-07-15T11:00:00Z",
        {"pump": 2},
        place="Thun",
        status="contained",
    ),
    IncidentSpec(
        "bern",
        "Aare high water, Bern (Matte)",
        "CH-BE",
        "flood",
        2,
        "2021-07-15T10:00:00Z",
        {"pump": 3, "fire_engine": 1},
        place="Bern",
    ),
    IncidentSpec(
        "zuerich",
        "Storm damage after hail and gusts, Zurich",
        "CH-ZH",
        "storm",
        2,
        "2021-07-14T05:00:00Z",
        {"fire_engine": 3, "generator": 2},
        place="Zürich",
    ),
    # France: minor
    IncidentSpec(
        "charleville",
        "Meuse high water, Charleville-Mezieres",
        "FR-08",
        "flood",
        1,
        "2021-07-15T16:00:00Z",
        {"pump": 2},
        place="Charleville-Mézières",
        max_response_min=45,
    ),
    IncidentSpec(
        "sarreguemines",
        "Saar high water, Sarreguemines",
        "FR-57",
        "flood",
        1,
        "2021-07-15T09:00:00Z",
        {"pump": 1},
        place="Sarreguemines",
        status="closed",
    ),
)

RHINE_CITY_QUOTA: dict[str, int] = {
    # The flood area (its smaller towns come in as local responders, see LOCAL_TOWNS).
    "DE-NW": 4,
    "DE-RP": 4,
    "BE-WLG": 3,
    "NL-LI": 3,
    "LU-L": 3,
    # Neighbours within a few hours by road.
    "DE-HE": 1,
    "DE-SL": 2,
    "BE-VLI": 2,
    "BE-WNA": 2,
    "BE-WLX": 2,
    "NL-NB": 2,
    "NL-GE": 1,
    "FR-57": 2,
    "FR-08": 1,
    # Farther away: the largest town only.
    "BE-BRU": 1,
    "BE-VAN": 1,
    "NL-UT": 1,
    "NL-ZH": 1,
    "DE-BW": 1,
    "FR-67": 1,
    "FR-68": 1,
    "CH-BS": 1,
    "CH-ZH": 1,
    "CH-BE": 2,
    "CH-LU": 1,
}

RHINE_CITY_RULES: tuple[CityRule, ...] = (
    CityRule("fire_engine", 50_000, 150_000),
    CityRule("ambulance", 0, 120_000),
    # THW local sections (DE) and water boards (NL) hold pumps in almost every town.
    CityRule("pump", 0, 100_000, _DE | _NL),
    CityRule("pump", 40_000, 250_000, _NOT_DE_NL),
    # The Netherlands keeps flood-rescue boats everywhere; elsewhere the larger towns.
    CityRule("boat", 0, 100_000, _NL),
    CityRule("boat", 50_000, 200_000, _NOT_NL),
    CityRule("generator", 100_000, 300_000, _DE),
    CityRule("generator", 250_000, 500_000, _NOT_DE),
    CityRule("medical_team", 250_000, 500_000),
    CityRule("shelter_kit", 100_000, 200_000),
)

RHINE_NAMED_UNITS: tuple[NamedUnit, ...] = (
    # Urban search and rescue teams at the home towns of national USAR capacities.
    NamedUnit("usar_team", 2, "USAR team (fire service)", city="Köln", country="DE"),
    NamedUnit("usar_team", 1, "USAR team (fire service)", city="Dortmund", country="DE"),
    NamedUnit("usar_team", 1, "USAR team (THW)", city="Frankfurt am Main", country="DE"),
    NamedUnit("usar_team", 1, "USAR team (THW)", city="Koblenz", country="DE"),
    NamedUnit("usar_team", 1, "USAR team (fire service)", city="Aachen", country="DE"),
    NamedUnit("usar_team", 1, "USAR team (THW)", city="Bonn", country="DE"),
    NamedUnit("usar_team", 1, "USAR team (civil protection)", city="Liège", country="BE"),
    NamedUnit("usar_team", 1, "USAR team (civil protection)", city="Brasschaat", country="BE"),
    NamedUnit("usar_team", 1, "USAR team (USAR.NL)", city="Zeist", country="NL"),
    NamedUnit("usar_team", 1, "USAR team (fire and rescue)", city="Luxembourg", country="LU"),
    NamedUnit("usar_team", 1, "USAR team (SDIS)", city="Strasbourg", country="FR"),
    NamedUnit("usar_team", 1, "USAR team (rescue troops)", city="Bern", country="CH"),
    # Mobile drinking-water treatment.
    NamedUnit("water_purification", 2, "Water purification (THW)", city="Bonn", country="DE"),
    NamedUnit("water_purification", 2, "Water purification (THW)", city="Köln", country="DE"),
    NamedUnit("water_purification", 1, "Water purification (THW)", city="Mainz", country="DE"),
    NamedUnit(
        "water_purification", 2, "Water purification (B-FAST)", city="Brussels", country="BE"
    ),
    NamedUnit(
        "water_purification", 2, "Water purification (Red Cross)", city="Utrecht", country="NL"
    ),
    NamedUnit(
        "water_purification",
        2,
        "Water purification (emergency.lu)",
        city="Luxembourg",
        country="LU",
    ),
    # Boats on the Swiss lakes.
    NamedUnit("boat", 2, "Lake rescue boats", city="Luzern", country="CH"),
    NamedUnit("boat", 1, "Lake rescue boats", city="Biel/Bienne", country="CH"),
    NamedUnit("boat", 1, "Lake rescue boats", city="Thun", country="CH"),
    # Water rescue boats (DLRG) on the Rhine.
    NamedUnit("boat", 3, "Water rescue boats (DLRG)", city="Koblenz", country="DE"),
    # Red Cross disaster-relief depots.
    NamedUnit("shelter_kit", 5, "Shelter kits (Red Cross depot)", city="Koblenz", country="DE"),
    NamedUnit("shelter_kit", 3, "Shelter kits (Red Cross depot)", city="Liège", country="BE"),
    NamedUnit("shelter_kit", 2, "Shelter kits (Red Cross depot)", city="Maastricht", country="NL"),
    # Heavy pumps (slow on the road).
    NamedUnit("pump", 4, "Heavy pumps (THW)", city="Bonn", country="DE", speed_kmh=50),
    NamedUnit("pump", 3, "Heavy pumps (THW)", city="Koblenz", country="DE", speed_kmh=50),
    # Helicopters at airfields and hospital heliports.
    NamedUnit("helicopter", 4, "Army transport helicopters", airfield="ETHL", speed_kmh=260),
    NamedUnit("helicopter", 3, "Army transport helicopters", airfield="ETHN", speed_kmh=250),
    NamedUnit("helicopter", 2, "Army helicopters", airfield="ETHB", speed_kmh=240),
    NamedUnit("helicopter", 2, "Federal police helicopters", airfield="EDVZ"),
    NamedUnit("helicopter", 2, "State police helicopters", airfield="EDDL"),
    NamedUnit("helicopter", 1, "Air force helicopter", airfield="ETNN"),
    NamedUnit("helicopter", 1, "Rescue helicopter", airfield="DE-0446"),
    NamedUnit("helicopter", 1, "Rescue helicopter", airfield="DE-0450"),
    NamedUnit("helicopter", 1, "Rescue helicopter", airfield="DE-0437"),
    NamedUnit("helicopter", 1, "Rescue helicopter", airfield="DE-0212"),
    NamedUnit("helicopter", 1, "Rescue helicopter", airfield="EDGL"),
    NamedUnit("helicopter", 1, "Rescue helicopter", airfield="DE-0018"),
    NamedUnit("helicopter", 6, "Defence helicopters", airfield="EHGR", speed_kmh=260),
    NamedUnit("helicopter", 2, "Police helicopters", airfield="EHAM"),
    NamedUnit("helicopter", 1, "Rescue helicopter", airfield="EHRD"),
    NamedUnit("helicopter", 3, "Air component helicopters", airfield="EBBE", speed_kmh=250),
    NamedUnit("helicopter", 2, "Federal police helicopters", airfield="EBBR"),
    NamedUnit("helicopter", 1, "Rescue helicopter", airfield="BE-0017"),
    NamedUnit("helicopter", 2, "Air rescue helicopters", airfield="ELLX"),
    NamedUnit("helicopter", 1, "Police helicopter", airfield="LU-0001"),
    NamedUnit("helicopter", 1, "Civil security helicopter", airfield="LFST"),
    NamedUnit("helicopter", 1, "Civil security helicopter", airfield="LFJL"),
    NamedUnit("helicopter", 1, "Medical helicopter", airfield="FR-0109"),
    NamedUnit("helicopter", 1, "Medical helicopter", airfield="FR-0002"),
    NamedUnit("helicopter", 3, "Air force transport helicopters", airfield="LSMA", speed_kmh=250),
    NamedUnit("helicopter", 2, "Rescue helicopters", airfield="LSMD"),
    NamedUnit("helicopter", 1, "Rescue helicopter", airfield="LSZB"),
    NamedUnit("helicopter", 1, "Rescue helicopter", airfield="CH-0008"),
)

_ALL = ("*",)
_CH_BORDER_TYPES = ("ambulance", "boat", "fire_engine", "helicopter", "pump", "usar_team")

RHINE_AGREEMENTS: tuple[AgreementSpec, ...] = (
    # Inside each country: neighbouring states, provinces, cantons help one another.
    AgreementSpec("DE", "DE", _ALL, 15, "Assistance between German Laender (Basic Law art. 35)"),
    AgreementSpec("NL", "NL", _ALL, 0, "Assistance between Dutch safety regions"),
    AgreementSpec("BE", "BE", _ALL, 0, "Belgian civil protection and fire-rescue zones"),
    AgreementSpec("LU", "LU", _ALL, 0, "Luxembourg national fire and rescue corps"),
    AgreementSpec("FR", "FR", _ALL, 30, "French zonal defence and security reinforcement"),
    AgreementSpec("CH", "CH", _ALL, 10, "Intercantonal assistance"),
    # Bilateral agreements on mutual assistance in disasters and serious accidents.
    AgreementSpec("DE", "NL", _ALL, 30, "Modelled on the DE-NL mutual assistance agreement (1988)"),
    AgreementSpec("DE", "BE", _ALL, 30, "Modelled on the DE-BE mutual assistance agreement (1980)"),
    AgreementSpec("DE", "LU", _ALL, 20, "Modelled on the DE-LU mutual assistance agreement (1978)"),
    AgreementSpec("DE", "FR", _ALL, 45, "Modelled on the DE-FR mutual assistance agreement (1977)"),
    AgreementSpec("BE", "NL", _ALL, 20, "Modelled on Benelux crisis-management cooperation"),
    AgreementSpec("BE", "LU", _ALL, 20, "Modelled on Benelux crisis-management cooperation"),
    AgreementSpec("NL", "LU", _ALL, 30, "Modelled on Benelux crisis-management cooperation"),
    AgreementSpec("FR", "BE", _ALL, 40, "Modelled on the FR-BE mutual assistance convention"),
    AgreementSpec("FR", "LU", _ALL, 30, "Modelled on the FR-LU mutual assistance convention"),
    # Switzerland: only the unit types pre-arranged for cross-border use (invented limit).
    AgreementSpec(
        "DE",
        "CH",
        _CH_BORDER_TYPES,
        45,
        "Modelled on the DE-CH mutual assistance agreement (1984); listed types only",
    ),
    AgreementSpec(
        "FR",
        "CH",
        _CH_BORDER_TYPES,
        45,
        "Modelled on the FR-CH mutual assistance agreement; listed types only",
    ),
    # EU Civil Protection Mechanism style request for the province of Liège.
    AgreementSpec(
        "*",
        "BE-WLG",
        ("helicopter", "water_purification"),
        120,
        "Modelled on the EU Civil Protection Mechanism request of 14 July 2021",
        both_ways=False,
    ),
)

RHINE = ScenarioSpec(
    folder="rhine-flood-2021",
    title="Rhine-basin flood, July 2021 (sample scenario)",
    admin1="rhine_admin1.geojson",
    cities="rhine_cities.geojson",
    airfields="rhine_airfields.geojson",
    countries=("BE", "CH", "DE", "FR", "LU", "NL"),
    # Natural Earth's `name` has a typo and a wrong form here; `name_en` is right.
    name_fixes={"FR-77": "Seine-et-Marne", "FR-68": "Haut-Rhin", "BE-WLG": "Liège"},
    city_quota=RHINE_CITY_QUOTA,
    city_rules=RHINE_CITY_RULES,
    named_units=RHINE_NAMED_UNITS,
    incidents=RHINE_INCIDENTS,
    agreements=RHINE_AGREEMENTS,
    reserve_choices=(0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5),
    modelled_on="the floods of 14-15 July 2021 (low-pressure system Bernd) in Germany, "
    "Belgium, the Netherlands, Luxembourg, Switzerland and France",
    notes=(
        "Austria and Liechtenstein, present in the reference outlines, are left out: the "
        "scenario keeps to the six countries of the flooded Rhine and Meuse basins.",
        "No agreement row links France or Switzerland with the Netherlands, or Switzerland "
        "with Belgium or Luxembourg; Swiss rows carry only the listed unit types, so "
        "Switzerland cannot receive water purification (there are no Swiss units of it).",
        "The EU-mechanism row lets any provider send helicopters and water purification to "
        "the province of Liège (BE-WLG), with a 120-minute delay.",
        "A jurisdiction holding a single unit of a type keeps it at home whenever its reserve "
        "is above zero (floor((1 - reserve) x 1) = 0).",
        "Incident places are real; villages absent from GeoNames' list of towns over 15,000 "
        "people (Schuld, Altenahr, Blessem, Pepinster, Valkenburg, ...) were placed by hand "
        "from their published coordinates.",
    ),
)


# --------------------------------------------------------------------------------------
# Scenario 2: Lake Chad basin, modelled on the 2024 rainy season
# --------------------------------------------------------------------------------------

LAKE_CHAD_INCIDENTS: tuple[IncidentSpec, ...] = (
    IncidentSpec(
        "alau",
        "Alau dam failure, Maiduguri flooded",
        "NG-BO",
        "flood",
        5,
        "2024-09-10T05:00:00Z",
        {
            "boat": 8,
            "helicopter": 2,
            "shelter_kit": 10,
            "ambulance": 6,
            "medical_team": 4,
            "water_purification": 4,
            "pump": 4,
            "generator": 3,
        },
        place="Maiduguri",
        max_response_min=720,
    ),
    IncidentSpec(
        "maiduguri-cholera",
        "Cholera outbreak in flood camps, Maiduguri",
        "NG-BO",
        "epidemic",
        4,
        "2024-09-18T09:00:00Z",
        {"medical_team": 5, "water_purification": 3, "ambulance": 4},
        lonlat=(13.1900, 11.8200),
    ),
    IncidentSpec(
        "monguno",
        "Displacement camps, Monguno",
        "NG-BO",
        "other",
        3,
        "2024-09-12T12:00:00Z",
        {"shelter_kit": 6, "water_purification": 2, "medical_team": 2, "helicopter": 1},
        place="Monguno",
    ),
    IncidentSpec(
        "bama",
        "Displacement camp, Bama",
        "NG-BO",
        "other",
        3,
        "2024-09-14T08:00:00Z",
        {"shelter_kit": 4, "medical_team": 1, "water_purification": 1},
        place="Bama",
    ),
    IncidentSpec(
        "gwoza",
        "Cholera cases, Gwoza",
        "NG-BO",
        "epidemic",
        3,
        "2024-09-20T10:00:00Z",
        {"medical_team": 2, "water_purification": 2},
        place="Gwoza",
    ),
    IncidentSpec(
        "dikwa",
        "Flooded camp, Dikwa",
        "NG-BO",
        "flood",
        2,
        "2024-09-11T07:00:00Z",
        {"shelter_kit": 2},
        place="Dikwa",
        status="contained",
    ),
    IncidentSpec(
        "damaturu",
        "Flash flood, Damaturu",
        "NG-YO",
        "flood",
        2,
        "2024-09-08T16:00:00Z",
        {"shelter_kit": 2, "pump": 2},
        place="Damaturu",
    ),
    IncidentSpec(
        "geidam",
        "Komadugu-Yobe flood, Geidam",
        "NG-YO",
        "flood",
        2,
        "2024-09-09T11:00:00Z",
        {"boat": 2, "shelter_kit": 2},
        place="Geidam",
    ),
    IncidentSpec(
        "yola",
        "Benue flood, Yola",
        "NG-AD",
        "flood",
        3,
        "2024-09-16T06:00:00Z",
        {"boat": 3, "shelter_kit": 3, "ambulance": 2, "helicopter": 1},
        place="Yola",
        max_response_min=720,
    ),
    IncidentSpec(
        "diffa-flood",
        "Komadougou Yobe flood, Diffa",
        "NE-2",
        "flood",
        3,
        "2024-09-05T09:00:00Z",
        {"boat": 2, "shelter_kit": 4, "pump": 2, "water_purification": 1, "helicopter": 1},
        place="Diffa",
    ),
    IncidentSpec(
        "diffa-sites",
        "Displacement sites around Diffa",
        "NE-2",
        "other",
        3,
        "2024-09-06T09:00:00Z",
        {"shelter_kit": 4, "medical_team": 2, "water_purification": 2},
        lonlat=(12.6500, 13.3300),
    ),
    IncidentSpec(
        "nguigmi",
        "Drought and water shortage, Nguigmi",
        "NE-2",
        "drought",
        2,
        "2024-09-01T08:00:00Z",
        {"water_purification": 2, "medical_team": 1},
        place="Nguigmi",
    ),
    IncidentSpec(
        "maine-soroa",
        "Cholera cases, Maine-Soroa",
        "NE-2",
        "epidemic",
        2,
        "2024-09-22T08:00:00Z",
        {"medical_team": 1, "water_purification": 1},
        place="Maïné Soroa",
    ),
    IncidentSpec(
        "bol",
        "Lake shore flood, Bol",
        "TD-LC",
        "flood",
        3,
        "2024-09-25T07:00:00Z",
        {"boat": 3, "shelter_kit": 3, "medical_team": 1, "helicopter": 1},
        place="Bol",
    ),
    IncidentSpec(
        "baga-sola",
        "Displacement camps, Baga Sola",
        "TD-LC",
        "other",
        3,
        "2024-09-15T07:00:00Z",
        {"shelter_kit": 4, "water_purification": 2, "medical_team": 1},
        lonlat=(14.3200, 13.5300),
    ),
    IncidentSpec(
        "ndjamena",
        "Chari and Logone flood, N'Djamena",
        "TD-ND",
        "flood",
        4,
        "2024-10-05T06:00:00Z",
        {
            "boat": 4,
            "pump": 4,
            "shelter_kit": 6,
            "ambulance": 3,
            "generator": 2,
            "water_purification": 2,
        },
        place="N'Djamena",
    ),
    IncidentSpec(
        "mao",
        "Drought and food insecurity, Mao",
        "TD-KA",
        "drought",
        2,
        "2024-09-03T08:00:00Z",
        {"water_purification": 2, "medical_team": 1},
        place="Mao",
        max_response_min=120,
    ),
    IncidentSpec(
        "kousseri",
        "Logone flood, Kousseri",
        "CM-EN",
        "flood",
        4,
        "2024-10-04T08:00:00Z",
        {"boat": 3, "shelter_kit": 4, "ambulance": 2, "pump": 2, "helicopter": 1},
        place="Kousséri",
        max_response_min=600,
    ),
    IncidentSpec(
        "maroua",
        "Cholera outbreak, Maroua",
        "CM-EN",
        "epidemic",
        3,
        "2024-09-19T08:00:00Z",
        {"medical_team": 2, "water_purification": 2, "ambulance": 2},
        place="Maroua",
    ),
    IncidentSpec(
        "mora",
        "Displacement, Mora",
        "CM-EN",
        "other",
        2,
        "2024-09-13T08:00:00Z",
        {"shelter_kit": 2, "medical_team": 1},
        place="Mora",
    ),
    IncidentSpec(
        "yagoua",
        "Logone dyke breach, Yagoua",
        "CM-EN",
        "flood",
        3,
        "2024-09-28T08:00:00Z",
        {"boat": 2, "shelter_kit": 3, "pump": 1},
        place="Yagoua",
    ),
)

LAKE_CHAD_CITY_QUOTA: dict[str, int] = {
    "NG-BO": 5,
    "NG-YO": 3,
    "NG-AD": 3,
    "NG-GO": 2,
    "NG-BA": 2,
    "NG-KN": 1,
    "NG-JI": 1,
    "NE-2": 3,
    "NE-7": 3,
    "TD-ND": 1,
    "TD-LC": 1,
    "TD-KA": 1,
    "TD-HL": 2,
    "TD-CB": 1,
    "TD-ME": 2,
    "TD-BG": 1,
    "CM-EN": 5,
    "CM-NO": 3,
}

LAKE_CHAD_CITY_RULES: tuple[CityRule, ...] = (
    CityRule("ambulance", 0, 300_000),
    CityRule("medical_team", 40_000, 500_000),
    CityRule("shelter_kit", 50_000, 250_000),
    CityRule("water_purification", 50_000, 500_000),
    # No pumps are placed in Niger: Diffa's pumping need depends on help that no
    # agreement row allows (pumps are not in the LCBC or MNJTF rows).
    CityRule("pump", 100_000, 500_000, frozenset({"NG", "CM", "TD"})),
    CityRule("generator", 200_000, 1_000_000),
    CityRule("fire_engine", 500_000, 1_000_000),
)

LAKE_CHAD_NAMED_UNITS: tuple[NamedUnit, ...] = (
    NamedUnit("boat", 4, "Boats", city="Bol", country="TD"),
    NamedUnit("boat", 4, "Boats", city="N'Djamena", country="TD"),
    NamedUnit("boat", 2, "Boats", city="Kousséri", country="CM"),
    NamedUnit("boat", 1, "Boats", city="Yagoua", country="CM"),
    NamedUnit("boat", 2, "Boats", city="Yola", country="NG"),
    NamedUnit("boat", 4, "Boats", city="Maiduguri", country="NG"),
    NamedUnit("boat", 1, "Boats", city="Monguno", country="NG"),
    NamedUnit("shelter_kit", 4, "Shelter kits (humanitarian hub)", city="Maiduguri", country="NG"),
    NamedUnit("shelter_kit", 2, "Shelter kits (humanitarian hub)", city="Diffa", country="NE"),
    NamedUnit(
        "helicopter", 3, "Helicopters (air force and humanitarian air service)", airfield="DNMA"
    ),
    NamedUnit(
        "helicopter", 2, "Helicopters (air force and humanitarian air service)", airfield="FTTJ"
    ),
    NamedUnit("helicopter", 1, "Helicopter", airfield="FKKL"),
    NamedUnit("helicopter", 1, "Helicopter", airfield="DNYO"),
    NamedUnit("helicopter", 1, "Helicopter", airfield="DNKN"),
    NamedUnit("helicopter", 1, "Helicopter", airfield="DRZR", speed_kmh=200),
    NamedUnit("helicopter", 1, "Helicopter", airfield="FKKR"),
)

_HUMANITARIAN = ("ambulance", "medical_team", "shelter_kit", "water_purification")
_MNJTF = ("boat", "helicopter")
_LCBC = "Modelled on Lake Chad Basin Commission cooperation"

LAKE_CHAD_AGREEMENTS: tuple[AgreementSpec, ...] = (
    AgreementSpec("NG", "NG", _ALL, 30, "Federal and state emergency management agencies"),
    AgreementSpec("CM", "CM", _ALL, 30, "Cameroon civil protection"),
    AgreementSpec("TD", "TD", _ALL, 45, "Chad civil protection"),
    AgreementSpec("NE", "NE", _ALL, 45, "Niger civil protection"),
    # Humanitarian cooperation between Lake Chad Basin Commission members that share a border.
    AgreementSpec("NG", "NE", _HUMANITARIAN, 150, _LCBC),
    AgreementSpec("NG", "TD", _HUMANITARIAN, 180, _LCBC),
    AgreementSpec("NG", "CM", _HUMANITARIAN, 120, _LCBC),
    AgreementSpec("CM", "TD", _HUMANITARIAN, 60, _LCBC),
    AgreementSpec("NE", "TD", _HUMANITARIAN, 180, _LCBC),
    # Boats and helicopters move under the Multinational Joint Task Force's sectors.
    AgreementSpec("NG", "CM", _MNJTF, 90, "Modelled on Multinational Joint Task Force sectors"),
    AgreementSpec("NG", "TD", _MNJTF, 120, "Modelled on Multinational Joint Task Force sectors"),
    AgreementSpec("NG", "NE", _MNJTF, 120, "Modelled on Multinational Joint Task Force sectors"),
    AgreementSpec("CM", "TD", _MNJTF, 60, "Modelled on Multinational Joint Task Force sectors"),
    AgreementSpec("NE", "TD", _MNJTF, 240, "Modelled on Multinational Joint Task Force sectors"),
)

LAKE_CHAD = ScenarioSpec(
    folder="lake-chad",
    title="Lake Chad basin, 2024 rainy season (sample scenario)",
    admin1="lake_chad_admin1.geojson",
    cities="lake_chad_cities.geojson",
    airfields="lake_chad_airfields.geojson",
    countries=("CM", "NE", "NG", "TD"),
    name_fixes={},
    city_quota=LAKE_CHAD_CITY_QUOTA,
    city_rules=LAKE_CHAD_CITY_RULES,
    named_units=LAKE_CHAD_NAMED_UNITS,
    incidents=LAKE_CHAD_INCIDENTS,
    agreements=LAKE_CHAD_AGREEMENTS,
    reserve_choices=(0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5),
    modelled_on="the 2024 rainy season around Lake Chad: the Alau dam failure at Maiduguri "
    "(10 September 2024), floods on the Logone, Chari and Komadugu-Yobe, cholera "
    "and long-running displacement",
    notes=(
        "Displacement has no hazard key of its own in the contract; it is written as "
        "`other` and named in the incident's name.",
        "Cameroon and Niger share no border and no agreement row; pumps, generators and fire "
        "engines cross no border at all (they are not in the LCBC or MNJTF rows), and Niger "
        "has no pumps of its own.",
        "Towns that the simplified outlines place across a border (Gamboru, Nigeria; "
        "Blangwa, Cameroon) hold no units.",
    ),
)

SCENARIOS: tuple[ScenarioSpec, ...] = (RHINE, LAKE_CHAD)


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


def build_all(*, out: Path, reference: Path) -> list[Path]:
    """Build every scenario into ``out/<folder>``; return the folders written."""
    # Build everything before writing anything, so a failure leaves no half-written data.
    built = [(out / spec.folder, build_scenario(spec, reference)) for spec in SCENARIOS]
    for folder, files in built:
        write_scenario(files, folder)
    return [folder for folder, _ in built]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status (1 when the build fails)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="folder that receives one sub-folder per scenario (default: data/)",
    )
    parser.add_argument(
        "--reference",
        type=Path,
        default=DEFAULT_REFERENCE,
        help="folder with the reference files (default: data/reference/)",
    )
    args = parser.parse_args(argv)
    try:
        folders = build_all(out=args.out, reference=args.reference)
    except (OSError, ValueError, KeyError) as exc:
        print(f"build_scenarios: {exc}", file=sys.stderr)
        return 1
    for folder in folders:
        print(f"wrote {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

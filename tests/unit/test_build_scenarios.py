"""The sample scenarios in data/ and the script that builds them.

The committed files must be exactly what ``scripts/build_scenarios.py`` writes from
``data/reference/``, and they must hold together: unique ids, every incident and
resource inside the jurisdiction it claims, whole-number needs, agreements that name
existing jurisdictions or countries.
"""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from shapely.geometry import Point, shape
from shapely.prepared import prep

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "build_scenarios.py"
DATA = REPO / "data"
SCENARIOS = ("rhine-flood-2021", "lake-chad")
LAYER_FILES = ("jurisdictions.geojson", "incidents.geojson", "resources.geojson", "agreements.csv")
TYPES = {
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
}
HAZARDS = {
    "flood",
    "wildfire",
    "earthquake",
    "storm",
    "epidemic",
    "hazmat",
    "landslide",
    "drought",
    "other",
}


def _load_script():
    spec = importlib.util.spec_from_file_location("build_scenarios", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_scenarios", module)
    spec.loader.exec_module(module)
    return module


build = _load_script()


def _features(scenario: str, layer: str) -> list[dict]:
    with (DATA / scenario / layer).open(encoding="utf-8") as fh:
        return json.load(fh)["features"]


def _agreements(scenario: str) -> list[dict]:
    with (DATA / scenario / "agreements.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _jurisdiction_shapes(scenario: str) -> dict[str, object]:
    return {
        f["properties"]["id"]: prep(shape(f["geometry"]))
        for f in _features(scenario, "jurisdictions.geojson")
    }


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("scenarios")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out)], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    return out


# --- Reproducibility ------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_committed_files_are_byte_identical_to_a_fresh_build(rebuilt, scenario):
    fresh = sorted(p.name for p in (rebuilt / scenario).iterdir())
    committed = sorted(p.name for p in (DATA / scenario).iterdir())
    assert fresh == committed
    for name in fresh:
        assert (rebuilt / scenario / name).read_bytes() == (DATA / scenario / name).read_bytes(), (
            f"{scenario}/{name} differs from a fresh build: run `make scenarios`"
        )


def test_building_twice_gives_the_same_text():
    first = build.build_scenario(build.LAKE_CHAD, build.DEFAULT_REFERENCE)
    second = build.build_scenario(build.LAKE_CHAD, build.DEFAULT_REFERENCE)
    assert first == second


def test_the_build_needs_only_the_copied_reference_files(tmp_path):
    needed = (
        {s.admin1 for s in build.SCENARIOS}
        | {s.cities for s in build.SCENARIOS}
        | {s.airfields for s in build.SCENARIOS}
    )
    for name in needed:
        assert (DATA / "reference" / name).is_file()
        (tmp_path / name).write_bytes((DATA / "reference" / name).read_bytes())
    assert (DATA / "reference" / "SOURCES.md").is_file()
    files = build.build_scenario(build.RHINE, tmp_path)
    assert files["incidents.geojson"] == (
        DATA / "rhine-flood-2021" / "incidents.geojson"
    ).read_text(encoding="utf-8")


def test_a_missing_reference_folder_is_reported_without_a_traceback(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--out",
            str(tmp_path / "out"),
            "--reference",
            str(tmp_path / "nowhere"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 1
    assert "build_scenarios:" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


# --- File hygiene ---------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("layer", LAYER_FILES + ("README.md",))
def test_files_are_small_utf8_without_nan(scenario, layer):
    raw = (DATA / scenario / layer).read_bytes()
    assert len(raw) < 1_000_000
    text = raw.decode("utf-8")
    assert not text.startswith("\ufeff")
    assert "\r" not in text
    assert "NaN" not in text and "Infinity" not in text


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("layer", LAYER_FILES[:3])
def test_geojson_is_sorted_by_id_with_at_most_five_decimals(scenario, layer):
    feats = _features(scenario, layer)
    ids = [f["properties"]["id"] for f in feats]
    assert ids == sorted(ids)
    assert len(ids) == len(set(ids))
    text = (DATA / scenario / layer).read_text(encoding="utf-8")
    coords = json.loads(text)["features"]
    for f in coords:
        for number in re.findall(r"-?\d+\.\d+", json.dumps(f["geometry"]["coordinates"])):
            assert len(number.split(".")[1]) <= build.COORD_DECIMALS, number


# --- Jurisdictions --------------------------------------------------------------------


@pytest.mark.parametrize(
    "scenario, countries",
    [
        ("rhine-flood-2021", {"BE", "CH", "DE", "FR", "LU", "NL"}),
        ("lake-chad", {"CM", "NE", "NG", "TD"}),
    ],
)
def test_jurisdictions_are_valid_admin1_areas_of_the_scenario_countries(scenario, countries):
    feats = _features(scenario, "jurisdictions.geojson")
    assert {f["properties"]["country"] for f in feats} == countries
    for f in feats:
        p = f["properties"]
        assert set(p) == {"id", "name", "country", "reserve"}
        assert p["id"].startswith(p["country"] + "-")
        assert p["name"]
        assert 0.2 <= p["reserve"] <= 0.5
        geom = shape(f["geometry"])
        assert geom.geom_type in ("Polygon", "MultiPolygon")
        assert geom.is_valid, p["id"]


def test_rhine_keeps_the_real_ids_named_in_the_brief_and_fixes_natural_earth_typos():
    props = {
        f["properties"]["id"]: f["properties"]
        for f in _features("rhine-flood-2021", "jurisdictions.geojson")
    }
    for jid in ("DE-NW", "DE-RP", "BE-WLG", "NL-LI", "LU-L", "CH-LU", "FR-67"):
        assert jid in props
    assert not any(j.startswith(("AT-", "LI-")) for j in props)
    assert props["FR-77"]["name"] == "Seine-et-Marne"
    assert props["BE-WLG"]["name"] == "Liège"


def test_reserves_vary():
    reserves = {
        f["properties"]["reserve"] for f in _features("rhine-flood-2021", "jurisdictions.geojson")
    }
    assert len(reserves) >= 4


# --- Incidents ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scenario, dates",
    [
        ("rhine-flood-2021", {"2021-07-14", "2021-07-15"}),
        ("lake-chad", None),
    ],
)
def test_incidents_follow_the_contract(scenario, dates):
    for f in _features(scenario, "incidents.geojson"):
        p = f["properties"]
        assert f["geometry"]["type"] == "Point"
        assert p["hazard"] in HAZARDS
        assert isinstance(p["severity"], int) and 1 <= p["severity"] <= 5
        assert p["status"] in {"active", "contained", "closed"}
        stamp = datetime.fromisoformat(p["reported_at"].replace("Z", "+00:00"))
        assert stamp.utcoffset().total_seconds() == 0
        if dates:
            assert p["reported_at"][:10] in dates
        assert p["needs"], p["id"]
        for rtype, units in p["needs"].items():
            assert rtype in TYPES
            assert isinstance(units, int) and not isinstance(units, bool) and units >= 1
        if "max_response_min" in p:
            assert p["max_response_min"] > 0


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_incident_lies_in_the_jurisdiction_its_id_names(scenario):
    shapes = _jurisdiction_shapes(scenario)
    for f in _features(scenario, "incidents.geojson"):
        pid = f["properties"]["id"]
        claimed = re.fullmatch(r"I-(.+)-\d{2}", pid).group(1)
        point = Point(f["geometry"]["coordinates"])
        inside = [j for j, g in shapes.items() if g.contains(point)]
        assert inside == [claimed], f"{pid} lies in {inside}"


def test_rhine_incidents_cover_the_2021_picture():
    props = [f["properties"] for f in _features("rhine-flood-2021", "incidents.geojson")]
    assert 25 <= len(props) <= 40
    assert {"flood", "landslide", "hazmat", "epidemic", "storm"} <= {p["hazard"] for p in props}
    assert {"active", "contained", "closed"} <= {p["status"] for p in props}
    assert {p["id"].split("-")[1] for p in props} == {"BE", "CH", "DE", "FR", "LU", "NL"}
    assert sum(1 for p in props if "max_response_min" in p) >= 5
    names = " ".join(p["name"] for p in props)
    for place in (
        "Schuld",
        "Altenahr",
        "Bad Neuenahr-Ahrweiler",
        "Blessem",
        "Euskirchen",
        "Stolberg",
        "Eschweiler",
        "Hagen",
        "Wuppertal",
        "Pepinster",
        "Verviers",
        "Chaudfontaine",
        "Valkenburg",
        "Meerssen",
        "Echternach",
        "Luzern",
        "Biel",
    ):
        assert place in names


def test_lake_chad_incidents_sit_at_the_named_places():
    props = {
        f["properties"]["id"]: f["properties"] for f in _features("lake-chad", "incidents.geojson")
    }
    prefixes = {pid.rsplit("-", 1)[0] for pid in props}
    assert {"I-NG-BO", "I-NE-2", "I-TD-LC", "I-CM-EN"} <= prefixes
    assert {"epidemic", "flood", "drought", "other"} <= {p["hazard"] for p in props.values()}


# --- Resources ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scenario, low, high",
    [
        ("rhine-flood-2021", 150, 320),
        ("lake-chad", 60, 300),
    ],
)
def test_resources_follow_the_contract(scenario, low, high):
    feats = _features(scenario, "resources.geojson")
    assert low <= len(feats) <= high
    jurisdictions = {f["properties"]["id"] for f in _features(scenario, "jurisdictions.geojson")}
    statuses = set()
    for f in feats:
        p = f["properties"]
        assert f["geometry"]["type"] == "Point"
        assert p["type"] in TYPES
        assert isinstance(p["quantity"], int) and 1 <= p["quantity"] <= 10
        assert p["jurisdiction"] in jurisdictions
        assert p["id"].startswith(p["jurisdiction"] + "-" + build.TYPE_CODES[p["type"]] + "-")
        statuses.add(p["status"])
        if "speed_kmh" in p:
            assert p["speed_kmh"] > 0
    assert statuses == {"available", "assigned", "out_of_service"}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_resource_lies_in_its_owning_jurisdiction(scenario):
    shapes = _jurisdiction_shapes(scenario)
    for f in _features(scenario, "resources.geojson"):
        point = Point(f["geometry"]["coordinates"])
        assert shapes[f["properties"]["jurisdiction"]].contains(point), f["properties"]["id"]


def test_rhine_helicopters_stand_at_airfields_and_some_speeds_are_overridden():
    feats = [f["properties"] for f in _features("rhine-flood-2021", "resources.geojson")]
    helis = [p for p in feats if p["type"] == "helicopter"]
    assert len(helis) >= 10
    assert any("Air Base" in p["name"] for p in helis)
    assert 3 <= sum(1 for p in feats if "speed_kmh" in p) <= 30


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_some_needs_outstrip_the_available_units(scenario):
    demand: dict[str, int] = {}
    for f in _features(scenario, "incidents.geojson"):
        if f["properties"]["status"] == "active":
            for k, v in f["properties"]["needs"].items():
                demand[k] = demand.get(k, 0) + v
    supply: dict[str, int] = {}
    for f in _features(scenario, "resources.geojson"):
        p = f["properties"]
        if p["status"] == "available":
            supply[p["type"]] = supply.get(p["type"], 0) + p["quantity"]
    short = [k for k in demand if demand[k] > supply.get(k, 0)]
    assert short, "every type is oversupplied: no need would go unmet"
    assert all(k in supply for k in demand)


# --- Agreements -----------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_agreements_name_existing_sides_and_types(scenario):
    jur = {
        f["properties"]["id"]: f["properties"]["country"]
        for f in _features(scenario, "jurisdictions.geojson")
    }
    sides = set(jur) | set(jur.values()) | {"*"}
    rows = _agreements(scenario)
    assert list(rows[0]) == ["from", "to", "resource_types", "border_delay_min", "basis"]
    seen = set()
    for row in rows:
        assert row["from"] in sides and row["to"] in sides, row
        types = row["resource_types"]
        assert types == "*" or set(types.split(";")) <= TYPES, row
        delay = float(row["border_delay_min"])
        assert math.isfinite(delay) and delay >= 0
        key = (row["from"], row["to"], types)
        assert key not in seen
        seen.add(key)


def _allowed(rows, *, giver: str, receiver: str, rtype: str) -> bool:
    return any(
        r["from"] in (giver, "*")
        and r["to"] in (receiver, "*")
        and (r["resource_types"] == "*" or rtype in r["resource_types"].split(";"))
        for r in rows
    )


def test_rhine_agreements_model_the_treaties_and_leave_gaps():
    rows = _agreements("rhine-flood-2021")
    for a, b in (
        ("DE", "NL"),
        ("DE", "BE"),
        ("DE", "LU"),
        ("DE", "FR"),
        ("BE", "NL"),
        ("BE", "LU"),
        ("NL", "LU"),
    ):
        assert _allowed(rows, giver=a, receiver=b, rtype="boat")
        assert _allowed(rows, giver=b, receiver=a, rtype="boat")
    assert _allowed(rows, giver="DE", receiver="CH", rtype="helicopter")
    assert not _allowed(rows, giver="FR", receiver="NL", rtype="boat")
    assert not _allowed(rows, giver="DE", receiver="CH", rtype="water_purification")
    assert any(r["from"] == "*" and r["resource_types"] != "*" for r in rows)
    cross = [float(r["border_delay_min"]) for r in rows if r["from"] != r["to"]]
    assert min(cross) >= 15 and max(cross) <= 120


def test_lake_chad_agreements_have_long_delays_and_restricted_types():
    rows = _agreements("lake-chad")
    cross = [r for r in rows if r["from"] != r["to"]]
    assert all(60 <= float(r["border_delay_min"]) <= 240 for r in cross)
    assert all(r["resource_types"] != "*" for r in cross)
    assert not _allowed(rows, giver="NE", receiver="CM", rtype="medical_team")
    assert not _allowed(rows, giver="NG", receiver="NE", rtype="pump")
    assert _allowed(rows, giver="NG", receiver="NE", rtype="medical_team")


# --- The script's helpers -------------------------------------------------------------


def test_stable_int_does_not_depend_on_the_process():
    code = (
        "import importlib.util,sys;"
        f"s=importlib.util.spec_from_file_location('b',{str(SCRIPT)!r});"
        "m=importlib.util.module_from_spec(s);sys.modules['b']=m;s.loader.exec_module(m);"
        "print(m.stable_int('reserve:DE-NW'))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "123"},
        cwd=REPO,
    )
    assert other.returncode == 0, other.stderr
    assert int(other.stdout) == build.stable_int("reserve:DE-NW")


def test_round_coords_keeps_two_dimensions_and_never_writes_negative_zero():
    assert build.round_coords([6.123456789, 50.987654321, 120.0]) == [6.12346, 50.98765]
    assert str(build.round_coords([-0.000001, 1.0])[0]) == "0.0"
    assert build.round_coords([[[1.0, 2.0], [3.0, 4.0]]]) == [[[1.0, 2.0], [3.0, 4.0]]]


def test_geojson_text_refuses_nan():
    with pytest.raises(ValueError):
        build.geojson_text(
            [
                {
                    "properties": {"id": "x", "reserve": float("nan")},
                    "geometry": {"type": "Point", "coordinates": [0.0, 0.0]},
                }
            ]
        )


def test_city_rule_caps_quantity_and_respects_countries():
    rule = build.CityRule("pump", 10_000, 1_000, frozenset({"DE"}))
    assert rule.quantity(country="DE", population=5_000) == 0
    assert rule.quantity(country="NL", population=50_000) == 0
    assert rule.quantity(country="DE", population=50_000) == build.MAX_QUANTITY


def test_an_incident_placed_in_the_wrong_jurisdiction_stops_the_build(tmp_path):
    wrong = build.IncidentSpec(
        "x",
        "Misplaced",
        "LU-G",
        "flood",
        3,
        "2021-07-15T07:00:00Z",
        {"pump": 1},
        lonlat=(6.4217, 49.8117),
    )  # in DE-RP at 0.01 deg
    spec = dataclasses.replace(build.RHINE, incidents=(wrong,))
    with pytest.raises(ValueError, match="lies in DE-RP, not LU-G"):
        build.build_scenario(spec, build.DEFAULT_REFERENCE)


# --- The project's own loader ---------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_scenarios_load_without_problems(scenario):
    from mutualaid.scenario import loading

    load_scenario = getattr(loading, "load_scenario", None)
    if load_scenario is None:
        pytest.skip("mutualaid.scenario.loading.load_scenario is not written yet")
    result = load_scenario(DATA / scenario)
    problems = [line for report in result.reports for line in report.lines()]
    assert result.ok, "\n".join(problems)
    loaded = result.scenario
    assert len(loaded.incidents) == len(_features(scenario, "incidents.geojson"))
    assert len(loaded.resources) == len(_features(scenario, "resources.geojson"))
    assert loaded.incidents["jurisdiction"].notna().all()

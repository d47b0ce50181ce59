"""load_scenario: a scenario folder read and checked as a whole."""

from __future__ import annotations

from pathlib import Path

import pytest

import builders
from builders import agreements_csv, feature, point, square
from mutualaid.scenario.loading import SCENARIO_FILES, load_scenario

DATA = Path(__file__).resolve().parents[2] / "data"
SHIPPED = (
    sorted(p for p in DATA.iterdir() if (p / SCENARIO_FILES["jurisdictions"]).is_file())
    if DATA.is_dir()
    else []
)


def write_scenario(
    folder: Path,
    *,
    incidents=None,
    resources=None,
    agreements=None,
    jurisdictions=None,
    travel_times=None,
) -> Path:
    return builders.write_scenario(
        folder,
        jurisdictions=jurisdictions
        if jurisdictions is not None
        else [
            feature(square(6, 50), id="DE-NW", country="DE", reserve=0.1),
            feature(square(5, 50), id="NL-LI", country="NL"),
        ],
        incidents=incidents
        if incidents is not None
        else [builders.incident(5.5, 50.5, "I1", severity=4, needs={"boat": 2})],
        resources=resources
        if resources is not None
        else [builders.resource(6.5, 50.5, "R1", type="boat", quantity=3)],
        agreements=agreements if agreements is not None else agreements_csv("DE,NL,boat,30"),
        travel_times=travel_times,
    )


def errors(result):
    return [(r.kind, p) for r in result.reports for p in r.errors]


@pytest.mark.skipif(not SHIPPED, reason="no scenario folders shipped yet")
@pytest.mark.parametrize("folder", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_scenario_loads_with_no_errors(folder):
    result = load_scenario(folder)
    assert result.ok, [f"{r.source}: {line}" for r in result.reports for line in r.lines()]
    scenario = result.scenario
    assert scenario.name == folder.name
    assert len(scenario.jurisdictions) and len(scenario.incidents) and len(scenario.resources)
    # Every active incident of a sample scenario lies inside a jurisdiction.
    active = scenario.incidents[scenario.incidents["status"] == "active"]
    assert active["jurisdiction"].notna().all()


def test_good_folder_gives_a_scenario_with_joined_layers(tmp_path):
    result = load_scenario(write_scenario(tmp_path / "demo"))
    assert result.ok, errors(result)
    s = result.scenario
    assert s.name == "demo"
    assert s.incidents["jurisdiction"].tolist() == ["NL-LI"]
    assert s.resources["jurisdiction"].tolist() == ["DE-NW"]
    assert s.agreements["resource_types"].tolist() == [("boat",)]
    assert s.travel_times is None
    assert [r.kind for r in result.reports] == [
        "jurisdictions",
        "incidents",
        "resources",
        "agreements",
    ]


def test_each_missing_file_is_one_error(tmp_path):
    folder = write_scenario(tmp_path / "s")
    (folder / "resources.geojson").unlink()
    (folder / "agreements.csv").unlink()
    result = load_scenario(folder)
    assert result.scenario is None and not result.ok
    missing = [(kind, p.message) for kind, p in errors(result)]
    assert [k for k, _ in missing] == ["resources", "agreements"]
    assert all("missing file" in m for _, m in missing)


def test_missing_folder_is_an_error_not_an_exception(tmp_path):
    result = load_scenario(tmp_path / "nowhere")
    assert not result.ok and "does not exist" in result.reports[0].errors[0].message
    (tmp_path / "file.txt").write_text("x")
    result = load_scenario(tmp_path / "file.txt")
    assert "is not a folder" in result.reports[0].errors[0].message


def test_resource_given_an_unknown_jurisdiction_is_an_error(tmp_path):
    folder = write_scenario(
        tmp_path / "s",
        resources=[
            {
                "type": "Feature",
                "properties": {"id": "R1", "type": "boat", "jurisdiction": "BE-WLG"},
                "geometry": point(6.5, 50.5),
            }
        ],
    )
    result = load_scenario(folder)
    [(kind, p)] = errors(result)
    assert kind == "resources" and p.field == "jurisdiction" and "BE-WLG" in p.message


def test_agreements_are_checked_against_the_jurisdictions(tmp_path):
    folder = write_scenario(tmp_path / "s", agreements="from,to,resource_types\nDE,FR,*\n")
    [(kind, p)] = errors(load_scenario(folder))
    assert kind == "agreements"
    assert "no jurisdiction or country 'FR' in the jurisdictions layer" in p.message


def test_rejected_jurisdictions_still_let_other_layers_be_checked(tmp_path):
    folder = write_scenario(
        tmp_path / "s",
        jurisdictions=[
            {
                "type": "Feature",
                "properties": {"id": "DE-NW", "country": "Germany"},
                "geometry": square(6, 50),
            }
        ],
        incidents=[
            {
                "type": "Feature",
                "properties": {
                    "id": "I1",
                    "hazard": "flood",
                    "severity": 9,
                    "reported_at": "2021-07-14T17:30Z",
                },
                "geometry": point(6.5, 50.5),
            }
        ],
    )
    result = load_scenario(folder)
    assert result.scenario is None
    kinds = [kind for kind, _ in errors(result)]
    assert kinds == ["jurisdictions", "incidents"]
    assert any("could not be checked" in p.message for p in result.reports[0].warnings)


def test_incident_outside_every_jurisdiction_is_a_warning_not_an_error(tmp_path):
    folder = write_scenario(
        tmp_path / "s",
        incidents=[
            {
                "type": "Feature",
                "properties": {
                    "id": "I1",
                    "hazard": "flood",
                    "severity": 2,
                    "reported_at": "2021-07-14T17:30Z",
                },
                "geometry": point(20, 40),
            }
        ],
    )
    result = load_scenario(folder)
    assert result.ok
    assert result.scenario.incidents["jurisdiction"].tolist() == [None]
    assert "outside every jurisdiction" in result.reports[1].warnings[0].message


def test_travel_times_from_the_folder_are_checked_against_ids(tmp_path):
    folder = write_scenario(
        tmp_path / "s", travel_times="resource_id,incident_id,minutes\nR1,I1,42\nR2,I1,10\n"
    )
    result = load_scenario(folder)
    [(kind, p)] = errors(result)
    assert kind == "travel_times" and "'R2' is not a resource of the scenario" in p.message


def test_travel_times_from_the_folder_accepted(tmp_path):
    folder = write_scenario(
        tmp_path / "s", travel_times="resource_id,incident_id,minutes\nR1,I1,42\n"
    )
    result = load_scenario(folder)
    assert result.ok
    assert result.scenario.travel_times["minutes"].tolist() == [42.0]


def test_travel_times_path_given_replaces_the_folder_file(tmp_path):
    folder = write_scenario(
        tmp_path / "s", travel_times="resource_id,incident_id,minutes\nR1,I1,42\n"
    )
    other = tmp_path / "osrm.csv"
    other.write_text("resource_id,incident_id,minutes\nR1,I1,7\n", encoding="utf-8")
    result = load_scenario(folder, travel_times=other)
    assert result.scenario.travel_times["minutes"].tolist() == [7.0]


def test_travel_times_path_given_but_missing_is_an_error(tmp_path):
    result = load_scenario(write_scenario(tmp_path / "s"), travel_times=tmp_path / "no.csv")
    [(kind, p)] = errors(result)
    assert kind == "travel_times" and "missing file" in p.message

"""Workspace: layers added to a base scenario, replaced or merged by id, re-checked whole."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from pathlib import Path

import pytest

from builders import (
    JURISDICTIONS,
    agreements_csv,
    collection,
    feature,
    point,
    write_scenario,
)
from mutualaid.layers import load_layer
from mutualaid.scenario.loading import load_scenario
from mutualaid.scenario.merging import LayerRefused, add_layer, merge_by_key, new_workspace


def incident(iid, x, y, *, severity=3):
    return feature(
        {
            "id": iid,
            "hazard": "flood",
            "severity": severity,
            "reported_at": "2021-07-14T17:30:00Z",
            "needs": {"boat": 1},
        },
        point(x, y),
    )


@pytest.fixture
def base(tmp_path: Path):
    folder = write_scenario(
        tmp_path / "base",
        jurisdictions=JURISDICTIONS,
        incidents=[
            incident("I1", 5.5, 50.5),
            incident("I2", 6.5, 50.5),
        ],
        resources=[
            feature({"id": "R1", "type": "boat", "quantity": 3}, point(6.5, 50.5)),
            # Stationed in NL-LI but owned by DE-NW: an owner given on purpose.
            feature({"id": "R2", "type": "boat", "jurisdiction": "DE-NW"}, point(5.2, 50.2)),
        ],
        agreements=agreements_csv("DE,NL,boat,30"),
    )
    result = load_scenario(folder)
    assert result.ok, [r.lines() for r in result.reports]
    return new_workspace(result.scenario)


def layer(kind, features, *, jurisdictions=None, name="upload.geojson"):
    result = load_layer(
        name, kind=kind, data=collection(features), filename=name, jurisdictions=jurisdictions
    )
    assert result.ok, result.report.lines()
    return result


def test_replace_swaps_the_whole_layer(base):
    new = layer("incidents", [incident("I9", 6.2, 50.2)], jurisdictions=base.current.jurisdictions)
    ws = add_layer(base, "incidents", new.frame, source="new.geojson", mode="replace")
    assert ws.scenario().incidents["id"].tolist() == ["I9"]
    assert ws.scenario().incidents["jurisdiction"].tolist() == ["DE-NW"]
    assert base.scenario().incidents["id"].tolist() == ["I1", "I2"]  # old one untouched


def test_merge_replaces_same_ids_in_place_and_appends_new_ones(base):
    new = layer("incidents", [incident("I3", 5.1, 50.1), incident("I1", 5.5, 50.5, severity=5)])
    ws = add_layer(base, "incidents", new.frame, source="more.geojson", mode="merge")
    incidents = ws.scenario().incidents
    assert incidents["id"].tolist() == ["I1", "I2", "I3"]
    assert incidents["severity"].tolist() == [5, 3, 3]
    # The uploaded layer was read without jurisdictions: the re-check placed it.
    assert incidents["jurisdiction"].tolist() == ["NL-LI", "DE-NW", "NL-LI"]


def test_merge_agreements_by_sides_and_types(base):
    csv = b"from,to,resource_types,border_delay_min\nDE,NL,boat,10\nDE,NL,pump,5\nNL,DE,boat,20\n"
    new = load_layer("a.csv", kind="agreements", data=csv, filename="a.csv")
    ws = add_layer(base, "agreements", new.frame, source="a.csv", mode="merge")
    rows = ws.scenario().agreements
    assert list(
        zip(rows["from"], rows["to"], rows["resource_types"], rows["border_delay_min"])
    ) == [
        ("DE", "NL", ("boat",), 10.0),
        ("DE", "NL", ("pump",), 5.0),
        ("NL", "DE", ("boat",), 20.0),
    ]


def test_merge_by_key_keeps_old_rows_in_order(base):
    old = base.current.incidents
    merged = merge_by_key(old, old.iloc[[1]], kind="incidents")
    assert merged["id"].tolist() == ["I1", "I2"]
    assert merged.crs == old.crs


def test_refused_add_leaves_the_workspace_unchanged(base):
    before = pickle.dumps(base)
    # R3 names a jurisdiction the scenario does not have: the resource layer alone is
    # fine (read without jurisdictions), the combined scenario is not.
    new = layer(
        "resources",
        [feature({"id": "R3", "type": "boat", "jurisdiction": "FR-XX"}, point(6.5, 50.5))],
    )
    with pytest.raises(LayerRefused) as refused:
        add_layer(base, "resources", new.frame, source="bad.geojson", mode="merge")
    assert pickle.dumps(base) == before
    assert base.layer_log == ()
    messages = [p.message for p in refused.value.problems]
    assert any("FR-XX" in m for m in messages), messages
    assert all(p.field == "jurisdiction" for p in refused.value.problems)


def test_removing_a_jurisdiction_a_resource_names_is_refused(base):
    # R2 is owned by DE-NW on purpose (stationed in NL-LI): dropping DE-NW must fail.
    only_nl = layer("jurisdictions", [JURISDICTIONS[1]])
    with pytest.raises(LayerRefused) as refused:
        add_layer(base, "jurisdictions", only_nl.frame, source="nl.geojson", mode="replace")
    assert any(p.feature_id == "R2" for p in refused.value.problems)


def test_new_jurisdictions_re_run_the_spatial_join(base):
    # Split DE-NW into a western and an eastern half; R2 keeps its given owner (the
    # eastern half keeps the id DE-NW), incidents and R1 are placed again.
    halves = [
        feature(
            {"id": "DE-NW", "country": "DE"},
            {"type": "Polygon", "coordinates": [[[6, 50], [6.4, 50], [6.4, 51], [6, 51], [6, 50]]]},
        ),
        feature(
            {"id": "DE-KO", "country": "DE"},
            {
                "type": "Polygon",
                "coordinates": [[[6.4, 50], [7, 50], [7, 51], [6.4, 51], [6.4, 50]]],
            },
        ),
    ]
    new = layer("jurisdictions", halves)
    ws = add_layer(base, "jurisdictions", new.frame, source="split.geojson", mode="merge")
    scenario = ws.scenario()
    assert scenario.jurisdictions["id"].tolist() == ["DE-NW", "NL-LI", "DE-KO"]
    assert scenario.incidents.set_index("id")["jurisdiction"].to_dict() == {
        "I1": "NL-LI",
        "I2": "DE-KO",
    }
    owners = scenario.resources.set_index("id")["jurisdiction"].to_dict()
    assert owners == {"R1": "DE-KO", "R2": "DE-NW"}


def test_travel_times_are_checked_against_the_combined_ids(base):
    times = load_layer(
        "t.csv",
        kind="travel_times",
        filename="t.csv",
        data=b"resource_id,incident_id,minutes\nR1,I1,12\n",
    )
    ws = add_layer(base, "travel_times", times.frame, source="t.csv", mode="replace")
    only_i9 = layer("incidents", [incident("I9", 6.2, 50.2)])
    with pytest.raises(LayerRefused) as refused:
        add_layer(ws, "incidents", only_i9.frame, source="i9.geojson", mode="replace")
    assert any("I1" in p.message for p in refused.value.problems)


def test_log_entries(base):
    new = layer("incidents", [incident("I3", 5.1, 50.1), incident("I4", 5.2, 50.1)])
    at = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    ws = add_layer(
        base, "incidents", new.frame, source="more.geojson", mode="merge", format=new.format, now=at
    )
    before = datetime.now(UTC)
    ws2 = add_layer(ws, "incidents", new.frame, source="again.geojson", mode="replace")
    assert len(ws.layer_log) == 1 and len(ws2.layer_log) == 2
    first, second = ws2.layer_log
    assert (
        first.kind,
        first.source,
        first.features,
        first.loaded_at,
        first.mode,
        first.format,
    ) == ("incidents", "more.geojson", 2, at, "merge", "geojson")
    assert second.source == "again.geojson" and second.mode == "replace"
    assert second.loaded_at.tzinfo == UTC and second.loaded_at >= before
    assert ws2.base is base.base
    assert base.version == "" and len({base.version, ws.version, ws2.version}) == 3


@pytest.mark.parametrize("kind, mode", [("roads", "merge"), ("incidents", "append")])
def test_unknown_kind_or_mode_is_a_programming_error(base, kind, mode):
    with pytest.raises(ValueError):
        add_layer(base, kind, base.current.incidents, source="x", mode=mode)

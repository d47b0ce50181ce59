"""Key figures of a plan (mutualaid.figures.plan) and the what-if edits
(mutualaid.allocation.what_if)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from builders import loaded_scenario, point, square, write_collection
from mutualaid.allocation import allocate
from mutualaid.allocation.what_if import (
    agreements_table,
    describe_edits,
    edit,
    edited_agreements,
    overrides_digest,
    overrides_key,
    parse_overrides,
    reserve_overrides,
    same_agreements,
)
from mutualaid.figures.plan import (
    ASSIGNMENT_KEYS,
    JURISDICTION,
    LOCAL,
    NATIONAL,
    assignments_frame,
    border_units,
    crossing_units,
    key_figures,
    need_by_severity,
    plan_dict,
    response_minutes,
    units_sent_out,
    unmet_by_incident,
    unmet_table,
    weighted_share,
    with_crossings,
)
from mutualaid.scenario.loading import Scenario

# --- a small scenario, written and read back as the app does -------------------------------

AGREEMENTS = (
    "from,to,resource_types,border_delay_min,basis\n"
    "DE,DE,*,10,Laender\nNL,DE,*,20,DE-NL treaty\nDE,NL,boat,30,DE-NL treaty\n"
)


def write_scenario(folder: Path, *, agreements: str = AGREEMENTS) -> Path:
    """Two German jurisdictions and a Dutch one; a severe flood in DE-NW needing boats
    and pumps, an ambulance need in NL-LI, a closed incident and one outside the map."""
    folder.mkdir(parents=True, exist_ok=True)
    write_collection(
        folder / "jurisdictions.geojson",
        [
            ({"id": "DE-NW", "name": "Nordrhein-Westfalen", "country": "DE"}, square(6, 50)),
            (
                {"id": "DE-RP", "name": "Rheinland-Pfalz", "country": "DE", "reserve": 0.5},
                square(6, 49),
            ),
            ({"id": "NL-LI", "name": "Limburg", "country": "NL"}, square(5, 50)),
        ],
    )
    common = {"hazard": "flood", "reported_at": "2021-07-14T17:30:00Z"}
    write_collection(
        folder / "incidents.geojson",
        [
            (
                {
                    "id": "I-1",
                    "name": "Erft flood",
                    "severity": 5,
                    "needs": {"boat": 4, "pump": 2},
                    **common,
                },
                point(6.5, 50.5),
            ),
            (
                {
                    "id": "I-2",
                    "name": "Geul flood",
                    "severity": 2,
                    "needs": {"ambulance": 1},
                    **common,
                },
                point(5.5, 50.5),
            ),
            (
                {
                    "id": "I-3",
                    "name": "Ahr (closed)",
                    "severity": 3,
                    "status": "closed",
                    "needs": {"boat": 1},
                    **common,
                },
                point(6.5, 49.5),
            ),
            (
                {"id": "I-4", "name": "Far away", "severity": 4, "needs": {"boat": 1}, **common},
                point(9.5, 45.5),
            ),
        ],
    )
    write_collection(
        folder / "resources.geojson",
        [
            (
                {"id": "R-1", "name": "Boats, Koeln", "type": "boat", "quantity": 2},
                point(6.9, 50.9),
            ),
            (
                {"id": "R-2", "name": "Boats, Maastricht", "type": "boat", "quantity": 3},
                point(5.7, 50.8),
            ),
            (
                {"id": "R-3", "name": "Pumps, Mainz", "type": "pump", "quantity": 2},
                point(6.5, 49.8),
            ),
            (
                {"id": "R-4", "name": "Ambulance, Heerlen", "type": "ambulance", "quantity": 1},
                point(5.9, 50.9),
            ),
        ],
    )
    (folder / "agreements.csv").write_text(agreements, encoding="utf-8")
    return folder


@pytest.fixture
def scenario(tmp_path) -> Scenario:
    return loaded_scenario(write_scenario(tmp_path / "s"))


def a_row(rid, iid, rtype, units, minutes, frm, to, **extra) -> dict:
    return {
        "resource_id": rid,
        "incident_id": iid,
        "type": rtype,
        "units": units,
        "minutes": minutes,
        "from_jurisdiction": frm,
        "to_jurisdiction": to,
        "cross_border": frm != to,
        **extra,
    }


def hand_plan() -> dict:
    """A plan in the contract's format, written out (not from the engine)."""
    return {
        "assignments": [
            a_row("R-1", "I-1", "boat", 2, 30.0, "DE-NW", "DE-NW"),
            a_row("R-2", "I-1", "boat", 1, 70.0, "NL-LI", "DE-NW"),
            a_row("R-3", "I-1", "pump", 1, 50.0, "DE-RP", "DE-NW"),
            a_row("R-4", "I-2", "ambulance", 1, 10.0, "NL-LI", "NL-LI"),
        ],
        "unmet": [
            {
                "incident_id": "I-1",
                "type": "boat",
                "units": 1,
                "reason": "reserve limit",
                "other_reasons": ["outcompeted by more severe incidents"],
                "detail": "held back",
            },
            {"incident_id": "I-1", "type": "pump", "units": 1, "reason": "no agreement"},
        ],
        "excluded": [{"kind": "incident", "id": "I-4", "reason": "outside every jurisdiction"}],
        "summary": {
            "weighted_coverage": 22,
            "unit_minutes": 210.0,
            "units_assigned": 5,
            "units_needed": 7,
            "solve_seconds": 0.01,
        },
    }


# --- the plan as tables ---------------------------------------------------------------


def test_plan_dict_takes_a_plan_or_its_dict_and_refuses_anything_else(scenario):
    plan = allocate(scenario)
    assert plan_dict(plan) == plan.to_dict()
    assert plan_dict(hand_plan()) == hand_plan()
    with pytest.raises(TypeError, match="a plan must be"):
        plan_dict(["not", "a", "plan"])


def test_an_empty_plan_still_has_the_contract_columns():
    frame = assignments_frame({"assignments": [], "unmet": [], "summary": {}})
    assert list(frame.columns) == list(ASSIGNMENT_KEYS)
    assert frame.empty


def test_crossings_tell_local_jurisdiction_and_national_trips_apart(scenario):
    frame = with_crossings(assignments_frame(hand_plan()), scenario.jurisdictions)
    assert frame["crossing"].tolist() == [LOCAL, NATIONAL, JURISDICTION, LOCAL]
    assert frame["from_country"].tolist() == ["DE", "NL", "DE", "NL"]
    assert frame["to_country"].tolist() == ["DE", "DE", "DE", "NL"]
    assert crossing_units(hand_plan(), scenario) == {LOCAL: 3, JURISDICTION: 1, NATIONAL: 1}


# --- need met by severity ------------------------------------------------------------------


def test_need_by_severity_counts_active_incidents_that_take_part(scenario):
    table = need_by_severity(hand_plan(), scenario).set_index("severity")
    assert table.index.tolist() == [1, 2, 3, 4, 5]
    # I-1 (severity 5) needs 6, I-2 (severity 2) needs 1; I-3 is closed, I-4 excluded.
    assert table["needed"].tolist() == [0, 1, 0, 0, 6]
    assert table["delivered"].tolist() == [0, 1, 0, 0, 4]
    assert table["short"].tolist() == [0, 0, 0, 0, 2]
    assert table.loc[5, "met_pct"] == pytest.approx(100 * 4 / 6)
    assert table.loc[2, "met_pct"] == 100.0
    assert math.isnan(table.loc[1, "met_pct"])  # nothing needed: no percentage
    assert table.loc[5, "weighted_needed"] == 30 and table.loc[5, "weighted_delivered"] == 20


def test_an_excluded_incident_counts_when_the_plan_does_not_exclude_it(scenario):
    plan = hand_plan()
    plan["excluded"] = []
    assert need_by_severity(plan, scenario).set_index("severity").loc[4, "needed"] == 1


def test_response_minutes_per_severity_are_weighted_by_units(scenario):
    table = need_by_severity(hand_plan(), scenario).set_index("severity")
    # severity 5: 2 units x 30 + 1 x 70 + 1 x 50 = 180 over 4 units
    assert table.loc[5, "mean_minutes"] == pytest.approx(45.0)
    assert table.loc[5, "worst_minutes"] == 70.0
    assert math.isnan(table.loc[3, "mean_minutes"]) and math.isnan(table.loc[3, "worst_minutes"])


def test_weighted_share_weighs_each_unit_by_severity(scenario):
    table = need_by_severity(hand_plan(), scenario)
    assert weighted_share(table) == pytest.approx((5 * 4 + 2 * 1) / (5 * 6 + 2 * 1))
    nothing = table.assign(weighted_needed=0, weighted_delivered=0)
    assert weighted_share(nothing) == 1.0


def test_mean_response_is_per_unit_not_per_assignment():
    plan = {
        "assignments": [
            a_row("R-1", "I-1", "boat", 3, 10.0, "A", "A"),
            a_row("R-2", "I-1", "boat", 1, 50.0, "B", "A"),
        ]
    }
    response = response_minutes(plan)
    assert response.units == 4
    assert response.mean_minutes == pytest.approx(20.0)  # not (10 + 50) / 2
    assert response.worst_minutes == 50.0


def test_no_assignment_means_no_response_minutes():
    response = response_minutes({"assignments": []})
    assert response.units == 0
    assert math.isnan(response.mean_minutes) and math.isnan(response.worst_minutes)


# --- units crossing borders ------------------------------------------------------------------


def test_units_across_national_borders_by_direction(scenario):
    plan = hand_plan()
    plan["assignments"].append(a_row("R-2", "I-2", "boat", 2, 40.0, "DE-NW", "NL-LI"))
    plan["assignments"].append(a_row("R-9", "I-1", "pump", 4, 40.0, "NL-LI", "DE-NW"))
    table = border_units(plan, scenario, by="country")
    assert table[["from_country", "to_country", "units", "assignments"]].values.tolist() == [
        ["NL", "DE", 5, 2],
        ["DE", "NL", 2, 1],
    ]
    assert table["types"].tolist() == ["boat;pump", "boat"]


def test_units_leaving_each_jurisdiction_include_moves_inside_a_country(scenario):
    table = border_units(hand_plan(), scenario, by="jurisdiction")
    rows = table[["from_jurisdiction", "to_jurisdiction", "units"]].values.tolist()
    assert sorted(rows) == [["DE-RP", "DE-NW", 1], ["NL-LI", "DE-NW", 1]]
    assert units_sent_out(hand_plan()).to_dict() == {"DE-RP": 1, "NL-LI": 1}


def test_no_crossing_gives_an_empty_table_with_its_columns(scenario):
    plan = {"assignments": [a_row("R-1", "I-1", "boat", 2, 30.0, "DE-NW", "DE-NW")]}
    table = border_units(plan, scenario, by="country")
    assert table.empty
    assert list(table.columns) == ["from_country", "to_country", "units", "assignments", "types"]
    with pytest.raises(ValueError, match="by must be"):
        border_units(plan, scenario, by="planet")


# --- unmet needs ---------------------------------------------------------------------------


def test_unmet_table_is_most_severe_first_with_names_and_reasons(scenario):
    plan = hand_plan()
    plan["unmet"].append(
        {"incident_id": "I-2", "type": "boat", "units": 5, "reason": "no agreement"}
    )
    table = unmet_table(plan, scenario)
    assert table["incident_id"].tolist() == ["I-1", "I-1", "I-2"]
    assert table["severity"].tolist() == [5, 5, 2]  # severity first, even with fewer units
    assert table.loc[0, "incident"] == "Erft flood"
    assert table.loc[0, "jurisdiction"] == "DE-NW"
    assert table["reason"].tolist() == ["reserve limit", "no agreement", "no agreement"]
    assert table.loc[0, "detail"] == "held back"
    assert table.loc[0, "other_reasons"] == "outcompeted by more severe incidents"


def test_unmet_by_incident_sums_units_and_lists_each_type_with_its_reason():
    table = unmet_by_incident(hand_plan())
    assert table.to_dict("records") == [
        {"incident_id": "I-1", "units": 2, "needs": "1 boat (reserve limit); 1 pump (no agreement)"}
    ]
    assert unmet_by_incident({"unmet": []}).empty


# --- figures of the engine's own plan ----------------------------------------------------------


def test_key_figures_agree_with_the_engines_summary(scenario):
    plan = allocate(scenario)
    summary = plan.summary
    figures = key_figures(plan, scenario)
    assert figures.units_needed == summary["units_needed"]
    assert figures.units_assigned == summary["units_assigned"]
    assert int(figures.by_severity["weighted_delivered"].sum()) == summary["weighted_coverage"]
    assert figures.response.mean_minutes == pytest.approx(
        summary["unit_minutes"] / summary["units_assigned"]
    )
    short = figures.by_severity["short"].sum()
    assert short == figures.unmet["units"].sum() == sum(u["units"] for u in plan.to_dict()["unmet"])
    # The Dutch boats crossing into Germany are the national flow.
    assert figures.by_country[["from_country", "to_country"]].values.tolist() == [["NL", "DE"]]


# --- edits ---------------------------------------------------------------------------------------


def test_reserve_overrides_keep_only_real_changes(scenario):
    assert reserve_overrides(scenario, {"DE-RP": 0.5, "NL-LI": 0.0}) == {}
    assert reserve_overrides(scenario, {"NL-LI": 1.0, "DE-NW": 0.30000000000000004}) == {
        "DE-NW": 0.3,
        "NL-LI": 1.0,
    }


@pytest.mark.parametrize(
    "values, message",
    [
        ({"XX-YY": 0.5}, "no jurisdiction has that id"),
        ({"NL-LI": 1.5}, "a share from 0 to 1"),
        ({"NL-LI": -0.1}, "a share from 0 to 1"),
        ({"NL-LI": "half"}, "a share from 0 to 1"),
    ],
)
def test_reserve_overrides_refuse_what_is_not_a_share_of_a_jurisdiction(scenario, values, message):
    with pytest.raises(ValueError, match=message):
        reserve_overrides(scenario, values)


def test_edit_replaces_reserves_and_agreements_in_a_copy(scenario):
    before = scenario.jurisdictions["reserve"].tolist()
    no_rows = scenario.agreements.iloc[0:0]
    edited = edit(scenario, reserves={"NL-LI": 1.0}, agreements=no_rows)
    assert edited.jurisdictions.set_index("id").loc["NL-LI", "reserve"] == 1.0
    assert edited.agreements.empty
    assert scenario.jurisdictions["reserve"].tolist() == before  # untouched
    assert len(scenario.agreements) == 3
    assert edit(scenario).jurisdictions is scenario.jurisdictions


def test_a_full_reserve_stops_an_exporter_sending_units(scenario):
    before = units_sent_out(allocate(scenario))
    assert before.get("NL-LI", 0) > 0  # the premise: NL-LI sends boats to DE-NW
    after = units_sent_out(allocate(edit(scenario, reserves={"NL-LI": 1.0})))
    assert after.get("NL-LI", 0) == 0


def test_without_agreements_only_local_trips_remain(scenario):
    plan = allocate(edit(scenario, agreements=scenario.agreements.iloc[0:0]))
    assert crossing_units(plan, scenario)[NATIONAL] == 0
    assert crossing_units(plan, scenario)[JURISDICTION] == 0


def test_agreements_table_round_trips_through_the_validator(scenario):
    table = agreements_table(scenario.agreements)
    assert table["resource_types"].tolist() == ["*", "*", "boat"]
    assert table["basis"].tolist() == ["Laender", "DE-NL treaty", "DE-NL treaty"]
    frame, report = edited_agreements(table, scenario)
    assert report.ok and frame is not None
    assert same_agreements(frame, scenario.agreements)


def test_an_invalid_edit_is_rejected_with_the_editors_row_numbers(scenario):
    table = agreements_table(scenario.agreements)
    blank = pd.DataFrame(
        [
            {
                "from": None,
                "to": "",
                "resource_types": None,
                "border_delay_min": float("nan"),
                "basis": None,
            }
        ]
    )
    table = pd.concat([blank, table], ignore_index=True)  # a blank row first: ignored
    table.loc[2, "from"] = "XX"
    table.loc[3, "border_delay_min"] = -5
    frame, report = edited_agreements(table, scenario)
    assert frame is None
    found = sorted((p.feature, p.field) for p in report.errors)
    assert found == [(3, "from"), (4, "border_delay_min")]


def test_a_valid_edit_changes_the_agreements(scenario):
    table = agreements_table(scenario.agreements)
    table.loc[2, "resource_types"] = "boat;ambulance"
    frame, report = edited_agreements(table, scenario)
    assert report.ok
    assert frame["resource_types"].tolist()[2] == ("boat", "ambulance")
    assert not same_agreements(frame, scenario.agreements)


def test_overrides_key_is_stable_and_round_trips(scenario):
    one = overrides_key(reserves={"NL-LI": 1.0, "DE-NW": 0.25}, agreements=scenario.agreements)
    two = overrides_key(reserves={"DE-NW": 0.25, "NL-LI": 1.0}, agreements=scenario.agreements)
    assert one == two
    assert overrides_digest(one) == overrides_digest(two) and len(overrides_digest(one)) == 16
    assert overrides_key() != one
    assert overrides_key(reserves={"NL-LI": 0.95}) != overrides_key(reserves={"NL-LI": 1.0})
    reserves, agreements = parse_overrides(one)
    assert reserves == {"DE-NW": 0.25, "NL-LI": 1.0}
    assert same_agreements(agreements, scenario.agreements)
    assert agreements["resource_types"].tolist() == [("*",), ("*",), ("boat",)]
    assert parse_overrides(overrides_key()) == ({}, None)


def test_a_plan_from_parsed_overrides_is_the_plan_of_the_edits(scenario):
    key = overrides_key(reserves={"NL-LI": 1.0}, agreements=scenario.agreements.iloc[:2])
    reserves, agreements = parse_overrides(key)
    direct = allocate(
        edit(scenario, reserves={"NL-LI": 1.0}, agreements=scenario.agreements.iloc[:2])
    )
    parsed = allocate(edit(scenario, reserves=reserves, agreements=agreements))
    assert parsed.to_dict()["assignments"] == direct.to_dict()["assignments"]


def test_describe_edits_says_what_changed(scenario):
    assert describe_edits(scenario) == []
    lines = describe_edits(
        scenario, reserves={"DE-RP": 0.0, "NL-LI": 0.0}, agreements=scenario.agreements.iloc[:1]
    )
    assert lines == [
        "reserve of DE-RP: 0.5 -> 0",
        "agreements edited: 1 row(s) instead of 3 in the file",
    ]


def test_planning_an_edited_scenario_is_planning_with_the_overrides(scenario):
    reserves, rows = {"NL-LI": 1.0, "DE-RP": 0.0}, scenario.agreements.iloc[:2]
    edited = allocate(edit(scenario, reserves=reserves, agreements=rows)).to_dict()
    direct = allocate(scenario, reserves=reserves, agreements=rows).to_dict()
    assert edited["assignments"] == direct["assignments"]
    assert edited["unmet"] == direct["unmet"]

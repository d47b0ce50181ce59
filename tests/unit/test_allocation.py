"""The allocation engine rule by rule: eligibility, reserves, objective order, reasons, plan."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from builders import (
    ROW_OF_THREE,
    agreements_csv,
    canonical_scenario,
    feature,
    point,
    square,
    write_scenario,
)
from mutualaid.allocation import REASONS, allocate, flows_geojson
from mutualaid.allocation.prepare import cap_units
from mutualaid.allocation.travel import haversine_km
from mutualaid.scenario.loading import Scenario

# Three 1-degree squares side by side: DE-A | NL-B | BE-C.
JURISDICTIONS = ROW_OF_THREE
CONTRACT_ASSIGNMENT_KEYS = {
    "resource_id",
    "incident_id",
    "type",
    "units",
    "minutes",
    "from_jurisdiction",
    "to_jurisdiction",
    "cross_border",
}
CONTRACT_SUMMARY_KEYS = {
    "weighted_coverage",
    "unit_minutes",
    "units_assigned",
    "units_needed",
    "solve_seconds",
}


def make(resources, incidents, agreements=(), *, reserves=None, travel_times=None) -> Scenario:
    """A scenario in the canonical shape, from short specs."""
    return canonical_scenario(
        resources, incidents, agreements, reserves=reserves, travel_times=travel_times
    )


def R(rid, rtype, jurisdiction, lon, lat=50.5, **kw):
    return {"id": rid, "type": rtype, "jurisdiction": jurisdiction, "lon": lon, "lat": lat, **kw}


def I(iid, needs, jurisdiction, lon, lat=50.5, **kw):  # noqa: E743 - I(ncident) beside R(esource)
    return {"id": iid, "needs": needs, "jurisdiction": jurisdiction, "lon": lon, "lat": lat, **kw}


def model_minutes(res_lon, inc_lon, *, speed=60.0, factor=1.3, lat=50.5):
    return float(haversine_km(res_lon, lat, inc_lon, lat)) * factor / speed * 60.0


def unmet_of(plan, incident, rtype):
    rows = plan.unmet[(plan.unmet.incident_id == incident) & (plan.unmet.type == rtype)]
    assert len(rows) == 1, plan.unmet
    return rows.iloc[0]


# --- who may serve whom -----------------------------------------------------------------


def test_domestic_units_serve_without_agreement_and_without_delay():
    plan = allocate(make([R("R1", "boat", "DE-A", 6.2)], [I("I1", {"boat": 1}, "DE-A", 6.8)]))
    a = plan.assignments.iloc[0]
    assert (a.resource_id, a.incident_id, a.units) == ("R1", "I1", 1)
    assert not a.cross_border and a.agreement is None and a.border_delay_min == 0
    assert a.minutes == pytest.approx(model_minutes(6.2, 6.8), abs=1e-6)
    assert (a.from_jurisdiction, a.to_jurisdiction) == ("DE-A", "DE-A")


def test_home_only_units_serve_their_owners_incidents_and_no_others():
    """Issue 6: units shared with nobody stay at home; a farther unit goes abroad."""
    s = make(
        [R("R-HOME", "boat", "DE-A", 6.9), R("R-FAR", "boat", "DE-A", 6.1)],
        [I("I-NL", {"boat": 1}, "NL-B", 7.1, severity=5), I("I-DE", {"boat": 1}, "DE-A", 6.5)],
        [("DE", "NL", ["*"], 10)],
    )
    free = {(a.resource_id, a.incident_id) for a in allocate(s).assignments.itertuples()}
    assert ("R-HOME", "I-NL") in free  # without the rule the nearest boat goes abroad
    kept = allocate(s, home_only={"R-HOME"})
    assert {(a.resource_id, a.incident_id) for a in kept.assignments.itertuples()} == {
        ("R-HOME", "I-DE"),
        ("R-FAR", "I-NL"),
    }
    alone = allocate(
        make(
            [R("R-HOME", "boat", "DE-A", 6.9)],
            [I("I-NL", {"boat": 1}, "NL-B", 7.1)],
            [("DE", "NL", ["*"], 10)],
        ),
        home_only={"R-HOME"},
    )
    assert alone.assignments.empty and len(alone.unmet) == 1


def test_cross_border_trip_uses_the_smallest_matching_delay():
    s = make(
        [R("R1", "boat", "DE-A", 6.8)],
        [I("I1", {"boat": 1}, "NL-B", 7.2)],
        [("DE", "NL", ["*"], 40), ("DE-A", "NL-B", ["boat"], 15), ("*", "*", ["pump"], 1)],
    )
    a = allocate(s).assignments.iloc[0]
    assert a.cross_border and (a.from_jurisdiction, a.to_jurisdiction) == ("DE-A", "NL-B")
    assert a.border_delay_min == 15
    assert a.minutes == pytest.approx(model_minutes(6.8, 7.2) + 15, abs=1e-6)
    assert a.agreement == {
        "from": "DE-A",
        "to": "NL-B",
        "resource_types": "boat",
        "border_delay_min": 15.0,
    }


def test_helicopters_fly_straight_at_their_own_speed():
    s = make(
        [R("H1", "helicopter", "DE-A", 6.1), R("H2", "helicopter", "DE-A", 6.1, speed_kmh=100.0)],
        [I("I1", {"helicopter": 2}, "DE-A", 6.9)],
    )
    minutes = dict(zip(allocate(s).assignments.resource_id, allocate(s).assignments.minutes))
    assert minutes["H1"] == pytest.approx(
        model_minutes(6.1, 6.9, speed=220.0, factor=1.0), abs=1e-6
    )
    assert minutes["H2"] == pytest.approx(
        model_minutes(6.1, 6.9, speed=100.0, factor=1.0), abs=1e-6
    )


def test_only_available_resources_and_active_incidents_take_part():
    s = make(
        [R("R1", "boat", "DE-A", 6.2, status="assigned"), R("R2", "boat", "DE-A", 6.3)],
        [
            I("I1", {"boat": 1}, "DE-A", 6.5, status="closed", severity=5),
            I("I2", {"boat": 1}, "DE-A", 6.6, status="contained", severity=5),
            I("I3", {"boat": 1}, "DE-A", 6.7, severity=1),
        ],
    )
    plan = allocate(s)
    assert list(zip(plan.assignments.resource_id, plan.assignments.incident_id)) == [("R2", "I3")]
    assert plan.summary["units_needed"] == 1


def test_travel_times_replace_the_model_and_unlisted_pairs_are_unreachable():
    s = make(
        [R("R1", "boat", "DE-A", 6.2), R("R2", "boat", "DE-A", 6.9)],
        [I("I1", {"boat": 2}, "NL-B", 7.5)],
        [("DE-A", "NL-B", ["*"], 10)],
        travel_times=[("R1", "I1", 33.0)],
    )
    plan = allocate(s)
    assert list(plan.assignments.resource_id) == ["R1"]
    assert plan.assignments.minutes.iloc[0] == pytest.approx(43.0)  # listed time + border delay
    assert plan.assignments.travel_minutes.iloc[0] == pytest.approx(33.0)
    assert unmet_of(plan, "I1", "boat").reason == "beyond the maximum response time"


def test_a_unit_arriving_exactly_at_the_limit_is_eligible():
    s = make(
        [R("R1", "boat", "DE-A", 6.2)],
        [I("I1", {"boat": 1}, "DE-A", 6.5, max_response_min=30.0)],
        travel_times=[("R1", "I1", 30.0)],
    )
    assert allocate(s).summary["units_assigned"] == 1
    s = make(
        [R("R1", "boat", "DE-A", 6.2)],
        [I("I1", {"boat": 1}, "DE-A", 6.5, max_response_min=29.9)],
        travel_times=[("R1", "I1", 30.0)],
    )
    assert allocate(s).summary["units_assigned"] == 0


def test_the_border_delay_counts_against_the_response_limit():
    m = model_minutes(6.9, 7.1)
    s = make(
        [R("R1", "boat", "DE-A", 6.9)],
        [I("I1", {"boat": 1}, "NL-B", 7.1, max_response_min=m + 5)],
        [("DE", "NL", ["*"], 10)],
    )
    assert unmet_of(allocate(s), "I1", "boat").reason == "beyond the maximum response time"


# --- reserves ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("available", "reserve", "cap"),
    [(10, 0.9, 1), (10, 0.7, 3), (3, 0.5, 1), (1, 0.5, 0), (4, 1.0, 0), (4, 0.0, 4), (7, 0.3, 4)],
)
def test_reserve_cap_is_the_floor_of_the_share_that_may_leave(available, reserve, cap):
    assert cap_units(available, reserve) == cap


def test_reserve_caps_units_sent_abroad_but_not_domestic_use():
    units = [R(f"R{n}", "pump", "DE-A", 6.5) for n in range(3)]
    s = make(
        units,
        [
            I("I1", {"pump": 3}, "NL-B", 7.5, severity=5),
            I("I2", {"pump": 3}, "DE-A", 6.6, severity=1),
        ],
        [("*", "*", ["*"], 0)],
        reserves={"DE-A": 0.5},
    )
    plan = allocate(s)
    sent = plan.assignments.groupby("incident_id")["units"].sum().to_dict()
    assert sent == {"I1": 1, "I2": 2}  # floor(0.5 x 3) = 1 may leave; the rest serves at home
    assert unmet_of(plan, "I1", "pump").reason == "reserve limit"
    s = make(units, [I("I2", {"pump": 3}, "DE-A", 6.6)], reserves={"DE-A": 1.0})
    assert allocate(s).summary["units_assigned"] == 3


def test_reserve_counts_units_of_the_type_the_owner_has_available():
    units = [
        R("R1", "boat", "DE-A", 6.5, quantity=3),
        R("R2", "boat", "DE-A", 6.5, status="assigned", quantity=5),
        R("R3", "pump", "DE-A", 6.5, quantity=9),
    ]
    s = make(
        units, [I("I1", {"boat": 3}, "NL-B", 7.5)], [("*", "*", ["*"], 0)], reserves={"DE-A": 0.6}
    )
    assert allocate(s).summary["units_assigned"] == 1  # floor(0.4 x 3), not of 8 or 12 units


def test_reserve_override_and_agreement_override_replan():
    s = make(
        [R("R1", "boat", "DE-A", 6.5, quantity=4)],
        [I("I1", {"boat": 4}, "NL-B", 7.5)],
        [("*", "*", ["*"], 0)],
        reserves={"DE-A": 0.5},
    )
    assert allocate(s).summary["units_assigned"] == 2
    assert allocate(s, reserves={"DE-A": 0.0}).summary["units_assigned"] == 4
    none = pd.DataFrame(columns=["from", "to", "resource_types", "border_delay_min"])
    plan = allocate(s, agreements=none)
    assert plan.summary["units_assigned"] == 0
    assert unmet_of(plan, "I1", "boat").reason == "no agreement"
    with pytest.raises(ValueError, match="from 0 to 1"):
        allocate(s, reserves={"DE-A": 1.5})
    with pytest.raises(ValueError, match="no jurisdiction"):
        allocate(s, reserves={"XX-9": 0.5})


# --- the objective ------------------------------------------------------------------------


def test_coverage_comes_before_minutes():
    # The near unit serves the severe incident even though sending the far unit there and
    # the near unit to the mild one would be shorter in total: one unit each way.
    s = make(
        [R("R1", "boat", "DE-A", 6.5)],
        [
            I("I1", {"boat": 1}, "DE-A", 6.9, severity=5),
            I("I2", {"boat": 1}, "DE-A", 6.51, severity=4),
        ],
    )
    plan = allocate(s)
    assert list(plan.assignments.incident_id) == ["I1"]
    assert plan.summary["weighted_coverage"] == 5
    assert unmet_of(plan, "I2", "boat").reason == "outcompeted by more severe incidents"


def test_among_plans_with_equal_coverage_the_fewest_unit_minutes_win():
    s = make(
        [
            R("near", "boat", "DE-A", 6.6),
            R("far", "boat", "DE-A", 6.05),
            R("mid", "boat", "DE-A", 6.4),
        ],
        [I("I1", {"boat": 2}, "DE-A", 6.7)],
    )
    plan = allocate(s)
    assert set(plan.assignments.resource_id) == {"near", "mid"}
    assert plan.summary["unit_minutes"] == pytest.approx(
        model_minutes(6.6, 6.7) + model_minutes(6.4, 6.7), abs=1e-5
    )


def test_severity_weighs_units_several_mild_needs_can_beat_one_severe():
    s = make(
        [R("R1", "pump", "DE-A", 6.5, quantity=2)],
        [
            I("I1", {"pump": 1}, "DE-A", 6.6, severity=3),
            I("I2", {"pump": 2}, "DE-A", 6.7, severity=2),
        ],
    )
    # 2 units: I2 twice (4) beats I1 + I2 (5)? No: 3 + 2 = 5 > 4, so I1 gets one.
    plan = allocate(s)
    assert plan.assignments.groupby("incident_id")["units"].sum().to_dict() == {"I1": 1, "I2": 1}
    assert plan.summary["weighted_coverage"] == 5


# --- reasons for unmet needs --------------------------------------------------------------


def test_reason_no_units_of_that_type():
    s = make(
        [R("R1", "boat", "DE-A", 6.5), R("H1", "helicopter", "DE-A", 6.5, status="out_of_service")],
        [I("I1", {"helicopter": 1, "boat": 1}, "DE-A", 6.6)],
    )
    u = unmet_of(allocate(s), "I1", "helicopter")
    assert (u.reason, u.units) == ("no units of that type", 1)


def test_reason_no_agreement():
    s = make(
        [R("R1", "boat", "DE-A", 6.9)],
        [I("I1", {"boat": 2}, "NL-B", 7.1)],
        [("DE", "NL", ["pump"], 0)],
    )
    u = unmet_of(allocate(s), "I1", "boat")
    assert (u.reason, u.units) == ("no agreement", 2)


def test_reason_beyond_the_maximum_response_time():
    s = make(
        [R("R1", "boat", "DE-A", 6.1)],
        [I("I1", {"boat": 1}, "BE-C", 8.9, max_response_min=60)],
        [("*", "*", ["*"], 0)],
    )
    assert unmet_of(allocate(s), "I1", "boat").reason == "beyond the maximum response time"


def test_reason_reserve_limit_when_the_cap_is_zero():
    s = make(
        [R("R1", "boat", "DE-A", 6.9)],
        [I("I1", {"boat": 1}, "NL-B", 7.1)],
        [("*", "*", ["*"], 0)],
        reserves={"DE-A": 0.5},
    )  # floor(0.5 x 1) = 0
    u = unmet_of(allocate(s), "I1", "boat")
    assert u.reason == "reserve limit" and "DE-A" in u.detail


def test_reason_outcompeted_by_more_severe_incidents():
    s = make(
        [R("R1", "boat", "NL-B", 7.5)],
        [
            I("I1", {"boat": 1}, "NL-B", 7.4, severity=2),
            I("I2", {"boat": 1}, "NL-B", 7.6, severity=4),
        ],
    )
    u = unmet_of(allocate(s), "I1", "boat")
    assert u.reason == "outcompeted by more severe incidents" and u.other_reasons == []


def test_several_reasons_reserve_first_and_the_other_kept():
    # A domestic unit is busy with a more severe incident, and a foreign one is held back.
    s = make(
        [R("R1", "boat", "NL-B", 7.5), R("R2", "boat", "DE-A", 6.9)],
        [
            I("I1", {"boat": 1}, "NL-B", 7.4, severity=5),
            I("I2", {"boat": 2}, "NL-B", 7.3, severity=2),
        ],
        [("*", "*", ["*"], 0)],
        reserves={"DE-A": 1.0},
    )
    u = unmet_of(allocate(s), "I2", "boat")
    assert u.reason == "reserve limit"
    assert u.other_reasons == ["outcompeted by more severe incidents"]


def test_every_reason_string_is_the_contracts():
    assert REASONS == (
        "no units of that type",
        "no agreement",
        "beyond the maximum response time",
        "reserve limit",
        "outcompeted by more severe incidents",
    )


# --- excluded features -----------------------------------------------------------------------


def test_incidents_outside_and_resources_without_owner_take_no_part_and_are_listed():
    s = make(
        [R("R1", "boat", None, 3.0), R("R2", "boat", "XX-9", 6.5), R("R3", "boat", "DE-A", 6.5)],
        [
            I("I1", {"boat": 1}, None, 3.0, severity=5),
            I("I2", {"boat": 1}, "DE-A", 6.6, severity=1),
        ],
    )
    plan = allocate(s)
    excluded = {(e.kind, e.id): e.reason for e in plan.excluded.itertuples()}
    assert excluded == {
        ("resource", "R1"): "no owning jurisdiction",
        ("resource", "R2"): "no owning jurisdiction",
        ("incident", "I1"): "outside every jurisdiction",
    }
    assert list(plan.assignments.resource_id) == ["R3"]
    assert plan.summary["units_needed"] == 1 and plan.unmet.empty
    assert plan.to_dict()["excluded"][0]["kind"] in ("resource", "incident")


def test_units_owned_by_no_one_do_not_count_as_units_of_that_type():
    s = make([R("R1", "boat", None, 3.0)], [I("I1", {"boat": 1}, "DE-A", 6.6)])
    assert unmet_of(allocate(s), "I1", "boat").reason == "no units of that type"


# --- the plan's JSON and flows -----------------------------------------------------------------


def _mixed():
    return make(
        [R("R1", "boat", "DE-A", 6.8, quantity=2), R("R2", "pump", "NL-B", 7.4)],
        [
            I("I1", {"boat": 2, "pump": 1, "helicopter": 1}, "NL-B", 7.2, severity=4),
            I("I2", {"boat": 1}, "DE-A", 6.5, severity=1),
        ],
        [("DE", "NL", ["boat"], 12.5)],
    )


def test_plan_json_has_the_contracts_keys_and_plain_values():
    plan = allocate(_mixed())
    d = plan.to_dict()
    assert {"assignments", "unmet", "summary"} <= set(d)
    for a in d["assignments"]:
        assert CONTRACT_ASSIGNMENT_KEYS <= set(a)
        assert isinstance(a["units"], int) and isinstance(a["cross_border"], bool)
    for u in d["unmet"]:
        assert {"incident_id", "type", "units", "reason"} <= set(u) and u["reason"] in REASONS
    assert CONTRACT_SUMMARY_KEYS <= set(d["summary"])
    assert d["summary"]["weighted_coverage"] == 4 * 3 + 0
    assert d["summary"]["units_assigned"] == 3 and d["summary"]["units_needed"] == 5
    text = json.dumps(d)  # strict JSON: no NaN, no numpy types
    assert "NaN" not in text and json.loads(text) == d


def test_unit_minutes_is_the_sum_over_assignments():
    d = allocate(_mixed()).to_dict()
    assert d["summary"]["unit_minutes"] == pytest.approx(
        sum(a["units"] * a["minutes"] for a in d["assignments"]), abs=1e-6
    )


def test_an_empty_scenario_gives_an_empty_plan():
    d = allocate(make([], [])).to_dict()
    assert d["assignments"] == [] and d["unmet"] == []
    assert d["summary"]["weighted_coverage"] == 0 and d["summary"]["unit_minutes"] == 0


def test_flows_are_lines_from_resource_to_incident():
    s = _mixed()
    plan = allocate(s)
    fc = flows_geojson(plan, s)
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == len(plan.assignments)
    boat = next(f for f in fc["features"] if f["properties"]["resource_id"] == "R1")
    assert boat["geometry"] == {"type": "LineString", "coordinates": [[6.8, 50.5], [7.2, 50.5]]}
    assert boat["properties"]["cross_border"] is True and boat["properties"]["units"] == 2
    json.dumps(fc)


def test_all_units_of_the_type_already_there_means_no_units_left():
    s = make([R("R1", "boat", "DE-A", 6.5, quantity=2)], [I("I1", {"boat": 3}, "DE-A", 6.6)])
    u = unmet_of(allocate(s), "I1", "boat")
    assert (u.reason, u.units) == ("no units of that type", 1)


# --- the MILP's search on the stage-2 face -----------------------------------------------------


def test_milp_on_the_stage2_face_returns_a_point_of_that_face():
    from mutualaid.allocation.lp import Component, LPOutcome
    from mutualaid.allocation.milp import solve_milp

    comp = Component(
        res=np.array([0, 1, 1]),
        inc=np.array([0, 0, 1]),
        cap_row=np.array([-1, -1, -1]),
        severity=np.array([2.0, 2.0, 1.0]),
        minutes=np.array([10.0, 10.0, 5.0]),
        quantity=np.array([1, 1]),
        need=np.array([1, 1]),
        cap=np.zeros(0, np.int64),
    )
    face = np.array([True, True, True])
    tight = np.array([False, False, True, True])  # both incidents served
    x, where = solve_milp(comp, LPOutcome(None, 1, 3, face, tight, face, tight))
    assert where == "face2" and list(x) == [1, 0, 1]


# --- the command line ------------------------------------------------------------------------


def _write_folder(folder, *, incidents_extra=()):
    write_scenario(
        folder,
        jurisdictions=[
            feature(square(x, 50), id=j, name=j, country=c, reserve=0.5 if j == "DE-A" else 0)
            for j, (c, x) in JURISDICTIONS.items()
        ],
        incidents=[
            feature(
                {
                    "id": "I1",
                    "hazard": "flood",
                    "severity": 5,
                    "status": "active",
                    "reported_at": "2024-05-01T08:00:00Z",
                    "needs": {"boat": 2, "helicopter": 1, "pump": 1},
                },
                point(7.2, 50.5),
            ),
            feature(
                {
                    "id": "I2",
                    "hazard": "storm",
                    "severity": 2,
                    "reported_at": "2024-05-01T09:00:00Z",
                    "needs": {"boat": 1},
                    "max_response_min": 90,
                },
                point(6.4, 50.5),
            ),
            *incidents_extra,
        ],
        resources=[
            feature({"id": "R1", "type": "boat", "quantity": 2}, point(6.8, 50.5)),
            feature(
                {"id": "R2", "type": "pump", "quantity": 1, "jurisdiction": "NL-B"},
                point(7.9, 50.5),
            ),
        ],
        agreements=agreements_csv("DE,NL,boat;pump,12.5"),
    )


def test_cli_allocate_writes_the_plan_and_its_flows(tmp_path, capsys):
    from mutualaid.cli.main import main

    _write_folder(tmp_path)
    out, flows = tmp_path / "plan.json", tmp_path / "flows.geojson"
    assert main(["allocate", str(tmp_path), "--out", str(out), "--flows", str(flows)]) == 0
    plan = json.loads(out.read_text())
    assert {"assignments", "unmet", "summary"} <= set(plan)
    got = {(a["resource_id"], a["incident_id"]): a["units"] for a in plan["assignments"]}
    # Both boats would rather go to the severe I1, but DE-A may send floor(0.5 x 2) = 1
    # abroad: the reserve binds, so the plan came from the LP path.
    assert got == {("R1", "I1"): 1, ("R2", "I1"): 1, ("R1", "I2"): 1}
    assert plan["summary"]["solver"]["types"]["lp"] == 1
    cross = next(
        a for a in plan["assignments"] if a["resource_id"] == "R1" and a["incident_id"] == "I1"
    )
    assert cross["cross_border"] is True and cross["from_jurisdiction"] == "DE-A"
    assert cross["minutes"] == pytest.approx(model_minutes(6.8, 7.2) + 12.5, abs=1e-5)
    assert {(u["incident_id"], u["type"], u["reason"]) for u in plan["unmet"]} == {
        ("I1", "helicopter", "no units of that type"),
        ("I1", "boat", "reserve limit"),
    }
    assert plan["summary"]["weighted_coverage"] == 5 * 2 + 2 * 1
    assert len(json.loads(flows.read_text())["features"]) == 3


def test_cli_allocate_prints_only_the_plan_on_standard_output(tmp_path):
    # A fresh process: native libraries may print banners straight to file descriptor 1
    # the first time they start, which would corrupt the JSON.
    import subprocess
    import sys

    _write_folder(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "mutualaid.cli.main", "allocate", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["summary"]["units_needed"] == 5 and plan["summary"]["solver"]["types"]["lp"] == 1


def test_cli_allocate_rejects_an_invalid_scenario(tmp_path, capsys):
    from mutualaid.cli.main import main

    _write_folder(
        tmp_path,
        incidents_extra=[
            feature(
                {
                    "id": "I3",
                    "hazard": "flood",
                    "severity": "extreme",
                    "reported_at": "2024-05-01T08:00:00Z",
                },
                point(7.0, 50.5),
            )
        ],
    )
    assert main(["allocate", str(tmp_path)]) == 1
    assert "severity" in capsys.readouterr().err


# --- eligible pairs ---------------------------------------------------------------------------


def test_radius_search_finds_exactly_the_pairs_a_full_scan_finds(monkeypatch):
    from mutualaid.allocation import candidates
    from mutualaid.allocation.prepare import prepare

    rng = np.random.default_rng(3)
    owners = list(JURISDICTIONS)
    resources = [
        R(
            f"R{n}",
            str(rng.choice(["boat", "helicopter"])),
            owners[int(x - 6)],
            float(x),
            float(rng.uniform(50, 51)),
            speed_kmh=float(rng.choice([np.nan, 40.0, 150.0])),
        )
        for n, x in enumerate(rng.uniform(6, 9, 80))
    ]
    incidents = [
        I(
            f"I{n}",
            {"boat": 1, "helicopter": 1},
            owners[int(x - 6)],
            float(x),
            float(rng.uniform(50, 51)),
            max_response_min=float(rng.choice([15.0, 40.0, 90.0, np.nan])),
        )
        for n, x in enumerate(rng.uniform(6, 9, 40))
    ]
    problem = prepare(make(resources, incidents, [("*", "*", ["*"], 7)]))

    def pairs():
        out = {}
        for k in problem.types:
            a = candidates.candidate_arcs(problem, k)
            out.update({(k, r, i): m for r, i, m in zip(a.res, a.inc, a.minutes)})
        return out

    monkeypatch.setattr(candidates, "DENSE_PAIRS", 10**12)
    scanned = pairs()
    monkeypatch.setattr(candidates, "DENSE_PAIRS", 0)
    searched = pairs()
    assert searched.keys() == scanned.keys() and 50 < len(scanned) < 80 * 40
    assert all(searched[key] == pytest.approx(scanned[key]) for key in scanned)

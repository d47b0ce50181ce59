"""Who may see which feature, and who may change which layer (mutualaid.access.sharing)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from mutualaid.access.actor import Actor
from mutualaid.access.sharing import (
    LEVELS,
    change_refusal,
    keep_levels,
    partners,
    role_refusal,
    sharing_refusal,
    view_key,
    viewer_key,
    visible,
    visible_scenario,
)
from mutualaid.layers import load_layer
from mutualaid.layers.validate import SHARING_LEVELS, validate_layer
from mutualaid.scenario.loading import Scenario

JUR = pd.DataFrame(
    {"id": ["DE-NW", "DE-RP", "NL-LI", "BE-WLG"], "country": ["DE", "DE", "NL", "BE"]}
)


def agreements(*rows: tuple[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "from": [r[0] for r in rows],
            "to": [r[1] for r in rows],
            "resource_types": [("*",)] * len(rows),
            "border_delay_min": [10.0] * len(rows),
        }
    )


def coordinator(jurisdiction: str, name: str = "c") -> Actor:
    return Actor(name, "coordinator", jurisdiction)


ADMIN = Actor("root", "admin")


# --- partners --------------------------------------------------------------------------------


def test_partners_in_either_direction():
    rows = agreements(("DE-NW", "NL-LI"))
    assert partners("DE-NW", agreements=rows, jurisdictions=JUR) == {"NL-LI"}
    assert partners("NL-LI", agreements=rows, jurisdictions=JUR) == {"DE-NW"}
    assert partners("BE-WLG", agreements=rows, jurisdictions=JUR) == frozenset()


def test_a_country_row_counts_for_each_of_its_jurisdictions():
    rows = agreements(("DE", "nl"))
    assert partners("NL-LI", agreements=rows, jurisdictions=JUR) == {"DE-NW", "DE-RP"}
    assert partners("DE-RP", agreements=rows, jurisdictions=JUR) == {"NL-LI"}
    # a row inside one country makes its jurisdictions partners, never one of itself
    assert partners("DE-NW", agreements=agreements(("DE", "DE")), jurisdictions=JUR) == {"DE-RP"}


def test_a_star_row_makes_everyone_a_partner():
    rows = agreements(("*", "BE-WLG"))
    assert partners("BE-WLG", agreements=rows, jurisdictions=JUR) == {"DE-NW", "DE-RP", "NL-LI"}
    assert partners("DE-NW", agreements=rows, jurisdictions=JUR) == {"BE-WLG"}


def test_no_agreements_no_partners():
    assert partners("DE-NW", agreements=None, jurisdictions=JUR) == frozenset()
    assert partners("XX-1", agreements=agreements(("*", "*")), jurisdictions=JUR) == frozenset()


# --- visible ------------------------------------------------------------------------------

FRAME = pd.DataFrame(
    {"id": ["a", "b", "c"], "jurisdiction": ["DE-NW", "DE-NW", None], "sharing": [None, None, None]}
)
ROWS = agreements(("DE-NW", "NL-LI"))


def seen(viewer, level: str, frame: pd.DataFrame = FRAME) -> list[str]:
    mask = visible(frame, viewer=viewer, layer_sharing=level, agreements=ROWS, jurisdictions=JUR)
    return frame["id"][mask].tolist()


@pytest.mark.parametrize(
    ("viewer", "public", "partners_", "owner"),
    [
        (coordinator("DE-NW"), ["a", "b", "c"], ["a", "b"], ["a", "b"]),  # the owner
        (coordinator("NL-LI"), ["a", "b", "c"], ["a", "b"], []),  # a partner
        (coordinator("BE-WLG"), ["a", "b", "c"], [], []),  # a stranger
        (ADMIN, ["a", "b", "c"], ["a", "b", "c"], ["a", "b", "c"]),  # an admin
        (None, ["a", "b", "c"], [], []),  # nobody signed in
        (Actor("v", "viewer", "NL-LI"), ["a", "b", "c"], ["a", "b"], []),  # roles don't matter
    ],
)
def test_each_level_for_each_kind_of_viewer(viewer, public, partners_, owner):
    assert seen(viewer, "public") == public
    assert seen(viewer, "partners") == partners_
    assert seen(viewer, "owner") == owner


def test_a_feature_level_wins_over_the_layer_level():
    frame = FRAME.assign(sharing=["owner", "public", None])
    assert seen(coordinator("NL-LI"), "partners", frame) == ["b"]
    assert seen(coordinator("BE-WLG"), "public", frame) == ["b", "c"]
    assert seen(coordinator("DE-NW"), "owner", frame) == ["a", "b"]


def test_an_unknown_level_is_treated_as_owner_only():
    frame = FRAME.assign(sharing=["everybody", None, None])
    assert seen(coordinator("NL-LI"), "public", frame) == ["b", "c"]


def test_country_and_star_rows_make_partners_for_visibility():
    frame = FRAME.iloc[:1]
    for rows in (agreements(("NL", "DE")), agreements(("*", "DE-NW"))):
        mask = visible(
            frame,
            viewer=coordinator("NL-LI"),
            layer_sharing="partners",
            agreements=rows,
            jurisdictions=JUR,
        )
        assert mask.tolist() == [True]
    mask = visible(
        frame,
        viewer=coordinator("NL-LI"),
        layer_sharing="partners",
        agreements=agreements(("BE", "DE")),
        jurisdictions=JUR,
    )
    assert mask.tolist() == [False]


# --- visible_scenario -------------------------------------------------------------------------


def small_scenario() -> Scenario:
    jur = gpd.GeoDataFrame(
        JUR.assign(name=JUR["id"], reserve=0.0),
        geometry=[box(i, 0, i + 1, 1) for i in range(4)],
        crs="EPSG:4326",
    )
    inc = gpd.GeoDataFrame(
        {
            "id": ["I-DE", "I-NL", "I-BE"],
            "jurisdiction": ["DE-NW", "NL-LI", "BE-WLG"],
            "sharing": ["owner", "partners", None],
        },
        geometry=[Point(0.5, 0.5), Point(2.5, 0.5), Point(3.5, 0.5)],
        crs="EPSG:4326",
    )
    res = gpd.GeoDataFrame(
        {"id": ["R-DE", "R-NL"], "jurisdiction": ["DE-NW", "NL-LI"], "sharing": [None, None]},
        geometry=[Point(0.4, 0.4), Point(2.4, 0.4)],
        crs="EPSG:4326",
    )
    times = pd.DataFrame(
        {
            "resource_id": ["R-DE", "R-DE", "R-NL"],
            "incident_id": ["I-DE", "I-NL", "I-BE"],
            "minutes": [5.0, 9.0, 7.0],
        }
    )
    return Scenario(
        jurisdictions=jur,
        incidents=inc,
        resources=res,
        agreements=ROWS,
        travel_times=times,
        name="t",
    )


def test_visible_scenario_hides_features_and_their_travel_times():
    scenario = small_scenario()
    levels = {"incidents": "public", "resources": "owner"}
    nl = visible_scenario(scenario, viewer=coordinator("NL-LI"), layer_levels=levels)
    assert nl.incidents["id"].tolist() == ["I-NL", "I-BE"]
    assert nl.resources["id"].tolist() == ["R-NL"]
    assert nl.travel_times.values.tolist() == [["R-NL", "I-BE", 7.0]]
    # jurisdictions and agreements are everyone's
    assert nl.jurisdictions is scenario.jurisdictions and nl.agreements is scenario.agreements
    de = visible_scenario(scenario, viewer=coordinator("DE-NW"), layer_levels=levels)
    assert de.incidents["id"].tolist() == ["I-DE", "I-NL", "I-BE"]
    assert de.resources["id"].tolist() == ["R-DE"]
    assert de.travel_times["resource_id"].tolist() == ["R-DE", "R-DE"]
    be = visible_scenario(scenario, viewer=coordinator("BE-WLG"), layer_levels=levels)
    assert be.incidents["id"].tolist() == ["I-BE"] and be.resources.empty
    assert be.travel_times.empty
    assert visible_scenario(scenario, viewer=ADMIN, layer_levels=levels) is scenario
    nobody = visible_scenario(scenario, viewer=None, layer_levels={})
    assert nobody.incidents["id"].tolist() == ["I-BE"]
    assert nobody.resources["id"].tolist() == ["R-DE", "R-NL"]  # public by default


def test_viewer_key_names_user_role_and_jurisdiction():
    assert viewer_key(coordinator("NL-LI", "nina")) == "nina|coordinator|NL-LI"
    assert viewer_key(ADMIN) == "root|admin|"
    assert viewer_key(None) == "nobody"
    assert len({viewer_key(Actor("x", r, "DE-NW")) for r in ("viewer", "planner")}) == 2


def test_view_key_names_role_and_jurisdiction_but_not_the_person():
    """Caches of what is built from a view are shared by the people with that view (issue
    16, under load): the sharing rules read the role and jurisdiction only."""
    assert view_key(coordinator("NL-LI", "nina")) == view_key(coordinator("NL-LI", "nils"))
    assert view_key(coordinator("NL-LI")) == "coordinator|NL-LI"
    assert view_key(None) == "nobody"
    keys = {
        view_key(a)
        for a in (
            coordinator("NL-LI"),
            coordinator("DE-NW"),
            Actor("c", "viewer", "NL-LI"),
            Actor("c", "viewer"),
            ADMIN,
            None,
        )
    }
    assert len(keys) == 6


def test_people_with_one_view_key_see_the_same_scenario():
    scenario = small_scenario()
    levels = {"incidents": "partners", "resources": "owner"}
    for jurisdiction in ("DE-NW", "NL-LI", "BE-WLG", None):
        for role in ("viewer", "planner", "coordinator", "admin"):
            first, second = Actor("first", role, jurisdiction), Actor("second", role, jurisdiction)
            assert view_key(first) == view_key(second)
            a = visible_scenario(scenario, viewer=first, layer_levels=levels)
            b = visible_scenario(scenario, viewer=second, layer_levels=levels)
            for kind in ("incidents", "resources", "travel_times"):
                assert getattr(a, kind).equals(getattr(b, kind)), (role, jurisdiction, kind)


# --- rights --------------------------------------------------------------------------------

PIA = Actor("pia", "planner", "DE-NW")


def test_role_refusals():
    assert role_refusal(ADMIN, "agreements") is None
    assert role_refusal(PIA, "incidents") is None
    assert "only an admin changes the agreements" in role_refusal(PIA, "agreements")
    assert "only an admin" in role_refusal(coordinator("DE-NW"), "jurisdictions")
    assert "a viewer sees layers but does not change them" in role_refusal(
        Actor("vic", "viewer", "DE-NW"), "incidents"
    )
    assert "bound to no jurisdiction" in role_refusal(Actor("w", "planner"), "resources")


def test_change_refusal_names_the_first_offending_ids():
    old = {"I-1": (("DE-NW",), "x"), "I-5": (("NL-LI",), "y")}
    new = {**old, "I-7": (("NL-LI",), "z"), "I-9": (("NL-LI",), "z"), "I-2": (("DE-NW",), "z")}
    assert change_refusal(PIA, "incidents", old=old, new=new) == (
        "pia (DE-NW planner) cannot add incidents I-7, I-9 of NL-LI: a planner adds layers "
        "for its own jurisdiction"
    )
    # own features: added, changed and removed freely
    mine = {"I-1": (("DE-NW",), "changed"), "I-2": (("DE-NW",), "z"), "I-5": (("NL-LI",), "y")}
    assert change_refusal(PIA, "incidents", old=old, new=mine) is None
    assert change_refusal(PIA, "incidents", old=old, new={"I-5": old["I-5"]}) is None
    assert change_refusal(ADMIN, "incidents", old=old, new={}) is None


def test_change_refusal_for_changed_removed_and_taken_over_features():
    old = {"I-5": (("NL-LI",), "y"), "I-6": (("NL-LI",), "y")}
    changed = {"I-5": (("NL-LI",), "other"), "I-6": (("NL-LI",), "y")}
    assert "cannot change incidents I-5 of NL-LI" in change_refusal(
        PIA, "incidents", old=old, new=changed
    )
    assert "cannot remove incidents I-5, I-6 of NL-LI" in change_refusal(
        PIA, "incidents", old=old, new={}
    )
    # giving NL-LI's resource to DE-NW is changing NL-LI's resource
    taken = {"I-5": (("DE-NW",), "other"), "I-6": (("NL-LI",), "y")}
    assert "cannot change resources I-5 of NL-LI" in change_refusal(
        PIA, "resources", old=old, new=taken
    )
    many = {f"I-{n}": ((None,), "z") for n in range(8)}
    text = change_refusal(PIA, "incidents", old={}, new=many)
    assert "I-0, I-1, I-2, I-3, I-4 and 3 more of no jurisdiction" in text


def test_travel_time_rows_belong_to_both_ends():
    new = {"R-1→I-1": (("DE-NW", "DE-NW"), "5"), "R-1→I-7": (("DE-NW", "NL-LI"), "9")}
    assert change_refusal(PIA, "travel_times", old={}, new=new) == (
        "pia (DE-NW planner) cannot add travel times R-1→I-7 of NL-LI: a planner adds "
        "layers for its own jurisdiction"
    )


def test_sharing_refusal_only_the_owner_or_an_admin():
    assert sharing_refusal(PIA, "incidents", layer_owner="DE-NW") is None
    assert sharing_refusal(ADMIN, "incidents", layer_owner=None) is None
    assert "stored by NL-LI" in sharing_refusal(PIA, "incidents", layer_owner="NL-LI")
    assert "the shared files" in sharing_refusal(PIA, "incidents", layer_owner=None)
    assert "viewer" in sharing_refusal(
        Actor("v", "viewer", "DE-NW"), "incidents", layer_owner="DE-NW"
    )


def test_keep_levels_writes_the_old_level_on_unmarked_rows_only():
    frame = FRAME.assign(sharing=pd.Series([None, "owner", None], dtype=object))
    out = keep_levels(frame, np.array([True, True, False]), "partners")
    assert out["sharing"].tolist() == ["partners", "owner", None]
    assert frame["sharing"].tolist() == [None, "owner", None]  # not changed in place
    assert keep_levels(frame, np.array([False, True, False]), "public") is frame


# --- the sharing field -------------------------------------------------------------------


def test_levels_are_the_validators_levels():
    assert LEVELS == SHARING_LEVELS


def incidents_with(values: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": [f"I-{n}" for n in range(len(values))],
            "hazard": "flood",
            "severity": 3,
            "reported_at": "2021-07-14T17:30:00Z",
            "sharing": values,
        },
        geometry=[Point(6.5, 50.5)] * len(values),
        crs="EPSG:4326",
    )


def test_sharing_field_is_validated_like_an_enum():
    frame, report = validate_layer(
        incidents_with(["Public", " partners ", None, "OWNER", ""]), kind="incidents"
    )
    assert report.ok
    assert frame["sharing"].tolist() == ["public", "partners", None, "owner", None]
    frame, report = validate_layer(incidents_with(["public", "friends"]), kind="incidents")
    assert frame is None
    (problem,) = report.errors
    assert (problem.feature_id, problem.field) == ("I-1", "sharing")
    assert "sharing must be one of public, partners or owner" in problem.message
    assert "'friends'" in problem.message


def test_sharing_field_of_resources_and_its_aliases():
    data = (
        b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
        b'{"id":"R-1","type":"boat","visibility":"partners"},'
        b'"geometry":{"type":"Point","coordinates":[6.5,50.5]}}]}'
    )
    result = load_layer("r.geojson", kind="resources", data=data, filename="r.geojson")
    assert result.ok and result.frame["sharing"].tolist() == ["partners"]
    plain = data.replace(b',"visibility":"partners"', b"")
    result = load_layer("r.geojson", kind="resources", data=plain, filename="r.geojson")
    assert result.ok and result.frame["sharing"].tolist() == [None]


def test_change_refusal_hides_the_owner_of_hidden_features():
    old = {"I-5": (("NL-LI",), "y")}
    new = {"I-5": (("DE-NW",), "z")}
    assert "cannot change incidents I-5 of another jurisdiction" in change_refusal(
        PIA, "incidents", old=old, new=new, hidden={"I-5"}
    )
    assert "cannot remove incidents I-5 of another jurisdiction" in change_refusal(
        PIA, "incidents", old=old, new={}, hidden={"I-5"}
    )

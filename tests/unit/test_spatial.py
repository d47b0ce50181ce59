"""The spatial join: which jurisdiction each incident and resource is in."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import box

from mutualaid.layers.spatial import assign_jurisdictions, locate


def areas(order=("B", "A")):
    # A = [0,1]x[0,1], B = [1,2]x[0,1]: they share the border x = 1.
    shapes = {"A": box(0, 0, 1, 1), "B": box(1, 0, 2, 1), "C": box(10, 40, 12, 42)}
    return gpd.GeoDataFrame(
        {"id": list(order), "country": ["XA"] * len(order)},
        geometry=[shapes[i] for i in order],
        crs="EPSG:4326",
    )


def points(lonlat, *, jurisdiction=None, kind="incidents"):
    lon, lat = zip(*lonlat) if lonlat else ((), ())
    frame = pd.DataFrame(
        {
            "id": [f"F{i + 1}" for i in range(len(lonlat))],
            "jurisdiction": jurisdiction or [None] * len(lonlat),
            "lon": lon,
            "lat": lat,
        }
    )
    return frame


def test_locate_finds_the_containing_jurisdiction():
    got = locate(np.array([0.5, 1.5, 5.0]), np.array([0.5, 0.5, 5.0]), areas())
    assert got.tolist() == ["A", "B", None]


@pytest.mark.parametrize("order", [("A", "B"), ("B", "A")])
def test_point_on_a_shared_border_goes_to_the_first_id_whatever_the_file_order(order):
    got = locate(np.array([1.0, 1.0]), np.array([0.5, 1.0]), areas(order))
    assert got.tolist() == ["A", "A"]


def test_overlapping_jurisdictions_resolve_to_the_first_id():
    overlapping = gpd.GeoDataFrame(
        {"id": ["Z", "M"]}, geometry=[box(0, 0, 2, 2), box(1, 1, 3, 3)], crs="EPSG:4326"
    )
    assert locate(np.array([1.5]), np.array([1.5]), overlapping).tolist() == ["M"]


def test_nan_coordinates_are_never_inside():
    assert locate(np.array([np.nan]), np.array([0.5]), areas()).tolist() == [None]


def test_no_jurisdictions_means_none_everywhere():
    empty = areas().iloc[:0]
    assert locate(np.array([0.5]), np.array([0.5]), empty).tolist() == [None]


def test_incidents_take_the_containing_jurisdiction_and_outside_is_a_warning():
    out, problems = assign_jurisdictions(
        points([(0.5, 0.5), (1.5, 0.2), (50, 50)]), areas(), kind="incidents"
    )
    assert out["jurisdiction"].tolist() == ["A", "B", None]
    [w] = problems
    assert (w.severity, w.feature, w.feature_id, w.field) == ("warning", 3, "F3", "geometry")
    assert w.message.endswith("outside every jurisdiction: takes no part in the plan")


def test_incidents_ignore_a_jurisdiction_already_in_the_frame():
    out, _ = assign_jurisdictions(
        points([(0.5, 0.5)], jurisdiction=["B"]), areas(), kind="incidents"
    )
    assert out["jurisdiction"].tolist() == ["A"]


def test_resources_keep_a_given_jurisdiction_even_elsewhere_without_problem():
    out, problems = assign_jurisdictions(
        points([(0.5, 0.5), (50, 50), (1.5, 0.5)], jurisdiction=["B", "A", None]),
        areas(),
        kind="resources",
    )
    assert out["jurisdiction"].tolist() == ["B", "A", "B"]
    assert problems == []


def test_resource_without_owner_outside_every_jurisdiction_is_a_warning():
    out, problems = assign_jurisdictions(points([(50, 50)]), areas(), kind="resources")
    assert out["jurisdiction"].tolist() == [None]
    assert len(problems) == 1 and problems[0].severity == "warning"


def test_outside_point_that_would_be_inside_when_swapped_gets_a_hint():
    # C covers lon 10..12, lat 40..42; the point was written as (lat, lon).
    _, problems = assign_jurisdictions(points([(41, 11)]), areas(("A", "B", "C")), kind="incidents")
    assert "with latitude and longitude swapped it would be in C" in problems[0].message


def test_points_without_location_get_no_warning():
    out, problems = assign_jurisdictions(points([(np.nan, np.nan)]), areas(), kind="incidents")
    assert out["jurisdiction"].tolist() == [None] and problems == []


def test_other_kinds_are_refused():
    with pytest.raises(ValueError):
        assign_jurisdictions(points([(0.5, 0.5)]), areas(), kind="agreements")


def test_the_input_frame_is_not_changed():
    frame = points([(0.5, 0.5)])
    assign_jurisdictions(frame, areas(), kind="incidents")
    assert frame["jurisdiction"].tolist() == [None]


def test_many_points_in_one_join():
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(-0.5, 2.5, 20_000), rng.uniform(-0.5, 1.5, 20_000)
    got = locate(lon, lat, areas())
    inside_a = (lon > 0) & (lon < 1) & (lat > 0) & (lat < 1)
    inside_b = (lon > 1) & (lon < 2) & (lat > 0) & (lat < 1)
    assert (got[inside_a] == "A").all() and (got[inside_b] == "B").all()
    assert all(v is None for v in got[~inside_a & ~inside_b])

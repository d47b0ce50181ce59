"""Names on the maps (towns from the shipped city data, jurisdictions), the search box,
the folding layer list and legend, and the zoom to a filtered jurisdiction (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from builders import BREAKOUT, IMG, SCRIPT
from mutualaid.allocation import allocate, flows_geojson
from mutualaid.display import html_text
from mutualaid.figures.overview import Filters, apply_filters
from mutualaid.maps import overview_map
from mutualaid.maps.elements import CollapseWhenNarrow, Legend
from mutualaid.maps.names import (
    MAX_RANK,
    NAMES_LAYER,
    PLACE_RANK_SIZES,
    NameLabels,
    NameSearch,
    label_css,
    names_args,
    ranks,
)
from mutualaid.maps.plan import plan_map
from mutualaid.scenario.loading import load_scenario
from mutualaid.scenario.places import places_within, shipped_places
from mutualaid.settings import MAP_WIDE_PX, REFERENCE_DATA_DIR

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rhine():
    return load_scenario(ROOT / "data" / "rhine-flood-2021").scenario


def _map(scenario, **kwargs):
    return overview_map(
        jurisdictions=scenario.jurisdictions,
        incidents=scenario.incidents,
        resources=scenario.resources,
        **kwargs,
    )


def _find(m, kind):
    out = []

    def walk(element):
        if isinstance(element, kind):
            out.append(element)
        for child in element._children.values():
            walk(child)

    walk(m)
    return out


# --- the towns ----------------------------------------------------------------------------


def test_shipped_towns_are_read_from_the_reference_files_most_populous_first():
    places = shipped_places(REFERENCE_DATA_DIR)
    assert len(places) == 1771 + 128  # data/reference/SOURCES.md
    assert places["population"].is_monotonic_decreasing
    assert places.crs.to_epsg() == 4326


def test_towns_inside_the_scenario_only_at_most_the_limit(rhine, tmp_path):
    inside = places_within(rhine.jurisdictions, limit=50)
    assert len(inside) == 50
    assert {"Köln", "Düsseldorf", "Brussels"} <= set(inside["name"])
    assert "Maiduguri" not in set(places_within(rhine.jurisdictions)["name"])  # Lake Chad's
    far = gpd.GeoDataFrame({"id": ["X"]}, geometry=[box(100, 10, 101, 11)], crs="EPSG:4326")
    assert places_within(far).empty
    assert places_within(rhine.jurisdictions, folder=tmp_path).empty  # no files: no towns


def test_ranks_grow_by_the_sizes_given():
    assert ranks(5, (2, 1)) == [1, 1, 2, 3, 3]
    assert ranks(0, (2,)) == []
    assert ranks(3, ()) == [1, 1, 1]


# --- labels -------------------------------------------------------------------------------


def test_the_rhine_map_labels_its_biggest_towns_first_and_every_jurisdiction(rhine):
    m = _map(rhine)
    labels = names_args(m)["labels"]
    towns = [label for label in labels if label[3] == "place"]
    regions = [label for label in labels if label[3] == "region"]
    assert len(regions) == len(rhine.jurisdictions)
    first = [label[2] for label in towns if label[4] == 1]
    assert len(first) == PLACE_RANK_SIZES[0] and first[:3] == ["Hamburg", "Munich", "Köln"]
    assert max(label[4] for label in labels) == MAX_RANK
    # Inside the jurisdiction it names.
    nrw = next(label for label in regions if label[2] == "Nordrhein-Westfalen")
    outline = rhine.jurisdictions.set_index("name").loc["Nordrhein-Westfalen"].geometry
    assert outline.contains(gpd.points_from_xy([nrw[1]], [nrw[0]])[0])
    # One layer the layer list names, holding the labels.
    [labels_element] = _find(m, NameLabels)
    assert labels_element._parent.layer_name == NAMES_LAYER


def test_each_zoom_level_shows_one_more_rank():
    css = label_css()
    assert ".mutualaid-label { display: none;" in css
    for level in range(1, MAX_RANK + 1):
        for rank in range(1, MAX_RANK + 1):
            selector = f".mutualaid-labels-{level} .mutualaid-rank-{rank}"
            assert (selector in css) == (rank <= level), selector


def test_label_text_is_escaped_and_search_text_never_becomes_markup():
    hostile = gpd.GeoDataFrame(
        {"id": [SCRIPT], "name": [IMG], "country": ["DE"], "reserve": [0.0]},
        geometry=[box(6.0, 50.0, 7.0, 51.0)],
        crs="EPSG:4326",
    )
    none = gpd.GeoDataFrame({"id": [], "geometry": []}, geometry="geometry", crs="EPSG:4326")
    m = overview_map(jurisdictions=hostile, incidents=none, resources=none)
    args = names_args(m)
    [label] = [label for label in args["labels"] if label[3] == "region"]
    assert label[2] == html_text(IMG)
    [entry] = [e for e in args["entries"] if e[1] == "jurisdiction"]
    assert entry[0] == html_text(f"{IMG} ({SCRIPT})")
    rendered = m.get_root().render()
    for raw in (IMG, SCRIPT, BREAKOUT, "<script>window.top"):
        assert raw not in rendered
    search = _find(m, NameSearch)[0]
    script = search._template.module.script(search, {})
    # Decoded by a textarea (no elements), then set as properties only.
    assert script.count("innerHTML") == 1 and "decoder.innerHTML = escaped" in script
    assert 'createElement("textarea")' in script and "option.value = e[0]" in script


def test_towns_are_labelled_on_the_plan_map_too(rhine):
    plan = allocate(rhine)
    m = plan_map(
        jurisdictions=rhine.jurisdictions,
        incidents=rhine.incidents,
        resources=rhine.resources,
        plan=plan,
        flows=flows_geojson(plan, rhine),
    )
    assert len(_find(m, NameLabels)) == len(_find(m, NameSearch)) == 1
    assert "Köln" in {label[2] for label in names_args(m)["labels"]}
    assert len(_find(m, CollapseWhenNarrow)) == 1


def test_search_finds_jurisdictions_by_name_and_id_and_towns(rhine):
    entries = names_args(_map(rhine))["entries"]
    by_text = {e[0]: e for e in entries}
    nrw = by_text["Nordrhein-Westfalen (DE-NW)"]
    south, west, north, east = nrw[2]
    assert south < 51.0 < north and west < 7.0 < east
    assert by_text["Bonn"][1] == "town" and len(by_text["Bonn"][2]) == 2


# --- the layer list and the legend fold on a small map --------------------------------------


def test_legend_and_layer_list_fold_below_the_wide_width(rhine):
    m = _map(rhine)
    [legend] = _find(m, Legend)
    script = legend._template.module.script(legend, {})
    assert 'L.DomUtil.create("details", "mutualaid-legend")' in script
    assert f"div.open = map.getSize().x >= {MAP_WIDE_PX}" in script
    [collapse] = _find(m, CollapseWhenNarrow)
    script = collapse._template.module.script(collapse, {})
    assert f"map.getSize().x < {MAP_WIDE_PX}" in script
    assert "control.options.collapsed = true" in script
    assert collapse.control.get_name() in script


def test_a_scale_bar(rhine):
    assert _map(rhine).control_scale is True


# --- zoom to the filtered area --------------------------------------------------------------


def _fitted(m):
    rendered = m.get_root().render()
    start = rendered.index(".fitBounds(") + len(".fitBounds(")
    return json.loads(rendered[start : rendered.index("]]", start) + 2])


def test_a_map_focused_on_jurisdictions_opens_framed_on_them(rhine):
    whole = _fitted(_map(rhine))
    shown = apply_filters(rhine, Filters(jurisdictions=("DE-RP",)))
    assert len(shown.incidents) and len(shown.jurisdictions) == len(rhine.jurisdictions)
    focus = rhine.jurisdictions[rhine.jurisdictions["id"] == "DE-RP"]
    (south, west), (north, east) = _fitted(_map(shown, focus=focus))
    f_west, f_south, f_east, f_north = focus.total_bounds
    assert (south, west) == pytest.approx((f_south, f_west), abs=0.01)
    assert (north, east) == pytest.approx((f_north, f_east), abs=0.01)
    assert north - south < (whole[1][0] - whole[0][0]) / 2
    assert _fitted(_map(shown, focus=focus.iloc[0:0])) == whole  # empty: everything

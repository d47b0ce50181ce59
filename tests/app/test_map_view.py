"""A map drawn from its cached rendering sends the browser what ``st_folium`` sends.

The pages render each cached map once (:func:`mutualaid.ui.map_view.render_map`) and hand
the result to ``st_folium``'s component on every rerun, instead of rendering the map
again per rerun and per session (issue 16, under load). These tests draw the same map
both ways in Streamlit's AppTest and compare the component's element field by field.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from mutualaid.settings import MAP_MAX_HEIGHT_PX, MAP_MIN_HEIGHT_PX, MAP_VIEWPORT_HEIGHT_VH
from mutualaid.ui.map_view import FILL_FRAME_CSS, screen_height_css
from mutualaid.ui.pages import allocation_page, overview_page

ROOT = Path(__file__).resolve().parents[2]
RHINE = ROOT / "data" / "rhine-flood-2021"


def _draw(which: str, kind: str, returned: tuple[str, ...]) -> dict:
    def script(which: str, kind: str, returned: tuple[str, ...], folder: str) -> None:
        from pathlib import Path

        from streamlit_folium import st_folium

        from mutualaid.allocation import allocate, flows_geojson
        from mutualaid.maps import overview_map
        from mutualaid.maps.plan import plan_map
        from mutualaid.scenario.loading import load_scenario
        from mutualaid.ui.map_view import render_map, show_rendered

        s = load_scenario(Path(folder)).scenario
        if kind == "overview":
            m = overview_map(
                jurisdictions=s.jurisdictions, incidents=s.incidents, resources=s.resources
            )
        else:
            plan = allocate(s)
            m = plan_map(
                jurisdictions=s.jurisdictions,
                incidents=s.incidents,
                resources=s.resources,
                plan=plan.to_dict(),
                flows=flows_geojson(plan, s),
            )
        if which == "st_folium":
            st_folium(
                m,
                key="the-map",
                height=500,
                use_container_width=True,
                returned_objects=list(returned),
            )
        else:
            rendered = render_map(m)
            show_rendered(rendered, key="the-map", height=500, returned_objects=returned)

    at = AppTest.from_function(
        script, args=(which, kind, returned, str(RHINE)), default_timeout=300
    )
    at.run()
    assert not at.exception
    [component] = at.get("component_instance")
    proto = component.proto
    return {
        "name": proto.component_name,
        "id": proto.id,
        "form_id": proto.form_id,
        "json_args": proto.json_args,
        "special_args": [a.SerializeToString() for a in proto.special_args],
    }


@pytest.mark.parametrize(
    ("kind", "returned"),
    [
        ("overview", ("last_object_clicked", "last_object_clicked_tooltip")),
        ("plan", ()),
    ],
)
def test_a_cached_rendering_draws_exactly_what_st_folium_draws(kind, returned):
    direct = _draw("st_folium", kind, returned)
    cached = _draw("rendered", kind, returned)
    assert direct["name"] == "streamlit_folium.st_folium"
    assert cached == direct


def test_rendering_leaves_the_cached_map_as_it_was():
    from mutualaid.maps import overview_map
    from mutualaid.scenario.loading import load_scenario
    from mutualaid.ui.map_view import render_map

    s = load_scenario(RHINE).scenario
    m = overview_map(jurisdictions=s.jurisdictions, incidents=s.incidents, resources=s.resources)
    first = render_map(m)
    assert render_map(m) == first  # the same script, ids and links from the same map


def test_a_map_that_cannot_be_built_is_logged_with_its_traceback(caplog):
    # A map needing a file that is not installed for offline use (a branca colour map
    # loads d3 from a CDN) fails to build for real: the page says so in words, and the
    # log keeps the traceback for whoever runs the server (issue 11).
    def script() -> None:
        import branca.colormap
        import folium

        from mutualaid.maps import use_local_assets
        from mutualaid.ui.map_view import show_map_or_error

        def build() -> folium.Map:
            m = folium.Map(location=[50.5, 6.5], zoom_start=8, tiles=None)
            branca.colormap.LinearColormap(["white", "red"], vmin=1, vmax=5).add_to(m)
            return use_local_assets(m)

        show_map_or_error(build, key="broken-map")

    import logging

    with caplog.at_level(logging.ERROR, logger="mutualaid.ui.map_view"):
        at = AppTest.from_function(script, default_timeout=120).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["The map of this scenario could not be drawn."]
    assert "MapAssetError: branca colour maps" in at.text[0].value
    [logged] = [r for r in caplog.records if r.name == "mutualaid.ui.map_view"]
    assert logged.levelno == logging.ERROR and "broken-map" in logged.getMessage()
    assert logged.exc_info and type(logged.exc_info[1]).__name__ == "MapAssetError"
    assert "Traceback (most recent call last)" in caplog.text
    assert "use_local_assets" in caplog.text  # the frame that raised is in the traceback


def test_the_overview_and_allocation_maps_take_a_share_of_the_window_height():
    for key in (overview_page.MAP_CONTAINER, allocation_page.MAP_CONTAINER):
        css = screen_height_css(key)
        assert css == (
            f"<style>.st-key-{key} iframe {{ height: clamp({MAP_MIN_HEIGHT_PX}px,"
            f" {MAP_VIEWPORT_HEIGHT_VH}vh, {MAP_MAX_HEIGHT_PX}px) !important; }}</style>"
        )
    with pytest.raises(ValueError):
        screen_height_css("x} body { display: none")


def test_only_a_frame_sized_by_the_page_has_the_map_fill_it():
    assert "100vh" in FILL_FRAME_CSS
    source = (ROOT / "src" / "mutualaid" / "maps" / "elements.py").read_text()
    assert "#map_div" not in source  # the briefing's frame keeps streamlit-folium's pixels

"""Many resources on the overview map: clustered while zoomed out, points when zoomed in.

The scenario is the Rhine sample with each resource copied seven times (a few metres
apart, new ids): about 2,000 resources, above the clustering threshold. Everything
loads from the app's own ``/app/static/vendor/``, in a page that cannot reach the
internet.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from browsing import visit
from playwright_api import Frame, Page

from mutualaid.maps import palette

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
RHINE = ROOT / "data" / "rhine-flood-2021"
MAP_IFRAME = "iframe[src*='streamlit_folium.st_folium']"
COPIES = 7

# A resource's properties, as opposed to an incident's or a plan flow's.
IS_RESOURCE = """(l) => !!(l.feature && l.feature.properties && 'type' in l.feature.properties
                   && !('hazard' in l.feature.properties) && !('route' in l.feature.properties))"""
# Individual resources Leaflet has put on the map (not those inside a cluster).
SHOWN_RESOURCES = f"""() => {{
    let n = 0;
    window.map.eachLayer(l => {{ if (({IS_RESOURCE})(l)) n++; }});
    return n;
}}"""


def write_big_scenario(folder: Path) -> int:
    """The Rhine sample with its resources copied; returns how many resources."""
    shutil.copytree(RHINE, folder)
    source = json.loads((RHINE / "resources.geojson").read_text(encoding="utf-8"))
    features = []
    for copy in range(COPIES):
        for feature in source["features"]:
            props = dict(feature["properties"], id=f"{feature['properties']['id']}-{copy}")
            lon, lat = feature["geometry"]["coordinates"]
            features.append(
                {
                    "type": "Feature",
                    "properties": props,
                    "geometry": {"type": "Point", "coordinates": [lon + 0.0002 * copy, lat]},
                }
            )
    (folder / "resources.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    return len(features)


def wait_for_map(page: Page) -> Frame:
    iframe = page.wait_for_selector(MAP_IFRAME)
    iframe.scroll_into_view_if_needed()
    frame = iframe.content_frame()
    assert frame is not None
    frame.wait_for_function("() => window.map && window.map._loaded")
    return frame


def test_many_resources_are_clustered_and_zooming_in_shows_points(
    start_app, offline_page, tmp_path
):
    count = write_big_scenario(tmp_path / "scenarios" / "big-rhine")
    assert count > palette.CLUSTER_MIN_POINTS
    url = start_app(scenario_dirs=[tmp_path / "scenarios"])
    page = offline_page.page
    visit(page, url)
    frame = wait_for_map(page)

    frame.wait_for_selector(".marker-cluster", state="visible")
    assert frame.evaluate("() => window.map.getZoom()") < palette.CLUSTER_UNTIL_ZOOM
    # The cluster group holds every resource; few or none are drawn on their own.
    held = frame.evaluate("""() => {
        let total = 0;
        window.map.eachLayer(l => { if (l._topClusterLevel) total += l.getLayers().length; });
        return total;
    }""")
    assert held == count
    assert frame.evaluate(SHOWN_RESOURCES) < count / 2
    scripts = frame.evaluate("() => Array.from(document.scripts, s => s.src).filter(Boolean)")
    assert f"{url}/app/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in scripts
    styles = frame.evaluate(
        "() => Array.from(document.querySelectorAll('link[rel=stylesheet]'), l => l.href)"
    )
    assert f"{url}/app/static/vendor/leaflet.markercluster/MarkerCluster.css" in styles
    assert f"{url}/app/static/vendor/leaflet.markercluster/MarkerCluster.Default.css" in styles

    # Hovering a cluster raises nothing (it has no feature, so no tooltip).
    frame.locator(".marker-cluster").first.hover()
    page.wait_for_timeout(300)
    assert not offline_page.errors

    # Zoomed in on the first resource, clustering is off: points only.
    first = json.loads((RHINE / "resources.geojson").read_text(encoding="utf-8"))["features"][0]
    lon, lat = first["geometry"]["coordinates"]
    frame.evaluate(
        f"() => {{ window.map.setView([{lat}, {lon}], {palette.CLUSTER_UNTIL_ZOOM},"
        f" {{animate: false}}); }}"
    )
    frame.wait_for_function("() => !document.querySelector('.marker-cluster')")
    frame.wait_for_function(f"() => ({SHOWN_RESOURCES})() > 0")
    shown = frame.evaluate(SHOWN_RESOURCES)
    assert 0 < shown < count  # only those in view are drawn

    # Zoomed out again, the clusters come back.
    frame.evaluate("() => { window.map.setZoom(6, {animate: false}); }")
    frame.wait_for_selector(".marker-cluster", state="visible")
    assert not offline_page.blocked
    assert not offline_page.errors

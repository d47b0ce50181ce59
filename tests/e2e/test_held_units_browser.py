"""Issue 12 in a real browser: after an offer is accepted, the Allocation page's map draws
its units en route (teal, dashed) from the resource to the incident, apart from the
plan's proposed flows, with a tooltip naming the offer; the plan proposes none of them.
Once they arrive, a ring at the incident shows their count.

The app stores the scenario on first use; the request, the offer, its commit and its
accept are made with the workflow's own functions in the app's store.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browsing import hover_tooltip, visit
from playwright_api import Frame, Page, expect

import builders
from builders import BOATS_AND_A_PUMP, incident, limburg_offer
from mutualaid.access.actor import Actor
from mutualaid.maps import palette
from mutualaid.settings import LIVE_REFRESH_ENV, STATE_DIR_ENV, STORE_FILE_NAME
from mutualaid.store import open_store, workflow

pytestmark = pytest.mark.e2e

MAP_IFRAME = "iframe[src*='streamlit_folium.st_folium']"
DIETER = Actor("dieter", "coordinator", "DE-NW")
NORA = Actor("nora", "coordinator", "NL-LI")

# The held features Leaflet drew (their key "stage"; the flows' is "route"), each line
# with a spot on it the mouse can reach: away from every point and the map's controls.
DRAWN_HELD = """() => {
    const map = window.map, out = [];
    const box = map.getContainer().getBoundingClientRect();
    const points = [];
    map.eachLayer(l => { if (l.getLatLng && l.feature) {
        const p = map.latLngToContainerPoint(l.getLatLng());
        points.push([p.x, p.y, (l.options.radius || 10) + 8]); } });
    const controls = Array.from(document.querySelectorAll('.leaflet-control'), c => {
        const r = c.getBoundingClientRect();
        return [r.left - 10, r.top - 10, r.right + 10, r.bottom + 10]; });
    map.eachLayer(layer => {
        if (!layer.feature || !('stage' in layer.feature.properties)) return;
        const props = layer.feature.properties;
        let spot = null;
        if (layer.getLatLngs) {
            const [a, b] = layer.getLatLngs().map(ll => map.latLngToContainerPoint(ll));
            for (let t = 0.1; t < 0.95 && !spot; t += 0.05) {
                const x = a.x + t * (b.x - a.x), y = a.y + t * (b.y - a.y);
                const px = box.x + x, py = box.y + y;
                if (x < 5 || y < 5 || x > box.width - 5 || y > box.height - 5) continue;
                if (points.some(([qx, qy, r]) => Math.hypot(qx - x, qy - y) < r)) continue;
                if (controls.some(([l0, t0, r0, b0]) => l0 <= px && px <= r0 && t0 <= py && py <= b0))
                    continue;
                spot = {x: px, y: py};
            }
        }
        out.push({stage: props.stage, resource: props.resource, offer: props.offer,
                  color: layer.options.color, dash: layer.options.dashArray || null,
                  spot: spot});
    });
    return out;
}"""
DRAWN_FLOW_RESOURCES = """() => {
    const out = [];
    window.map.eachLayer(l => {
        if (l.feature && 'route' in l.feature.properties) out.push(l.feature.properties.resource);
    });
    return out;
}"""


def map_frame_with(page: Page, stage: str | None) -> Frame:
    """The map's frame once it has drawn a proposed flow and, with *stage*, a held
    feature at that stage (after a change the old map lingers for a moment)."""
    page.wait_for_function(
        """([selector, stage]) => {
        const iframe = document.querySelector(selector);
        const win = iframe && iframe.contentWindow;
        const map = win && win.map;
        if (!map || !map._loaded) return false;
        let flows = 0, held = false;
        map.eachLayer(l => {
            if (!l.feature) return;
            if ('route' in l.feature.properties) flows++;
            if (l.feature.properties.stage === stage) held = true;
        });
        return flows > 0 && (stage === null || held);
    }""",
        arg=[MAP_IFRAME, stage],
    )
    frame = page.locator(MAP_IFRAME).element_handle().content_frame()
    assert frame is not None
    return frame


def away_and_back(page: Page) -> None:
    """To the Overview and back to Allocation (the same session, a new run)."""
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("link", name="Overview").click()
    expect(page.get_by_role("heading", name="Allocation")).to_have_count(0)
    sidebar.get_by_role("link", name="Allocation").click()


def test_an_accepted_offer_is_drawn_en_route_then_on_scene_apart_from_the_plan(
    start_app, own_store, offline_page, tmp_path
):
    # The store is changed behind the page's back and the page is then visited again
    # (away and back); a live redraw in between would replace the map's frame while it
    # is read (tests/e2e/test_live_pages.py tests the live redraw itself).
    env = {**own_store(), LIVE_REFRESH_ENV: "3600"}
    folder = builders.write_scenario(
        tmp_path / "scenarios" / "erft",
        incidents=[incident(6.5, 50.5, "I-1", severity=5, needs={"boat": 5})],
        resources=BOATS_AND_A_PUMP,
    )
    url = start_app(scenario_dirs=[folder.parent], env=env)
    page = offline_page.page
    visit(page, url)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("link", name="Allocation").click()  # it stores "erft" on first use
    frame = map_frame_with(page, None)
    assert frame.evaluate(DRAWN_HELD) == []

    store_url = f"sqlite:///{Path(env[STATE_DIR_ENV]) / STORE_FILE_NAME}"
    store = open_store(store_url)
    try:
        offer_id = limburg_offer(store, "erft")
        workflow.commit_offer(store, offer_id, actor=NORA)
        workflow.accept_offer(store, offer_id, actor=DIETER)
    finally:
        store.dispose()

    # Away and back: the page reads the held units on every run.
    away_and_back(page)
    frame = map_frame_with(page, palette.HELD_LABELS["en_route"])
    [held] = frame.evaluate(DRAWN_HELD)
    assert (held["resource"], held["offer"]) == ("R-2", f"#{offer_id}")
    assert held["color"] == palette.HELD_COLORS["en_route"]
    assert held["dash"] == palette.HELD_DASH["en_route"]
    resources = frame.evaluate(DRAWN_FLOW_RESOURCES)
    assert resources and "R-2" not in resources  # the plan proposes only what is free

    page.locator(MAP_IFRAME).scroll_into_view_if_needed()
    box = page.locator(MAP_IFRAME).bounding_box()
    spot = held["spot"]
    assert spot is not None, "no spot on the held line the mouse can reach on its own"
    text = hover_tooltip(page, frame, box["x"] + spot["x"], box["y"] + spot["y"], showing="Offer")
    assert "en route (accepted)" in text and f"#{offer_id}" in text and "NL-LI" in text
    assert " UTC" in text  # the estimated arrival: commit time + the trip's minutes

    # Arrived: a dark green ring at the incident with the units' count beside it.
    store = open_store(store_url)
    try:
        workflow.arrive_offer(store, offer_id, actor=DIETER)
        [line] = workflow.held_lines(store, "erft").lines
    finally:
        store.dispose()
    away_and_back(page)
    frame = map_frame_with(page, palette.HELD_LABELS["on_scene"])
    [ring] = frame.evaluate(DRAWN_HELD)
    assert ring["color"] == palette.HELD_COLORS["on_scene"] and ring["spot"] is None
    expect(frame.locator(".mutualaid-held-count")).to_have_text(str(line.units))
    page.locator(MAP_IFRAME).scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "held.png"), full_page=True)
    assert not offline_page.errors

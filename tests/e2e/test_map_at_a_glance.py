"""The Overview map read at a glance (issue 13) in a real browser, offline: it takes
the room the screen gives, names towns and jurisdictions by zoom, finds a name, has a
scale bar, folds its layer list and legend on a laptop, and zooms to a jurisdiction
the page is filtered to."""

from __future__ import annotations

from pathlib import Path

import pytest
from browsing import visit
from playwright_api import Frame, Page, expect
from test_overview_map import MAP_IFRAME, choose_scenario, wait_for_map

from mutualaid.scenario.loading import load_scenario
from mutualaid.settings import MAP_WIDE_PX

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
RHINE = ROOT / "data" / "rhine-flood-2021"
LAPTOP = {"width": 1366, "height": 768}
WALL = {"width": 1920, "height": 1080}
SCREENSHOT = ROOT / "docs" / "screenshots" / "overview_laptop.png"


def map_box(page: Page) -> dict:
    return page.locator(MAP_IFRAME).bounding_box()


def visible_labels(frame: Frame, kind: str) -> list[str]:
    return frame.evaluate(
        """(kind) => Array.from(document.querySelectorAll('.mutualaid-label-' + kind))
            .filter(e => getComputedStyle(e).display !== 'none').map(e => e.textContent)""",
        kind,
    )


def zoom(frame: Frame) -> float:
    return frame.evaluate("() => window.map.getZoom()")


def open_rhine(page: Page, url: str, viewport: dict) -> Frame:
    page.set_viewport_size(viewport)
    visit(page, url)
    shown = load_scenario(RHINE).scenario
    first = wait_for_map(page)
    if first.evaluate(
        "() => { let n = 0; window.map.eachLayer(l => { if (l.feature && "
        "'reserve' in l.feature.properties) n++; }); return n; }"
    ) != len(shown.jurisdictions):
        choose_scenario(page, RHINE.name)
    return wait_for_map(page, jurisdictions=len(shown.jurisdictions))


def test_the_map_fills_a_laptop_screen_with_names_by_zoom_and_a_search(start_app, offline_page):
    url = start_app()
    page = offline_page.page
    frame = open_rhine(page, url, LAPTOP)

    # The room the screen gives: at least 60 % of the window's height, all of it on
    # the screen once the map is scrolled to.
    box = map_box(page)
    assert box["height"] >= 0.6 * LAPTOP["height"], box
    assert box["height"] <= LAPTOP["height"], box
    inner = frame.evaluate("() => window.map.getContainer().getBoundingClientRect().height")
    assert abs(inner - box["height"]) <= 2  # the Leaflet map fills its frame
    page.locator(MAP_IFRAME).scroll_into_view_if_needed()
    box = map_box(page)
    on_screen = min(box["y"] + box["height"], LAPTOP["height"]) - max(box["y"], 0)
    assert on_screen >= 0.6 * LAPTOP["height"], box
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))

    # Layer list and legend folded on a laptop, both open on a click or hover.
    assert frame.evaluate("() => window.map.getSize().x") < MAP_WIDE_PX
    layers = frame.locator(".leaflet-control-layers")
    expect(layers).not_to_have_class("leaflet-control-layers leaflet-control-layers-expanded")
    assert not frame.locator(".leaflet-control-layers-list").is_visible()
    legend = frame.locator("details.mutualaid-legend")
    assert legend.evaluate("d => d.open") is False
    legend.locator("summary").click()
    assert legend.evaluate("d => d.open") is True
    expect(legend).to_contain_text("Incident severity")
    layers.hover()
    expect(frame.get_by_role("checkbox", name="Place names")).to_be_visible()

    # A scale bar.
    expect(frame.locator(".leaflet-control-scale-line").first).to_be_visible()

    # Names by zoom: a few big towns and the largest jurisdictions at first, more
    # with each zoom level in.
    start = zoom(frame)
    towns, regions = visible_labels(frame, "place"), visible_labels(frame, "region")
    assert 1 <= len(towns) <= 6 and "Hamburg" in towns
    assert 1 <= len(regions) <= 8
    frame.evaluate("() => { window.map.setZoom(window.map.getZoom() + 2, {animate: false}); }")
    frame.wait_for_function(f"() => window.map.getZoom() === {start + 2}")
    more = visible_labels(frame, "place")
    assert len(more) > len(towns) and set(towns) <= set(more)
    assert (
        frame.evaluate(
            "() => document.querySelector('.mutualaid-label').closest('.leaflet-pane')"
            ".style.pointerEvents"
        )
        == "none"
    )  # labels never take a click meant for a point

    # The search: a town zooms in on it, a jurisdiction frames its outline.
    search = frame.get_by_placeholder("Find a place or jurisdiction")
    search.fill("Bonn")
    search.press("Enter")
    frame.wait_for_function(
        """() => { const c = window.map.getCenter();
                   return Math.abs(c.lat - 50.73) < 0.05 && Math.abs(c.lng - 7.10) < 0.05; }"""
    )
    assert zoom(frame) >= start + 3
    search.fill("Luxembourg (LU")
    search.press("Enter")
    frame.wait_for_function(
        """() => { const b = window.map.getBounds();
                   return b.contains([49.6, 6.1]) && b.getNorth() - b.getSouth() < 3; }"""
    )
    assert not offline_page.blocked
    assert not offline_page.errors


def test_on_a_wall_screen_the_map_is_tall_and_its_lists_open(start_app, offline_page):
    url = start_app()
    page = offline_page.page
    frame = open_rhine(page, url, WALL)
    box = map_box(page)
    assert 0.6 * WALL["height"] <= box["height"] <= WALL["height"], box
    assert frame.evaluate("() => window.map.getSize().x") >= MAP_WIDE_PX
    assert frame.locator("details.mutualaid-legend").evaluate("d => d.open") is True
    expect(frame.locator(".leaflet-control-layers-list")).to_be_visible()
    assert not offline_page.errors


def test_filtering_to_a_jurisdiction_zooms_to_it(start_app, offline_page):
    url = start_app()
    page = offline_page.page
    frame = open_rhine(page, url, WALL)
    before = frame.evaluate("() => window.map.getBounds().toBBoxString()")
    page.get_by_test_id("stMain").evaluate("main => main.scrollTo(0, 0)")
    chooser = page.get_by_role("combobox", name="Jurisdiction")
    chooser.click()
    chooser.press_sequentially("DE-RP")
    page.get_by_role("option", name="DE-RP", exact=True).click()
    page.keyboard.press("Escape")

    page.wait_for_function(
        """(selector) => { const f = document.querySelector(selector);
            const map = f && f.contentWindow && f.contentWindow.map;
            if (!map || !map._loaded) return false;
            const b = map.getBounds();
            return b.contains([49.99, 7.5]) && b.getNorth() - b.getSouth() < 4; }""",
        arg=MAP_IFRAME,
    )
    frame = wait_for_map(page)
    assert frame.evaluate("() => window.map.getBounds().toBBoxString()") != before
    assert not offline_page.errors

"""The briefing made for a wall (issue 13): its figures, its map and its top unmet needs
all inside the first screen, without scrolling, at 1920×1080 (an operations-room screen)
and at 1366×768 (a laptop), on the Briefing page and on the wall screen
``?view=briefing&scenario=NAME``. Screenshots of the wall screen at both sizes are
kept in docs/screenshots/ for the README."""

from __future__ import annotations

from pathlib import Path

import pytest
from browsing import briefing_boxes, visit, wait_for_briefing
from playwright_api import expect

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
RHINE = ROOT / "data" / "rhine-flood-2021"
SCREENSHOTS = ROOT / "docs" / "screenshots"
SIZES = [(1920, 1080), (1366, 768)]
VIEWS = {
    "page": "/briefing",
    "wall": f"/?view=briefing&scenario={RHINE.name}",
}


@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("view", VIEWS)
def test_figures_map_and_top_unmet_needs_fill_the_first_screen(
    start_app, offline_page, width, height, view
):
    url = start_app(scenario_dirs=[RHINE])
    page = offline_page.page
    page.set_viewport_size({"width": width, "height": height})
    visit(page, url + VIEWS[view])
    wait_for_briefing(page)
    if view == "wall":
        expect(page.get_by_role("combobox", name="Scenario")).to_have_count(0)
    boxes = briefing_boxes(page)
    for name, box in boxes.items():
        assert box["x"] >= 0 and box["y"] >= 0, (name, box)
        assert box["x"] + box["width"] <= width, (name, box)
        assert box["y"] + box["height"] <= height, (name, box)
    # The map takes the room the screen gives, not a strip.
    assert boxes["map"]["height"] >= 0.45 * height, boxes["map"]
    # Nothing was scrolled to get there.
    assert page.get_by_test_id("stMain").evaluate("main => main.scrollTop") == 0
    assert page.evaluate("() => window.scrollY") == 0
    if view == "wall":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"briefing-{width}.png"))

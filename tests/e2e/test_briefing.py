"""The briefing in a real browser: the kiosk view, the timed refresh, the offline download.

The app runs with ``MUTUALAID_BRIEFING_REFRESH_S=2`` so a refresh comes within seconds.
Its page may only reach this machine (see conftest.py); the downloaded briefing is then
opened from disk in a context that may reach nothing at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browsing import visit
from playwright_api import Page, expect

from mutualaid.allocation import allocate
from mutualaid.allocation.held import Held
from mutualaid.exports import figure_items
from mutualaid.figures.operation import operation_figures
from mutualaid.figures.plan import key_figures
from mutualaid.scenario.loading import load_scenario
from mutualaid.settings import BRIEFING_REFRESH_ENV

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
RHINE = ROOT / "data" / "rhine-flood-2021"
SCREENSHOT = ROOT / "docs" / "screenshots" / "briefing.png"
MAP_IFRAME = "iframe[src*='streamlit_folium.st_folium']"

# In a document holding a folium map: the Leaflet map object, how many flow lines it
# has, and whether anything is painted on its canvas (or drawn as SVG paths).
DRAWN = """() => {
    const name = Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map);
    const map = window.map || (name && window[name]);
    if (!map || !map._loaded) return null;
    let flows = 0;
    map.eachLayer(l => { if (l.feature && 'route' in l.feature.properties) flows++; });
    let painted = document.querySelectorAll('.leaflet-overlay-pane path').length > 0;
    const canvas = document.querySelector('.leaflet-overlay-pane canvas');
    if (!painted && canvas && canvas.width) {
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < data.length; i += 4) { if (data[i]) { painted = true; break; } }
    }
    return {flows: flows, painted: painted, zoom: map.getZoom()};
}"""


def rhine_plan():
    """The Rhine sample's plan, its key figures and the briefing's (label, value) items."""
    scenario = load_scenario(RHINE).scenario
    assert scenario is not None, "the Rhine sample does not validate (make scenarios)"
    plan = allocate(scenario)
    figures = key_figures(plan, scenario)
    return plan, figures, figure_items(operation_figures(scenario, Held(), plan), figures)


def wait_for_drawn_map(page: Page, flows: int):
    """The st_folium frame once its map shows all *flows* lines and has painted."""
    page.wait_for_function(
        """([selector, flows, drawn]) => {
        const iframe = document.querySelector(selector);
        const win = iframe && iframe.contentWindow;
        if (!win || !win.L) return false;
        const state = win.eval('(' + drawn + ')()');
        return !!state && state.flows === flows && state.painted;
    }""",
        arg=[MAP_IFRAME, flows, DRAWN],
    )
    frame = page.locator(MAP_IFRAME).element_handle().content_frame()
    assert frame is not None
    return frame


def updated_text(page: Page) -> str:
    return page.get_by_test_id("stCaptionContainer").filter(has_text="Updated at").inner_text()


def test_kiosk_briefing_refreshes_keeps_the_map_and_exports_offline(
    start_app, offline_page, browser, tmp_path
):
    plan, figures, items = rhine_plan()
    url = start_app(scenario_dirs=[RHINE], env={BRIEFING_REFRESH_ENV: "2"})
    page = offline_page.page
    visit(page, f"{url}/?view=briefing")
    expect(page.get_by_role("heading", name="Briefing")).to_be_visible()
    frame = wait_for_drawn_map(page, len(plan.assignments))

    # No sidebar, no way to open it: a shared screen shows the briefing alone.
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    expect(page.get_by_test_id("stSidebar")).to_have_count(0)
    expect(page.get_by_test_id("stExpandSidebarButton")).to_be_hidden()
    for label, value in items:
        expect(
            page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")
        ).to_have_text(value)

    # The refresh: the time changes, the map's Leaflet container stays the same node
    # (not rebuilt) and keeps the zoom the viewer chose.
    frame.evaluate(
        "() => { document.querySelector('.leaflet-container').__briefingMark = 7; "
        "(window.map).setZoom(window.map.getZoom() + 1, {animate: false}); }"
    )
    zoom = frame.evaluate("() => window.map.getZoom()")
    first = updated_text(page)
    for _ in range(2):  # two refreshes in a row
        before = updated_text(page)
        page.wait_for_function(
            """([before]) => {
            const el = Array.from(document.querySelectorAll('[data-testid="stCaptionContainer"]'))
                .find(e => e.innerText.includes('Updated at'));
            return !!el && el.innerText !== before;
        }""",
            arg=[before],
        )
    assert updated_text(page) != first
    mark = page.evaluate(
        """(selector) => {
        const doc = document.querySelector(selector).contentDocument;
        return doc.querySelector('.leaflet-container').__briefingMark;
    }""",
        MAP_IFRAME,
    )
    assert mark == 7
    assert frame.evaluate("() => window.map.getZoom()") == zoom

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 1500})
    frame.evaluate("() => { window.map.setZoom(window.map.getZoom() - 1, {animate: false}); }")
    wait_for_drawn_map(page, len(plan.assignments))
    page.screenshot(path=str(SCREENSHOT))

    # The briefing as one file, opened from disk where nothing can be fetched.
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the briefing (HTML)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".html" and saved.stat().st_size > 100_000

    context = browser.new_context(viewport={"width": 1400, "height": 1000}, service_workers="block")
    attempted: list[str] = []

    def route(route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            attempted.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", route)
    errors: list[str] = []
    disk = context.new_page()
    disk.on("pageerror", lambda error: errors.append(str(error)))
    disk.on("requestfailed", lambda request: attempted.append(request.url))
    try:
        disk.goto(saved.as_uri())
        expect(disk.locator(".leaflet-container")).to_be_visible()
        disk.wait_for_function(f"""() => {{
            if (!window.L) return false;
            const state = ({DRAWN})();
            return !!state && state.flows === {len(plan.assignments)} && state.painted;
        }}""")
        for label, value in items:
            expect(disk.locator(".mab-figures")).to_contain_text(f"{label}{value}")
        rows = disk.locator(".mab-unmet tbody tr")
        expect(rows).to_have_count(len(figures.unmet))  # every one (issue 13)
        assert disk.evaluate("() => L.version") == "1.9.4"
    finally:
        context.close()
    assert attempted == []
    assert errors == []
    assert not offline_page.blocked
    assert not offline_page.errors

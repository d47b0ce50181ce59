"""The allocation page in a real browser: the plan draws offline, and a reserve changes it.

Runs in a page whose requests may only go to this machine (see conftest.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browsing import hover_tooltip, metric, visit
from playwright_api import Frame, Page, expect

import builders
from builders import BREAKOUT, IMG, SCRIPT, SVG, point
from mutualaid.allocation import allocate
from mutualaid.allocation.what_if import edit
from mutualaid.figures.plan import NATIONAL, key_figures, with_crossings
from mutualaid.scenario.loading import load_scenario

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
RHINE = ROOT / "data" / "rhine-flood-2021"
SCREENSHOT = ROOT / "docs" / "screenshots" / "allocation.png"
MAP_IFRAME = "iframe[src*='streamlit_folium.st_folium']"
NATIONAL_LABEL = "across a national border"

# Every flow line Leaflet drew: its route and crossing as the tooltip shows them, and
# where its middle is on the page.
DRAWN_FLOWS = """() => {
    const out = [];
    const box = window.map.getContainer().getBoundingClientRect();
    window.map.eachLayer(layer => {
        if (!layer.feature || !('route' in layer.feature.properties)) return;
        const props = layer.feature.properties;
        const ends = layer.getLatLngs();
        const mid = window.map.latLngToContainerPoint([
            (ends[0].lat + ends[1].lat) / 2, (ends[0].lng + ends[1].lng) / 2]);
        out.push({route: props.route, crossing: props.crossing, type: props.type,
                  units: props.units, dash: layer.options.dashArray || null,
                  color: layer.options.color, x: box.x + mid.x, y: box.y + mid.y});
    });
    return out;
}"""


def expected_plan(reserves: dict[str, float] | None = None):
    scenario = load_scenario(RHINE).scenario
    assert scenario is not None, "the Rhine sample does not validate (make scenarios)"
    plan = allocate(edit(scenario, reserves=reserves or {}))
    return scenario, plan, key_figures(plan, scenario)


def scenario_reserve(scenario, jurisdiction: str) -> float:
    return float(scenario.jurisdictions.set_index("id").loc[jurisdiction, "reserve"])


def top_exporter() -> str:
    scenario, plan, _ = expected_plan()
    a = with_crossings(plan.assignments, scenario.jurisdictions)
    national = a[a["crossing"] == NATIONAL]
    return str(national.groupby("from_jurisdiction")["units"].sum().idxmax())


def wait_for_flows(page: Page, count: int) -> Frame:
    """The map's frame once it has drawn exactly *count* flow lines on its canvas
    (after a change the old map lingers for a moment)."""
    page.wait_for_function(
        """([selector, count]) => {
        const iframe = document.querySelector(selector);
        const win = iframe && iframe.contentWindow;
        const map = win && win.map;
        if (!map || !map._loaded) return false;
        let n = 0;
        map.eachLayer(l => { if (l.feature && 'route' in l.feature.properties) n++; });
        if (n !== count) return false;
        const canvas = win.document.querySelector('.leaflet-overlay-pane canvas');
        if (!canvas || !canvas.width) return false;
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < data.length; i += 4) { if (data[i]) return true; }
        return false;
    }""",
        arg=[MAP_IFRAME, count],
    )
    frame = page.locator(MAP_IFRAME).element_handle().content_frame()
    assert frame is not None
    return frame


def hover_flow(page: Page, frame: Frame, spot: dict) -> str:
    """Move the mouse to a spot on a flow line; return the tooltip's text.

    Leaflet's canvas looks at the mouse at most every 32 ms, so the mouse is nudged
    by a pixel until the tooltip is there.
    """
    page.locator(MAP_IFRAME).scroll_into_view_if_needed()  # the mouse only reaches the view
    box = page.locator(MAP_IFRAME).bounding_box()
    x, y = box["x"] + spot["x"], box["y"] + spot["y"]
    return hover_tooltip(page, frame, x, y, showing="Agreement")


# A spot on a national flow line away from every point (incident, resource, ring:
# they are drawn above the lines) and from the map's controls, or null.
NATIONAL_SPOT = """(label) => {
    const map = window.map;
    const box = map.getContainer().getBoundingClientRect();
    const points = [];
    map.eachLayer(l => { if (l.getLatLng && l.feature) {
        const p = map.latLngToContainerPoint(l.getLatLng());
        points.push([p.x, p.y, (l.options.radius || 10) + 8]); } });
    const controls = Array.from(document.querySelectorAll('.leaflet-control'), c => {
        const r = c.getBoundingClientRect();
        return [r.left - 10, r.top - 10, r.right + 10, r.bottom + 10]; });
    let found = null;
    map.eachLayer(l => {
        if (found || !l.feature || l.feature.properties.crossing !== label) return;
        const [a, b] = l.getLatLngs().map(ll => map.latLngToContainerPoint(ll));
        for (const t of [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8]) {
            const x = a.x + t * (b.x - a.x), y = a.y + t * (b.y - a.y);
            const px = box.x + x, py = box.y + y;
            if (x < 5 || y < 5 || x > box.width - 5 || y > box.height - 5) continue;
            if (points.some(([qx, qy, r]) => Math.hypot(qx - x, qy - y) < r)) continue;
            if (controls.some(([l0, t0, r0, b0]) => l0 <= px && px <= r0 && t0 <= py && py <= b0))
                continue;
            found = {x: px, y: py}; return;
        }
    });
    return found;
}"""


def test_plan_draws_offline_and_a_reserve_changes_it(start_app, offline_page):
    scenario, plan, figures = expected_plan()
    exporter = top_exporter()
    url = start_app(scenario_dirs=[RHINE])
    page = offline_page.page

    # In by the front door, as a coordinator would: the app's router, then the page.
    visit(page, url)
    page.get_by_test_id("stSidebar").get_by_role("link", name="Allocation").click()
    expect(page.get_by_role("heading", name="Allocation")).to_be_visible()
    frame = wait_for_flows(page, len(plan.assignments))

    # The flows: one line per assignment, national ones dashed in their own colour.
    flows = frame.evaluate(DRAWN_FLOWS)
    national = [f for f in flows if f["crossing"] == NATIONAL_LABEL]
    a = with_crossings(plan.assignments, scenario.jurisdictions)
    assert len(national) == int((a["crossing"] == NATIONAL).sum()) > 0
    assert all(f["dash"] for f in national)
    assert not any(f["dash"] for f in flows if f["crossing"] != NATIONAL_LABEL)
    assert len({f["color"] for f in national}) == 1
    assert {f["color"] for f in national}.isdisjoint(
        {f["color"] for f in flows if f["crossing"] != NATIONAL_LABEL}
    )
    expect(frame.locator(".mutualaid-legend")).to_contain_text("across a national border")
    expect(frame.locator(".leaflet-control-layers-overlays label")).to_contain_text(
        ["Flows across national borders", "Unmet need"]
    )
    assert frame.evaluate("() => L.version") == "1.9.4"

    # Its tooltip names the route and the agreement.
    spot = frame.evaluate(NATIONAL_SPOT, NATIONAL_LABEL)
    assert spot is not None, "no national flow the mouse can reach on its own"
    text = hover_flow(page, frame, spot)
    assert "Minutes per trip" in text and NATIONAL_LABEL in text
    routes = {f["route"].replace("&gt;", ">") for f in national}
    assert any(route in text for route in routes)
    page.mouse.move(5, 5)

    # The figures.
    expect(metric(page, "Units across national borders")).to_have_text(
        str(figures.crossings[NATIONAL])
    )
    expect(metric(page, "Units proposed")).to_have_text(str(plan.summary["units_assigned"]))
    expect(metric(page, "Units short / needed")).to_have_text(
        f"{plan.summary['units_needed'] - plan.summary['units_assigned']}"
        f" / {plan.summary['units_needed']}"
    )

    # Keep every unit of the biggest exporter at home.
    # The list of 101 jurisdictions is virtual: type to bring the one wanted into view.
    page.get_by_role("combobox", name="Jurisdiction").click()
    page.keyboard.type(exporter)
    page.get_by_role("option", name=re.compile(rf"^{re.escape(exporter)}\b")).click()
    expect(page.get_by_role("combobox", name="Jurisdiction")).to_have_value(
        re.compile(rf"^{re.escape(exporter)}\b")
    )
    reserve = page.get_by_role("spinbutton", name="Reserve kept at home (share 0 to 1)")
    expect(reserve).to_have_value(f"{scenario_reserve(scenario, exporter):.2f}")
    reserve.fill("1.00")
    reserve.press("Enter")
    reserve.blur()

    _, new_plan, new_figures = expected_plan({exporter: 1.0})
    assert new_figures.crossings[NATIONAL] < figures.crossings[NATIONAL]  # the premise
    expect(metric(page, "Units across national borders")).to_have_text(
        str(new_figures.crossings[NATIONAL])
    )
    frame = wait_for_flows(page, len(new_plan.assignments))
    routes = [f["route"] for f in frame.evaluate(DRAWN_FLOWS)]
    assert not [r for r in routes if r.startswith(f"{exporter} (")]  # nothing leaves it
    expect(page.get_by_test_id("stText").first).to_contain_text(f"reserve of {exporter}")

    page.mouse.move(5, 5)
    expect(frame.locator(".leaflet-tooltip")).to_have_count(0)
    # Tall enough for the editors, the figures and the whole map (the app scrolls
    # inside its own container, so a full-page shot would stop at the viewport).
    page.set_viewport_size({"width": 1400, "height": 1850})
    page.get_by_role("heading", name="Allocation").scroll_into_view_if_needed()
    wait_for_flows(page, len(new_plan.assignments))
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    assert offline_page.requests
    assert not offline_page.blocked
    assert not offline_page.errors


# --- hostile text ----------------------------------------------------------------------------


def write_hostile_scenario(folder: Path) -> Path:
    """Dutch boats for a German flood, every name and id a script-injection attempt."""
    return builders.write_hostile_scenario(
        folder,
        incident={"needs": {"boat": 2, "pump": 1}},
        resources=[({"id": SVG, "name": IMG, "type": "boat", "quantity": 3}, point(5.3, 50.2))],
        agreements="NL,DE,*,15\n",
    )


def test_hostile_names_stay_text_in_flow_tooltips(start_app, offline_page, tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-plan")
    folder = write_hostile_scenario(root / "hostile")
    scenario = load_scenario(folder).scenario
    assert scenario is not None
    plan = allocate(scenario)
    assert len(plan.assignments) == 1 and len(plan.unmet) == 1  # a flow and a ring
    url = start_app(scenario_dirs=[root])
    page = offline_page.page
    visit(page, url)
    page.get_by_test_id("stSidebar").get_by_role("link", name="Allocation").click()
    frame = wait_for_flows(page, 1)

    spot = frame.evaluate(NATIONAL_SPOT, NATIONAL_LABEL)
    assert spot is not None
    text = hover_flow(page, frame, spot)
    assert f"{IMG} ({SVG})" in text  # the resource, as literal text
    assert f"{IMG} ({SCRIPT})" in text  # the incident
    assert BREAKOUT in text  # the route names the jurisdiction id

    flags = [
        f.evaluate("() => window.__xss === undefined ? null : window.__xss") for f in page.frames
    ]
    assert flags == [None] * len(page.frames)
    assert offline_page.dialogs == []
    for f in page.frames:
        assert f.locator("img[src='x'], svg[onload]").count() == 0, f.url
    assert not offline_page.blocked
    assert not offline_page.errors

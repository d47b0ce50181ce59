"""The overview map in a real browser: it draws offline, and hostile text stays text.

Every test runs in a page whose requests may only go to this machine (see
conftest.py); the map must still draw, with Leaflet from the app's own
``/app/static/vendor/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browsing import hover_tooltip, visit
from playwright_api import Frame, Page, expect

import builders
from builders import BREAKOUT, IMG, SCRIPT, SVG, point
from mutualaid.scenario.catalogue import find_scenarios
from mutualaid.scenario.loading import load_scenario

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "screenshots" / "overview.png"
MAP_IFRAME = "iframe[src*='streamlit_folium.st_folium']"
SCREENSHOT_SCENARIO = "rhine-flood-2021"

# Each payload sets a flag if it ever runs, in whichever frame it lands.
SRCDOC = '<iframe srcdoc="<script>parent.parent.__xss=5</script>"></iframe>'
MARKDOWN = "![tracker](http://203.0.113.9/pixel.png)"

# Kinds of feature as the map's GeoJSON properties tell them apart.
KIND_OF = """(props) => 'route' in props ? 'flow'
                       : 'hazard' in props ? 'incident'
                       : 'type' in props ? 'resource'
                       : 'reserve' in props ? 'jurisdiction'
                       : 'country' in props ? 'country' : 'other'"""


# --- helpers -----------------------------------------------------------------------------


def open_map(page: Page, url: str) -> Frame:
    """Load the app and wait until the map has drawn on its canvas."""
    visit(page, url)
    return wait_for_map(page)


def settled_map(page: Page, url: str) -> Frame:
    """Like :func:`open_map`, once the map frame has stayed the same for a while.

    Right after a sign-in the page may rerun once more (the session cookie, the live
    follow-up) and draw its map in a new frame: a mouse on the old one finds a detached
    frame (seen in the clean-clone run under load)."""
    frame = open_map(page, url)
    for _check in range(20):
        page.wait_for_timeout(1_500)
        again = wait_for_map(page)
        if again is frame:
            return frame
        frame = again
    return frame


def wait_for_map(page: Page, *, jurisdictions: int | None = None) -> Frame:
    """The map's frame once drawn; with *jurisdictions*, once the map showing that many
    is there (after choosing another scenario the old map lingers for a moment)."""
    if jurisdictions is not None:
        page.wait_for_function(
            """([selector, count]) => {
            const iframe = document.querySelector(selector);
            const map = iframe && iframe.contentWindow && iframe.contentWindow.map;
            if (!map || !map._loaded) return false;
            let n = 0;
            map.eachLayer(l => { if (l.feature && 'reserve' in l.feature.properties) n++; });
            return n === count;
        }""",
            arg=[MAP_IFRAME, jurisdictions],
        )
    iframe = page.wait_for_selector(MAP_IFRAME)
    # The filters and figures sit above the map: scroll it into view, as a user would,
    # so that the mouse can reach every part of it.
    iframe.scroll_into_view_if_needed()
    frame = iframe.content_frame()
    assert frame is not None
    frame.wait_for_selector(".leaflet-container")
    frame.wait_for_function("""() => {
        if (!(window.map && window.map._loaded)) return false;
        const canvas = document.querySelector('.leaflet-overlay-pane canvas');
        if (!canvas || !canvas.width || !canvas.height) return false;  // not laid out yet
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < data.length; i += 4) { if (data[i]) return true; }
        return false;
    }""")
    return frame


def drawn_features(frame: Frame) -> list[dict]:
    """Every feature Leaflet drew: kind, id and name as the tooltip shows them, and
    where it is on the page (the centre of a point, a point inside a polygon)."""
    return frame.evaluate(f"""() => {{
        const kindOf = {KIND_OF};
        const out = [];
        const box = window.map.getContainer().getBoundingClientRect();
        window.map.eachLayer(layer => {{
            if (!layer.feature || !layer.feature.properties) return;
            const props = layer.feature.properties;
            const at = layer.getLatLng ? layer.getLatLng() : null;
            out.push({{kind: kindOf(props), id: props.id, name: props.name,
                       lat: at ? at.lat : null, lng: at ? at.lng : null,
                       x: at ? box.x + window.map.latLngToContainerPoint(at).x : null,
                       y: at ? box.y + window.map.latLngToContainerPoint(at).y : null}});
        }});
        return out;
    }}""")


def page_xy(page: Page, frame: Frame, lat: float, lng: float) -> tuple[float, float]:
    """Where a map position is on the page (the iframe's offset plus the map's)."""
    box = page.locator(MAP_IFRAME).bounding_box()
    inner = frame.evaluate(
        """([lat, lng]) => {
        const r = window.map.getContainer().getBoundingClientRect();
        const p = window.map.latLngToContainerPoint([lat, lng]);
        return [r.x + p.x, r.y + p.y];
    }""",
        [lat, lng],
    )
    return box["x"] + inner[0], box["y"] + inner[1]


def clear_point(frame: Frame, features: list[dict], kind: str) -> dict:
    """A point of that kind the mouse can reach: on top of the points near it (drawn
    later, as Leaflet draws in order) and not under a control such as the legend."""
    controls = frame.evaluate("""() => {
        const box = window.map.getContainer().getBoundingClientRect();
        return Array.from(document.querySelectorAll('.leaflet-control'), c => {
            const r = c.getBoundingClientRect();
            return [r.left - 10, r.top - 10, r.right + 10, r.bottom + 10];
        });
    }""")
    points = [f for f in features if f["kind"] in ("incident", "resource")]
    order = {id(f): i for i, f in enumerate(points)}
    later_kinds = {"resource": ("resource", "incident"), "incident": ("incident",)}[kind]
    for f in reversed([p for p in points if p["kind"] == kind]):
        covered = any(
            left <= f["x"] <= right and top <= f["y"] <= bottom
            for left, top, right, bottom in controls
        )
        crowded = any(
            order[id(o)] > order[id(f)]
            and o["kind"] in later_kinds
            and abs(o["x"] - f["x"]) < 22
            and abs(o["y"] - f["y"]) < 22
            for o in points
        )
        if not covered and not crowded:
            return f
    raise AssertionError(f"no {kind} the mouse can reach on its own")


def feature_at(page: Page, frame: Frame, feature: dict) -> tuple[float, float]:
    box = page.locator(MAP_IFRAME).bounding_box()
    return box["x"] + feature["x"], box["y"] + feature["y"]


def selected_text(page: Page) -> str:
    return page.get_by_test_id("stText").last.inner_text()


def xss_flags(page: Page) -> list[object]:
    """``window.__xss`` in every frame of the page (all None when nothing ran)."""
    return [
        frame.evaluate("() => window.__xss === undefined ? null : window.__xss")
        for frame in page.frames
    ]


def choose_scenario(page: Page, name: str) -> None:
    # Once the map has drawn, the page is scrolled down by a few hundred pixels (not
    # by the app's code: the map frame's) and the selector is above the fold. A person
    # scrolls back up first; Playwright's own scroll into view during the click makes
    # the opened list close again (Base Web closes it on scroll).
    page.get_by_test_id("stMain").evaluate("main => main.scrollTo(0, 0)")
    page.get_by_role("combobox", name="Scenario").click()
    page.get_by_role("option", name=name).click()
    expect(page.get_by_role("combobox", name="Scenario")).to_have_value(name)


# --- the sample scenario -------------------------------------------------------------------


def test_map_draws_offline_with_leaflet_from_the_app(start_app, offline_page):
    url = start_app()
    samples = find_scenarios([ROOT / "data"])
    assert samples, "no sample scenario in data/ (make scenarios)"
    expected = load_scenario(samples[0]).scenario  # the page opens the first one
    page = offline_page.page

    frame = open_map(page, url)

    kinds = [f["kind"] for f in drawn_features(frame)]
    assert kinds.count("incident") == len(expected.incidents)
    assert kinds.count("resource") == len(expected.resources)
    assert kinds.count("jurisdiction") == len(expected.jurisdictions)
    assert kinds.count("country") == expected.jurisdictions["country"].nunique()
    assert frame.evaluate("() => L.version") == "1.9.4"  # npm's Leaflet, not folium's CDN one
    scripts = frame.evaluate("() => Array.from(document.scripts, s => s.src).filter(Boolean)")
    assert f"{url}/app/static/vendor/leaflet/leaflet.js" in scripts
    styles = frame.evaluate(
        "() => Array.from(document.querySelectorAll('link[rel=stylesheet]'), l => l.href)"
    )
    assert styles == [f"{url}/app/static/vendor/leaflet/leaflet.css"]
    loaded = frame.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    assert f"{url}/app/static/vendor/leaflet/leaflet.js" in loaded
    layers = frame.locator(".leaflet-control-layers-overlays label")
    expect(layers).to_have_text(
        [
            "Countries",
            "Jurisdictions",
            "Flows within a jurisdiction",
            "Flows between jurisdictions",
            "Flows across national borders",
            "Resources",
            "Incidents",
            "Place names",
        ]
    )
    expect(frame.locator(".mutualaid-legend")).to_contain_text("Incident severity")
    assert not frame.locator(".leaflet-tile").count()  # no tiles: nothing to fetch

    # Switching jurisdictions off and on must not bury the incidents under them (the
    # layer list opens on hover: folded on a map this narrow).
    frame.locator(".leaflet-control-layers").hover()
    toggle = frame.get_by_role("checkbox", name="Jurisdictions", exact=True)
    toggle.uncheck()
    toggle.check()
    on_top = frame.evaluate(
        f"() => ({KIND_OF})(window.map._renderer._drawLast.layer.feature.properties)"
    )
    assert on_top == "incident"
    assert offline_page.requests, "the route recorded nothing: the check would be empty"
    assert not offline_page.blocked
    assert not offline_page.errors


def test_clicking_an_incident_shows_its_details_and_screenshot(start_app, offline_page):
    url = start_app()
    page = offline_page.page
    open_map(page, url)
    samples = {p.name: p for p in find_scenarios([ROOT / "data"])}
    if SCREENSHOT_SCENARIO in samples and next(iter(samples)) != SCREENSHOT_SCENARIO:
        choose_scenario(page, SCREENSHOT_SCENARIO)
        shown = load_scenario(samples[SCREENSHOT_SCENARIO]).scenario
        frame = wait_for_map(page, jurisdictions=len(shown.jurisdictions))
    else:
        frame = wait_for_map(page)
    target = clear_point(frame, drawn_features(frame), "incident")
    x, y = feature_at(page, frame, target)

    tooltip = hover_tooltip(page, frame, x, y, showing=target["id"])
    page.mouse.click(x, y)

    assert "Severity" in tooltip
    expect(page.get_by_test_id("stText").last).to_contain_text(f"Id: {target['id']}")
    assert selected_text(page).startswith("Incident")
    page.mouse.move(5, 5)  # let the tooltip close: the screenshot shows the map itself
    expect(frame.locator(".leaflet-tooltip")).to_have_count(0)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert not offline_page.errors


# --- hostile text ------------------------------------------------------------------------


def write_hostile_scenario(folder: Path, *, valid: bool = True) -> Path:
    """A scenario whose ids, names and extra fields are script-injection attempts."""
    return builders.write_hostile_scenario(
        folder,
        incident={
            "hazard": "flood" if valid else IMG,
            "needs": {"boat": 2},
            "note": SRCDOC,
            "link": MARKDOWN,
        },
        resources=[
            ({"id": SVG, "name": IMG, "type": "boat", "quantity": 2}, point(5.5, 50.5)),
            ({"id": "R-2", "name": SRCDOC, "type": "pump", "quantity": 1}, point(6.8, 50.2)),
        ],
        agreements="*,*,*,15\n",
    )


def assert_nothing_ran(page: Page, offline: object) -> None:
    assert xss_flags(page) == [None] * len(page.frames)
    assert offline.dialogs == []
    assert not [u for u in offline.requests if u.rstrip("/").endswith("/x")]
    for frame in page.frames:
        injected = frame.locator("img[src='x'], svg[onload], iframe[srcdoc]")
        assert injected.count() == 0, frame.url


def test_hostile_names_and_ids_stay_text_on_hover_and_click(
    start_app, offline_page, tmp_path_factory
):
    root = tmp_path_factory.mktemp("hostile")
    write_hostile_scenario(root / "a-hostile-map")
    write_hostile_scenario(root / "b-hostile-rejected", valid=False)
    url = start_app(scenario_dirs=[root])
    page = offline_page.page
    frame = settled_map(page, url)
    features = drawn_features(frame)

    # The incident: tooltip on hover, details on click, all literal.
    incident = clear_point(frame, features, "incident")
    tooltip = hover_tooltip(page, frame, *feature_at(page, frame, incident), showing="Hazard")
    assert IMG in tooltip and SCRIPT in tooltip
    page.mouse.click(*feature_at(page, frame, incident))
    details = page.get_by_test_id("stText").last
    expect(details).to_contain_text(f"Id: {SCRIPT}")
    text = details.inner_text()
    assert f"Incident: {IMG}" in text and f"note: {SRCDOC}" in text
    assert f"link: {MARKDOWN}" in text

    # A resource, then a jurisdiction (hovered and clicked away from the points).
    resource = next(f for f in features if f["kind"] == "resource" and f["id"] != "R-2")
    assert resource == clear_point(frame, [f for f in features if f["id"] != "R-2"], "resource")
    tooltip = hover_tooltip(page, frame, *feature_at(page, frame, resource), showing="Units")
    assert SVG in tooltip and IMG in tooltip
    x, y = page_xy(page, frame, 50.15, 6.15)
    tooltip = hover_tooltip(page, frame, x, y, showing="Country")
    assert IMG in tooltip and BREAKOUT in tooltip
    page.mouse.click(x, y)
    expect(page.get_by_test_id("stText").last).to_contain_text(f"Id: {BREAKOUT}")
    assert selected_text(page).startswith("Jurisdiction")

    # The legend and layer names are ours; the types are validated keys.
    expect(frame.locator(".mutualaid-legend")).to_contain_text("boat")
    assert_nothing_ran(page, offline_page)

    # A rejected scenario lists its problems (quoting the hostile values) as text.
    choose_scenario(page, "b-hostile-rejected")
    expect(page.get_by_test_id("stAlert").first).to_contain_text("cannot be shown")
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    assert page.locator(MAP_IFRAME).count() == 0
    assert_nothing_ran(page, offline_page)
    assert not offline_page.errors

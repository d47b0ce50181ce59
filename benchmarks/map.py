"""Map benchmark: the overview map of a large scenario, from Python to pixels in Chromium.

Usage::

    python benchmarks/map.py                       # 10,000 incidents, 5,000 resources
    python benchmarks/map.py --incidents 2000 --resources 1000 --runs 3

The scenario is seeded and synthetic: the 101 Rhine jurisdictions of
``data/rhine-flood-2021`` and points drawn uniformly inside them (incidents with a
hazard, a severity 1-5 and needs; resources of the ten types with 1-4 units). The files
are written to a temporary folder and read with :func:`mutualaid.scenario.loading.load_scenario`,
so the map gets the same canonical layers as in the app.

Measured, medians of ``--runs`` (3):

* **build**: :func:`mutualaid.maps.overview_map` (a cold start: new data).
* **render**: the map's HTML (``m.get_root().render()``).
* **rerun**: what a rerun with unchanged data costs the app: a deep copy of the cached
  map and its HTML (see :func:`mutualaid.ui.pages.overview_page.operations_map`).
* **rerun as st_folium does it**: the deep copy, the page render and the Leaflet
  script ``st_folium`` builds from the map (its Python side, without Streamlit).
* **HTML**: bytes of the rendered page; **script**: bytes of the script ``st_folium``
  sends the browser.
* **first draw**: Chromium (headless, fresh context each run) from ``goto`` to a
  ``.leaflet-container`` whose canvas has painted every point layer; the page and
  ``/app/static/vendor`` are served by a tiny local HTTP server. Browser start is not
  included.

Targets: rerun < 0.5 s, HTML < 5 MB, first draw < 3 s.
"""

from __future__ import annotations

import argparse
import copy
import functools
import http.server
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import geopandas as gpd
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mutualaid.maps import overview_map
from mutualaid.scenario.loading import load_scenario

RHINE = ROOT / "data" / "rhine-flood-2021"
VENDOR = ROOT / "static" / "vendor"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TYPES = (
    "ambulance",
    "fire_engine",
    "usar_team",
    "boat",
    "helicopter",
    "medical_team",
    "water_purification",
    "pump",
    "generator",
    "shelter_kit",
)
HAZARDS = ("flood", "storm", "landslide", "hazmat", "other")
TARGETS = {"rerun_s": 0.5, "html_mb": 5.0, "first_draw_s": 3.0}

# The map has drawn: Leaflet loaded, its point layers hold every feature (resources
# possibly in clusters, see mutualaid.maps.palette.CLUSTER_MIN_POINTS), and the overlay
# canvas has painted pixels.
DRAWN = """([incidents, resources]) => {
    const name = Object.keys(window).find(k => k.startsWith('map_') && window.L
                                          && window[k] instanceof L.Map);
    const map = name && window[name];
    if (!map || !map._loaded || !document.querySelector('.leaflet-container')) return false;
    let points = 0;  // drawn on their own, or held by a drawn cluster of resources
    map.eachLayer(l => { if (l.feature && l.getLatLng) points++;
                         else if (l.getChildCount) points += l.getChildCount(); });
    if (points < incidents + resources) return false;
    const canvas = document.querySelector('.leaflet-overlay-pane canvas');
    if (canvas && canvas.width) {
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < data.length; i += 4) { if (data[i]) return true; }
        return false;
    }
    return document.querySelectorAll('.leaflet-overlay-pane path').length > 0;
}"""


# --- the synthetic scenario ---------------------------------------------------------------


def points_inside(
    jurisdictions: gpd.GeoDataFrame, count: int, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """*count* points uniformly inside the jurisdictions (rejection sampling)."""
    minx, miny, maxx, maxy = jurisdictions.total_bounds
    shapes = jurisdictions[["id", "geometry"]]
    found: list[gpd.GeoDataFrame] = []
    have = 0
    while have < count:
        n = max(4 * (count - have), 1000)
        candidates = gpd.GeoDataFrame(
            geometry=gpd.points_from_xy(rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)),
            crs="EPSG:4326",
        )
        inside = gpd.sjoin(candidates, shapes, predicate="within", how="inner")
        inside = inside[~inside.index.duplicated()]
        found.append(inside)
        have += len(inside)
    out = gpd.GeoDataFrame(gpd.pd.concat(found), geometry="geometry", crs="EPSG:4326")
    return out.iloc[:count].reset_index(drop=True)


def _collection(features: list[dict]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features})


def write_scenario(folder: Path, *, incidents: int, resources: int, seed: int) -> Path:
    """The synthetic scenario's four files in *folder*."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    source = (RHINE / "jurisdictions.geojson").read_text(encoding="utf-8")
    (folder / "jurisdictions.geojson").write_text(source, encoding="utf-8")
    (folder / "agreements.csv").write_text(
        (RHINE / "agreements.csv").read_text(encoding="utf-8"), encoding="utf-8"
    )
    jur = gpd.read_file(folder / "jurisdictions.geojson")
    inc = points_inside(jur, incidents, rng)
    feats = []
    for k, (pt, jid) in enumerate(zip(inc.geometry, inc["id"])):
        needs = {
            str(t): int(rng.integers(1, 6))
            for t in rng.choice(TYPES, size=int(rng.integers(1, 4)), replace=False)
        }
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(pt.x, 5), round(pt.y, 5)]},
                "properties": {
                    "id": f"I-{k:05d}",
                    "name": f"Incident {k} in {jid}",
                    "hazard": str(rng.choice(HAZARDS)),
                    "severity": int(rng.integers(1, 6)),
                    "status": "active" if rng.random() < 0.9 else "contained",
                    "reported_at": "2021-07-14T17:30:00Z",
                    "needs": needs,
                },
            }
        )
    (folder / "incidents.geojson").write_text(_collection(feats), encoding="utf-8")
    res = points_inside(jur, resources, rng)
    feats = []
    for k, (pt, jid) in enumerate(zip(res.geometry, res["id"])):
        kind = str(rng.choice(TYPES))
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(pt.x, 5), round(pt.y, 5)]},
                "properties": {
                    "id": f"R-{k:05d}",
                    "name": f"{kind} {k}",
                    "type": kind,
                    "quantity": int(rng.integers(1, 5)),
                    "status": "available",
                    "jurisdiction": str(jid),
                },
            }
        )
    (folder / "resources.geojson").write_text(_collection(feats), encoding="utf-8")
    return folder


# --- measuring ------------------------------------------------------------------------------


def timed(func):
    start = time.perf_counter()
    value = func()
    return time.perf_counter() - start, value


def _copy_and_render(m) -> str:
    return copy.deepcopy(m).get_root().render()


def _copy_and_st_folium(m) -> str:
    """What ``st_folium`` does in Python with a fresh copy of the cached map: render the
    page, then build the Leaflet script it sends (no Streamlit needed)."""
    from streamlit_folium import _get_map_string

    fresh = copy.deepcopy(m)
    fresh.get_root().render()
    fresh.render()
    return _get_map_string(fresh)


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A local HTTP server for *folder* (page at /, Leaflet at /app/static/vendor/)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *_args) -> None:  # no line per request on the table's stdout
        pass


def first_draw_seconds(url: str, *, incidents: int, resources: int, runs: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(runs):
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                context.route(
                    "**/*",
                    lambda route: (
                        route.continue_() if route.request.url.startswith(url) else route.abort()
                    ),
                )
                page = context.new_page()
                start = time.perf_counter()
                page.goto(f"{url}/map.html", wait_until="commit")
                page.wait_for_function(
                    DRAWN, arg=[incidents, resources], timeout=300_000, polling=50
                )
                times.append(time.perf_counter() - start)
                context.close()
        finally:
            browser.close()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--resources", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium timing")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="mutualaid-map-bench-") as tmp:
        tmp_path = Path(tmp)
        folder = write_scenario(
            tmp_path / "scenario",
            incidents=args.incidents,
            resources=args.resources,
            seed=args.seed,
        )
        result = load_scenario(folder)
        scenario = result.scenario
        if scenario is None:
            for report in result.reports:
                for problem in report.errors[:5]:
                    print(f"{report.kind}: {problem.message}")
            return 1
        layers = {
            "jurisdictions": scenario.jurisdictions,
            "incidents": scenario.incidents,
            "resources": scenario.resources,
        }

        build, render, rerun, st_rerun, sizes, sent = [], [], [], [], [], []
        page = ""
        for _ in range(args.runs):
            seconds, built = timed(lambda: overview_map(**layers))
            build.append(seconds)
            fresh = copy.deepcopy(built)
            seconds, page = timed(fresh.get_root().render)
            render.append(seconds)
            seconds, _ = timed(functools.partial(_copy_and_render, built))
            rerun.append(seconds)
            seconds, script = timed(functools.partial(_copy_and_st_folium, built))
            st_rerun.append(seconds)
            sizes.append(len(page.encode("utf-8")))
            sent.append(len(script.encode("utf-8")))

        draws: list[float] = []
        if not args.no_browser:
            site = tmp_path / "site"
            (site / "app" / "static").mkdir(parents=True)
            (site / "app" / "static" / "vendor").symlink_to(VENDOR, target_is_directory=True)
            (site / "map.html").write_text(page, encoding="utf-8")
            server, url = serve(site)
            try:
                draws = first_draw_seconds(
                    url,
                    incidents=len(scenario.incidents),
                    resources=len(scenario.resources),
                    runs=args.runs,
                )
            finally:
                server.shutdown()

    med = statistics.median
    html_mb = med(sizes) / 1e6
    rows = [
        ("build overview_map (cold)", f"{med(build):.3f} s", "", ""),
        ("render HTML", f"{med(render):.3f} s", "", ""),
        (
            "build + render (new data)",
            f"{med(build) + med(render):.3f} s",
            "< 0.5 s",
            _verdict(med(build) + med(render), TARGETS["rerun_s"]),
        ),
        (
            "rerun: deep copy + render (cached)",
            f"{med(rerun):.3f} s",
            "< 0.5 s",
            _verdict(med(rerun), TARGETS["rerun_s"]),
        ),
        (
            "rerun as st_folium does it (cached)",
            f"{med(st_rerun):.3f} s",
            "< 0.5 s",
            _verdict(med(st_rerun), TARGETS["rerun_s"]),
        ),
        ("HTML of the page", f"{html_mb:.2f} MB", "< 5 MB", _verdict(html_mb, TARGETS["html_mb"])),
        (
            "script st_folium sends",
            f"{med(sent) / 1e6:.2f} MB",
            "< 5 MB",
            _verdict(med(sent) / 1e6, TARGETS["html_mb"]),
        ),
    ]
    if draws:
        rows.append(
            (
                "first drawn map in Chromium",
                f"{med(draws):.2f} s",
                "< 3 s",
                _verdict(med(draws), TARGETS["first_draw_s"]),
            )
        )
    print(
        f"Overview map, {len(scenario.incidents):,} incidents + "
        f"{len(scenario.resources):,} resources + {len(scenario.jurisdictions)} "
        f"jurisdictions; medians of {args.runs}"
    )
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'median':>10}  {'target':>8}  verdict")
    for name, value, target, verdict in rows:
        print(f"{name:<{width}}  {value:>10}  {target:>8}  {verdict}")
    return 0


def _verdict(value: float, target: float) -> str:
    if value < target:
        return "met"
    return f"missed by {value - target:.2f} ({value / target:.1f}x the target)"


if __name__ == "__main__":
    raise SystemExit(main())

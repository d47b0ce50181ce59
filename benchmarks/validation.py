"""How long reading and validating layers takes (the speed claims in the docs).

Run with ``make bench`` or ``.venv/bin/python benchmarks/validation.py``. Prints the
median of 5 runs for each case:

* the Rhine admin-1 reference layer (117 detailed areas) loaded as jurisdictions
  with ``--map id=iso_3166_2 country=iso_a2``, and the shipped scenario's own
  jurisdictions file when it exists;
* a generated layer of 50,000 incident points (seeded; all inside the Rhine
  jurisdictions; each with needs) loaded with the spatial join against them.

Target: each under 5 s on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mutualaid.layers import load_layer
from mutualaid.layers.spatial import locate

REFERENCE = ROOT / "data" / "reference" / "rhine_admin1.geojson"
if not REFERENCE.exists():
    REFERENCE = Path("/work/shared/data/reference/rhine_admin1.geojson")
SCENARIO_JURISDICTIONS = ROOT / "data" / "rhine-flood-2021" / "jurisdictions.geojson"
TARGET_SECONDS = 5.0
HAZARDS = ("flood", "storm", "landslide", "wildfire", "hazmat")
TYPES = ("boat", "pump", "ambulance", "helicopter", "shelter_kit", "fire_engine")


def median_seconds(action: Callable[[], object], *, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def incident_points(jurisdictions, n: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """*n* random points inside the jurisdictions (rejection sampling in their bounds)."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = jurisdictions.total_bounds
    lon, lat = np.empty(0), np.empty(0)
    while lon.size < n:
        x, y = rng.uniform(minx, maxx, 2 * n), rng.uniform(miny, maxy, 2 * n)
        inside = np.array([v is not None for v in locate(x, y, jurisdictions)])
        lon, lat = np.concatenate([lon, x[inside]]), np.concatenate([lat, y[inside]])
    return lon[:n], lat[:n]


def write_incidents(path: Path, lon: np.ndarray, lat: np.ndarray, *, seed: int) -> None:
    rng = np.random.default_rng(seed + 1)
    features = []
    for i, (x, y) in enumerate(zip(lon.tolist(), lat.tolist())):
        kinds = rng.choice(TYPES, size=int(rng.integers(1, 4)), replace=False)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "id": f"I-{i:05d}",
                    "name": f"Incident {i}",
                    "hazard": HAZARDS[i % len(HAZARDS)],
                    "severity": int(rng.integers(1, 6)),
                    "status": "active",
                    "reported_at": f"2021-07-14T{i % 24:02d}:{i % 60:02d}:00Z",
                    "needs": {str(k): int(rng.integers(1, 6)) for k in kinds},
                    "max_response_min": 240,
                },
                "geometry": {"type": "Point", "coordinates": [round(x, 6), round(y, 6)]},
            }
        )
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--points", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args(argv)

    rows: list[tuple[str, int, float]] = []
    mapping = {"id": "iso_3166_2", "country": "iso_a2"}
    reference = load_layer(REFERENCE, kind="jurisdictions", mapping=mapping)
    assert reference.ok, reference.report.lines()
    rows.append(
        (
            f"jurisdictions: {REFERENCE.name} (--map id=iso_3166_2 country=iso_a2)",
            len(reference.frame),
            median_seconds(
                lambda: load_layer(REFERENCE, kind="jurisdictions", mapping=mapping), runs=args.runs
            ),
        )
    )
    if SCENARIO_JURISDICTIONS.exists():
        scenario = load_layer(SCENARIO_JURISDICTIONS, kind="jurisdictions")
        assert scenario.ok, scenario.report.lines()
        rows.append(
            (
                f"jurisdictions: {SCENARIO_JURISDICTIONS.relative_to(ROOT)}",
                len(scenario.frame),
                median_seconds(
                    lambda: load_layer(SCENARIO_JURISDICTIONS, kind="jurisdictions"), runs=args.runs
                ),
            )
        )

    jurisdictions = reference.frame
    with tempfile.TemporaryDirectory(prefix="mutualaid-bench-") as folder:
        path = Path(folder) / "incidents.geojson"
        lon, lat = incident_points(jurisdictions, args.points, seed=args.seed)
        write_incidents(path, lon, lat, seed=args.seed)
        size_mb = path.stat().st_size / 1e6
        check = load_layer(path, kind="incidents", jurisdictions=jurisdictions)
        assert check.ok, check.report.lines()[:5]
        assert check.frame["jurisdiction"].notna().all()
        rows.append(
            (
                f"incidents: {args.points:,} generated points ({size_mb:.1f} MB) + spatial join",
                len(check.frame),
                median_seconds(
                    lambda: load_layer(path, kind="incidents", jurisdictions=jurisdictions),
                    runs=args.runs,
                ),
            )
        )

    width = max(len(name) for name, _, _ in rows)
    print(f"{'case':<{width}}  {'features':>8}  {'median s':>8}  target")
    print(f"{'-' * width}  {'-' * 8}  {'-' * 8}  ------")
    slow = False
    for name, count, seconds in rows:
        verdict = "ok" if seconds < TARGET_SECONDS else "SLOW"
        slow |= seconds >= TARGET_SECONDS
        print(f"{name:<{width}}  {count:>8,}  {seconds:>8.3f}  < {TARGET_SECONDS:g} s {verdict}")
    print(f"(median of {args.runs} runs each)")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())

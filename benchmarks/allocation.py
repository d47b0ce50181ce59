"""Allocation benchmark: the project's optimiser against a greedy dispatcher and one big MILP.

Usage::

    python benchmarks/allocation.py                 # medium, side by side (3 runs each)
    python benchmarks/allocation.py --size large    # large (the whole-MILP run is skipped)
    python benchmarks/allocation.py --end-to-end    # large: files -> load -> plan -> JSON

Scenarios come from a seeded generator (:func:`generate`), so every run sees the same data:

=======  ============  =========  =====  =============  =====================================
size     units         incidents  types  jurisdictions  region
=======  ============  =========  =====  =============  =====================================
small    500           100        10     3 x 3          about 1000 km x 1000 km, grid cells
medium   5,000         1,000      10     6 x 5
large    50,000        10,000     10     10 x 10
=======  ============  =========  =====  =============  =====================================

"Units" counts units, the sum of ``quantity`` (not resource records): records carry 1-4
units (mean 1.875), so medium has 2,656 records and large 26,584.
Jurisdictions are grid cells grouped into countries of 3 x 3 cells; reserves are drawn
from 0.2-0.6, so reserve caps bind; agreements link neighbouring cells (and each country
with itself) with border delays of 0-30 minutes; 90 % of incidents carry a
``max_response_min`` of 60-240 minutes. Demand clusters at hotspots, so local supply
runs short and cross-border help matters.

Each method runs in its own subprocess, three times; the table shows the median time,
the subprocess's peak resident memory (``ru_maxrss``, which includes the Python
interpreter, libraries and the generated scenario; "+MB" is the part above what the
process held once libraries and scenario were loaded), severity-weighted coverage and
unit-minutes. The time of every method includes finding eligible pairs.

Methods: ``optimiser`` is :func:`mutualaid.allocation.allocate` (proven optimal);
``greedy`` serves incidents most severe first, each need from the nearest allowed units
within its response limit, respecting quantities and reserve caps; ``scipy_milp`` is the
whole problem as one ``scipy.optimize.milp`` model (see :func:`run_scipy_milp`).

Measured on the project's 2-core machine while other jobs shared it (medians of 3):

* medium: optimiser 0.36-0.46 s (9 types proven by LP, 1 by a MILP on the LP's optimal
  face), scipy milp 9.1-10.8 s with the same optimum (21-25x slower); greedy 0.13 s with
  84.9 % of the optimal weighted coverage; peak memory about 330 MB (+30 MB).
* large: optimiser 14.9-15.4 s (all 10 types by LP, 2.49 M eligible pairs), greedy
  2.6-3.4 s with 92.6 % of the optimal coverage; about 0.8-0.9 GB peak.
* large end to end (read and validate the GeoJSON files, plan, write the JSON):
  15.8-19.2 s, about 0.84 GB peak.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from mutualaid.scenario.loading import Scenario

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
SIZES = {
    "small": {"units": 500, "incidents": 100, "grid": (3, 3)},
    "medium": {"units": 5_000, "incidents": 1_000, "grid": (6, 5)},
    "large": {"units": 50_000, "incidents": 10_000, "grid": (10, 10)},
}
COUNTRIES = (
    "DE",
    "FR",
    "NL",
    "BE",
    "LU",
    "CH",
    "AT",
    "PL",
    "CZ",
    "IT",
    "DK",
    "SK",
    "HU",
    "SI",
    "HR",
    "ES",
)
WEST, SOUTH, WIDTH_DEG, HEIGHT_DEG = 4.0, 45.0, 14.0, 9.0  # about 1000 km x 1000 km at 50 N


# --- the generator --------------------------------------------------------------------


def generate(size: str = "medium", *, seed: int = 7) -> Scenario:
    """A seeded synthetic scenario of the given size (see the module doc)."""
    spec = SIZES[size]
    rng = np.random.default_rng(seed)
    nx, ny = spec["grid"]
    cw, ch = WIDTH_DEG / nx, HEIGHT_DEG / ny
    cells = [(cx, cy) for cy in range(ny) for cx in range(nx)]
    cid = {
        c: f"{COUNTRIES[(c[0] // 3) + ((nx + 2) // 3) * (c[1] // 3)]}-{c[0]:02d}{c[1]:02d}"
        for c in cells
    }
    jur = gpd.GeoDataFrame(
        {
            "id": [cid[c] for c in cells],
            "name": [cid[c] for c in cells],
            "country": [cid[c][:2] for c in cells],
            "reserve": np.round(rng.uniform(0.2, 0.6, len(cells)), 2),
        },
        geometry=[
            box(WEST + cx * cw, SOUTH + cy * ch, WEST + (cx + 1) * cw, SOUTH + (cy + 1) * ch)
            for cx, cy in cells
        ],
        crs=4326,
    )

    def cell_of(lon, lat):
        cx = np.clip(((lon - WEST) / cw).astype(int), 0, nx - 1)
        cy = np.clip(((lat - SOUTH) / ch).astype(int), 0, ny - 1)
        return np.array([cid[(a, b)] for a, b in zip(cx, cy)], dtype=object)

    def clustered(n, centres, spread):
        pick = centres[rng.integers(0, len(centres), n)]
        pts = pick + rng.normal(0, spread, (n, 2))
        pts[:, 0] = np.clip(pts[:, 0], WEST + 1e-6, WEST + WIDTH_DEG - 1e-6)
        pts[:, 1] = np.clip(pts[:, 1], SOUTH + 1e-6, SOUTH + HEIGHT_DEG - 1e-6)
        return pts

    # Resources: around "towns", several per cell.
    towns = np.column_stack(
        [
            rng.uniform(WEST, WEST + WIDTH_DEG, 4 * len(cells)),
            rng.uniform(SOUTH, SOUTH + HEIGHT_DEG, 4 * len(cells)),
        ]
    )
    q = rng.choice([1, 1, 1, 1, 2, 2, 3, 4], spec["units"])
    q = q[: int(np.searchsorted(np.cumsum(q), spec["units"])) + 1]
    q[-1] -= int(q.sum()) - spec["units"]
    q = q[q > 0]
    n_res = len(q)
    pts = clustered(n_res, towns, 0.15)
    rtype = rng.choice(TYPES, n_res, p=_type_shares())
    speed = np.where(rng.random(n_res) < 0.1, rng.uniform(50, 90, n_res), np.nan)
    speed[rtype == "helicopter"] = np.nan
    resources = gpd.GeoDataFrame(
        {
            "id": [f"R{n:06d}" for n in range(n_res)],
            "name": [f"unit {n}" for n in range(n_res)],
            "type": rtype,
            "quantity": q.astype(np.int64),
            "status": rng.choice(["available"] * 18 + ["assigned", "out_of_service"], n_res),
            "jurisdiction": cell_of(pts[:, 0], pts[:, 1]),
            "speed_kmh": speed,
            "lon": pts[:, 0],
            "lat": pts[:, 1],
        },
        geometry=gpd.points_from_xy(pts[:, 0], pts[:, 1]),
        crs=4326,
    )

    # Incidents: at hotspots, so that some areas need help from their neighbours.
    n_inc = spec["incidents"]
    hot = np.column_stack(
        [
            rng.uniform(WEST, WEST + WIDTH_DEG, max(3, len(cells) // 3)),
            rng.uniform(SOUTH, SOUTH + HEIGHT_DEG, max(3, len(cells) // 3)),
        ]
    )
    ipts = clustered(n_inc, hot, 0.35)
    needs = []
    for _ in range(n_inc):
        ks = rng.choice(TYPES, int(rng.integers(1, 4)), replace=False, p=_type_shares())
        needs.append({str(k): int(rng.integers(1, 6)) for k in ks})
    incidents = gpd.GeoDataFrame(
        {
            "id": [f"I{n:05d}" for n in range(n_inc)],
            "name": [f"incident {n}" for n in range(n_inc)],
            "hazard": rng.choice(["flood", "wildfire", "storm", "earthquake", "hazmat"], n_inc),
            "severity": rng.integers(1, 6, n_inc),
            "status": rng.choice(["active"] * 18 + ["contained", "closed"], n_inc),
            "reported_at": pd.Timestamp("2024-07-14T06:00", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 72 * 60, n_inc), unit="min"),
            "needs": needs,
            "max_response_min": np.where(
                rng.random(n_inc) < 0.9, np.round(rng.uniform(60, 240, n_inc)), np.nan
            ),
            "jurisdiction": cell_of(ipts[:, 0], ipts[:, 1]),
            "lon": ipts[:, 0],
            "lat": ipts[:, 1],
        },
        geometry=gpd.points_from_xy(ipts[:, 0], ipts[:, 1]),
        crs=4326,
    )

    # Agreements: neighbouring cells (both ways, most types), and each country with itself.
    rows = []
    for cx, cy in cells:
        for dx, dy in ((1, 0), (0, 1), (1, 1), (1, -1)):
            other = (cx + dx, cy + dy)
            if other not in cid:
                continue
            for a, b in ((cid[(cx, cy)], cid[other]), (cid[other], cid[(cx, cy)])):
                if rng.random() < 0.85:
                    types = (
                        ("*",)
                        if rng.random() < 0.6
                        else tuple(
                            sorted(rng.choice(TYPES, int(rng.integers(3, 8)), replace=False))
                        )
                    )
                    rows.append(
                        {
                            "from": a,
                            "to": b,
                            "resource_types": types,
                            "border_delay_min": float(rng.choice([0, 5, 10, 15, 20, 30])),
                        }
                    )
    for country in sorted(set(jur["country"])):
        rows.append(
            {"from": country, "to": country, "resource_types": ("*",), "border_delay_min": 5.0}
        )
    agreements = pd.DataFrame(rows, columns=["from", "to", "resource_types", "border_delay_min"])
    return Scenario(
        jur, incidents, resources, agreements, None, name=f"synthetic {size} seed {seed}"
    )


def _type_shares() -> np.ndarray:
    # Helicopters and USAR teams are rare; ambulances and pumps common.
    w = np.array([3, 2, 0.6, 1, 0.4, 1.5, 0.7, 2, 1.5, 1.3])
    return w / w.sum()


# --- the methods ------------------------------------------------------------------------


def run_optimiser(s: Scenario) -> dict:
    from mutualaid.allocation import allocate

    plan = allocate(s)
    out = dict(plan.summary)
    return out


def run_greedy(s: Scenario) -> dict:
    """Most severe incident first (then earliest reported); each need takes the nearest
    allowed units within its response limit, respecting quantities and reserve caps."""
    from mutualaid.allocation.candidates import candidate_arcs
    from mutualaid.allocation.prepare import prepare

    p = prepare(s)
    left = p.units.quantity.copy()
    caps = {k: c.copy() for k, c in p.caps.items()}
    inc = p.incidents
    rep = pd.to_datetime(s.incidents.set_index("id").loc[inc.ids, "reported_at"]).to_numpy()
    order = np.lexsort((rep, -inc.severity))
    arcs = {k: candidate_arcs(p, k) for k in p.types}
    bounds = {
        k: (
            np.searchsorted(a.inc, np.arange(len(inc.ids))),
            np.searchsorted(a.inc, np.arange(len(inc.ids)), side="right"),
        )
        for k, a in arcs.items()
    }
    needs = {k: dict(zip(pos.tolist(), n.tolist())) for k, (pos, n) in inc.needs.items()}
    coverage = units = 0
    minutes = 0.0
    for i in order:
        for k in p.types:
            want = needs[k].get(int(i), 0)
            a = arcs[k]
            lo, hi = bounds[k][0][i], bounds[k][1][i]
            for e in range(lo, hi):  # already sorted by minutes
                if want == 0:
                    break
                r = a.res[e]
                take = min(want, left[r])
                if a.agreement[e] != -1:
                    take = min(take, caps[k][p.units.owner[r]])
                if take <= 0:
                    continue
                left[r] -= take
                if a.agreement[e] != -1:
                    caps[k][p.units.owner[r]] -= take
                want -= take
                coverage += take * int(inc.severity[i])
                units += take
                minutes += take * float(np.round(a.minutes[e], 6))
    return {
        "weighted_coverage": int(coverage),
        "unit_minutes": round(float(minutes), 6),
        "units_assigned": int(units),
    }


def run_scipy_milp(s: Scenario) -> dict:
    """The whole problem (all types at once) as one scipy.optimize.milp model.

    The lexicographic objective is folded into one cost, ``minutes - W x severity`` with
    W = 1 + Σ over unit records of quantity x longest eligible minutes (one more unit of
    weighted coverage outweighs any saving in minutes), solved with a zero gap. (Two
    stages, the second with coverage fixed by an equality row, did not finish stage 2 in
    375 s on the medium size.)
    """
    from scipy.optimize import LinearConstraint, milp
    from scipy.sparse import coo_matrix

    from mutualaid.allocation.candidates import candidate_arcs
    from mutualaid.allocation.prepare import prepare

    p = prepare(s)
    rows, cols, rhs = [], [], []
    sev, mins, ub = [], [], []
    weight = 1.0
    offset = n_rows = 0
    for k in p.types:
        a = candidate_arcs(p, k)
        n = len(a)
        if n == 0:
            continue
        pos, need = p.incidents.needs[k]
        lookup = np.full(len(p.incidents.ids), -1)
        lookup[pos] = np.arange(len(pos))
        units, ures = np.unique(a.res, return_inverse=True)
        owner = p.units.owner[a.res]
        f = a.agreement != -1
        var = offset + np.arange(n)
        rows += [
            n_rows + ures,
            n_rows + len(units) + lookup[a.inc],
            n_rows + len(units) + len(pos) + owner[f],
        ]
        cols += [var, var, var[f]]
        rhs += [p.units.quantity[units], need, p.caps[k]]
        n_rows += len(units) + len(pos) + len(p.caps[k])
        sev.append(p.incidents.severity[a.inc])
        mins.append(np.round(a.minutes, 6))
        ub.append(np.minimum(p.units.quantity[a.res], need[lookup[a.inc]]))
        longest = np.zeros(len(units))
        np.maximum.at(longest, ures, mins[-1])
        weight += float((p.units.quantity[units] * longest).sum())
        offset += n
    r, c = np.concatenate(rows), np.concatenate(cols)
    A = coo_matrix((np.ones(len(r)), (r, c)), shape=(n_rows, offset)).tocsr()
    sev, mins, ub = np.concatenate(sev).astype(float), np.concatenate(mins), np.concatenate(ub)
    res = milp(
        mins - weight * sev,
        integrality=np.ones(offset),
        bounds=(np.zeros(offset), ub),
        constraints=[LinearConstraint(A, -np.inf, np.concatenate(rhs).astype(float))],
        options={"mip_rel_gap": 0, "time_limit": 900},
    )
    x = np.rint(res.x)
    return {
        "weighted_coverage": int((x * sev).sum()),
        "unit_minutes": round(float(x @ mins), 6),
        "units_assigned": int(x.sum()),
        "variables": offset,
        "status": res.message,
    }


METHODS = {"optimiser": run_optimiser, "greedy": run_greedy, "scipy_milp": run_scipy_milp}


# --- running and reporting --------------------------------------------------------------


def _worker(method: str, size: str, repeat: int) -> None:
    """Run one method in this (fresh) process; print one JSON line."""
    s = generate(size)
    # Libraries are loaded before the baseline, so that "+MB" is the method's working memory.
    import scipy.optimize  # noqa: F401

    import mutualaid.allocation  # noqa: F401

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = METHODS[method](s)
        times.append(time.perf_counter() - t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "method": method,
                "times": times,
                "median": statistics.median(times),
                "peak_mb": peak / 1024,
                "over_scenario_mb": (peak - base) / 1024,
                "result": result,
            },
            default=str,
        )
    )


def _spawn(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def side_by_side(size: str, repeat: int) -> list[dict]:
    """Run every method on one size and print the table."""
    methods = ["optimiser", "greedy"] + (["scipy_milp"] if size in ("small", "medium") else [])
    results = [_spawn(["--worker", m, "--size", size, "--repeat", str(repeat)]) for m in methods]
    best = results[0]["result"]
    print(f"\nsize {size}: {_describe(generate(size))}")
    print(
        f"{'method':<12}{'median s':>10}{'runs s':>24}{'peak MB':>9}{'+MB':>7}"
        f"{'coverage':>10}{'vs opt':>8}{'unit-minutes':>14}"
    )
    for r in results:
        cov = r["result"]["weighted_coverage"]
        runs = ", ".join(f"{t:.2f}" for t in r["times"])
        print(
            f"{r['method']:<12}{r['median']:>10.3f}{runs:>24}{r['peak_mb']:>9.0f}"
            f"{r['over_scenario_mb']:>7.0f}{cov:>10}{cov / best['weighted_coverage']:>8.2%}"
            f"{r['result']['unit_minutes']:>14.1f}"
        )
    solver = best.get("solver", {})
    print(
        f"optimiser: paths per type {solver.get('types')}, components {solver.get('components')}, "
        f"{solver.get('candidate_pairs')} eligible pairs, {solver.get('lp_rounds')} LP rounds, "
        f"stage seconds {solver.get('seconds')}"
    )
    if len(results) > 2:
        print(f"speed-up over scipy milp: {results[2]['median'] / results[0]['median']:.1f}x")
    return results


def _describe(s: Scenario) -> str:
    units = int(s.resources["quantity"].sum())
    return (
        f"{units} units in {len(s.resources)} records, {len(s.incidents)} incidents, "
        f"{len(s.jurisdictions)} jurisdictions, {len(s.agreements)} agreement rows"
    )


def write_scenario(s: Scenario, folder: Path) -> None:
    """The scenario as the files of a scenario folder (contract, section 3)."""
    folder.mkdir(parents=True, exist_ok=True)
    s.jurisdictions.to_file(folder / "jurisdictions.geojson", driver="GeoJSON")
    inc = s.incidents.drop(columns=["jurisdiction", "lon", "lat"]).copy()
    inc["reported_at"] = inc["reported_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    inc["needs"] = [json.dumps(n) for n in inc["needs"]]
    _write_geojson(inc, folder / "incidents.geojson", json_columns=("needs",))
    res = s.resources.drop(columns=["lon", "lat"])
    _write_geojson(res, folder / "resources.geojson")
    ag = s.agreements.copy()
    ag["resource_types"] = [";".join(t) for t in ag["resource_types"]]
    ag.to_csv(folder / "agreements.csv", index=False)


def _write_geojson(frame: gpd.GeoDataFrame, path: Path, json_columns: tuple[str, ...] = ()) -> None:
    # Written by hand so that ``needs`` is a JSON object (not a string) and NaN is absent.
    feats = []
    props = [c for c in frame.columns if c != "geometry"]
    for row, geom in zip(frame[props].to_dict("records"), frame.geometry):
        p = {}
        for k, v in row.items():
            if isinstance(v, float) and math.isnan(v):
                continue
            p[k] = json.loads(v) if k in json_columns else (v.item() if hasattr(v, "item") else v)
        feats.append(
            {
                "type": "Feature",
                "properties": p,
                "geometry": {"type": "Point", "coordinates": [geom.x, geom.y]},
            }
        )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")


def _end_to_end_worker(folder: str) -> None:
    from mutualaid.allocation import allocate
    from mutualaid.scenario.loading import load_scenario

    t0 = time.perf_counter()
    result = load_scenario(Path(folder))
    t1 = time.perf_counter()
    if not result.ok:
        lines = [line for r in result.reports for line in r.lines()][:20]
        raise SystemExit("scenario rejected:\n" + "\n".join(lines))
    plan = allocate(result.scenario)
    t2 = time.perf_counter()
    text = json.dumps(plan.to_dict())
    (Path(folder) / "plan.json").write_text(text, encoding="utf-8")
    t3 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "read_validate": t1 - t0,
                "solve": t2 - t1,
                "write": t3 - t2,
                "total": t3 - t0,
                "peak_mb": peak,
                "summary": plan.summary,
            }
        )
    )


def end_to_end(size: str, repeat: int) -> None:
    """Files -> load_scenario -> allocate -> plan JSON, timed in fresh processes."""
    s = generate(size)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        write_scenario(s, Path(tmp))
        print(f"wrote {_describe(s)} to GeoJSON in {time.perf_counter() - t:.1f} s")
        runs = [_spawn(["--e2e-worker", tmp]) for _ in range(repeat)]
    med = {
        k: statistics.median(r[k] for r in runs)
        for k in ("read_validate", "solve", "write", "total", "peak_mb")
    }
    print(
        f"end to end ({size}), median of {repeat}: read+validate {med['read_validate']:.2f} s, "
        f"solve {med['solve']:.2f} s, write {med['write']:.2f} s, total {med['total']:.2f} s, "
        f"peak {med['peak_mb']:.0f} MB; totals {[round(r['total'], 2) for r in runs]}"
    )
    sm = runs[0]["summary"]
    print(
        f"plan: coverage {sm['weighted_coverage']} of {sm['weighted_need']}, "
        f"{sm['units_assigned']} of {sm['units_needed']} units, solver {sm['solver']}"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", choices=SIZES, default="medium")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--end-to-end", action="store_true", help="time files -> plan (large by default)"
    )
    ap.add_argument("--worker", choices=METHODS, help=argparse.SUPPRESS)
    ap.add_argument("--e2e-worker", metavar="FOLDER", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        _worker(args.worker, args.size, args.repeat)
    elif args.e2e_worker:
        _end_to_end_worker(args.e2e_worker)
    elif args.end_to_end:
        end_to_end("large" if args.size == "medium" else args.size, args.repeat)
    else:
        side_by_side(args.size, args.repeat)


if __name__ == "__main__":
    main()

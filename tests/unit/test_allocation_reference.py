"""The optimiser against an independent reference, on many small seeded random scenarios.

The reference is built here from the contract's words alone: every resource x incident
pair is a variable of one scipy.optimize.milp model, solved in two stages (maximise
severity-weighted coverage; then minimise unit-minutes with coverage fixed). The plan
must pass an independent feasibility check and match both objective values.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import LinearConstraint, milp
from shapely.geometry import box

from mutualaid import settings
from mutualaid.allocation import REASONS, allocate
from mutualaid.allocation import lp as lp_module
from mutualaid.allocation import solve as solve_module
from mutualaid.scenario.loading import Scenario, load_scenario

TYPES = ("boat", "pump", "helicopter")
SEEDS = range(160)


# --- random scenarios ------------------------------------------------------------------


def _scenario(seed: int) -> Scenario:
    rng = np.random.default_rng(seed)
    n_j = int(rng.integers(2, 5))
    countries = ["DE", "NL", "BE"]
    jid = [f"{countries[n % 3]}-{n}" for n in range(n_j)]
    jur = gpd.GeoDataFrame(
        {
            "id": jid,
            "name": jid,
            "country": [countries[n % 3] for n in range(n_j)],
            "reserve": rng.choice([0.0, 0.0, 0.25, 0.3, 0.5, 0.7, 0.9, 1.0], n_j),
        },
        geometry=[box(6 + 0.5 * n, 50, 6.5 + 0.5 * n, 50.5) for n in range(n_j)],
        crs=4326,
    )
    types = list(TYPES[: int(rng.integers(1, 4))])

    def spot():
        n = int(rng.integers(0, n_j))
        return n, 6 + 0.5 * n + rng.uniform(0.02, 0.48), 50 + rng.uniform(0.02, 0.48)

    res_rows = []
    for r in range(int(rng.integers(2, 10))):
        n, lon, lat = spot()
        owner = (
            jid[n]
            if rng.random() < 0.8
            else (jid[int(rng.integers(0, n_j))] if rng.random() < 0.8 else None)
        )
        res_rows.append(
            {
                "id": f"R{r}",
                "name": f"R{r}",
                "type": str(rng.choice(types)),
                "quantity": int(rng.integers(1, 5)),
                "status": str(rng.choice(["available"] * 8 + ["assigned", "out_of_service"])),
                "jurisdiction": owner,
                "speed_kmh": float(rng.choice([np.nan, np.nan, 45.0, 120.0])),
                "lon": lon,
                "lat": lat,
            }
        )
    inc_rows = []
    for i in range(int(rng.integers(2, 7))):
        n, lon, lat = spot()
        outside = rng.random() < 0.08
        if outside:
            lon, lat = 3.0, 45.0
        needs = {}
        for k in types + ["drone"]:
            if rng.random() < (0.6 if k != "drone" else 0.1):
                needs[k] = int(rng.integers(1, 5))
        inc_rows.append(
            {
                "id": f"I{i}",
                "name": f"I{i}",
                "hazard": "flood",
                "severity": int(rng.integers(1, 6)),
                "status": str(rng.choice(["active"] * 8 + ["contained", "closed"])),
                "reported_at": pd.Timestamp("2024-05-01T10:00", tz="UTC"),
                "needs": needs,
                "max_response_min": float(rng.choice([np.nan, np.nan, 30.0, 60.0, 90.0, 150.0])),
                "jurisdiction": None if outside else jid[n],
                "lon": lon,
                "lat": lat,
            }
        )
    sides = jid + sorted(set(countries[: min(n_j, 3)])) + ["*"]
    ag_rows = []
    for _ in range(int(rng.integers(0, 6))):
        rt = (
            ("*",)
            if rng.random() < 0.4
            else tuple(sorted(set(rng.choice(types, int(rng.integers(1, 3))))))
        )
        ag_rows.append(
            {
                "from": str(rng.choice(sides)),
                "to": str(rng.choice(sides)),
                "resource_types": rt,
                "border_delay_min": float(rng.choice([0.0, 5.0, 10.0, 20.0, 45.0])),
            }
        )
    agreements = pd.DataFrame(ag_rows, columns=["from", "to", "resource_types", "border_delay_min"])
    resources = gpd.GeoDataFrame(
        res_rows,
        geometry=gpd.points_from_xy([r["lon"] for r in res_rows], [r["lat"] for r in res_rows]),
        crs=4326,
    )
    incidents = gpd.GeoDataFrame(
        inc_rows,
        geometry=gpd.points_from_xy([r["lon"] for r in inc_rows], [r["lat"] for r in inc_rows]),
        crs=4326,
    )
    travel = None
    if rng.random() < 0.3:
        pairs = [
            (r["id"], i["id"], float(rng.uniform(5, 120)))
            for r in res_rows
            for i in inc_rows
            if rng.random() < 0.7
        ]
        travel = pd.DataFrame(pairs, columns=["resource_id", "incident_id", "minutes"])
    return Scenario(jur, incidents, resources, agreements, travel, name=f"seed {seed}")


# --- the contract's rules, written again independently ----------------------------------


def _delay(s: Scenario, owner: str, target: str, k: str) -> float | None:
    if owner == target:
        return 0.0
    country = dict(zip(s.jurisdictions["id"], s.jurisdictions["country"]))
    best = None
    for a in s.agreements.to_dict("records"):
        frm, to, types, d = a["from"], a["to"], a["resource_types"], a["border_delay_min"]
        if (
            frm in (owner, country[owner], "*")
            and to in (target, country[target], "*")
            and ("*" in types or k in types)
        ):
            best = d if best is None else min(best, d)
    return best


def _travel(s: Scenario, r: dict, i: dict) -> float | None:
    if s.travel_times is not None:
        m = s.travel_times[
            (s.travel_times.resource_id == r["id"]) & (s.travel_times.incident_id == i["id"])
        ]
        return float(m.minutes.min()) if len(m) else None
    lon1, lat1, lon2, lat2 = map(math.radians, (r["lon"], r["lat"], i["lon"], i["lat"]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    km = 2 * settings.EARTH_RADIUS_KM * math.asin(math.sqrt(h))
    air = r["type"] in settings.AIR_TYPES
    speed = (
        r["speed_kmh"]
        if r["speed_kmh"] == r["speed_kmh"]
        else settings.DEFAULT_SPEED_KMH.get(r["type"], settings.FALLBACK_SPEED_KMH)
    )
    return km * (1.0 if air else settings.ROAD_FACTOR) / speed * 60


def _parts(s: Scenario):
    jids = set(s.jurisdictions["id"])
    res = [
        r
        for r in s.resources.to_dict("records")
        if r["status"] == "available" and r["jurisdiction"] in jids
    ]
    inc = [
        i
        for i in s.incidents.to_dict("records")
        if i["status"] == "active" and i["jurisdiction"] in jids
    ]
    return res, inc


def _minutes(s: Scenario, r: dict, i: dict) -> float | None:
    """Minutes of an eligible pair, None when the pair may not be used."""
    d = _delay(s, r["jurisdiction"], i["jurisdiction"], r["type"])
    if d is None or r["type"] not in i["needs"]:
        return None
    t = _travel(s, r, i)
    if t is None:
        return None
    m = t + d
    if i["max_response_min"] == i["max_response_min"] and m > i["max_response_min"]:
        return None
    return m


def _caps(s: Scenario, res: list[dict]) -> dict[tuple[str, str], int]:
    reserve = dict(zip(s.jurisdictions["id"], s.jurisdictions["reserve"]))
    avail: dict[tuple[str, str], int] = {}
    for r in res:
        avail[(r["jurisdiction"], r["type"])] = (
            avail.get((r["jurisdiction"], r["type"]), 0) + r["quantity"]
        )
    return {key: math.floor((1 - Fraction(str(reserve[key[0]]))) * n) for key, n in avail.items()}


def reference(s: Scenario) -> tuple[int, float]:
    """Optimal (weighted coverage, unit-minutes) by one MILP over all pairs, two stages."""
    res, inc = _parts(s)
    pairs = [(a, b) for a in range(len(res)) for b in range(len(inc))]
    if not pairs:
        return 0, 0.0
    minutes = [_minutes(s, res[a], inc[b]) for a, b in pairs]
    ub = np.array(
        [
            0 if m is None else min(res[a]["quantity"], inc[b]["needs"].get(res[a]["type"], 0))
            for (a, b), m in zip(pairs, minutes)
        ],
        float,
    )
    cost_m = np.array([0.0 if m is None else m for m in minutes])
    sev = np.array([inc[b]["severity"] for _, b in pairs], float)
    rows, rhs = [], []
    for a, r in enumerate(res):
        rows.append([1.0 if p[0] == a else 0.0 for p in pairs])
        rhs.append(r["quantity"])
    for b, i in enumerate(inc):
        for k, n in i["needs"].items():
            rows.append([1.0 if p[1] == b and res[p[0]]["type"] == k else 0.0 for p in pairs])
            rhs.append(n)
    for (h, k), cap in _caps(s, res).items():
        rows.append(
            [
                1.0
                if res[a]["jurisdiction"] == h
                and res[a]["type"] == k
                and inc[b]["jurisdiction"] != h
                else 0.0
                for a, b in pairs
            ]
        )
        rhs.append(cap)
    A = np.array(rows)
    base = LinearConstraint(A, -np.inf, np.array(rhs, float))
    integ = np.ones(len(pairs))
    bounds = (np.zeros(len(pairs)), ub)
    one = milp(
        -sev, integrality=integ, bounds=bounds, constraints=[base], options={"mip_rel_gap": 0}
    )
    assert one.success
    coverage = round(-one.fun)
    two = milp(
        cost_m,
        integrality=integ,
        bounds=bounds,
        constraints=[base, LinearConstraint(sev[None, :], coverage - 0.5, np.inf)],
        options={"mip_rel_gap": 0},
    )
    assert two.success
    return coverage, float(two.fun)


def check_feasible(s: Scenario, plan: dict) -> None:
    """Every rule of the contract's section 2, checked on the plan's JSON."""
    res, inc = _parts(s)
    rmap = {r["id"]: r for r in res}
    imap = {i["id"]: i for i in inc}
    used: dict[str, int] = {}
    got: dict[tuple[str, str], int] = {}
    sent: dict[tuple[str, str], int] = {}
    for a in plan["assignments"]:
        r, i = rmap[a["resource_id"]], imap[a["incident_id"]]  # takes part at all
        assert a["type"] == r["type"] and isinstance(a["units"], int) and a["units"] >= 1
        m = _minutes(s, r, i)
        assert m is not None, f"{a} is not eligible"
        assert a["minutes"] == pytest.approx(m, abs=1e-5)
        assert (
            a["from_jurisdiction"] == r["jurisdiction"]
            and a["to_jurisdiction"] == i["jurisdiction"]
        )
        assert a["cross_border"] == (r["jurisdiction"] != i["jurisdiction"])
        used[r["id"]] = used.get(r["id"], 0) + a["units"]
        got[(i["id"], r["type"])] = got.get((i["id"], r["type"]), 0) + a["units"]
        if a["cross_border"]:
            key = (r["jurisdiction"], r["type"])
            sent[key] = sent.get(key, 0) + a["units"]
    assert all(used[k] <= rmap[k]["quantity"] for k in used)
    assert all(n <= imap[i]["needs"][k] for (i, k), n in got.items())
    caps = _caps(s, res)
    assert all(n <= caps[key] for key, n in sent.items())
    # Summary and unmet needs agree with the assignments.
    summary = plan["summary"]
    assert summary["weighted_coverage"] == sum(
        a["units"] * imap[a["incident_id"]]["severity"] for a in plan["assignments"]
    )
    assert summary["unit_minutes"] == pytest.approx(
        sum(a["units"] * a["minutes"] for a in plan["assignments"]), abs=1e-6
    )
    assert summary["units_assigned"] == sum(a["units"] for a in plan["assignments"])
    assert summary["units_needed"] == sum(sum(i["needs"].values()) for i in inc)
    unmet = {(u["incident_id"], u["type"]): u for u in plan["unmet"]}
    for i in inc:
        for k, n in i["needs"].items():
            short = n - got.get((i["id"], k), 0)
            if short:
                assert unmet[(i["id"], k)]["units"] == short
                assert unmet[(i["id"], k)]["reason"] in REASONS
            else:
                assert (i["id"], k) not in unmet
    _check_reasons(s, plan, res, inc)


def _check_reasons(s: Scenario, plan: dict, res: list[dict], inc: list[dict]) -> None:
    """The first three reasons follow from the data alone: check them independently.

    They concern the units other than those already serving the incident."""
    imap = {i["id"]: i for i in inc}
    for u in plan["unmet"]:
        i, k = imap[u["incident_id"]], u["type"]
        got = sum(
            a["units"]
            for a in plan["assignments"]
            if a["incident_id"] == i["id"] and a["type"] == k
        )
        of_type = [r for r in res if r["type"] == k]
        allowed = [
            r for r in of_type if _delay(s, r["jurisdiction"], i["jurisdiction"], k) is not None
        ]
        reachable = [r for r in allowed if _minutes(s, r, i) is not None]
        units = [sum(r["quantity"] for r in rs) - got for rs in (of_type, allowed, reachable)]
        expected = (
            "no units of that type"
            if units[0] <= 0
            else "no agreement"
            if units[1] <= 0
            else "beyond the maximum response time"
            if units[2] <= 0
            else None
        )
        if expected:
            assert u["reason"] == expected
        else:
            assert u["reason"] in ("reserve limit", "outcompeted by more severe incidents")


# --- the tests --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_plan_is_feasible_and_optimal(seed):
    s = _scenario(seed)
    plan = allocate(s).to_dict()
    check_feasible(s, plan)
    coverage, unit_minutes = reference(s)
    assert plan["summary"]["weighted_coverage"] == coverage
    assert plan["summary"]["unit_minutes"] == pytest.approx(unit_minutes, rel=1e-7, abs=1e-4)


def test_the_seeds_exercise_every_path_and_reason():
    """The random scenarios above are only worth something if they reach the hard cases."""
    paths, reasons, travel_tables = set(), set(), 0
    for seed in SEEDS:
        s = _scenario(seed)
        plan = allocate(s).to_dict()
        paths |= {p for p, n in plan["summary"]["solver"]["types"].items() if n}
        reasons |= {u["reason"] for u in plan["unmet"]}
        travel_tables += s.travel_times is not None
    assert {"flow", "lp"} <= paths
    assert reasons == set(REASONS)
    assert travel_tables >= 20


@pytest.mark.parametrize("seed", [s for s in SEEDS if s % 4 == 0])
def test_milp_fallback_gives_the_same_optimum(seed, monkeypatch):
    """Force the path taken when an LP optimum is fractional: the MILP must agree."""
    monkeypatch.setattr(
        solve_module, "solve_lp", lambda comp, first: lp_module.LPOutcome(None, 0, 0)
    )
    s = _scenario(seed)
    plan = allocate(s).to_dict()
    check_feasible(s, plan)
    coverage, unit_minutes = reference(s)
    assert plan["summary"]["weighted_coverage"] == coverage
    assert plan["summary"]["unit_minutes"] == pytest.approx(unit_minutes, rel=1e-7, abs=1e-4)


# --- LP optima that are not whole numbers ----------------------------------------------------


def _five_cycle(*, with_second_boat: bool) -> Scenario:
    """Three boats, three incidents and a reserve making a 5-cycle in the constraint
    matrix (determinant 2): its LP optimum is half-integral.

    DE-0 owns r1 and r4 (reserve 0.5: one of its two boats may leave), NL-1 owns r2.
    Pairs (minutes): r1-i1 10, r2-i1 10, r2-i2 100, r4-i2 100, r1-i3 10. Without r6 the LP
    covers 2.5 incidents, any integer plan 2 (the MILP must solve it all). With r6 (NL-1,
    r6-i3 100) both cover all three, but the LP's minutes (165) beat every integer plan's
    (210): the integer optimum lies on the coverage-optimal face only.
    """
    jid = ["DE-0", "NL-1"]
    jur = gpd.GeoDataFrame(
        {"id": jid, "name": jid, "country": ["DE", "NL"], "reserve": [0.5, 0.0]},
        geometry=[box(6, 50, 6.5, 50.5), box(6.5, 50, 7, 50.5)],
        crs=4326,
    )
    owners = {"r1": "DE-0", "r4": "DE-0", "r2": "NL-1"} | (
        {"r6": "NL-1"} if with_second_boat else {}
    )
    res = pd.DataFrame(
        {
            "id": list(owners),
            "name": list(owners),
            "type": "boat",
            "quantity": 1,
            "status": "available",
            "jurisdiction": list(owners.values()),
            "speed_kmh": np.nan,
            "lon": 6.5,
            "lat": 50.25,
        }
    )
    inc = pd.DataFrame(
        {
            "id": ["i1", "i2", "i3"],
            "name": ["i1", "i2", "i3"],
            "hazard": "flood",
            "severity": 3,
            "status": "active",
            "reported_at": pd.Timestamp("2024-05-01T10:00", tz="UTC"),
            "needs": [{"boat": 1}] * 3,
            "max_response_min": np.nan,
            "jurisdiction": ["DE-0", "NL-1", "NL-1"],
            "lon": [6.2, 6.8, 6.8],
            "lat": 50.25,
        }
    )
    pairs = [
        ("r1", "i1", 10),
        ("r2", "i1", 10),
        ("r2", "i2", 100),
        ("r4", "i2", 100),
        ("r1", "i3", 10),
    ]
    if with_second_boat:
        pairs.append(("r6", "i3", 100))
    return Scenario(
        jur,
        gpd.GeoDataFrame(inc, geometry=gpd.points_from_xy(inc.lon, inc.lat), crs=4326),
        gpd.GeoDataFrame(res, geometry=gpd.points_from_xy(res.lon, res.lat), crs=4326),
        pd.DataFrame(
            {"from": ["*"], "to": ["*"], "resource_types": [("*",)], "border_delay_min": [0.0]}
        ),
        pd.DataFrame(pairs, columns=["resource_id", "incident_id", "minutes"]),
    )


@pytest.mark.parametrize(
    ("with_second_boat", "path", "coverage", "minutes"),
    [(False, "milp_full", 6, 20.0), (True, "milp_face1", 9, 210.0)],
)
def test_fractional_lp_optimum_is_resolved_by_the_milp(with_second_boat, path, coverage, minutes):
    s = _five_cycle(with_second_boat=with_second_boat)
    plan = allocate(s).to_dict()
    assert plan["summary"]["solver"]["components"].get(path) == 1
    check_feasible(s, plan)
    assert reference(s) == (coverage, pytest.approx(minutes))
    assert plan["summary"]["weighted_coverage"] == coverage
    assert plan["summary"]["unit_minutes"] == pytest.approx(minutes)


# --- the shipped sample scenarios ----------------------------------------------------------


def reference_sparse(s: Scenario) -> tuple[int, float]:
    """The same two-stage MILP as :func:`reference`, over the eligible pairs only and with
    sparse rows, so that it stays quick on the sample scenarios (hundreds of resources)."""
    from scipy.sparse import coo_matrix

    res, inc = _parts(s)
    pairs, minutes = [], []
    for a, r in enumerate(res):
        for b, i in enumerate(inc):
            m = _minutes(s, r, i)
            if m is not None:
                pairs.append((a, b))
                minutes.append(m)
    if not pairs:
        return 0, 0.0
    n = len(pairs)
    ub = np.array(
        [min(res[a]["quantity"], inc[b]["needs"][res[a]["type"]]) for a, b in pairs], float
    )
    sev = np.array([inc[b]["severity"] for _, b in pairs], float)
    row_of: dict[tuple, int] = {}
    rhs: list[float] = []
    entries: list[tuple[int, int]] = []

    def row(key, bound) -> int:
        if key not in row_of:
            row_of[key] = len(rhs)
            rhs.append(bound)
        return row_of[key]

    caps = _caps(s, res)
    for col, (a, b) in enumerate(pairs):
        r, i = res[a], inc[b]
        entries.append((row(("resource", a), r["quantity"]), col))
        entries.append((row(("need", b, r["type"]), i["needs"][r["type"]]), col))
        if r["jurisdiction"] != i["jurisdiction"]:
            key = (r["jurisdiction"], r["type"])
            entries.append((row(("cap",) + key, caps[key]), col))
    rows, cols = zip(*entries)
    A = coo_matrix((np.ones(len(entries)), (rows, cols)), shape=(len(rhs), n)).tocsr()
    base = LinearConstraint(A, -np.inf, np.array(rhs, float))
    integ, bounds = np.ones(n), (np.zeros(n), ub)
    one = milp(
        -sev, integrality=integ, bounds=bounds, constraints=[base], options={"mip_rel_gap": 0}
    )
    assert one.success
    coverage = round(-one.fun)
    two = milp(
        np.array(minutes),
        integrality=integ,
        bounds=bounds,
        constraints=[base, LinearConstraint(sev[None, :], coverage - 0.5, np.inf)],
        options={"mip_rel_gap": 0},
    )
    assert two.success
    return coverage, float(two.fun)


@pytest.mark.parametrize("seed", [3, 17, 42])
def test_sparse_reference_agrees_with_the_dense_one(seed):
    s = _scenario(seed)
    coverage, unit_minutes = reference(s)
    assert reference_sparse(s) == (coverage, pytest.approx(unit_minutes, rel=1e-9, abs=1e-6))


SAMPLES = sorted(
    p
    for p in (Path(__file__).resolve().parents[2] / "data").iterdir()
    if (p / "jurisdictions.geojson").is_file()
)


@pytest.mark.parametrize("folder", SAMPLES, ids=lambda p: p.name)
def test_sample_scenario_plan_is_feasible_and_optimal(folder):
    result = load_scenario(folder)
    assert result.ok, [line for r in result.reports for line in r.lines()]
    s = result.scenario
    plan = allocate(s).to_dict()
    check_feasible(s, plan)
    coverage, unit_minutes = reference_sparse(s)
    assert plan["summary"]["weighted_coverage"] == coverage
    assert plan["summary"]["unit_minutes"] == pytest.approx(unit_minutes, rel=1e-7, abs=1e-4)
    assert plan["assignments"], "the sample should need some help"

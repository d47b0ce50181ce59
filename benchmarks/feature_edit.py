"""Feature-edit benchmark (issue 12): one incident or resource changed in the app, in a
50,000-incident scenario, on both backends.

Usage::

    python benchmarks/feature_edit.py                     # 50,000 incidents, 24 edits
    python benchmarks/feature_edit.py --incidents 5000 --edits 20
    eval "$(scripts/postgres.sh)"                         # first, to include PostgreSQL

The scenario is the generator of ``benchmarks/map.py`` (``--incidents`` incidents and
``--resources`` resources inside the 101 Rhine jurisdictions), read and checked once
(:func:`mutualaid.scenario.loading.load_scenario`), then stored whole
(:func:`mutualaid.store.layer_store.save_scenario`) on a fresh database of each backend:
SQLite (a file in a temporary folder) and PostgreSQL + PostGIS (a database of its own
from the template ``mutualaid_template`` on the server ``MUTUALAID_TEST_PG_URL`` names,
dropped afterwards; skipped with a note without it), as ``benchmarks/store.py`` does.

Measured: ``--edits`` (24) calls of :func:`mutualaid.store.layer_store.edit_feature`, each
by a planner of the feature's jurisdiction, against the version the page would show
(``expected_version`` and ``expected_edit``), in turn: an incident contained, its severity
changed, its needs changed, a resource out of service, back in service, one more unit. Each
one is stored (a ``feature_edits`` row, the ``units`` row for a resource, its audit row)
and re-checked (the right, the feature's fields by its layer's validator, the units held)
in one transaction; the time is the call's wall time. Then
:func:`mutualaid.store.layer_store.load_stored_scenario` reads the scenario back with the
edits applied (the page's re-read after a change, not part of the edit) and every edit is
checked to be in it. The target is 0.3 s per edit (issue 12).

Measured on the project's 2-core machine (shared with four other workers; load average
about 4-5), 2026-12-07, defaults (50,000 incidents, 2,000 resources, 24 edits per backend):

==========  =====  =======  =======  =======  ==========================
backend     edits  median   p90      max      load_stored_scenario after
==========  =====  =======  =======  =======  ==========================
sqlite      24     0.045 s  0.083 s  0.641 s  3.57 s
postgresql  24     0.068 s  0.190 s  0.312 s  3.54 s
==========  =====  =======  =======  =======  ==========================

Target met on both (median and p90 under 0.3 s; the max is one edit slowed by the other
workers). A profile of one edit (about 40 ms on either backend on a quiet moment): the
feature's validator on its one row about 19 ms, finding its row among the version's
50,000 about 10 ms (the ``layer_features`` index is on the version only), the rest the
transaction's few statements. The re-read after an edit is the whole scenario read and
checked again, as after any new version (``benchmarks/store.py``: 2.3 s / 1.8 s on a
quieter machine); each page pays it once per change, then the cache serves it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

PG_ENV = "MUTUALAID_TEST_PG_URL"
SEED = 2021
TARGET_S = 0.3


def _bench(name: str):
    spec = importlib.util.spec_from_file_location(
        f"bench_{name}", ROOT / "benchmarks" / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _changes(n: int, row: dict) -> dict:
    """The change of edit number *n* of the cycle, for the feature *row*."""
    step = n % 6
    if step == 0:
        return {"status": "contained" if row["status"] != "contained" else "active"}
    if step == 1:
        return {"severity": 1 + int(row["severity"]) % 5}
    if step == 2:
        return {"needs": {"boat": 3, "pump": 1 + n % 4}}
    if step == 3:
        return {"status": "out_of_service"}
    if step == 4:
        return {"status": "available"}
    return {"quantity": int(row["quantity"]) + 1}


def run_backend(backend: str, scenario, *, edits: int, loads: int, tmp: Path) -> dict:
    import random

    from mutualaid.access.actor import Actor, system_actor
    from mutualaid.store.layer_store import (
        current_versions,
        edit_feature,
        load_stored_scenario,
        save_scenario,
    )

    rng = random.Random(SEED)
    with _bench("store").fresh_store(backend, tmp) as store:
        t = time.perf_counter()
        save_scenario(store, scenario, name="big", sources={}, actor=system_actor("benchmark"))
        save_s = time.perf_counter() - t
        incidents = scenario.incidents[scenario.incidents["jurisdiction"].notna()]
        incident_rows = incidents.sample(n=edits, random_state=SEED).to_dict("records")
        resource_rows = rng.sample(scenario.resources.to_dict("records"), edits // 6 + 1)
        times: list[float] = []
        expected: dict[tuple[str, str], dict] = {}
        for n in range(edits):
            kind = "incidents" if n % 6 < 3 else "resources"
            if kind == "incidents":
                row = incident_rows[n]
            else:
                # out of service, back, one more unit: one resource per cycle
                row = resource_rows[n // 6]
            changes = _changes(n, row)
            shown = current_versions(store, "big")[kind]  # what the page showed
            actor = Actor(f"planner-{row['jurisdiction']}", "planner", row["jurisdiction"])
            t = time.perf_counter()
            edit = edit_feature(
                store,
                "big",
                kind=kind,
                feature_id=row["id"],
                changes=changes,
                actor=actor,
                expected_version=shown.version,
                expected_edit=shown.edit,
            )
            times.append(time.perf_counter() - t)
            assert edit.changed, (kind, row["id"], changes)
            expected.setdefault((kind, row["id"]), {}).update(changes)
        load_times = []
        for _ in range(loads):
            t = time.perf_counter()
            back = load_stored_scenario(store, "big")
            load_times.append(time.perf_counter() - t)
        for (kind, fid), changes in expected.items():
            got = getattr(back.scenario, kind).set_index("id").loc[fid]
            for field, value in changes.items():
                assert got[field] == value, (kind, fid, field, got[field], value)
    return {"save": save_s, "edits": times, "loads": load_times}


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=50_000)
    parser.add_argument("--resources", type=int, default=2_000)
    parser.add_argument("--edits", type=int, default=24, help="edits per backend (>= 20)")
    parser.add_argument("--loads", type=int, default=2, help="load_stored_scenario reads after")
    args = parser.parse_args(argv)
    from mutualaid.scenario.loading import load_scenario

    backends = ["sqlite"] + (["postgresql"] if os.environ.get(PG_ENV) else [])
    results = {}
    with tempfile.TemporaryDirectory(prefix="mutualaid-edit-bench-") as tmp:
        folder = _bench("map").write_scenario(
            Path(tmp) / "big", incidents=args.incidents, resources=args.resources, seed=SEED
        )
        loaded = load_scenario(folder)
        if loaded.scenario is None:
            raise SystemExit(f"the generated scenario was refused: {loaded.reports}")
        for backend in backends:
            results[backend] = run_backend(
                backend, loaded.scenario, edits=args.edits, loads=args.loads, tmp=Path(tmp)
            )
    size = f"{args.incidents:,} incidents, {args.resources:,} resources"
    print(f"feature edits in a scenario of {size}; target {TARGET_S} s per edit")
    header = (
        f"{'backend':<11} {'edits':>5} {'median':>8} {'p90':>8} {'max':>8}  "
        f"{'target':<7} {'load after':>10} {'first save':>10}"
    )
    print(header)
    print("-" * len(header))
    for backend, r in results.items():
        e = r["edits"]
        verdict = "met" if _p90(e) < TARGET_S else "MISSED"
        print(
            f"{backend:<11} {len(e):>5} {statistics.median(e):>7.3f}s {_p90(e):>7.3f}s "
            f"{max(e):>7.3f}s  {verdict:<7} {statistics.median(r['loads']):>9.2f}s "
            f"{r['save']:>9.2f}s"
        )
    if PG_ENV not in os.environ:
        print(f'PostgreSQL skipped: {PG_ENV} is not set (run: eval "$(scripts/postgres.sh)")')
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

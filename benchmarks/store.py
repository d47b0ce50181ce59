"""Store benchmark: layers, concurrent commits and audit verification on both backends.

Usage::

    python benchmarks/store.py                          # 50,000 incidents, 3 repeats
    python benchmarks/store.py --incidents 2000 --repeat 1
    eval "$(scripts/postgres.sh)"                       # first, to include PostgreSQL

Backends: SQLite (a file in a temporary folder; WAL, ``synchronous=FULL``) and
PostgreSQL + PostGIS (a new database from the template ``mutualaid_template`` on the
server ``MUTUALAID_TEST_PG_URL`` names, dropped afterwards). Without that variable the
PostgreSQL rows are skipped with a note. Every repeat gets a fresh database with the
schema created (:func:`mutualaid.store.migrate.upgrade`, not timed).

Measured, medians of ``--repeat`` (3):

* **save_scenario**: a seeded scenario of ``--incidents`` (50,000) incidents and
  ``--resources`` (2,000) resources drawn inside the 101 Rhine jurisdictions of
  ``data/rhine-flood-2021`` (the generator of ``benchmarks/map.py``, as
  ``tests/store/test_durability_layers.py`` uses it), stored whole as one audited
  transaction into an empty database.
* **load_stored_scenario**: the same scenario read back and checked again (canonical).
* **save_layer merge 1 incident**: one new incident merged into the stored incidents
  layer (the whole layer is checked and stored as a new version).
* **50 threads commit**: 50 proposed offers of one provider, whose lines overlap on
  5 resources of 3 units each (seeded directly, as ``tests/store/test_concurrency.py``
  does), committed by 50 threads started together (a barrier) with
  :func:`mutualaid.store.workflow.commit_offer`; wall time until all 50 have finished.
  The notes give committed / refused and the invariant check (no resource has more
  committed than its quantity; each holds exactly what the committed offers hold).
* **audit verify**: :func:`mutualaid.store.audit.verify` over ``--audit-rows``
  (10,000) rows appended with :func:`mutualaid.store.audit.record` in transactions of
  500 rows.

The layer measurements for one backend run in their own process (the scenario is
generated once and read by each), so the peak memory (``ru_maxrss``) in the notes is
theirs alone; commits and audit run in a process each too.

Measured on the project's 2-core machine (shared; the load average was about 2.7 when
it started), defaults, medians of 3 (SQLite / PostgreSQL):

* save_scenario 50,000 + 2,000: 2.4 s / 3.0 s, peak about 480 MB;
  load_stored_scenario: 2.3 s / 1.8 s; save_layer merging one incident: 4.0 s / 4.7 s
  (it reads and checks the whole scenario and stores the whole layer as a new version,
  so it costs more than the first save).
* 50 threads committing overlapping offers: 0.25 s / 0.40 s for all 50; 3-6 committed,
  the rest refused (UnitsTaken); committed <= quantity and exact on every run.
* audit verify of 10,000 rows: 0.12 s / 0.14 s (appending them: 4.8 s / 9.5 s).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import sqlalchemy as sa

PG_ENV = "MUTUALAID_TEST_PG_URL"
TEMPLATE = "mutualaid_template"
BACKENDS = ("sqlite", "postgresql")
SEED = 2021
WORKERS = 50
RESOURCES = {f"R-{n}": 3 for n in range(5)}  # the contended resources: 5 x 3 boats
AUDIT_BATCH = 500
T0 = datetime(2021, 7, 14, 20, 0, tzinfo=UTC)


# --- fresh databases ------------------------------------------------------------------------


@contextmanager
def fresh_store(backend: str, tmp: Path) -> Iterator:
    """An open store on a new, empty database of *backend* with the schema created;
    the database is removed afterwards."""
    from mutualaid.store import open_store
    from mutualaid.store.migrate import upgrade

    admin = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp / f'store-{uuid.uuid4().hex[:8]}.sqlite'}"
    else:
        admin = sa.create_engine(os.environ[PG_ENV], isolation_level="AUTOCOMMIT")
        name = f"mutualaid_bench_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE {TEMPLATE}')
        url = admin.url.set(database=name).render_as_string(hide_password=False)
    store = open_store(url)
    try:
        upgrade(store)
        yield store
    finally:
        store.dispose()
        if admin is not None:
            with admin.connect() as connection:
                connection.exec_driver_sql(
                    f'DROP DATABASE IF EXISTS "{sa.engine.make_url(url).database}" WITH (FORCE)'
                )
            admin.dispose()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- 1. layers ------------------------------------------------------------------------------


def _map_bench():
    spec = importlib.util.spec_from_file_location("bench_map", ROOT / "benchmarks" / "map.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def layers_worker(backend: str, folder: Path, repeat: int) -> dict:
    """save_scenario, load_stored_scenario and save_layer (merge one incident), each
    repeat on a fresh database."""
    from mutualaid.access.actor import system_actor
    from mutualaid.scenario.loading import load_scenario
    from mutualaid.store.layer_store import load_stored_scenario, save_layer, save_scenario

    result = load_scenario(folder)
    if result.scenario is None:
        raise SystemExit(f"the generated scenario was refused: {result.reports}")
    scenario = result.scenario
    actor = system_actor("benchmark")
    sources = {
        k: p.name
        for k in ("jurisdictions", "incidents", "resources", "agreements")
        for p in folder.glob(f"{k}.*")
    }
    extra = scenario.incidents.iloc[[0]].copy().reset_index(drop=True)
    extra.loc[0, "id"] = "I-NEW-1"
    extra.loc[0, "name"] = "A new incident"
    base = _peak_mb()
    times: dict[str, list[float]] = {"save": [], "load": [], "merge": []}
    with tempfile.TemporaryDirectory(prefix="mutualaid-store-bench-") as tmp:
        for _ in range(repeat):
            with fresh_store(backend, Path(tmp)) as store:
                t = time.perf_counter()
                save_scenario(store, scenario, name="big", sources=sources, actor=actor)
                times["save"].append(time.perf_counter() - t)
                t = time.perf_counter()
                loaded = load_stored_scenario(store, "big")
                times["load"].append(time.perf_counter() - t)
                assert len(loaded.scenario.incidents) == len(scenario.incidents)
                t = time.perf_counter()
                merged = save_layer(
                    store,
                    scenario_name="big",
                    kind="incidents",
                    frame=extra,
                    mode="merge",
                    source="one.geojson",
                    format="geojson",
                    actor=actor,
                )
                times["merge"].append(time.perf_counter() - t)
                assert len(merged.scenario.incidents) == len(scenario.incidents) + 1
    return {
        "times": times,
        "incidents": len(scenario.incidents),
        "resources": len(scenario.resources),
        "peak_mb": _peak_mb(),
        "over_scenario_mb": _peak_mb() - base,
    }


# --- 2. concurrent commits --------------------------------------------------------------------


def overlapping_lines(seed: int) -> list[list[tuple[str, int]]]:
    """Per offer, 1-2 units of each of 2-3 of the contended resources."""
    rng = random.Random(seed)
    return [
        [
            (rid, rng.randint(1, 2))
            for rid in sorted(rng.sample(sorted(RESOURCES), rng.randint(2, 3)))
        ]
        for _ in range(WORKERS)
    ]


def seed_offers(store, lines_per_offer: list[list[tuple[str, int]]]) -> tuple[int, list[int]]:
    """The resources, one request of NL-B and one proposed offer of DE-A per entry,
    written directly (as tests/store/test_concurrency.py does)."""
    from mutualaid.store import audit
    from mutualaid.store.tables import (
        offer_lines,
        offers,
        plans,
        requests,
        scenarios,
        units,
    )

    with store.transaction() as connection:
        scenario_id = connection.execute(
            scenarios.insert()
            .values(name="race", created_at=T0, created_by="bench")
            .returning(scenarios.c.id)
        ).scalar_one()
        connection.execute(
            units.insert(),
            [
                {
                    "scenario_id": scenario_id,
                    "resource_id": rid,
                    "type": "boat",
                    "jurisdiction": "DE-A",
                    "quantity": q,
                    "committed": 0,
                    "version": 1,
                }
                for rid, q in RESOURCES.items()
            ],
        )
        request_id = connection.execute(
            requests.insert()
            .values(
                scenario_id=scenario_id,
                jurisdiction="NL-B",
                state="open",
                note="",
                version=1,
                created_by="bob",
                created_at=T0,
                updated_by="bob",
                updated_at=T0,
            )
            .returning(requests.c.id)
        ).scalar_one()
        plan_id = connection.execute(
            plans.insert()
            .values(
                scenario_id=scenario_id,
                layer_versions="{}",
                body="{}",
                computed_by="bench",
                computed_at=T0,
            )
            .returning(plans.c.id)
        ).scalar_one()
        ids = []
        for lines in lines_per_offer:
            offer_id = connection.execute(
                offers.insert()
                .values(
                    scenario_id=scenario_id,
                    plan_id=plan_id,
                    request_id=request_id,
                    provider="DE-A",
                    requester="NL-B",
                    state="proposed",
                    version=1,
                    created_at=T0,
                    updated_by="bench",
                    updated_at=T0,
                )
                .returning(offers.c.id)
            ).scalar_one()
            connection.execute(
                offer_lines.insert(),
                [
                    {
                        "offer_id": offer_id,
                        "resource_id": rid,
                        "incident_id": "I-1",
                        "type": "boat",
                        "units": n,
                        "minutes": 30.0,
                    }
                    for rid, n in lines
                ],
            )
            ids.append(offer_id)
        audit.record(
            connection,
            actor="bench",
            action="scenario.loaded",
            subject="scenario race",
            after={"units": RESOURCES},
            now=T0,
        )
    return scenario_id, ids


def race(store, offer_ids: list[int]) -> tuple[float, list[str]]:
    """50 threads commit one offer each, started together; wall time and outcomes."""
    from mutualaid.access.actor import Actor
    from mutualaid.store import workflow

    barrier = threading.Barrier(len(offer_ids) + 1)
    outcomes: list[str] = ["not run"] * len(offer_ids)

    def work(n: int) -> None:
        barrier.wait()
        try:
            workflow.commit_offer(
                store, offer_ids[n], actor=Actor(f"c{n:02d}", "coordinator", "DE-A")
            )
            outcomes[n] = "ok"
        except workflow.UnitsTaken:
            outcomes[n] = "taken"
        except Exception as exc:  # noqa: BLE001 - counted and shown in the notes
            outcomes[n] = f"error {type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(offer_ids))]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - start, outcomes


def commit_worker(backend: str, repeat: int) -> dict:
    from mutualaid.store import audit
    from mutualaid.store.tables import offers, units

    runs = []
    with tempfile.TemporaryDirectory(prefix="mutualaid-store-bench-") as tmp:
        for r in range(repeat):
            lines = overlapping_lines(seed=5 + r)
            with fresh_store(backend, Path(tmp)) as store:
                scenario_id, offer_ids = seed_offers(store, lines)
                seconds, outcomes = race(store, offer_ids)
                with store.reading() as connection:
                    held = {
                        row.resource_id: (row.quantity, row.committed)
                        for row in connection.execute(
                            sa.select(units).where(units.c.scenario_id == scenario_id)
                        )
                    }
                    states = dict(connection.execute(sa.select(offers.c.id, offers.c.state)).all())
                    chain = audit.verify(connection)
            expected = dict.fromkeys(RESOURCES, 0)
            for n, offer_id in enumerate(offer_ids):
                if states[offer_id] == "committed":
                    for rid, k in lines[n]:
                        expected[rid] += k
            runs.append(
                {
                    "seconds": seconds,
                    "ok": outcomes.count("ok"),
                    "taken": outcomes.count("taken"),
                    "errors": [o for o in outcomes if o.startswith("error")][:3],
                    "within_quantity": all(c <= q for q, c in held.values()),
                    "exact": {rid: c for rid, (_, c) in held.items()} == expected,
                    "committed_units": sum(c for _, c in held.values()),
                    "quantity": sum(q for q, _ in held.values()),
                    "states_match": sum(s == "committed" for s in states.values())
                    == outcomes.count("ok"),
                    "audit_ok": chain.ok,
                }
            )
    return {"runs": runs}


# --- 3. audit verify --------------------------------------------------------------------------


def audit_worker(backend: str, repeat: int, rows: int) -> dict:
    from mutualaid.store import audit

    verify_times, append_times = [], []
    with tempfile.TemporaryDirectory(prefix="mutualaid-store-bench-") as tmp:
        for _ in range(repeat):
            with fresh_store(backend, Path(tmp)) as store:
                t = time.perf_counter()
                for start in range(0, rows, AUDIT_BATCH):
                    with store.transaction() as connection:
                        for n in range(start, min(rows, start + AUDIT_BATCH)):
                            audit.record(
                                connection,
                                actor=f"c{n % 50:02d}",
                                action="offer.committed",
                                subject=f"offer {n}",
                                before={"state": "proposed", "version": 1},
                                after={
                                    "state": "committed",
                                    "version": 2,
                                    "lines": [["R-1", 2], ["R-3", 1]],
                                },
                            )
                append_times.append(time.perf_counter() - t)
                t = time.perf_counter()
                with store.reading() as connection:
                    check = audit.verify(connection)
                verify_times.append(time.perf_counter() - t)
                assert check.ok and check.rows == rows, check
    return {"verify": verify_times, "append": append_times}


# --- running and reporting ---------------------------------------------------------------------


def _spawn(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _s(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} s"


def _spread(values: list[float]) -> str:
    return "runs " + ", ".join(f"{v:.2f}" for v in values)


def measure(args: argparse.Namespace) -> int:
    backends = ["sqlite"]
    notes_before: list[str] = []
    if os.environ.get(PG_ENV):
        backends.append("postgresql")
    else:
        notes_before.append(
            f'PostgreSQL skipped: {PG_ENV} is not set (run: eval "$(scripts/postgres.sh)")'
        )
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="mutualaid-store-bench-") as tmp:
        folder = _map_bench().write_scenario(
            Path(tmp) / "big", incidents=args.incidents, resources=args.resources, seed=SEED
        )
        for backend in backends:
            r = _spawn(
                [
                    "--worker",
                    "layers",
                    "--backend",
                    backend,
                    "--folder",
                    str(folder),
                    "--repeat",
                    str(args.repeat),
                ]
            )
            t = r["times"]
            size = f"{r['incidents']:,} inc + {r['resources']:,} res"
            memory = (
                f"peak {r['peak_mb']:.0f} MB (+{r['over_scenario_mb']:.0f} MB over "
                f"the loaded scenario)"
            )
            merged = f"new incidents version of {r['incidents'] + 1:,}"
            rows.append(
                ("save_scenario", backend, _s(t["save"]), f"{size}; {_spread(t['save'])}; {memory}")
            )
            rows.append(
                ("load_stored_scenario", backend, _s(t["load"]), f"{size}; {_spread(t['load'])}")
            )
            rows.append(
                (
                    "save_layer merge 1 incident",
                    backend,
                    _s(t["merge"]),
                    f"{merged}; {_spread(t['merge'])}",
                )
            )
    for backend in backends:
        r = _spawn(["--worker", "commit", "--backend", backend, "--repeat", str(args.repeat)])
        runs = r["runs"]
        invariant = all(
            x["within_quantity"] and x["exact"] and x["states_match"] and x["audit_ok"]
            for x in runs
        )
        errors = sum(len(x["errors"]) for x in runs)
        outcome = ", ".join(f"{x['ok']}/{x['taken']}" for x in runs)
        used = ", ".join(f"{x['committed_units']}" for x in runs)
        seconds = [x["seconds"] for x in runs]
        notes = (
            f"{_spread(seconds)}; committed/refused {outcome}; units committed {used} of "
            f"{runs[0]['quantity']}; invariant committed <= quantity and exact: "
            f"{'held' if invariant else 'BROKEN'}"
        )
        if errors:
            notes += f"; {errors} errors, e.g. {runs[0]['errors'] or runs[-1]['errors']}"
        rows.append((f"{WORKERS} threads commit (overlapping)", backend, _s(seconds), notes))
    for backend in backends:
        r = _spawn(
            [
                "--worker",
                "audit",
                "--backend",
                backend,
                "--repeat",
                str(args.repeat),
                "--audit-rows",
                str(args.audit_rows),
            ]
        )
        rows.append(
            (
                f"audit verify {args.audit_rows:,} rows",
                backend,
                _s(r["verify"]),
                (
                    f"{_spread(r['verify'])}; appending them took {_s(r['append'])} "
                    f"({AUDIT_BATCH} per transaction)"
                ),
            )
        )

    print(f"Store benchmark, medians of {args.repeat}")
    for note in notes_before:
        print(note)
    header = ("what", "backend", "median", "notes")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header[:3])]
    print(f"{header[0]:<{widths[0]}}  {header[1]:<{widths[1]}}  {header[2]:>{widths[2]}}  notes")
    for what, backend, median, notes in rows:
        print(f"{what:<{widths[0]}}  {backend:<{widths[1]}}  {median:>{widths[2]}}  {notes}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--incidents", type=int, default=50_000)
    parser.add_argument("--resources", type=int, default=2_000)
    parser.add_argument("--audit-rows", type=int, default=10_000)
    parser.add_argument("--worker", choices=("layers", "commit", "audit"), help=argparse.SUPPRESS)
    parser.add_argument("--backend", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "layers":
        out = layers_worker(args.backend, Path(args.folder), args.repeat)
    elif args.worker == "commit":
        out = commit_worker(args.backend, args.repeat)
    elif args.worker == "audit":
        out = audit_worker(args.backend, args.repeat, args.audit_rows)
    else:
        return measure(args)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

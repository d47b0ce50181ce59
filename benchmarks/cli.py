"""How long the ``mutualaid`` command takes, end to end, in fresh processes (issue 11).

Usage::

    python benchmarks/cli.py              # 7 runs of each case
    python benchmarks/cli.py --runs 11

Cases, each a new ``python -m mutualaid.cli.main`` process timed from start to exit:

=========================  ========================================================  ======
case                       command                                                   target
=========================  ========================================================  ======
help                       ``mutualaid --help``                                      0.3 s
validate 10 features       ``mutualaid validate resources.geojson --kind resources``   1 s
                           (10 resources, generated)
allocate medium            ``mutualaid allocate SCENARIO --out plan.json``           1.5 s
                           (the medium scenario of ``benchmarks/allocation.py``:
                           5,000 units in 2,656 records, 1,000 incidents)
=========================  ========================================================  ======

The inputs are generated once into a temporary folder (seeded, so every run sees the same
files). The cases run in turn, round after round, so that a burst of load on the machine
touches all of them alike. Prints the median, the fastest and the slowest of each, and the
median CPU time (user + system, all the command's processes: less sensitive to other jobs
on the machine than the wall time, and above it when the solver runs threads), and writes
them with the load average to ``benchmarks/out/cli-<time>.json``. Exit status 1
when a median misses its target.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

TARGETS = {"help": 0.3, "validate 10 features": 1.0, "allocate medium": 1.5}


def write_inputs(folder: Path) -> dict[str, list[str]]:
    """Generate the inputs into *folder*; the command-line arguments of each case."""
    from allocation import generate, write_scenario  # benchmarks/allocation.py

    scenario_dir = folder / "medium"
    write_scenario(generate("medium"), scenario_dir)
    features = json.loads((scenario_dir / "resources.geojson").read_text(encoding="utf-8"))
    features["features"] = features["features"][:10]
    ten = folder / "resources-10.geojson"
    ten.write_text(json.dumps(features), encoding="utf-8")
    return {
        "help": ["--help"],
        "validate 10 features": ["validate", str(ten), "--kind", "resources"],
        "allocate medium": ["allocate", str(scenario_dir), "--out", str(folder / "plan.json")],
    }


def run_once(args: list[str]) -> tuple[float, float]:
    """Seconds from starting ``python -m mutualaid.cli.main ARGS`` to its exit (which must be 0),
    and the CPU seconds (user + system) its processes took."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "mutualaid.cli.main", *args], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(
            f"mutualaid {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-2000:]}"
        )
    return seconds, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each case (default 7)")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="mutualaid-cli-bench-") as tmp:
        cases = write_inputs(Path(tmp))
        for argv_ in cases.values():  # once untimed: the files are in the page cache
            run_once(argv_)
        times: dict[str, list[float]] = {name: [] for name in cases}
        cpus: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, argv_ in cases.items():
                seconds, cpu = run_once(argv_)
                times[name].append(seconds)
                cpus[name].append(cpu)
    load_after = os.getloadavg()

    rows = []
    print(f"{'case':<22}  {'median s':>8}  {'min s':>6}  {'max s':>6}  {'cpu s':>6}  target")
    print(f"{'-' * 22}  {'-' * 8}  {'-' * 6}  {'-' * 6}  {'-' * 6}  ------")
    missed = False
    for name, values in times.items():
        median = statistics.median(values)
        ok = median < TARGETS[name]
        missed |= not ok
        rows.append(
            {
                "case": name,
                "command": "mutualaid " + " ".join(cases[name][:1]),
                "median_s": round(median, 3),
                "min_s": round(min(values), 3),
                "max_s": round(max(values), 3),
                "target_s": TARGETS[name],
                "cpu_median_s": round(statistics.median(cpus[name]), 3),
                "runs": [round(v, 3) for v in values],
                "cpu_runs": [round(v, 3) for v in cpus[name]],
            }
        )
        print(
            f"{name:<22}  {median:>8.3f}  {min(values):>6.3f}  {max(values):>6.3f}  "
            f"{statistics.median(cpus[name]):>6.3f}  "
            f"< {TARGETS[name]:g} s {'ok' if ok else 'MISSED'}"
        )
    print(
        f"(median of {args.runs} fresh processes each; load average "
        f"{load_before[0]:.2f} before, {load_after[0]:.2f} after, {os.cpu_count()} cores)"
    )

    OUT.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = OUT / f"cli-{stamp}.json"
    target.write_text(
        json.dumps(
            {
                "at": stamp,
                "python": sys.version.split()[0],
                "cores": os.cpu_count(),
                "load_average_before": load_before,
                "load_average_after": load_after,
                "runs": args.runs,
                "cases": rows,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"written to {target.relative_to(ROOT)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

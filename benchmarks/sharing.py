"""Sharing benchmark: what one person's filtered view of a large scenario costs.

Usage::

    python benchmarks/sharing.py                        # 50,000 incidents, 2,000 resources
    python benchmarks/sharing.py --incidents 5000 --repeat 3

The scenario is the seeded synthetic one of ``benchmarks/map.py`` (the 101 Rhine
jurisdictions of ``data/rhine-flood-2021`` with their agreements, points drawn inside
them), read with :func:`mutualaid.scenario.loading.load_scenario`. Each incident and resource
then gets a ``sharing`` value drawn from public / partners / owner / none (a quarter
each; none: the layer's level, here ``partners``).

Measured, medians of ``--repeat`` (5), for three people: an admin (sees everything), a
coordinator of the jurisdiction with the most partners, and a viewer bound to no
jurisdiction (public features only):

* **visible_scenario**: :func:`mutualaid.access.sharing.visible_scenario`, the filter every page
  runs once per (versions, viewer) and then serves from its cache
  (``mutualaid.ui.shared_scenario._visible``).
* **kept**: incidents and resources left in that view (the figures that differ per
  person, which is why every cache is keyed on who is asking).

Measured on the project's 2-core machine (shared), defaults, medians of 5
(2026-11-28): admin 0.000 s (the scenario itself); a coordinator of BE-WLG (100
partners) 0.041 s, keeping 37,597 of 50,000 incidents and 1,480 of 2,000 resources; a
viewer with no jurisdiction 0.022 s, keeping 12,479 and 465.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from mutualaid.access.actor import Actor
from mutualaid.access.sharing import partners, visible_scenario
from mutualaid.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parents[1]
LEVELS = ("public", "partners", "owner", None)


def _map_bench():
    spec = importlib.util.spec_from_file_location("bench_map", ROOT / "benchmarks" / "map.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def with_levels(scenario, seed: int):
    """*scenario* with a ``sharing`` value drawn for every incident and resource."""
    rng = np.random.default_rng(seed)
    changes = {}
    for kind in ("incidents", "resources"):
        frame = getattr(scenario, kind).copy()
        frame["sharing"] = [LEVELS[i] for i in rng.integers(0, len(LEVELS), len(frame))]
        changes[kind] = frame
    return dataclasses.replace(scenario, **changes)


def best_connected(scenario) -> str:
    """The jurisdiction with the most partners (the largest partners view)."""
    ids = scenario.jurisdictions["id"].astype(str).tolist()
    return max(
        ids,
        key=lambda j: len(
            partners(j, agreements=scenario.agreements, jurisdictions=scenario.jurisdictions)
        ),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=50_000)
    parser.add_argument("--resources", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mutualaid-sharing-bench-") as tmp:
        folder = _map_bench().write_scenario(
            Path(tmp) / "big", incidents=args.incidents, resources=args.resources, seed=args.seed
        )
        result = load_scenario(folder)
    if result.scenario is None:
        raise SystemExit(f"the generated scenario was refused: {result.reports}")
    scenario = with_levels(result.scenario, args.seed)
    home = best_connected(scenario)
    people = {
        "admin": Actor("ada", "admin"),
        f"coordinator {home}": Actor("cora", "coordinator", home),
        "viewer, no jurisdiction": Actor("vic", "viewer"),
    }
    levels = {"incidents": "partners", "resources": "partners"}
    home_partners = partners(
        home, agreements=scenario.agreements, jurisdictions=scenario.jurisdictions
    )
    print(
        f"{len(scenario.incidents)} incidents, {len(scenario.resources)} resources, "
        f"{len(scenario.jurisdictions)} jurisdictions; {home} has {len(home_partners)}"
        f" partners. Medians of {args.repeat}."
    )
    print(f"{'who':<28}{'visible_scenario':>18}{'incidents kept':>16}{'resources kept':>16}")
    for label, actor in people.items():
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            view = visible_scenario(scenario, viewer=actor, layer_levels=levels)
            times.append(time.perf_counter() - start)
        print(
            f"{label:<28}{statistics.median(times):>16.3f} s"
            f"{len(view.incidents):>16}{len(view.resources):>16}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

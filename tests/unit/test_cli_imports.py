"""The command line imports only what the command runs (issue 11), checked without timing.

Each check runs in a fresh interpreter (this test process has imported everything
already) and reports which heavy libraries ended up in its ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "data" / "rhine-flood-2021"

#: The web app's, the store's and the readers' libraries: none is needed to build the parser.
HEAVY = (
    "folium",
    "branca",
    "streamlit",
    "sklearn",
    "sqlalchemy",
    "alembic",
    "geopandas",
    "pandas",
    "numpy",
    "scipy",
    "shapely",
    "pyogrio",
    "pyproj",
    "highspy",
    "ortools",
)
#: Never needed by ``allocate``.
NOT_FOR_ALLOCATE = ("folium", "branca", "streamlit", "sklearn", "sqlalchemy", "alembic")

PROBE = """
import json, sys
from multiprocessing import forkserver
from mutualaid.cli.main import main
code = main(json.loads(sys.argv[1]))
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules}),
                  "forkserver": forkserver._forkserver._forkserver_pid is not None}))
"""


def probe(*argv: str) -> dict:
    """Run ``mutualaid ARGV`` in a new interpreter; its exit code, the top-level modules
    it imported, and whether it started a forkserver (its last line of output)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(argv))],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_building_the_parser_and_help_import_no_heavy_library():
    result = probe("--help")
    assert result["code"] == 0
    assert [m for m in HEAVY if m in result["modules"]] == []


def test_store_command_usage_error_imports_no_heavy_library():
    result = probe("users", "add")  # wrong usage: argparse refuses before any handler runs
    assert result["code"] == 2
    assert [m for m in HEAVY if m in result["modules"]] == []


def test_validate_reads_in_a_fork_and_its_own_process_imports_no_reader(tmp_path):
    # The bounded worker (issue 16) is a fork of the command, which imports the readers
    # itself: the command's process holds none of them and starts no forkserver.
    layer = tmp_path / "resources.geojson"
    layer.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [6.9, 50.9]},
                        "properties": {
                            "id": "R1",
                            "type": "boat",
                            "owner": "DE-NW",
                            "quantity": 2,
                            "status": "available",
                            "base": "Cologne",
                        },
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    result = probe("validate", str(layer), "--kind", "resources")
    assert result["code"] == 0
    assert [m for m in HEAVY if m in result["modules"]] == []
    assert result["forkserver"] is False


def test_allocate_imports_neither_the_web_app_nor_the_store_nor_scikit_learn(tmp_path):
    result = probe(
        "allocate",
        str(SCENARIO),
        "--out",
        str(tmp_path / "plan.json"),
        "--flows",
        str(tmp_path / "flows.geojson"),
    )
    assert result["code"] == 0
    assert (tmp_path / "plan.json").stat().st_size > 0
    assert [m for m in NOT_FOR_ALLOCATE if m in result["modules"]] == []

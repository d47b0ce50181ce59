"""A writer killed with SIGKILL in the middle of loading a large scenario leaves all of it
or none of it, and the store opens, upgrades and loads the scenario again cleanly (issue 5),
on both backends.

The writer is a child process. An SQLAlchemy ``before_cursor_execute`` listener in the
child prints a marker when the chosen statement is about to run; the parent then kills it.
At the "paused" kill points the child waits (inside the open transaction) to be killed, so
the kill lands exactly there; at the "racing" one it carries on writing and the kill lands
wherever it happens to be.
"""

from __future__ import annotations

import importlib.util
import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from mutualaid.cli.main import main
from mutualaid.settings import SCENARIO_DIRS_ENV
from mutualaid.store import audit, open_store
from mutualaid.store.database import DATABASE_URL_ENV
from mutualaid.store.layer_store import current_versions, load_stored_scenario
from mutualaid.store.migrate import head_revision, upgrade
from mutualaid.store.tables import (
    audit_log,
    layer_features,
    layer_versions,
    scenarios,
    units,
)

ROOT = Path(__file__).resolve().parents[2]
INCIDENTS = 30_000
RESOURCES = 1_500
#: A hang guard only (the child normally reaches its marker within seconds).
MARKER_TIMEOUT_S = 600

CHILD = textwrap.dedent("""
    import sys, time
    import sqlalchemy as sa
    from mutualaid.access.actor import system_actor
    from mutualaid.scenario.loading import load_scenario
    from mutualaid.store import open_store
    from mutualaid.store.layer_store import save_scenario
    from mutualaid.store.migrate import upgrade

    folder, prefix, nth, pause = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
    store = open_store()
    upgrade(store)
    result = load_scenario(folder)
    assert result.ok, "the generated scenario should be valid"
    seen = 0

    @sa.event.listens_for(store.engine, "before_cursor_execute")
    def kill_point(conn, cursor, statement, parameters, context, executemany):
        global seen
        if " ".join(statement.split()).upper().startswith(prefix):
            seen += 1
            if seen == nth:
                print("MARKER", flush=True)
                if pause:
                    time.sleep(3600)  # inside the open transaction, until killed

    save_scenario(store, result.scenario, name="big", sources={}, actor=system_actor("child"))
    print("DONE", flush=True)
""")

#: name -> (statement prefix, which occurrence, pause there)
KILL_POINTS = {
    # the first batch of feature rows (the jurisdictions)
    "first-features": ("INSERT INTO LAYER_FEATURES", 1, True),
    # half-way through the 30,000 incidents (batches of 5,000; the jurisdictions are one)
    "mid-incidents": ("INSERT INTO LAYER_FEATURES", 4, True),
    # everything written but the audit head, the transaction's last statement
    "before-audit-head": ("UPDATE AUDIT_HEAD", 1, True),
    # the child keeps writing after the marker: killed wherever it has got to
    "racing": ("INSERT INTO LAYER_FEATURES", 2, False),
}


@pytest.fixture(scope="module")
def big_scenario(tmp_path_factory) -> Path:
    """30,000 incidents inside the Rhine jurisdictions (the map benchmark's generator)."""
    spec = importlib.util.spec_from_file_location("bench_map", ROOT / "benchmarks" / "map.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    folder = tmp_path_factory.mktemp("scenarios") / "big"
    return bench.write_scenario(folder, incidents=INCIDENTS, resources=RESOURCES, seed=5)


def run_child_until_marker(url: str, folder: Path, point: str, tmp_path: Path) -> None:
    prefix, nth, pause = KILL_POINTS[point]
    env = {**os.environ, DATABASE_URL_ENV: url}
    errors = (tmp_path / "child.err").open("w")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder), prefix, str(nth), "1" if pause else "0"],
        stdout=subprocess.PIPE,
        stderr=errors,
        env=env,
        text=True,
    )
    try:
        deadline = time.monotonic() + MARKER_TIMEOUT_S
        line = ""
        while line.strip() != "MARKER":
            ready, _, _ = select.select([child.stdout], [], [], deadline - time.monotonic())
            assert ready, "the child never reached its kill point"
            line = child.stdout.readline()
            if not line:
                errors.flush()
                pytest.fail(
                    "the child ended before its kill point: " + (tmp_path / "child.err").read_text()
                )
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=MARKER_TIMEOUT_S)
        assert child.returncode == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        errors.close()


def count(connection, table, *where):
    return connection.execute(
        sa.select(sa.func.count()).select_from(table).where(*where)
    ).scalar_one()


def assert_all_or_nothing(store) -> bool:
    """Checks the store holds no partial scenario; True when the load was stored whole."""
    with store.reading() as connection:
        versions = connection.execute(sa.select(layer_versions)).all()
        for version in versions:
            assert (
                count(connection, layer_features, layer_features.c.layer_version_id == version.id)
                == version.features
            )
        kinds = {v.kind for v in versions}
        stored = count(connection, scenarios)
        if stored == 0:
            assert versions == [] and count(connection, layer_features) == 0
            assert count(connection, units) == 0 and count(connection, audit_log) == 0
        else:
            assert kinds == {"jurisdictions", "incidents", "resources", "agreements"}
            assert count(connection, units) == RESOURCES
            assert count(connection, audit_log) >= 1
        check = audit.verify(connection)
        assert check.ok, check.problem
    return stored == 1


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_killed_scenario_load_leaves_all_or_nothing(
    store_url, big_scenario, point, tmp_path, monkeypatch, capsys
):
    run_child_until_marker(store_url, big_scenario, point, tmp_path)

    store = open_store(store_url)
    try:
        # the app starts cleanly: the store opens and its schema upgrade is a no-op
        assert upgrade(store) == (head_revision(), head_revision())
        whole = assert_all_or_nothing(store)
        if KILL_POINTS[point][2]:
            assert not whole, "killed inside its transaction: nothing may be stored"
        with store.reading() as connection:
            assert count(connection, audit_log) == (1 if whole else 0)

        monkeypatch.setenv(DATABASE_URL_ENV, store_url)
        # and the app itself starts on this store (it opens and upgrades it on its first run)
        monkeypatch.setenv(SCENARIO_DIRS_ENV, str(tmp_path / "no-scenarios"))
        app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
        assert not app.exception, app.exception
        assert main(["load", str(big_scenario)]) == 0
        out = capsys.readouterr().out
        if not whole:
            assert f"incidents: version 1, {INCIDENTS:,} features" in out
        assert assert_all_or_nothing(store)
        versions = current_versions(store, "big")
        assert versions["incidents"].features == INCIDENTS
        assert versions["resources"].features == RESOURCES
        loaded = load_stored_scenario(store, "big")
        assert len(loaded.scenario.incidents) == INCIDENTS
        with store.reading() as connection:
            assert count(connection, audit_log) == (2 if whole else 1)
            assert audit.verify(connection).ok
    finally:
        store.dispose()

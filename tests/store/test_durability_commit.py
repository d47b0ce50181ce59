"""A writer killed with SIGKILL in the middle of an offer commit leaves all or nothing
(issue 5, done-when), on both backends.

A child process commits an offer with many lines and is paused, by an SQLAlchemy hook
registered in the child only, right after its first ``units`` update; the test kills it
there. Afterwards the offer is still proposed, no unit is committed, the audit chain is
intact, and a fresh process opens the store and commits the offer in full.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime

import sqlalchemy as sa

from mutualaid.store import audit
from mutualaid.store.tables import (
    audit_log,
    offer_lines,
    offers,
    plans,
    requests,
    scenarios,
    units,
)

T0 = datetime(2021, 7, 14, 20, 0, tzinfo=UTC)
LINES = [(f"R-{n:02d}", 1 + n % 3) for n in range(40)]  # 40 resources, 80 units in all
MARKER = "PAUSED-AFTER-FIRST-UNITS-UPDATE"

CHILD = textwrap.dedent("""
    import sys, time
    import sqlalchemy as sa
    from mutualaid.identity import Actor
    from mutualaid.store import open_store, workflow
    from mutualaid.store.migrate import upgrade

    url, offer_id, pause = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "pause"
    store = open_store(url)
    upgrade(store)  # what the app does on start: must find the store as it was
    updates = 0

    @sa.event.listens_for(store.engine, "before_cursor_execute")
    def _pause(conn, cursor, statement, parameters, context, executemany):
        global updates
        if pause and statement.lstrip().upper().startswith("UPDATE UNITS"):
            updates += 1
            if updates == 2:  # the first units update has run
                print("{marker}", flush=True)
                time.sleep(3600)

    state = workflow.commit_offer(store, offer_id, actor=Actor("alice", "coordinator", "DE-A"))
    print("DONE", state.state, state.version, flush=True)
""").replace("{marker}", MARKER)


def seed(store) -> int:
    """One proposed offer of DE-A with :data:`LINES`, written directly, its load audited."""
    with store.transaction() as connection:
        scenario_id = connection.execute(scenarios.insert().values(
            name="kill", created_at=T0, created_by="test").returning(scenarios.c.id)).scalar_one()
        connection.execute(units.insert(), [
            {"scenario_id": scenario_id, "resource_id": rid, "type": "pump",
             "jurisdiction": "DE-A", "quantity": 3, "committed": 0, "version": 1}
            for rid, _ in LINES])
        request_id = connection.execute(requests.insert().values(
            scenario_id=scenario_id, jurisdiction="NL-B", state="open", note="", version=1,
            created_by="bob", created_at=T0, updated_by="bob", updated_at=T0)
            .returning(requests.c.id)).scalar_one()
        plan_id = connection.execute(plans.insert().values(
            scenario_id=scenario_id, layer_versions="{}", body="{}", computed_by="test",
            computed_at=T0).returning(plans.c.id)).scalar_one()
        offer_id = connection.execute(offers.insert().values(
            scenario_id=scenario_id, plan_id=plan_id, request_id=request_id, provider="DE-A",
            requester="NL-B", state="proposed", version=1, created_at=T0, updated_by="test",
            updated_at=T0).returning(offers.c.id)).scalar_one()
        connection.execute(offer_lines.insert(), [
            {"offer_id": offer_id, "resource_id": rid, "incident_id": "I-1", "type": "pump",
             "units": n, "minutes": 20.0} for rid, n in LINES])
        audit.record(connection, actor="test", action="scenario.loaded", subject="scenario kill",
                     after={"offer": offer_id}, now=T0)
    return offer_id


def child(url: str, offer_id: int, mode: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, url, str(offer_id), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=os.environ.copy())


def state_of(store, offer_id: int) -> tuple[str, int, dict[str, int], int, audit.Verification]:
    with store.reading() as connection:
        row = connection.execute(sa.select(offers.c.state, offers.c.version)
                                 .where(offers.c.id == offer_id)).one()
        committed = dict(connection.execute(sa.select(units.c.resource_id, units.c.committed)).all())
        rows = connection.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar()
        return row.state, row.version, committed, rows, audit.verify(connection)


def test_a_commit_killed_midway_leaves_nothing_and_a_fresh_process_commits(store, store_url):
    offer_id = seed(store)
    store.dispose()  # the child must be free to take the write lock (SQLite)

    killed = child(store_url, offer_id, "pause")
    line = killed.stdout.readline().strip()
    assert line == MARKER, (line, killed.stderr.read() if killed.poll() is not None else "")
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert killed.returncode == -signal.SIGKILL

    state, version, committed, rows, verification = state_of(store, offer_id)
    assert (state, version) == ("proposed", 1)
    assert committed == {rid: 0 for rid, _ in LINES}
    assert rows == 1 and verification.ok, verification.problem
    store.dispose()

    fresh = child(store_url, offer_id, "go")
    out, err = fresh.communicate()
    assert fresh.returncode == 0, err
    assert out.split() == ["DONE", "committed", "2"]
    state, version, committed, rows, verification = state_of(store, offer_id)
    assert (state, version) == ("committed", 2)
    assert committed == dict(LINES)
    assert rows == 2 and verification.ok, verification.problem

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
from mutualaid.store.tables import audit_log, offers, units

from .conftest import insert_offers

T0 = datetime(2021, 7, 14, 20, 0, tzinfo=UTC)
LINES = [(f"R-{n:02d}", 1 + n % 3) for n in range(40)]  # 40 resources, 80 units in all
MARKER = "PAUSED-AFTER-FIRST-UNITS-UPDATE"

CHILD = textwrap.dedent("""
    import sys, time
    import sqlalchemy as sa
    from mutualaid.access.actor import Actor
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
        _, [offer_id] = insert_offers(
            connection,
            name="kill",
            unit_type="pump",
            quantities={rid: 3 for rid, _ in LINES},
            lines_per_offer=[LINES],
            minutes=20.0,
            when=T0,
        )
        audit.record(
            connection,
            actor="test",
            action="scenario.loaded",
            subject="scenario kill",
            after={"offer": offer_id},
            now=T0,
        )
    return offer_id


def child(url: str, offer_id: int, mode: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(offer_id), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def state_of(store, offer_id: int) -> tuple[str, int, dict[str, int], int, audit.Verification]:
    with store.reading() as connection:
        row = connection.execute(
            sa.select(offers.c.state, offers.c.version).where(offers.c.id == offer_id)
        ).one()
        committed = dict(
            connection.execute(sa.select(units.c.resource_id, units.c.committed)).all()
        )
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

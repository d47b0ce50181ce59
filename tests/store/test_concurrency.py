"""A unit is never committed twice (issue 5, done-when), on both backends.

50 threads, then 50 processes, start together (a barrier) and commit offers whose lines
overlap on a few resources: afterwards no resource has more committed than it has, the
committed count of each is exactly what the committed offers hold, every offer that lost
really did not fit any more, and every loser was told which resource and who holds it.
50 commits of the same offer: one wins, 49 are told who won. The audit chain is intact.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from mutualaid.access.actor import Actor
from mutualaid.store import audit, open_store, workflow
from mutualaid.store.tables import offers, units

from .conftest import insert_offers

WORKERS = 50
RESOURCES = {f"R-{n}": 3 for n in range(5)}  # 5 resources of 3 boats each
T0 = datetime(2021, 7, 14, 20, 0, tzinfo=UTC)


def coordinator(n: int) -> Actor:
    return Actor(f"c{n:02d}", "coordinator", "DE-A")


def overlapping_lines(seed: int) -> list[list[tuple[str, int]]]:
    """Per offer, 1-2 units of each of 2-3 of the resources."""
    rng = random.Random(seed)
    return [
        [
            (rid, rng.randint(1, 2))
            for rid in sorted(rng.sample(sorted(RESOURCES), rng.randint(2, 3)))
        ]
        for _ in range(WORKERS)
    ]


def seed_offers(store, lines_per_offer: list[list[tuple[str, int]]]) -> tuple[int, list[int]]:
    """A scenario with :data:`RESOURCES`, one request of NL-B and one proposed offer of
    DE-A per entry, written directly (the plan that would make such overlapping offers
    does not matter here). Returns the scenario id and the offer ids."""
    with store.transaction() as connection:
        scenario_id, ids = insert_offers(
            connection,
            name="race",
            unit_type="boat",
            quantities=RESOURCES,
            lines_per_offer=lines_per_offer,
            minutes=30.0,
            when=T0,
        )
        # As a real load would (and so the race starts with the audit log's head row in
        # place: two very first appends at once are the audit module's concern).
        audit.record(
            connection,
            actor="test",
            action="scenario.loaded",
            subject="scenario race",
            after={"units": RESOURCES, "offers": ids},
            now=T0,
        )
    return scenario_id, ids


def attempt(store, offer_id: int, n: int) -> tuple:
    """One commit, its outcome as plain data (it crosses process boundaries)."""
    try:
        state = workflow.commit_offer(store, offer_id, actor=coordinator(n))
    except workflow.UnitsTaken as exc:
        return (
            "taken",
            str(exc),
            exc.resource_id,
            exc.free,
            [(h["offer_id"], h["by"], h["units"]) for h in exc.holders],
        )
    except workflow.Conflict as exc:
        return ("conflict", str(exc))
    return ("ok", state.state, state.version)


def run_threads(store, offer_ids: list[int]) -> list[tuple]:
    barrier = threading.Barrier(len(offer_ids))
    results: list[tuple | None] = [None] * len(offer_ids)

    def work(n: int) -> None:
        barrier.wait()
        try:
            results[n] = attempt(store, offer_ids[n], n)
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            results[n] = ("error", repr(exc))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(offer_ids))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _process(url: str, offer_id: int, n: int, barrier, queue) -> None:
    store = open_store(url, pool_size=1, max_overflow=1)
    try:
        barrier.wait()
        outcome = attempt(store, offer_id, n)
    except Exception as exc:  # noqa: BLE001 - reported by the test
        outcome = ("error", repr(exc))
    finally:
        store.dispose()
    queue.put((n, outcome))


def run_processes(url: str, offer_ids: list[int]) -> list[tuple]:
    """Each worker a process with its own store opened from the URL."""
    # fork: the children start at once with the modules loaded; each opens its own store.
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(offer_ids))
    queue = context.Queue()
    workers = [
        context.Process(target=_process, args=(url, offer_id, n, barrier, queue))
        for n, offer_id in enumerate(offer_ids)
    ]
    for w in workers:
        w.start()
    results: list[tuple | None] = [None] * len(offer_ids)
    for _ in workers:
        n, outcome = queue.get()
        results[n] = outcome
    for w in workers:
        w.join()
    assert all(w.exitcode == 0 for w in workers)
    return results


def check_overlapping(
    store,
    scenario_id: int,
    offer_ids: list[int],
    lines_per_offer: list[list[tuple[str, int]]],
    results: list[tuple],
) -> None:
    assert not [r for r in results if r[0] not in ("ok", "taken")], results
    won = {n for n, r in enumerate(results) if r[0] == "ok"}
    with store.reading() as connection:
        committed = {
            r.resource_id: (r.quantity, r.committed)
            for r in connection.execute(sa.select(units).where(units.c.scenario_id == scenario_id))
        }
        states = dict(connection.execute(sa.select(offers.c.id, offers.c.state)).all())
        verification = audit.verify(connection)
        audited = [e.subject for e in audit.entries(connection, actions=["offer.committed"])]
    # Exactly the winners are committed, and each resource holds exactly their units.
    assert {n for n, oid in enumerate(offer_ids) if states[oid] == "committed"} == won
    assert {states[offer_ids[n]] for n in set(range(WORKERS)) - won} == {"proposed"}
    held = {rid: 0 for rid in RESOURCES}
    for n in won:
        for rid, k in lines_per_offer[n]:
            held[rid] += k
    assert {rid: c for rid, (_, c) in committed.items()} == held
    assert all(c <= q for q, c in committed.values())
    # The capacity is used: every loser still does not fit what is left.
    free = {rid: q - c for rid, (q, c) in committed.items()}
    assert won
    for n in set(range(WORKERS)) - won:
        assert any(k > free[rid] for rid, k in lines_per_offer[n]), (n, lines_per_offer[n], free)
    # Every loser is told which resource, how many are free, and who holds the rest.
    holder_of = {offer_ids[n]: f"c{n:02d}" for n in won}
    for n, r in enumerate(results):
        if r[0] != "taken":
            continue
        _, message, rid, free_then, holders = r
        wanted = dict(lines_per_offer[n])[rid]
        assert free_then < wanted and free_then >= free[rid]
        assert message.startswith(
            f"offer {offer_ids[n]} was not committed: resource {rid} "
            f"(boat) has {free_then} of 3 units free"
        )
        assert holders and sum(h[2] for h in holders) == 3 - free_then
        for offer_id, by, k in holders:
            assert holder_of[offer_id] == by
            assert dict(lines_per_offer[offer_ids.index(offer_id)])[rid] == k
            assert f"committed to offer {offer_id} by {by} (DE-A) at " in message
    assert verification.ok, verification.problem
    assert sorted(audited) == sorted(f"offer {offer_ids[n]}" for n in won)


def check_same_offer(store, offer_id: int, results: list[tuple]) -> None:
    won = [n for n, r in enumerate(results) if r[0] == "ok"]
    assert len(won) == 1, results
    assert results[won[0]][1:] == ("committed", 2)
    winner = f"c{won[0]:02d}"
    lost = [r for r in results if r[0] != "ok"]
    assert len(lost) == WORKERS - 1
    for r in lost:
        assert r[0] == "conflict", r
        assert r[1].startswith(f"offer {offer_id} was already committed by {winner} (DE-A) at ")
    with store.reading() as connection:
        assert dict(
            connection.execute(sa.select(units.c.resource_id, units.c.committed)).all()
        ) == {rid: dict(_SAME_LINES).get(rid, 0) for rid in RESOURCES}
        verification = audit.verify(connection)
        audited = list(audit.entries(connection, actions=["offer.committed"]))
    assert verification.ok, verification.problem
    assert [(e.subject, e.actor) for e in audited] == [(f"offer {offer_id}", winner)]


_SAME_LINES = [("R-0", 2), ("R-3", 1)]


def test_threads_committing_overlapping_offers(store):
    lines = overlapping_lines(seed=5)
    scenario_id, offer_ids = seed_offers(store, lines)
    results = run_threads(store, offer_ids)
    check_overlapping(store, scenario_id, offer_ids, lines, results)


def test_threads_committing_the_same_offer(store):
    _, (offer_id,) = seed_offers(store, [_SAME_LINES])
    results = run_threads(store, [offer_id] * WORKERS)
    check_same_offer(store, offer_id, results)


@pytest.mark.parametrize("same", [False, True], ids=["overlapping", "same-offer"])
def test_processes_committing_offers(store, store_url, same):
    if same:
        _, (offer_id,) = seed_offers(store, [_SAME_LINES])
        check_same_offer(store, offer_id, run_processes(store_url, [offer_id] * WORKERS))
    else:
        lines = overlapping_lines(seed=11)
        scenario_id, offer_ids = seed_offers(store, lines)
        results = run_processes(store_url, offer_ids)
        check_overlapping(store, scenario_id, offer_ids, lines, results)


def test_threads_withdrawing_while_others_commit(store):
    """Freed and taken units of the same resources at once: the counts stay exact."""
    lines = overlapping_lines(seed=23)
    scenario_id, offer_ids = seed_offers(store, lines)
    held_before = []
    for n in range(WORKERS // 2):
        try:
            workflow.commit_offer(store, offer_ids[n], actor=coordinator(n))
            held_before.append(n)
        except workflow.UnitsTaken:
            pass
    assert held_before
    barrier = threading.Barrier(len(held_before) + WORKERS // 2)
    outcomes: dict[int, str] = {}

    def work(n: int, withdraw: bool) -> None:
        barrier.wait()
        try:
            if withdraw:
                workflow.withdraw_offer(store, offer_ids[n], actor=coordinator(n))
            else:
                workflow.commit_offer(store, offer_ids[n], actor=coordinator(n))
            outcomes[n] = "ok"
        except workflow.UnitsTaken:
            outcomes[n] = "taken"
        except Exception as exc:  # noqa: BLE001 - reported below
            outcomes[n] = repr(exc)

    threads = [threading.Thread(target=work, args=(n, True)) for n in held_before] + [
        threading.Thread(target=work, args=(n, False)) for n in range(WORKERS // 2, WORKERS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(outcomes[n] == "ok" for n in held_before), outcomes
    assert set(outcomes.values()) <= {"ok", "taken"}, outcomes
    with store.reading() as connection:
        committed = dict(
            connection.execute(
                sa.select(units.c.resource_id, units.c.committed).where(
                    units.c.scenario_id == scenario_id
                )
            ).all()
        )
        states = dict(connection.execute(sa.select(offers.c.id, offers.c.state)).all())
        verification = audit.verify(connection)
    expected = {rid: 0 for rid in RESOURCES}
    for n, offer_id in enumerate(offer_ids):
        if states[offer_id] == "committed":
            for rid, k in lines[n]:
                expected[rid] += k
    assert committed == expected
    assert all(c <= RESOURCES[rid] for rid, c in committed.items())
    assert {states[offer_ids[n]] for n in held_before} == {"withdrawn"}
    assert verification.ok, verification.problem

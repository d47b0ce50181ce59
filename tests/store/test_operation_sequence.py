"""One truthful picture of the operation (issue 12), on both backends: a sequence of
requests, plans, partial commits, partial accepts, arrivals and releases, checked after
every step against a reference computed straight from the store's tables.

After each step: no jurisdiction has more of a type abroad (held by the workflow plus
proposed by the next plan) than floor((1 - reserve) x its available units of the type);
no unit is counted twice (held + still free = the stored quantity, for every
resource, and the units table agrees); the operation's figures the pages show
(:func:`mutualaid.figures.operation.operation_figures` of the plan of the free part)
equal the reference; and ``mutualaid allocate --stored`` makes the same plan.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from builders import canonical_scenario
from mutualaid.access.actor import Actor, system_actor
from mutualaid.allocation import allocate
from mutualaid.allocation.held import free_part
from mutualaid.cli.main import main
from mutualaid.figures.operation import operation_figures
from mutualaid.store import workflow
from mutualaid.store.database import DATABASE_URL_ENV
from mutualaid.store.layer_store import load_stored_scenario, save_scenario
from mutualaid.store.tables import offer_lines, offers, units

T0 = datetime(2021, 7, 14, 20, 0, tzinfo=UTC)
NAME = "sequence"
RESERVE = 0.5
ALICE = Actor("alice", "coordinator", "DE-A")  # provider: 10 boats, half kept at home
BOB = Actor("bob", "coordinator", "NL-B")  # requester


def sequence_scenario():
    """DE-A owns 10 boats (6 + 4) with reserve 0.5: at most 5 abroad, ever. NL-B needs
    4 + 4 + 2 boats and owns 1; DE-A's own incident needs 1."""

    def boats(rid: str, n: int, owner: str, lon: float) -> dict:
        return {
            "id": rid,
            "type": "boat",
            "quantity": n,
            "jurisdiction": owner,
            "lon": lon,
            "lat": 50.5,
        }

    def need(iid: str, n: int, where: str, severity: int, lon: float) -> dict:
        return {
            "id": iid,
            "needs": {"boat": n},
            "jurisdiction": where,
            "severity": severity,
            "lon": lon,
            "lat": 50.5,
        }

    return canonical_scenario(
        resources=[
            boats("R-DE-6", 6, "DE-A", 6.9),
            boats("R-DE-4", 4, "DE-A", 6.8),
            boats("R-NL-1", 1, "NL-B", 7.3),
        ],
        incidents=[
            need("I-NL-1", 4, "NL-B", 5, 7.2),
            need("I-NL-2", 4, "NL-B", 4, 7.4),
            need("I-NL-3", 2, "NL-B", 2, 7.5),
            need("I-DE-1", 1, "DE-A", 3, 6.5),
        ],
        agreements=[("DE-A", "NL-B", ["*"], 15), ("NL-B", "DE-A", ["*"], 15)],
        reserves={"DE-A": RESERVE, "NL-B": 0.0},
        quantity=None,
        reported_at="2021-07-14T08:00",
        name=NAME,
    )


# --- the reference: straight from the tables ------------------------------------------------


def reference_held(store, scenario_id: int) -> dict[str, dict]:
    """Units per resource, per (incident, type) and per (owner, type, abroad) of the
    offers in each state, read from ``offers`` and ``offer_lines`` with one plain query."""
    with store.reading() as connection:
        rows = connection.execute(
            sa.select(
                offers.c.state,
                offers.c.provider,
                offers.c.requester,
                offer_lines.c.resource_id,
                offer_lines.c.incident_id,
                offer_lines.c.type,
                offer_lines.c.units,
            )
            .join(offer_lines, offer_lines.c.offer_id == offers.c.id)
            .where(offers.c.scenario_id == scenario_id)
        ).all()
    by_state: dict[str, dict] = defaultdict(
        lambda: {
            "units": 0,
            "resource": defaultdict(int),
            "need": defaultdict(int),
            "abroad": defaultdict(int),
        }
    )
    for r in rows:
        entry = by_state[r.state]
        entry["units"] += r.units
        entry["resource"][r.resource_id] += r.units
        entry["need"][(r.incident_id, r.type)] += r.units
        if r.provider != r.requester:
            entry["abroad"][(r.provider, r.type)] += r.units
    return by_state


def units_table(store, scenario_id: int) -> dict[str, tuple[int, int]]:
    with store.reading() as connection:
        return {
            r.resource_id: (r.quantity, r.committed)
            for r in connection.execute(sa.select(units).where(units.c.scenario_id == scenario_id))
        }


def check(store, store_url, scenario_id, monkeypatch, capsys, tmp_path) -> dict:
    """Every invariant of the operation after one step; returns the step's figures."""
    stored = load_stored_scenario(store, NAME)
    scenario = stored.scenario
    held = workflow.held_lines(store, NAME)
    free = free_part(scenario, held)
    plan = allocate(free, held=held)
    ref = reference_held(store, scenario_id)
    holding = ("committed", "accepted", "on_scene")

    # The held lines are the offers of the holding states, unit for unit.
    for state, stage in (
        ("committed", "committed"),
        ("accepted", "en_route"),
        ("on_scene", "on_scene"),
    ):
        assert sum(x.units for x in held.lines if x.stage == stage) == ref[state]["units"]

    # No unit counted twice: held + free = stored, for every resource; the units table's
    # committed column is what the holding offers hold.
    quantity = dict(zip(scenario.resources["id"], scenario.resources["quantity"].astype(int)))
    still = dict(zip(free.resources["id"], free.resources["quantity"].astype(int)))
    table = units_table(store, scenario_id)
    for rid, n in quantity.items():
        taken = sum(ref[s]["resource"].get(rid, 0) for s in holding)
        assert taken + still.get(rid, 0) == n, rid
        assert table[rid] == (n, taken), rid
        sent = int(plan.assignments.loc[plan.assignments["resource_id"] == rid, "units"].sum())
        assert sent <= still.get(rid, 0), rid  # the plan uses only free units

    # The reserve cap, held and proposed together: never more abroad than allowed.
    reserves = dict(zip(scenario.jurisdictions["id"], scenario.jurisdictions["reserve"]))
    stock: dict = defaultdict(int)
    for owner, rtype, n in zip(
        scenario.resources["jurisdiction"],
        scenario.resources["type"],
        scenario.resources["quantity"],
    ):
        stock[(owner, rtype)] += int(n)
    abroad: dict = defaultdict(int)
    for s in holding:
        for key, n in ref[s]["abroad"].items():
            abroad[key] += n
    a = plan.assignments
    for owner, to, rtype, n in zip(
        a["from_jurisdiction"], a["to_jurisdiction"], a["type"], a["units"]
    ):
        if owner != to:
            abroad[(owner, rtype)] += int(n)
    for (owner, rtype), n in abroad.items():
        assert n <= math.floor((1 - reserves[owner]) * stock[(owner, rtype)]), (owner, rtype, n)

    # The figures every page shows, against the reference.
    figures = operation_figures(scenario, held, plan)
    assert figures.units_deployed == ref["accepted"]["units"] + ref["on_scene"]["units"]
    assert figures.units_on_scene == ref["on_scene"]["units"]
    assert figures.units_committed == ref["committed"]["units"]
    assert figures.units_proposed == int(a["units"].sum())
    assert figures.units_short == int(plan.unmet["units"].sum())
    needs = {
        (i, "boat"): n["boat"]
        for i, n in zip(scenario.incidents["id"], scenario.incidents["needs"])
    }
    severity = dict(zip(scenario.incidents["id"], scenario.incidents["severity"]))
    helped: dict = defaultdict(int)
    for s in holding:
        for key, n in ref[s]["need"].items():
            helped[key] += n
    for i, rtype, n in zip(a["incident_id"], a["type"], a["units"]):
        helped[(i, rtype)] += int(n)
    met = sum(severity[i] * min(n, helped[(i, t)]) for (i, t), n in needs.items())
    assert figures.need_met == pytest.approx(
        met / sum(severity[i] * n for (i, _), n in needs.items())
    )
    assert figures.units_needed == sum(needs.values())

    # The command line plans the same from the store.
    monkeypatch.setenv(DATABASE_URL_ENV, store_url)
    out = tmp_path / "plan.json"
    assert main(["allocate", "--stored", NAME, "--out", str(out)]) == 0
    capsys.readouterr()
    assert json.loads(out.read_text())["assignments"] == plan.to_dict()["assignments"]
    return {"figures": figures, "plan": plan, "held": held}


def de_offers(store, state: str = "proposed"):
    return [
        o
        for o in workflow.board(store, NAME, viewer=ALICE).offers
        if o.provider == "DE-A" and o.requester == "NL-B" and o.state == state
    ]


def test_a_sequence_of_moves_keeps_one_truthful_picture(
    store, store_url, monkeypatch, capsys, tmp_path
):
    scenario_id = save_scenario(
        store, sequence_scenario(), name=NAME, sources={}, actor=system_actor("test"), now=T0
    ).id
    clock = iter(T0 + timedelta(minutes=m) for m in range(1, 100))

    def step():
        return check(store, store_url, scenario_id, monkeypatch, capsys, tmp_path)

    first = step()
    assert first["figures"].units_deployed == first["figures"].units_committed == 0
    assert first["figures"].units_leaving_jurisdiction == 5  # half of DE-A's 10 boats

    # 1. NL-B requests its needs; the offers follow the plan: 5 DE-A boats, the cap.
    workflow.create_request(store, NAME, actor=BOB, now=next(clock))
    workflow.plan_offers(store, NAME, actor=BOB, now=next(clock))
    step()
    (offer,) = de_offers(store)
    assert sum(x.units for x in offer.lines) == 5

    # 2. DE-A commits part: one boat fewer on each line (a line of 1 is declined).
    partial = {x.id: x.units - 1 for x in offer.lines}
    workflow.commit_offer(store, offer.id, actor=ALICE, now=next(clock), units=partial)
    committed = step()
    held_now = sum(partial.values())
    assert committed["figures"].units_committed == held_now < 5
    # The reserve holds over time: the next plan may send only what the cap leaves.
    assert committed["figures"].units_leaving_jurisdiction == 5

    # 3. NL-B accepts part: the first line only; the rest returns to the open needs.
    (committed_offer,) = de_offers(store, "committed")
    kept = committed_offer.lines[0]
    answer = {x.id: (x.units if x.id == kept.id else 0) for x in committed_offer.lines}
    workflow.accept_offer(store, offer.id, actor=BOB, now=next(clock), units=answer)
    accepted = step()
    assert (accepted["figures"].units_deployed, accepted["figures"].units_committed) == (
        kept.units,
        0,
    )

    # 4. Compute offers again: the open needs only, DE-A's new offer within the cap.
    workflow.plan_offers(store, NAME, actor=BOB, now=next(clock))
    again = step()
    assert again["figures"].units_deployed == kept.units
    (second,) = de_offers(store)
    assert kept.units + sum(x.units for x in second.lines) <= 5
    workflow.commit_offer(store, second.id, actor=ALICE, now=next(clock))
    step()
    workflow.accept_offer(store, second.id, actor=BOB, now=next(clock))
    both = step()
    assert both["figures"].units_deployed == kept.units + sum(x.units for x in second.lines)

    # 5. The first boats arrive: on scene, still held, still counted once.
    workflow.arrive_offer(store, offer.id, actor=BOB, now=next(clock))
    arrived = step()
    assert arrived["figures"].units_on_scene == kept.units
    assert arrived["figures"].units_deployed == both["figures"].units_deployed

    # 6. DE-A releases both: the boats are free again. The incidents' layer still says
    #    what they need (their owner edits or closes them), so the next plan may send
    #    5 again.
    workflow.release_offer(store, offer.id, actor=ALICE, now=next(clock))
    workflow.release_offer(store, second.id, actor=ALICE, now=next(clock))
    released = step()
    assert released["figures"].units_deployed == 0
    assert released["figures"].units_leaving_jurisdiction == 5

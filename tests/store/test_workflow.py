"""The request → offer → commit → accept → release workflow on both backends: every
allowed and refused move, rights (with the refusal on record), plans turned into offers on
a hand-built scenario and on the Rhine sample, needs shrinking as units are committed, and
the audit chain intact after all of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from builders import canonical_scenario
from mutualaid.access.actor import Actor, system_actor
from mutualaid.scenario.loading import Scenario, load_scenario
from mutualaid.store import audit, workflow
from mutualaid.store.layer_store import save_scenario
from mutualaid.store.tables import (
    offer_lines,
    offers,
    plans,
    requests,
    units,
)
from mutualaid.store.workflow import (
    Conflict,
    Denied,
    InvalidRequest,
    InvalidTransition,
    NotFound,
    UnitsTaken,
)

from .conftest import insert_offer, insert_plan

T0 = datetime(2021, 7, 14, 20, 31, tzinfo=UTC)
RHINE = Path(__file__).resolve().parents[2] / "data" / "rhine-flood-2021"

ALICE = Actor("alice", "coordinator", "DE-A")  # provider of boats and a pump
BOB = Actor("bob", "coordinator", "NL-B")  # requester
CAROL = Actor("carol", "coordinator", "BE-C")  # a third jurisdiction
VERA = Actor("vera", "viewer", "NL-B")
PAUL = Actor("paul", "planner", "DE-A")
ROOT = Actor("root", "admin")


# --- a small scenario -----------------------------------------------------------------


def make_scenario(resources, incidents, agreements) -> Scenario:
    """A canonical scenario from short specs (three 1-degree squares side by side);
    *agreements* are (from, to) pairs for every type, 15 minutes at the border."""
    return canonical_scenario(
        resources,
        incidents,
        [(a, b, "*", 15) for a, b in agreements],
        quantity=None,
        reported_at="2021-07-14T08:00",
        name="small",
    )


def small_scenario() -> Scenario:
    return make_scenario(
        resources=[
            {
                "id": "R-DE-BOAT",
                "type": "boat",
                "quantity": 3,
                "jurisdiction": "DE-A",
                "lon": 6.9,
                "lat": 50.5,
            },
            {
                "id": "R-DE-PUMP",
                "type": "pump",
                "quantity": 2,
                "jurisdiction": "DE-A",
                "lon": 6.8,
                "lat": 50.5,
            },
            {
                "id": "R-NL-BOAT",
                "type": "boat",
                "quantity": 1,
                "jurisdiction": "NL-B",
                "lon": 7.3,
                "lat": 50.5,
            },
            {
                "id": "R-BE-BOAT",
                "type": "boat",
                "quantity": 2,
                "jurisdiction": "BE-C",
                "lon": 8.5,
                "lat": 50.5,
            },
        ],
        incidents=[
            {
                "id": "I-NL-1",
                "needs": {"boat": 3, "pump": 1},
                "jurisdiction": "NL-B",
                "lon": 7.2,
                "lat": 50.5,
                "severity": 5,
            },
            {"id": "I-NL-2", "needs": {"boat": 1}, "jurisdiction": "NL-B", "lon": 7.4, "lat": 50.5},
            {
                "id": "I-NL-3",
                "needs": {"boat": 1},
                "jurisdiction": "NL-B",
                "lon": 7.5,
                "lat": 50.5,
                "status": "closed",
            },
            {"id": "I-DE-1", "needs": {"boat": 1}, "jurisdiction": "DE-A", "lon": 6.5, "lat": 50.5},
        ],
        # BE-C has no agreement with NL-B: its boats are never offered there.
        agreements=[("DE", "NL"), ("NL", "DE")],
    )


@pytest.fixture
def small(store):
    """The small scenario stored as "small"; returns its scenario id."""
    stored = save_scenario(
        store,
        small_scenario(),
        name="small",
        sources={},
        actor=system_actor("test"),
        now=T0 - timedelta(hours=1),
    )
    return stored.id


def verified(store) -> audit.Verification:
    with store.reading() as connection:
        return audit.verify(connection)


def audit_rows(store, *, action=None, subject=None) -> list[audit.AuditEntry]:
    with store.reading() as connection:
        rows = list(
            audit.entries(connection, actions=[action] if action else None, newest_first=False)
        )
    return [r for r in rows if subject is None or r.subject == subject]


def unit_counts(store, scenario_id) -> dict[str, tuple[int, int]]:
    with store.reading() as connection:
        return {
            r.resource_id: (r.quantity, r.committed)
            for r in connection.execute(sa.select(units).where(units.c.scenario_id == scenario_id))
        }


def offer_of(outcome_board, provider) -> workflow.OfferView:
    found = [o for o in outcome_board.offers if o.provider == provider and o.state == "proposed"]
    assert len(found) == 1, outcome_board.offers
    return found[0]


def requested_and_planned(store):
    """bob requests everything NL-B needs and computes the offers (issue 16: only the
    requester's coordinator or an admin plans a request). Returns (request id, board)."""
    request_id = workflow.create_request(store, "small", actor=BOB, now=T0)
    workflow.plan_offers(store, "small", actor=BOB, now=T0)
    return request_id, workflow.board(store, "small", viewer=ROOT)  # an admin sees all


# --- requests -------------------------------------------------------------------------
def test_a_request_lists_every_open_need_of_the_actors_active_incidents(store, small):
    request_id = workflow.create_request(store, "small", actor=BOB, note="Maas rising", now=T0)
    seen = workflow.board(store, "small", viewer=BOB)
    (request,) = seen.requests
    assert (request.id, request.jurisdiction, request.state, request.version, request.note) == (
        request_id,
        "NL-B",
        "open",
        1,
        "Maas rising",
    )
    # I-NL-3 is closed and I-DE-1 belongs to DE-A: neither is requested.
    assert {(x.incident_id, x.type, x.units, x.remaining) for x in request.lines} == {
        ("I-NL-1", "boat", 3, 3),
        ("I-NL-1", "pump", 1, 1),
        ("I-NL-2", "boat", 1, 1),
    }
    assert request.allowed_actions == ("close", "cancel")
    (row,) = audit_rows(store, action="request.created")
    assert (row.actor, row.subject, row.after["jurisdiction"]) == (
        "bob",
        f"request {request_id}",
        "NL-B",
    )
    assert verified(store).ok


def test_explicit_request_lines_are_checked_against_the_incidents_layer(store, small):
    with pytest.raises(InvalidRequest) as caught:
        workflow.create_request(
            store,
            "small",
            actor=BOB,
            lines=[
                ("I-NL-9", "boat", 1),
                ("I-DE-1", "boat", 1),
                ("I-NL-3", "boat", 1),
                ("I-NL-1", "helicopter", 1),
                ("I-NL-1", "boat", 4),
                ("I-NL-2", "boat", 0),
                ("I-NL-1", "pump", 1),
                ("I-NL-1", "pump", 1),
            ],
            now=T0,
        )
    message = str(caught.value)
    for expected in (
        "line 1 (I-NL-9, boat): there is no incident I-NL-9",
        "line 2 (I-DE-1, boat): incident I-DE-1 lies in DE-A, not NL-B",
        "line 3 (I-NL-3, boat): incident I-NL-3 is closed",
        (
            "line 4 (I-NL-1, helicopter): incident I-NL-1 needs no helicopter (it "
            "needs boat 3, pump 1)"
        ),
        "line 5 (I-NL-1, boat): units must be a whole number from 1 to 3",
        "line 6 (I-NL-2, boat): units must be a whole number from 1 to 1",
        "line 8 (I-NL-1, pump): listed twice (also line 7)",
    ):
        assert expected in message
    with store.reading() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(requests)).scalar() == 0


def test_a_need_in_an_open_request_cannot_be_requested_again(store, small):
    first = workflow.create_request(
        store, "small", actor=BOB, lines=[("I-NL-2", "boat", 1)], now=T0
    )
    with pytest.raises(InvalidRequest, match=f"already requested in request {first}"):
        workflow.create_request(store, "small", actor=BOB, lines=[("I-NL-2", "boat", 1)], now=T0)
    second = workflow.create_request(store, "small", actor=BOB, now=T0)  # the rest by default
    lines = workflow.board(store, "small", viewer=BOB).requests[1].lines
    assert {(x.incident_id, x.type) for x in lines} == {("I-NL-1", "boat"), ("I-NL-1", "pump")}
    workflow.close_request(store, first, actor=BOB, now=T0)
    workflow.close_request(store, second, actor=BOB, now=T0)
    # Closed requests no longer hold their needs.
    workflow.create_request(store, "small", actor=BOB, lines=[("I-NL-2", "boat", 1)], now=T0)


def test_nothing_to_request_and_unknown_scenario_are_said(store, small):
    workflow.create_request(store, "small", actor=BOB, now=T0)
    with pytest.raises(InvalidRequest, match="nothing to request: NL-B has no active incident"):
        workflow.create_request(store, "small", actor=BOB, now=T0)
    with pytest.raises(NotFound, match="no scenario named 'elsewhere'"):
        workflow.create_request(store, "elsewhere", actor=BOB, now=T0)
    with pytest.raises(NotFound, match="offer 99 does not exist"):
        workflow.commit_offer(store, 99, actor=ALICE)


def test_close_and_cancel_move_only_open_requests(store, small):
    request_id = workflow.create_request(store, "small", actor=BOB, now=T0)
    state = workflow.close_request(store, request_id, actor=BOB, expected_version=1, now=T0)
    assert (state.state, state.version, state.updated_by) == ("closed", 2, "bob")
    with pytest.raises(
        InvalidTransition,
        match=f"request {request_id} is closed .*only an open request can be cancelled",
    ):
        workflow.cancel_request(store, request_id, actor=BOB)
    with pytest.raises(Conflict, match=f"request {request_id} was already closed by bob"):
        workflow.close_request(store, request_id, actor=BOB)
    other = workflow.create_request(store, "small", actor=BOB, now=T0)
    with pytest.raises(Conflict, match="changed since you saw it"):
        workflow.cancel_request(store, other, actor=BOB, expected_version=7)
    assert workflow.cancel_request(store, other, actor=BOB).state == "cancelled"
    with pytest.raises(InvalidTransition, match="only an open request can be closed"):
        workflow.close_request(store, other, actor=BOB)
    assert [r.subject for r in audit_rows(store, action="request.closed")] == [
        f"request {request_id}"
    ]
    assert [r.subject for r in audit_rows(store, action="request.cancelled")] == [
        f"request {other}"
    ]
    assert verified(store).ok


def test_cancelling_supersedes_proposed_offers_but_not_while_units_are_committed(store, small):
    request_id, seen = requested_and_planned(store)
    de = offer_of(seen, "DE-A")
    workflow.commit_offer(store, de.id, actor=ALICE, now=T0)
    with pytest.raises(
        InvalidTransition,
        match=f"request {request_id} cannot be cancelled: "
        f"offer {de.id} is committed \\(by alice \\(DE-A\\)",
    ):
        workflow.cancel_request(store, request_id, actor=BOB)
    after = workflow.board(store, "small", viewer=BOB)
    assert after.requests[0].state == "open"
    assert after.requests[0].allowed_actions == ("close",)
    # Nothing of the refused cancel stayed: the NL-B offer is still proposed.
    assert {o.provider: o.state for o in after.offers} == {"DE-A": "committed", "NL-B": "proposed"}
    workflow.refuse_offer(store, de.id, actor=BOB)
    state = workflow.cancel_request(store, request_id, actor=BOB)
    assert state.state == "cancelled"
    assert {o.provider: o.state for o in workflow.board(store, "small", viewer=BOB).offers} == {
        "DE-A": "refused",
        "NL-B": "superseded",
    }
    (row,) = audit_rows(store, action="request.cancelled")
    assert row.after["superseded_offers"] == [o.id for o in after.offers if o.provider == "NL-B"]
    assert verified(store).ok


# --- plans and offers -----------------------------------------------------------------
def test_a_plan_becomes_one_offer_per_request_and_provider(store, small):
    request_id = workflow.create_request(store, "small", actor=BOB, now=T0)
    outcome = workflow.plan_offers(store, "small", actor=BOB, now=T0)
    seen = workflow.board(store, "small", viewer=ROOT)
    assert [o.id for o in seen.offers] == list(outcome.offer_ids)
    assigned = outcome.plan.assignments
    assert {
        (o.provider, o.requester, o.request_id, o.state, o.version, o.plan_id) for o in seen.offers
    } == {
        (p, "NL-B", request_id, "proposed", 1, outcome.plan_id)
        for p in assigned["from_jurisdiction"]
    }
    assert {"DE-A", "NL-B"} == {o.provider for o in seen.offers}  # BE-C has no agreement
    offered = sorted(
        (line.resource_id, line.incident_id, line.units) for o in seen.offers for line in o.lines
    )
    assert offered == sorted(
        zip(assigned.resource_id, assigned.incident_id, assigned.units.astype(int))
    )
    # Only the requested incidents are planned: I-DE-1 (not requested) gets nothing.
    assert "I-DE-1" not in set(assigned.incident_id)
    with store.reading() as connection:
        stored = connection.execute(sa.select(plans).where(plans.c.id == outcome.plan_id)).one()
    assert stored.computed_by == "bob" and '"assignments"' in stored.body
    assert [r.subject for r in audit_rows(store, action="plan.computed")] == [
        f"plan {outcome.plan_id}"
    ]
    assert [r.subject for r in audit_rows(store, action="offer.created")] == [
        f"offer {i}" for i in outcome.offer_ids
    ]
    assert verified(store).ok


def test_a_new_plan_supersedes_proposed_offers_and_plans_only_what_is_still_open(store, small):
    _, seen = requested_and_planned(store)
    de = offer_of(seen, "DE-A")
    nl = offer_of(seen, "NL-B")
    workflow.commit_offer(store, de.id, actor=ALICE, now=T0)
    committed = {(x.incident_id, x.type): x.units for x in de.lines}
    remaining = {
        (x.incident_id, x.type): x.remaining
        for x in workflow.board(store, "small", viewer=BOB).requests[0].lines
    }
    requested = {("I-NL-1", "boat"): 3, ("I-NL-1", "pump"): 1, ("I-NL-2", "boat"): 1}
    assert remaining == {k: n - committed.get(k, 0) for k, n in requested.items()}
    again = workflow.plan_offers(store, "small", actor=BOB, now=T0 + timedelta(minutes=5))
    assert again.superseded == (nl.id,)
    states = {o.id: o.state for o in workflow.board(store, "small", viewer=BOB).offers}
    assert states[nl.id] == "superseded" and states[de.id] == "committed"
    # The new plan offers no DE-A units already committed and no need already filled.
    counts = unit_counts(store, small)
    for line in (x for o in again.offer_ids for x in _lines(store, o)):
        quantity, taken = counts[line.resource_id]
        assert line.units <= quantity - taken
    new_offered: dict = {}
    for line in (x for o in again.offer_ids for x in _lines(store, o)):
        key = (line.incident_id, line.type)
        new_offered[key] = new_offered.get(key, 0) + line.units
    for key, n in new_offered.items():
        assert n <= remaining[key]
    assert verified(store).ok


def _lines(store, offer_id):
    with store.reading() as connection:
        return connection.execute(
            sa.select(offer_lines).where(offer_lines.c.offer_id == offer_id)
        ).all()


# --- moves of an offer ----------------------------------------------------------------
def test_commit_accept_release_moves_the_units(store, small):
    _, seen = requested_and_planned(store)
    de = offer_of(seen, "DE-A")
    wanted = {}
    for line in de.lines:
        wanted[line.resource_id] = wanted.get(line.resource_id, 0) + line.units
    before = unit_counts(store, small)

    state = workflow.commit_offer(store, de.id, actor=ALICE, expected_version=1, now=T0)
    assert (state.state, state.version, state.updated_by, state.updated_at) == (
        "committed",
        2,
        "alice",
        T0,
    )
    after_commit = unit_counts(store, small)
    for rid, n in wanted.items():
        assert after_commit[rid][1] == before[rid][1] + n
    assert workflow.accept_offer(store, de.id, actor=BOB, expected_version=2).state == "accepted"
    assert unit_counts(store, small) == after_commit  # deployed units stay counted
    assert workflow.release_offer(store, de.id, actor=ALICE).state == "released"
    assert unit_counts(store, small) == before

    (row,) = audit_rows(store, action="offer.committed")
    assert row.subject == f"offer {de.id}" and row.actor == "alice"
    assert row.before == {"state": "proposed", "version": 1}
    assert row.after["state"] == "committed" and row.after["version"] == 2
    assert {u["resource_id"]: u["units"] for u in row.after["units"]} == wanted
    assert len(row.after["lines"]) == len(de.lines)
    assert [r.after["state"] for r in audit_rows(store, subject=f"offer {de.id}")][-2:] == [
        "accepted",
        "released",
    ]
    assert verified(store).ok


@pytest.mark.parametrize("move, by", [("refuse", BOB), ("withdraw", ALICE)])
def test_refusing_or_withdrawing_frees_the_units(store, small, move, by):
    _, seen = requested_and_planned(store)
    de = offer_of(seen, "DE-A")
    before = unit_counts(store, small)
    workflow.commit_offer(store, de.id, actor=ALICE)
    assert unit_counts(store, small) != before
    state = getattr(workflow, f"{move}_offer")(store, de.id, actor=by)
    assert state.state == workflow.OFFER_TRANSITIONS[move].target
    assert unit_counts(store, small) == before
    assert audit_rows(store, action=workflow.OFFER_TRANSITIONS[move].audit_action)
    assert verified(store).ok


def test_declining_keeps_the_units_free(store, small):
    _, seen = requested_and_planned(store)
    before = unit_counts(store, small)
    de = offer_of(seen, "DE-A")
    assert workflow.decline_offer(store, de.id, actor=ALICE).state == "declined"
    assert unit_counts(store, small) == before
    remaining = [x.remaining for x in workflow.board(store, "small", viewer=BOB).requests[0].lines]
    assert remaining == [
        x.units for x in workflow.board(store, "small", viewer=BOB).requests[0].lines
    ]


def _insert_offer(
    store,
    scenario_id,
    request_id,
    *,
    state,
    provider="DE-A",
    requester="NL-B",
    lines=(("R-DE-BOAT", "I-NL-1", "boat", 1),),
) -> int:
    """An offer in any state, written directly (to reach states without their history)."""
    with store.transaction() as connection:
        plan_id = insert_plan(connection, scenario_id=scenario_id, when=T0)
        return insert_offer(
            connection,
            scenario_id=scenario_id,
            plan_id=plan_id,
            request_id=request_id,
            lines=[(r, i, k, n, 10.0) for r, i, k, n in lines],
            when=T0,
            state=state,
            provider=provider,
            requester=requester,
            updated_by="someone",
        )


def test_every_move_not_in_the_transition_table_is_refused(store, small):
    request_id = workflow.create_request(store, "small", actor=BOB, now=T0)
    table = workflow.OFFER_TRANSITIONS
    moves = {name: getattr(workflow, f"{name}_offer") for name in table if name != "supersede"}
    actor_for = {"provider": ALICE, "requester": BOB, "either": BOB}
    refused = 0
    for state in workflow.OFFER_STATES:
        for name, move in moves.items():
            if state in table[name].sources:
                continue
            offer_id = _insert_offer(store, small, request_id, state=state)
            side = {
                "committed": " (DE-A)",
                "declined": " (DE-A)",
                "withdrawn": " (DE-A)",
                "accepted": " (NL-B)",
                "refused": " (NL-B)",
            }.get(state, "")
            if state == table[name].target:
                # Already where the move leads: someone else made it first.
                with pytest.raises(Conflict) as caught:
                    move(store, offer_id, actor=actor_for[table[name].by])
                assert str(caught.value) == (
                    f"offer {offer_id} was already {state} by someone{side} at 20:31 UTC"
                )
            else:
                with pytest.raises(InvalidTransition) as caught:
                    move(store, offer_id, actor=actor_for[table[name].by])
                assert str(caught.value) == (
                    f"offer {offer_id} is {state} (by someone{side} at 20:31 UTC); only a "
                    f"{table[name].sources_text} offer can be {table[name].target}"
                )
            with store.reading() as connection:
                row = connection.execute(sa.select(offers).where(offers.c.id == offer_id)).one()
            assert (row.state, row.version) == (state, 1)
            refused += 1
    assert refused == len(workflow.OFFER_STATES) * len(moves) - sum(
        len(table[name].sources) for name in moves
    )
    assert unit_counts(store, small)["R-DE-BOAT"] == (3, 0)
    assert verified(store).ok


def test_every_allowed_move_reaches_its_target(store, small):
    request_id = workflow.create_request(store, "small", actor=BOB, now=T0)
    actor_for = {"provider": ALICE, "requester": BOB, "either": ALICE}
    path_to = {"proposed": [], "committed": ["commit"], "accepted": ["commit", "accept"]}
    for name, t in workflow.OFFER_TRANSITIONS.items():
        if name == "supersede":
            continue
        offer_id = _insert_offer(store, small, request_id, state="proposed")
        for step in path_to[t.sources[0]] + [name]:
            by = actor_for[workflow.OFFER_TRANSITIONS[step].by]
            getattr(workflow, f"{step}_offer")(store, offer_id, actor=by)
        assert workflow.board(store, "small", viewer=BOB).offers[-1].state == t.target
        if t.target == "on_scene":
            # Released from on scene too (the second source of "release"): frees the boat.
            workflow.release_offer(store, offer_id, actor=BOB)
            assert workflow.board(store, "small", viewer=BOB).offers[-1].state == "released"
    # Units stay held by the committed offer and the accepted one; the others gave theirs back.
    assert unit_counts(store, small)["R-DE-BOAT"] == (3, 2)
    assert verified(store).ok


def test_a_second_commit_of_the_same_offer_names_who_came_first(store, small):
    _, seen = requested_and_planned(store)
    de = offer_of(seen, "DE-A")
    other = Actor("dora", "coordinator", "DE-A")
    workflow.commit_offer(store, de.id, actor=ALICE, now=T0)
    with pytest.raises(Conflict) as caught:
        workflow.commit_offer(store, de.id, actor=other, expected_version=1)
    assert str(caught.value) == f"offer {de.id} was already committed by alice (DE-A) at 20:31 UTC"
    with pytest.raises(Conflict, match=f"offer {de.id} was already committed by alice"):
        workflow.commit_offer(store, de.id, actor=other)
    with pytest.raises(
        Conflict,
        match=f"offer {de.id} changed since you saw it: it was last changed by ",
    ):
        workflow.accept_offer(store, de.id, actor=BOB, expected_version=1)


def test_units_taken_names_the_resource_and_who_holds_it(store, small):
    request_id = workflow.create_request(store, "small", actor=BOB, now=T0)
    first = _insert_offer(
        store,
        small,
        request_id,
        state="proposed",
        lines=[("R-DE-BOAT", "I-NL-1", "boat", 2), ("R-DE-PUMP", "I-NL-1", "pump", 1)],
    )
    second = _insert_offer(
        store,
        small,
        request_id,
        state="proposed",
        lines=[("R-DE-PUMP", "I-NL-1", "pump", 1), ("R-DE-BOAT", "I-NL-1", "boat", 2)],
    )
    workflow.commit_offer(store, first, actor=ALICE, now=T0)
    dora = Actor("dora", "coordinator", "DE-A")
    with pytest.raises(UnitsTaken) as caught:
        workflow.commit_offer(store, second, actor=dora, now=T0 + timedelta(minutes=3))
    assert str(caught.value) == (
        f"offer {second} was not committed: resource R-DE-BOAT (boat) has 1 of 3 units free "
        f"and the offer needs 2; 2 are committed to offer {first} by alice (DE-A) at 20:31 UTC"
    )
    assert caught.value.holders[0]["offer_id"] == first
    # All or nothing: the pump (locked first, it was free) is not committed either.
    assert unit_counts(store, small) == {
        "R-DE-BOAT": (3, 2),
        "R-DE-PUMP": (2, 1),
        "R-NL-BOAT": (1, 0),
        "R-BE-BOAT": (2, 0),
    }
    with store.reading() as connection:
        assert (
            connection.execute(sa.select(offers.c.state).where(offers.c.id == second)).scalar_one()
            == "proposed"
        )
    workflow.accept_offer(store, first, actor=BOB, now=T0 + timedelta(minutes=9))
    with pytest.raises(
        UnitsTaken,
        match=f"2 are deployed with offer {first} \\(accepted by bob \\(NL-B\\) at 20:40 UTC\\)",
    ):
        workflow.commit_offer(store, second, actor=dora)
    assert verified(store).ok


# --- rights ---------------------------------------------------------------------------
def test_denied_moves_are_refused_and_on_record(store, small):
    request_id, seen = requested_and_planned(store)
    de = offer_of(seen, "DE-A")
    cases = [
        (
            lambda: workflow.commit_offer(store, de.id, actor=BOB),
            f"bob (NL-B coordinator) cannot commit offer {de.id}: its units belong to DE-A",
            f"offer {de.id}",
        ),
        (
            lambda: workflow.commit_offer(store, de.id, actor=VERA),
            f"vera (NL-B viewer) cannot commit offer {de.id}: only a coordinator can",
            f"offer {de.id}",
        ),
        (
            lambda: workflow.decline_offer(store, de.id, actor=ROOT),
            f"root (admin) cannot decline offer {de.id}: its units belong to DE-A",
            f"offer {de.id}",
        ),
        (
            lambda: workflow.close_request(store, request_id, actor=ALICE),
            (
                f"alice (DE-A coordinator) cannot close request {request_id}: only a coordinator of "
                f"NL-B, the requester, can"
            ),
            f"request {request_id}",
        ),
        (
            lambda: workflow.create_request(store, "small", actor=PAUL),
            (
                "paul (DE-A planner) cannot request assistance in scenario small: only a coordinator "
                "of the requesting jurisdiction can"
            ),
            "scenario small",
        ),
        (
            lambda: workflow.plan_offers(store, "small", actor=VERA),
            (
                "vera (NL-B viewer) cannot plan offers in scenario small: only a coordinator or an "
                "admin can"
            ),
            "scenario small",
        ),
    ]
    for act, message, subject in cases:
        with pytest.raises(Denied) as caught:
            act()
        assert str(caught.value) == message
        row = audit_rows(store, action="access.denied")[-1]
        assert (row.subject, row.after["reason"]) == (subject, message)
    workflow.commit_offer(store, de.id, actor=ALICE)
    for act, message in [
        (
            lambda: workflow.accept_offer(store, de.id, actor=CAROL),
            (
                f"carol (BE-C coordinator) cannot accept offer {de.id}: only a coordinator of NL-B, "
                f"the requester, can"
            ),
        ),
        (
            lambda: workflow.refuse_offer(store, de.id, actor=ALICE),
            (
                f"alice (DE-A coordinator) cannot refuse offer {de.id}: only a coordinator of NL-B, "
                f"the requester, can"
            ),
        ),
        (
            lambda: workflow.withdraw_offer(store, de.id, actor=BOB),
            f"bob (NL-B coordinator) cannot withdraw offer {de.id}: its units belong to DE-A",
        ),
    ]:
        with pytest.raises(Denied, match="^" + message.replace("(", "\\(").replace(")", "\\)")):
            act()
    workflow.accept_offer(store, de.id, actor=BOB)
    with pytest.raises(
        Denied, match=f"cannot release offer {de.id}: only a coordinator of DE-A or NL-B can"
    ):
        workflow.release_offer(store, de.id, actor=CAROL)
    assert len(audit_rows(store, action="access.denied")) == 10
    # None of the refused moves happened; the others did.
    assert workflow.board(store, "small", viewer=BOB).offers[0].state == "accepted"
    assert workflow.release_offer(store, de.id, actor=BOB).state == "released"
    assert verified(store).ok


def test_the_board_shows_each_viewer_only_its_own_buttons(store, small):
    _, seen = requested_and_planned(store)
    de = offer_of(seen, "DE-A")

    def actions(viewer):
        view = workflow.board(store, "small", viewer=viewer)
        return (
            {o.provider: o.allowed_actions for o in view.offers},
            view.requests[0].allowed_actions,
            view.viewer_actions,
        )

    # DE-A sees its own offer and the request it answers, not NL-B's offer to itself
    assert actions(ALICE) == ({"DE-A": ("commit", "decline")}, (), ("request", "plan"))
    assert actions(BOB) == (
        {"DE-A": (), "NL-B": ("commit", "decline")},
        ("close", "cancel"),
        ("request", "plan"),
    )
    assert actions(VERA) == ({"DE-A": (), "NL-B": ()}, (), ())
    assert actions(ROOT) == ({"DE-A": (), "NL-B": ()}, (), ("plan",))
    workflow.commit_offer(store, de.id, actor=ALICE, now=T0)
    assert actions(ALICE)[0]["DE-A"] == ("withdraw",)
    assert actions(BOB)[0]["DE-A"] == ("accept", "refuse")
    assert actions(BOB)[1] == ("close",)  # no cancel while units are committed
    workflow.accept_offer(store, de.id, actor=BOB)
    assert actions(ALICE)[0]["DE-A"] == actions(BOB)[0]["DE-A"] == ("arrive", "release")
    assert workflow.board(store, "small", viewer=CAROL).offers == ()  # not a party
    view = workflow.board(store, "small", viewer=BOB).offers[0]
    assert (view.id, view.state, view.version, view.updated_by, view.provider, view.requester) == (
        de.id,
        "accepted",
        3,
        "bob",
        "DE-A",
        "NL-B",
    )
    assert view.units == sum(x.units for x in de.lines)


# --- the Rhine sample -----------------------------------------------------------------
def test_rhine_requests_plan_commit_and_replan(store):
    loaded = load_scenario(RHINE)
    assert loaded.ok
    stored = save_scenario(
        store, loaded.scenario, name="rhine", sources={}, actor=system_actor("test"), now=T0
    )
    coordinators = {
        j: Actor(f"c-{j}", "coordinator", j) for j in loaded.scenario.jurisdictions["id"]
    }
    requesters = ["NL-LI", "BE-WLG", "DE-RP"]
    request_ids = [
        workflow.create_request(store, "rhine", actor=coordinators[j], now=T0) for j in requesters
    ]
    outcome = workflow.plan_offers(store, "rhine", actor=ROOT, now=T0)
    assert outcome.offer_ids and outcome.plan.summary["units_assigned"] > 0
    view = workflow.board(store, "rhine", viewer=ROOT)
    assert {o.request_id for o in view.offers} <= set(request_ids)
    assert len({(o.request_id, o.provider) for o in view.offers}) == len(view.offers)
    # Offers never exceed the requested units nor any resource's quantity.
    quantity = dict(zip(loaded.scenario.resources["id"], loaded.scenario.resources["quantity"]))
    per_resource: dict = {}
    for o in view.offers:
        for line in o.lines:
            per_resource[line.resource_id] = per_resource.get(line.resource_id, 0) + line.units
    assert all(n <= quantity[r] for r, n in per_resource.items())

    # Half the providers commit; the needs shrink by exactly what they committed.
    committed_offers = view.offers[::2]
    for o in committed_offers:
        workflow.commit_offer(store, o.id, actor=coordinators[o.provider], now=T0)
    filled: dict = {}
    for o in committed_offers:
        for line in o.lines:
            key = (o.request_id, line.incident_id, line.type)
            filled[key] = filled.get(key, 0) + line.units
    after = workflow.board(store, "rhine", viewer=ROOT)
    for r in after.requests:
        for line in r.lines:
            assert line.remaining == line.units - filled.get((r.id, line.incident_id, line.type), 0)
    counts = unit_counts(store, stored.id)
    assert all(c <= q for q, c in counts.values())
    assert sum(c for _, c in counts.values()) == sum(filled.values())

    # an admin's plan covers every requester (a coordinator's, its own requests only:
    # test_a_coordinator_plans_and_supersedes_only_its_own_requests)
    again = workflow.plan_offers(store, "rhine", actor=ROOT, now=T0)
    assert set(again.superseded) == {o.id for o in view.offers[1::2]}
    for offer_id in again.offer_ids:
        for line in _lines(store, offer_id):
            q, c = counts[line.resource_id]
            assert line.units <= q - c
    assert verified(store).ok


# --- sharing (issue 6) ------------------------------------------------------------------------
def test_a_third_jurisdiction_does_not_see_the_dealings_of_two_others(store, small):
    request_id, _ = requested_and_planned(store)
    # (NL-B's own boat serves its own incident: an offer from itself)
    assert {o.provider for o in workflow.board(store, "small", viewer=BOB).offers} == {
        "DE-A",
        "NL-B",
    }
    carol_sees = workflow.board(store, "small", viewer=CAROL)
    assert carol_sees.offers == () and carol_sees.requests == ()
    # the parties and an admin see the request and the offer
    for viewer in (ALICE, BOB, ROOT):
        seen = workflow.board(store, "small", viewer=viewer)
        assert [r.id for r in seen.requests] == [request_id]
        assert {o.requester for o in seen.offers} == {"NL-B"}


def test_units_shared_with_nobody_serve_only_their_owners_requests(store):
    scenario = small_scenario()
    resources = scenario.resources.copy()
    resources["sharing"] = ["owner" if r == "R-DE-BOAT" else None for r in resources["id"]]
    scenario = Scenario(
        jurisdictions=scenario.jurisdictions,
        incidents=scenario.incidents,
        resources=resources,
        agreements=scenario.agreements,
        name="small",
    )
    save_scenario(
        store,
        scenario,
        name="small",
        sources={},
        actor=system_actor("test"),
        now=T0 - timedelta(hours=1),
    )
    workflow.create_request(store, "small", actor=BOB, now=T0)
    workflow.plan_offers(store, "small", actor=BOB, now=T0)
    offered = {
        line.resource_id
        for o in workflow.board(store, "small", viewer=ROOT).offers
        for line in o.lines
    }
    assert "R-DE-BOAT" not in offered
    assert "R-DE-PUMP" in offered  # the layer's other units are offered as before
    # DE-A's own request: its unshared boat serves it (the offer stays within DE-A)
    workflow.create_request(store, "small", actor=ALICE, now=T0 + timedelta(minutes=1))
    workflow.plan_offers(store, "small", actor=ALICE, now=T0 + timedelta(minutes=2))
    proposed = [
        o
        for o in workflow.board(store, "small", viewer=ROOT).offers
        if o.state == workflow.PROPOSED
    ]
    home = [
        (o.provider, o.requester, line.incident_id)
        for o in proposed
        for line in o.lines
        if line.resource_id == "R-DE-BOAT"
    ]
    assert home == [("DE-A", "DE-A", "I-DE-1")]


def test_the_audit_rows_a_coordinator_reads_are_its_own_and_its_dealings(store, small):
    """Issue 6: a coordinator reads the rows its jurisdiction's accounts wrote and the rows
    about the requests and offers it is part of (who on the other side committed what);
    a third jurisdiction reads none of them."""
    from mutualaid.store.accounts import add_account

    for person in (ALICE, BOB, CAROL):
        add_account(
            store,
            username=person.username,
            role=person.role,
            jurisdiction=person.jurisdiction,
            actor=system_actor("test"),
        )
    request_id, seen = requested_and_planned(store)
    de = offer_of(seen, "DE-A")
    workflow.commit_offer(store, de.id, actor=ALICE, expected_version=1, now=T0)

    def readable(person):
        with store.reading() as connection:
            return {
                (e.actor, e.action, e.subject)
                for e in audit.entries(connection, jurisdiction=person.jurisdiction)
            }

    bob = readable(BOB)
    assert ("bob", "request.created", f"request {request_id}") in bob
    assert ("alice", "offer.committed", f"offer {de.id}") in bob  # the other side's move
    assert {actor for actor, _, _ in bob} <= {"bob", "alice"}
    assert not any(subject.startswith("account ") and actor != "bob" for actor, _, subject in bob)
    alice = readable(ALICE)
    assert ("alice", "offer.committed", f"offer {de.id}") in alice
    carol = readable(CAROL)
    assert not any(s in (f"offer {de.id}", f"request {request_id}") for _, _, s in carol)
    assert {actor for actor, _, _ in carol} <= {"carol"}


# --- planning scope and audit readers (issue 16) ----------------------------------------------
BEA = Actor("bea", "coordinator", "BE-WLG")  # a stranger to both owners of the secrets


def readable_text(store, jurisdiction) -> str:
    """Every audit row a coordinator of *jurisdiction* reads, as one text."""
    with store.reading() as connection:
        return "\n".join(
            f"{e.actor} {e.action} {e.subject} {e.before} {e.after}"
            for e in audit.entries(connection, jurisdiction=jurisdiction)
        )


def proposed_offers(store, scenario) -> dict[int, tuple[str, int]]:
    return {o.id: (o.state, o.version) for o in workflow.board(store, scenario, viewer=ROOT).offers}


def test_an_uninvolved_coordinator_cannot_compute_offers_nor_supersede_others(store, small):
    request_id, _ = requested_and_planned(store)
    before = proposed_offers(store, "small")
    assert before and {state for state, _ in before.values()} == {"proposed"}
    with pytest.raises(Denied) as caught:
        workflow.plan_offers(store, "small", actor=CAROL, now=T0)
    message = (
        "carol (BE-C coordinator) cannot plan offers in scenario small: BE-C has no open "
        "request in it; offers for a request are computed by the requester's "
        "coordinator or an admin"
    )
    assert str(caught.value) == message
    assert proposed_offers(store, "small") == before  # nobody's offers superseded
    with store.reading() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(plans)).scalar() == 1
    row = audit_rows(store, action="access.denied")[-1]
    assert (row.actor, row.subject, row.after["reason"], row.readers) == (
        "carol",
        "scenario small",
        message,
        ("BE-C",),
    )
    # the refusal names no request, offer, incident or unit
    assert not any(
        word in message for word in ("request 1", "offer 1", "offer 2", "I-", "R-", "NL-B")
    )
    assert [r.subject for r in audit_rows(store, action="plan.computed")] == ["plan 1"]
    assert verified(store).ok


def test_a_coordinator_plans_and_supersedes_only_its_own_requests(store, small):
    bobs = workflow.create_request(store, "small", actor=BOB, now=T0)
    alices = workflow.create_request(store, "small", actor=ALICE, now=T0)
    first = workflow.plan_offers(store, "small", actor=BOB, now=T0)
    seen = workflow.board(store, "small", viewer=ROOT).offers
    assert {o.request_id for o in seen} == {bobs}  # DE-A's request is not planned by bob
    assert "I-DE-1" not in set(first.plan.assignments.incident_id)
    second = workflow.plan_offers(store, "small", actor=ALICE, now=T0 + timedelta(minutes=1))
    assert second.superseded == ()  # bob's proposed offers stand
    after = workflow.board(store, "small", viewer=ROOT).offers
    assert {o.id: o.state for o in after if o.request_id == bobs} == {
        i: "proposed" for i in first.offer_ids
    }
    assert {o.request_id for o in after if o.id in second.offer_ids} == {alices}
    # bob planning again supersedes only his own request's offers
    third = workflow.plan_offers(store, "small", actor=BOB, now=T0 + timedelta(minutes=2))
    assert set(third.superseded) == set(first.offer_ids)
    assert {
        o.id: o.state
        for o in workflow.board(store, "small", viewer=ROOT).offers
        if o.id in second.offer_ids
    } == {i: "proposed" for i in second.offer_ids}
    # an admin plans every open request
    everything = workflow.plan_offers(store, "small", actor=ROOT, now=T0 + timedelta(minutes=3))
    assert set(everything.superseded) == set(second.offer_ids) | set(third.offer_ids)
    assert verified(store).ok


def test_a_stranger_reads_no_owner_only_or_partners_only_id_in_the_audit_log(store, tmp_path):
    from meuse import SECRET_IDS, store_secrets

    made = store_secrets(store, tmp_path / "meuse")
    offers_before = proposed_offers(store, "meuse")
    # the click of the issue: BE-WLG's coordinator computes offers
    with pytest.raises(Denied, match="BE-WLG has no open request in it"):
        workflow.plan_offers(store, "meuse", actor=BEA)
    assert proposed_offers(store, "meuse") == offers_before
    stranger = readable_text(store, "BE-WLG")
    assert "access.denied" in stranger  # its own refusal, and nothing foreign
    assert not [i for i in SECRET_IDS if i in stranger]
    assert not any(f"offer {i}" in stranger for ids in made.values() for i in ids)
    # a commit and an accept are read by the two parties only
    de_to_nl = [
        o
        for o in workflow.board(store, "meuse", viewer=ROOT).offers
        if (o.provider, o.requester) == ("DE-NW", "NL-LI")
    ][0]
    dora, nina = Actor("dora", "coordinator", "DE-NW"), Actor("nina", "coordinator", "NL-LI")
    workflow.commit_offer(store, de_to_nl.id, actor=dora)
    workflow.accept_offer(store, de_to_nl.id, actor=nina)
    assert not [i for i in SECRET_IDS if i in readable_text(store, "BE-WLG")]
    # each owner reads its own dealings; a partner its offer to the other, not the
    # other's home offer (an owner-only unit) nor the other's own request and plan
    de, nl = readable_text(store, "DE-NW"), readable_text(store, "NL-LI")
    assert "I-DE-OWN" in de and "R-NL-OWN" not in de and "I-NL-OWN" not in de
    assert "I-NL-PART" in de  # the offer DE-NW makes names the incident it serves
    assert "R-NL-OWN" in nl and "I-NL-OWN" in nl and "I-DE-OWN" not in nl
    assert "R-DE-PART" in nl  # the units offered to NL-LI
    with store.reading() as connection:
        rows = {(e.action, e.subject): e.readers for e in audit.entries(connection)}
        assert audit.verify(connection).ok
    assert rows[("offer.committed", f"offer {de_to_nl.id}")] == ("DE-NW", "NL-LI")
    assert rows[("plan.computed", "plan 2")] == ("NL-LI",)
    assert rows[("request.created", "request 1")] == ("DE-NW",)


def test_rows_written_before_readers_existed_do_not_leak_to_their_writers_jurisdiction(store):
    """Rows with no readers (a store upgraded to migration 0003) are read by the writer's
    jurisdiction only when they name no other jurisdiction as a party and are no plan:
    the offer.created rows an uninvolved coordinator's compute wrote stay hidden."""
    from mutualaid.store.accounts import add_account

    for person in (ALICE, BOB, CAROL, Actor("ada", "admin", "BE-C")):
        add_account(
            store,
            username=person.username,
            role=person.role,
            jurisdiction=person.jurisdiction,
            actor=system_actor("test"),
        )
    old_rows = [
        ("carol", "plan.computed", "plan 1", {"offers": [1]}),
        # an admin (here bound to BE-C) sees every layer: its rows are not BE-C's
        (
            "ada",
            "layer.loaded",
            "scenario small: incidents",
            {"incidents": {"source": "SECRET.geojson", "owner": "NL-B"}},
        ),
        (
            "carol",
            "offer.created",
            "offer 1",
            {
                "provider": "DE-A",
                "requester": "NL-B",
                "lines": [{"resource_id": "R-SECRET", "incident_id": "I-SECRET"}],
            },
        ),
        ("bob", "request.created", "request 1", {"jurisdiction": "NL-B"}),
        ("carol", "access.denied", "offer 1", {"jurisdiction": "BE-C"}),
    ]
    with store.transaction() as connection:
        for actor, action, subject, after in old_rows:
            audit.record(
                connection, actor=actor, action=action, subject=subject, after=after, now=T0
            )
    assert "SECRET" not in readable_text(store, "BE-C")
    assert [a for a in readable_text(store, "BE-C").splitlines()] == [
        "carol access.denied offer 1 None {'jurisdiction': 'BE-C'}"
    ]
    assert "request.created" in readable_text(store, "NL-B")
    assert "SECRET" not in readable_text(store, "NL-B") + readable_text(store, "DE-A")
    assert verified(store).ok


# --- partial answers and deployment over time (issue 12) ------------------------------
def _line_ids(offer) -> dict[str, int]:
    """Resource id -> line id of an offer (one line per resource in the small plan)."""
    return {x.resource_id: x.id for x in offer.lines}


def _remaining(store) -> dict[tuple[str, str], int]:
    (request,) = workflow.board(store, "small", viewer=BOB).requests
    return {(x.incident_id, x.type): x.remaining for x in request.lines}


def _held(store) -> list[tuple[int, str, str, int, str]]:
    return [
        (x.offer_id, x.resource_id, x.incident_id, x.units, x.stage)
        for x in workflow.held_lines(store, "small").lines
    ]


def test_a_partial_commit_takes_only_the_units_committed(store, small):
    _, seen = requested_and_planned(store)
    de = offer_of(seen, "DE-A")
    ids = _line_ids(de)
    assert [(x.resource_id, x.units, x.offered, x.committed) for x in de.lines] == [
        ("R-DE-BOAT", 3, 3, None),
        ("R-DE-PUMP", 1, 1, None),
    ]
    state = workflow.commit_offer(
        store, de.id, actor=ALICE, units={ids["R-DE-BOAT"]: 1, ids["R-DE-PUMP"]: 0}, now=T0
    )
    assert (state.state, state.version) == ("committed", 2)
    # Only the committed boat is taken; the pump line is declined and stays free.
    assert unit_counts(store, small)["R-DE-BOAT"] == (3, 1)
    assert unit_counts(store, small)["R-DE-PUMP"] == (2, 0)
    view = workflow.board(store, "small", viewer=BOB).offers[0]
    assert [(x.resource_id, x.units, x.offered, x.committed) for x in view.lines] == [
        ("R-DE-BOAT", 1, 3, 1),
        ("R-DE-PUMP", 0, 1, 0),
    ]
    assert (view.units, view.offered, view.stage, view.committed_at) == (1, 4, "committed", T0)
    # The boat's estimated arrival is the commit time + its minutes; the declined line has none.
    assert [x.eta for x in view.lines] == [T0 + timedelta(minutes=view.lines[0].minutes), None]
    assert _held(store) == [(de.id, "R-DE-BOAT", "I-NL-1", 1, "committed")]
    # What was not committed is open again.
    assert _remaining(store) == {
        ("I-NL-1", "boat"): 2,
        ("I-NL-1", "pump"): 1,
        ("I-NL-2", "boat"): 1,
    }
    (row,) = audit_rows(store, action="offer.committed")
    assert [
        (x["resource_id"], x["offered"], x["committed"], x["units"]) for x in row.after["lines"]
    ] == [
        ("R-DE-BOAT", 3, 1, 1),
        ("R-DE-PUMP", 1, 0, 0),
    ]
    assert [(u["resource_id"], u["units"]) for u in row.after["units"]] == [("R-DE-BOAT", 1)]
    assert verified(store).ok


def test_a_partial_accept_frees_what_is_not_accepted(store, small):
    _, seen = requested_and_planned(store)
    de = offer_of(seen, "DE-A")
    ids = _line_ids(de)
    workflow.commit_offer(store, de.id, actor=ALICE, now=T0)  # whole: 3 boats, 1 pump
    assert unit_counts(store, small)["R-DE-BOAT"] == (3, 3)
    state = workflow.accept_offer(
        store,
        de.id,
        actor=BOB,
        units={ids["R-DE-BOAT"]: 2, ids["R-DE-PUMP"]: 0},
        now=T0 + timedelta(minutes=5),
    )
    assert state.state == "accepted"
    assert unit_counts(store, small)["R-DE-BOAT"] == (3, 2)
    assert unit_counts(store, small)["R-DE-PUMP"] == (2, 0)
    assert _held(store) == [(de.id, "R-DE-BOAT", "I-NL-1", 2, "en_route")]
    assert _remaining(store) == {
        ("I-NL-1", "boat"): 1,
        ("I-NL-1", "pump"): 1,
        ("I-NL-2", "boat"): 1,
    }
    (row,) = audit_rows(store, action="offer.accepted")
    assert [(x["resource_id"], x["committed"], x["units"]) for x in row.after["lines"]] == [
        ("R-DE-BOAT", 3, 2),
        ("R-DE-PUMP", 1, 0),
    ]
    # The units freed by the accept, per resource.
    assert [(u["resource_id"], u["units"], u["committed"]) for u in row.after["units"]] == [
        ("R-DE-BOAT", 1, 2),
        ("R-DE-PUMP", 1, 0),
    ]
    # Releasing frees what was accepted, nothing more.
    workflow.release_offer(store, de.id, actor=BOB)
    assert unit_counts(store, small)["R-DE-BOAT"] == (3, 0)
    assert verified(store).ok


def test_answers_that_do_not_fit_the_lines_are_refused_and_change_nothing(store, small):
    _, seen = requested_and_planned(store)
    de = offer_of(seen, "DE-A")
    boat, pump = _line_ids(de)["R-DE-BOAT"], _line_ids(de)["R-DE-PUMP"]
    nl = offer_of(seen, "NL-B")
    before = unit_counts(store, small)
    head = f"offer {de.id} was not committed: "
    for answer, message in [
        (
            {boat: 4},
            f"line {boat} (R-DE-BOAT → I-NL-1, boat): units must be a whole number from 0 "
            "to 3 (the units offered), got 4",
        ),
        ({pump: -1}, f"line {pump} (R-DE-PUMP → I-NL-1, pump): units must be a whole"),
        ({boat: 1.5}, "got 1.5"),
        ({boat: True}, "got True"),
        ({nl.lines[0].id: 1}, f"line {nl.lines[0].id} is not a line of offer {de.id}"),
        ({boat: 0, pump: 0}, "no units to commit; to commit none, decline the offer"),
    ]:
        with pytest.raises(workflow.InvalidAnswer) as caught:
            workflow.commit_offer(store, de.id, actor=ALICE, units=answer)
        assert str(caught.value).startswith(head)
        assert message in str(caught.value)
    assert unit_counts(store, small) == before
    assert workflow.board(store, "small", viewer=BOB).offers[0].version == 1
    assert audit_rows(store, action="offer.committed") == []
    workflow.commit_offer(store, de.id, actor=ALICE, units={boat: 1})  # the pump whole
    for answer, message in [
        ({boat: 2}, "from 0 to 1 (the units committed), got 2"),
        ({boat: 0, pump: 0}, "no units to accept; to accept none, refuse the offer"),
    ]:
        with pytest.raises(workflow.InvalidAnswer, match=f"^offer {de.id} was not accepted: "):
            workflow.accept_offer(store, de.id, actor=BOB, units=answer)
        with pytest.raises(workflow.InvalidAnswer) as caught:
            workflow.accept_offer(store, de.id, actor=BOB, units=answer)
        assert message in str(caught.value)
    assert workflow.board(store, "small", viewer=BOB).offers[0].state == "committed"
    assert (unit_counts(store, small)["R-DE-BOAT"], unit_counts(store, small)["R-DE-PUMP"]) == (
        (3, 1),
        (2, 1),
    )
    assert verified(store).ok


def test_a_later_plan_offers_again_what_was_not_committed_or_accepted(store, small):
    _, seen = requested_and_planned(store)
    de = offer_of(seen, "DE-A")
    ids = _line_ids(de)
    workflow.commit_offer(
        store, de.id, actor=ALICE, units={ids["R-DE-BOAT"]: 2, ids["R-DE-PUMP"]: 0}
    )
    workflow.accept_offer(store, de.id, actor=BOB, units={ids["R-DE-BOAT"]: 1})
    assert _remaining(store) == {
        ("I-NL-1", "boat"): 2,
        ("I-NL-1", "pump"): 1,
        ("I-NL-2", "boat"): 1,
    }
    again = workflow.plan_offers(store, "small", actor=BOB, now=T0 + timedelta(minutes=10))
    offered: dict = {}
    for line in (x for o in again.offer_ids for x in _lines(store, o)):
        offered[(line.incident_id, line.type)] = (
            offered.get((line.incident_id, line.type), 0) + line.units
        )
    # DE-A's two boats not accepted and its pump are proposed again, within what is open.
    assert offered[("I-NL-1", "pump")] == 1
    assert offered[("I-NL-1", "boat")] == 2
    for key, n in offered.items():
        assert n <= _remaining(store)[key]
    assert verified(store).ok


def test_deployment_over_time_stamps_each_move_and_moves_through_the_stages(store, small):
    _, seen = requested_and_planned(store)
    de = offer_of(seen, "DE-A")
    minutes = {x.resource_id: x.minutes for x in de.lines}
    workflow.commit_offer(store, de.id, actor=ALICE, now=T0)

    def view():
        return workflow.board(store, "small", viewer=BOB).offers[0]

    def stages():
        return {(x.resource_id, x.stage, x.eta) for x in workflow.held_lines(store, "small").lines}

    expected_eta = {r: T0 + timedelta(minutes=m) for r, m in minutes.items()}
    assert stages() == {(r, "committed", eta) for r, eta in expected_eta.items()}
    assert [x.eta for x in view().lines] == [expected_eta[x.resource_id] for x in de.lines]
    workflow.accept_offer(store, de.id, actor=BOB, now=T0 + timedelta(minutes=5))
    assert stages() == {(r, "en_route", eta) for r, eta in expected_eta.items()}
    assert view().allowed_actions == ("arrive", "release")
    # The provider marks the arrival (the requester could too).
    state = workflow.arrive_offer(store, de.id, actor=ALICE, now=T0 + timedelta(minutes=50))
    assert (state.state, state.version) == ("on_scene", 4)
    assert stages() == {(r, "on_scene", eta) for r, eta in expected_eta.items()}
    assert unit_counts(store, small)["R-DE-BOAT"] == (3, 3)  # still held on scene
    assert view().stage == "on_scene" and view().allowed_actions == ("release",)
    workflow.release_offer(store, de.id, actor=BOB, now=T0 + timedelta(hours=3))
    assert stages() == set()
    assert unit_counts(store, small)["R-DE-BOAT"] == (3, 0)
    released = view()
    assert (
        released.committed_at,
        released.accepted_at,
        released.arrived_at,
        released.released_at,
        released.stage,
    ) == (T0, T0 + timedelta(minutes=5), T0 + timedelta(minutes=50), T0 + timedelta(hours=3), None)
    # A release reopens the need (the pages' plans see it open too): the bug was a
    # need the pages planned for again that "Compute offers" could not offer.
    assert _remaining(store)[("I-NL-1", "boat")] == 3
    (row,) = audit_rows(store, action="offer.arrived")
    assert (row.actor, row.before, row.after["state"]) == (
        "alice",
        {"state": "accepted", "version": 3},
        "on_scene",
    )
    assert audit_rows(store, action="offer.released")[0].before["state"] == "on_scene"
    with pytest.raises(
        Denied, match=f"cannot arrive offer {de.id}: only a coordinator of DE-A or NL-B"
    ):
        workflow.arrive_offer(store, de.id, actor=CAROL)
    assert verified(store).ok


def test_partial_commits_and_accepts_never_count_a_unit_twice(store, small):
    """A sequence of partial answers, an arrival and a release: after each step the
    units the workflow holds, the units committed per resource and the request's
    open need add up to what was requested, with no unit counted twice."""
    request_id, seen = requested_and_planned(store)
    requested = {("I-NL-1", "boat"): 3, ("I-NL-1", "pump"): 1, ("I-NL-2", "boat"): 1}

    def check():
        held = workflow.held_lines(store, "small")
        counts = unit_counts(store, small)
        # Per resource: what the units table counts is what the held lines hold.
        assert {r: c for r, (_, c) in counts.items() if c} == held.units_of_resource()
        assert all(c <= q for q, c in counts.values())
        # Per need: held + still open == requested, never more (a release reopens).
        held_for = held.units_for_need()
        remaining = _remaining(store)
        for key, n in requested.items():
            assert held_for.get(key, 0) + remaining[key] == n, key

    de = offer_of(seen, "DE-A")
    nl = offer_of(seen, "NL-B")
    ids = _line_ids(de)
    check()
    workflow.commit_offer(
        store, de.id, actor=ALICE, units={ids["R-DE-BOAT"]: 2, ids["R-DE-PUMP"]: 1}
    )
    check()
    workflow.commit_offer(store, nl.id, actor=BOB)
    check()
    workflow.accept_offer(store, de.id, actor=BOB, units={ids["R-DE-BOAT"]: 1})
    check()
    again = workflow.plan_offers(store, "small", actor=BOB, now=T0 + timedelta(minutes=10))
    check()  # proposals hold nothing
    (second,) = [
        o
        for o in workflow.board(store, "small", viewer=ROOT).offers
        if o.id in again.offer_ids and o.provider == "DE-A"
    ]
    workflow.commit_offer(store, second.id, actor=ALICE)
    check()
    workflow.accept_offer(store, nl.id, actor=BOB)
    workflow.arrive_offer(store, de.id, actor=BOB)
    check()
    workflow.release_offer(store, de.id, actor=ALICE)
    check()
    workflow.refuse_offer(store, second.id, actor=BOB)
    check()
    assert workflow.board(store, "small", viewer=BOB).requests[0].id == request_id
    assert verified(store).ok


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_migration_0006_keeps_old_offers_whole(kind, tmp_path, pg_admin):
    """Offers written before 0006 get their units as offered (and as committed once
    committed), and the time of the move they are in."""
    from mutualaid.store import open_store
    from mutualaid.store.migrate import head_revision, upgrade

    from .conftest import drop_database, new_database_url, upgrade_to

    url = new_database_url(kind, tmp_path, pg_admin)
    try:
        old = open_store(url)
        upgrade_to(old, "0005")
        old.dispose()
        # Two offers as 0005 wrote them (no offered, committed, *_at columns).
        with sa.create_engine(url).begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO scenarios (id, name, created_at, created_by) VALUES "
                f"(1, 'old', '{T0.isoformat()}', 'test')"
            )
            connection.exec_driver_sql(
                "INSERT INTO plans (id, scenario_id, layer_versions, body, computed_by, "
                f"computed_at) VALUES (1, 1, '{{}}', '{{}}', 'test', '{T0.isoformat()}')"
            )
            connection.exec_driver_sql(
                "INSERT INTO requests (id, scenario_id, jurisdiction, state, note, version, "
                "created_by, created_at, updated_by, updated_at) VALUES (1, 1, 'NL-B', "
                f"'open', '', 1, 'bob', '{T0.isoformat()}', 'bob', '{T0.isoformat()}')"
            )
            for offer_id, state in ((1, "accepted"), (2, "proposed")):
                connection.exec_driver_sql(
                    "INSERT INTO offers (id, scenario_id, plan_id, request_id, provider, "
                    "requester, state, version, created_at, updated_by, updated_at) VALUES "
                    f"({offer_id}, 1, 1, 1, 'DE-A', 'NL-B', '{state}', 3, '{T0.isoformat()}', "
                    f"'bob', '{T0.isoformat()}')"
                )
                connection.exec_driver_sql(
                    "INSERT INTO offer_lines (offer_id, resource_id, incident_id, type, "
                    f"units, minutes) VALUES ({offer_id}, 'R-1', 'I-1', 'boat', 2, 30.0)"
                )
        store = open_store(url)
        assert upgrade(store) == ("0005", head_revision())
        with store.reading() as connection:
            lines = connection.execute(
                sa.select(
                    offer_lines.c.offer_id, offer_lines.c.offered, offer_lines.c.committed
                ).order_by(offer_lines.c.offer_id)
            ).all()
            times = connection.execute(
                sa.select(offers.c.committed_at, offers.c.accepted_at).order_by(offers.c.id)
            ).all()
        assert [tuple(x) for x in lines] == [(1, 2, 2), (2, 2, None)]
        assert [tuple(x) for x in times] == [(None, T0), (None, None)]
        (line,) = workflow.held_lines(store, "old").lines
        assert (line.units, line.stage, line.eta) == (2, "en_route", None)
        store.dispose()
    finally:
        drop_database(url, pg_admin)

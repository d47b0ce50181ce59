"""The audit log in words (issue 13, item 6): rows made in the test as the workflow and
the accounts write them, each said as a sentence with its before/after as
``field: old → new``."""

from __future__ import annotations

from mutualaid.store.audit import ACTIONS, AuditEntry
from mutualaid.store.audit_words import changes, changes_text, sentence

AT = "2021-07-14T20:31:00+00:00"
LINES = [
    {
        "resource_id": "R-2",
        "incident_id": "I-1",
        "type": "boat",
        "offered": 3,
        "committed": 1,
        "units": 1,
        "minutes": 105.2,
        "line_id": 2,
    },
    {
        "resource_id": "R-3",
        "incident_id": "I-2",
        "type": "pump",
        "offered": 1,
        "committed": 1,
        "units": 1,
        "minutes": 99.8,
        "line_id": 3,
    },
]
SIDES = {"provider": "NL-LI", "requester": "DE-NW", "request": 1}


def row(action: str, subject: str, before=None, after=None, actor: str = "nora") -> AuditEntry:
    return AuditEntry(1, AT, actor, action, subject, before, after, "", "")


def test_a_partial_commit_in_words():
    entry = row(
        "offer.committed",
        "offer 12",
        {"state": "proposed", "version": 1},
        {**SIDES, "lines": LINES, "state": "committed", "version": 2, "units": []},
    )
    assert sentence(entry) == "nora committed 2 of 4 units of offer 12 (NL-LI → DE-NW)"
    assert changes_text(entry) == "state: proposed → committed; version: 1 → 2"


def test_every_workflow_move_has_its_sentence():
    after = {**SIDES, "lines": LINES, "state": "x"}
    said = {
        action: sentence(row(action, "offer 12", {"state": "y"}, after, actor="coord-de-nw"))
        for action in (
            "offer.accepted",
            "offer.declined",
            "offer.refused",
            "offer.withdrawn",
            "offer.arrived",
            "offer.released",
        )
    }
    assert said == {
        "offer.accepted": "coord-de-nw accepted 2 units of offer 12 (NL-LI → DE-NW): now deployed",
        "offer.declined": "coord-de-nw declined offer 12 (NL-LI → DE-NW)",
        "offer.refused": "coord-de-nw refused offer 12 (NL-LI → DE-NW): the units go back to "
        "their provider",
        "offer.withdrawn": "coord-de-nw withdrew offer 12 (NL-LI → DE-NW): the units are free "
        "again",
        "offer.arrived": "coord-de-nw marked offer 12 (NL-LI → DE-NW) on scene",
        "offer.released": "coord-de-nw released offer 12 (NL-LI → DE-NW): the units are "
        "available again",
    }


def test_a_request_and_a_plan_in_words():
    request = row(
        "request.created",
        "request 1",
        after={
            "jurisdiction": "DE-NW",
            "lines": [
                {"incident_id": "I-1", "type": "boat", "units": 2},
                {"incident_id": "I-3", "type": "boat", "units": 3},
                {"incident_id": "I-2", "type": "fire_engine", "units": 1},
            ],
            "state": "open",
        },
        actor="dieter",
    )
    assert sentence(request) == (
        "dieter requested assistance for DE-NW (request 1: 5 boats, 1 fire engine)"
    )
    plan = row(
        "plan.computed",
        "plan 3",
        after={
            "offers": [4, 5],
            "superseded_offers": [1],
            "summary": {"units_assigned": 5, "units_needed": 6},
        },
        actor="dieter",
    )
    assert sentence(plan) == (
        "dieter computed plan 3: 2 offers made, 5 of 6 units assigned, 1 proposed offer superseded"
    )


def test_accounts_in_words_with_a_readable_before_and_after():
    public = {
        "username": "cora",
        "role": "coordinator",
        "jurisdiction": "DE-NW",
        "disabled": False,
        "display_name": "Cora",
    }
    created = row("account.created", "account cora", None, public, actor="admin")
    assert sentence(created) == "admin created account cora (coordinator of DE-NW)"
    assert "disabled: no" in changes_text(created)
    disabled = row(
        "account.changed", "account cora", public, {**public, "disabled": True}, actor="admin"
    )
    assert sentence(disabled) == "admin disabled account cora"
    assert changes(disabled.before, disabled.after) == ["disabled: no → yes"]
    moved = row(
        "account.changed",
        "account cora",
        public,
        {**public, "role": "viewer", "display_name": "Cora B"},
        actor="admin",
    )
    assert sentence(moved) == "admin changed account cora"
    assert changes(moved.before, moved.after) == [
        "role: coordinator → viewer",
        "name: Cora → Cora B",
    ]


def test_a_denial_and_an_unknown_or_misshapen_row_are_still_said():
    denied = row(
        "access.denied",
        "scenario erft",
        after={"attempted": "plan_offers", "reason": "NL-LI has no open request"},
    )
    assert sentence(denied) == (
        "nora was refused to plan offers on scenario erft: NL-LI has no open request"
    )
    odd = row("offer.committed", "offer 1", after={"lines": "not a list"})
    assert sentence(odd) == "nora committed offer 1"
    unknown = row("account.sign_in_failed", "account bob", actor="bob")
    assert sentence(unknown) == f"bob: {ACTIONS['account.sign_in_failed']} — account bob"


def test_nested_changes_and_quiet_fields():
    before = {"incidents": {"version": 1, "sha256": "aa", "features": 3}}
    after = {"incidents": {"version": 2, "sha256": "bb", "features": 4}}
    assert changes(before, after) == ["incidents › version: 1 → 2", "incidents › features: 3 → 4"]
    assert changes({"state": "on_scene"}, {"state": "released"}) == ["state: on scene → released"]
    assert changes({"note": "x"}, None) == ["note: x → none"]


def test_an_offer_made_by_a_plan_in_words():
    made = row("offer.created", "offer 9", None, {**SIDES, "lines": LINES, "plan": 1}, "dieter")
    assert sentence(made) == "dieter offered 2 units of NL-LI to DE-NW (offer 9, request 1)"

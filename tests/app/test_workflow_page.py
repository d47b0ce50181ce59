"""The Workflow page in AppTest on a real SQLite store: a small stored scenario, a
request and offers made with the workflow's own functions, coordinators of both sides
acting through the page's buttons, the second of two coordinators told who got there
first, requests and offers made from the page, and hostile ids kept as text."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from signed import app_store, sign_in_session
from streamlit.testing.v1 import AppTest

import builders
from builders import BOATS_AND_A_PUMP, incident
from mutualaid.access.actor import Actor, system_actor
from mutualaid.scenario.loading import load_scenario
from mutualaid.store import audit, workflow
from mutualaid.store.accounts import add_account
from mutualaid.store.layer_store import save_scenario
from mutualaid.store.tables import offers, units
from mutualaid.text import literal

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PASSWORD = "correct horse battery staple"
HOSTILE = "![x](http://evil.example/i.png)"
#: name -> (role, jurisdiction). Two coordinators of the providing side, one of the
#: requesting side, a viewer.
ACCOUNTS = {
    "nora": ("coordinator", "NL-LI"),
    "nils": ("coordinator", "NL-LI"),
    "dieter": ("coordinator", "DE-NW"),
    "vera": ("viewer", "DE-NW"),
}


def write_scenario(folder: Path) -> Path:
    """A flood in North Rhine-Westphalia; boats and a pump in Limburg across the border,
    two boats at home. One incident's id is hostile Markdown."""
    return builders.write_scenario(
        folder,
        incidents=[
            incident(6.5, 50.5, "I-1", severity=5, needs={"boat": 5}),
            incident(6.4, 50.4, HOSTILE, severity=3, needs={"pump": 1}),
        ],
        resources=BOATS_AND_A_PUMP,
    )


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The scenario stored as "erft" and the four accounts; no request yet."""
    opened = app_store(tmp_path, monkeypatch)
    result = load_scenario(write_scenario(tmp_path / "erft"))
    assert result.ok
    admin = system_actor("test")
    save_scenario(opened, result.scenario, name="erft", sources={}, actor=admin)
    for username, (role, jurisdiction) in ACCOUNTS.items():
        add_account(
            opened,
            username=username,
            role=role,
            jurisdiction=jurisdiction,
            password=PASSWORD,
            actor=admin,
        )
    yield opened
    opened.dispose()


def actor(username: str) -> Actor:
    role, jurisdiction = ACCOUNTS[username]
    return Actor(username, role, jurisdiction)


@pytest.fixture
def offered(store):
    """Dieter (DE-NW) requested every need and computed offers: the NL-LI offer (boats
    and the pump) and DE-NW's own boats. Returns the NL-LI offer's id."""
    workflow.create_request(store, "erft", actor=actor("dieter"))
    outcome = workflow.plan_offers(store, "erft", actor=actor("dieter"))
    with store.reading() as connection:
        (offer_id,) = connection.execute(
            sa.select(offers.c.id).where(
                offers.c.id.in_(outcome.offer_ids), offers.c.provider == "NL-LI"
            )
        ).scalars()
    return offer_id


def open_board(username: str | None) -> AppTest:
    """The Workflow page signed in as *username* (None: signed out).

    The session gets the record a verified sign-in leaves (``ui.identity``); the form
    is tested where it is written, and the browser test signs in through it.
    """
    at = AppTest.from_file(APP, default_timeout=180)
    if username is None:  # the app shows nobody anything but the sign-in form
        return at.run()
    sign_in_session(at, username)
    return at.run().switch_page("pages/workflow.py").run()


ACTION_KEY = re.compile(
    r"workflow\.(commit|decline|accept|refuse|withdraw|arrive|release|close|cancel)-(request-)?\d+$"
)


def buttons(at: AppTest) -> set[str]:
    """Keys of the offer and request action buttons shown."""
    return {b.key for b in at.button if b.key and ACTION_KEY.match(b.key)}


def groups(at: AppTest) -> list[str]:
    """The board's group labels (one-line summaries), in order (the coordinator tools
    left out)."""
    tools = (literal("Request assistance"), "Compute offers")
    return [e.label for e in at.expander if not e.label.startswith(tools)]


def request_forms(at: AppTest) -> list:
    """The request form's multiselects (one per incident), in order."""
    return [m for m in at.multiselect if m.key and m.key.startswith("workflow.request_lines-")]


def offer_row(store, offer_id: int):
    with store.reading() as connection:
        return connection.execute(sa.select(offers).where(offers.c.id == offer_id)).one()


def committed(store) -> dict[str, int]:
    with store.reading() as connection:
        return {r.resource_id: r.committed for r in connection.execute(sa.select(units))}


def markdown_texts(at: AppTest) -> list[str]:
    elements = [
        *at.markdown,
        *at.caption,
        *at.success,
        *at.error,
        *at.warning,
        *at.info,
        *at.title,
        *at.subheader,
        *at.expander,
    ]
    return [str(getattr(e, "label", None) or e.value) for e in elements]


# --- seeing the board -----------------------------------------------------------------------


def test_signed_out_shows_only_the_sign_in_form(store, offered):
    at = open_board(None)
    assert not at.exception
    assert at.title[0].value == "Mutual Aid"  # the sign-in page, whatever was asked for
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert len(at.dataframe) == 0


def test_a_viewer_sees_requests_and_offers_without_buttons(store, offered):
    at = open_board("vera")
    assert not at.exception
    assert buttons(at) == set()
    # One group per request, collapsed to its one-line summary.
    assert groups(at) == [
        literal(
            "Request 1 · DE-NW ← DE-NW, NL-LI · 0 of 6 units committed · 6 proposed · "
            "waiting for DE-NW, NL-LI"
        )
    ]
    texts = [t.value for t in at.text]
    assert "Request 1 of DE-NW — open" in texts
    assert f"Offer {offered}: NL-LI → DE-NW, 4 units, request 1 — proposed" in texts
    summary = next(df.value for df in at.dataframe if "offers made" in df.value.columns)
    assert summary.to_dict("records") == [
        {
            "jurisdiction": "DE-NW",
            "requests": "1 (1 open)",
            "offers received": "2 proposed",
            "offers made": "1 proposed",
        },
        {
            "jurisdiction": "NL-LI",
            "requests": "0 (0 open)",
            "offers received": "",
            "offers made": "1 proposed",
        },
    ]
    lines = [df.value for df in at.dataframe if "resource" in df.value.columns]
    nl = next(df for df in lines if "R-2" in list(df["resource"]))
    assert list(nl.columns) == [
        "resource",
        "incident",
        "type",
        "units",
        "offered",
        "committed",
        "minutes",
        "ETA (UTC)",
    ]
    assert sorted(zip(nl["resource"], nl["incident"], nl["type"], nl["units"], nl["offered"])) == [
        ("R-2", "I-1", "boat", 3, 3),
        ("R-3", HOSTILE, "pump", 1, 1),
    ]
    assert nl["committed"].isna().all() and set(nl["ETA (UTC)"]) == {""}


def test_hostile_ids_stay_text(store, offered):
    at = open_board("dieter")
    assert not any("](http" in text for text in markdown_texts(at))
    shown = [df.value for df in at.dataframe]
    assert any(HOSTILE in set(df.get("incident", [])) for df in shown)


def test_the_provider_sees_commit_and_decline_the_requester_nothing_yet(store, offered):
    nora = open_board("nora")
    assert buttons(nora) == {f"workflow.commit-{offered}", f"workflow.decline-{offered}"}
    assert groups(nora) == [
        literal(
            "Request 1 · DE-NW ← NL-LI · 0 of 6 units committed · 4 proposed · "
            "waiting for NL-LI · your move on 1 item"
        )
    ]
    dieter = open_board("dieter")
    # DE-NW's own boats are offered by DE-NW to itself: Dieter commits those; the
    # NL-LI offer waits for NL-LI.
    assert f"workflow.commit-{offered}" not in buttons(dieter)
    assert "workflow.cancel-request-1" in buttons(dieter)


# --- acting -----------------------------------------------------------------------------------


def test_commit_through_the_page(store, offered):
    at = open_board("nora")
    at.button(key=f"workflow.commit-{offered}").click().run()
    assert not at.exception
    assert at.success[0].value.startswith(literal(f"Offer {offered} committed by you at"))
    row = offer_row(store, offered)
    assert (row.state, row.version, row.updated_by) == ("committed", 2, "nora")
    assert committed(store) == {"R-1": 0, "R-2": 3, "R-3": 1}
    # The board now shows the new state and the provider's next move.
    assert buttons(at) == {f"workflow.withdraw-{offered}"}


def test_the_second_coordinator_is_told_who_got_there_first(store, offered):
    nora, nils = open_board("nora"), open_board("nils")  # both see version 1, proposed
    nora.button(key=f"workflow.commit-{offered}").click().run()
    nils.button(key=f"workflow.commit-{offered}").click().run()
    assert not nils.exception
    row = offer_row(store, offered)
    expected = (
        f"offer {offered} was already committed by nora (NL-LI) at {row.updated_at:%H:%M} UTC"
    )
    assert [e.value for e in nils.error] == [literal(expected)]
    assert len(nils.success) == 0
    summary = next(df.value for df in nils.dataframe if "offers made" in df.value.columns)
    assert summary.iloc[0].to_dict() == {
        "jurisdiction": "NL-LI",
        "requests": "0 (0 open)",
        "offers received": "",
        "offers made": "1 committed",
    }
    # Committed once, by the first, units counted once.
    assert (row.state, row.version, row.updated_by) == ("committed", 2, "nora")
    assert committed(store) == {"R-1": 0, "R-2": 3, "R-3": 1}
    with store.reading() as connection:
        commits = [e for e in audit.entries(connection, actions=["offer.committed"])]
        assert audit.verify(connection).ok
    assert [(e.actor, e.subject) for e in commits] == [("nora", f"offer {offered}")]
    # After the error the board shows the offer as it now is.
    assert buttons(nils) == {f"workflow.withdraw-{offered}"}


def test_a_stale_decline_after_a_commit_is_refused(store, offered):
    nora, nils = open_board("nora"), open_board("nils")
    nora.button(key=f"workflow.commit-{offered}").click().run()
    nils.button(key=f"workflow.decline-{offered}").click().run()
    assert nils.error[0].value == literal(
        f"offer {offered} was already committed by nora (NL-LI) at "
        f"{offer_row(store, offered).updated_at:%H:%M} UTC"
    )
    assert offer_row(store, offered).state == "committed"


def test_commit_accept_and_release_across_the_border(store, offered):
    nora = open_board("nora")
    nora.button(key=f"workflow.commit-{offered}").click().run()
    dieter = open_board("dieter")
    assert {f"workflow.accept-{offered}", f"workflow.refuse-{offered}"} <= buttons(dieter)
    dieter.button(key=f"workflow.accept-{offered}").click().run()
    assert dieter.success[0].value.startswith(literal(f"Offer {offered} accepted"))
    assert offer_row(store, offered).state == "accepted"
    assert f"workflow.release-{offered}" in buttons(dieter)
    dieter.button(key=f"workflow.release-{offered}").click().run()
    assert (offer_row(store, offered).state, committed(store)["R-2"]) == ("released", 0)


def test_refuse_and_withdraw_free_the_units(store, offered):
    nora = open_board("nora")
    nora.button(key=f"workflow.commit-{offered}").click().run()
    nora.button(key=f"workflow.withdraw-{offered}").click().run()
    assert offer_row(store, offered).state == "withdrawn"
    assert committed(store)["R-2"] == 0


def test_the_requester_cannot_commit_for_the_provider(store, offered):
    # The button is not shown; a click forged from an old page is refused by the store.
    at = open_board("dieter")
    assert f"workflow.commit-{offered}" not in buttons(at)
    with pytest.raises(workflow.Denied, match="its units belong to NL-LI"):
        workflow.commit_offer(store, offered, actor=actor("dieter"), expected_version=1)


# --- requesting and planning from the page --------------------------------------------------


def test_a_coordinator_requests_assistance_and_computes_offers(store):
    at = open_board("dieter")
    assert not at.exception
    assert at.text[-1].value == "No requests or offers yet in this scenario."
    # One multiselect per incident, most severe first, its needs in words, all picked.
    picks = request_forms(at)
    assert [(p.label, p.options, p.value) for p in picks] == [
        (literal("I-1 (flood, severity 5)"), ["5 boats"], ["5 boats"]),
        (literal(f"{HOSTILE} (flood, severity 3)"), ["1 pump"], ["1 pump"]),
    ]
    picks[1].set_value([])
    at.text_input(key="workflow.request_note").input("boats to Erftstadt, please")
    at.button(key="workflow.request").click().run()
    assert not at.exception
    assert at.success[0].value.startswith(literal("Request 1 made for DE-NW: 1 need(s)"))
    texts = [t.value for t in at.text]
    assert "Note: boats to Erftstadt, please" in texts
    # What is already requested is not offered again.
    assert [p.options for p in request_forms(at)] == [["1 pump"]]
    at.button(key="workflow.plan").click().run()
    assert at.success[0].value.startswith(literal("Plan 1 computed: 2 offer(s) made"))
    # the requester sees both offers made to it (its own units and NL-LI's)
    board = workflow.board(store, "erft", viewer=actor("dieter"))
    assert sorted((o.provider, o.units) for o in board.offers) == [("DE-NW", 2), ("NL-LI", 3)]


def test_a_provider_computing_offers_for_anothers_request_is_refused_and_supersedes_nothing(
    store, offered
):
    """Issue 16: only the requester's coordinator (or an admin) computes offers for a
    request; NL-LI, which provides for DE-NW's request but made none, is told why and
    DE-NW's proposed offers stand."""

    def states():
        return {
            o.id: (o.state, o.version)
            for o in workflow.board(store, "erft", viewer=actor("dieter")).offers
        }

    before = states()
    at = open_board("nora")
    at.button(key="workflow.plan").click().run()
    assert not at.exception
    assert at.error[0].value == literal(
        "nora (NL-LI coordinator) cannot plan offers in scenario erft: NL-LI has no open "
        "request in it; offers for a request are computed by the requester's coordinator "
        "or an admin"
    )
    assert states() == before and {s for s, _ in before.values()} == {"proposed"}
    with store.reading() as connection:
        (row,) = audit.entries(connection, actions=["access.denied"])
    assert (row.actor, row.subject, row.readers) == ("nora", "scenario erft", ("NL-LI",))


def test_a_viewer_cannot_request_or_plan(store):
    at = open_board("vera")
    assert request_forms(at) == []
    assert {b.key for b in at.button if b.key.startswith("workflow.")} == {"workflow.refresh"}


def test_a_refused_request_is_shown_as_the_workflow_says(store, offered):
    # Everything is requested already: the page offers nothing; forcing the old
    # choice through the callback shows the store's own message.
    at = open_board("dieter")
    assert request_forms(at) == []
    with pytest.raises(workflow.InvalidRequest, match="already requested in request 1"):
        workflow.create_request(store, "erft", actor=actor("dieter"), lines=[("I-1", "boat", 5)])


def test_cancel_a_request_from_the_page(store, offered):
    at = open_board("dieter")
    at.button(key="workflow.cancel-request-1").click().run()
    assert at.success[0].value.startswith(literal("Request 1 cancelled by you"))
    assert all(
        o.state == "superseded"
        for o in workflow.board(store, "erft", viewer=actor("dieter")).offers
    )


def test_no_stored_scenario_is_a_note(tmp_path, monkeypatch):
    empty = app_store(tmp_path, monkeypatch, name="empty.sqlite")
    add_account(
        empty,
        username="vera",
        role="viewer",
        jurisdiction="DE-NW",
        password=PASSWORD,
        actor=system_actor("test"),
    )
    at = open_board("vera")
    assert not at.exception
    assert at.info[0].value.startswith("No scenario is stored yet")
    empty.dispose()


# --- partial answers and deployment over time (issue 12) -------------------------------------


def line_ids(store, offer_id: int) -> dict[str, int]:
    """Resource id -> line id of the offer."""
    (offer,) = [
        o for o in workflow.board(store, "erft", viewer=actor("dieter")).offers if o.id == offer_id
    ]
    return {x.resource_id: x.id for x in offer.lines}


def lines_shown(at: AppTest, resource: str) -> pd.DataFrame:
    return next(
        df.value
        for df in at.dataframe
        if "resource" in df.value.columns and resource in list(df.value["resource"])
    )


def test_commit_part_of_an_offer_through_the_page(store, offered):
    ids = line_ids(store, offered)
    at = open_board("nora")
    boats = at.number_input(key=f"workflow.commit-units-{offered}-{ids['R-2']}")
    pump = at.number_input(key=f"workflow.commit-units-{offered}-{ids['R-3']}")
    # The full amount by default; the label says which line and how many were offered.
    assert (boats.value, boats.max, pump.value, pump.max) == (3, 3, 1, 1)
    assert boats.label == literal("R-2 → I-1 (boat), of 3")
    boats.set_value(1)
    pump.set_value(0)  # the pump line is declined
    at.button(key=f"workflow.commit-{offered}").click().run()
    assert not at.exception
    assert at.success[0].value.startswith(
        literal(f"Offer {offered} committed (1 of 4 units) by you at")
    )
    assert committed(store) == {"R-1": 0, "R-2": 1, "R-3": 0}
    texts = [t.value for t in at.text]
    assert f"Offer {offered}: NL-LI → DE-NW, 1 of 4 units, request 1 — committed" in texts
    shown = lines_shown(at, "R-2")
    assert sorted(zip(shown["resource"], shown["units"], shown["offered"], shown["committed"])) == [
        ("R-2", 1, 3, 1),
        ("R-3", 0, 1, 0),
    ]
    # What was not committed is still needed.
    (request,) = workflow.board(store, "erft", viewer=actor("dieter")).requests
    still = {(x.incident_id, x.type): x.remaining for x in request.lines}
    assert still[(HOSTILE, "pump")] == 1
    with store.reading() as connection:
        (row,) = audit.entries(connection, actions=["offer.committed"])
    assert sorted((x["resource_id"], x["committed"]) for x in row.after["lines"]) == [
        ("R-2", 1),
        ("R-3", 0),
    ]


def test_a_commit_left_at_the_full_amounts_commits_the_whole_offer(store, offered):
    at = open_board("nora")
    at.button(key=f"workflow.commit-{offered}").click().run()
    assert at.success[0].value.startswith(literal(f"Offer {offered} committed by you at"))
    assert committed(store) == {"R-1": 0, "R-2": 3, "R-3": 1}


def test_accept_part_of_an_offer_through_the_page(store, offered):
    ids = line_ids(store, offered)
    workflow.commit_offer(store, offered, actor=actor("nora"))
    at = open_board("dieter")
    boats = at.number_input(key=f"workflow.accept-units-{offered}-{ids['R-2']}")
    assert (boats.value, boats.max) == (3, 3)
    boats.set_value(2)
    at.button(key=f"workflow.accept-{offered}").click().run()
    assert not at.exception
    assert at.success[0].value.startswith(
        literal(f"Offer {offered} accepted (units deployed) (3 of 4 units) by you at")
    )
    # The boat not accepted is freed; the pump accepted whole.
    assert committed(store) == {"R-1": 0, "R-2": 2, "R-3": 1}
    held = workflow.held_lines(store, "erft")
    assert sorted((x.resource_id, x.units, x.stage) for x in held.lines) == [
        ("R-2", 2, "en_route"),
        ("R-3", 1, "en_route"),
    ]
    assert offer_row(store, offered).state == "accepted"


def test_a_refused_partial_answer_shows_the_workflows_message(store, offered):
    ids = line_ids(store, offered)
    at = open_board("nora")
    at.number_input(key=f"workflow.commit-units-{offered}-{ids['R-2']}").set_value(0)
    at.number_input(key=f"workflow.commit-units-{offered}-{ids['R-3']}").set_value(0)
    at.button(key=f"workflow.commit-{offered}").click().run()
    assert at.error[0].value == literal(
        f"offer {offered} was not committed: no units to commit; to commit none, decline the offer"
    )
    assert offer_row(store, offered).state == "proposed"


def test_arrival_on_scene_stage_eta_and_times_through_the_page(store, offered):
    workflow.commit_offer(store, offered, actor=actor("nora"))
    workflow.accept_offer(store, offered, actor=actor("dieter"))
    at = open_board("nora")  # the provider may mark the arrival too
    assert {f"workflow.arrive-{offered}", f"workflow.release-{offered}"} <= buttons(at)
    row = offer_row(store, offered)
    captions = [c.value for c in at.caption]
    assert any(
        c.startswith(literal(f"stage: en route; committed {row.committed_at:%Y-%m-%d %H:%M} UTC"))
        for c in captions
    ), captions
    shown = lines_shown(at, "R-2")
    minutes = dict(zip(shown["resource"], shown["minutes"]))
    eta = (row.committed_at + timedelta(minutes=float(minutes["R-2"]))).strftime("%Y-%m-%d %H:%M")
    # minutes are shown rounded; the ETA is computed from the exact minutes
    assert abs(
        datetime.strptime(dict(zip(shown["resource"], shown["ETA (UTC)"]))["R-2"], "%Y-%m-%d %H:%M")
        - datetime.strptime(eta, "%Y-%m-%d %H:%M")
    ) <= timedelta(minutes=1)
    at.button(key=f"workflow.arrive-{offered}").click().run()
    assert not at.exception
    assert at.success[0].value.startswith(
        literal(f"Offer {offered} marked on scene (units arrived) by you at")
    )
    row = offer_row(store, offered)
    assert (row.state, row.arrived_at is not None) == ("on_scene", True)
    assert buttons(at) == {f"workflow.release-{offered}"}
    captions = [c.value for c in at.caption]
    assert any(
        c.startswith(literal("stage: on scene; committed "))
        and literal(f"arrived on scene {row.arrived_at:%Y-%m-%d %H:%M} UTC") in c
        for c in captions
    ), captions
    assert {x.stage for x in workflow.held_lines(store, "erft").lines} == {"on_scene"}
    at.button(key=f"workflow.release-{offered}").click().run()
    assert offer_row(store, offered).state == "released"
    assert committed(store) == {"R-1": 0, "R-2": 0, "R-3": 0}


# --- destructive actions ask again (issue 13) ------------------------------------------------


def asked_again(at: AppTest) -> dict[str, str]:
    """Button key → the label of the popover holding it (the second, explicit step),
    for every button inside a popover."""
    found: dict[str, str] = {}

    def walk(node, popover: str | None) -> None:
        label = popover
        if getattr(node, "type", None) == "popover":
            label = node.proto.popover.label
        if getattr(node, "type", None) == "button" and label is not None and node.key:
            found[node.key] = label
        for child in getattr(node, "children", {}).values():
            walk(child, label)

    walk(at._tree, None)
    return found


def test_destructive_actions_need_a_second_step(store, offered):
    nora = open_board("nora")
    asked = asked_again(nora)
    # Decline asks again ("Decline…" opens the question); Commit is one click.
    assert asked == {f"workflow.decline-{offered}": "Decline…"}
    decline = nora.button(key=f"workflow.decline-{offered}")
    assert decline.label == f"Yes, decline offer {offered}"
    assert any(
        c.value.startswith(literal(f"Decline offer {offered}? Its units are not sent"))
        for c in nora.caption
    )
    dieter = open_board("dieter")
    asked = asked_again(dieter)
    assert asked["workflow.close-request-1"] == "Close request…"
    assert asked["workflow.cancel-request-1"] == "Cancel request…"
    assert dieter.button(key="workflow.cancel-request-1").label == "Yes, cancel request 1"
    # After a commit and an accept: refuse and withdraw, then release, ask again too.
    nora.button(key=f"workflow.commit-{offered}").click().run()
    assert asked_again(nora) == {f"workflow.withdraw-{offered}": "Withdraw…"}
    dieter.run()
    assert asked_again(dieter)[f"workflow.refuse-{offered}"] == "Refuse…"
    dieter.button(key=f"workflow.accept-{offered}").click().run()
    assert asked_again(dieter)[f"workflow.release-{offered}"] == "Release…"
    assert f"workflow.arrive-{offered}" not in asked_again(dieter)


def cards(at: AppTest) -> set[str]:
    """Keys of the request and offer cards shown."""
    return {
        n.key
        for n in at._tree
        if getattr(n, "key", None) and n.key.startswith(("workflow-offer-", "workflow-request-"))
    }


def test_the_board_filters_and_groups_by_state(store, offered):
    nora = open_board("nora")
    nora.radio(key="workflow.group_by").set_value("state").run()
    assert groups(nora) == [
        literal("Proposed · 1 offer · 4 units · waiting for NL-LI · your move on 1 item"),
        literal("Open requests · 1 request · 6 units requested"),
    ]
    dieter = open_board("dieter")
    assert len(groups(dieter)) == 1
    assert f"workflow-offer-{offered}" in cards(dieter)
    dieter.toggle(key="workflow.filter.mine").set_value(True).run()
    # Dieter's own move: commit DE-NW's boats, and the request's close and cancel.
    (own,) = [
        o.id
        for o in workflow.board(store, "erft", viewer=actor("dieter")).offers
        if o.provider == "DE-NW"
    ]
    assert buttons(dieter) == {
        f"workflow.commit-{own}",
        f"workflow.decline-{own}",
        "workflow.close-request-1",
        "workflow.cancel-request-1",
    }
    # The NL-LI offer waits for NL-LI, not for Dieter: kept out.
    assert f"workflow-offer-{offered}" not in cards(dieter)
    dieter.multiselect(key="workflow.filter.jurisdictions").set_value(["NL-LI"]).run()
    assert groups(dieter) == []
    assert "Nothing on the board matches these filters." in [t.value for t in dieter.text]

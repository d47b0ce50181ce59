"""Live pages in AppTest (issue 12): every signed-in page carries the live fragment, a
rerun after someone else's change draws the new state and tells the provider once of
the offer that arrived for it, the briefing view follows too, and the fragment's look
at the store asks for a redraw only when something a page shows changed.

AppTest runs a fragment only inline, within a full run (no timer): the timer itself
is exercised in the browser (tests/e2e/test_live_pages.py)."""

from __future__ import annotations

import pytest
from signed import sign_in_session
from streamlit.testing.v1 import AppTest
from test_workflow_page import APP, actor, offered, open_board, store  # noqa: F401 - fixtures

from mutualaid.access.actor import system_actor
from mutualaid.store import workflow
from mutualaid.store.accounts import add_account
from mutualaid.store.changes import change_mark
from mutualaid.text import literal
from mutualaid.ui import live


def toasts(at: AppTest) -> list[str]:
    return [t.value for t in at.toast]


def test_a_change_elsewhere_shows_at_the_next_run_and_the_provider_is_told_once(store):  # noqa: F811
    nora = open_board("nora")
    assert not nora.exception
    assert toasts(nora) == []
    assert "No requests or offers yet in this scenario." in [t.value for t in nora.text]
    drawn = nora.session_state[live.DRAWN_KEY]
    assert drawn == change_mark(store)

    # Dieter (DE-NW), in another session, requests help and computes the offers.
    request_id = workflow.create_request(store, "erft", actor=actor("dieter"))
    outcome = workflow.plan_offers(store, "erft", actor=actor("dieter"))
    assert live.redraw_due(store, drawn) == (True, change_mark(store))

    nora.run()  # what the live fragment asks for when it sees the mark moved
    assert not nora.exception
    board = workflow.board(store, "erft", viewer=actor("nora"))
    (offer,) = board.offers
    assert offer.id in outcome.offer_ids
    assert toasts(nora) == [
        f"Offer {offer.id} asks NL\\-LI for {offer.units} unit\\(s\\) for request {request_id}\\."
    ]
    heading = f"Offer {offer.id}: NL-LI → DE-NW, {offer.units} units, request {request_id}"
    assert any(t.value.startswith(heading) for t in nora.text)
    assert nora.session_state[live.DRAWN_KEY] == change_mark(store)

    nora.run()  # once each
    assert toasts(nora) == []
    # Dieter, who made the offers, is not told of them.
    dieter = open_board("dieter")
    assert not dieter.exception and toasts(dieter) == []


def test_nothing_changed_asks_for_no_redraw(store):  # noqa: F811
    mark = change_mark(store)
    assert live.redraw_due(store, mark) == (False, mark)


def test_the_briefing_view_follows_live_too(store):  # noqa: F811
    at = AppTest.from_file(APP, default_timeout=180)
    sign_in_session(at, "vera")
    at.query_params["view"] = "briefing"
    at.run()
    assert not at.exception
    assert at.session_state[live.DRAWN_KEY] == change_mark(store)


def test_signed_out_nobody_follows(store):  # noqa: F811
    at = open_board(None)
    assert not at.exception
    with pytest.raises(KeyError):
        at.session_state[live.DRAWN_KEY]


def test_a_live_redraw_keeps_what_the_persons_last_click_did(store, offered):  # noqa: F811
    """Bug found merging the live pages: an action's outcome ("Offer 3 committed by you
    at ...", an Accounts page's generated password) was shown on one run only, so the
    live redraw for anyone else's change, 2 s later, wiped it off the page (the browser
    tests waited for "Plan 1 computed" in vain). A live redraw keeps it; the person's
    own next run drops it, as before."""
    nora = open_board("nora")
    nora.button(key=f"workflow.commit-{offered}").click().run()
    said = literal(f"Offer {offered} committed by you at")
    assert nora.success[0].value.startswith(said)

    # Elsewhere an admin adds an account: Nora's fragment sees the mark move.
    add_account(
        store,
        username="newcomer",
        role="viewer",
        jurisdiction="DE-NW",
        password="a long enough password for a test",
        actor=system_actor("test"),
    )
    assert live.redraw_due(store, nora.session_state[live.DRAWN_KEY])[0]
    nora.session_state[live.REDRAW_KEY] = True  # what the fragment sets before its rerun
    nora.run()
    assert not nora.exception
    assert nora.session_state[live.DRAWN_KEY] == change_mark(store)
    assert [s.value for s in nora.success if s.value.startswith(said)]

    nora.run()  # a run of her own (a click elsewhere): the message has had its turn
    assert not nora.exception
    assert not [s.value for s in nora.success if s.value.startswith(said)]

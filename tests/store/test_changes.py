"""The store's change mark and the notices it leads to, on both backends (issue 12:
live pages): every change moves the mark, reads and sign-ins do not, failed sign-ins
and refusals move it without asking for a redraw, and each party of an offer is told of
what the other did, nobody else of anything."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mutualaid.access.actor import system_actor
from mutualaid.errors import SignInRefused
from mutualaid.store import workflow
from mutualaid.store.accounts import add_account
from mutualaid.store.changes import change_mark, changed_since, notices_for
from mutualaid.store.layer_store import save_scenario
from mutualaid.store.sessions import open_session
from mutualaid.store.sign_in import sign_in_with_password
from mutualaid.store.workflow import Denied

from .test_workflow import ALICE, BOB, CAROL, ROOT, T0, small_scenario


@pytest.fixture
def small(store):
    save_scenario(
        store,
        small_scenario(),
        name="small",
        sources={},
        actor=system_actor("test"),
        now=T0 - timedelta(hours=1),
    )


def test_an_empty_store_is_at_mark_zero_and_every_change_moves_it(store_url):
    from mutualaid.store import open_store
    from mutualaid.store.migrate import upgrade

    opened = open_store(store_url)
    try:
        upgrade(opened)
        assert change_mark(opened) == 0
        save_scenario(opened, small_scenario(), name="small", sources={}, actor=ROOT)
        stored = change_mark(opened)
        assert stored > 0 and changed_since(opened, 0, stored)
        request_id = workflow.create_request(opened, "small", actor=BOB, now=T0)
        assert change_mark(opened) == stored + 1
        workflow.board(opened, "small", viewer=BOB)  # reading moves nothing
        assert change_mark(opened) == stored + 1
        workflow.close_request(opened, request_id, actor=BOB, expected_version=1)
        assert change_mark(opened) == stored + 2
    finally:
        opened.dispose()


def test_sign_ins_and_refusals_move_the_mark_but_ask_for_no_redraw(store, small):
    admin = system_actor("test")
    add_account(
        store,
        username="bob",
        role="coordinator",
        jurisdiction="NL-B",
        password="a long password of bob",
        actor=admin,
    )
    before = change_mark(store)
    sign_in_with_password(store, "bob", "a long password of bob", client="10.0.0.1")
    open_session(store, "bob", method="password", client="10.0.0.1")
    assert change_mark(store) == before  # a sign-in writes no audit row
    with pytest.raises(SignInRefused):
        sign_in_with_password(store, "bob", "wrong", client="10.0.0.1")
    request_id = workflow.create_request(store, "small", actor=BOB, now=T0)
    after_request = change_mark(store)
    with pytest.raises(Denied):
        workflow.close_request(store, request_id, actor=CAROL, expected_version=1)
    quiet = change_mark(store)
    assert quiet > after_request > before + 1
    assert not changed_since(store, after_request, quiet)  # only the refusal since
    assert changed_since(store, before, quiet)  # the request is in the range
    assert not changed_since(store, quiet, quiet)


def _texts(store, actor, since, until) -> list[str]:
    return [n.text for n in notices_for(store, actor, since, until)]


def test_each_party_is_told_what_the_other_did_and_nobody_else(store, small):
    start = change_mark(store)
    request_id = workflow.create_request(store, "small", actor=BOB, now=T0)
    outcome = workflow.plan_offers(store, "small", actor=BOB, now=T0)
    planned = change_mark(store)
    board = workflow.board(store, "small", viewer=ROOT)
    (offer,) = [o for o in board.offers if o.provider == "DE-A"]
    # The provider learns that a request asks it for units; the requester, who planned,
    # is not told of its own offers; a third jurisdiction and an admin of nothing.
    assert _texts(store, ALICE, start, planned) == [
        f"Offer {offer.id} asks DE-A for {offer.units} unit(s) for request {request_id}."
    ]
    assert _texts(store, BOB, start, planned) == []
    assert _texts(store, CAROL, start, planned) == []
    assert _texts(store, ROOT, start, planned) == []
    assert offer.id in outcome.offer_ids

    workflow.commit_offer(store, offer.id, actor=ALICE, expected_version=1)
    committed = change_mark(store)
    assert _texts(store, BOB, planned, committed) == [
        f"Offer {offer.id} committed by DE-A: {offer.units} unit(s) to accept."
    ]
    assert _texts(store, ALICE, planned, committed) == []  # its own commit
    assert _texts(store, CAROL, planned, committed) == []

    workflow.accept_offer(store, offer.id, actor=BOB, expected_version=2)
    accepted = change_mark(store)
    (notice,) = notices_for(store, ALICE, committed, accepted)
    assert (notice.offer_id, notice.action, notice.by, notice.seq) == (
        offer.id,
        "offer.accepted",
        "bob",
        accepted,
    )
    assert notice.text == f"Offer {offer.id} accepted by NL-B (units deployed)."
    # Told once: from the mark a page was drawn at, nothing older comes again.
    assert _texts(store, ALICE, accepted, change_mark(store)) == []
    # A coordinator of the same jurisdiction as the one who acted is told.
    colleague = type(ALICE)("anna", "coordinator", "DE-A")
    told = notices_for(store, colleague, start, accepted)
    assert [n.action for n in told] == ["offer.created", "offer.accepted"]


def test_a_tally_file_counts_the_statements_of_a_look(store_url, tmp_path, monkeypatch):
    """``MUTUALAID_STATEMENT_TALLY`` (for benchmarks/live_refresh.py): one byte per
    statement; a look at the mark is one SELECT (and SQLite's deferred BEGIN)."""
    from mutualaid.settings import STATEMENT_TALLY_ENV
    from mutualaid.store import open_store

    tally = tmp_path / "tally"
    monkeypatch.setenv(STATEMENT_TALLY_ENV, str(tally))
    counted = open_store(store_url)
    try:
        change_mark(counted)  # the first connection's set-up (SQLite's PRAGMAs) aside
        before = tally.stat().st_size
        for _ in range(10):
            change_mark(counted)
        per_look = (tally.stat().st_size - before) / 10
    finally:
        counted.dispose()
    assert per_look == (2 if store_url.startswith("sqlite") else 1)

"""The board in groups with one-line summaries, and its filters (issue 13, item 6):
built from board views made in the test, no store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mutualaid.access.actor import Actor
from mutualaid.store.workflow.board import (
    Board,
    OfferLineView,
    OfferView,
    RequestLineView,
    RequestView,
)
from mutualaid.store.workflow.groups import (
    BY_STATE,
    filter_board,
    group_board,
    request_summary,
    state_summary,
    waiting_for,
)

T = datetime(2021, 7, 14, 20, 0, tzinfo=UTC)
DIETER = Actor("dieter", "coordinator", "DE-NW")
NORA = Actor("nora", "coordinator", "NL-LI")


def request(
    id_: int, jurisdiction: str = "DE-NW", *, units=6, remaining=6, state="open", actions=()
) -> RequestView:
    return RequestView(
        id_,
        jurisdiction,
        state,
        1,
        "",
        "d",
        T,
        "d",
        T,
        (RequestLineView("I-1", "boat", units, remaining),),
        tuple(actions),
    )


def offer(
    id_: int,
    provider: str,
    *,
    request_id=1,
    requester="DE-NW",
    state="proposed",
    units=2,
    actions=(),
) -> OfferView:
    line = OfferLineView("R-1", "I-1", "boat", units, 30.0, id=id_, offered=units)
    return OfferView(
        id_, 1, request_id, provider, requester, state, 1, T, "d", T, (line,), tuple(actions)
    )


def test_a_request_in_one_line():
    offers = [
        offer(1, "NL-LI", state="committed", units=4),
        offer(2, "BE-WLG", units=2),
        offer(3, "LU", state="declined"),
    ]
    line = request_summary(request(3, remaining=2), offers, DIETER)
    # request ids differ from the offers' request_id 1: only the request's own offers count
    assert line == "Request 3 · DE-NW · 4 of 6 units committed · no offers yet"
    offers = [
        offer(1, "NL-LI", request_id=3, state="committed", units=4, actions=("accept",)),
        offer(2, "BE-WLG", request_id=3, units=2),
        offer(3, "LU", request_id=3, state="declined"),
    ]
    assert request_summary(request(3, remaining=2), offers, DIETER) == (
        "Request 3 · DE-NW ← BE-WLG, NL-LI · 4 of 6 units committed · 2 proposed · "
        "waiting for BE-WLG, DE-NW · your move on 1 item"
    )


def test_a_closed_request_says_so_instead_of_whom_it_waits_for():
    line = request_summary(request(1, state="closed", remaining=0), [offer(1, "NL-LI")], DIETER)
    assert line.endswith("· 6 of 6 units committed · 2 proposed · closed")


def test_whom_an_offer_waits_for():
    assert waiting_for(offer(1, "NL-LI")) == "NL-LI"
    assert waiting_for(offer(1, "NL-LI", state="committed")) == "DE-NW"
    assert waiting_for(offer(1, "NL-LI", state="accepted")) is None


def test_groups_by_request_put_the_viewers_moves_first():
    board = Board(
        "s",
        (request(1), request(2, "DE-RP")),
        (
            offer(10, "NL-LI"),
            offer(11, "DE-NW", request_id=2, requester="DE-RP", actions=("commit",)),
            offer(12, "DE-NW", request_id=9, requester="BE-WLG"),
        ),
        (),
    )
    groups = group_board(board, DIETER)
    assert [g.key for g in groups] == ["request-2", "request-1", "offers-without-request"]
    assert [g.your_moves for g in groups] == [1, 0, 0]
    assert [o.id for o in groups[0].offers] == [11]
    assert groups[2].summary == "Other offers · 1 offer · 2 units · waiting for DE-NW"


def test_groups_by_state_in_workflow_order():
    board = Board(
        "s",
        (request(1),),
        (offer(10, "NL-LI", state="accepted"), offer(11, "BE-WLG"), offer(12, "LU")),
        (),
    )
    summaries = [g.summary for g in group_board(board, NORA, by=BY_STATE)]
    assert summaries == [
        "Open requests · 1 request · 6 units requested",
        "Proposed · 2 offers · 4 units · waiting for BE-WLG, LU",
        "Accepted · 1 offer · 2 units · deployed",
    ]
    assert state_summary("on_scene", (), [offer(1, "NL-LI", state="on_scene")]).startswith(
        "On scene · 1 offer"
    )
    with pytest.raises(ValueError, match="group by 'incident'"):
        group_board(board, NORA, by="incident")


def test_filters_keep_states_jurisdictions_and_the_viewers_moves():
    board = Board(
        "s",
        (request(1, actions=("close",)), request(2, "DE-RP")),
        (
            offer(10, "NL-LI"),
            offer(11, "BE-WLG", request_id=2, requester="DE-RP", state="committed"),
        ),
        (),
    )
    assert filter_board(board) == board
    kept = filter_board(board, states=["committed"])
    assert ([r.id for r in kept.requests], [o.id for o in kept.offers]) == ([2], [11])
    kept = filter_board(board, jurisdictions=["NL-LI"])
    assert ([r.id for r in kept.requests], [o.id for o in kept.offers]) == ([1], [10])
    kept = filter_board(board, mine_only=True)
    assert ([r.id for r in kept.requests], [o.id for o in kept.offers]) == ([1], [])


def test_only_an_awaited_move_counts_as_yours():
    """Withdraw, release, close and cancel wait for nobody: a group holding only those
    is not "your move", though "only mine" keeps it."""
    board = Board(
        "s",
        (request(1, actions=("close", "cancel")),),
        (offer(10, "DE-NW", state="committed", actions=("withdraw",)),),
        (),
    )
    (group,) = group_board(board, DIETER)
    assert group.your_moves == 0 and "your move" not in group.summary
    assert [o.id for o in filter_board(board, mine_only=True).offers] == [10]

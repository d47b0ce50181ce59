"""The board read in groups, each said in one line (issue 13: a board that scales).

A board after "Compute offers" holds dozens of offers; the Workflow page shows them in
groups (:func:`group_board`: by request, or by state), each collapsed to the line
:func:`request_summary` or :func:`state_summary` writes ("Request 3 · DE-NW ← NL-LI,
BE-WLG · 4 of 6 units committed · waiting for NL-LI"), the groups awaiting the viewer's
own move first. :func:`filter_board` keeps what the page's filters ask for (states,
jurisdictions, only what waits for the viewer). No Streamlit here: the page lays the
groups out.

The words for resource types and states are made by :func:`type_words` and
:func:`state_words`, small on purpose: they are the place to switch to the project's
display-name table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Final

from mutualaid.access.actor import Actor
from mutualaid.display import units_text, words
from mutualaid.store.workflow.board import Board, OfferView, RequestView
from mutualaid.store.workflow.states import (
    ACCEPTED,
    COMMITTED,
    HOLDING_STATES,
    OFFER_STATES,
    ON_SCENE,
    PROPOSED,
    REQUEST_STATES,
)

#: The two ways the page groups the board.
BY_REQUEST: Final = "request"
BY_STATE: Final = "state"
GROUPINGS: Final[tuple[str, ...]] = (BY_REQUEST, BY_STATE)
#: The moves that an offer waits for from the viewer (its answer, or the arrival): what
#: "your move" counts and puts first. Withdraw, release, close and cancel are always
#: open to their side and wait for nobody.
AWAITED_MOVES: Final[frozenset[str]] = frozenset(
    {"commit", "decline", "accept", "refuse", "arrive"}
)
#: Joins the parts of a one-line summary.
SEPARATOR: Final[str] = " · "
#: Offers that no longer take part (nothing to do, nothing held).
_FINISHED: Final[frozenset[str]] = frozenset(
    s for s in OFFER_STATES if s not in (PROPOSED, *HOLDING_STATES)
)


def state_words(state: str) -> str:
    """A state as words: ``on_scene`` → ``on scene``."""
    return words(state)


def type_words(rtype: str, units: int | None = None) -> str:
    """A resource type as words, with a count when given (``2 boats``)."""
    return units_text(rtype, units)


def plural(n: int, word: str) -> str:
    """``1 offer``, ``3 offers``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class BoardGroup:
    """One group of the board: its requests and offers, and its one-line summary.

    ``key`` names the group in widget keys (``request-3``, ``state-proposed``,
    ``offers-without-request``); ``your_moves`` counts the offers that wait for a move
    of the viewer (:func:`awaits_viewer`).
    """

    key: str
    summary: str
    requests: tuple[RequestView, ...]
    offers: tuple[OfferView, ...]
    your_moves: int


def awaits_viewer(offer: OfferView) -> bool:
    """True when the offer waits for a move of the viewer (:data:`AWAITED_MOVES`)."""
    return bool(AWAITED_MOVES.intersection(offer.allowed_actions))


def waiting_for(offer: OfferView) -> str | None:
    """Whose move an offer waits for: the provider while proposed, the requester once
    committed; None when it waits for no one (deployed, or finished)."""
    if offer.state == PROPOSED:
        return offer.provider
    if offer.state == COMMITTED:
        return offer.requester
    return None


def _sides(names: Iterable[str]) -> str:
    return ", ".join(sorted(dict.fromkeys(names)))


def _moves_text(items: int) -> str:
    return f"your move on {plural(items, 'item')}" if items else ""


def request_summary(request: RequestView, offers: Iterable[OfferView], viewer: Actor) -> str:
    """The one line of a request's group.

    ``Request 3 · DE-NW ← NL-LI, BE-WLG · 4 of 6 units committed · 2 proposed · waiting
    for NL-LI`` (its requester, the providers of its live offers, the units its offers
    hold of those requested, the units still proposed, whose move is awaited), then
    ``your move on 2 items`` when the viewer has one, and the request's state when it
    is no longer open.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> from mutualaid.store.workflow.board import RequestLineView
    >>> t = datetime(2026, 7, 14, tzinfo=UTC)
    >>> r = RequestView(3, "DE-NW", "open", 1, "", "d", t, "d", t,
    ...                 (RequestLineView("I-1", "boat", 6, 2),), ())
    >>> request_summary(r, [], Actor("v", "viewer", "DE-NW"))
    'Request 3 · DE-NW · 4 of 6 units committed · no offers yet'
    """
    offers = [o for o in offers if o.request_id == request.id]
    live = [o for o in offers if o.state not in _FINISHED]
    needed = sum(line.units for line in request.lines)
    filled = sum(line.units - line.remaining for line in request.lines)
    proposed = sum(o.units for o in live if o.state == PROPOSED)
    parts = [f"Request {request.id}"]
    providers = _sides(o.provider for o in live)
    parts.append(f"{request.jurisdiction} ← {providers}" if providers else request.jurisdiction)
    parts.append(f"{filled} of {plural(needed, 'unit')} committed")
    if proposed:
        parts.append(f"{proposed} proposed")
    waiting = _sides(w for o in live if (w := waiting_for(o)) is not None)
    if request.state != "open":
        parts.append(state_words(request.state))
    elif waiting:
        parts.append(f"waiting for {waiting}")
    elif not offers:
        parts.append("no offers yet")
    moves = _moves_text(sum(1 for o in offers if awaits_viewer(o)))
    if moves:
        parts.append(moves)
    return SEPARATOR.join(parts)


def state_summary(
    state: str, requests: Collection[RequestView], offers: Collection[OfferView]
) -> str:
    """The one line of a state's group: ``Proposed · 5 offers · 23 units · waiting for
    NL-LI, DE-RP`` (offers) or ``Open · 2 requests · 31 units requested`` (requests),
    then ``your move on 2 items`` when the viewer has one."""
    name = state_words(state).capitalize()
    if state in REQUEST_STATES and requests:
        units = sum(line.units for r in requests for line in r.lines)
        parts = [name + " requests", plural(len(requests), "request"), f"{units} units requested"]
        moves = 0  # closing or cancelling a request waits for nobody
    else:
        parts = [name, plural(len(offers), "offer"), plural(sum(o.units for o in offers), "unit")]
        waiting = _sides(w for o in offers if (w := waiting_for(o)) is not None)
        if waiting:
            parts.append(f"waiting for {waiting}")
        elif state in (ACCEPTED, ON_SCENE):
            parts.append("deployed")
        moves = sum(1 for o in offers if awaits_viewer(o))
    if moves:
        parts.append(_moves_text(moves))
    return SEPARATOR.join(parts)


def _own_first(offers: Iterable[OfferView]) -> tuple[OfferView, ...]:
    """Offers awaiting the viewer's move first, then by id."""
    return tuple(sorted(offers, key=lambda o: (not awaits_viewer(o), o.id)))


def group_board(board: Board, viewer: Actor, *, by: str = BY_REQUEST) -> list[BoardGroup]:
    """The board in groups, those awaiting the viewer's move first.

    Parameters
    ----------
    board : Board
        What the viewer sees (:func:`mutualaid.store.workflow.board`), filtered or not.
    viewer : Actor
    by : {"request", "state"}
        ``"request"``: one group per request with its offers (offers whose request is
        not on the board in a last group); ``"state"``: one group per request state
        holding requests, then one per offer state holding offers.

    Returns
    -------
    list of BoardGroup
        In each group the items awaiting the viewer come first.

    Raises
    ------
    ValueError
        For another *by*.
    """
    groups: list[BoardGroup] = []
    if by == BY_REQUEST:
        ids = {r.id for r in board.requests}
        for request in board.requests:
            offers = _own_first(o for o in board.offers if o.request_id == request.id)
            moves = sum(1 for o in offers if awaits_viewer(o))
            groups.append(
                BoardGroup(
                    f"request-{request.id}",
                    request_summary(request, offers, viewer),
                    (request,),
                    offers,
                    moves,
                )
            )
        orphans = _own_first(o for o in board.offers if o.request_id not in ids)
        if orphans:
            groups.append(
                BoardGroup(
                    "offers-without-request",
                    state_summary("offers", (), orphans).replace("Offers", "Other offers", 1),
                    (),
                    orphans,
                    sum(1 for o in orphans if awaits_viewer(o)),
                )
            )
    elif by == BY_STATE:
        for state in REQUEST_STATES:
            requests = tuple(r for r in board.requests if r.state == state)
            if requests:
                groups.append(
                    BoardGroup(
                        f"state-request-{state}",
                        state_summary(state, requests, ()),
                        requests,
                        (),
                        0,
                    )
                )
        for state in OFFER_STATES:
            offers = _own_first(o for o in board.offers if o.state == state)
            if offers:
                groups.append(
                    BoardGroup(
                        f"state-{state}",
                        state_summary(state, (), offers),
                        (),
                        offers,
                        sum(1 for o in offers if awaits_viewer(o)),
                    )
                )
    else:
        raise ValueError(f"group by {by!r}: expected one of {', '.join(GROUPINGS)}")
    # sorted() is stable: within "yours" and "not yours" the order above is kept.
    return sorted(groups, key=lambda g: not g.your_moves)


def filter_board(
    board: Board,
    *,
    states: Collection[str] = (),
    jurisdictions: Collection[str] = (),
    mine_only: bool = False,
) -> Board:
    """What the page's filters keep of *board* (an empty filter keeps everything).

    Parameters
    ----------
    board : Board
    states : collection of str
        Request and offer states to keep (``open``, ``proposed``...). A request is kept
        when its state is asked for or one of its offers is kept.
    jurisdictions : collection of str
        Keep offers whose provider or requester is one of them, and requests of one of
        them or with an offer kept.
    mine_only : bool
        Keep only the requests and offers on which the viewer may act (any of its
        buttons, withdraw, release, close and cancel included).

    Returns
    -------
    Board
    """
    states, jurisdictions = set(states), set(jurisdictions)

    def offer_kept(o: OfferView) -> bool:
        return (
            (not states or o.state in states)
            and (not jurisdictions or bool({o.provider, o.requester} & jurisdictions))
            and (not mine_only or bool(o.allowed_actions))
        )

    offers = tuple(o for o in board.offers if offer_kept(o))
    with_offers = {o.request_id for o in offers}

    def request_kept(r: RequestView) -> bool:
        if r.id in with_offers:
            return True
        return (
            (not states or r.state in states)
            and (not jurisdictions or r.jurisdiction in jurisdictions)
            and (not mine_only or bool(r.allowed_actions))
        )

    requests = tuple(r for r in board.requests if request_kept(r))
    return dataclasses.replace(board, requests=requests, offers=offers)


def board_jurisdictions(board: Board) -> list[str]:
    """Every jurisdiction on the board, sorted (the filter's choices)."""
    names = {r.jurisdiction for r in board.requests}
    names |= {o.provider for o in board.offers} | {o.requester for o in board.offers}
    return sorted(names)


def board_states(board: Board) -> list[str]:
    """The request and offer states on the board, requests' first, in workflow order."""
    present = {r.state for r in board.requests} | {o.state for o in board.offers}
    return [s for s in (*REQUEST_STATES, *OFFER_STATES) if s in present]

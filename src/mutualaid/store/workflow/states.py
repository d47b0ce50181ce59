"""The workflow's states and moves, written down once: the request and offer states,
:data:`OFFER_TRANSITIONS` and :data:`REQUEST_TRANSITIONS` (who may make each move, and
what it does to the units), and who may do what (:func:`may`, :func:`offer_actions`,
:func:`request_actions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from mutualaid.access.actor import Actor

if TYPE_CHECKING:
    pass

# --- States -------------------------------------------------------------------------------
OPEN: Final = "open"
CLOSED: Final = "closed"
CANCELLED: Final = "cancelled"
REQUEST_STATES: Final[tuple[str, ...]] = (OPEN, CLOSED, CANCELLED)

PROPOSED: Final = "proposed"
COMMITTED: Final = "committed"
DECLINED: Final = "declined"
SUPERSEDED: Final = "superseded"
ACCEPTED: Final = "accepted"
REFUSED: Final = "refused"
WITHDRAWN: Final = "withdrawn"
RELEASED: Final = "released"
#: Accepted units that arrived at the incident (issue 12: deployment over time).
ON_SCENE: Final = "on_scene"
OFFER_STATES: Final[tuple[str, ...]] = (
    PROPOSED,
    COMMITTED,
    DECLINED,
    SUPERSEDED,
    ACCEPTED,
    ON_SCENE,
    REFUSED,
    WITHDRAWN,
    RELEASED,
)

#: Offers whose units are held (committed, or deployed once accepted: en route, then
#: on scene).
HOLDING_STATES: Final[tuple[str, ...]] = (COMMITTED, ACCEPTED, ON_SCENE)
#: Offers that count against a request line's need. Released units were deployed and
#: served the incident, so their release does not reopen the need (the requester makes
#: a new request if the incident needs more).
FILLING_STATES: Final[tuple[str, ...]] = (COMMITTED, ACCEPTED, ON_SCENE, RELEASED)

# Who may make a move: a coordinator of the offer's provider, of its requester, of either,
# or any coordinator or admin (the planner, who computes plans and offers: an admin for
# every request, a coordinator for its own jurisdiction's only, see plan_scope).
PROVIDER: Final = "provider"
REQUESTER: Final = "requester"
EITHER: Final = "either"
PLANNER: Final = "planner"

# What a move does to the units of the offer's lines.
TAKE: Final = "take"
FREE: Final = "free"
KEEP: Final = "keep"


@dataclass(frozen=True)
class Transition:
    """One allowed move.

    Parameters
    ----------
    action : str
        Its name (``"commit"``), as the board's ``allowed_actions`` say it.
    sources : tuple of str
        The states it may leave (``release``: accepted or on scene).
    target : str
        The state it reaches (a past participle, used in messages: "offer 12 was
        already committed").
    by : str
        Whose coordinator may make it: :data:`PROVIDER`, :data:`REQUESTER`,
        :data:`EITHER` or :data:`PLANNER`.
    units : str
        :data:`TAKE` (commit the units), :data:`FREE` (give them back) or :data:`KEEP`.
    audit_action : str
        The audit log's action name.
    """

    action: str
    sources: tuple[str, ...]
    target: str
    by: str
    units: str
    audit_action: str

    @property
    def sources_text(self) -> str:
        """The sources for a message: ``"accepted or on_scene"``."""
        return " or ".join(self.sources)


#: Every move an offer can make. ``supersede`` is made by :func:`plan_offers` only.
OFFER_TRANSITIONS: Final[dict[str, Transition]] = {
    t.action: t
    for t in (
        Transition("commit", (PROPOSED,), COMMITTED, PROVIDER, TAKE, "offer.committed"),
        Transition("decline", (PROPOSED,), DECLINED, PROVIDER, KEEP, "offer.declined"),
        Transition("supersede", (PROPOSED,), SUPERSEDED, PLANNER, KEEP, "plan.computed"),
        Transition("accept", (COMMITTED,), ACCEPTED, REQUESTER, KEEP, "offer.accepted"),
        Transition("refuse", (COMMITTED,), REFUSED, REQUESTER, FREE, "offer.refused"),
        Transition("withdraw", (COMMITTED,), WITHDRAWN, PROVIDER, FREE, "offer.withdrawn"),
        Transition("arrive", (ACCEPTED,), ON_SCENE, EITHER, KEEP, "offer.arrived"),
        Transition("release", (ACCEPTED, ON_SCENE), RELEASED, EITHER, FREE, "offer.released"),
    )
}

#: Every move a request can make. Both supersede the request's still-proposed offers;
#: ``cancel`` only while none of its offers holds units.
REQUEST_TRANSITIONS: Final[dict[str, Transition]] = {
    t.action: t
    for t in (
        Transition("close", (OPEN,), CLOSED, REQUESTER, KEEP, "request.closed"),
        Transition("cancel", (OPEN,), CANCELLED, REQUESTER, KEEP, "request.cancelled"),
    )
}


# --- Who may do what ----------------------------------------------------------------------
def sides_of(by: str, *, provider: str, requester: str) -> tuple[str, ...]:
    return {
        PROVIDER: (provider,),
        REQUESTER: (requester,),
        EITHER: tuple(dict.fromkeys((provider, requester))),
    }[by]


def may(actor: Actor, by: str, *, provider: str = "", requester: str = "") -> bool:
    """True when *actor* may make a move made by *by* (see :class:`Transition`).

    Examples
    --------
    >>> alice = Actor("alice", "coordinator", "DE-NW")
    >>> may(alice, PROVIDER, provider="DE-NW", requester="NL-LI")
    True
    >>> may(alice, REQUESTER, provider="DE-NW", requester="NL-LI")
    False
    """
    if not actor.at_least("coordinator"):
        return False
    if by == PLANNER:
        return True
    return actor.jurisdiction is not None and actor.jurisdiction in sides_of(
        by, provider=provider, requester=requester
    )


def offer_actions(viewer: Actor, *, state: str, provider: str, requester: str) -> tuple[str, ...]:
    """The actions *viewer* may take on an offer in *state* (the buttons to show)."""
    return tuple(
        t.action
        for t in OFFER_TRANSITIONS.values()
        if state in t.sources
        and t.by != PLANNER
        and may(viewer, t.by, provider=provider, requester=requester)
    )


def request_actions(
    viewer: Actor, *, state: str, jurisdiction: str, holds_units: bool = False
) -> tuple[str, ...]:
    """The actions *viewer* may take on a request; ``cancel`` only while none of its
    offers holds units (*holds_units* false)."""
    return tuple(
        t.action
        for t in REQUEST_TRANSITIONS.values()
        if state in t.sources
        and may(viewer, t.by, requester=jurisdiction)
        and not (t.action == "cancel" and holds_units)
    )

"""The request → offer → commit → accept → release workflow, in EMAC / EDXL-RM terms.

A jurisdiction *requests* assistance for its incidents (EDXL-RM RequestResource). The
optimiser's plan for what is still open turns into *offers*, one per (request, providing
jurisdiction) (ResponseToRequestResource). The provider's coordinator *commits* its units
or *declines*; the requester *accepts* (the units are deployed) or *refuses*; deployed
units are later *released* and available again.

Every state and every allowed move is written down once: :data:`OFFER_TRANSITIONS` and
:data:`REQUEST_TRANSITIONS`. Anything else is refused with :class:`InvalidTransition`.

A unit is never committed twice: a commit takes its units with one conditional update
per resource (``... WHERE quantity - committed >= n``), resources in a fixed order (no
deadlocks on PostgreSQL), and the offer's own state change is conditional too
(``... WHERE state = 'proposed'``). When another coordinator got there first the whole
transaction is rolled back and the loser is told who holds the units
(:class:`UnitsTaken`) or who moved the offer (:class:`Conflict`).

"Compute offers" plans the requests of the person computing (:func:`plan_scope`): an
admin's plan covers every open request, a coordinator's its own jurisdiction's open
requests only, and only those requests' proposed offers are superseded; a coordinator
whose jurisdiction has no open request is refused (issue 16).

Every change writes its audit row (:func:`mutualaid.store.audit.record`) as the last
statement of its own transaction; a refusal for lack of rights is recorded too
(``access.denied``), in a transaction of its own, before :class:`Denied` is raised.
Each row names its readers (:mod:`mutualaid.store.audit`): an offer's rows its provider
and requester, a request's rows its requester.

The package, by what each module does: :mod:`~mutualaid.store.workflow.states` (states and
transitions), :mod:`~mutualaid.store.workflow.moves` (the moves),
:mod:`~mutualaid.store.workflow.board` (what a coordinator reads),
:mod:`~mutualaid.store.workflow.proposals` (plan to offers), and
:mod:`~mutualaid.store.workflow.records` (reading rows, refusing). The names below are its
interface (``from mutualaid.store import workflow``).
"""

from mutualaid.errors import (
    Conflict,
    Denied,
    InvalidAnswer,
    InvalidRequest,
    InvalidTransition,
    NotFound,
    UnitsTaken,
    WorkflowError,
)
from mutualaid.store.workflow.board import (
    Board,
    OfferLineView,
    OfferView,
    RequestLineView,
    RequestView,
    board,
)
from mutualaid.store.workflow.held import held_in, held_lines
from mutualaid.store.workflow.moves import (
    OfferState,
    RequestState,
    accept_offer,
    arrive_offer,
    cancel_request,
    close_request,
    commit_offer,
    create_request,
    decline_offer,
    refuse_offer,
    release_offer,
    supersede_offers,
    withdraw_offer,
)
from mutualaid.store.workflow.proposals import (
    PlanOutcome,
    open_part,
    open_request_lines,
    plan_offers,
    plan_scope,
)
from mutualaid.store.workflow.states import (
    ACCEPTED,
    CANCELLED,
    CLOSED,
    COMMITTED,
    DECLINED,
    EITHER,
    FILLING_STATES,
    FREE,
    HOLDING_STATES,
    KEEP,
    OFFER_STATES,
    OFFER_TRANSITIONS,
    ON_SCENE,
    OPEN,
    PLANNER,
    PROPOSED,
    PROVIDER,
    REFUSED,
    RELEASED,
    REQUEST_STATES,
    REQUEST_TRANSITIONS,
    REQUESTER,
    SUPERSEDED,
    TAKE,
    WITHDRAWN,
    Transition,
    may,
    offer_actions,
    request_actions,
    sides_of,
)

__all__ = [
    "held_in",
    "held_lines",
    "ACCEPTED",
    "Board",
    "CANCELLED",
    "CLOSED",
    "COMMITTED",
    "Conflict",
    "DECLINED",
    "Denied",
    "EITHER",
    "FILLING_STATES",
    "FREE",
    "HOLDING_STATES",
    "InvalidAnswer",
    "InvalidRequest",
    "InvalidTransition",
    "KEEP",
    "NotFound",
    "OFFER_STATES",
    "OFFER_TRANSITIONS",
    "ON_SCENE",
    "OPEN",
    "OfferLineView",
    "OfferState",
    "OfferView",
    "PLANNER",
    "PROPOSED",
    "PROVIDER",
    "PlanOutcome",
    "REFUSED",
    "RELEASED",
    "REQUESTER",
    "REQUEST_STATES",
    "REQUEST_TRANSITIONS",
    "RequestLineView",
    "RequestState",
    "RequestView",
    "SUPERSEDED",
    "TAKE",
    "Transition",
    "UnitsTaken",
    "WITHDRAWN",
    "WorkflowError",
    "accept_offer",
    "arrive_offer",
    "board",
    "cancel_request",
    "close_request",
    "commit_offer",
    "create_request",
    "decline_offer",
    "may",
    "offer_actions",
    "open_part",
    "open_request_lines",
    "plan_offers",
    "plan_scope",
    "refuse_offer",
    "release_offer",
    "request_actions",
    "sides_of",
    "supersede_offers",
    "withdraw_offer",
]

"""The Workflow page's Streamlit side: a stored scenario's requests and offers, in groups
(by request or by state, :mod:`mutualaid.store.workflow.groups`), each collapsed to its
one-line summary, the groups waiting for the viewer's move first, under filters (states,
jurisdictions, only mine), with the buttons the signed-in viewer may use. A destructive
action (:data:`CONFIRM`) asks again: its button opens a popover saying what it does,
which holds the "Yes, ..." button that makes it. The request form lists each incident by
name with its needs in words (:mod:`mutualaid.figures.requests`).

What the board shows and which actions each offer allows come from
:func:`mutualaid.store.workflow.board`; this module only lays them out and turns a
click into the workflow call. Each action button is a callback (it runs once, before
the next script run, so its outcome shows on that run) that passes the offer version
the page showed as ``expected_version``: a coordinator acting on a board another
coordinator has changed since is told who got there first
(:class:`~mutualaid.store.workflow.Conflict`), never silently acts on a newer state.
The acting account is read again from the session's sign-in when the click arrives.

Commit and accept may be partial (issue 12): each line of an offer the viewer may commit
or accept has a number input, the full amount by default (0 declines or refuses that
line); what is not committed or accepted is open again for the next "Compute offers".
An accepted offer shows its stage (en route, then on scene after "Arrived on scene"),
each line's estimated arrival (commit time + minutes) and the time of each move, all in
UTC.

Scenario names, jurisdiction ids, incident and resource ids and notes come from
uploaded files: they are shown with ``st.dataframe``, ``st.text`` and widget values,
and where Streamlit renders Markdown (``st.error``, expander labels) they are escaped
with :func:`mutualaid.text.literal`. Session-state keys all start with ``"workflow."``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

import pandas as pd
import streamlit as st

from mutualaid.access.actor import Actor
from mutualaid.errors import StoreFull
from mutualaid.figures.requests import IncidentNeeds, requestable_needs
from mutualaid.store import Store, workflow
from mutualaid.store.layer_store import (
    current_versions,
    load_stored_scenario,
    scenario_names,
)
from mutualaid.store.workflow import Board, OfferView, RequestView, WorkflowError, groups
from mutualaid.text import literal
from mutualaid.ui import context
from mutualaid.ui.outcome import acting, remember, show
from mutualaid.ui.state import state_key
from mutualaid.vocabulary import state_label, type_label

PAGE: Final[str] = "workflow"
_OUTCOME: Final[str] = state_key(PAGE, "outcome")

#: Offer actions: the workflow call and the button's label, in the order shown.
OFFER_ACTIONS: Final[dict[str, tuple[Callable[..., workflow.OfferState], str]]] = {
    "commit": (workflow.commit_offer, "Commit"),
    "decline": (workflow.decline_offer, "Decline"),
    "accept": (workflow.accept_offer, "Accept"),
    "refuse": (workflow.refuse_offer, "Refuse"),
    "withdraw": (workflow.withdraw_offer, "Withdraw"),
    "arrive": (workflow.arrive_offer, "Arrived on scene"),
    "release": (workflow.release_offer, "Release"),
}
#: The actions that take units per line (a partial answer), and what the inputs say.
PARTIAL_ACTIONS: Final[dict[str, str]] = {
    "commit": "Units to commit per line (0 declines the line)",
    "accept": "Units to accept per line (0 refuses the line; the rest is freed)",
}
#: Request actions: the workflow call and the button's label.
REQUEST_ACTIONS: Final[dict[str, tuple[Callable[..., workflow.RequestState], str]]] = {
    "close": (workflow.close_request, "Close request"),
    "cancel": (workflow.cancel_request, "Cancel request"),
}
#: What each action did, for the message after it.
DONE: Final[dict[str, str]] = {
    "commit": "committed",
    "decline": "declined",
    "accept": "accepted (units deployed)",
    "refuse": "refused (units freed)",
    "withdraw": "withdrawn (units freed)",
    "arrive": "marked on scene (units arrived)",
    "release": "released (units available again)",
    "close": "closed",
    "cancel": "cancelled",
}
#: Destructive actions: asked again (a popover with the consequence and a "Yes, ..."
#: button) before they are made, never a single click beside the harmless one.
CONFIRM: Final[dict[str, str]] = {
    "decline": "Its units are not sent; the requester is told. This cannot be undone.",
    "refuse": "The committed units go back to their provider. This cannot be undone.",
    "withdraw": "Your committed units are freed; the requester is told. This cannot be undone.",
    "release": (
        "The units leave the incident and are available again; the need is open again. "
        "This cannot be undone."
    ),
    "close": (
        "The request ends: its offers still proposed are superseded; units already "
        "committed or deployed stay. This cannot be undone."
    ),
    "cancel": (
        "The request is withdrawn: its offers still proposed are superseded. This cannot be undone."
    ),
}
#: The board's groupings, as the radio says them.
GROUPING_TEXT: Final[dict[str, str]] = {
    groups.BY_REQUEST: "by request",
    groups.BY_STATE: "by state",
}
OFFER_LINE_COLUMNS: Final[tuple[str, ...]] = (
    "resource",
    "incident",
    "type",
    "units",
    "offered",
    "committed",
    "minutes",
    "ETA (UTC)",
)
#: How each stage of held units is said on the board.
STAGE_TEXT: Final[dict[str, str]] = {
    "committed": "committed, not yet accepted",
    "en_route": "en route",
    "on_scene": "on scene",
}


def when_text(moment: datetime) -> str:
    """``2026-07-14 20:31 UTC``."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _clock(moment: datetime | None) -> str:
    """``2026-07-14 20:31`` (UTC, said in the column's name), "" when unknown."""
    return "" if moment is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}"


def units_key(action: str, offer_id: int, line_id: int) -> str:
    """The session-state key of one line's number input for a partial *action*."""
    return state_key(PAGE, f"{action}-units-{offer_id}-{line_id}")


def answer_of(
    action: str, offer_id: int, lines: tuple[tuple[int, int], ...]
) -> dict[int, int] | None:
    """Line id → units from the number inputs of *lines* (``(line id, full amount)``
    each); None when every line is left at its full amount (the whole offer)."""
    answer = {}
    for line_id, full in lines:
        value = st.session_state.get(units_key(action, offer_id, line_id), full)
        answer[line_id] = full if value is None else int(value)
    if all(answer[line_id] == full for line_id, full in lines):
        return None
    return answer


# --- outcome of the last action -------------------------------------------------------------


def _remember(ok: bool, message: str) -> None:
    remember(_OUTCOME, ok, message)


def show_outcome() -> None:
    """The last action's result: a success, or the workflow's refusal as it said it."""
    show(_OUTCOME)


def _acting(store: Store) -> Actor | None:
    """The signed-in account when a click arrives (read again: it may have been
    disabled meanwhile)."""
    return acting(store, _OUTCOME)


def on_offer_action(
    store: Store,
    offer_id: int,
    action: str,
    version: int,
    lines: tuple[tuple[int, int], ...] = (),
) -> None:
    """Button callback: make *action* on offer *offer_id*, expecting *version*. For a
    commit or accept, *lines* (``(line id, full amount)`` each) name the number inputs
    read for a partial answer."""
    actor = _acting(store)
    if actor is None:
        return
    call, _label = OFFER_ACTIONS[action]
    extra: dict[str, dict[int, int]] = {}
    if action in PARTIAL_ACTIONS and lines:
        answer = answer_of(action, offer_id, lines)
        if answer is not None:
            extra["units"] = answer
    try:
        state = call(store, offer_id, actor=actor, expected_version=version, **extra)
    except (WorkflowError, StoreFull) as exc:
        _remember(False, str(exc))
        return
    part = ""
    if "units" in extra:
        n = sum(extra["units"].values())
        full = sum(f for _, f in lines)
        part = f" ({n} of {full} unit{'s' if full != 1 else ''})"
    _remember(
        True,
        f"Offer {offer_id} {DONE[action]}{part} by you at {when_text(state.updated_at)}.",
    )


def on_request_action(store: Store, request_id: int, action: str, version: int) -> None:
    """Button callback: close or cancel request *request_id*, expecting *version*."""
    actor = _acting(store)
    if actor is None:
        return
    call, _label = REQUEST_ACTIONS[action]
    try:
        state = call(store, request_id, actor=actor, expected_version=version)
    except (WorkflowError, StoreFull) as exc:
        _remember(False, str(exc))
        return
    _remember(True, f"Request {request_id} {DONE[action]} by you at {when_text(state.updated_at)}.")


REQUEST_LINES: Final[str] = state_key(PAGE, "request_lines")


def need_key(incident_id: str) -> str:
    """The session-state key of one incident's multiselect on the request form (the id,
    text from a file, is hashed: a key is a CSS class too)."""
    digest = hashlib.sha256(incident_id.encode("utf-8")).hexdigest()[:16]
    return f"{REQUEST_LINES}-{digest}"


def picked_lines(incidents: list[IncidentNeeds]) -> list[tuple[str, str, int]]:
    """The request lines picked on the form: every incident's multiselect (all of its
    needs until one is taken out)."""
    lines = []
    for incident in incidents:
        choices = incident.choices()
        picked = st.session_state.get(need_key(incident.incident_id), list(choices))
        lines += [choices[label] for label in picked or () if label in choices]
    return lines


def on_create_request(store: Store, scenario: str, incidents: list[IncidentNeeds]) -> None:
    """Button callback: request the needs picked per incident, with the note."""
    actor = _acting(store)
    if actor is None:
        return
    note = (st.session_state.get(state_key(PAGE, "request_note")) or "").strip()
    lines = picked_lines(incidents)
    if not lines:
        _remember(False, "Pick at least one need to request.")
        return
    try:
        request_id = workflow.create_request(store, scenario, actor=actor, lines=lines, note=note)
    except (WorkflowError, StoreFull) as exc:
        _remember(False, str(exc))
        return
    for incident in incidents:
        st.session_state.pop(need_key(incident.incident_id), None)
    st.session_state.pop(state_key(PAGE, "request_note"), None)
    _remember(
        True,
        f"Request {request_id} made for {actor.jurisdiction}: {len(lines)} "
        "need(s). Compute offers to turn the plan into offers.",
    )


def on_plan(store: Store, scenario: str) -> None:
    """Button callback: plan what is still open and make the offers."""
    actor = _acting(store)
    if actor is None:
        return
    try:
        outcome = workflow.plan_offers(store, scenario, actor=actor)
    except (WorkflowError, StoreFull) as exc:
        _remember(False, str(exc))
        return
    _remember(
        True,
        f"Plan {outcome.plan_id} computed: {len(outcome.offer_ids)} offer(s) "
        f"made, {len(outcome.superseded)} earlier proposed offer(s) superseded.",
    )


# --- reading --------------------------------------------------------------------------------


def choose_scenario(store: Store) -> str | None:
    """The stored scenario to work on; None (with a note) when the store has none."""
    names = scenario_names(store)
    if not names:
        st.info("No scenario is stored yet. Load one with `mutualaid load SCENARIO_DIR`.")
        return None
    return context.choose_name(names, page=PAGE)


def _layers_key(store: Store, name: str) -> str:
    versions = current_versions(store, name)
    return "|".join(f"{k}:{v.id}:{v.version}:{v.sha256}" for k, v in sorted(versions.items()))


@st.cache_data(show_spinner=False, max_entries=16)
def _needs(
    url: str,
    name: str,
    layers_key: str,
    jurisdiction: str,
    requested: frozenset[tuple[str, str]],
    _store: Store,
) -> list[IncidentNeeds]:
    # Keyed on the store, the scenario and its layers' versions (``_store`` is the
    # handle to read with, not data): a new incidents layer is a new entry.
    stored = load_stored_scenario(_store, name)
    if stored is None:
        return []
    return requestable_needs(stored.scenario.incidents, jurisdiction, requested=requested)


def requestable(store: Store, name: str, jurisdiction: str, board: Board) -> list[IncidentNeeds]:
    """The needs of *jurisdiction*'s active incidents not already in an open request,
    by incident (most severe first)."""
    requested = frozenset(
        (line.incident_id, line.type)
        for r in board.requests
        if r.state == workflow.OPEN
        for line in r.lines
    )
    return _needs(store.url, name, _layers_key(store, name), jurisdiction, requested, store)


def jurisdictions_in_order(board: Board, viewer: Actor) -> list[str]:
    """Every jurisdiction on the board, the viewer's own first, then by name."""
    names = {r.jurisdiction for r in board.requests}
    names |= {o.provider for o in board.offers} | {o.requester for o in board.offers}
    own = viewer.jurisdiction
    return ([own] if own in names else []) + sorted(n for n in names if n != own)


# --- tables ----------------------------------------------------------------------------------


def offer_lines_table(offer: OfferView) -> pd.DataFrame:
    """An offer's lines: resource, incident, type, units held now (offered while
    proposed, then committed, then accepted), units offered and committed, minutes, and
    the estimated arrival (commit time + minutes, UTC; empty before the commit)."""
    rows = [
        (
            line.resource_id,
            line.incident_id,
            type_label(line.type),
            line.units,
            line.offered,
            line.committed,
            round(line.minutes, 1),
            _clock(line.eta),
        )
        for line in offer.lines
    ]
    table = pd.DataFrame(rows, columns=list(OFFER_LINE_COLUMNS))
    return table.astype({"units": "int64", "offered": "int64", "committed": "Int64"})


def offer_times(offer: OfferView) -> str:
    """``stage: en route; committed 2026-07-14 20:31 UTC, accepted ...``: where the
    offer's units are and when each move was made (empty when none was)."""
    times = [
        f"{name} {when_text(moment)}"
        for name, moment in (
            ("committed", offer.committed_at),
            ("accepted", offer.accepted_at),
            ("arrived on scene", offer.arrived_at),
            ("released", offer.released_at),
        )
        if moment is not None
    ]
    parts = []
    if offer.stage is not None:
        parts.append(f"stage: {STAGE_TEXT.get(offer.stage) or state_label(offer.stage)}")
    if times:
        parts.append(", ".join(times))
    return "; ".join(parts)


def request_lines_table(request: RequestView) -> pd.DataFrame:
    """A request's lines with the units still to fill."""
    rows = [
        (line.incident_id, type_label(line.type), line.units, line.remaining)
        for line in request.lines
    ]
    return pd.DataFrame(rows, columns=["incident", "type", "units", "still needed"])


def _states_text(offers: list[OfferView]) -> str:
    counts: dict[str, int] = {}
    for offer in offers:
        counts[offer.state] = counts.get(offer.state, 0) + 1
    return ", ".join(
        f"{n} {state_label(state)}"
        for state, n in sorted(
            counts.items(),
            key=lambda item: (
                workflow.OFFER_STATES.index(item[0])
                if item[0] in workflow.OFFER_STATES
                else len(workflow.OFFER_STATES)
            ),
        )
    )


def summary_table(board: Board, viewer: Actor) -> pd.DataFrame:
    """One row per jurisdiction (the viewer's first): its requests and the offers it
    received and made, counted by state."""
    rows = []
    for jurisdiction in jurisdictions_in_order(board, viewer):
        requests = [r for r in board.requests if r.jurisdiction == jurisdiction]
        open_requests = sum(1 for r in requests if r.state == workflow.OPEN)
        rows.append(
            {
                "jurisdiction": jurisdiction,
                "requests": f"{len(requests)} ({open_requests} open)",
                "offers received": _states_text(
                    [o for o in board.offers if o.requester == jurisdiction]
                ),
                "offers made": _states_text(
                    [o for o in board.offers if o.provider == jurisdiction]
                ),
            }
        )
    return pd.DataFrame(
        rows, columns=["jurisdiction", "requests", "offers received", "offers made"]
    )


def offer_heading(offer: OfferView) -> str:
    """``Offer 12: DE-NW → NL-LI, 5 units, request 3 — proposed``; after a partial
    answer ``3 of 5 units``. (The version the buttons expect is the page's business,
    not the reader's.)"""
    offered = offer.offered or offer.units
    count = f"{offer.units} of {offered}" if offer.units != offered else f"{offer.units}"
    return (
        f"Offer {offer.id}: {offer.provider} → {offer.requester}, {count} "
        f"unit{'s' if offered != 1 else ''}, request {offer.request_id} — "
        f"{state_label(offer.state)}"
    )


def offer_changed(offer: OfferView) -> str:
    """Who made the offer's last change and when."""
    return (
        f"last changed by {offer.updated_by} at {when_text(offer.updated_at)}; "
        f"made {when_text(offer.created_at)} from plan {offer.plan_id}"
    )


def request_heading(request: RequestView) -> str:
    """``Request 3 of NL-LI — open``."""
    return f"Request {request.id} of {request.jurisdiction} — {state_label(request.state)}"


# --- layout ----------------------------------------------------------------------------------


def partial_lines(offer: OfferView, action: str) -> tuple[tuple[int, int], ...]:
    """``(line id, full amount)`` of each line a commit or accept answers: the units
    offered (commit) or committed (accept); lines holding none are left out."""
    full = ((x.id, x.offered if action == "commit" else x.units) for x in offer.lines)
    return tuple((line_id, n) for line_id, n in full if n > 0)


def show_answer_inputs(offer: OfferView, action: str) -> tuple[tuple[int, int], ...]:
    """One number input per line for a partial commit or accept (the full amount by
    default); returns the lines, for the button's callback."""
    lines = partial_lines(offer, action)
    if not lines:
        return lines
    by_id = {x.id: x for x in offer.lines}
    st.caption(PARTIAL_ACTIONS[action])
    cols = st.columns(min(len(lines), 4))
    for position, (line_id, full) in enumerate(lines):
        line = by_id[line_id]
        cols[position % len(cols)].number_input(
            literal(
                f"{line.resource_id} → {line.incident_id} ({type_label(line.type)}), of {full}"
            ),
            min_value=0,
            max_value=full,
            value=full,
            step=1,
            key=units_key(action, offer.id, line_id),
        )
    return lines


def action_button(
    action: str,
    *,
    label: str,
    key: str,
    on_click: Callable[..., None],
    args: tuple[object, ...],
    subject: str,
    primary: bool = False,
) -> None:
    """One action's button. A destructive action (:data:`CONFIRM`) is a popover
    "Label…" that says what it does and holds the button that makes it ("Yes, decline
    offer 12"): two explicit clicks, never one beside the harmless action."""
    if action not in CONFIRM:
        st.button(
            label,
            key=key,
            type="primary" if primary else "secondary",
            on_click=on_click,
            args=args,
        )
        return
    with st.popover(f"{label}…", key=f"{key}-ask"):
        st.caption(f"{label} {subject}? {CONFIRM[action]}")
        verb = label.split(" ")[0].lower()
        st.button(f"Yes, {verb} {subject}", key=key, on_click=on_click, args=args)


def show_offer(store: Store, offer: OfferView) -> None:
    """One offer: heading, who changed it, its stage and times, its lines, the number
    inputs of a partial commit or accept, and the viewer's buttons (the destructive ones
    asking again)."""
    with st.container(border=True, key=f"{PAGE}-offer-{offer.id}"):
        st.text(offer_heading(offer))
        st.caption(literal(offer_changed(offer)))
        times = offer_times(offer)
        if times:
            st.caption(literal(times))
        st.dataframe(offer_lines_table(offer), hide_index=True, width="stretch")
        actions = [a for a in OFFER_ACTIONS if a in offer.allowed_actions]
        partial = {a: show_answer_inputs(offer, a) for a in actions if a in PARTIAL_ACTIONS}
        if actions:
            cols = st.columns(len(actions) + 2)
            for col, action in zip(cols, actions):
                with col:
                    action_button(
                        action,
                        label=OFFER_ACTIONS[action][1],
                        key=state_key(PAGE, f"{action}-{offer.id}"),
                        on_click=on_offer_action,
                        args=(store, offer.id, action, offer.version, partial.get(action, ())),
                        subject=f"offer {offer.id}",
                        primary=action in ("commit", "accept"),
                    )


def show_request(store: Store, request: RequestView) -> None:
    """One request: heading, note, lines, and the viewer's buttons (both ask again)."""
    with st.container(border=True, key=f"{PAGE}-request-{request.id}"):
        st.text(request_heading(request))
        st.caption(
            literal(
                f"made by {request.created_by} at {when_text(request.created_at)}; "
                f"last changed by {request.updated_by} at "
                f"{when_text(request.updated_at)}"
            )
        )
        if request.note:
            st.text(f"Note: {request.note}")
        st.dataframe(request_lines_table(request), hide_index=True, width="stretch")
        actions = [a for a in REQUEST_ACTIONS if a in request.allowed_actions]
        if actions:
            cols = st.columns(len(actions) + 2)
            for col, action in zip(cols, actions):
                with col:
                    action_button(
                        action,
                        label=REQUEST_ACTIONS[action][1],
                        key=state_key(PAGE, f"{action}-request-{request.id}"),
                        on_click=on_request_action,
                        args=(store, request.id, action, request.version),
                        subject=f"request {request.id}",
                    )


def show_group(store: Store, group: groups.BoardGroup) -> None:
    """One group, collapsed to its one-line summary; its requests, then its offers."""
    with st.expander(literal(group.summary), key=f"{PAGE}-group-{group.key}"):
        for request in group.requests:
            show_request(store, request)
        for offer in group.offers:
            show_offer(store, offer)


def show_coordinator_tools(store: Store, actor: Actor, board: Board) -> None:
    """Request assistance for the viewer's incidents; compute offers from a plan."""
    if not board.viewer_actions:
        return
    cols = st.columns(2)
    if "request" in board.viewer_actions and actor.jurisdiction:
        with cols[0].expander(literal(f"Request assistance for {actor.jurisdiction}")):
            needs = requestable(store, board.scenario, actor.jurisdiction, board)
            if not needs:
                st.text(
                    f"{actor.jurisdiction} has no active incident need that is not "
                    "already requested."
                )
            else:
                st.caption(
                    "Every need is picked; take out what you do not need. Most severe "
                    "incidents first."
                )
                for incident in needs:
                    choices = incident.choices()
                    st.multiselect(
                        literal(incident.label),
                        list(choices),
                        default=list(choices),
                        key=need_key(incident.incident_id),
                    )
                st.text_input(
                    "Note for the providers", key=state_key(PAGE, "request_note"), max_chars=500
                )
                st.button(
                    "Request assistance",
                    key=state_key(PAGE, "request"),
                    on_click=on_create_request,
                    args=(store, board.scenario, needs),
                )
    if "plan" in board.viewer_actions:
        with cols[1].expander("Compute offers"):
            whose = (
                "every jurisdiction's open requests"
                if workflow.plan_scope(actor) is None
                else "your jurisdiction's open requests"
            )
            st.caption(
                f"Plans what is still open of {whose} (units not committed, needs "
                "not filled) and makes one offer per request and providing "
                "jurisdiction. Their proposed offers not yet committed are replaced; "
                "other requesters' offers are not touched."
            )
            st.button(
                "Compute offers",
                key=state_key(PAGE, "plan"),
                on_click=on_plan,
                args=(store, board.scenario),
            )


def board_filters(board: Board) -> tuple[str, Board]:
    """The grouping and the filters (states, jurisdictions, only what waits for the
    viewer); returns the grouping and what the filters keep of *board*."""
    cols = st.columns([2, 3, 3, 2])
    by = cols[0].radio(
        "Group",
        list(GROUPING_TEXT),
        format_func=GROUPING_TEXT.__getitem__,
        horizontal=True,
        key=state_key(PAGE, "group_by"),
    )
    states = cols[1].multiselect(
        "States",
        groups.board_states(board),
        format_func=groups.state_words,
        key=state_key(PAGE, "filter.states"),
        placeholder="every state",
    )
    places = cols[2].multiselect(
        "Jurisdictions",
        groups.board_jurisdictions(board),
        key=state_key(PAGE, "filter.jurisdictions"),
        placeholder="every jurisdiction",
    )
    mine = cols[3].toggle(
        "Only mine",
        key=state_key(PAGE, "filter.mine"),
        help="Keep the requests and offers on which you may act.",
    )
    kept = groups.filter_board(board, states=states, jurisdictions=places, mine_only=mine)
    return by or groups.BY_REQUEST, kept


def show_board(store: Store, actor: Actor, board: Board) -> None:
    """Every jurisdiction's figures, then the board in groups (each collapsed to one
    line, those awaiting the viewer's move first) under its filters."""
    if not board.requests and not board.offers:
        st.text("No requests or offers yet in this scenario.")
        return
    st.dataframe(summary_table(board, actor), hide_index=True, width="stretch")
    by, kept = board_filters(board)
    shown = groups.group_board(kept, actor, by=by)
    if not shown:
        st.text("Nothing on the board matches these filters.")
        return
    st.caption(
        f"{groups.plural(len(kept.requests), 'request')} and "
        f"{groups.plural(len(kept.offers), 'offer')} in {groups.plural(len(shown), 'group')}; "
        "open a group to act on it."
    )
    for group in shown:
        show_group(store, group)


def show_page(store: Store, actor: Actor) -> None:
    """The whole page below its title, for a signed-in *actor* (the sidebar says who)."""
    name = choose_scenario(store)
    if name is None:
        return
    show_outcome()
    try:
        current = workflow.board(store, name, viewer=actor)
    except (WorkflowError, StoreFull) as exc:
        st.error(literal(str(exc)))
        return
    show_coordinator_tools(store, actor, current)
    st.button(
        "Refresh",
        key=state_key(PAGE, "refresh"),
        help="Read the board again (other coordinators may have acted).",
    )
    show_board(store, actor, current)

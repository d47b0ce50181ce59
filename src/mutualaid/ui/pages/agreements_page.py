"""The Agreements page's Streamlit side: the matrix, the row editor, checks, Apply.

The agreements live in one place: the shared scenario in the store
(:mod:`mutualaid.ui.shared_scenario`). "Apply", for a signed-in admin, stores the edited table
as a new version of the ``agreements`` layer (``replace``, audited as
``agreement.changed``), so the Allocation and Briefing pages of every session, which
plan with the shared scenario and key their caches on its version, use the new rows on
their next plan. An edited table with errors lists them and applies nothing; an edit
based on agreements someone else changed meanwhile is refused and says who did.

File text is shown only with ``st.dataframe``, ``st.text`` and widget values, never as
Markdown or HTML. Session-state keys all start with ``"agreements."``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import pandas as pd
import streamlit as st

from mutualaid.access.actor import Actor
from mutualaid.errors import LayerRefused
from mutualaid.figures.agreements import (
    FROM_AXIS,
    check_table,
    editor_table,
    pair_rows,
    reserve_rows,
    reserve_text,
    side_name,
    summary_matrix,
)
from mutualaid.layers.problems import Report
from mutualaid.scenario.merging import Workspace
from mutualaid.text import literal
from mutualaid.ui import context, live, loaders, panels, shared_scenario, signed_in
from mutualaid.ui.app_store import app_store
from mutualaid.ui.state import state_key
from mutualaid.vocabulary import label

PAGE = "agreements"
#: The log's name for agreements edited on this page.
SOURCE: Final[str] = "edited in the app"
#: The least role that may change the agreements everyone plans with.
APPLY_ROLE: Final[str] = "admin"
_OUTCOME = state_key(PAGE, "outcome")


def editor_key(fingerprint: str, version: int = 1) -> str:
    """Widget key of the rows editor: one per scenario folder (its *fingerprint*) and
    stored agreements *version*, so an applied edit (a new version) opens a fresh
    editor on the new rows."""
    return state_key(PAGE, f"rows-{fingerprint[:12]}-v{version}")


def choose_scenario(folders: Sequence[Path]) -> Path:
    """The scenario selector; opens on the scenario the address names or the one chosen
    on any page (:func:`mutualaid.ui.context.choose_folder`)."""
    return context.choose_folder(folders, page=PAGE)


_MATRIX = state_key(PAGE, "matrix")
_PROVIDER = state_key(PAGE, "pair.provider")
_RECEIVER = state_key(PAGE, "pair.receiver")
#: The matrix's last column: the providing side's full name.
NAME_COLUMN: Final[str] = "provider"


def matrix_table(matrix: pd.DataFrame, jurisdictions: pd.DataFrame) -> pd.DataFrame:
    """The short matrix with the providing side's full name as its last column."""
    table = matrix.copy()
    table[NAME_COLUMN] = [side_name(str(side), jurisdictions) for side in table.index]
    return table


#: Pixels per character and the padding of a matrix column (the grid's font).
_CHAR_PX: Final[float] = 6.5
_PAD_PX: Final[int] = 26


def column_px(texts: Sequence[str]) -> int:
    """A matrix column's width in pixels: as wide as its longest text (heading or
    cell), so that no cell is cut."""
    return int(_CHAR_PX * max((len(t) for t in texts), default=1)) + _PAD_PX


def picked_cell(selection: object, matrix: pd.DataFrame) -> tuple[str, str] | None:
    """The (provider, receiver) of the matrix cell picked in the table, if any: a cell
    of a receiving column (not the name column)."""
    cells = getattr(getattr(selection, "selection", None), "cells", None)
    if cells is None and isinstance(selection, dict):
        cells = (selection.get("selection") or {}).get("cells")
    for cell in cells or ():
        try:
            row, column = (cell["row"], cell["column"]) if isinstance(cell, dict) else cell
        except (TypeError, ValueError, KeyError):
            continue
        if column in matrix.columns and isinstance(row, int) and 0 <= row < len(matrix):
            return str(matrix.index[row]), str(column)
    return None


def _on_pick(matrix: pd.DataFrame) -> None:
    # A picked cell chooses the pair whose detail is shown below the matrix.
    picked = picked_cell(st.session_state.get(_MATRIX), matrix)
    if picked is not None:
        st.session_state[_PROVIDER], st.session_state[_RECEIVER] = picked


def show_matrix(workspace: Workspace) -> None:
    """The agreements as a provider × receiver matrix of short cells (types and border
    delay), full names in the first column and on the headers' hover, and the detail of
    the pair picked (a cell, or the two selectors below)."""
    scenario = workspace.scenario()
    st.subheader("Who may help whom")
    st.caption(
        "Rows provide, columns receive. Each cell: the resource types allowed (all: "
        "every type) and the border delay. Hover a column heading for its full name; "
        "pick a cell (or the selectors below) for the pair's detail."
    )
    matrix = summary_matrix(
        scenario.agreements, countries=scenario.jurisdictions["country"].map(str)
    )
    if matrix.empty:
        st.text("No agreements: no help can cross a jurisdiction's border.")
        return
    jurisdictions = scenario.jurisdictions
    config = {
        # Each column as wide as its longest cell: none is cut.
        str(column): st.column_config.TextColumn(
            str(column),
            help=side_name(str(column), jurisdictions),
            width=column_px([str(column), *matrix[column].map(str)]),
        )
        for column in matrix.columns
    }
    config["_index"] = st.column_config.TextColumn(
        FROM_AXIS, help="The providing side (its full name is in the last column)"
    )
    st.dataframe(
        matrix_table(matrix, jurisdictions),
        width="stretch",
        column_config=config,
        key=_MATRIX,
        on_select=functools.partial(_on_pick, matrix),
        selection_mode="single-cell",
    )
    show_pair(scenario.agreements, jurisdictions, matrix)


def show_pair(agreements: pd.DataFrame, jurisdictions: pd.DataFrame, matrix: pd.DataFrame) -> None:
    """The detail of one provider → receiver pair: the rows granted (types allowed,
    border delay, basis) and the providing side's reserve rules."""
    providers, receivers = [str(x) for x in matrix.index], [str(x) for x in matrix.columns]
    if st.session_state.get(_PROVIDER) not in providers:
        first = next(
            ((p, r) for p in providers for r in receivers if matrix.loc[p, r]),
            (providers[0], receivers[0]),
        )
        st.session_state[_PROVIDER], st.session_state[_RECEIVER] = first
    if st.session_state.get(_RECEIVER) not in receivers:
        st.session_state[_RECEIVER] = receivers[0]
    cols = st.columns(2)
    provider = cols[0].selectbox(
        "Provider", providers, key=_PROVIDER, format_func=lambda s: side_name(s, jurisdictions)
    )
    receiver = cols[1].selectbox(
        "Receiver", receivers, key=_RECEIVER, format_func=lambda s: side_name(s, jurisdictions)
    )
    rows = pair_rows(agreements, provider, receiver)
    heading = f"{side_name(provider, jurisdictions)} → {side_name(receiver, jurisdictions)}"
    if len(rows) == 0:
        st.text(f"{heading}: nothing granted by a row of its own (a wider row may apply).")
    else:
        st.text(f"{heading}: {len(rows)} agreement row(s).")
        st.dataframe(rows, hide_index=True, width="stretch")
    reserves = reserve_rows(jurisdictions, provider)
    st.text(reserve_text(reserves))
    if len(reserves) > 1:
        with st.expander(f"Reserve of each of the {len(reserves)} jurisdictions"):
            st.dataframe(reserves, hide_index=True, width="stretch")


def rows_editor(loaded: loaders.LoadedScenario, workspace: Workspace) -> pd.DataFrame:
    """The agreement rows in an editable table (edit cells, add or delete rows)."""
    st.subheader("Edit the rows")
    st.caption(
        "From, To: a jurisdiction id, a country code or *. Resource types: * (every "
        "type) or the types' keys separated by ; (boat;pump). Border delay: minutes ≥ 0."
    )
    return st.data_editor(
        editor_table(workspace.scenario()),
        key=editor_key(
            loaded.fingerprint, shared_scenario.current_version(workspace, "agreements")
        ),
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config={
            "from": st.column_config.TextColumn(
                label("from"), help="The providing side: a jurisdiction id, a country code, or *"
            ),
            "to": st.column_config.TextColumn(
                label("to"), help="The receiving side: a jurisdiction id, a country code, or *"
            ),
            "resource_types": st.column_config.TextColumn(
                label("resource_types"), help="* or types separated by ; such as boat;pump"
            ),
            "border_delay_min": st.column_config.NumberColumn(
                f"{label('border_delay_min')} (min)",
                help="Minutes added to every trip under this row",
            ),
        },
    )


def show_problems(report: Report) -> None:
    """Errors and warnings of the edited rows, as a table."""
    if report.errors:
        st.error(
            f"The edited agreements have {len(report.errors)} error(s): nothing is "
            "applied until they are fixed."
        )
    elif report.warnings:
        st.warning(f"The edited agreements have {len(report.warnings)} warning(s).")
    if report.problems:
        st.dataframe(panels.problems_table([report]), hide_index=True, width="stretch")


_PENDING = state_key(PAGE, "pending")
_REFUSED = state_key(PAGE, "refused")
_STALE = state_key(PAGE, "stale")


def apply(
    loaded: loaders.LoadedScenario, workspace: Workspace, agreements: pd.DataFrame, *, actor: Actor
) -> bool:
    """Store *agreements* as the shared scenario's agreements (a ``replace`` of the
    version *workspace* showed); False when the combined scenario refuses them (the
    reports are kept for :func:`show_editor` to list) or they were changed meanwhile."""
    try:
        stale = shared_scenario.store_layer(
            loaded,
            workspace,
            kind="agreements",
            frame=agreements,
            mode="replace",
            source=SOURCE,
            format="table",
            actor=actor,
        )
    except LayerRefused as refused:
        st.session_state[_REFUSED] = refused.reports
        return False
    if stale is not None:
        st.session_state[_STALE] = stale
        return False
    st.session_state[_OUTCOME] = (
        f"Applied: {len(agreements)} agreement row(s). The next plan uses them."
    )
    return True


def _on_apply(loaded: loaders.LoadedScenario, workspace: Workspace, editor: str) -> None:
    # A callback, not ``if st.button(...)``: it runs before the next script run, so the
    # edit is applied exactly once and that run already shows the new agreements.
    pending = st.session_state.pop(_PENDING, None)
    if pending is None or pending[0] != editor:
        return
    actor = signed_in.current_actor(app_store())
    if actor is None or not actor.at_least(APPLY_ROLE):
        st.session_state[_STALE] = "only a signed-in admin can change the agreements."
        return
    apply(loaded, workspace, pending[1], actor=actor)


def show_editor(loaded: loaders.LoadedScenario, workspace: Workspace) -> None:
    """The rows editor, its problems, and the Apply button (enabled for a valid change)."""
    outcome = live.take(_OUTCOME)
    if outcome:
        st.success(outcome)
    stale = live.take(_STALE)
    if stale:
        st.error(literal(f"Not applied: {stale}"))
    refused = live.take(_REFUSED)
    if refused:
        st.error("Not applied: with these agreements the scenario would have errors.")
        st.dataframe(panels.problems_table(refused), hide_index=True, width="stretch")
    table = rows_editor(loaded, workspace)
    agreements, report, changed = check_table(table, workspace.scenario())
    show_problems(report)
    editor = editor_key(
        loaded.fingerprint, shared_scenario.current_version(workspace, "agreements")
    )
    ready = agreements is not None and changed
    # Only a checked, changed table can be applied: the callback applies what this run saw.
    st.session_state[_PENDING] = (editor, agreements) if ready else None
    if agreements is not None and not changed:
        st.text("No changes to apply.")
    actor = signed_in.current_actor(app_store())
    allowed = actor is not None and actor.at_least(APPLY_ROLE)
    st.button(
        "Apply",
        disabled=not (ready and allowed),
        type="primary",
        key=state_key(PAGE, "apply"),
        on_click=_on_apply,
        args=(loaded, workspace, editor),
        help="Store these agreements for every coordinator's next plan (Allocation, Briefing).",
    )
    if not allowed:
        st.info(
            "The agreements are shared by every coordinator: sign in as an admin to "
            "change them. Edits here are checked but not applied."
        )
        if actor is None and signed_in.sign_in_form(app_store()) is not None:
            st.rerun()


def show_page(folders: Sequence[Path]) -> None:
    """The whole page below its title."""
    folder = choose_scenario(folders)
    loaded = loaders.load(folder)
    workspace = shared_scenario.workspace_for(loaded)
    if workspace is None:
        panels.show_problems(loaded.result.reports, rejected=True)
        return
    edits = sum(1 for e in workspace.layer_log if e.kind == "agreements" and e.version > 1)
    st.text(
        f"{len(workspace.scenario().agreements)} agreement row(s) in the shared "
        f"scenario; {edits} change(s) stored since its files were loaded."
    )
    show_matrix(workspace)
    show_editor(loaded, workspace)

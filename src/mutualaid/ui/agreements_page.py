"""The Agreements page's Streamlit side: the matrix, the row editor, checks, Apply.

The agreements live in one place: the session's workspace
(:mod:`mutualaid.ui.workspace`). "Apply" adds the edited table to it as the
``agreements`` layer (``replace``), so the Allocation and Briefing pages, which plan
with the workspace's scenario and key their caches on its version, use the new rows on
their next plan. An edited table with errors lists them and applies nothing.

File text is shown only with ``st.dataframe``, ``st.text`` and widget values, never as
Markdown or HTML. Session-state keys all start with ``"agreements."``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Final

import pandas as pd
import streamlit as st

from mutualaid.agreements_matrix import agreements_matrix, check_table, editor_table
from mutualaid.layers.problems import Report
from mutualaid.ui import loaders, panels
from mutualaid.ui import workspace as session
from mutualaid.ui.state import state_key
from mutualaid.workspace import LayerRefused, Workspace, add_layer

PAGE = "agreements"
#: The log's name for agreements edited on this page.
SOURCE: Final[str] = "edited in the app"
_OUTCOME = state_key(PAGE, "outcome")


def editor_key(fingerprint: str, version: str = "") -> str:
    """Widget key of the rows editor: one per scenario version (the folder's
    *fingerprint*) and workspace *version*, so an applied edit (a new version) opens
    a fresh editor on the new rows."""
    return state_key(PAGE, f"rows-{fingerprint[:12]}-{version or 'files'}")


def choose_scenario(folders: Sequence[Path]) -> Path:
    """The scenario selector; opens on the one chosen on the Allocation or Overview page."""
    chosen = (st.session_state.get(state_key("allocation", "scenario"))
              or st.session_state.get(state_key("overview", "scenario")))
    index = list(folders).index(chosen) if chosen in folders else 0
    return st.selectbox("Scenario", folders, index=index, format_func=lambda path: path.name,
                        key=state_key(PAGE, "scenario"))


def show_matrix(workspace: Workspace) -> None:
    """The agreements as a provider × receiver matrix (read only)."""
    scenario = workspace.scenario()
    st.subheader("Who may help whom")
    st.caption("Rows provide, columns receive. Each cell: resource types @ border delay. "
               "* means any side or any type.")
    matrix = agreements_matrix(scenario.agreements,
                               countries=scenario.jurisdictions["country"].map(str))
    if matrix.empty:
        st.text("No agreements: no help can cross a jurisdiction's border.")
        return
    st.dataframe(matrix, width="stretch")


def rows_editor(loaded: loaders.LoadedScenario, workspace: Workspace) -> pd.DataFrame:
    """The agreement rows in an editable table (edit cells, add or delete rows)."""
    st.subheader("Edit the rows")
    st.caption("from / to: a jurisdiction id, a country code or *. resource_types: * or "
               "types separated by ; (boat;pump). border_delay_min: minutes ≥ 0.")
    return st.data_editor(
        editor_table(workspace.scenario()), key=editor_key(loaded.fingerprint, workspace.version),
        num_rows="dynamic", hide_index=True, width="stretch",
        column_config={
            "from": st.column_config.TextColumn(
                "from", help="The providing side: a jurisdiction id, a country code, or *"),
            "to": st.column_config.TextColumn(
                "to", help="The receiving side: a jurisdiction id, a country code, or *"),
            "resource_types": st.column_config.TextColumn(
                "resource_types", help="* or types separated by ; such as boat;pump"),
            "border_delay_min": st.column_config.NumberColumn(
                "border_delay_min", help="Minutes added to every trip under this row"),
        })


def show_problems(report: Report) -> None:
    """Errors and warnings of the edited rows, as a table."""
    if report.errors:
        st.error(f"The edited agreements have {len(report.errors)} error(s): nothing is "
                 "applied until they are fixed.")
    elif report.warnings:
        st.warning(f"The edited agreements have {len(report.warnings)} warning(s).")
    if report.problems:
        st.dataframe(panels.problems_table([report]), hide_index=True, width="stretch")


_PENDING = state_key(PAGE, "pending")
_REFUSED = state_key(PAGE, "refused")


def apply(loaded: loaders.LoadedScenario, agreements: pd.DataFrame) -> bool:
    """Make *agreements* the session scenario's agreements (a ``replace`` add to the
    workspace); False when the combined scenario refuses them (the reports are kept
    for :func:`show_editor` to list)."""
    workspace = session.workspace_for(loaded)
    if workspace is None:
        return False
    try:
        added = add_layer(workspace, "agreements", agreements, source=SOURCE, mode="replace",
                          format="table")
    except LayerRefused as refused:
        st.session_state[_REFUSED] = refused.reports
        return False
    session.save_workspace(loaded, added)
    st.session_state[_OUTCOME] = (f"Applied: {len(agreements)} agreement row(s). The next "
                                  "plan uses them.")
    return True


def _on_apply(loaded: loaders.LoadedScenario, editor: str) -> None:
    # A callback, not ``if st.button(...)``: it runs before the next script run, so the
    # edit is applied exactly once and that run already shows the new agreements.
    pending = st.session_state.pop(_PENDING, None)
    if pending is None or pending[0] != editor:
        return
    apply(loaded, pending[1])


def show_editor(loaded: loaders.LoadedScenario, workspace: Workspace) -> None:
    """The rows editor, its problems, and the Apply button (enabled for a valid change)."""
    outcome = st.session_state.pop(_OUTCOME, None)
    if outcome:
        st.success(outcome)
    refused = st.session_state.pop(_REFUSED, None)
    if refused:
        st.error("Not applied: with these agreements the scenario would have errors.")
        st.dataframe(panels.problems_table(refused), hide_index=True, width="stretch")
    table = rows_editor(loaded, workspace)
    agreements, report, changed = check_table(table, workspace.scenario())
    show_problems(report)
    editor = editor_key(loaded.fingerprint, workspace.version)
    ready = agreements is not None and changed
    # Only a checked, changed table can be applied: the callback applies what this run saw.
    st.session_state[_PENDING] = (editor, agreements) if ready else None
    if agreements is not None and not changed:
        st.text("No changes to apply.")
    st.button("Apply", disabled=not ready, type="primary", key=state_key(PAGE, "apply"),
              on_click=_on_apply, args=(loaded, editor),
              help="Use these agreements for the next plan (Allocation, Briefing).")


def show_page(folders: Sequence[Path]) -> None:
    """The whole page below its title."""
    folder = choose_scenario(folders)
    loaded = loaders.load(folder)
    workspace = session.workspace_for(loaded)
    if workspace is None:
        panels.show_problems(loaded.result.reports, rejected=True)
        return
    edits = sum(1 for e in workspace.layer_log if e.kind == "agreements")
    st.text(f"{len(workspace.scenario().agreements)} agreement row(s) in this session's "
            f"scenario; {edits} edit(s) applied in this session.")
    show_matrix(workspace)
    show_editor(loaded, workspace)

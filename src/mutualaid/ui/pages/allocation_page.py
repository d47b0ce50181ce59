"""The allocation page's Streamlit side: what-if editors and the plan's display.

The plan is made from the session's scenario (:func:`mutualaid.ui.shared_scenario.session_loaded`:
the files plus the layers added on the Layers page and the agreements applied on the
Agreements page). It is computed once per scenario version (the folder's content hash
and the session workspace's version) and set of
edits (:func:`mutualaid.allocation.what_if.overrides_key`, a canonical text of the reserve
changes and agreement rows), so a rerun that changes nothing never plans again, and
going back to an earlier set of edits is served from the cache (:mod:`mutualaid.ui.plans`).
The plan's map is built once per plan too, and deep-copied for each run (streamlit-folium
renames a map's parts while drawing it; see :mod:`mutualaid.ui.pages.overview_page`).

File text is shown only with ``st.dataframe``, ``st.text`` and widget options, never
as Markdown or HTML. Session-state keys all start with ``"allocation."``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from mutualaid.allocation.what_if import (
    describe_edits,
    edit,
    overrides_key,
    reserve_overrides,
)
from mutualaid.display import readable_table
from mutualaid.figures.operation import GLOSSARY, OperationFigures, figure_labels
from mutualaid.figures.plan import KeyFigures, units_sent_out
from mutualaid.layers.problems import Report
from mutualaid.maps.flows import agreement_text
from mutualaid.scenario.loading import Scenario
from mutualaid.settings import (
    MAP_HEIGHT_PX,
    RESERVE_STEP,
)
from mutualaid.ui import context
from mutualaid.ui.loaders import LoadedScenario
from mutualaid.ui.map_view import fill_screen, show_rendered
from mutualaid.ui.plans import (
    PlanRun,
    figures_of,
    operation_of,
    plan_for,
    plan_map_key,
    rendered_plan_map,
)
from mutualaid.ui.state import state_key
from mutualaid.vocabulary import duration

_LOG = logging.getLogger(__name__)

PAGE = "allocation"
#: The plan map's container (``st.container(key=...)``), whose frame takes the screen's
#: height.
MAP_CONTAINER = "allocation-map"

# --- keys -------------------------------------------------------------------------------------


def _scenario_tag(fingerprint: str) -> str:
    # Edits belong to one version of one scenario: keys carry a piece of its hash.
    return fingerprint[:12]


def reserves_key(fingerprint: str) -> str:
    """Session-state key of the reserve shares the coordinator set (a dict)."""
    return state_key(PAGE, f"reserves-{_scenario_tag(fingerprint)}")


def reserve_input_key(fingerprint: str) -> str:
    """Widget key of the reserve input (it shows the chosen jurisdiction's share)."""
    return state_key(PAGE, f"reserve-{_scenario_tag(fingerprint)}")


def reserve_choice_key(fingerprint: str) -> str:
    """Widget key of the jurisdiction chosen for the reserve input."""
    return state_key(PAGE, f"reserve-jurisdiction-{_scenario_tag(fingerprint)}")


# --- choosing the scenario ------------------------------------------------------------------


def choose_scenario(folders: Sequence[Path]) -> Path:
    """The scenario selector; opens on the scenario the address names or the one chosen
    on any page (:func:`mutualaid.ui.context.choose_folder`)."""
    return context.choose_folder(folders, page=PAGE)


# --- the what-if editors --------------------------------------------------------------------


@dataclass
class Edits:
    """What the coordinator changed, checked.

    Attributes
    ----------
    reserves : dict
        Jurisdiction id -> reserve share, only those differing from the file.
    agreements : DataFrame or None
        Canonical agreement rows when edited (None: the file's rows).
    report : Report
        Problems of the edited agreements (empty when not edited).
    valid : bool
        False when the agreements have errors: there is nothing to plan with.
    """

    reserves: dict[str, float] = field(default_factory=dict)
    agreements: pd.DataFrame | None = None
    report: Report = field(default_factory=lambda: Report("agreements"))
    valid: bool = True

    @property
    def key(self) -> str:
        """The cache key text of these edits."""
        return overrides_key(reserves=self.reserves, agreements=self.agreements)


def _reset(fingerprint: str) -> None:
    for key in (reserves_key(fingerprint), reserve_input_key(fingerprint)):
        st.session_state.pop(key, None)


def _show_reserve_of(fingerprint: str, in_file: dict[str, float]) -> None:
    # Another jurisdiction was chosen: the input shows its share (as set, or the file's).
    chosen = st.session_state[reserve_choice_key(fingerprint)]
    values = st.session_state.setdefault(reserves_key(fingerprint), {})
    st.session_state[reserve_input_key(fingerprint)] = float(values.get(chosen, in_file[chosen]))


def reserve_editor(scenario: Scenario, fingerprint: str) -> dict[str, float]:
    """Pick a jurisdiction and set its reserve; returns every reserve changed so far.

    The values live in one session-state dict per scenario version, so that each
    jurisdiction keeps its value while another one is being edited; one input shows
    the chosen jurisdiction's value.
    """
    jur = scenario.jurisdictions
    ids = [str(j) for j in jur["id"]]
    names = dict(zip(ids, jur["name"].map(str)))
    in_file = dict(zip(ids, pd.to_numeric(jur["reserve"]).fillna(0.0).map(float)))
    values: dict[str, float] = st.session_state.setdefault(reserves_key(fingerprint), {})
    chosen = st.selectbox(
        "Jurisdiction",
        ids,
        key=reserve_choice_key(fingerprint),
        format_func=lambda j: j if names.get(j, j) == j else f"{j}  {names[j]}",
        on_change=_show_reserve_of,
        args=(fingerprint, in_file),
    )
    input_key = reserve_input_key(fingerprint)
    if input_key not in st.session_state:  # first run, or after a reset
        st.session_state[input_key] = float(values.get(chosen, in_file[chosen]))
    value = st.number_input(
        "Reserve kept at home (share 0 to 1)",
        min_value=0.0,
        max_value=1.0,
        step=RESERVE_STEP,
        format="%.2f",
        key=input_key,
        help="The share of each resource type's available units that must stay inside "
        "this jurisdiction. 1 sends nothing out; 0 lets every unit go.",
    )
    values[chosen] = round(float(value), 6)
    # A jurisdiction replaced on the Layers page since its reserve was set is forgotten.
    return reserve_overrides(scenario, {j: v for j, v in values.items() if j in in_file})


def show_editors(scenario: Scenario, fingerprint: str) -> Edits:
    """The "what if" panel: a reserve, a reset button, and where the agreements are edited.

    The agreements are edited on the Agreements page only: an applied edit there is part
    of the session's scenario (:mod:`mutualaid.ui.shared_scenario`), so both pages always
    plan with the same agreements."""
    st.subheader("What if")
    left, right = st.columns([1, 2])
    with left:
        reserves = reserve_editor(scenario, fingerprint)
        st.button(
            "Reset to the files",
            key=state_key(PAGE, "reset"),
            on_click=_reset,
            args=(fingerprint,),
            help="Forget every reserve edit of this scenario.",
        )
    with right:
        st.caption(f"{len(scenario.agreements)} agreement row(s) in the shared scenario.")
        st.page_link(
            "pages/agreements.py",
            label="Edit the agreements",
            help="Edits applied on the Agreements page are used by the next plan.",
        )
    edits = Edits(reserves=reserves)
    agreements = None
    changes = describe_edits(scenario, reserves=reserves, agreements=agreements)
    if changes:
        st.text("Changed from the files:\n" + "\n".join(f"  {line}" for line in changes))
    return edits


# --- the plan ---------------------------------------------------------------------------------


def _delta(now: float, before: float | None, *, digits: int = 0, suffix: str = "") -> str | None:
    if before is None or pd.isna(before) or pd.isna(now) or round(now - before, digits) == 0:
        return None
    return f"{now - before:+.{digits}f}{suffix}"


def show_summary(
    operation: OperationFigures,
    figures: KeyFigures,
    run: PlanRun,
    *,
    before: tuple[OperationFigures, KeyFigures, PlanRun] | None = None,
) -> None:
    """The operation's figures (the same labels and numbers as Overview and Briefing),
    then the plan's own; with *before* (the plan of the files' settings), the change."""
    summary = run.plan.get("summary", {})
    old_op, old_fig, old_run = before if before else (None, None, None)
    old_summary = old_run.plan.get("summary", {}) if old_run else {}
    shared = {label: (value, text) for label, value, text in figure_labels(operation)}

    def was(value_of):  # the same figure under the files' settings, or None
        return None if old_op is None else value_of(old_op, old_fig, old_summary)

    def shown(col, label: str, delta: str | None = None, **options) -> None:
        value, text = shared[label]
        col.metric(label, value, delta, help=text, **options)

    def share(value: float | None) -> float:
        return float("nan") if value is None else value * 100

    # Four to a row: the labels and values stay whole at 1366 px.
    row = st.columns(4) + st.columns(4)
    shown(
        row[0],
        "Need met",
        _delta(
            share(operation.need_met),
            was(lambda o, f, s: share(o.need_met)),
            digits=1,
            suffix=" pts",
        ),
    )
    shown(row[1], "Need covered now")
    shown(row[2], "Units deployed")
    shown(row[3], "Units committed")
    shown(
        row[4],
        "Units proposed",
        _delta(operation.units_proposed, was(lambda o, f, s: o.units_proposed)),
    )
    shown(
        row[5],
        "Units short / needed",
        _delta(operation.units_short, was(lambda o, f, s: o.units_short)),
        delta_color="inverse",
    )
    second = row[6:] + st.columns(4)
    shown(
        second[0],
        "Units leaving their jurisdiction",
        _delta(
            operation.units_leaving_jurisdiction,
            was(lambda o, f, s: o.units_leaving_jurisdiction),
        ),
        delta_color="off",
    )
    shown(
        second[1],
        "Units across national borders",
        _delta(
            operation.units_across_national_borders,
            was(lambda o, f, s: o.units_across_national_borders),
        ),
        delta_color="off",
    )
    response = figures.response
    second[2].metric(
        "Mean response (proposed)",
        _minutes_text(response.mean_minutes),
        _delta(
            response.mean_minutes,
            was(lambda o, f, s: f.response.mean_minutes),
            digits=1,
            suffix=" min",
        ),
        delta_color="inverse",
        help=GLOSSARY["Mean response (proposed)"],
    )
    second[3].metric(
        "Worst response (proposed)",
        _minutes_text(response.worst_minutes),
        _delta(
            response.worst_minutes,
            was(lambda o, f, s: f.response.worst_minutes),
            digits=1,
            suffix=" min",
        ),
        delta_color="inverse",
        help=GLOSSARY["Worst response (proposed)"],
    )
    second[4].metric(
        "Unit-minutes",
        f"{summary.get('unit_minutes', 0):,.0f}",
        _delta(summary.get("unit_minutes", 0), was(lambda o, f, s: s.get("unit_minutes"))),
        delta_color="inverse",
        help=GLOSSARY["Unit-minutes"],
    )
    second[5].metric(
        "Solve seconds",
        f"{float(summary.get('solve_seconds', 0.0)):.3f}",
        help=GLOSSARY["Solve seconds"],
    )


def _minutes_text(value: float) -> str:
    return duration(value)


def show_plan_map(loaded: LoadedScenario, run: PlanRun) -> None:
    """The plan's map, as tall as the screen allows; if it cannot be drawn, say so in
    words."""
    try:
        with st.container(key=MAP_CONTAINER):
            fill_screen(MAP_CONTAINER)
            show_rendered(
                rendered_plan_map(loaded, run),
                key=state_key(PAGE, plan_map_key(loaded, run)),
                height=MAP_HEIGHT_PX,
                fill_frame=True,
            )
    except Exception as exc:  # noqa: BLE001 - never a traceback for a coordinator
        _LOG.exception("the plan map of %s could not be drawn", loaded.folder)
        st.error("The map of this plan could not be drawn.")
        st.text(f"{type(exc).__name__}: {exc}")


def _severity_table(figures: KeyFigures) -> pd.DataFrame:
    table = figures.by_severity[
        ["severity", "needed", "delivered", "short", "met_pct", "mean_minutes", "worst_minutes"]
    ].copy()
    return table.round({"met_pct": 1, "mean_minutes": 1, "worst_minutes": 1}).rename(
        columns={
            "met_pct": "met %",
            "mean_minutes": "mean minutes",
            "worst_minutes": "worst minutes",
        }
    )


def jurisdiction_table(scenario: Scenario, edited: Scenario, run: PlanRun) -> pd.DataFrame:
    """Each jurisdiction's reserve (file and plan) and the units it sends out."""
    jur = scenario.jurisdictions
    sent = units_sent_out(run.plan)
    table = pd.DataFrame(
        {
            "jurisdiction": jur["id"].map(str),
            "name": jur["name"].map(str),
            "country": jur["country"].map(str),
            "reserve in file": pd.to_numeric(jur["reserve"]).to_numpy(),
            "reserve in plan": pd.to_numeric(edited.jurisdictions["reserve"]).to_numpy(),
        }
    )
    table["units sent out"] = table["jurisdiction"].map(sent).fillna(0).astype("int64")
    return table.sort_values(
        ["units sent out", "jurisdiction"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


def show_tables(figures: KeyFigures, run: PlanRun, *, scenario: Scenario, edits: Edits) -> None:
    """Need by severity, border crossings, unmet needs, assignments, reserves."""
    edited = edit(scenario, reserves=edits.reserves, agreements=edits.agreements)
    tabs = st.tabs(
        [
            "Need by severity",
            "Across borders",
            "Unmet needs",
            "Reserves",
            "Assignments",
            "Taking no part",
        ]
    )
    with tabs[0]:
        if run.held:
            st.caption(
                "What this plan proposes for what is still needed: the units deployed or "
                "committed through the workflow are counted in the figures above, not here."
            )
        st.dataframe(readable_table(_severity_table(figures)), hide_index=True, width="stretch")
    with tabs[1]:
        st.text("Proposed units crossing a national border (from country -> to country)")
        st.dataframe(readable_table(figures.by_country), hide_index=True, width="stretch")
        st.text("Proposed units leaving their jurisdiction (from jurisdiction -> to jurisdiction)")
        st.dataframe(readable_table(figures.by_jurisdiction), hide_index=True, width="stretch")
    with tabs[2]:
        st.text(
            f"{len(figures.unmet)} unmet need(s), "
            f"{int(figures.unmet['units'].sum()) if len(figures.unmet) else 0} unit(s), "
            "most severe first"
        )
        st.dataframe(readable_table(figures.unmet), hide_index=True, width="stretch")
    with tabs[3]:
        st.dataframe(
            readable_table(jurisdiction_table(scenario, edited, run)),
            hide_index=True,
            width="stretch",
        )
    with tabs[4]:
        st.dataframe(readable_table(_assignments_table(run)), hide_index=True, width="stretch")
    with tabs[5]:
        excluded = pd.DataFrame(
            run.plan.get("excluded") or [], columns=["kind", "id", "reason", "detail"]
        )
        st.dataframe(readable_table(excluded), hide_index=True, width="stretch")


def _assignments_table(run: PlanRun) -> pd.DataFrame:
    rows = pd.DataFrame(run.plan.get("assignments") or [])
    if rows.empty:
        return rows
    if "agreement" in rows:  # words, not a dict, in the table
        rows["agreement"] = rows["agreement"].map(agreement_text)
    if "minutes" in rows:
        rows["minutes"] = pd.to_numeric(rows["minutes"]).round(1)
    return rows


def _file_stem(name: str) -> str:
    # A download's file name is ours to choose: keep letters, digits, dot, dash.
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "scenario"


def show_downloads(run: PlanRun, *, scenario: Scenario) -> None:
    """The plan as JSON (the contract's format) and its flows as GeoJSON."""
    stem = _file_stem(scenario.name)
    left, right = st.columns(2)
    left.download_button(
        "Download the plan (JSON)",
        data=json.dumps(run.plan, indent=2, ensure_ascii=False),
        file_name=f"plan-{stem}.json",
        mime="application/json",
        key=state_key(PAGE, "download-plan"),
        on_click="ignore",
    )
    right.download_button(
        "Download the flows (GeoJSON)",
        data=json.dumps(run.flows, ensure_ascii=False),
        file_name=f"flows-{stem}.geojson",
        mime="application/geo+json",
        key=state_key(PAGE, "download-flows"),
        on_click="ignore",
    )


def show_plan(loaded: LoadedScenario, edits: Edits) -> None:
    """Plan with the edits (cached) and show it: figures, map, tables, downloads."""
    scenario = loaded.result.accepted
    run = plan_for(loaded, edits.key)
    if run is None:
        return
    figures = figures_of(loaded, run)
    before = None
    if run.overrides != overrides_key():
        base = plan_for(loaded, overrides_key())
        if base is not None:
            before = (operation_of(loaded, base), figures_of(loaded, base), base)
    show_summary(operation_of(loaded, run), figures, run, before=before)
    if before is not None:
        st.text("Changes are shown against the plan made from the files.")
    show_plan_map(loaded, run)
    show_tables(figures, run, scenario=scenario, edits=edits)
    show_downloads(run, scenario=scenario)

"""The overview page's panels: problems, counts, the selected feature.

File text is shown only with ``st.dataframe`` and ``st.text``, never as Markdown or
HTML: a name like ``![x](http://...)`` must stay text, not become a request.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from mutualaid.access.sharing import sees_everything
from mutualaid.figures.operation import GLOSSARY, OperationFigures, figure_labels
from mutualaid.layers.problems import Report
from mutualaid.maps import Selection, feature_details
from mutualaid.scenario.loading import Scenario
from mutualaid.ui import signed_in
from mutualaid.ui.app_store import app_store
from mutualaid.vocabulary import number

_KIND_TITLES = {"incident": "Incident", "resource": "Resource", "jurisdiction": "Jurisdiction"}


def problems_table(reports: Sequence[Report]) -> pd.DataFrame:
    """One row per problem, errors first, as text columns."""
    rows = []
    for report in reports:
        for problem in report.errors + report.warnings:
            rows.append(
                {
                    "layer": report.kind,
                    "file": report.source,
                    "severity": problem.severity,
                    "feature": "" if problem.feature is None else str(problem.feature),
                    "id": problem.feature_id or "",
                    "field": problem.field or "",
                    "problem": problem.message,
                }
            )
    columns = ["layer", "file", "severity", "feature", "id", "field", "problem"]
    return pd.DataFrame(rows, columns=columns).astype(str)


def show_problems(
    reports: Sequence[Report], *, rejected: bool, detailed: bool | None = None
) -> None:
    """Say whether the scenario can be shown and list every problem.

    Parameters
    ----------
    reports : sequence of Report
        The problems of a scenario folder's own files.
    rejected : bool
        The folder's scenario cannot be shown.
    detailed : bool, optional
        List the problems one by one. By default only for an admin: they name features
        and values of the shared files, some of which their owners share with nobody
        (:mod:`mutualaid.access.sharing`); anyone else reads the counts and whom to ask.
    """
    if detailed is None:
        actor = signed_in.current_actor(app_store())
        detailed = sees_everything(actor)
    table = problems_table(reports)
    errors = int((table["severity"] == "error").sum())
    warnings = int((table["severity"] == "warning").sum())
    below = "to look at below" if detailed else "that an admin can list"
    if rejected:
        st.error(
            f"This scenario cannot be shown: {errors} error(s) and {warnings} warning(s) {below}."
        )
    elif warnings:
        st.warning(
            f"The scenario was accepted with {warnings} warning(s)"
            + ("." if detailed else "; an admin can list them.")
        )
    if len(table) and detailed:
        st.dataframe(table, hide_index=True, width="stretch")


def show_counts(scenario: Scenario) -> None:
    """Headline numbers: jurisdictions, incidents, resources."""
    incidents, resources = scenario.incidents, scenario.resources
    active = int((incidents["status"] == "active").sum())
    available = resources.loc[resources["status"] == "available", "quantity"].sum()
    cols = st.columns(4)
    cols[0].metric("Jurisdictions", number(len(scenario.jurisdictions)))
    cols[1].metric("Countries", number(scenario.jurisdictions["country"].nunique()))
    cols[2].metric("Incidents (active)", f"{number(len(incidents))} ({number(active)})")
    cols[3].metric("Resources (units available)", f"{number(len(resources))} ({number(available)})")


#: The operation's figures above the Overview's map (labels of
#: :data:`mutualaid.figures.operation.GLOSSARY`), four to a row.
OVERVIEW_FIGURES: tuple[str, ...] = (
    "Active incidents",
    "Need met",
    "Need covered now",
    "Units short / needed",
    "Units deployed",
    "Units committed",
    "Units proposed",
    "Units across national borders",
)


def show_operation(
    figures: OperationFigures | None, labels: Sequence[str] = OVERVIEW_FIGURES, per_row: int = 4
) -> None:
    """The operation's figures as metrics with their glossary text (each ``-`` when
    there is no plan to count them with)."""
    shown = (
        {label: (value, text) for label, value, text in figure_labels(figures)} if figures else {}
    )
    for start in range(0, len(labels), per_row):
        row = labels[start : start + per_row]
        for col, label in zip(st.columns(per_row), row):
            value, text = shown.get(label, ("-", GLOSSARY[label]))
            col.metric(label, value, help=text)


def show_selection(selection: Selection | None, scenario: Scenario) -> None:
    """The clicked feature's fields as plain text, or a hint when nothing is selected."""
    st.subheader("Selected feature")
    if selection is None:
        st.caption("Click an incident, a resource or a jurisdiction on the map.")
        return
    frame = {
        "incident": scenario.incidents,
        "resource": scenario.resources,
        "jurisdiction": scenario.jurisdictions,
    }[selection.kind]
    lines = [f"{label}: {value}" for label, value in feature_details(selection, frame)]
    st.text(_KIND_TITLES[selection.kind] + "\n" + "\n".join(lines))

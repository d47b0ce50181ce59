"""The Layers page's pieces: read an upload, map its fields, report, add it to the workspace.

The upload's bytes go to the readers as ``data=`` with the file's name only deciding
the format: nothing is written to disk, so GDAL never guesses a format from a path.
File text is shown only with ``st.dataframe`` and ``st.text``, never as Markdown or
HTML. The plain functions (tables, downloads, mapping) are tested directly.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import pandas as pd
import streamlit as st

from mutualaid.access.sharing import (
    LEVEL_LABELS,
    LEVELS,
    PUBLIC,
    SHARED_KINDS,
    sharing_refusal,
)
from mutualaid.errors import LayerRefused
from mutualaid.layers import KINDS, LayerResult, load_layer
from mutualaid.layers.fields import FIELDS, suggest_mapping
from mutualaid.layers.problems import Report
from mutualaid.scenario.loading import Scenario
from mutualaid.scenario.merging import Workspace
from mutualaid.text import literal, neutralise_formula
from mutualaid.ui import live, loaders, shared_scenario, signed_in
from mutualaid.ui.app_store import app_store
from mutualaid.ui.state import state_key
from mutualaid.vocabulary import kind_label, label

_LOG = logging.getLogger(__name__)

PAGE = "layers"
#: The least role that may add a layer to the shared scenario.
ADD_ROLE: Final[str] = "planner"
#: File types the uploader offers (contract, section 1).
UPLOAD_TYPES: Final[list[str]] = ["geojson", "json", "gpkg", "zip", "kml", "csv"]
NONE: Final[str] = "(none)"
PREVIEW_ROWS: Final[int] = 20
REPORT_COLUMNS: Final[list[str]] = ["feature", "id", "field", "severity", "message"]
SHARING_COLUMNS: Final[list[str]] = ["layer", "version", "shared with", "owner", "stored by"]
LOG_COLUMNS: Final[list[str]] = [
    "kind",
    "version",
    "source",
    "features",
    "mode",
    "format",
    "loaded by",
    "loaded at (UTC)",
]
_TEXT_LIMIT: Final[int] = 200


@dataclass(frozen=True)
class Raw:
    """An upload read without validation, for the preview and the mapping form.

    ``columns`` is empty and ``error`` says why when the file cannot be read at all.
    """

    columns: list[str] = field(default_factory=list)
    preview: pd.DataFrame | None = None
    error: str = ""


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if hasattr(value, "wkt"):
        value = value.wkt
    text = str(value)
    return text if len(text) <= _TEXT_LIMIT else text[: _TEXT_LIMIT - 1] + "…"


def read_raw(data: bytes, *, filename: str, kind: str) -> Raw:
    """The file's own columns and its first rows as text (geometry as WKT).

    Never raises for bad input: a file that cannot be read gives ``Raw(error=...)``. The
    file is read in a worker process with a time and a memory limit (issue 16), so that
    no upload stops the server for the other sessions.
    """
    from mutualaid.errors import LayerError
    from mutualaid.layers.bounded import read_layer_bounded

    try:
        raw = read_layer_bounded(filename, kind=kind, data=data, filename=filename)
    except LayerError as exc:
        return Raw(error=str(exc) or "the file cannot be read as a layer")
    except Exception as exc:  # noqa: BLE001 - never a traceback for a file
        _LOG.exception("the upload %r (%s) could not be read", filename, kind)
        return Raw(error=f"the file could not be read: {type(exc).__name__}")
    frame = raw.frame
    columns = [str(c) for c in frame.columns if str(c) != "geometry"]
    head = frame.head(PREVIEW_ROWS)
    preview = pd.DataFrame(
        {str(c): [_cell(v) for v in head[c]] for c in head.columns},
        columns=[str(c) for c in head.columns],
    )
    return Raw(columns=columns, preview=preview)


def mapping_from_choices(choices: Mapping[str, str]) -> dict[str, str]:
    """``{field: column}`` for the fields given a column (``(none)`` left out)."""
    return {f: c for f, c in choices.items() if c and c != NONE}


def preselected(columns: Sequence[str], *, kind: str) -> dict[str, str]:
    """The column suggested for each canonical field of *kind*, ``(none)`` when none."""
    suggestion = suggest_mapping(columns, kind=kind)
    return {f: suggestion.get(f, NONE) for f in FIELDS[kind]}


def check_upload(
    data: bytes, *, filename: str, kind: str, mapping: Mapping[str, str], scenario: Scenario
) -> LayerResult:
    """Read, map and validate an upload against the session's scenario, all of it in a
    worker process with a time and a memory limit (issue 16): no upload stops the server
    for the other sessions."""
    from mutualaid.errors import LayerError
    from mutualaid.layers.bounded import run_bounded

    if kind == "travel_times":
        extra: dict[str, Any] = {
            "resource_ids": scenario.resources["id"].tolist(),
            "incident_ids": scenario.incidents["id"].tolist(),
        }
    else:
        extra = {"jurisdictions": None if kind == "jurisdictions" else scenario.jurisdictions}
    try:
        return run_bounded(
            load_layer,
            filename,
            kind=kind,
            data=data,
            filename=filename,
            mapping=dict(mapping),
            **extra,
        )
    except LayerError as exc:
        report = Report(kind, source=filename)
        report.add(str(exc) or "the file cannot be read as a layer")
        return LayerResult(frame=None, report=report)


def report_table(reports: Report | Sequence[Report]) -> pd.DataFrame:
    """One text row per problem, errors first, feature by feature."""
    rows = []
    for report in [reports] if isinstance(reports, Report) else reports:
        for p in report.errors + report.warnings:
            rows.append(
                {
                    "feature": "" if p.feature is None else str(p.feature),
                    "id": p.feature_id or "",
                    "field": p.field or "",
                    "severity": p.severity,
                    "message": p.message,
                }
            )
    return pd.DataFrame(rows, columns=REPORT_COLUMNS).astype(str)


def report_csv(report: Report) -> bytes:
    """The report as CSV (UTF-8), every cell safe to open in a spreadsheet."""
    table = report_table(report).map(neutralise_formula)
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")


def report_json(report: Report) -> bytes:
    """The report as JSON (:meth:`Report.to_dict`)."""
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False).encode("utf-8")


def log_table(workspace: Workspace) -> pd.DataFrame:
    """Every stored version of the scenario's layers (who loaded what, when, from which
    file), newest first, as text."""
    rows = [
        {
            "kind": kind_label(e.kind),
            "version": str(e.version),
            "source": e.source,
            "features": str(e.features),
            "mode": e.mode,
            "format": e.format,
            "loaded by": e.by,
            "loaded at (UTC)": e.loaded_at.strftime("%Y-%m-%d %H:%M:%S"),
        }
        for e in reversed(workspace.layer_log)
    ]
    return pd.DataFrame(rows, columns=LOG_COLUMNS).astype(str)


def log_summary(workspace: Workspace) -> str:
    """One line of plain text about the stored versions, for ``st.text``."""
    added = [e for e in workspace.layer_log if e.version > 1]
    if not added:
        return "No layers added since the scenario's files were first stored."
    last = added[-1]
    return (
        f"{len(added)} layer version(s) added; last: {kind_label(last.kind)} version "
        f"{last.version} "
        f"from {last.source} by {last.by} ({last.features} features, {last.mode})"
    )


# --- Streamlit pieces --------------------------------------------------------------------


def upload_token(data: bytes, filename: str) -> str:
    """A short key for one upload, so the widgets of another file start afresh."""
    return hashlib.sha256(filename.encode() + b"\0" + data).hexdigest()[:12]


def mapping_form(columns: Sequence[str], *, kind: str, token: str) -> dict[str, str]:
    """A select box per canonical field of *kind*, the suggested column preselected.

    Returns the mapping chosen (``{field: column}``).
    """
    st.subheader("Fields")
    st.caption(
        "Which of the file's columns is each of our fields. Suggestions come from "
        "common names; (none) leaves the field to be recognised by its name."
    )
    defaults = preselected(columns, kind=kind)
    options = [NONE, *columns]
    choices = {}
    grid = st.container(key=f"{PAGE}-fields").columns(3)
    for i, name in enumerate(FIELDS[kind]):
        with grid[i % 3]:
            choices[name] = st.selectbox(
                label(name),
                options,
                help=f"Called {name} in the files and on the command line.",
                index=options.index(defaults[name]),
                key=state_key(PAGE, f"map.{kind}.{name}.{token}"),
            )
    return mapping_from_choices(choices)


def show_report(result: LayerResult, *, token: str) -> None:
    """Accepted or rejected, the problems feature by feature, and the downloads."""
    report = result.report
    if result.ok:
        features = 0 if result.frame is None else len(result.frame)
        st.success(f"Accepted: {features} feature(s), {len(report.warnings)} warning(s).")
    else:
        st.error(
            f"Rejected: {len(report.errors)} error(s), {len(report.warnings)} "
            "warning(s). Nothing is added; fix the file or the field mapping."
        )
    table = report_table(report)
    if len(table):
        st.dataframe(table, hide_index=True, width="stretch")
    left, right = st.columns(2)
    left.download_button(
        "Download report (CSV)",
        report_csv(report),
        file_name="report.csv",
        mime="text/csv",
        key=state_key(PAGE, f"csv.{token}"),
    )
    right.download_button(
        "Download report (JSON)",
        report_json(report),
        file_name="report.json",
        mime="application/json",
        key=state_key(PAGE, f"json.{token}"),
    )


@dataclass(frozen=True)
class _Pending:
    """An accepted upload waiting for the "Add to scenario" click."""

    token: str
    kind: str
    filename: str
    result: LayerResult


_PENDING = state_key(PAGE, "pending")
_OUTCOME = state_key(PAGE, "outcome")


def _mode_key(token: str) -> str:
    return state_key(PAGE, f"mode.{token}")


def _share_key(token: str) -> str:
    return state_key(PAGE, f"share.{token}")


def _on_add(loaded: loaders.LoadedScenario, workspace: Workspace, token: str) -> None:
    # A callback, not ``if st.button(...)``: it runs before the next script run, so
    # the add happens exactly once even when that run is restarted (st.rerun). The
    # workspace is the one the page showed: a version stored since then is not
    # overwritten (the store refuses the change and says who stored what).
    pending = st.session_state.get(_PENDING)
    if not isinstance(pending, _Pending) or pending.token != token:
        return
    actor = signed_in.current_actor(app_store())
    if actor is None or not actor.at_least(ADD_ROLE):
        st.session_state[_OUTCOME] = ("stale", token, "Sign in as a planner to add layers.")
        return
    mode = st.session_state.get(_mode_key(token), "merge")
    level = st.session_state.get(_share_key(token), PUBLIC)
    try:
        stale = shared_scenario.store_layer(
            loaded,
            workspace,
            kind=pending.kind,
            frame=pending.result.frame,
            mode=mode,
            source=pending.filename,
            format=pending.result.format,
            actor=actor,
            sharing=level if level in LEVELS else PUBLIC,
        )
    except LayerRefused as refused:
        st.session_state[_OUTCOME] = ("refused", token, refused.reports)
        return
    st.session_state[_OUTCOME] = ("added", token, []) if stale is None else ("stale", token, stale)


def add_form(
    result: LayerResult,
    loaded: loaders.LoadedScenario,
    workspace: Workspace,
    *,
    kind: str,
    filename: str,
    token: str,
) -> None:
    """The replace/merge choice and the "Add to scenario" button (enabled only for an
    accepted layer and a signed-in planner), then what the last click did."""
    actor = signed_in.current_actor(app_store())
    if actor is None or not actor.at_least(ADD_ROLE):
        st.info(
            "Adding a layer changes the scenario every coordinator sees: sign in as a "
            "planner (or higher) to add it."
        )
        if actor is None and signed_in.sign_in_form(app_store()) is not None:
            st.rerun()
        return
    st.session_state[_PENDING] = _Pending(token, kind, filename, result) if result.ok else None
    labels = {
        "merge": "merge by id (same ids replaced, new ids added)",
        "replace": f"replace all {kind}",
    }
    left, right = st.columns(2)
    left.radio(
        "Add as",
        ["merge", "replace"],
        horizontal=True,
        key=_mode_key(token),
        format_func=labels.__getitem__,
    )
    if kind in SHARED_KINDS:
        right.selectbox(
            "Share with",
            list(LEVELS),
            key=_share_key(token),
            format_func=LEVEL_LABELS.__getitem__,
            help="Who sees the features that carry no sharing of their own: "
            "everyone, the jurisdictions with an agreement with yours, or "
            "your own jurisdiction only.",
        )
    else:
        right.caption(f"The {kind} are seen by everyone signed in.")
    st.button(
        "Add to scenario",
        disabled=not result.ok,
        type="primary",
        key=state_key(PAGE, f"add.{token}"),
        on_click=_on_add,
        args=(loaded, workspace, token),
    )
    outcome = live.take(_OUTCOME)
    if outcome is None or outcome[1] != token:
        return
    if outcome[0] == "added":
        st.success("Added to the scenario.")
    elif outcome[0] == "stale":
        st.error(literal(f"Not added: {outcome[2]}"))
    else:
        reports = outcome[2]
        errors = sum(len(r.errors) for r in reports)
        st.error(
            f"Not added: with this layer the scenario would have {errors} error(s). "
            "The scenario is unchanged."
        )
        st.dataframe(report_table(reports), hide_index=True, width="stretch")


def kind_choice() -> str:
    """The layer-kind select box."""
    return st.selectbox("Layer kind", KINDS, key=state_key(PAGE, "kind"), format_func=kind_label)


def warm_reader() -> None:
    """Start the worker process that reads uploads (issue 16) while the page is shown,
    so that the first upload does not wait for it."""
    from mutualaid.layers.bounded import warm_up

    warm_up()


# --- sharing (issue 6) ---------------------------------------------------------------------

_SHARE_OUTCOME = state_key(PAGE, "share-outcome")


def sharing_table(workspace: shared_scenario.SharedWorkspace) -> pd.DataFrame:
    """Who sees each current incidents and resources layer, as text."""
    rows = []
    for kind in SHARED_KINDS:
        version = workspace.versions.get(kind)
        if version is None:
            continue
        rows.append(
            {
                "layer": kind_label(kind),
                "version": str(version.version),
                "shared with": LEVEL_LABELS.get(version.sharing, version.sharing),
                "owner": version.owner or "(the shared files)",
                "stored by": version.loaded_by,
            }
        )
    return pd.DataFrame(rows, columns=SHARING_COLUMNS).astype(str)


def _level_key(kind: str) -> str:
    return state_key(PAGE, f"level.{kind}")


def _on_share(
    loaded: loaders.LoadedScenario, workspace: shared_scenario.SharedWorkspace, kind: str
) -> None:
    # The actor comes from the verified sign-in only; the store checks the right again.
    actor = signed_in.current_actor(app_store())
    level = st.session_state.get(_level_key(kind))
    if actor is None:
        st.session_state[_SHARE_OUTCOME] = (kind, "Sign in to change who sees a layer.")
        return
    if level not in LEVELS:
        st.session_state[_SHARE_OUTCOME] = (kind, "Choose who may see the layer.")
        return
    refused = shared_scenario.share_layer(loaded, workspace, kind=kind, sharing=level, actor=actor)
    st.session_state[_SHARE_OUTCOME] = (kind, refused)


def sharing_panel(
    loaded: loaders.LoadedScenario, workspace: shared_scenario.SharedWorkspace
) -> None:
    """The "Sharing of the current layers" table and, for the layers the signed-in
    person owns (any layer for an admin), a control to change who sees them."""
    st.subheader("Sharing of the current layers")
    st.caption(
        "Jurisdictions and agreements are seen by everyone signed in. A feature's "
        "own sharing value wins over its layer's."
    )
    st.dataframe(sharing_table(workspace), hide_index=True, width="stretch")
    actor = signed_in.current_actor(app_store())
    if actor is None:
        return
    for kind in SHARED_KINDS:
        version = workspace.versions.get(kind)
        if version is None or sharing_refusal(actor, kind, layer_owner=version.owner):
            continue
        left, right = st.columns([2, 1])
        key = _level_key(kind)
        if st.session_state.get(key) not in LEVELS:
            st.session_state[key] = version.sharing if version.sharing in LEVELS else PUBLIC
        left.selectbox(
            f"Share the {kind} with", list(LEVELS), key=key, format_func=LEVEL_LABELS.__getitem__
        )
        right.button(
            f"Apply to the {kind}",
            key=state_key(PAGE, f"apply-level.{kind}"),
            on_click=_on_share,
            args=(loaded, workspace, kind),
        )
    outcome = live.take(_SHARE_OUTCOME)
    if outcome is not None:
        kind, refused = outcome
        if refused is None:
            st.success(
                f"The {kind} are now shared with "
                f"{LEVEL_LABELS[st.session_state.get(_level_key(kind), PUBLIC)]}."
            )
        else:
            st.error(literal(f"Sharing not changed: {refused}"))

"""The Layers page's "Change one incident or resource" section (issue 12): the signed-in
owner (or an admin) picks one of its incidents or resources by name and changes it
without a file: an incident contained or closed, its severity, needs or longest
response time; a resource out of service or back, its number of units.

The change goes to :func:`mutualaid.store.layer_store.edit_feature`, which checks the
right, the values (the upload's rules and words) and the units held by the workflow,
and stores it as one small audited change; the page tells the result or the refusal in
words. Each widget's key names the feature and the version it shows, so the form always
starts from the stored values and a change based on an older page is refused by the
store (it says who changed the feature). Values that came from files are shown as text
only (select boxes, ``st.text``) or escaped (:func:`mutualaid.text.literal`).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any, Final

import pandas as pd
import streamlit as st

from mutualaid.access.actor import Actor
from mutualaid.errors import LayerRefused, MutualAidError
from mutualaid.scenario.merging import Workspace
from mutualaid.settings import INCIDENT_STATUSES, SEVERITY_MAX, SEVERITY_MIN
from mutualaid.store.layer_store import describe, edit_feature, editable
from mutualaid.text import literal
from mutualaid.ui import live, loaders, shared_scenario, signed_in
from mutualaid.ui.app_store import app_store
from mutualaid.ui.state import state_key
from mutualaid.vocabulary import status_label

PAGE = "layers"
#: The section's title.
TITLE: Final[str] = "Change one incident or resource"
#: The kinds offered, with their words.
KIND_LABELS: Final[dict[str, str]] = {"incidents": "an incident", "resources": "a resource"}
#: The statuses a resource is given here: out of service, or back.
RESOURCE_CHOICES: Final[tuple[str, ...]] = ("available", "out_of_service")
#: At most this many features are offered at once; the search narrows them.
SHOWN: Final[int] = 200

_OUTCOME = state_key(PAGE, "edit.outcome")


def _key(name: str) -> str:
    return state_key(PAGE, f"edit.{name}")


def feature_label(row: Mapping[str, Any]) -> str:
    """``Flood in Erftstadt (I-1, DE-NW, active)``: what a person picks from (plain
    text, shown by a select box)."""
    fid = str(row["id"])
    name = str(row.get("name") or fid)
    where = row.get("jurisdiction")
    parts = [] if name == fid else [fid]
    if isinstance(where, str) and where:
        parts.append(where)
    parts.append(status_label(row.get("status")) if row.get("status") else "")
    return f"{name} ({', '.join(p for p in parts if p)})"


def editable_rows(frame: pd.DataFrame, actor: Actor | None, kind: str) -> pd.DataFrame:
    """The features of *frame* (one kind, as the person sees it) that *actor* may change
    (:func:`mutualaid.store.layer_store.editable`)."""
    if actor is None or not editable(actor, kind, actor.jurisdiction):
        return frame.iloc[0:0]
    if actor.role == "admin":
        return frame
    return frame[(frame["jurisdiction"].astype(object) == actor.jurisdiction).to_numpy()]


def matching(frame: pd.DataFrame, text: str) -> pd.DataFrame:
    """The rows whose id or name contains *text* (any case); all when it is empty."""
    text = text.strip().lower()
    if not text:
        return frame
    ids = frame["id"].astype(str).str.lower()
    names = frame["name"].astype(str).str.lower()
    return frame[(ids.str.contains(text, regex=False) | names.str.contains(text, regex=False))]


def needs_text(needs: object) -> str:
    """``boat=2, pump=1`` for a needs object (empty for none)."""
    if not isinstance(needs, Mapping):
        return ""
    return ", ".join(f"{k}={v}" for k, v in needs.items())


def parse_needs(text: str) -> dict[str, Any]:
    """``boat=2, pump: 1`` as ``{"boat": "2", "pump": "1"}`` (the store checks the
    values as an upload does); raises ValueError with a sentence for a part that is not
    ``type=units``."""
    needs: dict[str, Any] = {}
    for part in [p.strip() for p in text.replace(";", ",").split(",")]:
        if not part:
            continue
        sep = "=" if "=" in part else ":" if ":" in part else None
        if sep is None:
            raise ValueError(
                f"write each need as type=units, such as boat=2, pump=1 (got {part!r})"
            )
        key, value = (s.strip() for s in part.split(sep, 1))
        needs[key] = value
    return needs


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _apply(
    loaded: loaders.LoadedScenario,
    workspace: Workspace,
    kind: str,
    feature_id: str,
    token: str,
    shown: dict[str, Any],
) -> None:
    # A callback (as the page's other buttons): it runs once, before the next script
    # run. Only the fields the person changed are sent, against the version the page
    # showed, so a change someone made meanwhile is not silently undone.
    actor = signed_in.current_actor(app_store())
    if actor is None:
        st.session_state[_OUTCOME] = ("refused", "Sign in to change an incident or resource.", [])
        return
    changes: dict[str, Any] = {}
    try:
        for field, old in shown.items():
            value = st.session_state.get(_key(f"{field}.{token}"), old)
            if field == "needs":
                value = parse_needs(str(value))
                if value == parse_needs(str(old)):
                    continue
            elif field == "max_response_min":
                value = str(value).strip() or None
                if value == (str(old).strip() or None):
                    continue
            elif value == old:
                continue
            changes[field] = value
    except ValueError as wrong:
        st.session_state[_OUTCOME] = ("refused", f"Not changed: {wrong}", [])
        return
    if not changes:
        st.session_state[_OUTCOME] = ("same", "Nothing to change: the values are as stored.", [])
        return
    versions = getattr(workspace, "versions", {})
    version = versions.get(kind)
    try:
        edit = edit_feature(
            app_store(),
            shared_scenario.scenario_name(loaded),
            kind=kind,
            feature_id=feature_id,
            changes=changes,
            actor=actor,
            expected_version=None if version is None else version.version,
            expected_edit=None if version is None else version.edit,
        )
    except LayerRefused as refused:
        lines = [p.describe() for r in refused.reports for p in r.errors]
        st.session_state[_OUTCOME] = ("refused", "Not changed: the new values break a rule.", lines)
        return
    except MutualAidError as refused:  # LayerDenied, StaleLayer, UnitsInUse, UnknownFeature
        st.session_state[_OUTCOME] = ("refused", f"Not changed: {refused}", [])
        return
    warnings = [p.describe() for p in edit.warnings.problems]
    st.session_state[_OUTCOME] = ("done", describe(edit) + ".", warnings)


def _token(kind: str, feature_id: str, workspace: Workspace) -> str:
    version = getattr(workspace, "versions", {}).get(kind)
    stamp = "" if version is None else f"{version.id}:{version.edit}"
    return hashlib.sha256(f"{kind}\0{feature_id}\0{stamp}".encode()).hexdigest()[:12]


def _incident_form(row: Mapping[str, Any], token: str) -> dict[str, Any]:
    status = str(row.get("status") or INCIDENT_STATUSES[0])
    severity = int(row.get("severity") or SEVERITY_MIN)
    response = _plain(row.get("max_response_min"))
    shown = {
        "status": status,
        "severity": severity,
        "needs": needs_text(row.get("needs")),
        "max_response_min": "" if response is None else f"{float(response):g}",
    }
    left, middle = st.columns(2)
    left.selectbox(
        "Status",
        list(INCIDENT_STATUSES),
        index=list(INCIDENT_STATUSES).index(status) if status in INCIDENT_STATUSES else 0,
        key=_key(f"status.{token}"),
        format_func=status_label,
    )
    levels = list(range(SEVERITY_MIN, SEVERITY_MAX + 1))
    middle.selectbox(
        "Severity",
        levels,
        index=levels.index(severity) if severity in levels else 0,
        key=_key(f"severity.{token}"),
    )
    st.text_input(
        "Needs (type=units, separated by commas)",
        value=shown["needs"],
        key=_key(f"needs.{token}"),
    )
    st.text_input(
        "Longest response (minutes; empty: no limit)",
        value=shown["max_response_min"],
        key=_key(f"max_response_min.{token}"),
    )
    return shown


def _resource_form(row: Mapping[str, Any], token: str) -> dict[str, Any]:
    status = str(row.get("status") or RESOURCE_CHOICES[0])
    quantity = int(row.get("quantity") or 1)
    shown = {"status": status, "quantity": quantity}
    choices = list(RESOURCE_CHOICES) if status in RESOURCE_CHOICES else [status, *RESOURCE_CHOICES]
    left, right = st.columns(2)
    left.radio(
        "Status",
        choices,
        index=choices.index(status),
        key=_key(f"status.{token}"),
        format_func=status_label,
        horizontal=True,
    )
    right.number_input("Units", value=quantity, step=1, key=_key(f"quantity.{token}"))
    return shown


def edit_section(loaded: loaders.LoadedScenario, workspace: Workspace) -> None:
    """The "Change one incident or resource" section of the Layers page."""
    st.subheader(TITLE)
    actor = signed_in.current_actor(app_store())
    kind = st.radio(
        "Change",
        list(KIND_LABELS),
        format_func=KIND_LABELS.__getitem__,
        horizontal=True,
        key=_key("kind"),
    )
    scenario = workspace.scenario()
    frame = editable_rows(getattr(scenario, kind), actor, kind)
    if len(frame) == 0:
        who = "an admin" if actor is None else f"{actor.label}"
        st.info(
            literal(
                f"There are no {kind} {who} may change here: a planner or coordinator "
                "changes its own jurisdiction's, an admin any."
            )
        )
        _show_outcome()
        return
    search = st.text_input("Find by name or id", key=_key(f"search.{kind}"))
    found = matching(frame, search)
    if len(found) > SHOWN:
        st.caption(f"{len(found):,} match; the first {SHOWN} are listed. Type to narrow.")
    found = found.iloc[:SHOWN]
    if len(found) == 0:
        st.caption("Nothing matches.")
        _show_outcome()
        return
    labels = {str(r["id"]): feature_label(r) for r in found.to_dict("records")}
    feature_id = st.selectbox(
        KIND_LABELS[kind].split(" ", 1)[1].capitalize(),
        list(labels),
        format_func=labels.__getitem__,
        key=_key(f"feature.{kind}"),
    )
    if feature_id is None:
        return
    row = found[found["id"].astype(str) == feature_id].iloc[0].to_dict()
    token = _token(kind, feature_id, workspace)
    shown = _incident_form(row, token) if kind == "incidents" else _resource_form(row, token)
    st.button(
        "Apply the change",
        type="primary",
        key=_key(f"apply.{kind}"),
        on_click=_apply,
        args=(loaded, workspace, kind, feature_id, token, shown),
    )
    _show_outcome()


def _show_outcome() -> None:
    outcome = live.take(_OUTCOME)
    if outcome is None:
        return
    state, text, lines = outcome
    if state == "done":
        st.success(literal(text))
    elif state == "same":
        st.info(literal(text))
    else:
        st.error(literal(text))
    if lines:
        st.text("\n".join(lines))

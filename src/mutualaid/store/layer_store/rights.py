"""Who may store which change of a layer (issue 6): a planner changes its own jurisdiction's
features only, never another's hidden ones; a refusal is audited (``access.denied``) and
raised as :class:`~mutualaid.errors.LayerDenied`. The sharing rules themselves are
:mod:`mutualaid.access.sharing`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from mutualaid.access.actor import Actor
from mutualaid.access.sharing import (
    PUBLIC,
    SHARED_KINDS,
    Row,
    change_refusal,
    check_level,
    role_refusal,
    visible,
)
from mutualaid.errors import (
    LayerDenied,
)
from mutualaid.scenario.loading import Scenario
from mutualaid.store import audit
from mutualaid.store.database import Store
from mutualaid.store.layer_store.rows import LayerRows, serialise


#: Layer kinds a scenario holds, in the order they are stored and checked.
def level_for(kind: str, sharing: str) -> str:
    # Only incidents and resources are shared by level; the other layers are everyone's.
    return check_level(sharing) if kind in SHARED_KINDS else PUBLIC


def _feature_rows(
    kind: str, scenario: Scenario | None, rows: LayerRows | None = None
) -> dict[str, Row]:
    """Feature key -> (its jurisdictions, content token) of *scenario*'s *kind* layer,
    for :func:`mutualaid.access.sharing.change_refusal`."""
    frame = None if scenario is None else getattr(scenario, kind)
    if scenario is None or frame is None:
        return {}
    rows = rows if rows is not None else serialise(kind, frame)
    tokens = [
        r["properties"] + ("" if r["wkb"] is None else bytes(r["wkb"]).hex()) for r in rows.rows
    ]
    if kind in ("incidents", "resources"):
        return {r["feature_id"]: ((r["jurisdiction"],), t) for r, t in zip(rows.rows, tokens)}
    # travel times: a row belongs to its resource's owner and its incident's jurisdiction
    owner_of = {
        str(i): (o if isinstance(o, str) else None)
        for i, o in zip(scenario.resources["id"], scenario.resources["jurisdiction"])
    }
    where = {
        str(i): (j if isinstance(j, str) else None)
        for i, j in zip(scenario.incidents["id"], scenario.incidents["jurisdiction"])
    }
    out: dict[str, Row] = {}
    for (res, inc), token in zip(
        zip(frame["resource_id"].astype(str), frame["incident_id"].astype(str)), tokens
    ):
        out[f"{res}→{inc}"] = ((owner_of.get(res), where.get(inc)), token)
    return out


def _hidden_ids(
    actor: Actor, kind: str, before: Scenario | None, levels: Mapping[str, str]
) -> set[str]:
    """The ids of *before*'s *kind* features *actor* may not see."""
    frame = None if before is None else getattr(before, kind)
    if kind not in SHARED_KINDS or before is None or frame is None or len(frame) == 0:
        return set()
    shown = visible(
        frame,
        viewer=actor,
        layer_sharing=levels.get(kind, PUBLIC),
        agreements=before.agreements,
        jurisdictions=before.jurisdictions,
    )
    return set(frame["id"].astype(str)[~shown])


def check_rights(
    actor: Actor,
    kind: str,
    *,
    before: Scenario | None,
    after: Scenario,
    rows: LayerRows | None = None,
    levels: Mapping[str, str] | None = None,
) -> None:
    """Raise :class:`LayerDenied` unless *actor* may turn *before*'s *kind* layer into
    *after*'s (:mod:`mutualaid.access.sharing`). *levels*: the current layers' sharing levels
    (a refusal does not name the owner of a feature the actor may not see)."""
    refusal = role_refusal(actor, kind)
    if refusal is None and actor.role != "admin":
        refusal = change_refusal(
            actor,
            kind,
            old=_feature_rows(kind, before),
            new=_feature_rows(kind, after, rows),
            hidden=_hidden_ids(actor, kind, before, levels or {}),
        )
    if refusal is not None:
        raise LayerDenied(refusal)


def record_layer_denial(
    store: Store,
    actor: Actor,
    denied: LayerDenied,
    *,
    attempted: str,
    subject: str,
    now: datetime | None,
) -> None:
    # In a transaction of its own, after the refused one was rolled back.
    audit.record_denial(
        store, actor=actor, attempted=attempted, subject=subject, reason=str(denied), now=now
    )

"""One incident or resource changed in the app, by its owner, audited, as a small change
(issue 12): an incident contained or closed, its severity, needs or longest response
time changed; a resource out of service or back, its number of units.

An edit is not a new full layer version: it is one ``feature_edits`` row (the feature's
whole new properties) over the layer version it was made on, its *base*.
:func:`~mutualaid.store.layer_store.versioning.load_stored_scenario` applies the current
version's edits (the latest of each feature wins); the version carries the id of its
latest edit (:attr:`~mutualaid.store.layer_store.rows.LayerVersion.edit`), so the
scenario's version key changes and every page plans again. A new version of the layer
(an upload, a sharing change, redrawn jurisdictions) is read with its edits applied, so
it holds them in its own rows; it is a new base, and the old base's edits no longer apply.

Only what the change touches is checked again, with the same rules and the same words
as an upload: the edited feature runs through its layer's validator
(:func:`mutualaid.layers.validate.validate_layer`) on its own, its problems numbered as
in the layer. A resource's units follow it in the ``units`` table
(:func:`~mutualaid.store.layer_store.rows.units_quantity`: 0 while out of service), and a
change that would take away units committed or deployed through the workflow is refused
(:class:`~mutualaid.errors.UnitsInUse`, naming the offers that hold them). Who may edit
is who may store that feature's layer (:mod:`~mutualaid.store.layer_store.rights`): an
admin any feature, a planner or coordinator its own jurisdiction's only; a refusal is
audited as ``access.denied``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mutualaid import vocabulary
from mutualaid.access.actor import Actor
from mutualaid.access.sharing import PUBLIC, change_refusal, role_refusal
from mutualaid.errors import (
    LayerDenied,
    LayerRefused,
    StaleLayer,
    UnitsInUse,
    UnknownFeature,
    UnknownScenario,
)
from mutualaid.layers.problems import Report
from mutualaid.store import audit
from mutualaid.store.database import Store
from mutualaid.store.layer_store.rights import record_layer_denial
from mutualaid.store.layer_store.rows import (
    LayerVersion,
    live_versions,
    rows_frame,
    serialise,
    units_quantity,
)
from mutualaid.store.layer_store.versioning import current_layers
from mutualaid.store.tables import feature_edits, layer_features, scenarios, units

#: The fields a change made in the app may set, by layer kind.
EDITABLE_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "incidents": ("status", "severity", "needs", "max_response_min"),
    "resources": ("status", "quantity"),
}
#: How one feature of each kind is named in sentences.
FEATURE_WORDS: Final[dict[str, str]] = {"incidents": "incident", "resources": "resource"}


@dataclass(frozen=True)
class FeatureEdit:
    """What :func:`edit_feature` did.

    Parameters
    ----------
    scenario, kind, feature_id : str
    before, after : dict
        The fields that changed, before and after (JSON values, as stored); both empty
        when the change set every field to the value it had (nothing is stored then).
    version : LayerVersion
        The layer's current version after the change (its ``edit`` is this change's id).
    edit_id : int or None
        The ``feature_edits`` row; None when nothing changed.
    warnings : Report
        The re-check's warnings (a new resource type in the needs...), numbered as in
        the layer.
    edited_by : str
    edited_at : datetime.datetime
    """

    scenario: str
    kind: str
    feature_id: str
    before: dict[str, Any]
    after: dict[str, Any]
    version: LayerVersion
    edit_id: int | None
    warnings: Report
    edited_by: str
    edited_at: datetime

    @property
    def changed(self) -> bool:
        """True when something was stored."""
        return self.edit_id is not None


def edit_feature(
    store: Store,
    scenario_name: str,
    *,
    kind: str,
    feature_id: str,
    changes: Mapping[str, Any],
    actor: Actor,
    expected_version: int | None,
    expected_edit: int | None = None,
    now: datetime | None = None,
) -> FeatureEdit:
    """Change one incident or resource of a stored scenario, as one audited change.

    Parameters
    ----------
    store : Store
    scenario_name : str
        A stored scenario.
    kind : {"incidents", "resources"}
    feature_id : str
        The feature's ``id``.
    changes : mapping of str to Any
        New values, only of :data:`EDITABLE_FIELDS` of *kind*: incidents ``status``
        (active, contained, closed), ``severity`` (1-5), ``needs`` (``{type: units}``),
        ``max_response_min`` (None: no limit); resources ``status`` (available,
        out_of_service; assigned as in a file) and ``quantity``. Values are checked as
        an upload checks them.
    actor : Actor
        Who changes it: an admin, or a planner or coordinator of the feature's
        jurisdiction.
    expected_version : int or None
        The version of the layer the page showed; when the layer was stored again
        since, the change is refused (:class:`StaleLayer`). None: whatever is current.
    expected_edit : int, optional
        The ``edit`` of that version the page showed
        (:attr:`~mutualaid.store.layer_store.rows.LayerVersion.edit`); when this feature
        was changed in the app after it, the change is refused (:class:`StaleLayer`,
        saying who changed it and when). Changes of other features do not conflict.
    now : datetime.datetime, optional
        The time to record (UTC).

    Returns
    -------
    FeatureEdit

    Raises
    ------
    LayerDenied
        *actor* may not change this feature (audited as ``access.denied``).
    LayerRefused
        A value breaks the layer's rules (``.reports``: the upload's problems, numbered
        as in the layer); nothing stored.
    UnitsInUse
        A resource would go out of service, or list fewer units, while units of it are
        committed or deployed; nothing stored.
    StaleLayer
        See *expected_version* and *expected_edit*.
    UnknownScenario, UnknownFeature
        No such scenario, layer or feature.
    ValueError
        *kind* is not incidents or resources, or *changes* names another field.

    Examples
    --------
    >>> edit_feature(store, "rhine-flood-2021", kind="incidents", feature_id="I-0042",
    ...              changes={"status": "contained"}, actor=nora,
    ...              expected_version=3)  # doctest: +SKIP
    """
    if kind not in EDITABLE_FIELDS:
        raise ValueError(f"only incidents and resources are changed in the app, not {kind}")
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS[kind]))
    if unknown or not changes:
        allowed = ", ".join(EDITABLE_FIELDS[kind])
        raise ValueError(
            f"a change of one of the {kind} sets {allowed}"
            + (f"; not {', '.join(unknown)}" if unknown else "")
        )
    at = (now or datetime.now(UTC)).astimezone(UTC)
    feature_id = str(feature_id)
    subject = f"scenario {scenario_name}: {kind} {feature_id}"
    try:
        refusal = role_refusal(actor, kind)
        if refusal is not None:  # before reading anything
            raise LayerDenied(refusal)
        with store.transaction() as connection:
            return _edit(
                connection,
                name=scenario_name,
                kind=kind,
                feature_id=feature_id,
                changes=changes,
                actor=actor,
                expected_version=expected_version,
                expected_edit=expected_edit,
                now=at,
                subject=subject,
            )
    except LayerDenied as denied:
        record_layer_denial(
            store,
            actor,
            denied,
            attempted=f"change {FEATURE_WORDS[kind]} {feature_id} ({', '.join(sorted(changes))})",
            subject=subject,
            now=at,
        )
        raise


def _edit(
    connection: Connection,
    *,
    name: str,
    kind: str,
    feature_id: str,
    changes: Mapping[str, Any],
    actor: Actor,
    expected_version: int | None,
    expected_edit: int | None,
    now: datetime,
    subject: str,
) -> FeatureEdit:
    # The scenario row is locked first, as every layer write locks it (PostgreSQL; SQLite's
    # BEGIN IMMEDIATE holds the database): the edit and a new version never interleave.
    row = connection.execute(
        sa.select(scenarios.c.id).where(scenarios.c.name == name).with_for_update()
    ).first()
    if row is None:
        raise UnknownScenario(f"there is no stored scenario named {name!r}")
    version = live_versions(current_layers(connection, row.id, name)).get(kind)
    if version is None:
        raise UnknownScenario(f"scenario {name} has no stored {kind} layer")
    if expected_version is not None and version.version != expected_version:
        at = version.loaded_at.astimezone(UTC).strftime("%H:%M UTC")
        raise StaleLayer(
            f"the {kind} layer was stored again by {version.loaded_by} at {at} (version "
            f"{version.version}) since the page showed version {expected_version}; look at "
            f"{FEATURE_WORDS[kind]} {feature_id} again"
        )
    stored = connection.execute(
        sa.select(
            layer_features.c.position,
            layer_features.c.jurisdiction,
            layer_features.c.properties,
            layer_features.c.wkb,
        ).where(
            layer_features.c.layer_version_id == version.id,
            layer_features.c.feature_id == feature_id,
        )
    ).first()
    if stored is None:
        raise UnknownFeature(
            f"the {kind} of scenario {name} have no {FEATURE_WORDS[kind]} {feature_id}"
        )
    owner = stored.jurisdiction
    _check_right(actor, kind, feature_id, owner, stored.properties, version.sharing)
    last = connection.execute(
        sa.select(
            feature_edits.c.id,
            feature_edits.c.properties,
            feature_edits.c.edited_by,
            feature_edits.c.edited_at,
        )
        .where(
            feature_edits.c.layer_version_id == version.id,
            feature_edits.c.feature_id == feature_id,
        )
        .order_by(feature_edits.c.id.desc())
        .limit(1)
    ).first()
    if expected_edit is not None and last is not None and last.id > expected_edit:
        at = last.edited_at.astimezone(UTC).strftime("%H:%M UTC")
        raise StaleLayer(
            f"{FEATURE_WORDS[kind]} {feature_id} was changed by {last.edited_by} at {at} "
            "since the page was drawn; look at it again"
        )
    old_text = stored.properties if last is None else last.properties
    new_text, warnings = _checked(kind, old_text, stored.wkb, changes, position=stored.position)
    old, new = json.loads(old_text), json.loads(new_text)
    fields = [k for k in new if old.get(k) != new.get(k)]
    before = {k: old.get(k) for k in fields}
    after = {k: new.get(k) for k in fields}
    if not fields:
        return FeatureEdit(
            name, kind, feature_id, {}, {}, version, None, warnings, actor.username, now
        )
    if kind == "resources":
        _follow_units(connection, row.id, feature_id, old, new)
    edit_id = connection.execute(
        feature_edits.insert()
        .values(
            scenario_id=row.id,
            kind=kind,
            layer_version_id=version.id,
            feature_id=feature_id,
            properties=new_text,
            edited_by=actor.username,
            edited_at=now,
        )
        .returning(feature_edits.c.id)
    ).scalar_one()
    audit.record(
        connection,
        actor=actor.username,
        action="feature.edited",
        subject=subject,
        before=before,
        after=after,
        now=now,
        readers=(owner,),
    )
    return FeatureEdit(
        name,
        kind,
        feature_id,
        before,
        after,
        dataclasses.replace(version, edit=int(edit_id)),
        int(edit_id),
        warnings,
        actor.username,
        now,
    )


def _check_right(
    actor: Actor, kind: str, feature_id: str, owner: str | None, properties: str, layer_level: str
) -> None:
    """The right to store a layer changing this one feature (:func:`change_refusal`). A
    feature not shared with everyone is named as another jurisdiction's only."""
    if actor.role == "admin":
        return
    level = json.loads(properties).get("sharing") or layer_level
    hidden = {feature_id} if level != PUBLIC and owner != actor.jurisdiction else set()
    refusal = change_refusal(
        actor,
        kind,
        old={feature_id: ((owner,), "before")},
        new={feature_id: ((owner,), "after")},
        hidden=hidden,
    )
    if refusal is not None:
        raise LayerDenied(refusal)


def _checked(
    kind: str,
    properties: str,
    wkb: bytes | None,
    changes: Mapping[str, Any],
    *,
    position: int,
) -> tuple[str, Report]:
    """The feature's new properties text, checked by its layer's validator on its own
    (the upload's rules and words); its warnings. Raises :class:`LayerRefused`."""
    from mutualaid.layers.validate import validate_layer

    frame = rows_frame(kind, [properties], [wkb])
    for field, value in changes.items():
        frame[field] = pd.Series([value], dtype=object, index=frame.index)
    # No jurisdictions: the location does not change, so neither does the jurisdiction
    # (an incident's is derived, not stored; a resource's stored one is kept as it is).
    canonical, report = validate_layer(frame, kind=kind, source="the change")
    numbered = Report(
        kind,
        source=report.source,
        problems=[
            dataclasses.replace(p, feature=position + 1) if p.feature is not None else p
            for p in report.problems
        ],
    )
    if canonical is None or not numbered.ok:
        word = FEATURE_WORDS[kind]
        raise LayerRefused(
            f"the {word} was not changed: " + "; ".join(p.describe() for p in numbered.errors[:3]),
            [numbered],
        )
    text = serialise(kind, canonical).rows[0]["properties"]
    return text, Report(kind, source=report.source, problems=numbered.warnings)


def _follow_units(
    connection: Connection,
    scenario_id: int,
    resource_id: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
) -> None:
    """Keep the resource's ``units`` row in step; refuse to take away held units."""
    row = connection.execute(
        sa.select(units)
        .where(units.c.scenario_id == scenario_id, units.c.resource_id == resource_id)
        .with_for_update()
    ).first()
    quantity = units_quantity(new["quantity"], new.get("status"))
    if row is None:  # never: units follow every stored resources layer
        connection.execute(
            units.insert().values(
                scenario_id=scenario_id,
                resource_id=resource_id,
                type=str(new.get("type")),
                jurisdiction=new.get("jurisdiction") or "",
                quantity=quantity,
                committed=0,
                version=1,
            )
        )
        return
    if row.committed > quantity:
        change = (
            "it cannot go out of service"
            if quantity == 0
            else f"it cannot list {quantity} unit{'s' if quantity != 1 else ''}"
        )
        sentence = _in_use(connection, scenario_id, row, change)
        raise UnitsInUse(f"the resource was not changed: {sentence}", [sentence])
    if quantity != row.quantity:
        connection.execute(
            units.update()
            .where(units.c.scenario_id == scenario_id, units.c.resource_id == resource_id)
            .values(quantity=quantity, version=units.c.version + 1)
        )


def _in_use(connection: Connection, scenario_id: int, row: Any, change: str) -> str:
    """``resource R-1 (boat, DE-RP): 2 units are committed to offers (offer 3: 2
    committed); it cannot go out of service``."""
    from mutualaid.store.workflow.held import held_in

    holders = [
        f"offer {line.offer_id}: {line.units} {'deployed' if line.deployed else 'committed'}"
        for line in held_in(connection, scenario_id).lines
        if line.resource_id == row.resource_id
    ]
    owned = f"{row.type}, {row.jurisdiction}" if row.jurisdiction else row.type
    units_text = "1 unit is" if row.committed == 1 else f"{row.committed} units are"
    held_text = f" ({'; '.join(holders)})" if holders else ""
    return (
        f"resource {row.resource_id} ({owned}): {units_text} committed to offers"
        f"{held_text}; {change} until they are released"
    )


def editable(actor: Actor | None, kind: str, jurisdiction: object) -> bool:
    """True when *actor* may change a feature of *kind* in *jurisdiction* in the app (the
    store checks it again): an admin any, a planner or coordinator its own
    jurisdiction's."""
    if actor is None or kind not in EDITABLE_FIELDS or role_refusal(actor, kind) is not None:
        return False
    return actor.role == "admin" or (
        isinstance(jurisdiction, str) and jurisdiction == actor.jurisdiction
    )


def describe(edit: FeatureEdit) -> str:
    """One plain sentence of what *edit* changed, for people (values as stored)."""
    word = FEATURE_WORDS[edit.kind]
    if not edit.changed:
        return f"{word} {edit.feature_id} already had these values: nothing was changed"
    parts = [
        f"{_field_words(field)} {_shown(field, edit.before[field])} → "
        f"{_shown(field, edit.after[field])}"
        for field in edit.after
    ]
    return f"{word} {edit.feature_id} changed: {', '.join(parts)}"


def _field_words(field: str) -> str:
    # The display name inside a sentence: "maximum response time", "status".
    name = vocabulary.label(field)
    return name[:1].lower() + name[1:]


def _shown(field: str, value: Any) -> str:
    if field == "max_response_min":
        return "no limit" if value is None else vocabulary.duration(value)
    if value is None:
        return "none"
    if field == "needs" or isinstance(value, dict):
        return vocabulary.needs_text(value) if value else "none"
    if field == "status":
        return vocabulary.status_label(value)
    return vocabulary.number(value) if isinstance(value, (int, float)) else str(value)


__all__ = [
    "EDITABLE_FIELDS",
    "FEATURE_WORDS",
    "FeatureEdit",
    "describe",
    "edit_feature",
    "editable",
]

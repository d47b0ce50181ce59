"""Scenarios and their layers in the store, read and written as versions: who loaded
what, when, from which file (issue 5).

Each layer of a scenario is kept as numbered versions (``layer_versions``); a version's
rows (``layer_features``) are the canonical frame of :mod:`mutualaid.layers.schema`, one
row per feature in file order: the fields as JSON text and, for the geographic layers,
the geometry as WKB in EPSG:4326. The scenario's current layer of a kind is its highest
version. Versions are never changed or removed, so a plan can name the versions it was
computed from.

Every write is one transaction with its audit row (:func:`mutualaid.store.audit.record`,
the last statement): a writer killed halfway leaves all of it or none of it. Writes to one
scenario are serialised (the scenario row is locked on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` holds the whole database), and a layer saved against a version that is
no longer current is refused with :class:`StaleLayer` naming who changed it.

The table ``units`` (one row per resource record, with how many units are committed) is
kept in step with the resources layer; a change that would take away committed units is
refused with :class:`UnitsInUse`. A resource out of service lists 0 units there
(:func:`~mutualaid.store.layer_store.rows.units_quantity`), so none can be committed and
one holding committed units cannot go out of service.

A version is read with the feature edits made over it in the app applied
(``feature_edits``, :mod:`~mutualaid.store.layer_store.edits`); its ``edit`` names the
latest, so a save checked against one state is not written over a later edit.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, cast

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from mutualaid.access.actor import Actor
from mutualaid.access.sharing import (
    PUBLIC,
    SHARED_KINDS,
    check_level,
    keep_levels,
    kind_words,
    role_refusal,
    sharing_refusal,
)
from mutualaid.errors import (
    LayerDenied,
    MutualAidError,
    StaleLayer,
    UnitsInUse,
    UnknownScenario,
)
from mutualaid.scenario.loading import Scenario
from mutualaid.store import audit
from mutualaid.store.database import Store
from mutualaid.store.layer_store.rights import check_rights, level_for, record_layer_denial
from mutualaid.store.layer_store.rows import (
    CHUNK_ROWS,
    KINDS,
    RECHECKED,
    REMOVED,
    SHARED,
    LayerRows,
    LayerVersion,
    StoredScenario,
    layer_levels,
    live_versions,
    rows_frame,
    serialise,
    units_quantity,
)
from mutualaid.store.tables import feature_edits, layer_features, layer_versions, scenarios, units


#: Layer kinds a scenario holds, in the order they are stored and checked.
def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def _scenario_row(connection: Connection, name: str, *, lock: bool = False):
    query = sa.select(scenarios).where(scenarios.c.name == name)
    if lock:
        # Serialises every layer write to this scenario on PostgreSQL (SQLite's
        # BEGIN IMMEDIATE already holds the database).
        query = query.with_for_update()
    return connection.execute(query).first()


def _versions(
    connection: Connection, scenario_id: int, name: str, *, kind: str | None = None
) -> list[LayerVersion]:
    query = sa.select(layer_versions).where(layer_versions.c.scenario_id == scenario_id)
    if kind is not None:
        query = query.where(layer_versions.c.kind == kind)
    rows = connection.execute(
        query.order_by(layer_versions.c.version.desc(), layer_versions.c.id.desc())
    )
    return [
        LayerVersion(
            id=r.id,
            scenario=name,
            kind=r.kind,
            version=r.version,
            source=r.source,
            format=r.format,
            mode=r.mode,
            sha256=r.sha256,
            features=r.features,
            loaded_by=r.loaded_by,
            loaded_at=r.loaded_at,
            sharing=r.sharing,
            owner=r.owner,
        )
        for r in rows
    ]


def current_layers(connection: Connection, scenario_id: int, name: str) -> dict[str, LayerVersion]:
    """The highest version of each kind, dropped optional layers included, each with
    the id of the latest feature edit made over it (``edit``)."""
    current: dict[str, LayerVersion] = {}
    for version in _versions(connection, scenario_id, name):  # highest first
        current.setdefault(version.kind, version)
    latest = dict(
        connection.execute(
            sa.select(feature_edits.c.layer_version_id, sa.func.max(feature_edits.c.id))
            .where(feature_edits.c.layer_version_id.in_([v.id for v in current.values()]))
            .group_by(feature_edits.c.layer_version_id)
        ).all()
    )
    return {
        k: dataclasses.replace(v, edit=int(latest[v.id])) if v.id in latest else v
        for k, v in current.items()
    }


def edited_properties(connection: Connection, version: LayerVersion) -> dict[str, str]:
    """Feature id -> its properties as edited in the app over *version* (the latest edit
    of each feature); empty when it has none."""
    if not version.edit:
        return {}
    rows = connection.execute(
        sa.select(feature_edits.c.feature_id, feature_edits.c.properties)
        .where(feature_edits.c.layer_version_id == version.id)
        .order_by(feature_edits.c.id)
    )
    return {r.feature_id: r.properties for r in rows}


def _read_layer(connection: Connection, version: LayerVersion) -> pd.DataFrame:
    rows = connection.execute(
        sa.select(layer_features.c.feature_id, layer_features.c.properties, layer_features.c.wkb)
        .where(layer_features.c.layer_version_id == version.id)
        .order_by(layer_features.c.position)
    ).all()
    if len(rows) != version.features:
        raise MutualAidError(
            f"the stored {version.kind} layer (version {version.version}) of "
            f"scenario {version.scenario} has {len(rows)} rows, not "
            f"{version.features}: the store is damaged"
        )
    # The feature edits made over this version (issue 12) replace their rows' properties.
    edited = edited_properties(connection, version)
    properties = (
        [edited.get(r.feature_id, r.properties) for r in rows]
        if edited
        else [r.properties for r in rows]
    )
    return rows_frame(version.kind, properties, [r.wkb for r in rows])


def _read_scenario(
    connection: Connection, name: str, current: Mapping[str, LayerVersion]
) -> Scenario:
    from mutualaid.scenario.merging import check_scenario

    live = live_versions(current)
    missing = [k for k in KINDS[:4] if k not in live]
    if missing:
        raise MutualAidError(f"scenario {name} has no stored {', '.join(missing)} layer")
    frames = {kind: _read_layer(connection, version) for kind, version in live.items()}
    raw = Scenario(
        jurisdictions=frames["jurisdictions"],
        incidents=frames["incidents"],
        resources=frames["resources"],
        agreements=frames["agreements"],
        travel_times=frames.get("travel_times"),
        name=name,
    )
    # The validators give back the canonical dtypes and the derived columns (each
    # incident's jurisdiction, lon/lat) exactly as when the layers were first loaded.
    checked, reports = check_scenario(raw, previous=raw)
    if checked is None:
        errors = "; ".join(str(p) for r in reports for p in r.errors[:3])
        raise MutualAidError(f"the stored scenario {name} no longer passes its checks: {errors}")
    return checked


def load_stored_scenario(store: Store, name: str) -> StoredScenario | None:
    """The current layers of the stored scenario *name*, canonical; None when there is
    no such scenario.

    Parameters
    ----------
    store : Store
    name : str

    Returns
    -------
    StoredScenario or None
        ``scenario`` equals the canonical Scenario that was saved.
    """
    with store.reading() as connection:
        row = _scenario_row(connection, name)
        if row is None:
            return None
        current = current_layers(connection, row.id, name)
        scenario = _read_scenario(connection, name, current)
    return StoredScenario(row.id, name, scenario, live_versions(current))


def scenario_names(store: Store) -> list[str]:
    """The names of the stored scenarios, sorted."""
    with store.reading() as connection:
        return list(
            connection.execute(sa.select(scenarios.c.name).order_by(scenarios.c.name)).scalars()
        )


def stored_jurisdictions(store: Store) -> dict[str, str]:
    """Every jurisdiction of the stored scenarios' current jurisdictions layers: id ->
    name (the id when the layer gives none), sorted by id; the first scenario by name
    gives the name of an id that several hold. Empty when no scenario is stored.

    What an account's jurisdiction is chosen from (issue 13): the feature ids only, no
    geometry read.
    """
    import json

    found: dict[str, str] = {}
    with store.reading() as connection:
        for row in connection.execute(
            sa.select(scenarios.c.id, scenarios.c.name).order_by(scenarios.c.name)
        ).all():
            version = current_layers(connection, row.id, row.name).get("jurisdictions")
            if version is None:
                continue
            for feature_id, properties in connection.execute(
                sa.select(layer_features.c.feature_id, layer_features.c.properties).where(
                    layer_features.c.layer_version_id == version.id
                )
            ):
                if feature_id is None or str(feature_id) in found:
                    continue
                name = json.loads(properties).get("name") if properties else None
                found[str(feature_id)] = str(name) if name not in (None, "") else str(feature_id)
    return dict(sorted(found.items()))


def layer_history(store: Store, name: str, kind: str | None = None) -> list[LayerVersion]:
    """Every stored version of the scenario's layers (of *kind* only, when given),
    newest first; empty when there is no such scenario."""
    with store.reading() as connection:
        row = _scenario_row(connection, name)
        return [] if row is None else _versions(connection, row.id, name, kind=kind)


def files_fingerprint(store: Store, name: str) -> str | None:
    """The fingerprint of the folder files *name* was last stored from (see
    :func:`save_scenario`); None when not stored or never from a folder."""
    with store.reading() as connection:
        return connection.execute(
            sa.select(scenarios.c.files_fingerprint).where(scenarios.c.name == name)
        ).scalar()


def current_versions(store: Store, name: str) -> dict[str, LayerVersion]:
    """The current version of each layer of scenario *name* (no feature rows read);
    empty when there is no such scenario."""
    with store.reading() as connection:
        row = _scenario_row(connection, name)
        return {} if row is None else live_versions(current_layers(connection, row.id, name))


def version_numbers(store: Store, name: str) -> dict[str, int]:
    """The number of the highest version of each kind of scenario *name*, a dropped
    optional layer's marker included; empty when there is no such scenario. What a
    change captures when it starts, for *expected_versions* of :func:`save_scenario`."""
    with store.reading() as connection:
        row = _scenario_row(connection, name)
        if row is None:
            return {}
        return {k: v.version for k, v in current_layers(connection, row.id, name).items()}


# --- writing ---------------------------------------------------------------------------------


def _ensure_scenario(connection: Connection, name: str, actor: Actor, now: datetime):
    """The scenario's row, locked, created when absent (two first loads of one name at
    once: the second finds the first's row instead of failing)."""
    values = {"name": name, "created_at": now, "created_by": actor.username}
    from sqlalchemy.dialects import postgresql, sqlite

    # The dialect's own INSERT, for its ON CONFLICT clause (the two have the same API).
    insert: Any = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    connection.execute(
        insert(scenarios).values(**values).on_conflict_do_nothing(index_elements=["name"])
    )
    return _scenario_row(connection, name, lock=True)


def _store_version(
    connection: Connection,
    *,
    scenario_id: int,
    name: str,
    rows: LayerRows,
    version: int,
    source: str,
    format: str,
    mode: str,
    actor: Actor,
    now: datetime,
    sharing: str = "public",
    owner: str | None = None,
) -> LayerVersion:
    new_id = connection.execute(
        layer_versions.insert()
        .values(
            scenario_id=scenario_id,
            kind=rows.kind,
            version=version,
            source=source[:500],
            format=format[:20],
            mode=mode,
            sha256=rows.sha256,
            features=rows.features,
            loaded_by=actor.username,
            loaded_at=now,
            sharing=sharing,
            owner=owner,
        )
        .returning(layer_versions.c.id)
    ).scalar_one()
    for start in range(0, rows.features, CHUNK_ROWS):
        chunk = rows.rows[start : start + CHUNK_ROWS]
        connection.execute(
            layer_features.insert(), [{**r, "layer_version_id": new_id} for r in chunk]
        )
    return LayerVersion(
        id=new_id,
        scenario=name,
        kind=rows.kind,
        version=version,
        source=source[:500],
        format=format[:20],
        mode=mode,
        sha256=rows.sha256,
        features=rows.features,
        loaded_by=actor.username,
        loaded_at=now,
        sharing=sharing,
        owner=owner,
    )


def _store_removed(
    connection: Connection,
    *,
    scenario_id: int,
    name: str,
    kind: str,
    version: int,
    actor: Actor,
    now: datetime,
) -> LayerVersion:
    empty = LayerRows(kind, [], hashlib.sha256(f"{kind} removed".encode()).hexdigest())
    return _store_version(
        connection,
        scenario_id=scenario_id,
        name=name,
        rows=empty,
        version=version,
        source="",
        format="",
        mode=REMOVED,
        actor=actor,
        now=now,
    )


def _units_of(resources: pd.DataFrame) -> dict[str, tuple[str, str, int]]:
    """resource id -> (type, owner, units quantity) of a canonical resources frame
    (:func:`~mutualaid.store.layer_store.rows.units_quantity`: 0 while out of service)."""
    owners = [o if isinstance(o, str) else "" for o in resources["jurisdiction"].tolist()]
    return {
        str(i): (str(t), o, units_quantity(q, s))
        for i, t, o, q, s in zip(
            resources["id"].tolist(),
            resources["type"].tolist(),
            owners,
            resources["quantity"].tolist(),
            resources["status"].tolist(),
        )
    }


def _in_use(resource: str, type_: str, owner: str, committed: int, change: str) -> str:
    owned = f"{type_}, {owner}" if owner else type_
    units_text = "1 unit is" if committed == 1 else f"{committed} units are"
    return f"resource {resource} ({owned}): {units_text} committed to offers; {change}"


def _sync_units(connection: Connection, scenario_id: int, resources: pd.DataFrame) -> None:
    """Make ``units`` list exactly the records of *resources*, keeping what is committed.

    Raises
    ------
    UnitsInUse
        A resource with committed units would be removed, change type or owner, or
        list fewer units than are committed. Nothing is changed then.
    """
    # Locked so that no commit of these units slips in between the check and the change
    # (the workflow takes the same row locks, and the audit head only after them). In
    # resource-id order, the order commits lock them in: no deadlock with a commit.
    existing = {
        r.resource_id: r
        for r in connection.execute(
            sa.select(units)
            .where(units.c.scenario_id == scenario_id)
            .order_by(units.c.resource_id)
            .with_for_update()
        )
    }
    wanted = _units_of(resources)
    conflicts: list[str] = []
    for rid, row in existing.items():
        if row.committed <= 0:
            continue
        new = wanted.get(rid)
        if new is None:
            change = "the new layer removes it"
        elif new[0] != row.type:
            change = f"the new layer makes it a {new[0]}"
        elif new[1] != row.jurisdiction:
            change = f"the new layer gives it to {new[1] or 'no jurisdiction'}"
        elif new[2] < row.committed:
            change = f"the new layer lists {new[2]}"
            if new[2] == 0:
                change = "the new layer puts it out of service"
        else:
            continue
        conflicts.append(_in_use(rid, row.type, row.jurisdiction, row.committed, change))
    if conflicts:
        raise UnitsInUse("the resources were not changed: " + "; ".join(conflicts), conflicts)
    removed = [rid for rid in existing if rid not in wanted]
    for start in range(0, len(removed), CHUNK_ROWS):
        connection.execute(
            units.delete().where(
                units.c.scenario_id == scenario_id,
                units.c.resource_id.in_(removed[start : start + CHUNK_ROWS]),
            )
        )
    changed = [
        {"rid": rid, "t": t, "j": j, "q": q}
        for rid, (t, j, q) in wanted.items()
        if rid in existing
        and (existing[rid].type, existing[rid].jurisdiction, existing[rid].quantity) != (t, j, q)
    ]
    if changed:
        connection.execute(
            units.update()
            .where(units.c.scenario_id == scenario_id, units.c.resource_id == sa.bindparam("rid"))
            .values(
                type=sa.bindparam("t"),
                jurisdiction=sa.bindparam("j"),
                quantity=sa.bindparam("q"),
                version=units.c.version + 1,
            ),
            changed,
        )
    added = [
        {
            "scenario_id": scenario_id,
            "resource_id": rid,
            "type": t,
            "jurisdiction": j,
            "quantity": q,
            "committed": 0,
            "version": 1,
        }
        for rid, (t, j, q) in wanted.items()
        if rid not in existing
    ]
    for start in range(0, len(added), CHUNK_ROWS):
        connection.execute(units.insert(), added[start : start + CHUNK_ROWS])


def _layers(scenario: Scenario) -> dict[str, pd.DataFrame]:
    return {k: getattr(scenario, k) for k in KINDS if getattr(scenario, k) is not None}


def save_scenario(
    store: Store,
    scenario: Scenario,
    *,
    name: str,
    sources: Mapping[str, str],
    actor: Actor,
    now: datetime | None = None,
    files_fingerprint: str | None = None,
    sharing: str = "public",
    expected_versions: Mapping[str, int] | None = None,
) -> StoredScenario:
    """Store every layer of a validated *scenario* as one change, audited.

    Creates the scenario when it is new. A layer whose content equals its current
    version is not stored again; a layer that changed gets a new version; an optional
    layer (travel times) the scenario no longer has is recorded as dropped.

    Parameters
    ----------
    store : Store
    scenario : Scenario
        As :func:`mutualaid.scenario.loading.load_scenario` returns it (canonical, checked).
    name : str
        The scenario's name in the store (the folder's name).
    sources : mapping of str to str
        The file each layer was read from, by kind.
    actor : Actor
        Who stores it (the audit log's actor).
    now : datetime.datetime, optional
        The time to record (UTC); the current time when None.
    files_fingerprint : str, optional
        The hash of the folder's files the scenario was read from, kept with the
        scenario (:func:`files_fingerprint`) in the same transaction.
    sharing : {"public", "partners", "owner"}
        The level of the incidents and resources layers given a new version (the
        others are everyone's); the versions record ``owner = actor.jurisdiction``. A
        layer whose content is unchanged keeps its version and its level
        (:func:`set_layer_sharing` changes a level).
    expected_versions : mapping of str to int, optional
        The versions the change was based on (:func:`version_numbers` when it started;
        empty for a scenario not stored yet). When any layer's current version differs
        inside the save's transaction, someone stored it meanwhile and the save is
        refused with :class:`StaleLayer` instead of silently replacing their version.

    Returns
    -------
    StoredScenario
        ``changed`` lists the kinds given a new version.

    Raises
    ------
    StaleLayer
        *expected_versions* is no longer the stored state; nothing is stored.
    UnitsInUse
        The new resources would take away committed units; nothing is stored.
    LayerDenied
        *actor* may not store a layer that changed (:mod:`mutualaid.access.sharing`); the
        refusal is audited and nothing is stored.
    """
    now = _now(now)
    for kind in SHARED_KINDS:
        level_for(kind, sharing)
    try:
        return _save_scenario(
            store,
            scenario,
            name=name,
            sources=sources,
            actor=actor,
            now=now,
            files_fingerprint=files_fingerprint,
            sharing=sharing,
            expected_versions=expected_versions,
        )
    except LayerDenied as denied:
        record_layer_denial(
            store, actor, denied, attempted="store a scenario", subject=f"scenario {name}", now=now
        )
        raise


def _save_scenario(
    store: Store,
    scenario: Scenario,
    *,
    name: str,
    sources: Mapping[str, str],
    actor: Actor,
    now: datetime,
    files_fingerprint: str | None,
    sharing: str,
    expected_versions: Mapping[str, int] | None = None,
) -> StoredScenario:
    # The expensive part (JSON, WKB, hashes) before the transaction: the write lock is
    # then held only for the inserts.
    prepared = {kind: serialise(kind, frame) for kind, frame in _layers(scenario).items()}
    with store.transaction() as connection:
        row = _ensure_scenario(connection, name, actor, now)
        if files_fingerprint is not None:
            connection.execute(
                scenarios.update()
                .where(scenarios.c.id == row.id)
                .values(files_fingerprint=files_fingerprint)
            )
        current = current_layers(connection, row.id, name)
        if expected_versions is not None:
            _check_started_from(name, current, expected_versions)
        if actor.role != "admin":
            _check_scenario_rights(connection, name, actor, current, scenario, prepared, sharing)
        versions = dict(current)
        changed: list[str] = []
        for kind in KINDS:
            old = current.get(kind)
            number = 1 if old is None else old.version + 1
            rows = prepared.get(kind)
            if rows is None:
                if old is not None and old.mode != REMOVED:
                    versions[kind] = _store_removed(
                        connection,
                        scenario_id=row.id,
                        name=name,
                        kind=kind,
                        version=number,
                        actor=actor,
                        now=now,
                    )
                    changed.append(kind)
                continue
            level = level_for(kind, sharing)
            # Unchanged content keeps its version and its level: a level is changed
            # with set_layer_sharing only, so reloading a folder never undoes a revoke.
            if old is not None and old.mode != REMOVED and old.sha256 == rows.sha256:
                continue
            versions[kind] = _store_version(
                connection,
                scenario_id=row.id,
                name=name,
                rows=rows,
                version=number,
                source=sources.get(kind, ""),
                format=_format_of(sources.get(kind, "")),
                mode="replace",
                actor=actor,
                now=now,
                sharing=level,
                owner=actor.jurisdiction,
            )
            changed.append(kind)
        if "resources" in changed:
            _sync_units(connection, row.id, scenario.resources)
        after: dict[str, Any] = {
            k: {**v.summary(), "changed": k in changed} for k, v in live_versions(versions).items()
        }
        dropped = [k for k in changed if versions[k].mode == REMOVED]
        if dropped:
            after["dropped"] = dropped
        audit.record(
            connection,
            actor=actor.username,
            action="scenario.loaded",
            subject=f"scenario {name}",
            after=after,
            now=now,
        )
    stored = dataclasses.replace(scenario, name=name)
    return StoredScenario(row.id, name, stored, live_versions(versions), tuple(changed))


def _check_scenario_rights(
    connection: Connection,
    name: str,
    actor: Actor,
    current: Mapping[str, LayerVersion],
    scenario: Scenario,
    prepared: Mapping[str, LayerRows],
    sharing: str,
) -> None:
    """A planner or coordinator may store a whole scenario only when every layer it
    changes is one it may change (:func:`check_rights`)."""
    live = live_versions(current)
    before = None
    for kind in KINDS:
        rows, old = prepared.get(kind), live.get(kind)
        if rows is None and old is None:
            continue
        if rows is not None and old is not None and old.sha256 == rows.sha256:
            continue
        refusal = role_refusal(actor, kind)
        if refusal is not None:
            raise LayerDenied(refusal)
        if before is None and live:
            before = _read_scenario(connection, name, current)
        check_rights(
            actor, kind, before=before, after=scenario, rows=rows, levels=layer_levels(live)
        )


def _format_of(source: str) -> str:
    suffix = source.rsplit(".", 1)[-1].lower() if "." in source else ""
    return {
        "json": "geojson",
        "geojson": "geojson",
        "csv": "csv",
        "gpkg": "gpkg",
        "zip": "shapefile",
        "kml": "kml",
    }.get(suffix, suffix)


def _stale_message(kind: str, current: LayerVersion | None, expected: int) -> str:
    if current is None:
        return (
            f"the {kind} layer is not stored any more (you loaded version {expected}); "
            f"load it again"
        )
    at = current.loaded_at.astimezone(UTC).strftime("%H:%M UTC")
    return (
        f"the {kind} layer was changed by {current.loaded_by} at {at} (version "
        f"{current.version}) since you loaded version {expected}; load it again"
    )


def _check_started_from(
    name: str, current: Mapping[str, LayerVersion], expected: Mapping[str, int]
) -> None:
    """Refuse a whole-scenario save when a layer was stored since the change started
    (inside the save's transaction, like :func:`_check_expected` for one layer)."""
    for kind in KINDS:
        now_at = current.get(kind)
        read = expected.get(kind, 0)
        if (now_at.version if now_at else 0) == read:
            continue
        if now_at is None:  # pragma: no cover - versions are never removed
            raise StaleLayer(
                f"the {kind} layer of scenario {name} is not stored any more "
                f"(this load read version {read})"
            )
        at = now_at.loaded_at.astimezone(UTC).strftime("%H:%M UTC")
        raise StaleLayer(
            f"the {kind} layer of scenario {name} was changed by "
            f"{now_at.loaded_by} at {at} (version {now_at.version}) after this "
            f"load started (it read "
            f"{f'version {read}' if read else 'no version'})"
        )


@dataclass(frozen=True)
class _Change:
    """A layer change checked against one state of the scenario, ready to write."""

    scenario_id: int
    current: dict[str, LayerVersion]  # the state it was checked against
    result: Scenario
    rows: dict[str, LayerRows]  # the layers to store, the added kind first
    levels: dict[str, tuple[str, str | None]]  # kind -> (sharing, owner) to store


def _version_ids(current: Mapping[str, LayerVersion]) -> dict[str, tuple[int, int]]:
    # A feature edit over a version (issue 12) changes its content too.
    return {k: (v.id, v.edit) for k, v in current.items()}


def _check_expected(
    kind: str, current: Mapping[str, LayerVersion], expected_version: int | None
) -> None:
    if expected_version is None:
        return
    # A dropped optional layer's marker is a version too: the page that showed the drop
    # passes its number.
    latest = current.get(kind)
    if (latest.version if latest else 0) != expected_version:
        raise StaleLayer(_stale_message(kind, current.get(kind), expected_version))


def _prepare(
    connection: Connection,
    *,
    name: str,
    kind: str,
    frame: pd.DataFrame,
    mode: str,
    source: str,
    format: str,
    expected_version: int | None,
    now: datetime,
    actor: Actor,
    sharing: str,
) -> _Change:
    from mutualaid.scenario.merging import Mode, add_layer, new_workspace

    row = _scenario_row(connection, name)
    if row is None:
        raise UnknownScenario(
            f"there is no stored scenario named {name!r}; load its folder first (mutualaid load)"
        )
    current = current_layers(connection, row.id, name)
    _check_expected(kind, current, expected_version)
    base = _read_scenario(connection, name, current)
    result = add_layer(
        new_workspace(base),
        kind,
        frame,
        source=source,
        mode=cast(Mode, mode),  # add_layer refuses any mode but MODES
        format=format,
        now=now,
    ).current
    result = dataclasses.replace(result, name=name)
    ours = serialise(kind, getattr(result, kind))
    live = live_versions(current)
    check_rights(actor, kind, before=base, after=result, rows=ours, levels=layer_levels(live))
    level = level_for(kind, sharing)
    previous = live.get(kind)
    if (
        mode == "merge"
        and kind in SHARED_KINDS
        and previous is not None
        and previous.sharing != level
    ):
        # A merge does not change who sees the rows it did not bring: they keep the
        # level they had, written as their own.
        layer = getattr(result, kind)
        brought = layer["id"].astype(str).isin(set(frame["id"].astype(str))).to_numpy()
        kept = keep_levels(layer, ~brought, previous.sharing)
        if kept is not layer:
            result = dataclasses.replace(result, **{kind: kept})
            ours = serialise(kind, kept)
    rows = {kind: ours}
    levels = {kind: (level, actor.jurisdiction)}
    # Redrawn jurisdictions can place incidents and resources differently; those layers
    # keep their level and owner.
    if kind == "jurisdictions":
        for k in ("incidents", "resources"):
            rows[k] = serialise(k, getattr(result, k))
            old = live.get(k)
            levels[k] = (old.sharing, old.owner) if old is not None else (PUBLIC, None)
    return _Change(row.id, current, result, rows, levels)


def _write(
    connection: Connection,
    change: _Change,
    *,
    name: str,
    kind: str,
    mode: str,
    source: str,
    format: str,
    actor: Actor,
    now: datetime,
) -> tuple[dict[str, LayerVersion], list[str]]:
    versions = live_versions(change.current)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    changed: list[str] = []
    for k, rows in change.rows.items():
        previous = versions.get(k)
        if k != kind and previous is not None and previous.sha256 == rows.sha256:
            continue
        latest = change.current.get(k)
        ours = k == kind
        level, owner = change.levels[k]
        versions[k] = _store_version(
            connection,
            scenario_id=change.scenario_id,
            name=name,
            rows=rows,
            version=1 if latest is None else latest.version + 1,
            source=source if ours else f"placed again in jurisdictions from {source}",
            format=format if ours else "",
            mode=mode if ours else RECHECKED,
            actor=actor,
            now=now,
            sharing=level,
            owner=owner,
        )
        changed.append(k)
        before[k] = None if previous is None else previous.summary()
        after[k] = versions[k].summary()
    if "resources" in changed:
        _sync_units(connection, change.scenario_id, change.result.resources)
    action = "agreement.changed" if kind == "agreements" else "layer.loaded"
    audit.record(
        connection,
        actor=actor.username,
        action=action,
        subject=f"scenario {name}: {kind}",
        before=before,
        after=after,
        now=now,
    )
    return versions, changed


#: Times :func:`save_layer` checks a change outside the write lock and finds the scenario
#: changed meanwhile, before it checks it again holding the lock (which always succeeds).
OPTIMISTIC_ATTEMPTS: Final[int] = 2


def save_layer(
    store: Store,
    *,
    scenario_name: str,
    kind: str,
    frame: pd.DataFrame,
    mode: str,
    source: str,
    format: str,
    actor: Actor,
    expected_version: int | None = None,
    now: datetime | None = None,
    sharing: str = "public",
) -> StoredScenario:
    """Add one layer to a stored scenario (replacing or merging by id), after checking
    the whole resulting scenario, as one audited change.

    The layer is stored as a new version holding all its rows (not a difference). When
    redrawn jurisdictions place incidents or resources differently, those layers get a
    new version too (mode ``rechecked``), and ``units`` follows the resources.

    The combined scenario is checked before the write lock is taken (checking a large
    scenario takes seconds, and the lock holds up every other writer); the write then
    goes ahead only if no layer of the scenario changed meanwhile. If one did, the
    change is checked again against the new state (or refused, when *expected_version*
    is no longer current); after :data:`OPTIMISTIC_ATTEMPTS` the check is made holding
    the lock, so a busy scenario cannot starve a writer.

    Parameters
    ----------
    store : Store
    scenario_name : str
        A stored scenario.
    kind : {"jurisdictions", "incidents", "resources", "agreements", "travel_times"}
    frame : pandas.DataFrame
        An accepted canonical layer (``load_layer(...).frame``).
    mode : {"replace", "merge"}
        See :func:`mutualaid.scenario.merging.add_layer`.
    source, format : str
        The file's name and the format it was read as.
    actor : Actor
        Who stores it.
    expected_version : int, optional
        The version of this kind the change was based on (0 when there was none); when
        it is no longer current the change is refused. None: apply the change to
        whatever is current.
    now : datetime.datetime, optional
        The time to record (UTC).
    sharing : {"public", "partners", "owner"}
        Who sees the layer's features that carry no ``sharing`` of their own
        (:mod:`mutualaid.access.sharing`); recorded with ``owner = actor.jurisdiction``. Only
        incidents and resources have a level (the other layers are everyone's). A merge
        leaves the rows it does not bring at the level they had.

    Returns
    -------
    StoredScenario
        ``changed`` lists the kinds given a new version.

    Raises
    ------
    LayerDenied
        *actor* may not make this change: an admin stores anything; a planner or
        coordinator only incidents, resources and travel times of its own jurisdiction;
        a viewer nothing. The refusal is audited; nothing is stored.
    LayerRefused
        The combined scenario is not valid (``.reports`` says why); nothing stored.
    StaleLayer
        *expected_version* is not the current version, or another change of this
        layer was stored at the same moment.
    UnitsInUse
        The resources would take away committed units.
    UnknownScenario
        No scenario named *scenario_name* is stored.

    Examples
    --------
    >>> save_layer(store, scenario_name="rhine-flood-2021", kind="incidents",
    ...            frame=load_layer("new.geojson", kind="incidents").frame, mode="merge",
    ...            source="new.geojson", format="geojson", actor=alice,
    ...            expected_version=3)  # doctest: +SKIP
    """
    now = _now(now)
    level = level_for(kind, sharing)
    try:
        refusal = role_refusal(actor, kind)
        if refusal is not None:  # before reading anything
            raise LayerDenied(refusal)
        return _save_layer(
            store,
            scenario_name=scenario_name,
            kind=kind,
            frame=frame,
            mode=mode,
            source=source,
            format=format,
            actor=actor,
            expected_version=expected_version,
            now=now,
            sharing=level,
        )
    except LayerDenied as denied:
        record_layer_denial(
            store,
            actor,
            denied,
            attempted=f"store the {kind} layer",
            subject=f"scenario {scenario_name}: {kind}",
            now=now,
        )
        raise


def _save_layer(
    store: Store,
    *,
    scenario_name: str,
    kind: str,
    frame: pd.DataFrame,
    mode: str,
    source: str,
    format: str,
    actor: Actor,
    expected_version: int | None,
    now: datetime,
    sharing: str,
) -> StoredScenario:
    options: dict[str, Any] = {
        "name": scenario_name,
        "kind": kind,
        "mode": mode,
        "source": source,
        "format": format,
    }
    checks: dict[str, Any] = {"actor": actor, "sharing": sharing}
    change: _Change | None = None
    try:
        for attempt in range(OPTIMISTIC_ATTEMPTS + 1):
            locked_check = attempt == OPTIMISTIC_ATTEMPTS
            if not locked_check:
                with store.reading() as connection:
                    change = _prepare(
                        connection,
                        frame=frame,
                        expected_version=expected_version,
                        now=now,
                        **options,
                        **checks,
                    )
            with store.transaction() as connection:
                # Serialises the writes to this scenario on PostgreSQL (SQLite's BEGIN
                # IMMEDIATE already holds the database).
                _scenario_row(connection, scenario_name, lock=True)
                if locked_check:
                    change = _prepare(
                        connection,
                        frame=frame,
                        expected_version=expected_version,
                        now=now,
                        **options,
                        **checks,
                    )
                elif change is not None:
                    current = current_layers(connection, change.scenario_id, scenario_name)
                    if _version_ids(current) != _version_ids(change.current):
                        _check_expected(kind, current, expected_version)
                        continue  # check again against what is current now
                if change is None:  # never: every attempt prepares its change first
                    continue
                versions, changed = _write(connection, change, actor=actor, now=now, **options)
            return StoredScenario(
                change.scenario_id, scenario_name, change.result, versions, tuple(changed)
            )
    except sa.exc.IntegrityError as exc:
        if "layer_versions" not in str(exc.orig):
            raise
        # Another change of this layer committed first with the same version number.
        latest = current_versions(store, scenario_name).get(kind)
        old = None if change is None else change.current.get(kind)
        based_on = expected_version if expected_version is not None else (old.version if old else 0)
        raise StaleLayer(_stale_message(kind, latest, based_on)) from None
    raise AssertionError("unreachable: the last attempt holds the lock")


def set_layer_sharing(
    store: Store,
    *,
    scenario_name: str,
    kind: str,
    sharing: str,
    actor: Actor,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> StoredScenario:
    """Change who sees a layer: a new version with the same rows and the new level,
    audited as ``sharing.changed``. This is how a share is revoked; it takes effect at
    every session's next rerun (the versions' key changes).

    Parameters
    ----------
    store : Store
    scenario_name : str
    kind : {"incidents", "resources"}
        The other layers are everyone's and have no level.
    sharing : {"public", "partners", "owner"}
    actor : Actor
        An admin changes any layer; a planner or coordinator only a layer its own
        jurisdiction stored (the current version's ``owner``). When it is not an admin,
        the other jurisdictions' features without a level of their own keep the level
        they had (written as their own), so an owner changes who sees its features only.
    expected_version : int, optional
        The version the change is based on; refused (:class:`StaleLayer`) when it is
        no longer current.
    now : datetime.datetime, optional

    Returns
    -------
    StoredScenario
        ``changed`` is ``(kind,)``, or empty when the level already was *sharing*.

    Raises
    ------
    LayerDenied
        The actor may not change this layer's sharing (audited).
    StaleLayer, UnknownScenario
    ValueError
        An unknown level.
    """
    now = _now(now)
    check_level(sharing)
    subject = f"scenario {scenario_name}: {kind}"
    try:
        if kind not in SHARED_KINDS:
            raise LayerDenied(
                f"the {kind_words(kind)} have no sharing level: every "
                "signed-in person sees the jurisdictions and agreements"
            )
        return _set_layer_sharing(
            store,
            name=scenario_name,
            kind=kind,
            level=sharing,
            actor=actor,
            expected_version=expected_version,
            now=now,
        )
    except LayerDenied as denied:
        record_layer_denial(
            store,
            actor,
            denied,
            attempted=f"share the {kind} layer with {sharing}",
            subject=subject,
            now=now,
        )
        raise


def _set_layer_sharing(
    store: Store,
    *,
    name: str,
    kind: str,
    level: str,
    actor: Actor,
    expected_version: int | None,
    now: datetime,
) -> StoredScenario:
    with store.transaction() as connection:
        row = _scenario_row(connection, name, lock=True)
        if row is None:
            raise UnknownScenario(f"there is no stored scenario named {name!r}")
        current = current_layers(connection, row.id, name)
        _check_expected(kind, current, expected_version)
        versions = live_versions(current)
        old = versions.get(kind)
        if old is None:
            raise UnknownScenario(f"scenario {name} has no stored {kind} layer")
        refusal = sharing_refusal(actor, kind, layer_owner=old.owner)
        if refusal is not None:
            raise LayerDenied(refusal)
        scenario = _read_scenario(connection, name, current)
        if old.sharing == level:
            return StoredScenario(row.id, name, scenario, versions, ())
        frame = getattr(scenario, kind)
        if actor.role != "admin":
            others = (frame["jurisdiction"].astype(object) != actor.jurisdiction).to_numpy()
            frame = keep_levels(frame, others, old.sharing)
            scenario = dataclasses.replace(scenario, **{kind: frame})
        versions[kind] = _store_version(
            connection,
            scenario_id=row.id,
            name=name,
            rows=serialise(kind, frame),
            version=old.version + 1,
            source=old.source,
            format=old.format,
            mode=SHARED,
            actor=actor,
            now=now,
            sharing=level,
            owner=old.owner,
        )
        audit.record(
            connection,
            actor=actor.username,
            action="sharing.changed",
            subject=f"scenario {name}: {kind}",
            before={"sharing": old.sharing, "version": old.version, "owner": old.owner},
            after={
                "sharing": level,
                "version": old.version + 1,
                "owner": old.owner,
                "by": actor.label,
            },
            now=now,
        )
    return StoredScenario(row.id, name, scenario, versions, (kind,))


# --- which scenario holds which jurisdiction (issue 13) -----------------------------------


def _current_jurisdictions(scenario_id: Any = None) -> sa.Select:
    # The ids in the highest version of each scenario's jurisdictions layer.
    highest = (
        sa.select(
            layer_versions.c.scenario_id, sa.func.max(layer_versions.c.version).label("version")
        )
        .where(layer_versions.c.kind == "jurisdictions")
        .group_by(layer_versions.c.scenario_id)
        .subquery()
    )
    query = (
        sa.select(layer_versions.c.scenario_id, layer_features.c.feature_id)
        .join(highest, layer_versions.c.scenario_id == highest.c.scenario_id)
        .join(layer_features, layer_features.c.layer_version_id == layer_versions.c.id)
        .where(layer_versions.c.kind == "jurisdictions")
        .where(layer_versions.c.version == highest.c.version)
    )
    if scenario_id is not None:
        query = query.where(layer_versions.c.scenario_id == scenario_id)
    return query


def scenario_jurisdictions(connection: Connection, scenario_id: int) -> frozenset[str]:
    """The ids of the jurisdictions in the current jurisdictions layer of the scenario
    with row id *scenario_id* (empty when it has none), read on *connection*."""
    rows = connection.execute(_current_jurisdictions(scenario_id)).all()
    return frozenset(str(r.feature_id) for r in rows if r.feature_id is not None)


def jurisdictions_by_scenario(store: Store) -> dict[str, frozenset[str]]:
    """Each stored scenario's name -> the ids of the jurisdictions its current
    jurisdictions layer holds (one read): which scenario a person of a jurisdiction
    starts on (:func:`mutualaid.scenario.catalogue.default_scenario`)."""
    with store.reading() as connection:
        names = dict(connection.execute(sa.select(scenarios.c.id, scenarios.c.name)).all())
        found: dict[str, set[str]] = {name: set() for name in names.values()}
        for row in connection.execute(_current_jurisdictions()):
            if row.feature_id is not None:
                found[names[row.scenario_id]].add(str(row.feature_id))
    return {name: frozenset(ids) for name, ids in found.items()}

"""Sharing levels and rights in the store (issue 6), on both backends: who may store which
layer, the level each version keeps, and revoking a share with set_layer_sharing."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from builders import collection
from meuse import incident, write_meuse
from mutualaid.access.actor import Actor, system_actor
from mutualaid.access.sharing import visible_scenario
from mutualaid.layers import load_layer
from mutualaid.scenario.loading import load_scenario
from mutualaid.store import audit, open_store
from mutualaid.store.layer_store import (
    LayerDenied,
    StaleLayer,
    layer_history,
    load_stored_scenario,
    save_layer,
    save_scenario,
    set_layer_sharing,
)
from mutualaid.store.migrate import current_revision, head_revision, upgrade
from mutualaid.store.tables import layer_versions

from .conftest import drop_database, new_database_url, upgrade_to

SYSTEM = system_actor("tester")
PIA = Actor("pia", "planner", "DE-NW")
NINA = Actor("nina", "coordinator", "NL-LI")
BEA = Actor("bea", "coordinator", "BE-WLG")
VIC = Actor("vic", "viewer", "DE-NW")
ROOT = Actor("root", "admin")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The Meuse scenario (tests/meuse.py) with an incident DE-NW shares with nobody."""
    return write_meuse(
        tmp_path / "meuse",
        incident(6.5, "I-DE-1"),
        incident(5.5, "I-NL-1"),
        incident(6.6, "I-DE-SECRET", sharing="owner"),
    )


@pytest.fixture
def stored(store, folder):
    result = load_scenario(folder)
    assert result.ok, [r.lines() for r in result.reports]
    return save_scenario(store, result.scenario, name="meuse", sources={}, actor=SYSTEM)


def incidents_file(*features) -> object:
    layer = load_layer(
        "u.geojson", kind="incidents", data=collection(*features), filename="u.geojson"
    )
    assert layer.ok, layer.report.lines()
    return layer.frame


def add_incidents(store, actor, frame, *, mode="merge", sharing="public", expected=None):
    return save_layer(
        store,
        scenario_name="meuse",
        kind="incidents",
        frame=frame,
        mode=mode,
        source="u.geojson",
        format="geojson",
        actor=actor,
        sharing=sharing,
        expected_version=expected,
    )


def rows(store):
    with store.reading() as connection:
        return list(audit.entries(connection, newest_first=False))


def seen_by(store, actor, kind="incidents"):
    current = load_stored_scenario(store, "meuse")
    view = visible_scenario(current.scenario, viewer=actor, layer_levels=current.layer_levels)
    return sorted(getattr(view, kind)["id"])


def version_count(store):
    with store.reading() as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(layer_versions)
        ).scalar_one()


# --- levels kept in the store ------------------------------------------------------------------


def test_round_trip_keeps_feature_and_layer_levels(store, stored):
    assert {k: (v.sharing, v.owner) for k, v in stored.versions.items()} == {
        k: ("public", None) for k in ("jurisdictions", "incidents", "resources", "agreements")
    }
    back = load_stored_scenario(store, "meuse")
    assert back.scenario.incidents["sharing"].tolist() == [None, None, "owner"]
    assert back.versions == stored.versions
    assert seen_by(store, NINA) == ["I-DE-1", "I-NL-1"]
    assert seen_by(store, PIA) == ["I-DE-1", "I-DE-SECRET", "I-NL-1"]


def test_a_scenario_stored_with_a_level(store, folder):
    scenario = load_scenario(folder).scenario
    stored = save_scenario(
        store, scenario, name="meuse", sources={}, actor=SYSTEM, sharing="partners"
    )
    assert stored.layer_levels == {
        "jurisdictions": "public",
        "incidents": "partners",
        "resources": "partners",
        "agreements": "public",
    }
    assert load_stored_scenario(store, "meuse").layer_levels == stored.layer_levels
    assert seen_by(store, BEA) == [] and seen_by(store, BEA, "resources") == []
    assert seen_by(store, NINA) == ["I-DE-1", "I-NL-1"]
    # the same files again keep their versions and levels: reloading a folder never
    # widens (or undoes the revoke of) a share; set_layer_sharing changes a level
    again = save_scenario(store, scenario, name="meuse", sources={}, actor=SYSTEM)
    assert again.changed == () and again.layer_levels == stored.layer_levels
    assert seen_by(store, BEA) == []


def test_a_planner_adds_its_own_incidents_at_a_level_and_records_its_jurisdiction(store, stored):
    result = add_incidents(
        store, PIA, incidents_file(incident(6.2, "I-DE-2")), sharing="partners", expected=1
    )
    version = result.versions["incidents"]
    assert (version.version, version.sharing, version.owner, version.loaded_by) == (
        2,
        "partners",
        "DE-NW",
        "pia",
    )
    assert seen_by(store, NINA) == ["I-DE-1", "I-DE-2", "I-NL-1"]  # a partner
    assert seen_by(store, BEA) == ["I-DE-1", "I-NL-1"]  # a stranger
    # the rows the merge did not bring keep the level they had
    levels = dict(zip(result.scenario.incidents["id"], result.scenario.incidents["sharing"]))
    assert levels == {
        "I-DE-1": "public",
        "I-NL-1": "public",
        "I-DE-SECRET": "owner",
        "I-DE-2": None,
    }
    assert rows(store)[-1].after["incidents"]["sharing"] == "partners"


# --- rights ------------------------------------------------------------------------------------


def test_a_planner_cannot_add_incidents_of_another_jurisdiction(store, stored):
    before = version_count(store)
    frame = incidents_file(incident(6.3, "I-DE-3"), incident(5.2, "I-7"), incident(5.3, "I-9"))
    with pytest.raises(LayerDenied) as denied:
        add_incidents(store, PIA, frame)
    message = (
        "pia (DE-NW planner) cannot add incidents I-7, I-9 of NL-LI: a planner adds "
        "layers for its own jurisdiction"
    )
    assert str(denied.value) == message
    assert version_count(store) == before
    assert "I-DE-3" not in seen_by(store, ROOT)
    last = rows(store)[-1]
    assert (last.action, last.actor, last.subject) == (
        "access.denied",
        "pia",
        "scenario meuse: incidents",
    )
    assert last.after["reason"] == message and last.after["jurisdiction"] == "DE-NW"
    with store.reading() as connection:
        assert audit.verify(connection).ok


def test_replacing_or_changing_another_jurisdictions_features_is_refused(store, stored):
    with pytest.raises(LayerDenied, match="cannot remove incidents I-NL-1 of NL-LI"):
        add_incidents(store, PIA, incidents_file(incident(6.5, "I-DE-1")), mode="replace")
    with pytest.raises(LayerDenied, match="cannot change incidents I-DE-1 of DE-NW"):
        add_incidents(store, NINA, incidents_file(incident(6.5, "I-DE-1", severity=5)))
    resources = load_stored_scenario(store, "meuse").scenario.resources.copy()
    resources.loc[resources["id"] == "R-DE-1", "quantity"] = 1
    with pytest.raises(
        LayerDenied, match="nina .NL-LI coordinator. cannot change resources R-DE-1 of DE-NW"
    ):
        save_layer(
            store,
            scenario_name="meuse",
            kind="resources",
            frame=resources,
            mode="replace",
            source="r.geojson",
            format="geojson",
            actor=NINA,
        )
    assert [r.action for r in rows(store)][-3:] == ["access.denied"] * 3
    # the same change by the owner goes through
    save_layer(
        store,
        scenario_name="meuse",
        kind="resources",
        frame=resources,
        mode="replace",
        source="r.geojson",
        format="geojson",
        actor=PIA,
    )


def test_a_viewer_changes_nothing_and_agreements_are_an_admins(store, stored):
    frame = incidents_file(incident(6.2, "I-DE-2"))
    with pytest.raises(LayerDenied, match="a viewer sees layers but does not change them"):
        add_incidents(store, VIC, frame)
    agreements = load_stored_scenario(store, "meuse").scenario.agreements.iloc[:0]
    for actor in (PIA, NINA):
        with pytest.raises(LayerDenied, match="only an admin changes the agreements"):
            save_layer(
                store,
                scenario_name="meuse",
                kind="agreements",
                frame=agreements,
                mode="replace",
                source="a.csv",
                format="csv",
                actor=actor,
            )
    assert [r.after["attempted"] for r in rows(store)[-3:]] == [
        "store the incidents layer",
        "store the agreements layer",
        "store the agreements layer",
    ]
    # an admin (the Agreements page) may
    result = save_layer(
        store,
        scenario_name="meuse",
        kind="agreements",
        frame=agreements,
        mode="replace",
        source="a.csv",
        format="csv",
        actor=ROOT,
    )
    assert result.versions["agreements"].version == 2
    assert seen_by(store, NINA) == ["I-DE-1", "I-NL-1"]  # no partners now: public only


def test_a_planner_cannot_store_a_whole_scenario_with_jurisdictions(store, folder):
    with pytest.raises(LayerDenied, match="only an admin changes the jurisdictions"):
        save_scenario(store, load_scenario(folder).scenario, name="meuse", sources={}, actor=PIA)
    assert version_count(store) == 0
    assert rows(store)[-1].subject == "scenario meuse"


# --- set_layer_sharing -------------------------------------------------------------------------


def test_the_owner_revokes_a_share_at_the_next_read(store, stored):
    add_incidents(store, PIA, incidents_file(incident(6.2, "I-DE-2")), sharing="partners")
    assert "I-DE-2" in seen_by(store, NINA)
    before = load_stored_scenario(store, "meuse")
    result = set_layer_sharing(
        store,
        scenario_name="meuse",
        kind="incidents",
        sharing="owner",
        actor=PIA,
        expected_version=2,
    )
    assert result.changed == ("incidents",)
    version = result.versions["incidents"]
    assert (version.version, version.sharing, version.owner, version.mode, version.features) == (
        3,
        "owner",
        "DE-NW",
        "sharing",
        4,
    )
    assert load_stored_scenario(store, "meuse").version_key != before.version_key
    assert seen_by(store, NINA) == ["I-DE-1", "I-NL-1"]
    assert seen_by(store, PIA) == ["I-DE-1", "I-DE-2", "I-DE-SECRET", "I-NL-1"]
    entry = rows(store)[-1]
    assert (entry.action, entry.actor, entry.subject) == (
        "sharing.changed",
        "pia",
        "scenario meuse: incidents",
    )
    assert (entry.before["sharing"], entry.after["sharing"]) == ("partners", "owner")
    assert (entry.before["version"], entry.after["version"]) == (2, 3)
    # giving it back
    set_layer_sharing(store, scenario_name="meuse", kind="incidents", sharing="partners", actor=PIA)
    assert "I-DE-2" in seen_by(store, NINA)
    # the same level again stores nothing
    again = set_layer_sharing(
        store, scenario_name="meuse", kind="incidents", sharing="partners", actor=PIA
    )
    assert again.changed == () and len(layer_history(store, "meuse", "incidents")) == 4


def test_an_owner_changes_who_sees_its_own_features_only(store, stored):
    add_incidents(store, PIA, incidents_file(incident(6.2, "I-DE-2")), sharing="public")
    set_layer_sharing(store, scenario_name="meuse", kind="incidents", sharing="owner", actor=PIA)
    assert seen_by(store, BEA) == ["I-NL-1"]  # NL-LI's incident stays public


def test_only_the_owner_or_an_admin_changes_a_layers_sharing(store, stored):
    add_incidents(store, PIA, incidents_file(incident(6.2, "I-DE-2")), sharing="partners")
    before = version_count(store)
    for actor in (NINA, VIC, Actor("olga", "planner", "NL-LI")):
        with pytest.raises(LayerDenied, match="cannot change who sees the incidents"):
            set_layer_sharing(
                store, scenario_name="meuse", kind="incidents", sharing="public", actor=actor
            )
    with pytest.raises(LayerDenied, match="stored by no jurisdiction"):
        set_layer_sharing(
            store, scenario_name="meuse", kind="resources", sharing="owner", actor=PIA
        )
    with pytest.raises(LayerDenied, match="have no sharing level"):
        set_layer_sharing(
            store, scenario_name="meuse", kind="agreements", sharing="owner", actor=ROOT
        )
    assert version_count(store) == before
    denied = rows(store)[-5:]
    assert [r.action for r in denied] == ["access.denied"] * 5
    assert denied[0].after["attempted"] == "share the incidents layer with public"
    # an admin may change any layer's level
    result = set_layer_sharing(
        store, scenario_name="meuse", kind="resources", sharing="owner", actor=ROOT
    )
    assert result.versions["resources"].sharing == "owner"
    assert seen_by(store, NINA, "resources") == ["R-NL-1"]


def test_a_stale_sharing_change_and_an_unknown_level_are_refused(store, stored):
    with pytest.raises(StaleLayer, match="since you loaded version 7"):
        set_layer_sharing(
            store,
            scenario_name="meuse",
            kind="incidents",
            sharing="owner",
            actor=ROOT,
            expected_version=7,
        )
    with pytest.raises(ValueError, match="sharing must be one of public, partners, owner"):
        set_layer_sharing(
            store, scenario_name="meuse", kind="incidents", sharing="friends", actor=ROOT
        )
    with pytest.raises(ValueError, match="sharing must be one of"):
        add_incidents(store, PIA, incidents_file(incident(6.2, "I-DE-2")), sharing="all")


# --- the migration -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_migration_0002_keeps_old_versions_public(kind, tmp_path, pg_admin):
    url = new_database_url(kind, tmp_path, pg_admin)
    try:
        store = open_store(url)
        upgrade_to(store, "0001")
        assert current_revision(store) == "0001"
        with store.transaction() as connection:
            connection.exec_driver_sql(
                "INSERT INTO scenarios (id, name, created_at, created_by) "
                "VALUES (1, 'old', '2026-11-28 20:00:00', 'x')"
            )
            connection.exec_driver_sql(
                "INSERT INTO layer_versions (id, scenario_id, kind, version, source, format, "
                "mode, sha256, features, loaded_by, loaded_at) VALUES (1, 1, 'incidents', 1, "
                "'i.geojson', 'geojson', 'replace', 'abc', 0, 'x', '2026-11-28 20:00:00')"
            )
        assert upgrade(store) == ("0001", head_revision())
        with store.reading() as connection:
            row = connection.execute(
                sa.select(layer_versions.c.sharing, layer_versions.c.owner)
            ).one()
        assert tuple(row) == ("public", None)
        store.dispose()
    finally:
        drop_database(url, pg_admin)


def test_a_refusal_does_not_name_the_owner_of_a_hidden_feature(store, stored):
    # NL-LI may not see DE-NW's owner-only incident; an upload reusing its id learns
    # only that it belongs to another jurisdiction
    with pytest.raises(LayerDenied) as denied:
        add_incidents(store, NINA, incidents_file(incident(5.5, "I-DE-SECRET")))
    assert str(denied.value) == (
        "nina (NL-LI coordinator) cannot change incidents "
        "I-DE-SECRET of another jurisdiction: a coordinator adds "
        "layers for its own jurisdiction"
    )
    # a visible one is named with its owner
    with pytest.raises(LayerDenied, match="cannot change incidents I-DE-1 of DE-NW"):
        add_incidents(store, NINA, incidents_file(incident(5.5, "I-DE-1")))

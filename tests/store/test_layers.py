"""Scenarios and layer versions in the store (mutualaid.store.layer_store), on both backends."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from geopandas.testing import assert_geodataframe_equal
from pandas.testing import assert_frame_equal

from mutualaid.access.actor import Actor, system_actor
from mutualaid.allocation import allocate
from mutualaid.layers import load_layer
from mutualaid.scenario.loading import load_scenario
from mutualaid.scenario.merging import LayerRefused
from mutualaid.store import audit
from mutualaid.store.layer_store import (
    LayerVersion,
    StaleLayer,
    UnitsInUse,
    UnknownScenario,
    current_versions,
    layer_history,
    load_stored_scenario,
    save_layer,
    save_scenario,
    scenario_names,
    serialise,
)
from mutualaid.store.tables import layer_features, layer_versions, units

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ("rhine-flood-2021", "lake-chad")
LOADER = system_actor("tester")
# Admins: these tests are about versions, merges and races, not rights (those are in
# test_sharing_store.py); a planner may change only its own jurisdiction's features.
ALICE = Actor("alice", "admin", "DE-NW")
BOB = Actor("bob", "admin", "DE-RP")


@pytest.fixture(scope="module")
def samples():
    out = {}
    for name in SAMPLES:
        result = load_scenario(ROOT / "data" / name)
        assert result.ok, [r.lines() for r in result.reports]
        out[name] = result.scenario
    return out


@pytest.fixture
def rhine(samples):
    return samples["rhine-flood-2021"]


def save(store, scenario, name="rhine", actor=LOADER, now=None):
    return save_scenario(
        store, scenario, name=name, sources={"incidents": "incidents.geojson"}, actor=actor, now=now
    )


def audit_rows(store):
    with store.reading() as connection:
        return list(audit.entries(connection, newest_first=False))


def verified(store):
    with store.reading() as connection:
        return audit.verify(connection)


def count(store, table, *where):
    with store.reading() as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(table).where(*where)
        ).scalar_one()


def assert_same_scenario(a, b):
    for kind in ("jurisdictions", "incidents", "resources"):
        assert_geodataframe_equal(getattr(a, kind), getattr(b, kind), check_less_precise=False)
    assert_frame_equal(a.agreements, b.agreements)
    if a.travel_times is None:
        assert b.travel_times is None
    else:
        assert_frame_equal(a.travel_times, b.travel_times)


def plan_summary(scenario):
    summary = allocate(scenario).to_dict()["summary"]
    return {
        k: summary[k]
        for k in ("weighted_coverage", "unit_minutes", "units_assigned", "units_needed")
    }


def units_table(store, scenario_id):
    with store.reading() as connection:
        rows = connection.execute(sa.select(units).where(units.c.scenario_id == scenario_id))
        return {r.resource_id: (r.type, r.jurisdiction, r.quantity, r.committed) for r in rows}


def commit_units(store, scenario_id, resource_id, n):
    # What the workflow does when a provider commits units (tested in its own module).
    with store.transaction() as connection:
        connection.execute(
            units.update()
            .where(units.c.scenario_id == scenario_id, units.c.resource_id == resource_id)
            .values(committed=n)
        )


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_scenario_round_trip(store, samples, name):
    original = samples[name]
    stored = save_scenario(store, original, name=name, sources={}, actor=LOADER)
    assert set(stored.changed) == {"jurisdictions", "incidents", "resources", "agreements"}
    back = load_stored_scenario(store, name)
    assert back is not None and back.name == name and back.scenario.name == name
    assert_same_scenario(original, back.scenario)
    assert plan_summary(back.scenario) == plan_summary(original)
    assert back.version_key == stored.version_key
    # the stored content hashes again to the same value: reloading stores nothing new
    for kind, version in back.versions.items():
        assert serialise(kind, getattr(back.scenario, kind)).sha256 == version.sha256


def test_feature_rows_keep_file_order_ids_and_owners(store, rhine):
    stored = save(store, rhine)
    version = stored.versions["resources"]
    with store.reading() as connection:
        rows = connection.execute(
            sa.select(layer_features)
            .where(layer_features.c.layer_version_id == version.id)
            .order_by(layer_features.c.position)
        ).all()
    assert [r.feature_id for r in rows] == rhine.resources["id"].tolist()
    assert [r.jurisdiction for r in rows] == rhine.resources["jurisdiction"].tolist()
    assert version.features == len(rows) == len(rhine.resources)
    # derived columns are recomputed on the way back, not stored
    assert '"lon"' not in rows[0].properties and '"quantity"' in rows[0].properties


def test_travel_times_round_trip_and_drop(store, rhine):
    times = load_layer(
        "t.csv",
        kind="travel_times",
        filename="t.csv",
        data=(
            f"resource_id,incident_id,minutes\n"
            f"{rhine.resources['id'][0]},{rhine.incidents['id'][0]},42.5\n"
        ).encode(),
    )
    assert times.report.ok
    scenario = dataclasses.replace(rhine, travel_times=times.frame)
    save(store, scenario)
    back = load_stored_scenario(store, "rhine").scenario
    assert_frame_equal(back.travel_times, times.frame)
    again = save(store, rhine)  # the folder without its travel_times.csv
    assert again.changed == ("travel_times",)
    assert "travel_times" not in again.versions
    assert load_stored_scenario(store, "rhine").scenario.travel_times is None
    assert [v.mode for v in layer_history(store, "rhine", "travel_times")] == ["removed", "replace"]
    # the drop is version 2: a change based on it is current, one based on version 1 is not
    with pytest.raises(StaleLayer, match="version 2"):
        save_layer(
            store,
            scenario_name="rhine",
            kind="travel_times",
            frame=times.frame,
            mode="replace",
            source="t.csv",
            format="csv",
            actor=ALICE,
            expected_version=1,
        )
    stored = save_layer(
        store,
        scenario_name="rhine",
        kind="travel_times",
        frame=times.frame,
        mode="replace",
        source="t.csv",
        format="csv",
        actor=ALICE,
        expected_version=2,
    )
    assert stored.versions["travel_times"].version == 3
    assert_frame_equal(load_stored_scenario(store, "rhine").scenario.travel_times, times.frame)


# --- versions -----------------------------------------------------------------------------


def test_unchanged_layers_are_not_stored_again(store, rhine):
    first = save(store, rhine)
    second = save(store, rhine)
    assert second.changed == ()
    assert {k: v.version for k, v in second.versions.items()} == {
        "jurisdictions": 1,
        "incidents": 1,
        "resources": 1,
        "agreements": 1,
    }
    assert second.version_key == first.version_key
    assert count(store, layer_versions) == 4
    # every load is audited, changed or not
    assert [e.action for e in audit_rows(store)] == ["scenario.loaded"] * 2


def test_a_changed_layer_gets_the_next_version(store, rhine):
    first = save(store, rhine, now=datetime(2026, 11, 28, 20, 0, tzinfo=UTC))
    incidents = rhine.incidents.copy()
    incidents.loc[0, "severity"] = 1 if incidents.loc[0, "severity"] != 1 else 2
    changed = dataclasses.replace(rhine, incidents=incidents)
    second = save(store, changed, actor=ALICE, now=datetime(2026, 11, 28, 20, 5, tzinfo=UTC))
    assert second.changed == ("incidents",)
    assert second.versions["incidents"].version == 2
    assert second.versions["incidents"].loaded_by == "alice"
    assert second.versions["jurisdictions"] == first.versions["jurisdictions"]
    assert second.version_key != first.version_key
    history = layer_history(store, "rhine", "incidents")
    assert [v.version for v in history] == [2, 1]
    assert all(isinstance(v, LayerVersion) for v in history)
    assert len(layer_history(store, "rhine")) == 5
    assert current_versions(store, "rhine") == second.versions
    assert_same_scenario(changed, load_stored_scenario(store, "rhine").scenario)
    entry = audit_rows(store)[-1]
    assert entry.actor == "alice" and entry.subject == "scenario rhine"
    assert entry.after["incidents"]["version"] == 2 and entry.after["incidents"]["changed"]
    assert entry.after["resources"]["changed"] is False


def test_names_and_missing_scenarios(store, samples):
    assert scenario_names(store) == []
    assert load_stored_scenario(store, "nowhere") is None
    assert current_versions(store, "nowhere") == {} and layer_history(store, "nowhere") == []
    save(store, samples["lake-chad"], name="b")
    save(store, samples["rhine-flood-2021"], name="a")
    assert scenario_names(store) == ["a", "b"]
    with pytest.raises(UnknownScenario, match="nowhere"):
        save_layer(
            store,
            scenario_name="nowhere",
            kind="incidents",
            frame=samples["lake-chad"].incidents,
            mode="merge",
            source="x.geojson",
            format="geojson",
            actor=ALICE,
        )


# --- save_layer -----------------------------------------------------------------------------


def new_incidents(rhine):
    extra = rhine.incidents.iloc[[0, 1]].copy().reset_index(drop=True)
    extra.loc[0, "severity"] = 1 if extra.loc[0, "severity"] != 1 else 2  # an existing id
    extra.loc[1, "id"] = "I-NEW-1"  # a new one
    extra.loc[1, "name"] = "A new incident"
    return extra


def test_save_layer_merge(store, rhine):
    save(store, rhine)
    extra = new_incidents(rhine)
    stored = save_layer(
        store,
        scenario_name="rhine",
        kind="incidents",
        frame=extra,
        mode="merge",
        source="update.geojson",
        format="geojson",
        actor=ALICE,
        expected_version=1,
    )
    incidents = stored.scenario.incidents
    assert len(incidents) == len(rhine.incidents) + 1
    assert incidents["id"].tolist()[-1] == "I-NEW-1"
    assert incidents.loc[0, "severity"] == extra.loc[0, "severity"]
    version = stored.versions["incidents"]
    assert (version.version, version.mode, version.source, version.features) == (
        2,
        "merge",
        "update.geojson",
        len(rhine.incidents) + 1,
    )
    assert stored.changed == ("incidents",)
    assert_same_scenario(stored.scenario, load_stored_scenario(store, "rhine").scenario)
    entry = audit_rows(store)[-1]
    assert entry.action == "layer.loaded" and entry.actor == "alice"
    assert entry.before["incidents"]["version"] == 1
    assert entry.after["incidents"]["version"] == 2
    assert entry.after["incidents"]["source"] == "update.geojson"
    assert verified(store).ok


def test_save_layer_replace_and_units_follow(store, rhine):
    first = save(store, rhine)
    # a resource out of service lists no units to commit (issue 12)
    assert units_table(store, first.id) == {
        r.id: (r.type, r.jurisdiction, 0 if r.status == "out_of_service" else int(r.quantity), 0)
        for r in rhine.resources.itertuples()
    }
    resources = rhine.resources.iloc[:10].copy()
    resources.loc[0, "quantity"] = int(resources.loc[0, "quantity"]) + 3
    stored = save_layer(
        store,
        scenario_name="rhine",
        kind="resources",
        frame=resources,
        mode="replace",
        source="ten.geojson",
        format="geojson",
        actor=ALICE,
    )
    assert stored.scenario.resources["id"].tolist() == resources["id"].tolist()
    table = units_table(store, first.id)
    assert set(table) == set(resources["id"])
    assert table[resources.loc[0, "id"]][2] == int(resources.loc[0, "quantity"])
    assert_same_scenario(stored.scenario, load_stored_scenario(store, "rhine").scenario)


def test_agreements_change_is_audited_as_such(store, rhine):
    save(store, rhine)
    agreements = rhine.agreements.iloc[:5].copy()
    save_layer(
        store,
        scenario_name="rhine",
        kind="agreements",
        frame=agreements,
        mode="replace",
        source="agreements.csv",
        format="csv",
        actor=ALICE,
    )
    entry = audit_rows(store)[-1]
    assert entry.action == "agreement.changed"
    assert entry.before["agreements"]["features"] == len(rhine.agreements)
    assert entry.after["agreements"]["features"] == 5
    assert_frame_equal(
        load_stored_scenario(store, "rhine").scenario.agreements, agreements.reset_index(drop=True)
    )


def test_redrawn_jurisdictions_place_incidents_and_resources_again(store, rhine):
    first = save(store, rhine)
    jurisdictions = rhine.jurisdictions.copy()
    jurisdictions.loc[jurisdictions["id"] == "DE-NW", "id"] = "DE-NRW"
    stored = save_layer(
        store,
        scenario_name="rhine",
        kind="jurisdictions",
        frame=jurisdictions,
        mode="replace",
        source="renamed.geojson",
        format="geojson",
        actor=ALICE,
    )
    assert set(stored.changed) == {"jurisdictions", "incidents", "resources"}
    assert stored.versions["resources"].mode == "rechecked"
    assert stored.versions["agreements"].version == 1
    owners = set(stored.scenario.resources["jurisdiction"])
    assert "DE-NRW" in owners and "DE-NW" not in owners
    assert {j for _, j, _, _ in units_table(store, first.id).values()} == owners
    assert_same_scenario(stored.scenario, load_stored_scenario(store, "rhine").scenario)
    entry = audit_rows(store)[-1]
    assert set(entry.after) == {"jurisdictions", "incidents", "resources"}


def test_refused_layer_stores_nothing(store, rhine):
    save(store, rhine)
    before_versions, before_rows = count(store, layer_versions), count(store, layer_features)
    before_audit = len(audit_rows(store))
    # only three jurisdictions: the other resources' owners no longer exist
    few = rhine.jurisdictions.iloc[:3].copy()
    with pytest.raises(LayerRefused) as refused:
        save_layer(
            store,
            scenario_name="rhine",
            kind="jurisdictions",
            frame=few,
            mode="replace",
            source="few.geojson",
            format="geojson",
            actor=ALICE,
        )
    assert refused.value.problems
    assert count(store, layer_versions) == before_versions
    assert count(store, layer_features) == before_rows
    assert len(audit_rows(store)) == before_audit
    assert_same_scenario(rhine, load_stored_scenario(store, "rhine").scenario)


# --- concurrent and stale changes --------------------------------------------------------------


def test_stale_expected_version_is_refused_naming_who(store, rhine):
    save(store, rhine)
    at = datetime(2026, 11, 28, 20, 31, tzinfo=UTC)
    save_layer(
        store,
        scenario_name="rhine",
        kind="incidents",
        frame=new_incidents(rhine),
        mode="merge",
        source="bob.geojson",
        format="geojson",
        actor=BOB,
        expected_version=1,
        now=at,
    )
    before_audit = len(audit_rows(store))
    with pytest.raises(StaleLayer) as stale:
        save_layer(
            store,
            scenario_name="rhine",
            kind="incidents",
            frame=new_incidents(rhine),
            mode="merge",
            source="alice.geojson",
            format="geojson",
            actor=ALICE,
            expected_version=1,
        )
    assert str(stale.value) == (
        "the incidents layer was changed by bob at 20:31 UTC "
        "(version 2) since you loaded version 1; load it again"
    )
    assert len(audit_rows(store)) == before_audit
    assert [v.version for v in layer_history(store, "rhine", "incidents")] == [2, 1]


def test_two_writers_on_the_same_base_exactly_one_wins(store, rhine):
    save(store, rhine)
    frames = []
    for n in range(4):
        extra = rhine.incidents.iloc[[0]].copy().reset_index(drop=True)
        extra.loc[0, "id"] = f"I-RACE-{n}"
        frames.append(extra)
    barrier = threading.Barrier(len(frames))
    outcomes: list[object] = [None] * len(frames)

    def write(n: int) -> None:
        barrier.wait()
        try:
            outcomes[n] = save_layer(
                store,
                scenario_name="rhine",
                kind="incidents",
                frame=frames[n],
                mode="merge",
                source=f"w{n}.geojson",
                format="geojson",
                actor=Actor(f"w{n}", "admin"),
                expected_version=1,
            )
        except Exception as exc:  # noqa: BLE001 - the outcome is what is checked
            outcomes[n] = exc

    threads = [threading.Thread(target=write, args=(n,)) for n in range(len(frames))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(o, StaleLayer) for o in losers), losers
    who = winners[0].versions["incidents"].loaded_by
    assert all(f"changed by {who}" in str(o) for o in losers)
    assert [v.version for v in layer_history(store, "rhine", "incidents")] == [2, 1]
    ids = load_stored_scenario(store, "rhine").scenario.incidents["id"].tolist()
    assert sum(i.startswith("I-RACE-") for i in ids) == 1
    assert verified(store).ok


def test_concurrent_merges_without_a_base_version_lose_nothing(store, rhine):
    save(store, rhine)
    writers = 4
    barrier = threading.Barrier(writers)
    errors: list[Exception] = []

    def write(n: int) -> None:
        extra = rhine.incidents.iloc[[n]].copy().reset_index(drop=True)
        extra.loc[0, "id"] = f"I-ADD-{n}"
        barrier.wait()
        try:
            save_layer(
                store,
                scenario_name="rhine",
                kind="incidents",
                frame=extra,
                mode="merge",
                source=f"w{n}.geojson",
                format="geojson",
                actor=Actor(f"w{n}", "admin"),
            )
        except Exception as exc:  # noqa: BLE001 - checked below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # each merge was applied to the one before it: none lost
    ids = load_stored_scenario(store, "rhine").scenario.incidents["id"].tolist()
    assert sorted(i for i in ids if i.startswith("I-ADD-")) == [
        f"I-ADD-{n}" for n in range(writers)
    ]
    history = layer_history(store, "rhine", "incidents")
    assert [v.version for v in history] == list(range(writers + 1, 0, -1))
    assert [v.features for v in history] == [
        len(rhine.incidents) + n for n in range(writers, -1, -1)
    ]
    assert verified(store).ok


# --- committed units --------------------------------------------------------------------------


def committed_resource(rhine):
    row = rhine.resources[rhine.resources["quantity"] >= 2].iloc[0]
    return row["id"], row["type"], row["jurisdiction"]


@pytest.mark.parametrize("change", ["remove", "fewer", "type", "owner"])
def test_units_in_use_refuse_the_change(store, rhine, change):
    first = save(store, rhine)
    rid, rtype, owner = committed_resource(rhine)
    commit_units(store, first.id, rid, 2)
    resources = rhine.resources.copy()
    at = resources.index[resources["id"] == rid][0]
    if change == "remove":
        resources = resources.drop(index=at)
        said = "the new layer removes it"
    elif change == "fewer":
        resources.loc[at, "quantity"] = 1
        said = "the new layer lists 1"
    elif change == "type":
        resources.loc[at, "type"] = "generator" if rtype != "generator" else "pump"
        said = "the new layer makes it a"
    else:
        other = next(j for j in rhine.jurisdictions["id"] if j != owner)
        resources.loc[at, "jurisdiction"] = other
        said = f"the new layer gives it to {other}"
    before_audit, before_versions = len(audit_rows(store)), count(store, layer_versions)
    with pytest.raises(UnitsInUse) as refused:
        save_layer(
            store,
            scenario_name="rhine",
            kind="resources",
            frame=resources,
            mode="replace",
            source="r.geojson",
            format="geojson",
            actor=ALICE,
        )
    assert f"resource {rid} ({rtype}, {owner}): 2 units are committed to offers" in str(
        refused.value
    )
    assert said in str(refused.value)
    assert count(store, layer_versions) == before_versions
    assert len(audit_rows(store)) == before_audit
    assert units_table(store, first.id)[rid][3] == 2
    # the same through a scenario reload
    changed = dataclasses.replace(rhine, resources=resources.reset_index(drop=True))
    with pytest.raises(UnitsInUse):
        save(store, changed)
    assert count(store, layer_versions) == before_versions


def test_a_change_keeping_committed_units_is_allowed(store, rhine):
    first = save(store, rhine)
    rid, _, _ = committed_resource(rhine)
    commit_units(store, first.id, rid, 2)
    resources = rhine.resources.copy()
    at = resources.index[resources["id"] == rid][0]
    resources.loc[at, "quantity"] = 2
    save_layer(
        store,
        scenario_name="rhine",
        kind="resources",
        frame=resources,
        mode="replace",
        source="r.geojson",
        format="geojson",
        actor=ALICE,
    )
    assert units_table(store, first.id)[rid][2:] == (2, 2)
    assert verified(store).ok

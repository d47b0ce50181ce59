"""One incident or resource changed in the app (issue 12, mutualaid.store.layer_store.edits),
on both backends: each kind of change, who may, the audit rows, stale pages, the upload's
rules and words, units held by the workflow, uploads after edits, the version key."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from geopandas.testing import assert_geodataframe_equal

from mutualaid.access.actor import Actor, system_actor
from mutualaid.layers.problems import Report
from mutualaid.layers.validate import validate_incidents, validate_resources
from mutualaid.scenario.loading import load_scenario
from mutualaid.scenario.merging import LayerRefused
from mutualaid.store import audit
from mutualaid.store.layer_store import (
    LayerDenied,
    StaleLayer,
    UnitsInUse,
    UnknownFeature,
    current_versions,
    describe,
    edit_feature,
    editable,
    load_stored_scenario,
    save_layer,
    save_scenario,
    set_layer_sharing,
)
from mutualaid.store.layer_store.edits import FeatureEdit
from mutualaid.store.tables import feature_edits, layer_versions, requests, units

from .conftest import insert_offer, insert_plan

ROOT = Path(__file__).resolve().parents[2]
LOADER = system_actor("tester")
ADMIN = Actor("ada", "admin", None)
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def rhine():
    result = load_scenario(ROOT / "data" / "rhine-flood-2021")
    assert result.ok, [r.lines() for r in result.reports]
    return result.scenario


@pytest.fixture
def stored(store, rhine):
    return save_scenario(store, rhine, name="rhine", sources={}, actor=LOADER, now=T0)


def first_incident(rhine):
    row = rhine.incidents[rhine.incidents["status"] == "active"].iloc[0]
    return row["id"], row["jurisdiction"]


def available_resource(rhine, at_least=1):
    frame = rhine.resources
    row = frame[(frame["status"] == "available") & (frame["quantity"] >= at_least)].iloc[0]
    return row["id"], row["jurisdiction"]


def planner_of(jurisdiction, name="pia", role="planner"):
    return Actor(name, role, jurisdiction)


def audit_rows(store, action=None):
    with store.reading() as connection:
        rows = list(audit.entries(connection, newest_first=False))
    return [r for r in rows if action is None or r.action == action]


def count(store, table):
    with store.reading() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def units_row(store, scenario_id, resource_id):
    with store.reading() as connection:
        row = connection.execute(
            sa.select(units.c.quantity, units.c.committed).where(
                units.c.scenario_id == scenario_id, units.c.resource_id == resource_id
            )
        ).first()
    return tuple(row)


def changed_row(frame, feature_id, **values):
    out = frame.copy()
    at = out.index[out["id"] == feature_id][0]
    for field, value in values.items():
        out.at[at, field] = value
    return out


# --- each kind of change ------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "contained"},
        {"status": "closed"},
        {"severity": 1},
        {"needs": {"boat": 7, "pump": 2}},
        {"max_response_min": 45.0},
        {"status": "contained", "severity": 2},
    ],
)
def test_an_incident_change_is_read_back_as_if_the_layer_had_it(store, stored, rhine, changes):
    fid, owner = first_incident(rhine)
    versions_before = count(store, layer_versions)
    edit = edit_feature(
        store,
        "rhine",
        kind="incidents",
        feature_id=fid,
        changes=changes,
        actor=planner_of(owner),
        expected_version=1,
        now=T0,
    )
    assert edit.changed and set(edit.after) == set(changes)
    assert count(store, layer_versions) == versions_before  # a small change, no new version
    assert count(store, feature_edits) == 1
    back = load_stored_scenario(store, "rhine")
    expected = changed_row(rhine.incidents, fid, **changes)
    assert_geodataframe_equal(back.scenario.incidents, expected, check_less_precise=False)
    assert_geodataframe_equal(back.scenario.resources, rhine.resources)
    assert back.versions["incidents"].version == 1
    assert back.versions["incidents"].edit == edit.edit_id == edit.version.edit
    assert back.version_key != stored.version_key
    assert current_versions(store, "rhine") == back.versions


def test_the_audit_row_has_the_changed_fields_only(store, stored, rhine):
    fid, owner = first_incident(rhine)
    old = rhine.incidents.set_index("id").loc[fid]
    edit = edit_feature(
        store,
        "rhine",
        kind="incidents",
        feature_id=fid,
        changes={"status": "contained", "severity": int(old["severity"])},  # severity as it was
        actor=planner_of(owner),
        expected_version=1,
        now=T0,
    )
    (row,) = audit_rows(store, "feature.edited")
    assert row.actor == "pia" and row.subject == f"scenario rhine: incidents {fid}"
    assert row.before == {"status": "active"} and row.after == {"status": "contained"}
    assert row.readers == (owner,)
    assert edit.before == row.before and edit.after == row.after
    assert describe(edit) == f"incident {fid} changed: status active → contained"
    with store.reading() as connection:
        assert audit.verify(connection).ok


def test_a_change_to_the_same_values_stores_nothing(store, stored, rhine):
    fid, owner = first_incident(rhine)
    edit = edit_feature(
        store,
        "rhine",
        kind="incidents",
        feature_id=fid,
        changes={"status": "Active"},  # read as an upload reads it: active
        actor=planner_of(owner),
        expected_version=1,
    )
    assert not edit.changed and edit.after == {}
    assert count(store, feature_edits) == 0 and audit_rows(store, "feature.edited") == []
    assert load_stored_scenario(store, "rhine").version_key == stored.version_key


def test_the_latest_change_of_a_feature_wins(store, stored, rhine):
    fid, owner = first_incident(rhine)
    for status in ("contained", "closed"):
        edit_feature(
            store,
            "rhine",
            kind="incidents",
            feature_id=fid,
            changes={"status": status},
            actor=planner_of(owner),
            expected_version=1,
        )
    incidents = load_stored_scenario(store, "rhine").scenario.incidents.set_index("id")
    assert incidents.loc[fid, "status"] == "closed"
    assert [r.before for r in audit_rows(store, "feature.edited")] == [
        {"status": "active"},
        {"status": "contained"},
    ]


def test_a_resource_out_of_service_and_back(store, stored, rhine):
    rid, owner = available_resource(rhine, at_least=2)
    quantity = int(rhine.resources.set_index("id").loc[rid, "quantity"])
    coordinator = planner_of(owner, "cora", "coordinator")
    version = 1
    for status, units_listed in (("out_of_service", 0), ("available", quantity)):
        edit = edit_feature(
            store,
            "rhine",
            kind="resources",
            feature_id=rid,
            changes={"status": status},
            actor=coordinator,
            expected_version=version,
        )
        assert edit.after == {"status": status}
        assert units_row(store, stored.id, rid) == (units_listed, 0)
        back = load_stored_scenario(store, "rhine").scenario.resources.set_index("id")
        assert back.loc[rid, "status"] == status and back.loc[rid, "quantity"] == quantity
    edit_feature(
        store,
        "rhine",
        kind="resources",
        feature_id=rid,
        changes={"quantity": quantity + 3},
        actor=coordinator,
        expected_version=version,
    )
    assert units_row(store, stored.id, rid) == (quantity + 3, 0)


# --- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["other planner", "viewer", "unbound planner"])
def test_only_the_owner_may_change_a_feature_and_refusals_are_audited(store, stored, rhine, who):
    fid, owner = first_incident(rhine)
    other = next(j for j in rhine.jurisdictions["id"] if j != owner)
    actor = {
        "other planner": Actor("olaf", "planner", other),
        "viewer": Actor("vic", "viewer", owner),
        "unbound planner": Actor("una", "planner", None),
    }[who]
    with pytest.raises(LayerDenied) as denied:
        edit_feature(
            store,
            "rhine",
            kind="incidents",
            feature_id=fid,
            changes={"status": "closed"},
            actor=actor,
            expected_version=1,
        )
    if who == "other planner":
        assert f"cannot change incidents {fid} of {owner}" in str(denied.value)
    assert count(store, feature_edits) == 0
    (row,) = audit_rows(store, "access.denied")
    assert row.actor == actor.username and row.subject == f"scenario rhine: incidents {fid}"
    assert row.after["reason"] == str(denied.value)
    assert row.after["attempted"] == f"change incident {fid} (status)"
    assert not editable(actor, "incidents", owner)


def test_an_admin_changes_any_feature(store, stored, rhine):
    fid, owner = first_incident(rhine)
    assert editable(ADMIN, "incidents", owner) and editable(planner_of(owner), "incidents", owner)
    edit = edit_feature(
        store,
        "rhine",
        kind="incidents",
        feature_id=fid,
        changes={"severity": 1},
        actor=ADMIN,
        expected_version=None,
    )
    assert edit.changed and audit_rows(store, "feature.edited")[0].readers == (owner,)


def test_a_hidden_feature_of_another_jurisdiction_is_not_named(store, stored, rhine):
    fid, owner = first_incident(rhine)
    set_layer_sharing(store, scenario_name="rhine", kind="incidents", sharing="owner", actor=ADMIN)
    other = next(j for j in rhine.jurisdictions["id"] if j != owner)
    with pytest.raises(LayerDenied) as denied:
        edit_feature(
            store,
            "rhine",
            kind="incidents",
            feature_id=fid,
            changes={"status": "closed"},
            actor=Actor("olaf", "planner", other),
            expected_version=2,
        )
    assert f"incidents {fid} of another jurisdiction:" in str(denied.value)
    assert f" of {owner}" not in str(denied.value)


def test_unknown_features_and_fields(store, stored, rhine):
    fid, owner = first_incident(rhine)
    with pytest.raises(UnknownFeature, match="no incident I-NOWHERE"):
        edit_feature(
            store,
            "rhine",
            kind="incidents",
            feature_id="I-NOWHERE",
            changes={"status": "closed"},
            actor=ADMIN,
            expected_version=1,
        )
    with pytest.raises(ValueError, match="not hazard"):
        edit_feature(
            store,
            "rhine",
            kind="incidents",
            feature_id=fid,
            changes={"hazard": "storm"},
            actor=ADMIN,
            expected_version=1,
        )
    with pytest.raises(ValueError, match="not jurisdictions"):
        edit_feature(
            store,
            "rhine",
            kind="jurisdictions",
            feature_id=owner,
            changes={"status": "closed"},
            actor=ADMIN,
            expected_version=1,
        )


# --- stale pages --------------------------------------------------------------------------


def test_a_page_drawn_before_a_new_upload_is_stale(store, stored, rhine):
    fid, owner = first_incident(rhine)
    save_layer(
        store,
        scenario_name="rhine",
        kind="incidents",
        frame=rhine.incidents,
        mode="replace",
        source="again.geojson",
        format="geojson",
        actor=Actor("bob", "admin", None),
        now=datetime(2026, 12, 7, 9, 30, tzinfo=UTC),
    )
    with pytest.raises(StaleLayer) as stale:
        edit_feature(
            store,
            "rhine",
            kind="incidents",
            feature_id=fid,
            changes={"status": "closed"},
            actor=planner_of(owner),
            expected_version=1,
        )
    assert "stored again by bob at 09:30 UTC (version 2)" in str(stale.value)
    assert count(store, feature_edits) == 0


def test_a_page_drawn_before_another_change_of_the_feature_is_stale(store, stored, rhine):
    fid, owner = first_incident(rhine)
    other_fid = rhine.incidents["id"].iloc[-1]
    shown = current_versions(store, "rhine")["incidents"]
    edit_feature(
        store,
        "rhine",
        kind="incidents",
        feature_id=fid,
        changes={"status": "contained"},
        actor=planner_of(owner, "nora"),
        expected_version=shown.version,
        expected_edit=shown.edit,
        now=datetime(2026, 12, 7, 9, 41, tzinfo=UTC),
    )
    with pytest.raises(StaleLayer, match="was changed by nora at 09:41 UTC"):
        edit_feature(
            store,
            "rhine",
            kind="incidents",
            feature_id=fid,
            changes={"status": "closed"},
            actor=planner_of(owner, "pia"),
            expected_version=shown.version,
            expected_edit=shown.edit,
        )
    # another feature's change, from the same page, does not conflict
    edit_feature(
        store,
        "rhine",
        kind="incidents",
        feature_id=other_fid,
        changes={"severity": 1},
        actor=ADMIN,
        expected_version=shown.version,
        expected_edit=shown.edit,
    )
    incidents = load_stored_scenario(store, "rhine").scenario.incidents.set_index("id")
    assert incidents.loc[fid, "status"] == "contained" and incidents.loc[other_fid, "severity"] == 1


# --- the upload's rules and words ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "changes"),
    [
        ("incidents", {"severity": 7}),
        ("incidents", {"severity": "extreme"}),
        ("incidents", {"status": "burning"}),
        ("incidents", {"needs": {"boat": -1}}),
        ("incidents", {"needs": "two boats"}),
        ("incidents", {"max_response_min": 0}),
        ("resources", {"quantity": 0}),
        ("resources", {"quantity": 2.5}),
        ("resources", {"status": "broken"}),
    ],
)
def test_invalid_values_are_refused_with_the_uploads_words(store, stored, rhine, kind, changes):
    if kind == "incidents":
        fid, owner = first_incident(rhine)
        frame = changed_row(rhine.incidents.astype(dict.fromkeys(changes, object)), fid, **changes)
        _, upload = validate_incidents(frame, jurisdictions=rhine.jurisdictions)
    else:
        fid, owner = available_resource(rhine)
        frame = changed_row(rhine.resources.astype(dict.fromkeys(changes, object)), fid, **changes)
        _, upload = validate_resources(frame, jurisdictions=rhine.jurisdictions)
    assert upload.errors  # the upload refuses it too
    with pytest.raises(LayerRefused) as refused:
        edit_feature(
            store,
            "rhine",
            kind=kind,
            feature_id=fid,
            changes=changes,
            actor=planner_of(owner),
            expected_version=1,
        )
    assert [p.describe() for p in refused.value.problems] == [p.describe() for p in upload.errors]
    assert count(store, feature_edits) == 0 and audit_rows(store, "feature.edited") == []


# --- units held by the workflow -----------------------------------------------------------


def hold_units(store, scenario_id, resource_id, rtype, owner, n, state="committed"):
    """An offer of *n* units of *resource_id* in *state*, and those units held."""
    with store.transaction() as connection:
        request_id = connection.execute(
            requests.insert()
            .values(
                scenario_id=scenario_id,
                jurisdiction="NL-LI",
                state="open",
                note="",
                version=1,
                created_by="nora",
                created_at=T0,
                updated_by="nora",
                updated_at=T0,
            )
            .returning(requests.c.id)
        ).scalar_one()
        plan_id = insert_plan(connection, scenario_id=scenario_id, when=T0)
        offer_id = insert_offer(
            connection,
            scenario_id=scenario_id,
            plan_id=plan_id,
            request_id=request_id,
            lines=[(resource_id, "I-1", rtype, n, 30.0)],
            when=T0,
            state=state,
            provider=owner,
            requester="NL-LI",
        )
        connection.execute(
            units.update()
            .where(units.c.scenario_id == scenario_id, units.c.resource_id == resource_id)
            .values(committed=units.c.committed + n)
        )
    return offer_id


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"status": "out_of_service"}, "it cannot go out of service"),
        ({"quantity": 1}, "it cannot list 1 unit"),
    ],
)
def test_held_units_refuse_the_change_naming_the_offers(store, stored, rhine, changes, said):
    rid, owner = available_resource(rhine, at_least=3)
    rtype = rhine.resources.set_index("id").loc[rid, "type"]
    quantity = int(rhine.resources.set_index("id").loc[rid, "quantity"])
    committed = hold_units(store, stored.id, rid, rtype, owner, 1, "committed")
    deployed = hold_units(store, stored.id, rid, rtype, owner, 1, "accepted")
    with pytest.raises(UnitsInUse) as refused:
        edit_feature(
            store,
            "rhine",
            kind="resources",
            feature_id=rid,
            changes=changes,
            actor=planner_of(owner),
            expected_version=1,
        )
    text = str(refused.value)
    assert f"resource {rid} ({rtype}, {owner}): 2 units are committed to offers" in text
    assert f"offer {committed}: 1 committed" in text and f"offer {deployed}: 1 deployed" in text
    assert said in text
    assert units_row(store, stored.id, rid) == (quantity, 2)
    assert count(store, feature_edits) == 0
    # as many units as are held is allowed
    edit_feature(
        store,
        "rhine",
        kind="resources",
        feature_id=rid,
        changes={"quantity": 2},
        actor=planner_of(owner),
        expected_version=1,
    )
    assert units_row(store, stored.id, rid) == (2, 2)


def test_an_upload_cannot_put_held_units_out_of_service_either(store, stored, rhine):
    rid, owner = available_resource(rhine, at_least=2)
    rtype = rhine.resources.set_index("id").loc[rid, "type"]
    hold_units(store, stored.id, rid, rtype, owner, 2)
    with pytest.raises(UnitsInUse, match="the new layer puts it out of service"):
        save_layer(
            store,
            scenario_name="rhine",
            kind="resources",
            frame=changed_row(rhine.resources, rid, status="out_of_service"),
            mode="replace",
            source="r.geojson",
            format="geojson",
            actor=ADMIN,
        )


def test_units_of_resources_out_of_service_in_a_file_list_none(store, stored, rhine):
    out = rhine.resources[rhine.resources["status"] == "out_of_service"]
    assert len(out)
    with store.reading() as connection:
        listed = dict(
            connection.execute(
                sa.select(units.c.resource_id, units.c.quantity).where(
                    units.c.scenario_id == stored.id
                )
            ).all()
        )
    assert all(listed[r] == 0 for r in out["id"])
    others = rhine.resources[rhine.resources["status"] != "out_of_service"]
    assert all(listed[r] == q for r, q in zip(others["id"], others["quantity"]))


# --- uploads after edits ------------------------------------------------------------------


def test_a_merge_after_edits_keeps_them_in_its_new_version(store, stored, rhine):
    fid, owner = first_incident(rhine)
    edit_feature(
        store,
        "rhine",
        kind="incidents",
        feature_id=fid,
        changes={"status": "contained"},
        actor=ADMIN,
        expected_version=1,
    )
    extra = rhine.incidents.iloc[[-1]].copy().reset_index(drop=True)
    extra.loc[0, "id"] = "I-NEW-1"
    merged = save_layer(
        store,
        scenario_name="rhine",
        kind="incidents",
        frame=extra,
        mode="merge",
        source="one.geojson",
        format="geojson",
        actor=ADMIN,
        expected_version=1,
    )
    version = merged.versions["incidents"]
    assert version.version == 2 and version.edit == 0  # a new base, its own rows edited
    back = load_stored_scenario(store, "rhine")
    incidents = back.scenario.incidents.set_index("id")
    assert incidents.loc[fid, "status"] == "contained" and "I-NEW-1" in incidents.index
    # the new base is edited afresh; the old base's edits no longer apply to it
    edit_feature(
        store,
        "rhine",
        kind="incidents",
        feature_id=fid,
        changes={"status": "closed"},
        actor=ADMIN,
        expected_version=2,
    )
    assert load_stored_scenario(store, "rhine").scenario.incidents.set_index("id").loc[
        fid, "status"
    ] == ("closed")


def test_a_replace_after_edits_starts_from_the_file(store, stored, rhine):
    fid, owner = first_incident(rhine)
    edit_feature(
        store,
        "rhine",
        kind="incidents",
        feature_id=fid,
        changes={"status": "closed"},
        actor=ADMIN,
        expected_version=1,
    )
    save_layer(
        store,
        scenario_name="rhine",
        kind="incidents",
        frame=rhine.incidents,
        mode="replace",
        source="incidents.geojson",
        format="geojson",
        actor=ADMIN,
    )
    back = load_stored_scenario(store, "rhine")
    assert_geodataframe_equal(back.scenario.incidents, rhine.incidents)
    assert back.versions["incidents"].edit == 0


def test_a_reload_of_unchanged_files_keeps_the_edits(store, stored, rhine):
    fid, owner = first_incident(rhine)
    edit = edit_feature(
        store,
        "rhine",
        kind="incidents",
        feature_id=fid,
        changes={"status": "closed"},
        actor=ADMIN,
        expected_version=1,
    )
    again = save_scenario(store, rhine, name="rhine", sources={}, actor=LOADER)
    assert again.changed == ()
    back = load_stored_scenario(store, "rhine")
    assert back.versions["incidents"].edit == edit.edit_id
    assert back.scenario.incidents.set_index("id").loc[fid, "status"] == "closed"


def test_a_sharing_change_after_edits_keeps_them(store, stored, rhine):
    rid, owner = available_resource(rhine)
    edit_feature(
        store,
        "rhine",
        kind="resources",
        feature_id=rid,
        changes={"status": "out_of_service"},
        actor=ADMIN,
        expected_version=1,
    )
    shared = set_layer_sharing(
        store, scenario_name="rhine", kind="resources", sharing="partners", actor=ADMIN
    )
    assert shared.versions["resources"].version == 2
    back = load_stored_scenario(store, "rhine").scenario.resources.set_index("id")
    assert back.loc[rid, "status"] == "out_of_service"
    assert units_row(store, stored.id, rid)[0] == 0


def test_a_change_is_described_in_plain_words():
    """Issue 13: field names and values in words (no max_response_min, no 240.0)."""
    edit = FeatureEdit(
        scenario="rhine",
        kind="incidents",
        feature_id="I-1",
        before={"max_response_min": 240.0, "needs": {"boat": 2}, "status": "active"},
        after={
            "max_response_min": None,
            "needs": {"boat": 2, "fire_engine": 1},
            "status": "closed",
        },
        version=None,  # type: ignore[arg-type]  # describe reads the values only
        edit_id=7,
        warnings=Report("incidents"),
        edited_by="pia",
        edited_at=datetime(2026, 7, 14, tzinfo=UTC),
    )
    assert describe(edit) == (
        "incident I-1 changed: maximum response time 4 h → no limit, needs 2 boats → "
        "2 boats, 1 fire engine, status active → closed"
    )

"""Which stored scenario holds which jurisdiction (issue 13): the default scenario of a
person, and the board offers a coordinator "request assistance" only in a scenario that
holds its jurisdiction. On both backends."""

from __future__ import annotations

from builders import write_lake_and_border
from mutualaid.access.actor import Actor, system_actor
from mutualaid.scenario.loading import load_scenario
from mutualaid.store import workflow
from mutualaid.store.layer_store import jurisdictions_by_scenario, save_scenario


def store_both(store, tmp_path):
    lake, border = write_lake_and_border(tmp_path)
    for folder in (lake, border):
        result = load_scenario(folder)
        assert result.ok
        save_scenario(
            store, result.scenario, name=folder.name, sources={}, actor=system_actor("test")
        )
    return lake, border


def test_each_stored_scenario_with_its_jurisdictions(store, tmp_path):
    assert jurisdictions_by_scenario(store) == {}
    store_both(store, tmp_path)
    assert jurisdictions_by_scenario(store) == {
        "a-lake": frozenset({"NG-BO", "TD-LC"}),
        "b-border": frozenset({"DE-NW", "NL-LI"}),
    }


def test_the_current_jurisdictions_version_counts(store, tmp_path):
    lake, _border = store_both(store, tmp_path)
    # b-border's layers replaced by the lake's: its jurisdictions are now NG-BO and TD-LC.
    save_scenario(
        store,
        load_scenario(lake).scenario,
        name="b-border",
        sources={},
        actor=system_actor("test"),
    )
    assert jurisdictions_by_scenario(store)["b-border"] == frozenset({"NG-BO", "TD-LC"})


def test_a_coordinator_may_request_only_where_its_jurisdiction_is(store, tmp_path):
    store_both(store, tmp_path)
    dieter = Actor("dieter", "coordinator", "DE-NW")
    assert "request" not in workflow.board(store, "a-lake", viewer=dieter).viewer_actions
    assert "request" in workflow.board(store, "b-border", viewer=dieter).viewer_actions
    bello = Actor("bello", "coordinator", "NG-BO")
    assert "request" in workflow.board(store, "a-lake", viewer=bello).viewer_actions
    assert "request" not in workflow.board(store, "b-border", viewer=bello).viewer_actions

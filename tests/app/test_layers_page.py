"""The Layers page in Streamlit's AppTest: upload, map fields, report, add to the scenario.

AppTest's ``file_uploader.set_value`` sends real bytes through the real page; the
helpers the page uses (report tables, CSV neutralising) are tested directly too.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path

import pytest
from signed import app_test, sign_in_session
from streamlit.testing.v1 import AppTest

from builders import collection, feature, point, square, two_incidents_upload, write_one_flood
from mutualaid.layers.problems import Report
from mutualaid.settings import SCENARIO_DIRS_ENV
from mutualaid.store import database_url
from mutualaid.store.database import DISK_FULL_MESSAGE
from mutualaid.text import literal, neutralise_formula
from mutualaid.ui.pages import layers_page

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


def incidents_upload(*, hazard_column: str = "what", severity: object = 4) -> bytes:
    """Two incidents whose hazard column has a name no alias knows."""
    return two_incidents_upload(hazard_column=hazard_column, severity=severity)


@pytest.fixture
def scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = write_one_flood(tmp_path / "erft")
    monkeypatch.setenv(SCENARIO_DIRS_ENV, str(folder))
    return folder


def layers_page_as(username: str, *, role: str, jurisdiction: str | None) -> AppTest:
    at = app_test(role=role, jurisdiction=jurisdiction, username=username, default_timeout=120)
    at.switch_page("pages/layers.py")
    return at.run()


@pytest.fixture
def app(scenario: Path) -> AppTest:
    """The Layers page, signed in as an admin (who may add any layer; what a planner may
    add is tested in test_sharing_access.py)."""
    return layers_page_as("ada", role="admin", jurisdiction=None)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def upload(at: AppTest, name: str, data: bytes, kind: str = "incidents") -> AppTest:
    at.selectbox(key="layers.kind").set_value(kind)
    at.file_uploader(key="layers.upload").set_value((name, data, "application/geo+json"))
    return at.run()


def mapping_box(at: AppTest, field: str):
    [box] = [
        s for s in at.selectbox if s.key and s.key.startswith(f"layers.map.incidents.{field}.")
    ]
    return box


def add_button(at: AppTest):
    [button] = [b for b in at.button if b.label == "Add to scenario"]
    return button


def test_page_is_in_the_navigation_and_starts_empty(app: AppTest):
    assert not app.exception
    assert app.title[0].value == "Layers"
    assert metrics(app)["Incidents (active)"] == "1 (1)"
    assert "No layers added" in app.text[0].value


def test_map_a_field_then_merge_into_the_scenario(app: AppTest):
    at = upload(app, "new.geojson", incidents_upload())
    assert not at.exception
    # sev is suggested for severity; "what" matches no alias and must be mapped.
    assert mapping_box(at, "severity").value == "sev"
    assert mapping_box(at, "hazard").value == layers_page.NONE
    assert at.error and add_button(at).disabled
    assert any("hazard" in v for v in at.dataframe[1].value["message"])
    mapping_box(at, "hazard").set_value("what")
    at.run()
    assert not at.error and not add_button(at).disabled
    add_button(at).click()
    at.run()
    assert not at.exception
    assert metrics(at)["Incidents (active)"] == "2 (2)"  # I-1 replaced, I-2 added
    assert "1 layer version(s) added" in at.text[0].value
    assert "by ada" in at.text[0].value
    log = at.dataframe[-1].value  # every stored version, newest first
    assert log[["source", "kind", "version", "features", "mode", "loaded by"]].values.tolist()[
        0
    ] == ["new.geojson", "incidents", "2", "2", "merge", "ada"]
    assert set(log["source"][1:]) == {
        "jurisdictions.geojson",
        "incidents.geojson",
        "resources.geojson",
        "agreements.csv",
    }


def test_rejected_upload_leaves_the_scenario_untouched(app: AppTest):
    at = upload(app, "bad.geojson", incidents_upload(hazard_column="hazard", severity="extreme"))
    assert at.error and add_button(at).disabled
    report = at.dataframe[1].value
    row = report[report["field"] == "severity"].iloc[0]
    assert (row["feature"], row["id"], row["severity"]) == ("1", "I-2", "error")
    assert "extreme" in row["message"]
    at.run()
    assert metrics(at)["Incidents (active)"] == "1 (1)"
    assert "No layers added" in at.text[0].value


def test_upload_checked_against_the_session_scenario(app: AppTest):
    resources = collection([feature(point(6.5, 50.5), id="R-2", type="boat", jurisdiction="FR-XX")])
    at = upload(app, "r.geojson", resources, kind="resources")
    # Checked against the session's jurisdictions, the upload itself is rejected.
    assert at.error and add_button(at).disabled
    assert any("FR-XX" in m for m in at.dataframe[1].value["message"])
    assert metrics(at)["Resources (units available)"] == "1 (4)"


def test_refused_combined_scenario_changes_nothing(app: AppTest):
    # Accepted alone, but the agreements' "DE" would name no jurisdiction any more.
    only_nl = collection([feature(square(5.0, 50.0), id="NL-LI", country="NL")])
    at = upload(app, "nl.geojson", only_nl, kind="jurisdictions")
    assert not at.error and not add_button(at).disabled
    at.radio[0].set_value("replace")
    at.run()
    add_button(at).click()
    at.run()
    assert not at.exception
    assert "Not added" in at.error[0].value
    refused = [d.value for d in at.dataframe if "message" in d.value.columns][-1]
    assert any("'DE'" in m for m in refused["message"])
    assert metrics(at)["Jurisdictions"] == "2"
    assert "No layers added" in at.text[0].value


def test_replace_then_the_log_lists_both(app: AppTest):
    at = upload(app, "a.geojson", incidents_upload(hazard_column="hazard"))
    at.radio[0].set_value("replace")
    at.run()
    add_button(at).click()
    at.run()
    assert metrics(at)["Incidents (active)"] == "2 (2)"
    one = collection(
        [
            feature(
                point(5.5, 50.5),
                id="I-9",
                hazard="storm",
                sev=1,
                reported_at="2021-07-16T08:00:00Z",
            )
        ]
    )
    at = upload(at, "b.geojson", one)
    at.radio[0].set_value("replace")
    at.run()
    add_button(at).click()
    at.run()
    assert metrics(at)["Incidents (active)"] == "1 (1)"
    log = at.dataframe[-1].value
    assert log[log["kind"] == "incidents"]["source"].tolist() == [
        "b.geojson",
        "a.geojson",
        "incidents.geojson",
    ]


def test_signed_out_nothing_but_the_sign_in_form(scenario: Path):
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/layers.py")
    at.run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.file_uploader and not at.metric and not at.dataframe


def _refusal_page() -> None:
    from mutualaid.ui import router

    router._refusal("Layers", router.PAGE_ROLES["pages/layers.py"])()


def test_a_viewer_cannot_open_the_page_and_the_refusal_is_audited(scenario: Path):
    from mutualaid.store import audit, open_store

    at = app_test(role="viewer", jurisdiction="DE-NW", username="vic", default_timeout=120)
    at.run()
    assert not at.exception
    # The page's address leads to a refusal, not to the page (its script is not even
    # registered for this session)...
    with pytest.raises(ValueError):
        at.switch_page("pages/layers.py")
    # What its address runs instead (a page function, which AppTest cannot switch to; the
    # browser test types the address): the role check, refusing and writing it down.
    refusal = sign_in_session(AppTest.from_function(_refusal_page), "vic").run()
    assert not refusal.exception
    assert "needs the planner role" in refusal.error[0].value
    store = open_store()
    with store.reading() as connection:
        [denied] = list(audit.entries(connection, actions=["access.denied"]))
    store.dispose()
    assert (denied.actor, denied.subject) == ("vic", "page Layers")


def test_an_add_based_on_an_older_version_is_refused_and_names_who_changed_it(
    app: AppTest, tmp_path: Path
):
    # Two planners open the page on incidents version 1; the first adds a layer.
    other = layers_page_as("olaf", role="admin", jurisdiction=None)
    other = upload(other, "theirs.geojson", incidents_upload(hazard_column="hazard"))
    at = upload(app, "mine.geojson", incidents_upload(hazard_column="hazard"))
    add_button(other).click()
    other.run()
    assert "Added" in other.success[-1].value
    # The second clicks Add on the page it drew before that change.
    add_button(at).click()
    at.run()
    assert not at.exception
    refused = at.error[0].value
    assert "Not added" in refused and "olaf" in refused and "version 2" in refused
    log = at.dataframe[-1].value
    assert log[log["kind"] == "incidents"]["source"].tolist() == [
        "theirs.geojson",
        "incidents.geojson",
    ]


# --- helpers, directly -------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("=1+2", "'=1+2"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-3", "'-3"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("flood", "flood"),
        ("", ""),
    ],
)
def test_neutralise(cell: str, expected: str):
    # the report table's cells go through the project's one rule
    assert neutralise_formula(cell) == expected


def test_report_downloads():
    report = Report("incidents", source="x.csv")
    report.add('=HYPERLINK("http://203.0.113.9")', feature=2, feature_id="@I-1", field="severity")
    report.add("file-wide warning", severity="warning")
    rows = list(csv.DictReader(io.StringIO(layers_page.report_csv(report).decode())))
    assert list(rows[0]) == layers_page.REPORT_COLUMNS
    assert rows[0]["message"].startswith("'=") and rows[0]["id"] == "'@I-1"
    assert rows[1]["severity"] == "warning" and rows[1]["feature"] == ""
    parsed = json.loads(layers_page.report_json(report))
    assert parsed["accepted"] is False and parsed["problems"][0]["feature"] == 2


def test_read_raw_preview_and_unreadable_file():
    rows = "\n".join(f"I{i},flood,{50 + i / 100},6" for i in range(30))
    raw = layers_page.read_raw(
        f"id,event,lat,lon\n{rows}\n".encode(), filename="i.csv", kind="incidents"
    )
    assert "event" in raw.columns and len(raw.preview) == layers_page.PREVIEW_ROWS
    assert layers_page.preselected(raw.columns, kind="incidents")["hazard"] == "event"
    bad = layers_page.read_raw(b"not json", filename="x.geojson", kind="incidents")
    assert bad.preview is None and bad.error


def test_upload_of_a_recursive_view_geopackage_is_refused_with_its_reason(
    recursive_view_geopackage,
):
    from mutualaid.scenario.loading import load_scenario

    scenario = load_scenario(ROOT / "data" / "lake-chad").scenario
    data = recursive_view_geopackage(limit=3).read_bytes()
    raw = layers_page.read_raw(data, filename="hostile.gpkg", kind="incidents")
    assert raw.preview is None and "'incidents' is a view" in raw.error
    result = layers_page.check_upload(
        data, filename="hostile.gpkg", kind="incidents", mapping={}, scenario=scenario
    )
    assert not result.ok
    [error] = result.report.errors
    assert error.message.startswith("the GeoPackage layer 'incidents' is a view")


def test_upload_whose_check_overruns_the_read_limit_is_refused_with_a_sentence(monkeypatch):
    from mutualaid import settings
    from mutualaid.scenario.loading import load_scenario

    scenario = load_scenario(ROOT / "data" / "lake-chad").scenario
    rows = "".join(f"I{i},flood,3,2021-07-14T17:30:00Z,12.5,14.5\n" for i in range(300_000))
    data = ("id,hazard,severity,reported_at,lat,lon\n" + rows).encode()
    monkeypatch.setattr(settings, "READ_TIMEOUT_S", 0.25)
    result = layers_page.check_upload(
        data, filename="big.csv", kind="incidents", mapping={}, scenario=scenario
    )
    assert not result.ok
    [error] = result.report.errors
    assert error.message.startswith("the file took longer than 0.25 s to read and was refused")


# --- the shared scenario, as every page of every session reads it ------------------------


def _workspace_script(folder: str) -> None:
    import json
    from pathlib import Path

    import streamlit as st

    from mutualaid.access.actor import Actor
    from mutualaid.layers import load_layer
    from mutualaid.ui import loaders, shared_scenario

    loaded = loaders.load(Path(folder))
    if st.button("add", key="t.add"):
        data = json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [5.5, 50.5]},
                        "properties": {
                            "id": "I-7",
                            "hazard": "storm",
                            "severity": 2,
                            "reported_at": "2021-07-15T08:00:00Z",
                        },
                    }
                ],
            }
        ).encode()
        layer = load_layer("u.geojson", kind="incidents", data=data, filename="u.geojson")
        workspace = shared_scenario.workspace_for(loaded)
        shared_scenario.store_layer(
            loaded,
            workspace,
            kind="incidents",
            frame=layer.frame,
            mode="merge",
            source="u.geojson",
            format="geojson",
            actor=Actor("pia", "admin"),
        )
    scenario = shared_scenario.current_scenario(Path(folder))
    st.text(",".join(scenario.incidents["id"]))


def test_current_scenario_is_the_stored_one_for_every_session(tmp_path: Path):
    folder = write_one_flood(tmp_path / "erft")
    at = AppTest.from_function(_workspace_script, args=(str(folder),), default_timeout=120).run()
    assert at.text[0].value == "I-1"
    at.button(key="t.add").click().run()
    assert at.text[0].value == "I-1,I-7"
    at.run()  # kept, not only for the run that added it
    assert at.text[0].value == "I-1,I-7"
    # another session (another browser) sees the stored change too
    other = AppTest.from_function(_workspace_script, args=(str(folder),), default_timeout=120).run()
    assert other.text[0].value == "I-1,I-7"
    # and the store says who loaded what, when
    from mutualaid.store import open_store
    from mutualaid.store.layer_store import layer_history

    store = open_store()
    [newest] = layer_history(store, "erft", "incidents")[:1]
    assert (newest.version, newest.source, newest.loaded_by) == (2, "u.geojson", "pia")
    store.dispose()


def test_a_full_disk_is_told_in_a_sentence_and_the_traceback_is_logged(
    app: AppTest, full_disk, caplog
):
    many = collection(
        [
            feature(
                point(5.05 + (n % 90) / 100, 50.05 + (n // 90) / 100),
                id=f"I-{n}",
                hazard="flood",
                sev=3,
                reported_at="2021-07-15T08:00:00Z",
                name="flooded cellar " * 20,
            )
            for n in range(1500)
        ]
    )
    at = upload(app, "many.geojson", many)
    at.radio[0].set_value("replace")
    at.run()
    full_disk(database_url())  # the store's file cannot grow any more
    add_button(at).click()
    with caplog.at_level(logging.ERROR, logger="mutualaid.store.database"):
        at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [literal(f"Not added: {DISK_FULL_MESSAGE}")]
    assert metrics(at)["Incidents (active)"] == "1 (1)"  # the stored scenario is unchanged
    [logged] = [r for r in caplog.records if r.name == "mutualaid.store.database"]
    assert logged.exc_info and "database or disk is full" in str(logged.exc_info[1])

"""The overview page in Streamlit's AppTest: scenarios offered, counts, map, problems.

AppTest runs the real app script and the real st_folium call; it cannot click inside
the map (that is tests/e2e), so what a click selects is tested in tests/unit/test_maps.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from signed import app_test
from streamlit.testing.v1 import AppTest

from builders import feature, point, square, write_collection
from mutualaid.scenario.catalogue import find_scenarios, scenario_fingerprint, scenario_roots
from mutualaid.scenario.loading import load_scenario
from mutualaid.settings import SCENARIO_DIRS_ENV

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
XSS = '<img src=x onerror="window.top.__xss=1">'


# --- a small scenario written in the test ----------------------------------------------


def write_scenario(folder: Path, *, incidents: int = 2, name: str = "Erft flood") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_collection(
        folder / "jurisdictions.geojson",
        [
            feature(square(6.0, 50.0), id="DE-NW", name="Nordrhein-Westfalen", country="DE"),
            feature(square(5.0, 50.0), id="NL-LI", name="Limburg", country="NL", reserve=0.2),
        ],
    )
    write_collection(
        folder / "incidents.geojson",
        [
            feature(
                point(6.2 + 0.1 * i, 50.5),
                id=f"I-{i + 1}",
                name=name if i == 0 else f"flood {i}",
                hazard="flood",
                severity=1 + i % 5,
                status="active",
                reported_at="2021-07-14T17:30:00Z",
                needs={"boat": 2},
            )
            for i in range(incidents)
        ],
    )
    write_collection(
        folder / "resources.geojson",
        [
            feature(point(6.9, 50.9), id="R-1", name="Boats, Koeln", type="boat", quantity=4),
            feature(
                point(5.7, 50.8),
                id="R-2",
                name="Pumps, Maastricht",
                type="pump",
                quantity=3,
                status="assigned",
            ),
            feature(point(5.6, 50.7), id="R-3", name="Ambulances", type="ambulance", quantity=2),
        ],
    )
    (folder / "agreements.csv").write_text(
        "from,to,resource_types,border_delay_min\nNL,DE,*,20\nDE,NL,boat;pump,30\n",
        encoding="utf-8",
    )
    return folder


def run_app(monkeypatch: pytest.MonkeyPatch, *roots: Path) -> AppTest:
    monkeypatch.setenv(SCENARIO_DIRS_ENV, ":".join(str(r) for r in roots))
    return app_test(default_timeout=120).run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def map_args(at: AppTest) -> dict:
    [component] = at.get("component_instance")
    assert component.proto.component_name == "streamlit_folium.st_folium"
    return json.loads(component.proto.json_args)


# --- main path ----------------------------------------------------------------------------


def test_page_shows_counts_and_the_map_of_a_scenario(tmp_path, monkeypatch):
    write_scenario(tmp_path / "rhine-test", incidents=3)
    at = run_app(monkeypatch, tmp_path)
    assert not at.exception
    assert at.title[0].value == "Overview"
    # Four boats for three incidents needing two each (severities 1, 2, 3): the plan
    # serves severities 3 and 2, so (3x2 + 2x2) / (3x2 + 2x2 + 1x2) = 83.3 % is met.
    # Nothing is held by the workflow: the four boats are proposed, none deployed.
    assert metrics(at) == {
        "Jurisdictions": "2",
        "Countries": "2",
        "Incidents (active)": "3 (3)",
        "Resources (units available)": "3 (6)",
        "Active incidents": "3",
        "Need met": "83.3 %",
        "Need covered now": "0.0 %",
        "Units short / needed": "2 / 6",
        "Units deployed": "0",
        "Units committed": "0",
        "Units proposed": "4",
        "Units across national borders": "0",
    }
    assert not at.error
    args = map_args(at)
    assert args["js_links"] == ["/app/static/vendor/leaflet/leaflet.js"]
    assert args["css_links"] == ["/app/static/vendor/leaflet/leaflet.css"]
    assert args["returned_objects"] == ["last_object_clicked", "last_object_clicked_tooltip"]
    assert "Erft flood" in args["script"]
    assert at.caption[0].value.startswith("Click an incident")


def test_map_is_the_same_component_on_every_rerun(tmp_path, monkeypatch):
    # The cached map is copied for each run: rendering one map object twice breaks
    # streamlit-folium's variable names, and a changing key would remount the map.
    write_scenario(tmp_path / "s")
    at = run_app(monkeypatch, tmp_path)
    first = map_args(at)
    at.run()
    second = map_args(at)
    assert not at.exception
    assert second["key"] == first["key"]
    assert second["script"] == first["script"]


def test_choosing_another_scenario_shows_its_counts(tmp_path, monkeypatch):
    write_scenario(tmp_path / "a-small", incidents=1)
    write_scenario(tmp_path / "b-large", incidents=4)
    at = run_app(monkeypatch, tmp_path)
    assert at.selectbox[0].options == ["a-small", "b-large"]
    assert metrics(at)["Incidents (active)"] == "1 (1)"
    at.selectbox[0].select_index(1).run()
    assert not at.exception
    assert metrics(at)["Incidents (active)"] == "4 (4)"
    assert at.session_state["overview.scenario"] == tmp_path / "b-large"


def test_an_edited_scenario_is_read_again(tmp_path, monkeypatch):
    folder = write_scenario(tmp_path / "s", incidents=2)
    at = run_app(monkeypatch, tmp_path)
    assert metrics(at)["Incidents (active)"] == "2 (2)"
    write_scenario(folder, incidents=5)  # same folder, new content
    at.run()
    assert metrics(at)["Incidents (active)"] == "5 (5)"


@pytest.mark.parametrize("sample", find_scenarios([ROOT / "data"]), ids=lambda p: p.name)
def test_shipped_sample_scenarios_render(sample, monkeypatch):
    expected = load_scenario(sample).scenario
    assert expected is not None, f"sample {sample.name} does not validate"
    at = run_app(monkeypatch, sample)
    assert not at.exception
    assert not at.error
    assert metrics(at)["Jurisdictions"] == str(len(expected.jurisdictions))
    assert metrics(at)["Incidents (active)"].startswith(f"{len(expected.incidents)} (")
    assert len(map_args(at)["script"]) > 0


def test_without_the_setting_the_page_offers_the_samples_in_data(monkeypatch):
    monkeypatch.delenv(SCENARIO_DIRS_ENV, raising=False)
    at = app_test(default_timeout=120).run()
    assert not at.exception
    samples = [p.name for p in find_scenarios([ROOT / "data"])]
    if samples:
        assert at.selectbox[0].options == samples
    else:
        assert "No scenario folder found" in at.info[0].value


def test_warnings_are_listed_above_the_map(tmp_path, monkeypatch):
    folder = write_scenario(tmp_path / "s")
    write_collection(
        folder / "resources.geojson",
        [
            feature(point(6.9, 50.9), id="R-1", name="Hovercraft", type="hovercraft", quantity=1),
        ],
    )
    expected = load_scenario(folder)
    assert expected.ok and any(r.warnings for r in expected.reports)  # the premise
    at = run_app(monkeypatch, tmp_path)
    assert not at.exception
    assert "accepted with" in at.warning[0].value
    problems = at.dataframe[0].value
    assert set(problems["severity"]) == {"warning"}
    assert "hovercraft" in map_args(at)["script"]


def test_the_shared_files_problems_are_listed_to_an_admin_only(tmp_path, monkeypatch):
    """Issue 6: the problems of the shared files name their features and values, some
    shared with nobody; anyone but an admin reads the counts and whom to ask."""
    folder = write_scenario(tmp_path / "s")
    write_collection(
        folder / "resources.geojson",
        [
            feature(point(6.9, 50.9), id="R-1", name="Hovercraft", type="hovercraft", quantity=1),
        ],
    )
    monkeypatch.setenv(SCENARIO_DIRS_ENV, str(tmp_path))
    at = app_test(role="coordinator", jurisdiction="NL-LI", default_timeout=120).run()
    assert not at.exception
    assert at.warning[0].value == (
        "The scenario was accepted with 1 warning(s); an admin can list them."
    )
    assert not any("severity" in df.value.columns for df in at.dataframe)
    assert "Hovercraft" not in str(at.warning[0].value)


# --- error paths ----------------------------------------------------------------------


def test_a_broken_scenario_lists_its_problems_and_draws_no_map(tmp_path, monkeypatch):
    folder = write_scenario(tmp_path / "broken")
    (folder / "incidents.geojson").write_text(
        '{"type": "FeatureCollection", "features": [', encoding="utf-8"
    )
    (folder / "agreements.csv").unlink()
    at = run_app(monkeypatch, tmp_path)
    assert not at.exception
    assert "cannot be shown" in at.error[0].value
    problems = at.dataframe[0].value
    assert set(problems["layer"]) >= {"incidents", "agreements"}
    assert problems["problem"].str.contains("agreements.csv").any()
    assert not at.get("component_instance")
    assert not at.metric


def test_hostile_text_in_problems_is_shown_as_text_not_markup(tmp_path, monkeypatch):
    folder = write_scenario(tmp_path / "hostile")
    write_collection(
        folder / "incidents.geojson",
        [
            feature(
                point(6.5, 50.5),
                id=XSS,
                name=XSS,
                hazard=XSS,
                severity="![x](http://evil/)",
                reported_at="2021-07-14T17:30:00Z",
            ),
        ],
    )
    at = run_app(monkeypatch, tmp_path)
    assert not at.exception
    problems = at.dataframe[0].value
    assert problems["id"].eq(XSS).any()
    shown_as_markdown = [m.value for m in at.markdown] + [e.value for e in at.error]
    assert not any("<img" in text or "evil" in text for text in shown_as_markdown)


def test_no_scenario_folder_says_so(tmp_path, monkeypatch):
    at = run_app(monkeypatch, tmp_path / "nowhere")
    assert not at.exception
    assert "No scenario folder found" in at.info[0].value
    assert not at.selectbox


# --- the catalog behind the page -----------------------------------------------------


def test_scenario_roots_come_from_the_setting_or_default(tmp_path):
    default = tmp_path / "data"
    assert scenario_roots(default=default, environ={}) == [default]
    assert scenario_roots(default=default, environ={SCENARIO_DIRS_ENV: "  "}) == [default]
    assert scenario_roots(default=default, environ={SCENARIO_DIRS_ENV: "/a:/b"}) == [
        Path("/a"),
        Path("/b"),
    ]


def test_find_scenarios_takes_folders_and_their_subfolders(tmp_path):
    direct = write_scenario(tmp_path / "direct")
    parent = tmp_path / "parent"
    write_scenario(parent / "z-last")
    write_scenario(parent / "a-first")
    (parent / "not-a-scenario").mkdir()
    found = find_scenarios([direct, parent, tmp_path / "missing", direct])
    assert found == [direct, parent / "a-first", parent / "z-last"]


def test_fingerprint_changes_with_content_not_with_time(tmp_path):
    folder = write_scenario(tmp_path / "s")
    before = scenario_fingerprint(folder)
    (folder / "incidents.geojson").touch()
    assert scenario_fingerprint(folder) == before
    write_scenario(folder, incidents=3)
    assert scenario_fingerprint(folder) != before
    (folder / "travel_times.csv").write_text("resource_id,incident_id,minutes\n")
    assert scenario_fingerprint(folder) != before


# --- the operations map: filters, headline figures, the session workspace ------------------


def write_mixed_scenario(folder: Path) -> Path:
    """Two flood incidents and one storm, in two countries."""
    write_scenario(folder, incidents=2)
    write_collection(
        folder / "incidents.geojson",
        [
            feature(
                point(6.2, 50.5),
                id="I-1",
                name="Erft flood",
                hazard="flood",
                severity=3,
                reported_at="2021-07-14T17:30:00Z",
                needs={"boat": 2},
            ),
            feature(
                point(6.4, 50.5),
                id="I-2",
                name="Rur flood",
                hazard="flood",
                severity=2,
                reported_at="2021-07-14T17:30:00Z",
                needs={"boat": 1},
            ),
            feature(
                point(5.5, 50.5),
                id="I-3",
                name="Storm Maas",
                hazard="storm",
                severity=4,
                reported_at="2021-07-14T17:30:00Z",
                needs={"ambulance": 1},
            ),
        ],
    )
    return folder


def test_choosing_a_hazard_narrows_the_figures_and_the_map(tmp_path, monkeypatch):
    write_mixed_scenario(tmp_path / "mixed")
    at = run_app(monkeypatch, tmp_path)
    assert not at.exception
    hazards = at.multiselect(key="overview.filter.hazards")
    assert hazards.options == ["flood", "storm"]
    before = metrics(at)
    assert before["Active incidents"] == "3"
    assert "Storm Maas" in map_args(at)["script"]

    hazards.select("storm").run()
    assert not at.exception
    after = metrics(at)
    assert after["Active incidents"] == "1"
    # The storm's ambulance comes from Maastricht (NL) to ... NL: no boats are sent now.
    assert int(after["Units proposed"]) < int(before["Units proposed"])
    script = map_args(at)["script"]
    assert "Storm Maas" in script and "Erft flood" not in script
    # The counts of the whole scenario stay as they are.
    assert after["Incidents (active)"] == before["Incidents (active)"] == "3 (3)"


def test_resource_type_and_jurisdiction_filters_narrow_the_map(tmp_path, monkeypatch):
    write_mixed_scenario(tmp_path / "mixed")
    at = run_app(monkeypatch, tmp_path)
    at.multiselect(key="overview.filter.resource_types").select("pump").run()
    script = map_args(at)["script"]
    assert "Pumps, Maastricht" in script and "Boats, Koeln" not in script
    at.multiselect(key="overview.filter.jurisdictions").select("DE-NW").run()
    assert not at.exception
    assert metrics(at)["Active incidents"] == "2"
    assert "Pumps, Maastricht" not in map_args(at)["script"]  # owned by NL-LI


def test_the_map_and_figures_show_layers_added_to_the_shared_scenario(tmp_path, monkeypatch):
    from mutualaid.access.actor import Actor
    from mutualaid.layers import load_layer
    from mutualaid.store import open_store
    from mutualaid.store.layer_store import save_layer

    folder = write_mixed_scenario(tmp_path / "mixed")
    at = run_app(monkeypatch, tmp_path)
    data = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                feature(
                    point(6.6, 50.6),
                    id="I-9",
                    name="Added wildfire",
                    hazard="wildfire",
                    severity=5,
                    reported_at="2021-07-15T08:00:00Z",
                    needs={"boat": 1},
                )
            ],
        }
    ).encode()
    layer = load_layer("more.geojson", kind="incidents", data=data, filename="more.geojson")
    # a planner in another session adds the layer; this session sees it at its next rerun
    store = open_store()
    save_layer(
        store,
        scenario_name="mixed",
        kind="incidents",
        frame=layer.frame,
        mode="merge",
        source="more.geojson",
        format="geojson",
        actor=Actor("pia", "planner", "DE-NW"),
    )
    store.dispose()
    first_key = map_args(at)["key"]
    at.run()
    assert not at.exception
    assert metrics(at)["Active incidents"] == "4"
    assert metrics(at)["Incidents (active)"] == "4 (4)"
    assert "Added wildfire" in map_args(at)["script"]
    assert map_args(at)["key"] != first_key  # a new workspace version, a new map
    assert "wildfire" in at.multiselect(key="overview.filter.hazards").options
    assert folder.joinpath("incidents.geojson").read_text().count("I-9") == 0


def test_a_filter_choice_from_another_scenario_does_not_break_the_page(tmp_path, monkeypatch):
    write_mixed_scenario(tmp_path / "a-mixed")
    write_scenario(tmp_path / "b-floods", incidents=2)
    at = run_app(monkeypatch, tmp_path)
    at.multiselect(key="overview.filter.hazards").select("storm").run()
    assert metrics(at)["Active incidents"] == "1"
    at.selectbox[0].select_index(1).run()
    assert not at.exception
    assert metrics(at)["Active incidents"] == "2"  # no storm here: every incident shown

"""The allocation page in Streamlit's AppTest: the plan's figures, what-if edits, problems.

AppTest runs the real app, the real optimiser and the real st_folium call; drawing the
map in a browser and typing into it is tests/e2e/test_allocation_page.py.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from signed import app_test
from streamlit.testing.v1 import AppTest

from builders import square, write_collection
from mutualaid.allocation import allocate
from mutualaid.allocation.held import Held
from mutualaid.allocation.what_if import edit
from mutualaid.figures.operation import operation_figures
from mutualaid.figures.plan import JURISDICTION, NATIONAL, key_figures
from mutualaid.scenario.catalogue import scenario_fingerprint
from mutualaid.scenario.loading import Scenario, load_scenario
from mutualaid.settings import SCENARIO_DIRS_ENV
from mutualaid.ui import plans
from mutualaid.ui.pages import allocation_page
from mutualaid.vocabulary import duration

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
RHINE = ROOT / "data" / "rhine-flood-2021"
XSS = '<img src=x onerror="window.top.__xss=1">'
MARKDOWN = "![tracker](http://203.0.113.9/pixel.png)"


# --- helpers ---------------------------------------------------------------------------------


def open_page(monkeypatch: pytest.MonkeyPatch, *roots: Path) -> AppTest:
    """The app offering those scenario folders, switched to the allocation page."""
    monkeypatch.setenv(SCENARIO_DIRS_ENV, ":".join(str(r) for r in roots))
    at = app_test(default_timeout=180).run()
    return at.switch_page("pages/allocation.py").run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def deltas(at: AppTest) -> dict[str, str]:
    return {m.label: m.delta for m in at.metric}


def map_args(at: AppTest) -> dict:
    [component] = at.get("component_instance")
    assert component.proto.component_name == "streamlit_folium.st_folium"
    return json.loads(component.proto.json_args)


def table_after(at: AppTest, heading: str):
    """The first dataframe shown after the plain-text heading that starts with *heading*
    (elements in document order)."""
    seen = False
    for element in at.main:
        for node in _walk(element):
            if node.type == "text" and node.value.startswith(heading):
                seen = True
            elif seen and node.type == "dataframe":
                return node.value
    raise AssertionError(f"no table after {heading!r}")


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def dataframe_with(at: AppTest, column: str):
    """The first dataframe on the page having that column."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def rhine() -> Scenario:
    scenario = load_scenario(RHINE).scenario
    assert scenario is not None, "the Rhine sample does not validate (make scenarios)"
    return scenario


def top_exporter(scenario: Scenario) -> tuple[str, int]:
    """The jurisdiction sending most units across a national border in the file's plan."""
    by_jur = key_figures(allocate(scenario), scenario).by_jurisdiction
    national = by_jur[by_jur["from_country"] != by_jur["to_country"]]
    sums = national.groupby("from_jurisdiction")["units"].sum().sort_values(ascending=False)
    return str(sums.index[0]), int(sums.iloc[0])


# --- a small scenario written in the test ---------------------------------------------------


def write_scenario(folder: Path, *, name: str = "Erft flood") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_collection(
        folder / "jurisdictions.geojson",
        [
            ({"id": "DE-NW", "name": "Nordrhein-Westfalen", "country": "DE"}, square(6, 50)),
            ({"id": "NL-LI", "name": "Limburg", "country": "NL", "reserve": 0.2}, square(5, 50)),
        ],
    )
    write_collection(
        folder / "incidents.geojson",
        [
            (
                {
                    "id": "I-1",
                    "name": name,
                    "hazard": "flood",
                    "severity": 5,
                    "reported_at": "2021-07-14T17:30:00Z",
                    "needs": {"boat": 5, "pump": 1},
                },
                {"type": "Point", "coordinates": [6.5, 50.5]},
            ),
        ],
    )
    write_collection(
        folder / "resources.geojson",
        [
            (
                {"id": "R-1", "name": name, "type": "boat", "quantity": 2},
                {"type": "Point", "coordinates": [6.9, 50.9]},
            ),
            (
                {"id": "R-2", "name": "Boats, Maastricht", "type": "boat", "quantity": 5},
                {"type": "Point", "coordinates": [5.7, 50.8]},
            ),
        ],
    )
    (folder / "agreements.csv").write_text(
        "from,to,resource_types,border_delay_min\nNL,DE,*,20\n", encoding="utf-8"
    )
    return folder


# --- main path: the Rhine sample ------------------------------------------------------------


def test_the_rhine_plan_is_shown_with_its_figures_map_tables_and_downloads(monkeypatch):
    scenario = rhine()
    plan = allocate(scenario)
    figures = key_figures(plan, scenario)
    at = open_page(monkeypatch, RHINE)
    assert not at.exception
    assert not at.error
    assert at.title[0].value == "Allocation"
    shown = metrics(at)
    summary = plan.summary
    # Nothing held: the operation's figures are the plan's, under the shared labels.
    operation = operation_figures(scenario, Held(), plan)
    assert (
        shown["Units proposed"] == str(summary["units_assigned"]) == str(operation.units_proposed)
    )
    assert shown["Units short / needed"] == (
        f"{summary['units_needed'] - summary['units_assigned']} / {summary['units_needed']}"
    )
    assert shown["Need met"] == f"{figures.weighted_share * 100:.1f} %"
    assert operation.need_met == pytest.approx(figures.weighted_share)
    assert shown["Units deployed"] == shown["Units committed"] == "0"
    assert shown["Mean response (proposed)"] == duration(figures.response.mean_minutes)
    assert shown["Worst response (proposed)"] == duration(figures.response.worst_minutes)
    assert shown["Units across national borders"] == str(figures.crossings[NATIONAL])
    assert shown["Units leaving their jurisdiction"] == str(
        figures.crossings[NATIONAL] + figures.crossings[JURISDICTION]
    )
    assert "Solve seconds" in shown and "Unit-minutes" in shown

    severity = dataframe_with(at, "Met %")
    assert severity["Severity"].tolist() == [1, 2, 3, 4, 5]
    assert severity["Needed"].sum() == summary["units_needed"]
    by_country = table_after(at, "Proposed units crossing a national border")
    assert by_country["Units"].sum() == figures.crossings[NATIONAL]
    unmet = dataframe_with(at, "Reason")
    assert len(unmet) == len(plan.unmet)
    assert unmet["Severity"].is_monotonic_decreasing
    assert set(unmet["Reason"]) <= set(plan.unmet["reason"])

    args = map_args(at)
    assert args["js_links"] == ["/app/static/vendor/leaflet/leaflet.js"]
    assert args["returned_objects"] == []  # nothing on this map reruns the page
    assert "Flows across national borders" in args["script"]
    assert '"LineString"' in args["script"]
    downloads = {b.label for b in at.get("download_button")}
    assert downloads == {"Download the plan (JSON)", "Download the flows (GeoJSON)"}


def test_a_rerun_that_changes_nothing_does_not_plan_again(tmp_path, monkeypatch):
    write_scenario(tmp_path / "s")
    at = open_page(monkeypatch, tmp_path)
    assert not at.exception
    computed = plans.plans_computed()
    first = map_args(at)
    at.run()
    assert plans.plans_computed() == computed
    second = map_args(at)
    assert second["key"] == first["key"] and second["script"] == first["script"]


def test_a_full_reserve_for_an_exporter_changes_the_plan(monkeypatch):
    scenario = rhine()
    exporter, exported = top_exporter(scenario)
    at = open_page(monkeypatch, RHINE)
    fingerprint = scenario_fingerprint(RHINE.resolve())
    before = metrics(at)
    map_key = map_args(at)["key"]
    computed = plans.plans_computed()

    at.selectbox(key=allocation_page.reserve_choice_key(fingerprint)).select(exporter).run()
    at.number_input(key=allocation_page.reserve_input_key(fingerprint)).set_value(1.0).run()

    assert not at.exception
    assert plans.plans_computed() > computed  # a new plan, not a cached one
    after = metrics(at)
    expected = key_figures(allocate(edit(scenario, reserves={exporter: 1.0})), scenario)
    assert after["Units across national borders"] == str(expected.crossings[NATIONAL])
    assert int(after["Units across national borders"]) < int(
        before["Units across national borders"]
    )
    assert deltas(at)["Units across national borders"].startswith("-")
    reserves = dataframe_with(at, "Units sent out").set_index("Jurisdiction")
    assert reserves.loc[exporter, "Units sent out"] == 0
    assert reserves.loc[exporter, "Reserve in plan"] == 1.0
    by_jurisdiction = table_after(at, "Proposed units leaving their jurisdiction")
    assert exporter not in set(by_jurisdiction["From jurisdiction"])
    assert f"reserve of {exporter}" in at.text[0].value
    assert map_args(at)["key"] != map_key  # the map shows the new plan
    assert exported > 0


def test_reset_goes_back_to_the_files_plan(tmp_path, monkeypatch):
    write_scenario(tmp_path / "s")
    fingerprint = scenario_fingerprint((tmp_path / "s").resolve())
    at = open_page(monkeypatch, tmp_path)
    before = metrics(at)
    at.selectbox(key=allocation_page.reserve_choice_key(fingerprint)).select("NL-LI").run()
    at.number_input(key=allocation_page.reserve_input_key(fingerprint)).set_value(1.0).run()
    assert metrics(at)["Units across national borders"] == "0"
    assert metrics(at) != before
    at.button(key="allocation.reset").click().run()
    assert not at.exception
    assert metrics(at) == before
    assert at.number_input(key=allocation_page.reserve_input_key(fingerprint)).value == 0.2


def test_hostile_names_stay_text(tmp_path, monkeypatch):
    write_scenario(tmp_path / "s", name=XSS + MARKDOWN)
    at = open_page(monkeypatch, tmp_path)
    assert not at.exception
    unmet = dataframe_with(at, "Reason")
    assert (unmet["Incident"] == XSS + MARKDOWN).all()  # shown as it is, as table text
    shown_as_markdown = (
        [m.value for m in at.markdown] + [e.value for e in at.error] + [c.value for c in at.caption]
    )
    assert not any("<img" in text or "203.0.113.9" in text for text in shown_as_markdown)
    script = map_args(at)["script"]
    assert "<img src=x" not in script
    parsed = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), script)
    assert "<img src=x" not in parsed and html.escape(XSS) in parsed  # escaped text


def test_a_broken_scenario_lists_problems_and_plans_nothing(tmp_path, monkeypatch):
    folder = write_scenario(tmp_path / "broken")
    (folder / "resources.geojson").write_text("{", encoding="utf-8")
    computed = plans.plans_computed()
    at = open_page(monkeypatch, tmp_path)
    assert not at.exception
    assert "cannot be shown" in at.error[0].value
    assert not at.metric and not at.get("component_instance")
    assert plans.plans_computed() == computed


def test_the_page_opens_on_the_scenario_chosen_on_the_overview(tmp_path, monkeypatch):
    write_scenario(tmp_path / "a-first")
    write_scenario(tmp_path / "b-second", name="Second flood")
    monkeypatch.setenv(SCENARIO_DIRS_ENV, str(tmp_path))
    at = app_test(default_timeout=180).run()
    at.selectbox(key="overview.scenario").select_index(1).run()
    at.switch_page("pages/allocation.py").run()
    assert not at.exception
    assert at.selectbox(key="allocation.scenario").value == tmp_path / "b-second"
    assert "Second flood" in dataframe_with(at, "Reason")["Incident"].tolist()


def test_each_jurisdiction_keeps_its_reserve_while_another_is_edited(tmp_path, monkeypatch):
    write_scenario(tmp_path / "s")
    fingerprint = scenario_fingerprint((tmp_path / "s").resolve())
    at = open_page(monkeypatch, tmp_path)
    choice = allocation_page.reserve_choice_key(fingerprint)
    value = allocation_page.reserve_input_key(fingerprint)
    at.selectbox(key=choice).select("NL-LI").run()
    assert at.number_input(key=value).value == 0.2  # the file's share
    at.number_input(key=value).set_value(0.5).run()
    at.selectbox(key=choice).select("DE-NW").run()
    assert at.number_input(key=value).value == 0.0
    at.number_input(key=value).set_value(0.25).run()
    at.selectbox(key=choice).select("NL-LI").run()
    assert not at.exception
    assert at.number_input(key=value).value == 0.5
    assert at.text[0].value.splitlines()[1:] == [
        "  reserve of DE-NW: 0 -> 0.25",
        "  reserve of NL-LI: 0.2 -> 0.5",
    ]

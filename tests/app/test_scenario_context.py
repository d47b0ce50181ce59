"""The scenario follows a person across pages and into the address (issue 13), in
AppTest: carried across page switches, read from and written to ``?scenario=``, the
default by the person's jurisdiction, an unknown name said and fallen back from, the wall
screen fixed by its address, "Request assistance" only where one's jurisdiction is, and
the Overview's filters kept while another page is looked at."""

from __future__ import annotations

from pathlib import Path

import pytest
from signed import app_test
from streamlit.testing.v1 import AppTest

from builders import write_lake_and_border
from mutualaid.access.actor import system_actor
from mutualaid.scenario.loading import load_scenario
from mutualaid.settings import SCENARIO_DIRS_ENV
from mutualaid.store import open_store
from mutualaid.store.layer_store import save_scenario
from mutualaid.store.migrate import upgrade
from mutualaid.text import literal

#: The pages that show a scenario, and the session-state prefix of each one's selector.
PAGES = {
    "pages/overview.py": "overview",
    "pages/allocation.py": "allocation",
    "pages/briefing.py": "briefing",
    "pages/agreements.py": "agreements",
    "pages/layers.py": "layers",
    "pages/workflow.py": "workflow",
}


@pytest.fixture
def roots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``a-lake`` and ``b-border`` offered, both stored (as a first run stores the
    samples), so the Workflow page lists them too."""
    write_lake_and_border(tmp_path)
    monkeypatch.setenv(SCENARIO_DIRS_ENV, str(tmp_path))
    store = open_store()
    try:
        upgrade(store)
        for name in ("a-lake", "b-border"):
            result = load_scenario(tmp_path / name)
            save_scenario(store, result.scenario, name=name, sources={}, actor=system_actor("test"))
    finally:
        store.dispose()
    return tmp_path


def shown(at: AppTest, page: str) -> str:
    """The scenario name the page's selector shows."""
    value = at.selectbox(key=f"{PAGES[page]}.scenario").value
    return value if isinstance(value, str) else Path(value).name


def open_at(page: str, **account) -> AppTest:
    at = app_test(**account)
    at.run()
    if page != "pages/overview.py":
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("page", PAGES)
def test_a_de_nw_coordinator_starts_on_the_scenario_holding_de_nw(roots, page):
    at = open_at(page, role="coordinator", jurisdiction="DE-NW", username="dieter")
    assert shown(at, page) == "b-border"
    assert at.query_params["scenario"] == "b-border"


def test_someone_without_a_jurisdiction_in_any_scenario_gets_the_first(roots):
    admin = open_at("pages/overview.py")  # an admin bound to no jurisdiction
    assert shown(admin, "pages/overview.py") == "a-lake"
    elsewhere = open_at("pages/overview.py", role="viewer", jurisdiction="BE-WLG")
    assert shown(elsewhere, "pages/overview.py") == "a-lake"


def test_the_scenario_chosen_is_carried_to_every_page(roots):
    at = open_at("pages/overview.py")
    at.selectbox(key="overview.scenario").select_index(1).run()
    assert at.query_params["scenario"] == "b-border"
    for page in (*PAGES, "pages/overview.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert shown(at, page) == "b-border", page
        assert at.query_params["scenario"] == "b-border", page


def test_a_choice_on_another_page_comes_back_to_the_overview(roots):
    at = open_at("pages/workflow.py")
    at.selectbox(key="workflow.scenario").set_value("b-border").run()
    at.switch_page("pages/overview.py").run()
    assert shown(at, "pages/overview.py") == "b-border"


@pytest.mark.parametrize("page", PAGES)
def test_each_page_opens_on_the_scenario_the_address_names(roots, page):
    at = app_test()  # an admin: the default would be a-lake
    at.query_params["scenario"] = "b-border"
    at.run()
    if page != "pages/overview.py":
        at.switch_page(page).run()
    assert not at.exception
    assert shown(at, page) == "b-border"
    assert not at.warning


def test_the_sidebar_links_carry_the_scenario(roots):
    at = open_at("pages/overview.py")
    at.selectbox(key="overview.scenario").select_index(1).run()
    links = at.sidebar.get("page_link")
    assert links and all(link.proto.query_string == "scenario=b-border" for link in links)


def test_an_unknown_scenario_is_said_plainly_and_falls_back(roots):
    at = app_test(role="coordinator", jurisdiction="DE-NW", username="dieter")
    at.query_params["scenario"] = "atlantis**"
    at.run()
    assert not at.exception
    [warning] = at.warning
    assert warning.value == literal(
        'There is no scenario named "atlantis**" here; showing "b-border" instead.'
    )
    assert shown(at, "pages/overview.py") == "b-border"
    assert at.query_params["scenario"] == "b-border"


def test_the_wall_screen_is_fixed_by_its_address(roots):
    at = app_test()
    at.query_params["view"] = "briefing"
    at.query_params["scenario"] = "b-border"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Briefing"
    assert not at.selectbox  # no selector on the wall
    assert at.metric
    assert at.query_params == {"view": "briefing", "scenario": "b-border"}


def test_the_wall_screen_without_a_scenario_offers_the_selector(roots):
    at = app_test()
    at.query_params["view"] = "briefing"
    at.run()
    assert not at.exception
    assert shown(at, "pages/briefing.py") == "a-lake"


def expanders(at: AppTest) -> list[str]:
    return [e.label for e in at.expander]


def test_request_assistance_only_on_a_scenario_holding_ones_jurisdiction(roots):
    at = open_at("pages/workflow.py", role="coordinator", jurisdiction="DE-NW", username="dieter")
    assert shown(at, "pages/workflow.py") == "b-border"
    assert literal("Request assistance for DE-NW") in expanders(at)
    at.selectbox(key="workflow.scenario").set_value("a-lake").run()
    assert not at.exception
    assert not any("Request assistance" in label for label in expanders(at))


def test_the_overview_filters_are_kept_while_another_page_is_looked_at(roots):
    at = open_at("pages/overview.py")
    at.selectbox(key="overview.scenario").set_value(roots / "b-border").run()
    at.multiselect(key="overview.filter.jurisdictions").set_value(["NL-LI"]).run()
    at.switch_page("pages/allocation.py").run()
    at.switch_page("pages/overview.py").run()
    assert not at.exception
    assert at.multiselect(key="overview.filter.jurisdictions").value == ["NL-LI"]

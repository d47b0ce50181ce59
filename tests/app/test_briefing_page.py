"""The briefing page in Streamlit's AppTest: figures, unmet needs, the kiosk view, problems.

AppTest runs the real app, planner and st_folium call; the timed refresh, the drawn map
and the downloaded file are tests/e2e/test_briefing.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from signed import app_test
from streamlit.testing.v1 import AppTest

from mutualaid.allocation import allocate
from mutualaid.allocation.held import Held
from mutualaid.exports import figure_items, top_unmet
from mutualaid.figures.operation import operation_figures
from mutualaid.figures.plan import key_figures
from mutualaid.scenario.loading import load_scenario
from mutualaid.settings import (
    BRIEFING_REFRESH_ENV,
    BRIEFING_REFRESH_S,
    BRIEFING_TOP_UNMET,
    SCENARIO_DIRS_ENV,
)
from mutualaid.ui.pages.briefing_page import (
    MAP_FILLS_FRAME,
    WALL_NO_HEADER_CSS,
    file_stem,
    refresh_seconds,
    wall_css,
)
from mutualaid.ui.router import HIDE_SIDEBAR_CSS

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
RHINE = ROOT / "data" / "rhine-flood-2021"


def app(monkeypatch: pytest.MonkeyPatch, *roots: Path) -> AppTest:
    monkeypatch.setenv(SCENARIO_DIRS_ENV, ":".join(str(r) for r in roots))
    return app_test(default_timeout=180)


def open_page(monkeypatch: pytest.MonkeyPatch, *roots: Path) -> AppTest:
    at = app(monkeypatch, *roots).run()
    return at.switch_page("pages/briefing.py").run()


def the_map(at: AppTest):
    [component] = at.get("component_instance")
    assert component.proto.component_name == "streamlit_folium.st_folium"
    return component


def styles(at: AppTest) -> list[str]:
    return [node.proto.body for node in at.get("html")]


# --- main path ------------------------------------------------------------------------------


def test_the_rhine_briefing_shows_figures_map_and_most_severe_unmet(monkeypatch):
    scenario = load_scenario(RHINE).scenario
    assert scenario is not None, "the Rhine sample does not validate (make scenarios)"
    plan = allocate(scenario)
    figures = key_figures(plan, scenario)
    at = open_page(monkeypatch, RHINE)
    assert not at.exception
    assert not at.error
    assert at.title[0].value == "Briefing"
    shown = {m.label: m.value for m in at.metric}
    # Nothing held: the operation's figures are those of the plan alone.
    assert shown == dict(figure_items(operation_figures(scenario, Held(), plan), figures))
    assert shown["Units deployed"] == "0"
    [table] = at.dataframe
    expected = top_unmet(figures)
    assert len(figures.unmet) > 0  # the premise: the sample leaves needs unmet
    assert table.value["Reason"].tolist() == expected["Reason"].tolist()
    assert table.value["Id"].tolist() == expected["Id"].tolist()
    severities = [int(s) for s in table.value["Severity"]]
    assert severities == sorted(severities, reverse=True)
    assert any(c.value.startswith("Updated at ") for c in at.caption)
    assert "height" in json.loads(the_map(at).proto.json_args)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == [
        "Download the briefing (HTML)",
        "Assignments (CSV)",
        "Unmet needs (CSV)",
        "Flows (GeoJSON)",
    ]


def test_a_rerun_with_nothing_new_keeps_the_same_map(monkeypatch):
    at = open_page(monkeypatch, RHINE)
    before = the_map(at).proto
    at.run()
    after = the_map(at).proto
    assert not at.exception
    assert after.id == before.id  # same widget: the browser keeps its map
    assert after.json_args == before.json_args  # and nothing in it changed


# --- the kiosk view -------------------------------------------------------------------------


def test_view_briefing_shows_the_briefing_with_no_sidebar(monkeypatch):
    at = app(monkeypatch, RHINE)
    at.query_params["view"] = "briefing"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Briefing"
    assert len(at.sidebar.children) == 0
    assert HIDE_SIDEBAR_CSS in styles(at)
    assert at.metric  # the figures, as on the page itself


def test_without_the_view_parameter_the_sidebar_stays(monkeypatch):
    at = app(monkeypatch, RHINE).run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert HIDE_SIDEBAR_CSS not in styles(at)


def test_another_view_value_is_the_normal_app(monkeypatch):
    at = app(monkeypatch, RHINE)
    at.query_params["view"] = "admin"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert HIDE_SIDEBAR_CSS not in styles(at)


# --- error path -----------------------------------------------------------------------------


def test_a_broken_scenario_lists_its_problems_without_a_traceback(monkeypatch, tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "jurisdictions.geojson").write_text(
        '{"type": "FeatureCollection", "features": [', encoding="utf-8"
    )
    (folder / "incidents.geojson").write_text("<script>alert(1)</script>", encoding="utf-8")
    at = app(monkeypatch, folder)
    at.query_params["view"] = "briefing"
    at.run()
    assert not at.exception
    assert at.error and "cannot be shown" in at.error[0].value
    [problems] = at.dataframe
    assert set(problems.value["layer"]) >= {"jurisdictions", "incidents"}
    assert not at.metric
    assert not at.get("component_instance")


# --- small rules ----------------------------------------------------------------------------


def test_refresh_interval_from_the_environment():
    assert refresh_seconds({BRIEFING_REFRESH_ENV: "2"}) == 2.0
    assert refresh_seconds({BRIEFING_REFRESH_ENV: "0.5"}) == 0.5
    for bad in ("", "soon", "0", "-3", "nan", "inf"):
        assert refresh_seconds({BRIEFING_REFRESH_ENV: bad}) == BRIEFING_REFRESH_S
    assert refresh_seconds({}) == BRIEFING_REFRESH_S


def test_download_names_keep_only_safe_characters():
    assert file_stem("rhine-flood-2021") == "rhine-flood-2021"
    assert file_stem("../../etc/passwd") == "etc-passwd"
    assert file_stem("<>") == "scenario"


# --- made for a wall (issue 13) -------------------------------------------------------------


def test_the_time_shown_has_date_time_and_zone(monkeypatch):
    at = open_page(monkeypatch, RHINE)
    [updated] = [c.value for c in at.caption if c.value.startswith("Updated at ")]
    assert re.fullmatch(
        r"Updated at \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d:\d\d UTC, every \d+ s", updated
    ), updated


def test_the_page_is_laid_out_for_one_screen(monkeypatch):
    at = open_page(monkeypatch, RHINE)
    assert not at.exception
    css = "".join(styles(at))
    assert wall_css(wall=False) in css
    assert WALL_NO_HEADER_CSS not in css  # the page keeps Streamlit's header
    # The map fills its frame, whose height the page's CSS takes from the viewport.
    assert MAP_FILLS_FRAME in json.loads(the_map(at).proto.json_args)["header"]
    # The top unmet needs beside the map, in their own box, a few rows in view.
    [table] = at.dataframe
    assert len(table.value) == BRIEFING_TOP_UNMET
    assert any("shown; every one in the export" in c.value for c in at.caption)


def test_the_wall_screen_named_by_its_address_has_no_header_or_selector(monkeypatch):
    at = app(monkeypatch, RHINE)
    at.query_params["view"] = "briefing"
    at.query_params["scenario"] = RHINE.name
    at.run()
    assert not at.exception
    css = "".join(styles(at))  # style-only html blocks of one run may come as one
    assert wall_css(wall=True) in css and WALL_NO_HEADER_CSS in css
    assert not at.selectbox

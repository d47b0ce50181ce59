"""The workflow's held units on the Allocation page's map (issue 12), in AppTest on a real
SQLite store: the scenario stored by the page itself, an offer computed, committed,
accepted and marked arrived with the workflow's own functions, the page run again after each."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from signed import app_store, app_test
from streamlit.testing.v1 import AppTest

import builders
from builders import BOATS_AND_A_PUMP, incident, limburg_offer
from mutualaid.access.actor import Actor
from mutualaid.maps.held import HELD_LINES_NAME, HELD_RINGS_NAME, HELD_TITLE, eta_text
from mutualaid.settings import SCENARIO_DIRS_ENV
from mutualaid.store import workflow
from mutualaid.store.workflow.held import eta_of

COMMITTED_AT = datetime(2021, 7, 14, 18, 0, tzinfo=UTC)
DIETER = Actor("dieter", "coordinator", "DE-NW")  # the requester
NORA = Actor("nora", "coordinator", "NL-LI")  # the provider across the border


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The app's store, and one scenario folder "erft": a flood in DE-NW short of five
    boats; two boats at home, five boats and a pump in NL-LI."""
    opened = app_store(tmp_path, monkeypatch)
    root = tmp_path / "scenarios"
    builders.write_scenario(
        root / "erft",
        incidents=[incident(6.5, 50.5, "I-1", severity=5, needs={"boat": 5})],
        resources=BOATS_AND_A_PUMP,
    )
    monkeypatch.setenv(SCENARIO_DIRS_ENV, str(root))
    yield opened
    opened.dispose()


def map_script(at: AppTest) -> str:
    """The map's script as st_folium gets it, JSON strings decoded."""
    [component] = at.get("component_instance")
    assert component.proto.component_name == "streamlit_folium.st_folium"
    return json.loads(component.proto.json_args)["script"]


def collections(script: str) -> list[dict]:
    """Every FeatureCollection the map's script adds to a layer."""
    found = re.findall(r"\.addData\((\{.*?\})\);\n", script)
    return [json.loads(text) for text in found]


def held_features(script: str) -> list[dict]:
    """The properties of the held units' features the map draws (the key ``stage`` is
    theirs alone; the plan's flows have ``route``)."""
    features = [f for c in collections(script) for f in c["features"]]
    return [f["properties"] for f in features if "stage" in f["properties"]]


def test_an_offer_is_drawn_committed_en_route_then_on_scene_apart_from_the_plan(store):
    at = app_test().run().switch_page("pages/allocation.py").run()  # stores "erft"
    assert not at.exception
    before = map_script(at)
    assert held_features(before) == []
    assert html.escape(HELD_LINES_NAME) not in before and html.escape(HELD_TITLE) not in before

    offer_id = limburg_offer(store, "erft")
    workflow.commit_offer(store, offer_id, actor=NORA, now=COMMITTED_AT)
    committed = map_script(at.run())
    assert not at.exception
    assert html.escape(HELD_LINES_NAME) in committed
    assert [f["stage"] for f in held_features(committed)] == ["committed, not yet accepted"]

    workflow.accept_offer(store, offer_id, actor=DIETER)
    after = map_script(at.run())
    assert not at.exception
    assert html.escape(HELD_LINES_NAME) in after and html.escape(HELD_TITLE) in after
    assert html.escape(HELD_RINGS_NAME) not in after  # none on scene yet
    [held] = held_features(after)
    [line] = workflow.held_lines(store, "erft").lines
    units = {line.resource_id: line.units}
    assert held == {
        "stage": "en route (accepted)",
        "resource": "R-2",
        "incident": "I-1",
        "type": "boat",
        "units": str(units["R-2"]),
        "between": "NL-LI (NL) -&gt; DE-NW (DE)",
        "eta": eta_text(eta_of(COMMITTED_AT, line.minutes)),  # commit time + minutes
        "offer": f"#{offer_id}",
    }
    assert held["eta"].startswith("2021-07-14 ")
    # The plan, made of what is free, proposes none of R-2's held boats again.
    features = [f for c in collections(after) for f in c["features"]]
    flows = [f["properties"] for f in features if "route" in f["properties"]]
    assert flows and all(f["resource"] != "R-2" for f in flows)

    # Arrived: a ring at the incident with the units' count, and no line any more.
    workflow.arrive_offer(store, offer_id, actor=DIETER)
    arrived = map_script(at.run())
    assert not at.exception
    [ring] = held_features(arrived)
    assert (ring["stage"], ring["incident"], ring["units"]) == ("on scene", "I-1", str(line.units))
    assert ring["resource"] == f"R-2 (boat, {line.units})" and ring["offer"] == f"#{offer_id}"
    assert html.escape(HELD_RINGS_NAME) in arrived and html.escape(HELD_LINES_NAME) not in arrived
    assert f"[[6.5, 50.5, {line.units}]]" in arrived  # the count beside the ring


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/briefing.py"])
def test_the_overview_and_briefing_maps_draw_them_too(store, page):
    at = app_test().run().switch_page("pages/allocation.py").run()  # stores "erft"
    offer_id = limburg_offer(store, "erft")
    workflow.commit_offer(store, offer_id, actor=NORA)
    workflow.accept_offer(store, offer_id, actor=DIETER)
    at.switch_page(page).run()
    assert not at.exception
    [held] = held_features(map_script(at))
    assert (held["stage"], held["resource"], held["offer"]) == (
        "en route (accepted)",
        "R-2",
        f"#{offer_id}",
    )

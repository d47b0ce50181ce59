"""Every page's figures agree with one reference computation (issue 12): Overview,
Allocation and Briefing, with an offer committed and then accepted in the store, show
the figures of :func:`mutualaid.figures.operation.operation_figures` of the stored
scenario, its held units and the plan of its free part — label for label."""

from __future__ import annotations

import pytest
from signed import app_test
from streamlit.testing.v1 import AppTest

from builders import committed_border_offer, write_border_flood
from mutualaid.access.actor import Actor
from mutualaid.allocation import allocate
from mutualaid.allocation.held import free_part
from mutualaid.exports import figure_items
from mutualaid.figures.operation import figure_labels, operation_figures
from mutualaid.figures.plan import key_figures
from mutualaid.settings import SCENARIO_DIRS_ENV
from mutualaid.store import open_store, workflow
from mutualaid.store.layer_store import load_stored_scenario
from mutualaid.store.migrate import upgrade
from mutualaid.ui.panels import OVERVIEW_FIGURES

NAME = "erft"


def reference(store) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The shared figures as (label -> value) and the Briefing's items, computed from
    the store alone."""
    scenario = load_stored_scenario(store, NAME).scenario
    held = workflow.held_lines(store, NAME)
    free = free_part(scenario, held)
    plan = allocate(free, held=held)
    figures = operation_figures(scenario, held, plan)
    items = figure_items(figures, key_figures(plan, free))
    return {label: value for label, value, _ in figure_labels(figures)}, items


def shown(at: AppTest) -> dict[str, str]:
    assert not at.exception, at.exception
    return {m.label: m.value for m in at.metric}


@pytest.fixture
def store(tmp_path, monkeypatch):
    """The test's store (the one the app opens) holding the border flood with Limburg's
    offer committed; the folder offered to the app."""
    folder = write_border_flood(tmp_path / NAME)
    monkeypatch.setenv(SCENARIO_DIRS_ENV, str(tmp_path))
    opened = open_store()
    upgrade(opened)
    yield opened, committed_border_offer(opened, folder)
    opened.dispose()


def pages() -> dict[str, dict[str, str]]:
    at = app_test(default_timeout=180).run()
    out = {"overview": shown(at.switch_page("pages/overview.py").run())}
    out["allocation"] = shown(at.switch_page("pages/allocation.py").run())
    out["briefing"] = shown(at.switch_page("pages/briefing.py").run())
    return out


@pytest.mark.parametrize("accepted", [False, True], ids=["committed", "accepted"])
def test_every_page_shows_the_reference_figures(store, accepted):
    opened, offer_id = store
    if accepted:
        workflow.accept_offer(opened, offer_id, actor=Actor("dieter", "coordinator", "DE-NW"))
    shared, items = reference(opened)
    seen = pages()
    for label in OVERVIEW_FIGURES:
        assert seen["overview"][label] == shared[label], label
    for label, value in shared.items():
        if label != "Active incidents":
            assert seen["allocation"][label] == value, label
    assert {k: seen["briefing"][k] for k, _ in items} == dict(items)
    held = "Units deployed" if accepted else "Units committed"
    assert shared[held] == "4" and shared["Units proposed"] == "2"
    for page in seen.values():
        assert page[held] == "4"


def test_a_release_frees_the_units_on_every_page(store):
    opened, offer_id = store
    dieter = Actor("dieter", "coordinator", "DE-NW")
    workflow.accept_offer(opened, offer_id, actor=dieter)
    workflow.release_offer(opened, offer_id, actor=dieter)
    shared, _items = reference(opened)
    assert (shared["Units deployed"], shared["Units committed"]) == ("0", "0")
    for page in pages().values():
        assert page["Units deployed"] == "0"
        assert page["Units proposed"] == shared["Units proposed"]

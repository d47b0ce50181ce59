"""Issue 12's "done when", in a real browser: after an accept, Overview, Allocation and
Briefing show the units deployed, and the next plan does not use them.

A flood in North Rhine-Westphalia (I-1 needs 5 boats and a pump); DE-NW has 2 boats,
Limburg 5 boats and a pump across the border. Dieter (DE-NW) requests; the offers are
computed; Nora (NL-LI) commits Limburg's offer of 3 boats and the pump (4 units). In
the browser, every page first shows those 4 units committed; Dieter accepts them on the
Workflow page; then every page shows 4 units deployed, none committed, and the plan
proposes only DE-NW's own 2 boats for the 2 boats still needed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from browsing import PASSWORD, sign_in
from playwright_api import Page, expect

import builders
from builders import BOATS_AND_A_PUMP, incident
from mutualaid.access.actor import Actor, system_actor
from mutualaid.scenario.loading import load_scenario
from mutualaid.settings import STATE_DIR_ENV, STORE_FILE_NAME
from mutualaid.store import open_store, workflow
from mutualaid.store.layer_store import save_scenario
from mutualaid.store.tables import offers

pytestmark = pytest.mark.e2e

#: How long to wait for the app (ms): a cold Streamlit start on 2 shared cores is slow.
WAIT_MS = 120_000
NAME = "erft-picture"
DIETER = Actor("dieter", "coordinator", "DE-NW")
NORA = Actor("nora", "coordinator", "NL-LI")


def committed_offer(state: Path, folder: Path) -> int:
    """The scenario stored, Dieter's request, the offers, Limburg's committed by Nora;
    returns that offer's id."""
    store = open_store(f"sqlite:///{state / STORE_FILE_NAME}")
    try:
        result = load_scenario(folder)
        assert result.ok, [r.errors for r in result.reports]
        save_scenario(store, result.scenario, name=NAME, sources={}, actor=system_actor("test"))
        workflow.create_request(store, NAME, actor=DIETER, note="boats for Erftstadt")
        outcome = workflow.plan_offers(store, NAME, actor=DIETER)
        with store.reading() as connection:
            (offer_id,) = connection.execute(
                sa.select(offers.c.id).where(
                    offers.c.id.in_(outcome.offer_ids), offers.c.provider == "NL-LI"
                )
            ).scalars()
        workflow.commit_offer(store, int(offer_id), actor=NORA)
        return int(offer_id)
    finally:
        store.dispose()


def metric(page: Page, label: str):
    return page.get_by_test_id("stMetric").filter(has_text=label).get_by_test_id("stMetricValue")


def go_to(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebar").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible(timeout=WAIT_MS)


def expect_figures(page: Page, **values: str) -> None:
    for label, value in values.items():
        expect(metric(page, label)).to_have_text(value, timeout=WAIT_MS)


def test_after_an_accept_every_page_shows_the_units_deployed_and_plans_around_them(
    start_app, own_store, offline_page, tmp_path
):
    folder = builders.write_scenario(
        tmp_path / NAME,
        incidents=[incident(6.5, 50.5, "I-1", severity=5, needs={"boat": 5, "pump": 1})],
        resources=BOATS_AND_A_PUMP,
    )
    env = own_store(dieter=("coordinator", "DE-NW"), nora=("coordinator", "NL-LI"))
    offer_id = committed_offer(Path(env[STATE_DIR_ENV]), folder)
    url = start_app(scenario_dirs=[folder], env=env)
    page = offline_page.page
    page.set_default_timeout(WAIT_MS)

    page.goto(f"{url}/overview")
    sign_in(page, "dieter", PASSWORD)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    # Committed, not yet accepted: 4 units held; the plan proposes DE-NW's 2 boats.
    before = {
        "Units deployed": "0",
        "Units committed": "4",
        "Units proposed": "2",
        "Units short / needed": "0 / 6",
    }
    expect_figures(page, **before)

    go_to(page, "Workflow")
    card = page.locator(f".st-key-workflow-offer-{offer_id}")
    card.get_by_role("button", name="Accept").click()
    expect(page.get_by_text(f"Offer {offer_id} accepted (units deployed)")).to_be_visible()

    after = {
        "Units deployed": "4",
        "Units committed": "0",
        "Units proposed": "2",  # the next plan: DE-NW's own boats only
        "Units short / needed": "0 / 6",
        "Need covered now": "66.7 %",  # 4 of 6 units, one incident
        "Units across national borders": "4",
    }
    go_to(page, "Overview")
    expect_figures(page, **after)
    go_to(page, "Allocation")
    expect_figures(page, **after)
    go_to(page, "Briefing")
    expect_figures(page, **after)
    assert offline_page.errors == []

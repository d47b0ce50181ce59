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
from browsing import PASSWORD, go_to, metric, open_board_group, sign_in
from playwright_api import Page, expect

from builders import committed_border_offer, write_border_flood
from mutualaid.settings import STATE_DIR_ENV, STORE_FILE_NAME
from mutualaid.store import open_store

pytestmark = pytest.mark.e2e

#: How long to wait for the app (ms): a cold Streamlit start on 2 shared cores is slow.
WAIT_MS = 120_000
NAME = "erft-picture"


def expect_figures(page: Page, **values: str) -> None:
    for label, value in values.items():
        expect(metric(page, label)).to_have_text(value, timeout=WAIT_MS)


def test_after_an_accept_every_page_shows_the_units_deployed_and_plans_around_them(
    start_app, own_store, offline_page, tmp_path
):
    folder = write_border_flood(tmp_path / NAME)
    env = own_store(dieter=("coordinator", "DE-NW"), nora=("coordinator", "NL-LI"))
    store = open_store(f"sqlite:///{Path(env[STATE_DIR_ENV]) / STORE_FILE_NAME}")
    try:
        offer_id = committed_border_offer(store, folder)
    finally:
        store.dispose()
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
    card = open_board_group(page, page.locator(f".st-key-workflow-offer-{offer_id}"))
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

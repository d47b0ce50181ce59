"""Issue 13, item 6, in a real browser at 1366×768: the Workflow board of the Rhine flood
sample after DE-NW's coordinator requested every need and clicked "Compute offers" is
grouped, each group collapsed to its one-line summary, so the whole page stays under
2,000 px (it was 6,000 px with twelve tables); and a destructive action (cancelling the
request) needs its second, explicit step: the first click only opens the question.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browsing import open_offline_page
from playwright_api import expect

from mutualaid.access.actor import Actor, system_actor
from mutualaid.scenario.loading import load_scenario
from mutualaid.settings import FIRST_RUN_ENV, LIVE_REFRESH_ENV, STATE_DIR_ENV, STORE_FILE_NAME
from mutualaid.store import open_store, workflow
from mutualaid.store.accounts import add_account
from mutualaid.store.database import DATABASE_URL_ENV
from mutualaid.store.layer_store import save_scenario
from mutualaid.store.migrate import upgrade

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
RHINE = ROOT / "data" / "rhine-flood-2021"
WAIT_MS = 120_000
PASSWORD = "dieter-nrw-2021-flood"
DIETER = Actor("dieter", "coordinator", "DE-NW")
#: The page's height must stay under this with every group collapsed (px).
MAX_BOARD_HEIGHT = 2_000


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The Rhine flood stored as "rhine", Dieter's account and his request of every
    DE-NW need (no offers yet: the test computes them from the page)."""
    state = tmp_path_factory.mktemp("board") / "state"
    state.mkdir()
    url = f"sqlite:///{state / STORE_FILE_NAME}"
    store = open_store(url)
    try:
        upgrade(store)
        result = load_scenario(RHINE)
        assert result.ok
        admin = system_actor("test")
        save_scenario(store, result.scenario, name="rhine", sources={}, actor=admin)
        add_account(
            store,
            username="dieter",
            role="coordinator",
            jurisdiction="DE-NW",
            password=PASSWORD,
            actor=admin,
        )
        workflow.create_request(store, "rhine", actor=DIETER)
    finally:
        store.dispose()
    return url, state


def board_height(page) -> float:
    """The height of the page's main block (Streamlit scrolls inside it), px."""
    box = page.get_by_test_id("stMainBlockContainer").bounding_box()
    assert box is not None
    return float(box["height"])


def test_the_board_after_compute_offers_is_short_and_cancel_needs_confirmation(
    start_app, browser, prepared
):
    url_store, state = prepared
    url = start_app(
        scenario_dirs=[RHINE],
        env={
            STATE_DIR_ENV: str(state),
            DATABASE_URL_ENV: url_store,
            FIRST_RUN_ENV: "0",
            LIVE_REFRESH_ENV: "3600",
        },
    )
    record = open_offline_page(browser, timeout_ms=WAIT_MS)
    page = record.page
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{url}/workflow")
    page.get_by_role("textbox", name="Username").fill("dieter")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("button", name="Refresh")).to_be_visible()

    tools = page.get_by_test_id("stExpander").filter(has_text="Compute offers")
    tools.locator("summary").first.click()
    page.get_by_role("button", name="Compute offers", exact=True).click()
    expect(page.get_by_text("Plan 1 computed:")).to_be_visible()
    # The computed offers are on the board (one group per request).
    expect(page.locator(".st-key-workflow-group-request-1")).to_be_visible()
    page.wait_for_timeout(500)
    height = board_height(page)
    print(f"workflow board height after Compute offers at 1366x768: {height:.0f} px")
    assert height < MAX_BOARD_HEIGHT, height

    # Cancelling the request: the first click only asks; the request stays open.
    group = page.locator(".st-key-workflow-group-request-1")
    group.locator("summary").first.click()
    page.get_by_role("button", name="Cancel request…").click()
    confirm = page.get_by_role("button", name="Yes, cancel request 1")
    expect(confirm).to_be_visible()
    store = open_store(url_store)
    try:
        (request,) = workflow.board(store, "rhine", viewer=DIETER).requests
        assert request.state == "open"
        confirm.click()
        expect(page.get_by_text("Request 1 cancelled by you at")).to_be_visible()
        (request,) = workflow.board(store, "rhine", viewer=DIETER).requests
        assert request.state == "cancelled"
    finally:
        store.dispose()
    assert record.errors == [] and not record.blocked
    record.context.close()

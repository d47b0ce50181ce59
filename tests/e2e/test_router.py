"""Every page is served through app.py's router, even as the first request a new server gets.

Bug guarded: Streamlit treats an app with a ``pages/`` folder as an old-style multipage app
until ``st.navigation`` has run once, so the first request for ``/allocation`` on a fresh
server ran ``pages/allocation.py`` directly, skipping ``app.py`` (page config, navigation,
and any sign-in gate put there later).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browsing import visit
from playwright_api import expect

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_bug_deep_link_on_a_fresh_server_goes_through_the_router(start_app, offline_page):
    # A folder list no other test uses, so this server is new and this is its first request.
    url = start_app(scenario_dirs=[ROOT / "data" / "rhine-flood-2021", ROOT / "data" / "lake-chad"])
    page = offline_page.page
    visit(page, f"{url}/allocation")
    expect(page.get_by_role("heading", name="Allocation")).to_be_visible()
    nav = page.get_by_test_id("stSidebar")
    expect(nav.get_by_role("link", name="Overview", exact=True)).to_be_visible()
    # The old-style navigation would list the entry script itself as a page called "app".
    expect(nav.get_by_text("app", exact=True)).to_have_count(0)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
    expect(page).to_have_title("Mutual Aid")

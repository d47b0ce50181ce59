"""Issue 16, part 4, in a real browser: a display name that is Markdown for an image
(``![t](http://127.0.0.1:9/x.png)``, set by an admin or an identity provider's ``name``
claim) shows as that text in "Signed in as ..." and in a refusal, and the browser never
asks for the image. (The address is on this machine, so the offline page lets the
request through and records it: nothing listens on port 9.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from browsing import visit
from playwright_api import expect

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "rhine-flood-2021"
IMAGE = "http://127.0.0.1:9/x.png"
HOSTILE = f"![t]({IMAGE})"


def test_a_display_name_written_as_an_image_stays_text_and_loads_nothing(
    start_app, offline_page, own_store
):
    env = own_store(vic=("viewer", "DE-NW", HOSTILE))
    url = start_app(scenario_dirs=[SAMPLE], env=env)
    page = offline_page.page
    visit(page, url, username="vic")
    sidebar = page.get_by_test_id("stSidebar")
    expect(
        sidebar.get_by_text(f"Signed in as {HOSTILE} (DE-NW viewer)", exact=True)
    ).to_be_visible()
    # a page above the viewer's role: refused, naming the person as text
    visit(page, f"{url}/accounts", username="vic")
    expect(page.get_by_text("This page needs the admin role")).to_be_visible()
    expect(page.get_by_test_id("stAlert").filter(has_text=HOSTILE)).to_have_count(1)
    expect(sidebar.get_by_text(f"Signed in as {HOSTILE}", exact=False)).to_be_visible()
    assert page.locator("img[src*='127.0.0.1:9']").count() == 0
    assert not [u for u in offline_page.requests if u.startswith("http://127.0.0.1:9/")]
    assert not offline_page.errors and not offline_page.dialogs

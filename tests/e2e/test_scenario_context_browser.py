"""The scenario follows a person across pages and into the address (issue 13), in a real
browser: chosen on the Overview, still shown on Allocation and the Briefing reached by the
sidebar's links, and after a reload; the address names it all along."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browsing import choose_scenario, go_to, sign_in, visit
from playwright_api import Page, expect

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = [ROOT / "data" / "lake-chad", ROOT / "data" / "rhine-flood-2021"]
RHINE = "rhine-flood-2021"


def scenario_shown(page: Page) -> None:
    expect(page.get_by_role("combobox", name="Scenario")).to_have_value(RHINE)
    expect(page).to_have_url(re.compile(rf"[?&]scenario={RHINE}(&|$)"))


def test_the_scenario_chosen_follows_across_pages_and_a_reload(start_app, offline_page):
    url = start_app(scenario_dirs=SAMPLES)
    page = offline_page.page
    visit(page, f"{url}/overview")  # an admin bound to no jurisdiction: Lake Chad first
    expect(page.get_by_role("combobox", name="Scenario")).to_have_value("lake-chad")
    choose_scenario(page, RHINE)
    expect(page).to_have_url(re.compile(rf"/\?scenario={RHINE}$"))  # the default page

    go_to(page, "Allocation")
    scenario_shown(page)
    expect(page).to_have_url(re.compile(r"/allocation\?"))
    go_to(page, "Briefing")
    scenario_shown(page)
    expect(page).to_have_url(re.compile(r"/briefing\?"))

    page.reload()
    form = page.get_by_role("textbox", name="Password")
    heading = page.get_by_role("heading", name="Briefing", exact=True)
    expect(form.or_(heading).first).to_be_visible()
    if form.is_visible():
        sign_in(page, "e2e")  # until a sign-in outlives a reload (issue 13, item 1)
    expect(heading).to_be_visible()
    scenario_shown(page)
    go_to(page, "Overview")
    scenario_shown(page)

"""The Agreements page in a real browser: edit a border delay in the data editor, apply it,
and see the Allocation page plan with it; screenshots of the Agreements and Layers pages.

The rows editor is Streamlit's ``st.data_editor`` (a canvas grid): a cell is edited by
double-clicking where it is drawn, typing and pressing Enter, as a coordinator would.
The pages are changed with the sidebar's links, not new URLs: the edit belongs to this
browser session.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from browsing import edit_last_column, go_to, metric, visit
from playwright_api import expect

from builders import write_erft_boats
from mutualaid.allocation import allocate
from mutualaid.allocation.what_if import edit, edited_agreements
from mutualaid.figures.plan import key_figures
from mutualaid.scenario.loading import load_scenario
from mutualaid.vocabulary import duration

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
#: How long to wait for the app (ms): a cold Streamlit start on 2 shared cores is slow.
WAIT_MS = 120_000
AGREEMENTS = "from,to,resource_types,border_delay_min\nNL,DE,*,20\nNL-LI,DE-NW,pump,5\n"


@pytest.fixture(scope="module")
def scenario_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Boats in Limburg help a flood in North Rhine-Westphalia across the border."""
    return write_erft_boats(tmp_path_factory.mktemp("agreements") / "erft", agreements=AGREEMENTS)


def worst_response(folder: Path, agreements_csv: str) -> str:
    """The plan's worst response as the page shows it, by the real optimiser."""
    scenario = load_scenario(folder).scenario
    agreements, report = edited_agreements(pd.read_csv(io.StringIO(agreements_csv)), scenario)
    assert agreements is not None, report.problems
    edited = edit(scenario, agreements=agreements)
    return duration(key_figures(allocate(edited), edited).response.worst_minutes)


def test_an_edited_delay_changes_the_allocation_plan(
    start_app, offline_page, scenario_dir, own_store
):
    url = start_app(scenario_dirs=[scenario_dir], env=own_store(ada=("admin", None)))
    page = offline_page.page
    before = worst_response(scenario_dir, AGREEMENTS)
    after = worst_response(scenario_dir, AGREEMENTS.replace("NL,DE,*,20", "NL,DE,*,200"))
    assert before != after  # the premise: the delay matters to this plan

    visit(page, f"{url}/allocation", username="ada")  # the agreements are an admin's
    expect(page.get_by_role("heading", name="Allocation")).to_be_visible(timeout=WAIT_MS)
    expect(metric(page, "Worst response (proposed)")).to_have_text(before, timeout=WAIT_MS)

    go_to(page, "Agreements")
    apply = page.get_by_role("button", name="Apply")
    expect(apply).to_be_disabled(timeout=WAIT_MS)
    edit_last_column(page, row=0, text="200")
    expect(apply).to_be_enabled(timeout=WAIT_MS)
    apply.click()
    expect(page.get_by_text("Applied: 2 agreement row(s)")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("1 change(s) stored since its files were loaded")).to_be_visible(
        timeout=WAIT_MS
    )
    page.mouse.move(5, 5)
    page.screenshot(path=str(SCREENSHOTS / "agreements.png"), full_page=True)

    go_to(page, "Allocation")
    expect(metric(page, "Worst response (proposed)")).to_have_text(after, timeout=WAIT_MS)

    go_to(page, "Layers")
    expect(
        page.get_by_text(
            "1 layer version(s) added; last: agreements version 2 from edited in the app by ada"
        )
    ).to_be_visible(timeout=WAIT_MS)
    page.screenshot(path=str(SCREENSHOTS / "layers.png"), full_page=True)
    assert not offline_page.errors and not offline_page.dialogs


def test_an_invalid_delay_is_listed_and_not_applied(start_app, offline_page, scenario_dir):
    url = start_app(scenario_dirs=[scenario_dir])
    page = offline_page.page
    visit(page, f"{url}/agreements")
    expect(page.get_by_role("heading", name="Agreements")).to_be_visible(timeout=WAIT_MS)
    edit_last_column(page, row=1, text="-5")
    expect(page.get_by_text("The edited agreements have 1 error(s)")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("button", name="Apply")).to_be_disabled(timeout=WAIT_MS)
    expect(page.get_by_text("0 change(s) stored since its files were loaded")).to_be_visible(
        timeout=WAIT_MS
    )
    assert not offline_page.errors and not offline_page.dialogs

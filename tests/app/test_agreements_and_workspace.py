"""The Agreements page, and the session's scenario shared by every page, in AppTest.

The rows editor is driven the way Streamlit's own front end reports edits (the
``edited_rows`` / ``added_rows`` / ``deleted_rows`` delta in session state); the plan
each page shows is compared with the real optimiser run on the same edited scenario.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from signed import app_test
from streamlit.testing.v1 import AppTest

from builders import collection, point, write_erft_boats
from mutualaid.allocation import allocate
from mutualaid.allocation.what_if import edit, edited_agreements
from mutualaid.figures.plan import key_figures
from mutualaid.layers import load_layer
from mutualaid.scenario.catalogue import scenario_fingerprint
from mutualaid.scenario.loading import load_scenario
from mutualaid.scenario.merging import add_layer, new_workspace
from mutualaid.settings import SCENARIO_DIRS_ENV
from mutualaid.ui.pages import agreements_page
from mutualaid.vocabulary import duration

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = write_erft_boats(tmp_path / "erft")
    monkeypatch.setenv(SCENARIO_DIRS_ENV, str(path))
    return path


def open_page(page: str) -> AppTest:
    # Run once first: then switch_page names the page as st.navigation registered it.
    at = app_test(default_timeout=180).run()
    return at.switch_page(page).run()


@pytest.fixture
def as_admin(signed_in):
    """Sign in as an admin on the Agreements page (only an admin may apply)."""
    return lambda at: signed_in(at, "admin-test", role="admin")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def edit_rows(
    at: AppTest, folder: Path, *, edited=None, added=None, deleted=None, version: int = 1
) -> AppTest:
    key = agreements_page.editor_key(scenario_fingerprint(folder.resolve()), version)
    at.session_state[key] = {
        "edited_rows": edited or {},
        "added_rows": added or [],
        "deleted_rows": deleted or [],
    }
    return at.run()


def apply_button(at: AppTest):
    return at.button(key="agreements.apply")


def dataframe_with(at: AppTest, column: str) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if column in df.value.columns)


def expected_figures(folder: Path, agreements_csv: str):
    """The plan of the scenario with other agreements, by the real optimiser."""
    scenario = load_scenario(folder).scenario
    table = pd.read_csv(io.StringIO(agreements_csv))
    agreements, report = edited_agreements(table, scenario)
    assert agreements is not None, report.problems
    edited = edit(scenario, agreements=agreements)
    plan = allocate(edited)
    return plan.summary, key_figures(plan, edited)


# --- the page ----------------------------------------------------------------------------


def test_the_matrix_shows_who_may_help_whom(folder: Path):
    at = open_page("pages/agreements.py")
    assert not at.exception and not at.error
    assert at.title[0].value == "Agreements"
    matrix = at.dataframe[0].value
    # Countries before jurisdictions, on both axes.
    assert list(matrix.index) == ["NL", "NL-LI"]
    assert list(matrix.columns) == ["DE", "DE-NW", "provider"]
    assert matrix.loc["NL", "DE"] == "all · 20 min"
    assert matrix.loc["NL-LI", "DE-NW"] == "pump · 5 min"
    assert matrix.loc["NL", "DE-NW"] == ""
    assert apply_button(at).disabled  # nothing changed yet


def test_an_applied_delay_changes_the_allocation_plan(folder: Path, as_admin):
    at = open_page("pages/allocation.py")
    before = metrics(at)
    at = as_admin(at.switch_page("pages/agreements.py").run())
    at = edit_rows(at, folder, edited={0: {"border_delay_min": 200}})
    assert not at.exception and not at.error
    assert not apply_button(at).disabled
    apply_button(at).click().run()
    assert not at.exception
    assert "Applied: 2 agreement row(s)" in at.success[0].value
    assert at.dataframe[0].value.loc["NL", "DE"] == "all · 200 min"  # the matrix follows

    at.switch_page("pages/allocation.py").run()
    assert not at.exception and not at.error
    after = metrics(at)
    summary, figures = expected_figures(
        folder, "from,to,resource_types,border_delay_min\nNL,DE,*,200\nNL-LI,DE-NW,pump,5\n"
    )
    assert after["Unit-minutes"] == f"{summary['unit_minutes']:,.0f}"
    assert after["Worst response (proposed)"] == duration(figures.response.worst_minutes)
    assert after["Unit-minutes"] != before["Unit-minutes"]
    assert after["Worst response (proposed)"] != before["Worst response (proposed)"]


def test_an_invalid_row_lists_problems_and_applies_nothing(folder: Path):
    at = open_page("pages/allocation.py")
    before = metrics(at)
    at.switch_page("pages/agreements.py").run()
    at = edit_rows(
        at,
        folder,
        edited={0: {"border_delay_min": -5}},
        added=[{"from": "XX-ZZ", "to": "DE", "resource_types": "boat", "border_delay_min": 10}],
    )
    assert not at.exception
    assert "error(s)" in at.error[0].value
    problems = dataframe_with(at, "problem")
    errors = problems[problems["severity"] == "error"]
    assert set(zip(errors["feature"], errors["field"])) == {
        ("1", "border_delay_min"),
        ("3", "from"),
    }
    assert errors["problem"].str.contains("XX-ZZ").any()
    assert apply_button(at).disabled
    assert at.dataframe[0].value.loc["NL", "DE"] == "all · 20 min"  # the matrix unchanged
    at.switch_page("pages/allocation.py").run()
    assert not at.exception
    assert metrics(at) == before


def test_deleting_every_agreement_leaves_only_trips_at_home(folder: Path, as_admin):
    at = as_admin(open_page("pages/agreements.py"))
    at = edit_rows(at, folder, deleted=[0, 1])
    apply_button(at).click().run()
    assert not at.exception
    assert "No agreements" in at.text[1].value
    at.switch_page("pages/allocation.py").run()
    assert not at.exception
    assert metrics(at)["Units across national borders"] == "0"
    assert metrics(at)["Units leaving their jurisdiction"] == "0"
    unmet = dataframe_with(at, "Reason")
    assert "no agreement" in set(unmet["Reason"])


def test_a_second_edit_builds_on_the_first(folder: Path, as_admin):
    at = as_admin(open_page("pages/agreements.py"))
    at = edit_rows(at, folder, deleted=[1])
    apply_button(at).click().run()
    assert list(at.dataframe[0].value.index) == ["NL"]
    # the applied edit is version 2 of the stored agreements: a fresh editor on its rows
    at = edit_rows(at, folder, edited={0: {"resource_types": "boat;pump"}}, version=2)
    apply_button(at).click().run()
    assert not at.exception
    assert at.dataframe[0].value.loc["NL", "DE"] == "2 types · 20 min"
    assert "2 change(s) stored" in at.text[0].value


# --- the session's scenario on every page (issue 4) --------------------------------------


def test_a_layer_added_on_the_layers_page_changes_the_allocation_plan(folder: Path, signed_in):
    at = open_page("pages/allocation.py")
    before = metrics(at)
    assert before["Units proposed"] == "5"
    assert before["Units short / needed"] == "0 / 5"
    at = at.switch_page("pages/layers.py").run()  # signed in as an admin (app_test)
    at.selectbox(key="layers.kind").set_value("incidents")
    upload = collection(
        [
            (
                {
                    "id": "I-2",
                    "hazard": "flood",
                    "severity": 4,
                    "reported_at": "2021-07-15T08:00:00Z",
                    "need_boat": 3,
                },
                point(5.5, 50.5),
            )
        ]
    )
    at.file_uploader(key="layers.upload").set_value(
        ("more.geojson", upload, "application/geo+json")
    )
    at.run()
    [add] = [b for b in at.button if b.label == "Add to scenario"]
    add.click().run()
    assert not at.exception and "Added" in at.success[-1].value

    at.switch_page("pages/allocation.py").run()
    assert not at.exception and not at.error
    after = metrics(at)
    # The plan of the files plus the added incident, by the real optimiser.
    base = load_scenario(folder).scenario
    layer = load_layer(
        "more.geojson",
        kind="incidents",
        data=upload,
        filename="more.geojson",
        jurisdictions=base.jurisdictions,
    )
    combined = add_layer(
        new_workspace(base), "incidents", layer.frame, source="more.geojson", mode="merge"
    ).scenario()
    plan = allocate(combined)
    figures = key_figures(plan, combined)
    assert after["Units proposed"] == str(plan.summary["units_assigned"])
    assert after["Units short / needed"] == (
        f"{plan.summary['units_needed'] - plan.summary['units_assigned']}"
        f" / {plan.summary['units_needed']}"
    )
    assert plan.summary["units_needed"] == 8  # 5 + the added incident's 3
    assert after["Need met"] == f"{figures.weighted_share * 100:.1f} %"
    assert after != before
    assert "I-2" in set(dataframe_with(at, "Reason")["Incident ID"]) | set(
        dataframe_with(at, "Incident ID")["Incident ID"]
    )


def test_the_briefing_plans_with_the_session_agreements(folder: Path, as_admin):
    at = open_page("pages/briefing.py")
    before = {m.label: m.value for m in at.metric}
    at = as_admin(at.switch_page("pages/agreements.py").run())
    at = edit_rows(at, folder, deleted=[0, 1])
    apply_button(at).click().run()
    at.switch_page("pages/briefing.py").run()
    assert not at.exception
    after = {m.label: m.value for m in at.metric}
    assert after != before


def test_the_pair_detail_follows_the_selectors(folder: Path):
    """Issue 13: the matrix cells are short; the selected pair's rows (types, delay) and
    the provider's reserve rules are shown under it, full names in the selectors."""
    at = open_page("pages/agreements.py")
    # The first pair with an agreement is selected to begin with.
    provider, receiver = (
        at.selectbox(key="agreements.pair.provider"),
        at.selectbox(key="agreements.pair.receiver"),
    )
    assert (provider.value, receiver.value) == ("NL", "DE")
    assert dataframe_with(at, "types allowed").to_dict("records") == [
        {"types allowed": "all types", "border delay (min)": "20"}
    ]
    provider.set_value("NL-LI")
    receiver.set_value("DE-NW")
    at.run()
    assert not at.exception
    assert dataframe_with(at, "types allowed").to_dict("records") == [
        {"types allowed": "pump", "border delay (min)": "5"}
    ]
    texts = [t.value for t in at.text]
    assert any(t.startswith("NL-LI → DE-NW") or "→ DE-NW" in t for t in texts), texts
    assert any(t.startswith("NL-LI keeps") and "(reserve)" in t for t in texts), texts
    at.selectbox(key="agreements.pair.receiver").set_value("DE").run()
    assert any("nothing granted by a row of its own" in t for t in at.text.values)


def test_a_matrix_column_is_as_wide_as_its_longest_text():
    assert agreements_page.column_px(["DE", "6 types · 45 min"]) > agreements_page.column_px(
        ["DE", "all · 0 min"]
    )

"""The Layers page's "Change one incident or resource" section (issue 12) in Streamlit's
AppTest: the owner changes an incident or a resource without a file, the result or the
refusal in words; the helpers it uses, directly."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from signed import app_test
from streamlit.testing.v1 import AppTest

from builders import write_one_flood
from mutualaid.settings import SCENARIO_DIRS_ENV
from mutualaid.text import literal
from mutualaid.ui import feature_edit

KEY = "layers.edit"


@pytest.fixture
def scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # I-1, a flood in DE-NW needing 2 boats; R-1, 4 boats in DE-NW
    folder = write_one_flood(tmp_path / "erft")
    monkeypatch.setenv(SCENARIO_DIRS_ENV, str(folder))
    return folder


def page_as(username: str, *, role: str = "planner", jurisdiction: str | None = "DE-NW"):
    at = app_test(role=role, jurisdiction=jurisdiction, username=username, default_timeout=120)
    at.switch_page("pages/layers.py")
    return at.run()


def widget(elements, name: str):
    """The one element of *elements* whose key starts with ``layers.edit.<name>.``."""
    [found] = [e for e in elements if e.key and e.key.startswith(f"{KEY}.{name}.")]
    return found


def apply(at: AppTest, kind: str = "incidents") -> AppTest:
    at.button(key=f"{KEY}.apply.{kind}").click()
    return at.run()


def stored_incident(field: str):
    from mutualaid.store import open_store
    from mutualaid.store.layer_store import load_stored_scenario

    store = open_store()
    try:
        incidents = load_stored_scenario(store, "erft").scenario.incidents.set_index("id")
    finally:
        store.dispose()
    return incidents.loc["I-1", field]


def units_of(resource_id: str) -> int:
    from mutualaid.store import open_store
    from mutualaid.store.tables import units

    store = open_store()
    try:
        with store.reading() as connection:
            return connection.execute(
                sa.select(units.c.quantity).where(units.c.resource_id == resource_id)
            ).scalar_one()
    finally:
        store.dispose()


def test_the_owner_closes_an_incident_and_changes_its_needs(scenario: Path):
    at = page_as("pia")
    assert not at.exception
    assert feature_edit.TITLE in [h.value for h in at.subheader]
    box = at.selectbox(key=f"{KEY}.feature.incidents")
    assert box.options == ["I-1 (DE-NW, active)"]
    widget(at.selectbox, "status").set_value("contained")
    widget(at.selectbox, "severity").set_value(5)
    widget(at.text_input, "needs").input("boat=3, pump=1")
    at = apply(at)
    assert not at.exception
    said = at.success[-1].value
    assert literal("incident I-1 changed: severity 3 → 5, status active → contained") in said
    assert stored_incident("status") == "contained" and stored_incident("severity") == 5
    assert stored_incident("needs") == {"boat": 3, "pump": 1}
    # the form now starts from the stored values
    assert widget(at.selectbox, "status").value == "contained"
    assert widget(at.text_input, "needs").value == "boat=3, pump=1"
    assert at.selectbox(key=f"{KEY}.feature.incidents").options == ["I-1 (DE-NW, contained)"]


def test_a_resource_out_of_service_and_back(scenario: Path):
    at = page_as("cora", role="coordinator")
    at.radio(key=f"{KEY}.kind").set_value("resources").run()
    assert at.selectbox(key=f"{KEY}.feature.resources").options == ["R-1 (DE-NW, available)"]
    widget(at.radio, "status").set_value("out_of_service")
    at = apply(at, "resources")
    assert not at.exception
    assert literal("status available → out of service") in at.success[-1].value
    assert units_of("R-1") == 0
    widget(at.radio, "status").set_value("available")
    at = apply(at, "resources")
    assert "available" in at.success[-1].value and units_of("R-1") == 4


def test_a_value_the_upload_refuses_is_refused_in_its_words(scenario: Path):
    at = page_as("pia")
    widget(at.text_input, "needs").input("boat=two")
    at = apply(at)
    assert not at.exception
    assert "Not changed" in at.error[-1].value
    assert any(
        "error: feature 1 (id I-1): needs for 'boat' must be a whole number of units" in t.value
        for t in at.text
    )
    assert stored_incident("needs") == {"boat": 2}
    widget(at.text_input, "needs").input("two boats")
    at = apply(at)
    assert literal("write each need as type=units") in at.error[-1].value


def test_another_jurisdictions_planner_is_offered_nothing(scenario: Path):
    at = page_as("nils", jurisdiction="NL-LI")
    assert not at.exception
    assert "There are no incidents" in at.info[-1].value
    assert not [b for b in at.button if b.key == f"{KEY}.apply.incidents"]


def test_a_change_from_an_older_page_is_refused_and_names_who_changed_it(scenario: Path):
    first, second = page_as("pia"), page_as("paul")
    widget(first.selectbox, "status").set_value("closed")
    first = apply(first)
    assert "closed" in first.success[-1].value
    widget(second.selectbox, "severity").set_value(1)
    second = apply(second)
    assert not second.exception
    refused = second.error[-1].value
    assert "Not changed" in refused and "was changed by pia" in refused
    assert stored_incident("severity") == 3


def test_the_same_values_change_nothing(scenario: Path):
    at = apply(page_as("pia"))
    assert "Nothing to change" in at.info[-1].value


# --- helpers, directly -------------------------------------------------------------------


def test_parse_and_show_needs():
    assert feature_edit.parse_needs("boat=2, pump: 1;") == {"boat": "2", "pump": "1"}
    assert feature_edit.parse_needs("  ") == {}
    assert feature_edit.needs_text({"boat": 2, "pump": 1}) == "boat=2, pump=1"
    with pytest.raises(ValueError, match="type=units"):
        feature_edit.parse_needs("boat 2")


def test_feature_labels_name_the_feature():
    row = {"id": "I-7", "name": "Flood in Erftstadt", "jurisdiction": "DE-NW", "status": "active"}
    assert feature_edit.feature_label(row) == "Flood in Erftstadt (I-7, DE-NW, active)"
    assert feature_edit.feature_label({**row, "name": "I-7", "jurisdiction": None}) == (
        "I-7 (active)"
    )

"""The agreements matrix and the edited-table check (mutualaid.figures.agreements)."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd
import pytest

from builders import jurisdictions_frame
from mutualaid.figures.agreements import (
    CELL_SEPARATOR,
    FROM_AXIS,
    agreements_matrix,
    cell_text,
    check_table,
    delay_text,
    editor_table,
    side_order,
)
from mutualaid.scenario.loading import Scenario


def rows(*items: tuple[str, str, object, float]) -> pd.DataFrame:
    return pd.DataFrame(list(items), columns=["from", "to", "resource_types", "border_delay_min"])


@pytest.fixture
def scenario() -> Scenario:
    jurisdictions = jurisdictions_frame(names=("DE-NW", "NL-LI"), east=7, north=51)
    empty = gpd.GeoDataFrame({"id": pd.Series(dtype=object)}, geometry=[], crs="EPSG:4326")
    agreements = rows(("NL", "DE", ("*",), 20.0), ("NL-LI", "DE-NW", ("boat", "pump"), 5.0))
    return Scenario(
        name="t",
        jurisdictions=jurisdictions,
        incidents=empty,
        resources=empty,
        agreements=agreements,
    )


def test_delay_text_drops_a_trailing_zero():
    assert [delay_text(v) for v in (20.0, 7.5, 0, float("nan"), None, "x")] == [
        "20",
        "7.5",
        "0",
        "0",
        "0",
        "0",
    ]


def test_cell_text_joins_types_and_delay():
    assert cell_text(("boat", "pump"), 5.0) == "boats, pumps @ 5 min"
    assert cell_text("*", 0) == "every type @ 0 min"


def test_side_order_puts_the_wildcard_then_countries_then_jurisdictions():
    assert side_order(["NL-LI", "DE", "*", "BE-WLG", "NL", "DE"]) == [
        "*",
        "DE",
        "NL",
        "BE-WLG",
        "NL-LI",
    ]
    # A country code given by the scenario counts even when it does not look like one.
    assert side_order(["XK1", "AA-1"], countries=["XK1"]) == ["XK1", "AA-1"]


def test_matrix_has_providers_as_rows_and_receivers_as_columns():
    matrix = agreements_matrix(rows(("NL", "DE", ("*",), 20.0), ("DE-NW", "NL-LI", ("boat",), 7.5)))
    assert list(matrix.index) == ["NL", "DE-NW"]
    assert list(matrix.columns) == ["DE", "NL-LI"]
    assert matrix.index.name == FROM_AXIS
    assert matrix.loc["NL", "DE"] == "every type @ 20 min"
    assert matrix.loc["DE-NW", "NL-LI"] == "boats @ 7.5 min"
    assert matrix.loc["NL", "NL-LI"] == "" and matrix.loc["DE-NW", "DE"] == ""


def test_rows_between_the_same_sides_share_a_cell_in_table_order():
    matrix = agreements_matrix(rows(("NL", "DE", ("pump",), 30.0), ("NL", "DE", ("boat",), 10.0)))
    assert matrix.loc["NL", "DE"] == CELL_SEPARATOR.join(["pumps @ 30 min", "boats @ 10 min"])


def test_types_given_as_text_are_shown_as_they_are():
    matrix = agreements_matrix(rows(("*", "DE", "boat;pump", 0.0)))
    assert matrix.loc["*", "DE"] == "boats, pumps @ 0 min"


def test_no_agreements_give_an_empty_matrix():
    assert agreements_matrix(rows()).empty


def test_editor_table_is_the_agreements_as_text(scenario: Scenario):
    table = editor_table(scenario)
    assert table["resource_types"].tolist() == ["*", "boat;pump"]
    assert table["border_delay_min"].tolist() == [20.0, 5.0]


def test_an_unchanged_table_is_valid_and_not_a_change(scenario: Scenario):
    frame, report, changed = check_table(editor_table(scenario), scenario)
    assert frame is not None and not report.errors and not changed


def test_a_new_delay_is_a_change(scenario: Scenario):
    table = editor_table(scenario)
    table.loc[0, "border_delay_min"] = 45.0
    frame, report, changed = check_table(table, scenario)
    assert changed and not report.errors
    assert frame["border_delay_min"].tolist() == [45.0, 5.0]


def test_a_negative_delay_and_an_unknown_side_are_errors(scenario: Scenario):
    table = editor_table(scenario)
    table.loc[0, "border_delay_min"] = -5.0
    table.loc[1, "to"] = "FR-XX"
    frame, report, changed = check_table(table, scenario)
    assert frame is None and not changed
    assert {(p.feature, p.field) for p in report.errors} == {(1, "border_delay_min"), (2, "to")}
    assert any("FR-XX" in p.message for p in report.errors)


def test_a_blank_added_row_is_ignored(scenario: Scenario):
    table = pd.concat(
        [
            editor_table(scenario),
            pd.DataFrame(
                [{"from": None, "to": None, "resource_types": None, "border_delay_min": None}]
            ),
        ],
        ignore_index=True,
    )
    frame, report, changed = check_table(table, scenario)
    assert frame is not None and not report.errors and not changed


def test_checked_against_the_scenario_given(scenario: Scenario):
    only_de = dataclasses.replace(scenario, jurisdictions=scenario.jurisdictions.iloc[:1])
    frame, report, _ = check_table(editor_table(scenario), only_de)
    assert frame is None
    assert any("NL" in p.message for p in report.errors)


# --- the readable matrix and one pair's detail (issue 13) -------------------------------------


def test_the_short_matrix_says_types_and_delay_without_cutting():
    from mutualaid.figures.agreements import summary_matrix

    short = summary_matrix(
        rows(
            ("NL", "DE", ("*",), 20.0),
            ("DE-NW", "NL-LI", ("boat",), 7.5),
            ("DE-NW", "NL-LI", ("pump", "fire_engine"), 30.0),
        )
    )
    assert short.loc["NL", "DE"] == "all · 20 min"
    assert short.loc["DE-NW", "NL-LI"] == "3 types · 7.5–30 min"
    assert short.loc["NL", "NL-LI"] == ""
    assert max(len(c) for c in short.to_numpy().ravel()) <= 24


def test_a_pairs_rows_and_its_reserve_rules():
    import pandas as pd

    from mutualaid.figures.agreements import pair_rows, reserve_rows, reserve_text, side_name

    agreements = rows(("NL", "DE", ("boat", "fire_engine"), 20.0), ("NL-LI", "DE", ("*",), 5.0))
    assert pair_rows(agreements, "NL", "DE").to_dict("records") == [
        {"types allowed": "boat, fire engine", "border delay (min)": "20"}
    ]
    assert len(pair_rows(agreements, "DE", "NL")) == 0
    jurisdictions = pd.DataFrame(
        {
            "id": ["NL-LI", "NL-GE", "DE-NW"],
            "name": ["Limburg", "Gelderland", "North Rhine-Westphalia"],
            "country": ["NL", "NL", "DE"],
            "reserve": [0.2, 0.35, 0.0],
        }
    )
    nl = reserve_rows(jurisdictions, "NL")
    assert nl.to_dict("records") == [
        {"jurisdiction": "NL-LI", "name": "Limburg", "keeps at home": "20 %"},
        {"jurisdiction": "NL-GE", "name": "Gelderland", "keeps at home": "35 %"},
    ]
    assert reserve_text(nl).startswith("its 2 jurisdictions keep 20–35 % of each")
    assert reserve_text(reserve_rows(jurisdictions, "NL-LI")).startswith("NL-LI keeps 20 %")
    assert [side_name(s, jurisdictions) for s in ("NL-LI", "NL", "*", "FR")] == [
        "NL-LI · Limburg",
        "NL (2 jurisdictions)",
        "any side",
        "FR",
    ]

"""Every rule of the travel-times table (contract, section 1)."""

from __future__ import annotations

import pandas as pd
import pytest

from builders import errors
from mutualaid.layers.schema import TRAVEL_TIME_COLUMNS
from mutualaid.layers.validate import validate_travel_times


def table(*rows):
    return pd.DataFrame(rows, columns=list(TRAVEL_TIME_COLUMNS))


def test_accepted_table():
    out, report = validate_travel_times(table(("R1", "I1", "12.5"), ("R1", "I2", 0)))
    assert report.ok and report.problems == []
    assert list(out.columns) == list(TRAVEL_TIME_COLUMNS)
    assert out["minutes"].tolist() == [12.5, 0.0]


@pytest.mark.parametrize(
    "row, field",
    [
        ((None, "I1", 3), "resource_id"),
        (("R1", "", 3), "incident_id"),
        (("R1", "I1", None), "minutes"),
    ],
)
def test_every_column_required(row, field):
    out, report = validate_travel_times(table(row))
    assert out is None
    assert [p.field for p in errors(report)] == [field]


@pytest.mark.parametrize("value", [-1, "soon", True, "inf"])
def test_minutes_must_be_at_least_zero(value):
    _, report = validate_travel_times(table(("R1", "I1", value)))
    assert "minutes must be a number of minutes, 0 or more" in errors(report)[0].message


def test_duplicate_pairs_rejected():
    _, report = validate_travel_times(table(("R1", "I1", 3), ("R2", "I1", 4), ("R1", "I1", 5)))
    [p] = errors(report)
    assert p.feature == 3 and "listed 2 times (rows 1, 3)" in p.message


def test_unknown_ids_rejected_when_scenario_ids_given():
    _, report = validate_travel_times(
        table(("R1", "I1", 3), ("R9", "I1", 4), ("R9", "I7", 5)),
        resource_ids=["R1"],
        incident_ids=["I1"],
    )
    messages = [p.message for p in errors(report)]
    assert len(messages) == 2
    assert messages[0].startswith("resource_id 'R9' is not a resource of the scenario")
    assert messages[0].endswith("(features 2 and 3)")
    assert messages[1].startswith("incident_id 'I7' is not an incident of the scenario")


def test_missing_column_is_one_error():
    _, report = validate_travel_times(pd.DataFrame({"resource_id": ["R1"], "minutes": [3]}))
    [p] = errors(report)
    assert p.feature is None and "no incident_id column" in p.message

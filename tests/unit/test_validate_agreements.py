"""Every rule of the agreements table (contract, section 1)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely import box

from builders import only_error
from mutualaid.layers.schema import AGREEMENT_COLUMNS
from mutualaid.layers.validate import validate_agreements


def table(*rows, **extra):
    frame = pd.DataFrame(
        [dict(zip(("from", "to", "resource_types", "border_delay_min"), r)) for r in rows]
    )
    for name, values in extra.items():
        frame[name] = values
    return frame


def jurisdictions():
    return gpd.GeoDataFrame(
        {
            "id": ["DE-NW", "DE-RP", "NL-LI"],
            "name": ["a", "b", "c"],
            "country": ["DE", "DE", "NL"],
            "reserve": [0.0] * 3,
        },
        geometry=[box(6, 50, 9, 52), box(6, 49, 8, 50), box(5, 50, 6, 52)],
        crs="EPSG:4326",
    )


def accepted(frame, **kwargs):
    out, report = validate_agreements(frame, **kwargs)
    assert report.ok, report.lines()
    return out, report


def test_accepted_table_has_the_canonical_shape():
    out, report = accepted(
        table(("DE", "NL", "boat;pump", 30), ("*", "NL-LI", "*", "0"), basis=["treaty", None]),
        jurisdictions=jurisdictions(),
    )
    assert report.problems == []
    assert list(out.columns) == list(AGREEMENT_COLUMNS) + ["basis"]
    assert out["resource_types"].tolist() == [("boat", "pump"), ("*",)]
    assert out["border_delay_min"].tolist() == [30.0, 0.0]
    assert out["basis"].tolist() == ["treaty", None]
    assert isinstance(out, pd.DataFrame) and not isinstance(out, gpd.GeoDataFrame)


def test_rejected_table_returns_none():
    out, report = validate_agreements(table(("DE", "NL", "boat", -1)))
    assert out is None and not report.ok


def test_empty_table_accepted_with_warning():
    out, report = validate_agreements(table().reindex(columns=list(AGREEMENT_COLUMNS)))
    assert out is not None and len(report.warnings) == 1


# --- from / to --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, row", [("from", (None, "NL", "*", 0)), ("to", ("DE", " ", "*", 0))]
)
def test_from_and_to_required(field, row):
    p = only_error(validate_agreements(table(row))[1], field)
    assert f"{field} is required" in p.message and p.feature == 1


def test_from_column_missing_is_one_error():
    _, report = validate_agreements(pd.DataFrame({"to": ["NL"], "resource_types": ["*"]}))
    p = only_error(report, "from")
    assert p.feature is None and "no from column" in p.message


def test_from_to_accept_ids_country_codes_and_star():
    out, _ = accepted(
        table(("de-nw", "nl", "*", 0), ("*", "DE-RP", "*", 0)), jurisdictions=jurisdictions()
    )
    assert out["from"].tolist() == ["DE-NW", "*"]
    assert out["to"].tolist() == ["NL", "DE-RP"]


@pytest.mark.parametrize(
    "row, field", [(("XX", "NL", "*", 0), "from"), (("DE", "BE-WLG", "*", 0), "to")]
)
def test_unknown_jurisdiction_or_country_rejected(row, field):
    p = only_error(validate_agreements(table(row), jurisdictions=jurisdictions())[1], field)
    bad = row[0] if field == "from" else row[1]
    assert f"no jurisdiction or country '{bad}' in the jurisdictions layer" in p.message


def test_without_jurisdictions_any_text_is_taken_as_written():
    out, _ = accepted(table(("BE-WLG", "XX", "*", 0)))
    assert out["from"].tolist() == ["BE-WLG"] and out["to"].tolist() == ["XX"]


def test_row_from_a_jurisdiction_to_itself_is_a_warning():
    _, report = accepted(table(("DE-NW", "DE-NW", "*", 0)), jurisdictions=jurisdictions())
    [w] = report.warnings
    assert "always serves itself" in w.message


def test_country_to_same_country_is_meaningful_and_not_warned():
    _, report = accepted(table(("DE", "DE", "*", 15)), jurisdictions=jurisdictions())
    assert report.problems == []


# --- resource_types ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("*", ("*",)),
        ("boat", ("boat",)),
        ("Boat; Fire Engine;", ("boat", "fire_engine")),
        ("boat;boat", ("boat",)),
    ],
)
def test_resource_types_star_or_semicolon_list(text, expected):
    out, _ = accepted(table(("DE", "NL", text, 0)))
    assert out.loc[0, "resource_types"] == expected


def test_resource_types_required():
    p = only_error(validate_agreements(table(("DE", "NL", "", 0)))[1], "resource_types")
    assert "resource_types is required" in p.message


def test_resource_types_commas_rejected_with_hint():
    p = only_error(validate_agreements(table(("DE", "NL", "boat,pump", 0)))[1], "resource_types")
    assert "separate types with ;" in p.message


@pytest.mark.parametrize("text", [";", "boat;<b>", "2"])
def test_resource_types_malformed_rejected(text):
    only_error(validate_agreements(table(("DE", "NL", text, 0)))[1], "resource_types")


def test_resource_types_unknown_type_is_a_warning():
    out, report = accepted(table(("DE", "NL", "snow_plough", 0)))
    assert out.loc[0, "resource_types"] == ("snow_plough",)
    assert "'snow_plough' is not a known type" in report.warnings[0].message


def test_resource_types_star_with_named_types_means_every_type():
    out, report = accepted(table(("DE", "NL", "*;boat", 0)))
    assert out.loc[0, "resource_types"] == ("*",)
    assert "* (every type) was used" in report.warnings[0].message


# --- border_delay_min -------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [(None, 0.0), ("", 0.0), (0, 0.0), ("12.5", 12.5)])
def test_border_delay_min_number_at_least_zero_default_zero(value, expected):
    out, _ = accepted(table(("DE", "NL", "*", value)))
    assert out.loc[0, "border_delay_min"] == expected


@pytest.mark.parametrize("value", [-1, "half an hour", True, "inf", "30%"])
def test_border_delay_min_other_values_rejected(value):
    p = only_error(validate_agreements(table(("DE", "NL", "*", value)))[1], "border_delay_min")
    assert "border_delay_min must be a number of minutes, 0 or more" in p.message


# --- duplicates -------------------------------------------------------------------------------


def test_overlapping_rows_for_the_same_pair_warn_that_the_smaller_delay_is_used():
    _, report = accepted(
        table(
            ("DE", "NL", "boat;pump", 30),
            ("DE", "NL", "pump;ambulance", 10),
            ("DE", "NL", "helicopter", 5),
        )
    )
    [w] = report.warnings
    assert w.feature == 2
    assert "rows 1 and 2 both allow pump from DE to NL" in w.message
    assert "smaller border delay (10 min) is used" in w.message


def test_star_row_overlaps_every_named_row():
    _, report = accepted(table(("DE", "NL", "*", 30), ("DE", "NL", "boat", 60)))
    [w] = report.warnings
    assert "both allow boat" in w.message and "(30 min)" in w.message


def test_identical_rows_warn():
    _, report = accepted(table(("DE", "NL", "*", 30), ("DE", "NL", "*", 30)))
    assert "every type" in report.warnings[0].message


def test_same_types_in_the_other_direction_are_not_duplicates():
    _, report = accepted(table(("DE", "NL", "*", 30), ("NL", "DE", "*", 30)))
    assert report.problems == []

"""Field mapping: explicit FIELD=SOURCE pairs, aliases, and incidents' needs."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point

from mutualaid.layers.fields import (
    apply_mapping,
    normalise_name,
    parse_json_object,
    parse_mapping,
    suggest_mapping,
)


def frame(**columns):
    n = len(next(iter(columns.values())))
    return gpd.GeoDataFrame(columns, geometry=[Point(6.9, 50.9)] * n, crs="EPSG:4326")


# --- parse_mapping ---------------------------------------------------------------------------


def test_parse_mapping_reads_field_source_pairs():
    assert parse_mapping(["id=iso_3166_2", "country=iso_a2"]) == {
        "id": "iso_3166_2",
        "country": "iso_a2",
    }


def test_parse_mapping_field_is_case_insensitive_and_source_kept_as_written():
    assert parse_mapping([" ID = ISO_3166_2 "]) == {"id": "ISO_3166_2"}


def test_parse_mapping_source_may_contain_equals_sign():
    assert parse_mapping(["name=a=b"]) == {"name": "a=b"}


def test_parse_mapping_empty_is_empty():
    assert parse_mapping([]) == {}
    assert parse_mapping(None) == {}


@pytest.mark.parametrize("pair", ["id", "id:iso", "=iso", "id=", " = "])
def test_parse_mapping_malformed_pair_raises_clear_error(pair):
    with pytest.raises(ValueError, match="FIELD"):
        parse_mapping([pair])


def test_parse_mapping_unknown_field_raises_and_lists_known_fields():
    with pytest.raises(ValueError, match="'colour' is not a field.*known fields: .*severity"):
        parse_mapping(["colour=c"])


def test_parse_mapping_field_of_another_kind_raises_when_kind_given():
    assert parse_mapping(["severity=sev"]) == {"severity": "sev"}
    with pytest.raises(ValueError, match="not a field for jurisdictions"):
        parse_mapping(["severity=sev"], kind="jurisdictions")


def test_parse_mapping_same_field_twice_raises():
    with pytest.raises(ValueError, match="gives id twice"):
        parse_mapping(["id=a", "id=b"])


def test_parse_mapping_accepts_need_columns_for_incidents_only():
    assert parse_mapping(["need_Fire-Engine=fe"], kind="incidents") == {"need_fire_engine": "fe"}
    with pytest.raises(ValueError, match="not a field for resources"):
        parse_mapping(["need_boat=b"], kind="resources")


# --- names --------------------------------------------------------------------------------------


def test_matching_ignores_case_spaces_hyphens_and_underscores():
    assert normalise_name("Reported At") == normalise_name("reported-at") == "reportedat"


@pytest.mark.parametrize(
    "kind, column, field",
    [
        ("incidents", "sev", "severity"),
        ("incidents", "Severity_Level", "severity"),
        ("incidents", "level", "severity"),
        ("incidents", "hazard_type", "hazard"),
        ("incidents", "event type", "hazard"),
        ("incidents", "timestamp", "reported_at"),
        ("incidents", "Reported At", "reported_at"),
        ("incidents", "max_response_minutes", "max_response_min"),
        ("incidents", "incident_id", "id"),
        ("incidents", "title", "name"),
        ("resources", "resource_type", "type"),
        ("resources", "unit-type", "type"),
        ("resources", "qty", "quantity"),
        ("resources", "count", "quantity"),
        ("resources", "owner", "jurisdiction"),
        ("resources", "speed", "speed_kmh"),
        ("resources", "resource_id", "id"),
        ("jurisdictions", "iso_3166_2", "id"),
        ("jurisdictions", "iso_a2", "country"),
        ("jurisdictions", "CountryCode", "country"),
        ("jurisdictions", "name_en", "name"),
        ("agreements", "border_delay", "border_delay_min"),
        ("travel_times", "travel_minutes", "minutes"),
    ],
)
def test_alias_is_recognised_without_mapping(kind, column, field):
    out, problems = apply_mapping(frame(**{column: ["x"]}), kind=kind)
    assert field in out.columns
    assert column not in out.columns
    assert problems == []


def test_priority_is_not_taken_as_severity():
    # Priority 1 is often the most urgent: the opposite of severity 1 (minor).
    out, _ = apply_mapping(frame(priority=[1]), kind="incidents")
    assert "severity" not in out.columns
    assert "priority" in out.columns


def test_shapefile_truncated_names_are_recognised():
    out, problems = apply_mapping(
        frame(max_respon=[90], reported_a=["2024-01-01T00:00Z"]), kind="incidents"
    )
    assert {"max_response_min", "reported_at"} <= set(out.columns)
    assert problems == []


def test_exact_field_name_wins_over_aliases_without_warning():
    out, problems = apply_mapping(frame(name=["Köln"], name_en=["Cologne"]), kind="jurisdictions")
    assert out["name"].tolist() == ["Köln"]
    assert out["name_en"].tolist() == ["Cologne"]
    assert problems == []


def test_two_competing_aliases_give_a_warning_naming_the_one_used():
    out, problems = apply_mapping(frame(sev=[2], severity_level=[4]), kind="incidents")
    assert out["severity"].tolist() == [2]
    assert len(problems) == 1
    assert problems[0].severity == "warning"
    assert "'sev' was used" in problems[0].message
    assert "severity_level" in problems[0].message


def test_two_spellings_of_the_field_itself_compete():
    out, problems = apply_mapping(frame(Severity=[2], severity=[4]), kind="incidents")
    assert [p.severity for p in problems] == ["warning"]
    assert "could both be severity" in problems[0].message
    assert out["severity"].tolist() == [4]  # the exact spelling was used
    assert out["Severity"].tolist() == [2]


# --- apply_mapping with an explicit mapping ------------------------------------------------------------


def test_explicit_mapping_renames_the_source_column():
    out, problems = apply_mapping(
        frame(code=["DE-NW"], cc=["DE"]),
        kind="jurisdictions",
        mapping={"id": "code", "country": "cc"},
    )
    assert out["id"].tolist() == ["DE-NW"]
    assert out["country"].tolist() == ["DE"]
    assert problems == []


def test_explicit_mapping_source_matches_ignoring_case():
    out, problems = apply_mapping(
        frame(ISO_CODE=["DE-NW"]), kind="jurisdictions", mapping={"id": "iso_code"}
    )
    assert out["id"].tolist() == ["DE-NW"]
    assert problems == []


def test_explicit_mapping_wins_over_aliases():
    out, _ = apply_mapping(
        frame(sev=[1], gravity=[5]), kind="incidents", mapping={"severity": "gravity"}
    )
    assert out["severity"].tolist() == [5]
    assert out["sev"].tolist() == [1]


def test_mapping_source_that_is_not_a_column_is_an_error_naming_the_columns():
    _, problems = apply_mapping(
        frame(code=["DE-NW"], cc=["DE"]), kind="jurisdictions", mapping={"id": "iso_3166_2"}
    )
    assert len(problems) == 1
    p = problems[0]
    assert p.severity == "error" and p.field == "id"
    assert "'iso_3166_2'" in p.message and "'code'" in p.message and "'cc'" in p.message


def test_mapping_field_of_another_kind_is_an_error():
    _, problems = apply_mapping(frame(sev=[1]), kind="jurisdictions", mapping={"severity": "sev"})
    assert [p.severity for p in problems] == ["error"]
    assert "not a field of jurisdictions" in problems[0].message


def test_mapped_column_displaces_the_files_own_column_with_a_warning():
    out, problems = apply_mapping(
        frame(id=["1"], iso_3166_2=["DE-NW"]), kind="jurisdictions", mapping={"id": "iso_3166_2"}
    )
    assert out["id"].tolist() == ["DE-NW"]
    assert out["id_in_file"].tolist() == ["1"]
    assert [p.severity for p in problems] == ["warning"]


def test_one_column_mapped_to_two_fields_is_copied():
    out, problems = apply_mapping(
        frame(code=["DE-NW"]), kind="jurisdictions", mapping={"id": "code", "name": "code"}
    )
    assert out["id"].tolist() == out["name"].tolist() == ["DE-NW"]
    assert problems == []


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        apply_mapping(frame(a=[1]), kind="bridges")


# --- needs -----------------------------------------------------------------------------------------


def test_flat_need_columns_are_combined_into_needs():
    out, problems = apply_mapping(
        frame(id=["I1", "I2"], need_boat=["2", ""], **{"Need Fire-Engine": [None, 3]}),
        kind="incidents",
    )
    assert out["needs"].tolist() == [{"boat": "2"}, {"fire_engine": 3}]
    assert "need_boat" not in out.columns
    assert problems == []


def test_flat_need_columns_merge_with_a_needs_object():
    out, problems = apply_mapping(frame(needs=[{"boat": 1}], need_pump=[2]), kind="incidents")
    assert out["needs"].tolist() == [{"boat": 1, "pump": 2}]
    assert problems == []


def test_need_given_twice_with_different_units_is_an_error():
    _, problems = apply_mapping(
        frame(id=["I1"], needs=[{"boat": 1}], need_boat=[2]), kind="incidents"
    )
    assert [p.severity for p in problems] == ["error"]
    assert problems[0].feature == 1 and problems[0].feature_id == "I1"
    assert "given twice" in problems[0].message


def test_shapefile_truncated_need_column_means_the_known_type():
    out, problems = apply_mapping(frame(need_fire_=[2], need_water=[1]), kind="incidents")
    assert out["needs"].tolist() == [{"fire_engine": 2, "water_purification": 1}]
    assert problems == []


def test_explicit_need_mapping():
    out, _ = apply_mapping(frame(boats=[3]), kind="incidents", mapping={"need_boat": "boats"})
    assert out["needs"].tolist() == [{"boat": 3}]


def test_needs_as_json_text_is_parsed():
    out, problems = apply_mapping(
        frame(needs=['{"boat": 2, "pump": 0}', None, " "]), kind="incidents"
    )
    assert out["needs"].tolist() == [{"boat": 2, "pump": 0}, None, None]
    assert problems == []


@pytest.mark.parametrize(
    "text, reason",
    [
        ('{"boat": NaN}', "NaN is not a number JSON allows"),
        ('{"boat": Infinity}', "Infinity"),
        ('{"boat": 2', "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"boat": 1, "boat": 2}', "given twice"),
    ],
)
def test_needs_json_text_is_read_strictly(text, reason):
    out, problems = apply_mapping(frame(id=["I9"], needs=[text]), kind="incidents")
    assert len(problems) == 1
    p = problems[0]
    assert (p.severity, p.feature, p.feature_id, p.field) == ("error", 1, "I9", "needs")
    assert reason in p.message
    assert out["needs"].tolist() == [None]


def test_parse_json_object_rejects_deep_nesting_without_traceback():
    with pytest.raises(ValueError):
        parse_json_object("[" * 100_000 + "]" * 100_000)


# --- suggest_mapping -----------------------------------------------------------------------------


def test_suggest_mapping_for_natural_earth_admin1():
    columns = ["adm1_code", "iso_3166_2", "name", "name_en", "iso_a2", "geometry"]
    assert suggest_mapping(columns, kind="jurisdictions") == {
        "id": "iso_3166_2",
        "name": "name",
        "country": "iso_a2",
    }


def test_suggest_mapping_lists_need_columns_for_incidents():
    got = suggest_mapping(["ID", "Sev", "need_boat", "need_shelt"], kind="incidents")
    assert got == {
        "id": "ID",
        "severity": "Sev",
        "need_boat": "need_boat",
        "need_shelter_kit": "need_shelt",
    }


def test_suggest_mapping_unknown_kind_raises():
    with pytest.raises(ValueError):
        suggest_mapping(["a"], kind="roads")


def test_apply_mapping_keeps_plain_dataframes_plain():
    out, _ = apply_mapping(
        pd.DataFrame({"From": ["DE"], "TO": ["NL"], "types": ["*"]}), kind="agreements"
    )
    assert list(out.columns) == ["from", "to", "resource_types"]

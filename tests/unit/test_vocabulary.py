"""The one table of display names (issue 13, item 7): every vocabulary value and field
of the contract has one, a lookup never gives back a raw key, and numbers, needs and
durations read as people write them."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from mutualaid import vocabulary
from mutualaid.access.actor import ROLES
from mutualaid.access.sharing import LEVELS
from mutualaid.allocation.explain import REASONS
from mutualaid.allocation.held import STAGES
from mutualaid.figures.plan import CROSSINGS
from mutualaid.layers.schema import CANONICAL_COLUMNS, KINDS
from mutualaid.settings import HAZARDS, INCIDENT_STATUSES, RESOURCE_STATUSES, RESOURCE_TYPES
from mutualaid.store.workflow.states import OFFER_STATES, REQUEST_STATES

#: The contract's field names (../shared/CONTRACT.md, sections 1 and 3), written out here
#: so that the test reads the contract, not the code.
CONTRACT_FIELDS = (
    "id name country reserve hazard severity status reported_at needs max_response_min "
    "type quantity jurisdiction speed_kmh from to resource_types border_delay_min "
    "resource_id incident_id minutes units from_jurisdiction to_jurisdiction cross_border "
    "reason weighted_coverage unit_minutes units_assigned units_needed solve_seconds"
).split()
#: The contract's resource types, hazards and statuses (section 1).
CONTRACT_TYPES = (
    "ambulance fire_engine usar_team boat helicopter medical_team water_purification pump "
    "generator shelter_kit"
).split()
CONTRACT_HAZARDS = "flood wildfire earthquake storm epidemic hazmat landslide drought other".split()
CONTRACT_STATUSES = "active contained closed available assigned out_of_service".split()

RAW = re.compile(r"[A-Za-z0-9]_[A-Za-z0-9]")


@pytest.mark.parametrize(
    ("group", "values"),
    [
        (vocabulary.FIELD, CONTRACT_FIELDS),
        (vocabulary.FIELD, [c for cols in CANONICAL_COLUMNS.values() for c in cols]),
        (vocabulary.RESOURCE_TYPE, (*CONTRACT_TYPES, *RESOURCE_TYPES)),
        (vocabulary.RESOURCE_TYPE_PLURAL, (*CONTRACT_TYPES, *RESOURCE_TYPES)),
        (vocabulary.HAZARD, (*CONTRACT_HAZARDS, *HAZARDS)),
        (vocabulary.STATUS, (*CONTRACT_STATUSES, *INCIDENT_STATUSES, *RESOURCE_STATUSES)),
        (vocabulary.STATE, (*OFFER_STATES, *REQUEST_STATES, *STAGES)),
        (vocabulary.ROLE, ROLES),
        (vocabulary.SHARING, LEVELS),
        (vocabulary.LAYER_KIND, KINDS),
        (vocabulary.CROSSING, CROSSINGS),
        (vocabulary.REASON, REASONS),
    ],
)
def test_every_value_of_the_vocabulary_has_a_display_name(group, values):
    missing = [v for v in values if v not in vocabulary.VOCABULARY[group]]
    assert not missing, f"{group}: no display name for {missing}"


def test_no_display_name_is_a_raw_key():
    raw = [
        (group, key, text)
        for group, table in vocabulary.VOCABULARY.items()
        for key, text in table.items()
        if RAW.search(text) or not text.strip() or text == "None"
    ]
    assert not raw


@pytest.mark.parametrize(
    "key", ["search_dog", "need_fire_engine", "__x__", "", "  ", None, math.nan, 3, "_"]
)
def test_a_lookup_never_returns_a_raw_key_or_none(key):
    for look_up in (
        vocabulary.label,
        vocabulary.type_label,
        vocabulary.state_label,
        vocabulary.status_label,
        vocabulary.hazard_label,
        vocabulary.role_label,
        vocabulary.kind_label,
        vocabulary.reason_label,
        lambda k: vocabulary.type_label(k, 2),
    ):
        text = look_up(key)
        assert text.strip() and "_" not in text and text != "None" and text != "nan", (key, text)


def test_display_names_read_as_words():
    assert vocabulary.type_label("fire_engine") == "fire engine"
    assert vocabulary.type_label("usar_team", 2) == "USAR teams"
    assert vocabulary.type_label("boat", 0) == "boats"
    assert vocabulary.label("max_response_min") == "Maximum response time"
    assert vocabulary.status_label("out_of_service") == "out of service"
    assert vocabulary.state_label("on_scene") == "on scene"
    assert vocabulary.state_label("en_route") == "en route"
    assert vocabulary.account_label("viewer", "NG-BO") == "viewer for NG-BO"
    assert vocabulary.account_label("admin", None) == "administrator"
    assert vocabulary.types_text(("*",)) == "every type"
    assert vocabulary.types_text(("boat", "usar_team")) == "boats, USAR teams"


def test_numbers_needs_and_durations():
    assert vocabulary.number(180.0) == "180"
    assert vocabulary.number(np.float64(1234567.0)) == "1,234,567"
    assert vocabulary.number(74.5) == "74.5"
    assert vocabulary.number(0.083, digits=2) == "0.08"
    assert vocabulary.number(None) == vocabulary.EMPTY
    assert vocabulary.number(math.nan) == vocabulary.EMPTY
    assert vocabulary.percent(0.8724) == "87.2 %"
    assert vocabulary.percent(None) == vocabulary.EMPTY
    assert vocabulary.needs_text({"boat": 2}) == "2 boats"
    assert vocabulary.needs_text({"pump": 1, "fire_engine": 3.0, "drone": 0}) == (
        "3 fire engines, 1 pump"
    )
    assert vocabulary.needs_text({}) == vocabulary.EMPTY
    assert vocabulary.needs_text(None) == vocabulary.EMPTY
    assert vocabulary.duration(45) == "45 min"
    assert vocabulary.duration(90) == "1 h 30 min"
    assert vocabulary.duration(120.2) == "2 h"
    assert vocabulary.duration(None) == vocabulary.EMPTY


def test_a_table_for_people_has_display_names_and_no_none():
    import pandas as pd

    from mutualaid.display import readable_table

    frame = pd.DataFrame(
        {
            "incident_id": ["I-1", "I-2"],
            "incident": ["Erft flood", None],
            "type": ["fire_engine", "usar_team"],
            "units": [180.0, 2.0],
            "minutes": [74.5, None],
            "needs": [{"boat": 2}, {}],
            "cross_border": [True, False],
        }
    )
    table = readable_table(frame)
    assert list(table.columns) == [
        "Incident ID",
        "Incident",
        "Resource type",
        "Units",
        "Minutes",
        "Needs",
        "Across a border",
    ]
    assert table["Resource type"].tolist() == ["fire engine", "USAR team"]
    assert table["Units"].tolist() == [180, 2] and table["Units"].dtype == "int64"
    assert table["Minutes"].tolist() == ["74.5", vocabulary.EMPTY]
    assert table["Incident"].tolist() == ["Erft flood", vocabulary.EMPTY]
    assert table["Needs"].tolist() == ["2 boats", vocabulary.EMPTY]
    assert table["Across a border"].tolist() == ["yes", "no"]
    shown = " ".join(table.astype(str).to_numpy().ravel())
    assert "None" not in shown and "_" not in shown and "nan" not in shown


def test_an_audit_record_in_words():
    from mutualaid.display import record_text

    text = record_text(
        {
            "role": "viewer",
            "jurisdiction": None,
            "has_password": True,
            "lines": [{"type": "fire_engine", "units": 2.0}],
        }
    )
    assert text == (
        "Has password: yes; Jurisdiction: —; Lines: (Resource type: fire engine, Units: 2); "
        "Role: viewer"
    )
    assert record_text(None) == vocabulary.EMPTY


def test_an_account_is_named_once():
    from mutualaid.access.actor import Actor

    assert Actor("viewer", "viewer", "NG-BO", "Viewer (NG-BO)").label == "Viewer (NG-BO)"
    assert Actor("admin", "admin", None, "Administrator").label == "Administrator"
    assert Actor("coord", "coordinator", "DE-NW", "Coordinator DE-NW").label == (
        "Coordinator DE-NW"
    )
    assert Actor("alice", "coordinator", "DE-NW", "Alice").label == "Alice (DE-NW coordinator)"

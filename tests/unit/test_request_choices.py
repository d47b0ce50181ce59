"""The request form's choices, by incident with its name and its needs in words
(issue 13, item 6)."""

from __future__ import annotations

import pandas as pd

from mutualaid.display import units_text
from mutualaid.figures.requests import requestable_needs

INCIDENTS = pd.DataFrame(
    {
        "id": ["I-1", "I-2", "I-3", "I-4"],
        "name": ["Erftstadt-Blessem", "I-2", "Stolberg", "Bad Münstereifel"],
        "hazard": ["flood", "flood", "landslide", "flood"],
        "severity": [3, 5, 4, 5],
        "status": ["active", "active", "active", "resolved"],
        "jurisdiction": ["DE-NW", "DE-NW", "DE-RP", "DE-NW"],
        "needs": [{"boat": 2, "pump": 1}, {"fire_engine": 3, "boat": 0}, {"boat": 1}, {"boat": 4}],
    }
)


def test_needs_grouped_by_incident_most_severe_first():
    found = requestable_needs(INCIDENTS, "DE-NW")
    assert [x.label for x in found] == [
        "I-2 (flood, severity 5)",  # its name is its id: said once
        "I-1 · Erftstadt-Blessem (flood, severity 3)",
    ]
    assert found[0].choices() == {"3 fire engines": ("I-2", "fire_engine", 3)}
    assert found[1].choices() == {"2 boats": ("I-1", "boat", 2), "1 pump": ("I-1", "pump", 1)}


def test_requested_needs_are_left_out_and_an_incident_with_none_left_too():
    found = requestable_needs(
        INCIDENTS, "DE-NW", requested={("I-1", "boat"), ("I-2", "fire_engine")}
    )
    assert [(x.incident_id, x.needs) for x in found] == [("I-1", (("pump", 1),))]


def test_units_in_words():
    assert [units_text("boat", 2), units_text("usar_team", 1), units_text("bus", 3)] == [
        "2 boats",
        "1 USAR team",
        "3 buses",
    ]

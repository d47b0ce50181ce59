"""A small Meuse scenario for the sharing tests (issue 6), written as files: DE-NW
(longitude 6..7) and NL-LI (5..6) are partners through the agreement DE -> NL; BE-WLG
(4..5) is a stranger to both. One boat resource each in DE-NW and NL-LI.

Used by tests/store/test_sharing_store.py and tests/app/test_sharing_access.py (tests/ is
on ``sys.path`` through its conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path

Feature = tuple[dict, dict]  # (geometry, properties)


def square(x: float) -> dict:
    """A 1-degree square from longitude *x*, latitude 50 to 51."""
    return {"type": "Polygon", "coordinates": [[[x, 50], [x + 1, 50], [x + 1, 51], [x, 51],
                                                [x, 50]]]}


def point(x: float, y: float = 50.5) -> dict:
    return {"type": "Point", "coordinates": [x, y]}


def collection(*features: Feature) -> bytes:
    """A GeoJSON FeatureCollection of (geometry, properties) pairs, as bytes."""
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": p, "geometry": g} for g, p in features]}).encode()


def incident(x: float, id_: str, *, severity: int = 3, boats: int = 1, **extra) -> Feature:
    """A flood at longitude *x* needing *boats* boats; *extra* properties as given."""
    return point(x), {"id": id_, "hazard": "flood", "severity": severity,
                      "reported_at": "2021-07-14T17:30:00Z", "needs": {"boat": boats}, **extra}


def write_meuse(folder: Path, *incidents: Feature) -> Path:
    """The scenario's four files in *folder* (created), with *incidents*."""
    folder.mkdir(parents=True)
    (folder / "jurisdictions.geojson").write_bytes(collection(
        (square(6), {"id": "DE-NW", "country": "DE"}),
        (square(5), {"id": "NL-LI", "country": "NL"}),
        (square(4), {"id": "BE-WLG", "country": "BE"})))
    (folder / "incidents.geojson").write_bytes(collection(*incidents))
    (folder / "resources.geojson").write_bytes(collection(
        (point(6.4), {"id": "R-DE-1", "type": "boat", "quantity": 3}),
        (point(5.4), {"id": "R-NL-1", "type": "boat", "quantity": 2})))
    (folder / "agreements.csv").write_text("from,to,resource_types,border_delay_min\n"
                                           "DE,NL,*,20\n", encoding="utf-8")
    return folder

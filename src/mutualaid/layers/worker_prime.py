"""Imported by the read worker's forkserver only: one small read of each common format.

The readers initialise some things on first use (PROJ's database, GDAL's GeoPackage
driver, pandas' and shapely's lazy parts): 100 to 250 ms that every read's fresh child
would pay again. Reading a few tiny layers once in the forkserver makes its children
start with all of that done (:mod:`mutualaid.layers.bounded`). Nothing here is needed
for correctness: a failure is ignored.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

__all__: list[str] = []

_GEOJSON = (
    b'{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": '
    b'"EPSG:3857"}}, "features": [{"type": "Feature", "properties": {"id": "I1", '
    b'"severity": 3}, "geometry": {"type": "Point", "coordinates": [700000, 6500000]}}]}'
)
_CSV = b"id,type,quantity,lat,lon\nR1,boat,2,50.5,6.5\n"


def _prime() -> None:
    from mutualaid.layers.readers import read_layer

    read_layer("prime.geojson", kind="incidents", data=_GEOJSON)
    read_layer("prime.csv", kind="resources", data=_CSV)
    frame = read_layer("prime.geojson", kind="incidents", data=_GEOJSON).frame
    with tempfile.TemporaryDirectory(prefix="mutualaid-prime-") as folder:
        path = Path(folder) / "prime.gpkg"
        frame.to_file(path, layer="incidents", driver="GPKG")
        read_layer(path, kind="incidents")


# Priming only saves time: if it fails, the real read will say what is wrong.
with contextlib.suppress(Exception):
    _prime()

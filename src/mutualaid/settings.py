"""Documented defaults in one place: limits on input files and the travel model.

Numbers that shape behaviour live here, not scattered through the code, so that a
reader can find and question them.
"""

from __future__ import annotations

from typing import Final

# --- Input limits -----------------------------------------------------------------
#: Largest file accepted for any layer, in bytes (uploads and command line alike).
MAX_FILE_BYTES: Final[int] = 200 * 1024 * 1024
#: Deepest JSON nesting accepted. GeoJSON needs 6 for a MultiPolygon; properties
#: (the ``needs`` object) add a few more.
MAX_JSON_DEPTH: Final[int] = 32
#: Most features accepted in one layer.
MAX_FEATURES: Final[int] = 1_000_000
#: Largest total uncompressed size of a zip archive's members, in bytes.
MAX_ZIP_UNCOMPRESSED_BYTES: Final[int] = 500 * 1024 * 1024
#: Largest compression ratio accepted for any zip member (uncompressed / compressed).
MAX_ZIP_RATIO: Final[float] = 100.0
#: Most members accepted in a zip archive.
MAX_ZIP_MEMBERS: Final[int] = 1_000

# --- Layer rules ------------------------------------------------------------------
HAZARDS: Final[tuple[str, ...]] = (
    "flood", "wildfire", "earthquake", "storm", "epidemic",
    "hazmat", "landslide", "drought", "other",
)
INCIDENT_STATUSES: Final[tuple[str, ...]] = ("active", "contained", "closed")
RESOURCE_STATUSES: Final[tuple[str, ...]] = ("available", "assigned", "out_of_service")
SEVERITY_MIN: Final[int] = 1
SEVERITY_MAX: Final[int] = 5
LAYER_KINDS: Final[tuple[str, ...]] = ("jurisdictions", "incidents", "resources", "agreements")

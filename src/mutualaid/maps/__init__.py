"""Maps: canonical GeoDataFrames in, ``folium.Map`` out. No Streamlit here.

Every map draws without internet (Leaflet from ``/app/static/vendor/``, no tiles) and
every value from a file is escaped before it reaches folium.
"""

from mutualaid.maps.events import (
    CLICK_OBJECTS,
    Selection,
    clicked_feature,
    feature_details,
)
from mutualaid.maps.offline import MapAssetError, use_local_assets
from mutualaid.maps.overview import overview_map

__all__ = [
    "CLICK_OBJECTS",
    "MapAssetError",
    "Selection",
    "clicked_feature",
    "feature_details",
    "overview_map",
    "use_local_assets",
]

"""Which JavaScript and CSS files the maps need, and where the app serves them from.

Maps must draw without internet, so Leaflet is never taken from a CDN. At set-up,
``scripts/install_assets.py`` installs the packages listed in :data:`VENDOR_PACKAGES`
from the npm registry and copies their ``dist`` files to ``static/vendor/<package>/``
(git-ignored). Streamlit serves that folder at ``/app/static/vendor/`` when
``server.enableStaticServing`` is true, and :data:`LOCAL_ASSETS` points folium's asset
names at those URLs.

This module is plain data with no imports beyond the standard library, so the
installer can read it before anything else works.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

#: Where Streamlit serves ``./static`` when static serving is on.
STATIC_URL_PREFIX: Final[str] = "/app/static"
#: The folder under ``./static`` that holds the installed packages' files.
VENDOR_DIR_NAME: Final[str] = "vendor"
#: Written into ``static/vendor/`` once every file has been copied.
INSTALLED_STAMP: Final[str] = ".installed"


@dataclass(frozen=True, slots=True)
class VendorPackage:
    """One npm package whose files the maps load.

    Parameters
    ----------
    name : str
        The npm package name, e.g. ``"leaflet"``.
    version : str
        The exact version installed; a different one fails the installer.
    files : tuple of str
        Paths inside the package to copy to ``static/vendor/<name>/``; a directory is
        copied whole under its own name (``dist/images`` -> ``images/``), because
        ``leaflet.css`` refers to ``images/layers.png`` relative to itself.
    """

    name: str
    version: str
    files: tuple[str, ...]

    @property
    def spec(self) -> str:
        """``name@version`` as npm expects it."""
        return f"{self.name}@{self.version}"


#: Every package the maps load. folium's generated HTML needs Leaflet (and markercluster
#: for large resource layers): the maps
#: use GeoJson layers with CircleMarkers, tooltips and a LayerControl, none of which
#: needs jQuery, Bootstrap, Font Awesome or awesome-markers (folium's other defaults).
VENDOR_PACKAGES: Final[tuple[VendorPackage, ...]] = (
    VendorPackage(
        name="leaflet",
        version="1.9.4",
        files=("dist/leaflet.js", "dist/leaflet.css", "dist/images"),
    ),
    # Clusters the resources of large scenarios (mutualaid.maps.cluster).
    VendorPackage(
        name="leaflet.markercluster",
        version="1.5.3",
        files=(
            "dist/leaflet.markercluster.js",
            "dist/MarkerCluster.css",
            "dist/MarkerCluster.Default.css",
        ),
    ),
)


def vendor_url(package: str, file: str) -> str:
    """The URL the app serves one installed file at.

    Examples
    --------
    >>> vendor_url("leaflet", "leaflet.js")
    '/app/static/vendor/leaflet/leaflet.js'
    """
    return f"{STATIC_URL_PREFIX}/{VENDOR_DIR_NAME}/{package}/{file}"


#: folium's names for its JavaScript assets (``default_js``) mapped to local URLs.
LOCAL_JS: Final[dict[str, str]] = {
    "leaflet": vendor_url("leaflet", "leaflet.js"),
    "markerclusterjs": vendor_url("leaflet.markercluster", "leaflet.markercluster.js"),
}
#: folium's names for its CSS assets (``default_css``) mapped to local URLs.
LOCAL_CSS: Final[dict[str, str]] = {
    "leaflet_css": vendor_url("leaflet", "leaflet.css"),
    "markerclustercss": vendor_url("leaflet.markercluster", "MarkerCluster.css"),
    "markerclusterdefaultcss": vendor_url("leaflet.markercluster", "MarkerCluster.Default.css"),
}
#: folium defaults the maps do not use: dropped rather than fetched. awesome-markers
#: (and with it Bootstrap, glyphicons, Font Awesome and jQuery) only serves
#: ``folium.Marker`` icons, which these maps never draw.
UNUSED_ASSETS: Final[frozenset[str]] = frozenset(
    {
        "jquery",
        "bootstrap",
        "awesome_markers",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers_font_css",
        "awesome_markers_css",
        "awesome_rotate_css",
    }
)

"""A GeoJson layer styled in the browser from a small table of styles.

folium's ``style_function`` is called in Python for every feature and written into
the page as one ``case`` per feature: at 15,000 points that was about 1.3 s of Python
per build and a large part of the page. Here each feature carries one small
number ``s``, the index of its style in a table of the few distinct styles the
layer uses (computed in Python from :mod:`mutualaid.maps.palette`), and a few lines of
JavaScript look it up. The index is a member of the feature beside ``properties``
(GeoJSON allows such members, Leaflet keeps the whole feature), so the properties
stay exactly the tooltip's escaped fields.

Escaping is as before: the table and the features are written with Jinja's
``tojson`` escaping (``<``, ``>``, ``&``, ``'`` as ``\\u003c``...), property values are
HTML-escaped text (:mod:`mutualaid.maps.features`) and style values only ever come
from :mod:`mutualaid.maps.palette`.

The features are serialised once, when the layer is built, and are shared (not
copied) when the built map is deep-copied for a rerun: they are never changed after.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, cast

import folium
from branca.element import Element, Figure, MacroElement
from folium.elements import ElementAddToElement, JSCSSMixin
from folium.template import Template
from folium.utilities import get_obj_in_upper_tree
from jinja2.utils import htmlsafe_json_dumps

#: The feature member holding its style index.
STYLE_KEY = "s"


class RawScript(Element):
    """Script text put into the page as it is.

    folium turns every rendered script into a Jinja template before it is written
    out; for the features that meant lexing megabytes of JSON on every rerun (0.4 s at
    15,000 points), and file text such as ``{{ ... }}`` being read as template syntax.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "RawScript"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class SharedData(dict):
    """A dict that a deep copy shares instead of copying (it is never changed)."""

    def __deepcopy__(self, memo: dict) -> SharedData:
        return self


class ClusterAssets(JSCSSMixin, MacroElement):
    """Loads leaflet.markercluster; folium's asset names, so that
    :func:`mutualaid.maps.offline.use_local_assets` swaps in the local copies."""

    default_js: list[tuple[str, str]] = [("markerclusterjs", "leaflet.markercluster.js")]
    default_css: list[tuple[str, str]] = [
        ("markerclustercss", "MarkerCluster.css"),
        ("markerclusterdefaultcss", "MarkerCluster.Default.css"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._name = "ClusterAssets"


class StyleTable:
    """Distinct styles in order of first use, each with its index.

    Examples
    --------
    >>> table = StyleTable()
    >>> table.index({"color": "#ff0000"}), table.index({"color": "#00ff00"}), \
table.index({"color": "#ff0000"})
    (0, 1, 0)
    """

    def __init__(self) -> None:
        self._index: dict[Hashable, int] = {}
        self.styles: list[dict[str, Any]] = []

    def index(self, style: Mapping[str, Any]) -> int:
        """The index of *style* in the table (added when new); None values are dropped."""
        clean = {k: v for k, v in style.items() if v is not None}
        key = tuple(sorted(clean.items()))
        if key not in self._index:
            self._index[key] = len(self.styles)
            self.styles.append(clean)
        return self._index[key]


class StyledGeoJson(folium.GeoJson):
    """One ``L.geoJson`` layer whose features pick their style from a table.

    Parameters
    ----------
    data : dict
        A FeatureCollection whose features each have the member ``s`` (an index
        into *styles*; 0 when missing); built by :mod:`mutualaid.maps.features` (escaped values).
    styles : sequence of dict
        Leaflet path options (``fillColor``, ``radius``...); at least one.
    highlight : dict
        The style applied while the mouse is over a feature.
    name : str
        The layer's name in the layer control (already escaped).
    points : bool, default False
        Draw point features as CircleMarkers.
    tooltip : folium.GeoJsonTooltip, optional
    cluster : dict, optional
        With *points*: draw the points in an ``L.markerClusterGroup`` with these
        options (JSON values only), loading leaflet.markercluster.
    **kwargs
        Other ``L.geoJson`` options (``pane``, ``interactive``).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }}_styles = {{ this.styles|tojson }};
        var {{ this.get_name() }}_highlight = {{ this.highlight_style|tojson }};
        function {{ this.get_name() }}_styler(feature) {
            return {{ this.get_name() }}_styles[feature.s] || {{ this.get_name() }}_styles[0];
        }
        {%- if this.marker %}
        function {{ this.get_name() }}_pointToLayer(feature, latlng) {
            return L.circleMarker(latlng, {{ this.get_name() }}_styler(feature));
        }
        {%- endif %}
        function {{ this.get_name() }}_onEachFeature(feature, layer) {
            {%- if this.highlight_style %}
            layer.on({
                mouseout: function (e) {
                    if (typeof e.target.setStyle === "function") {
                        {{ this.get_name() }}.resetStyle(e.target);
                    }
                },
                mouseover: function (e) {
                    if (typeof e.target.setStyle === "function") {
                        e.target.setStyle({{ this.get_name() }}_highlight);
                    }
                }
            });
            {%- endif %}
        }
        var {{ this.get_name() }} = L.geoJson(null, {
            onEachFeature: {{ this.get_name() }}_onEachFeature,
            style: {{ this.get_name() }}_styler,
            {%- if this.marker %}
            pointToLayer: {{ this.get_name() }}_pointToLayer,
            {%- endif %}
            ...{{ this.options|tojavascript }}
        });
        {{ this.get_name() }}.addData({{ this.data_json }});
        {%- if this.cluster is not none %}
        // Clustered: the points are drawn by a marker cluster group that this layer
        // adds and removes with itself. The points keep this layer as their event
        // parent (tooltip, highlight); cluster icons do not, so they get no tooltip.
        var {{ this.get_name() }}_clusters = L.markerClusterGroup({{ this.cluster|tojson }});
        {{ this.get_name() }}_clusters.addLayers({{ this.get_name() }}.getLayers());
        {{ this.get_name() }}.onAdd = function (map) {
            map.addLayer({{ this.get_name() }}_clusters);
        };
        {{ this.get_name() }}.onRemove = function (map) {
            map.removeLayer({{ this.get_name() }}_clusters);
        };
        {%- endif %}
        {% endmacro %}
    """)

    def __init__(
        self,
        data: dict,
        *,
        styles: Sequence[Mapping[str, Any]],
        highlight: Mapping[str, Any] | None = None,
        name: str,
        points: bool = False,
        tooltip: folium.GeoJsonTooltip | None = None,
        cluster: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not styles:
            raise ValueError("a styled layer needs at least one style")
        if cluster is not None and not points:
            raise ValueError("only a layer of points can be clustered")
        super().__init__(
            SharedData(data),
            name=name,
            tooltip=tooltip,
            marker=folium.CircleMarker(fill=True) if points else None,
            **kwargs,
        )
        self._name = "StyledGeoJson"
        self.styles = [dict(s) for s in styles]
        self.highlight_style = dict(highlight or {})
        self.cluster = None if cluster is None else dict(cluster)
        if self.cluster is not None:
            self.add_child(ClusterAssets(), name=self.get_name() + "_cluster_assets")
        # Serialised once with the same escaping as Jinja's tojson filter.
        self.data_json = htmlsafe_json_dumps(data, separators=(",", ":"))

    def style_function(self, feature: Mapping[str, Any]) -> dict[str, Any]:
        """The style the browser gives *feature* (what the JavaScript looks up)."""
        index = feature.get(STYLE_KEY, 0)
        if not isinstance(index, int) or not 0 <= index < len(self.styles):
            index = 0
        return self.styles[index]

    # branca annotates Element.render as returning the HTML; folium's GeoJson.render,
    # which this replaces, returns nothing.
    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Render as ``folium.GeoJson`` does, but add the script as raw text.

        folium would compile the rendered script, features and all, as a template
        (see :class:`RawScript`). streamlit-folium calls the template's ``script``
        macro itself, which gives the same text.
        """
        # folium's GeoJson declares parent_map None until render sets it, as here.
        self.parent_map = get_obj_in_upper_tree(self, folium.Map)  # type: ignore[assignment]
        if self.show:
            self.add_child(
                ElementAddToElement(
                    element_name=self.get_name(),
                    element_parent_name=cast(Element, self._parent).get_name(),
                ),
                name=self.get_name() + "_add",
            )
        cast(Figure, self.get_root()).script.add_child(
            RawScript(self._template.module.script(self, kwargs)), name=self.get_name()
        )
        for child in list(self._children.values()):
            child.render(**kwargs)

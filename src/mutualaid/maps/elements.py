"""Small folium elements of our own: a legend, the map's CSS, keeping points on top.

Each writes its text into the page's script with Jinja's ``tojson`` (which escapes
``<``, ``>``, ``&`` and ``'``), and any text that came from a file is HTML-escaped before
it gets here, so nothing in them can close a script or add markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from branca.element import Element, Figure, MacroElement
from folium.template import Template

from mutualaid.display import html_text
from mutualaid.settings import MAP_WIDE_PX

#: Legend swatch shapes: a filled dot (points), a solid, dashed or dotted line (flows,
#: held units), a ring.
SWATCHES: tuple[str, ...] = ("dot", "line", "dashed", "ring", "dotted")
#: ``(colour, label)`` or ``(colour, label, shape)``.
LegendEntry = tuple[str, str] | tuple[str, str, str]


class Legend(MacroElement):
    """A box in a corner of the map listing colour swatches and their meaning.

    It folds (a ``<details>`` element with a "Legend" summary to click): open when
    the map is at least *wide_px* wide, closed on a smaller screen.

    Parameters
    ----------
    sections : sequence of (title, [(colour, label), ...])
        Titles and labels are escaped here; colours must be ``#rrggbb`` strings from
        :mod:`mutualaid.maps.palette`. An entry may add a third item, the swatch's
        shape: one of :data:`SWATCHES` (``"dot"`` when left out).
    position : str, default "bottomright"
        A Leaflet control position.
    wide_px : int, default :data:`mutualaid.settings.MAP_WIDE_PX`
        Narrower maps open with the legend closed.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("details", "mutualaid-legend");
            div.innerHTML = "<summary>Legend</summary>" + {{ this.html|tojson }};
            div.open = map.getSize().x >= {{ this.wide_px }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(
        self,
        sections: Sequence[tuple[str, Sequence[LegendEntry]]],
        *,
        position: str = "bottomright",
        wide_px: int = MAP_WIDE_PX,
    ) -> None:
        super().__init__()
        self._name = "Legend"
        self.position = position
        self.wide_px = int(wide_px)
        self.html = legend_html(sections)


def _checked_color(color: str) -> str:
    if not (
        len(color) == 7
        and color.startswith("#")
        and all(c in "0123456789abcdefABCDEF" for c in color[1:])
    ):
        raise ValueError(f"legend colours must be #rrggbb, got {color!r}")
    return color


def _swatch(color: str, shape: str) -> str:
    color = _checked_color(color)
    if shape == "dot":
        return f'<i style="background:{color}"></i>'
    if shape in ("line", "dashed", "ring", "dotted"):
        return f'<i class="mutualaid-legend-{shape}" style="border-color:{color}"></i>'
    raise ValueError(f"legend swatches are {', '.join(SWATCHES)}, got {shape!r}")


def legend_html(sections: Sequence[tuple[str, Sequence[LegendEntry]]]) -> str:
    """The legend's inner HTML, every title and label escaped.

    Each entry is ``(colour, label)`` or ``(colour, label, shape)`` with a shape from
    :data:`SWATCHES`.
    """
    parts = []
    for title, entries in sections:
        if not entries:
            continue
        parts.append(f'<div class="mutualaid-legend-title">{html_text(title)}</div>')
        for entry in entries:
            color, label, *rest = entry
            shape = rest[0] if rest else "dot"
            parts.append(f"<div>{_swatch(color, shape)}{html_text(label)}</div>")
    return "".join(parts)


class MapStyle(MacroElement):
    """CSS for the map page: background where there is no land, the legend's look.

    Added to the page's header, which streamlit-folium copies into the map's iframe.
    """

    def __init__(self, *, background: str) -> None:
        super().__init__()
        self._name = "MapStyle"
        self.css = (
            f".leaflet-container {{ background: {_checked_color(background)}; }}\n"
            ".mutualaid-legend { background: rgba(255,255,255,0.92); padding: 6px 8px;"
            " border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,0.3);"
            " font: 12px/1.3 sans-serif; max-height: calc(100vh - 190px); overflow-y: auto; }\n"
            ".mutualaid-legend-title { font-weight: bold; margin-top: 4px; }\n"
            ".mutualaid-legend summary { font-weight: bold; cursor: pointer; }\n"
            ".mutualaid-legend i { display: inline-block; width: 11px; height: 11px;"
            " border-radius: 50%; margin-right: 6px; vertical-align: -1px;"
            " border: 1px solid rgba(0,0,0,0.4); }\n"
            ".mutualaid-legend i.mutualaid-legend-line, .mutualaid-legend i.mutualaid-legend-dashed"
            " { width: 18px; height: 0; border: none; border-radius: 0; border-top: 3px solid;"
            " vertical-align: 3px; }\n"
            ".mutualaid-legend i.mutualaid-legend-dashed { border-top-style: dashed; }\n"
            ".mutualaid-legend i.mutualaid-legend-ring { background: transparent;"
            " border: 2.5px solid; }\n"
            ".mutualaid-legend i.mutualaid-legend-dotted { width: 18px; height: 0; border: none;"
            " border-radius: 0; border-top: 3px dotted; vertical-align: 3px; }\n"
            ".mutualaid-held-count { background: #4b785a; color: #ffffff; border-radius: 7px;"
            " padding: 0 4px; font: bold 10px/14px sans-serif; white-space: nowrap; }\n"
        )

    # branca annotates Element.render as returning the HTML; MacroElement.render, which
    # this extends, returns nothing.
    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        figure = cast(Figure, self.get_root())
        figure.header.add_child(
            Element(f"<style>\n{self.css}</style>"), name=self.get_name() + "_css"
        )
        super().render(**kwargs)


class KeepOnTop(MacroElement):
    """Bring point layers back on top whenever an overlay is switched on.

    With ``prefer_canvas`` all vector layers share one canvas, drawn and hit-tested in
    the order they were added; switching the jurisdictions off and on again would put
    their polygons above the incidents and swallow clicks meant for them.

    Parameters
    ----------
    layers : sequence of folium layers
        Bottom first: the last one ends up on top.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.on("overlayadd", function () {
            var map = {{ this._parent.get_name() }};
            [{% for layer in this.layers %}{{ layer.get_name() }},{% endfor %}]
                .forEach(function (layer) { if (map.hasLayer(layer)) { layer.bringToFront(); } });
        });
        {% endmacro %}
    """)

    def __init__(self, layers: Sequence[MacroElement]) -> None:
        super().__init__()
        self._name = "KeepOnTop"
        self.layers = list(layers)


class CollapseWhenNarrow(MacroElement):
    """Open a layer control folded (a button; hover or focus opens it) when the map is
    narrower than *wide_px*; on a wide map it stays open.

    Parameters
    ----------
    control : folium.LayerControl
        Added to the map before this element.
    wide_px : int, default :data:`mutualaid.settings.MAP_WIDE_PX`
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var control = {{ this.control.get_name() }};
            if (map.getSize().x < {{ this.wide_px }} && !control.options.collapsed) {
                control.remove();
                control.options.collapsed = true;
                control.addTo(map);
            }
        })();
        {% endmacro %}
    """)

    def __init__(self, control: MacroElement, *, wide_px: int = MAP_WIDE_PX) -> None:
        super().__init__()
        self._name = "CollapseWhenNarrow"
        self.control = control
        self.wide_px = int(wide_px)

"""Files a coordinator takes away: the briefing as one HTML file, the plan as CSV.

No Streamlit here. Two concerns, both about what happens once the file leaves the app:

* :func:`briefing_html` writes a single, self-contained HTML page (map, key figures,
  the most severe unmet needs) that draws when opened from disk with no server and no
  internet: Leaflet's JavaScript and CSS are inlined from ``static/vendor`` (its images
  as ``data:`` URLs), and every value from a file is escaped.
* :func:`plan_csv` writes the plan's assignments and unmet needs as CSV for
  spreadsheets. A cell that a spreadsheet would read as a formula (starting with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading apostrophe
  (:func:`neutralise_formula`), so a hostile id cannot run anything when opened.

Examples
--------
>>> neutralise_formula("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
"""

from __future__ import annotations

import base64
import copy
import csv
import html
import io
import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import folium
import pandas as pd

from mutualaid.display import cell_text, display_text
from mutualaid.errors import ExportError
from mutualaid.figures.operation import OperationFigures, figure_labels
from mutualaid.figures.plan import KeyFigures, assignments_frame, unmet_frame
from mutualaid.maps.assets import STATIC_URL_PREFIX
from mutualaid.maps.flows import agreement_text
from mutualaid.settings import BRIEFING_TOP_UNMET
from mutualaid.text import neutralise_formula  # the one rule, re-exported for CSV writers
from mutualaid.vocabulary import duration, reason_label, type_label

#: The project's ``static`` folder (served at ``/app/static``), holding ``vendor/``.
STATIC_DIR: Path = Path(__file__).resolve().parents[2] / "static"

#: Columns of the briefing's unmet-needs table, with their headings.
UNMET_COLUMNS: tuple[tuple[str, str], ...] = (
    ("severity", "Severity"),
    ("incident", "Incident"),
    ("incident_id", "Id"),
    ("jurisdiction", "Jurisdiction"),
    ("type", "Type"),
    ("units", "Units short"),
    ("reason", "Reason"),
)
#: How the vocabulary columns of the unmet-needs table read (others: display.cell_text).
UNMET_WORDS: dict[str, Callable[[Any], str]] = {
    "type": type_label,
    "reason": reason_label,
}


# --- CSV ----------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return value.item()
    return value


def _csv(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise_formula(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([neutralise_formula(_cell(v)) for v in row])
    return buffer.getvalue()


def plan_csv(plan: Any) -> tuple[str, str]:
    """The plan's assignments and unmet needs, one CSV text each.

    Parameters
    ----------
    plan : Plan or mapping
        The plan (:func:`mutualaid.allocation.allocate`, its ``to_dict()`` or JSON).

    Returns
    -------
    assignments_csv, unmet_csv : str
        The contract's columns first, then the engine's extras (an ``agreement`` in
        words, lists and objects as JSON text); every text cell neutralised with
        :func:`neutralise_formula`.
    """
    assignments = assignments_frame(plan)
    if "agreement" in assignments:
        assignments["agreement"] = assignments["agreement"].map(agreement_text)
    return _csv(assignments), _csv(unmet_frame(plan))


# --- the briefing as one HTML file ---------------------------------------------------------

_SCRIPT_TAG = re.compile(r'<script\s+src="([^"]*)"\s*>\s*</script>', re.IGNORECASE)
_LINK_TAG = re.compile(r'<link\s+rel="stylesheet"\s+href="([^"]*)"\s*/?>', re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*['\"]?(images/[A-Za-z0-9._-]+\.png)['\"]?\s*\)")
_ANY_REFERENCE = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=", re.IGNORECASE)


def _asset_path(url: str, static_dir: Path) -> Path:
    prefix = STATIC_URL_PREFIX + "/"
    if not url.startswith(prefix) or ".." in url:
        raise ExportError(
            f"the map refers to {url!r}, which is not one of the app's own "
            "files and cannot be put into the briefing"
        )
    path = static_dir / url[len(prefix) :]
    if not path.is_file():
        raise ExportError(f"{path} is missing: install the map's files with `make assets`")
    return path


def _inline_css(path: Path) -> str:
    text = path.read_text(encoding="utf-8")

    def data_url(match: re.Match) -> str:
        image = path.parent / match.group(1)
        if not image.is_file():
            return "url(data:,)"  # an icon the maps never show; never a request
        return "url(data:image/png;base64," + base64.b64encode(image.read_bytes()).decode() + ")"

    text = _CSS_URL.sub(data_url, text)
    # Text inside <style> ends at the first "</style": keep the stylesheet inside.
    return "<style>\n" + re.sub(r"</(style)", r"<\\/\1", text, flags=re.IGNORECASE) + "\n</style>"


def _inline_js(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE).replace("<!--", "<\\!--")
    return "<script>\n" + text + "\n</script>"


def inline_assets(page: str, *, static_dir: Path = STATIC_DIR) -> str:
    """Replace the page's ``<script src>`` and stylesheet ``<link>`` tags naming the
    app's files with the files' contents.

    Raises
    ------
    ExportError
        When a tag names anything else (a CDN, say), or a file is missing.
    """
    page = _SCRIPT_TAG.sub(lambda m: _inline_js(_asset_path(m.group(1), static_dir)), page)
    page = _LINK_TAG.sub(lambda m: _inline_css(_asset_path(m.group(1), static_dir)), page)
    left = _ANY_REFERENCE.search(page)
    if left:
        raise ExportError(f"the briefing would still load a file: {left.group(0)!r}")
    return page


def _e(value: Any) -> str:
    return html.escape(display_text(value), quote=True)


def _minutes(value: float) -> str:
    return duration(value)


#: The operation's figures the briefing shows (labels of :data:`GLOSSARY`), in order.
BRIEFING_FIGURES: tuple[str, ...] = (
    "Need met",
    "Need covered now",
    "Units deployed",
    "Units committed",
    "Units proposed",
    "Units short / needed",
    "Units across national borders",
)


def figure_items(operation: OperationFigures, figures: KeyFigures) -> list[tuple[str, str]]:
    """The briefing's figures as (label, value) text pairs, in display order.

    Parameters
    ----------
    operation : OperationFigures
        How the operation stands (:func:`mutualaid.figures.operation.operation_figures`):
        the same labels and numbers as the Overview and Allocation pages.
    figures : KeyFigures
        The current plan's own figures (its proposals' response times).

    Returns
    -------
    list of (str, str)
    """
    shared = {label: value for label, value, _help in figure_labels(operation)}
    return [(label, shared[label]) for label in BRIEFING_FIGURES] + [
        ("Mean response (proposed)", _minutes(figures.response.mean_minutes)),
        ("Worst response (proposed)", _minutes(figures.response.worst_minutes)),
    ]


def top_unmet(figures: KeyFigures, *, limit: int | None = BRIEFING_TOP_UNMET) -> pd.DataFrame:
    """The most severe unmet needs (``figures.unmet`` is sorted so), as text columns
    with the briefing's headings; every one when *limit* is None."""
    table = figures.unmet if limit is None else figures.unmet.head(limit)
    out = pd.DataFrame(
        {
            heading: table[column].map(UNMET_WORDS.get(column, cell_text))
            if column in table
            else pd.Series(dtype=object)
            for column, heading in UNMET_COLUMNS
        }
    )
    return out.reset_index(drop=True)


def _figures_html(operation: OperationFigures, figures: KeyFigures) -> str:
    cells = "".join(
        f'<div class="mab-figure"><div class="mab-label">{_e(label)}</div>'
        f'<div class="mab-value">{_e(value)}</div></div>'
        for label, value in figure_items(operation, figures)
    )
    return f'<section class="mab-figures">{cells}</section>'


def briefing_time(when: datetime) -> str:
    """A moment as the briefing shows it: date, time and zone, in UTC.

    Examples
    --------
    >>> briefing_time(datetime(2026, 12, 7, 15, 42, 7, tzinfo=UTC))
    '7 Dec 2026, 15:42:07 UTC'
    """
    utc = when.astimezone(UTC)
    return f"{utc.day} {utc:%b %Y, %H:%M:%S} UTC"


def _unmet_html(figures: KeyFigures, *, limit: int | None) -> str:
    table = top_unmet(figures, limit=limit)
    if table.empty:
        return '<section class="mab-unmet"><h2>Unmet needs</h2><p>Every need is met.</p></section>'
    head = "".join(f"<th>{_e(c)}</th>" for c in table.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>"
        for row in table.itertuples(index=False, name=None)
    )
    total = len(figures.unmet)
    listed = "all" if len(table) == total else f"the {len(table)} most severe"
    return (
        '<section class="mab-unmet"><h2>Unmet needs (most severe first)</h2>'
        f"<p>{total} unmet need{'s' if total != 1 else ''}, {listed} listed.</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></section>"
    )


_BRIEFING_CSS = """<style>
body { font-family: sans-serif; }
.mab-header { padding: 12px 20px 0; }
.mab-header h1 { font-size: 2.2rem; margin: 0 0 4px; }
.mab-header p { font-size: 1.1rem; margin: 0 0 8px; color: #444; }
.mab-figures { display: flex; flex-wrap: wrap; gap: 12px; padding: 8px 20px; }
.mab-figure { flex: 1 1 180px; border: 1px solid #ccc; border-radius: 6px; padding: 8px 12px; }
.mab-label { font-size: 1rem; color: #444; }
.mab-value { font-size: 2rem; font-weight: bold; }
.folium-map { height: 65vh !important; min-height: 420px; }
.mab-unmet { padding: 8px 20px 24px; font-size: 1.2rem; }
.mab-unmet table { border-collapse: collapse; width: 100%; }
.mab-unmet th, .mab-unmet td { border-bottom: 1px solid #ccc; padding: 4px 8px; text-align: left; }
</style>"""


def briefing_html(
    *,
    title: str,
    map_: folium.Map,
    operation: OperationFigures,
    figures: KeyFigures,
    updated_at: str,
    top: int | None = None,
    static_dir: Path = STATIC_DIR,
) -> str:
    """The briefing as one self-contained HTML page.

    Parameters
    ----------
    title : str
        The scenario's name (file text: escaped).
    map_ : folium.Map
        The plan's map (:func:`mutualaid.maps.plan.plan_map`); a copy is rendered, so
        the map given is left as it was.
    operation : OperationFigures
        How the operation stands (:func:`mutualaid.figures.operation.operation_figures`).
    figures : KeyFigures
        :func:`mutualaid.figures.plan.key_figures` of the plan (of what is still free).
    updated_at : str
        When the plan was made, as shown to people.
    top : int or None
        How many unmet needs to list, most severe first; every one when None (the
        default: a briefing handed on lists them all).
    static_dir : pathlib.Path
        The folder holding ``vendor/leaflet/`` (the project's ``static``).

    Returns
    -------
    str
        An HTML document with Leaflet inlined; it loads nothing from anywhere.

    Raises
    ------
    ExportError
        When the map needs a file that is not installed locally.
    """
    page = copy.deepcopy(map_).get_root().render()
    page = inline_assets(page, static_dir=static_dir)
    header = (
        f'<header class="mab-header"><h1>Briefing: {_e(title)}</h1>'
        f"<p>Plan updated at {_e(updated_at)}</p></header>" + _figures_html(operation, figures)
    )
    page = page.replace(
        "</head>", _BRIEFING_CSS + "\n<title>Briefing: " + _e(title) + "</title>\n</head>", 1
    )
    body_start = page.find("<body>")
    body_end = page.rfind("</body>")
    if body_start < 0 or body_end < 0:
        raise ExportError("the rendered map has no <body> to put the briefing into")
    body_start += len("<body>")
    return (
        page[:body_start]
        + "\n"
        + header
        + page[body_start:body_end]
        + _unmet_html(figures, limit=top)
        + "\n"
        + page[body_end:]
    )


__all__ = [
    "STATIC_DIR",
    "ExportError",
    "briefing_html",
    "briefing_time",
    "figure_items",
    "inline_assets",
    "neutralise_formula",
    "plan_csv",
    "top_unmet",
]

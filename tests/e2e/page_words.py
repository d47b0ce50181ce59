"""What a person reads on a page, and the words that should never be among it (issue 13,
item 7): a raw field or vocabulary key (``fire_engine``, ``max_response_min``), a Python
literal (``{'boat': 2}``, ``['a']``, ``True``, ``nan``), a whole count written ``180.0``,
the word ``None``, or an internal version ("(version 2)").

:func:`page_text` reads the page as shown: the app's visible text
(``document.body.innerText``, after opening every expander), the cells of its read-only
tables (their accessibility table: Streamlit draws the cells on a canvas), the chosen
values of its select boxes, and in each map frame the legend and layer list and the
tooltip and popup texts of the first features of each layer. Editable tables are left
out: their cells are the agreements' file syntax an admin types (``boat;pump``).
:func:`offences` finds the snippets that break the rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from playwright.sync_api import Error as PlaywrightError

from mutualaid.layers.schema import CANONICAL_COLUMNS
from mutualaid.vocabulary import VOCABULARY

#: The contract's field names and the plan's keys (../shared/CONTRACT.md, sections 1, 3).
CONTRACT_FIELDS: tuple[str, ...] = (
    "reported_at",
    "max_response_min",
    "speed_kmh",
    "resource_types",
    "border_delay_min",
    "resource_id",
    "incident_id",
    "from_jurisdiction",
    "to_jurisdiction",
    "cross_border",
    "weighted_coverage",
    "unit_minutes",
    "units_assigned",
    "units_needed",
    "solve_seconds",
    "travel_times",
    "other_reasons",
)
#: Every key with an underscore that a person should never read: the contract's fields,
#: the layers' canonical columns and every key of the vocabulary table.
RAW_KEYS: frozenset[str] = frozenset(
    key
    for key in (
        *CONTRACT_FIELDS,
        *(column for columns in CANONICAL_COLUMNS.values() for column in columns),
        *(key for table in VOCABULARY.values() for key in table),
    )
    if "_" in key
)
_RAW_KEY = re.compile(
    r"(?<![\w.@/-])(?:"
    + "|".join(sorted((re.escape(k) for k in RAW_KEYS), key=len, reverse=True))
    + r"|need_[a-z0-9_]+)(?![\w@-])"
)
#: (what, pattern) of each offence.
OFFENCES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("raw key", _RAW_KEY),
    ("Python dict", re.compile(r"\{\s*['\"][^'\"]*['\"]\s*:")),
    ("Python list", re.compile(r"\[\s*(?:'[^']*'|\"[^\"]*\"|-?\d+(?:\.\d+)?)\s*(?:,|\])")),
    ("None", re.compile(r"\bNone\b")),
    ("True/False", re.compile(r"\b(?:True|False)\b")),
    ("nan", re.compile(r"(?<![\w-])(?:nan|NaN|NaT|<NA>|inf)(?![\w-])")),
    ("whole number with .0", re.compile(r"(?<![\d.,])\d[\d,]*\.0(?![\d.])(?!\s?%)")),
    ("internal version", re.compile(r"\(version \d+\)|now version \d+")),
)
#: Characters of context shown on each side of an offence.
CONTEXT = 40


def offences(text: str, where: str = "") -> list[str]:
    """Each offending snippet of *text*, as ``"where: what: …snippet…"``.

    Parameters
    ----------
    text : str
        What a page shows.
    where : str
        Named in each finding (the page and the person).
    """
    found = []
    for what, pattern in OFFENCES:
        for match in pattern.finditer(text):
            start, end = max(0, match.start() - CONTEXT), match.end() + CONTEXT
            snippet = " ".join(text[start:end].split())
            found.append(f"{where}: {what} {match.group(0)!r}: …{snippet}…")
    return found


#: The app's visible text, its read-only tables' cells and its select boxes' values.
_APP_TEXT_JS = """() => {
  const parts = [document.body.innerText];
  for (const grid of document.querySelectorAll('[data-testid="stDataFrame"]')) {
    if (grid.querySelector('[aria-label="Add row"]')) continue;  // an editor: file syntax
    const rows = [...grid.querySelectorAll('table tr')].map(
      tr => [...tr.querySelectorAll('th, td')].map(c => c.textContent.trim()).join(' | '));
    parts.push(rows.join('\\n'));
  }
  for (const box of document.querySelectorAll('input[role="combobox"]')) parts.push(box.value);
  return parts.join('\\n');
}"""

#: In a map frame: the legend and layer list (the frame's visible text) and the tooltip
#: and popup of the first features of each layer, as text.
_MAP_TEXT_JS = """(perLayer) => {
  const parts = [document.body ? document.body.innerText : ''];
  if (typeof L === 'undefined') return parts.join('\\n');
  const asText = (html) => {
    const box = document.createElement('div');
    box.innerHTML = String(html).replace(/<br\\s*\\/?>/gi, '\\n')
      .replace(/<\\/(tr|div|p|li)>/gi, '\\n');
    return box.textContent;
  };
  const read = (bound, layer) => {
    if (!bound) return;
    let content = bound._content;
    try {
      if (typeof content === 'function') content = content(layer);
    } catch (error) { return; }
    if (content instanceof HTMLElement) { parts.push(content.innerText || content.textContent); }
    else if (content !== undefined && content !== null) parts.push(asText(content));
  };
  const maps = Object.values(window).filter(v => v instanceof L.Map);
  for (const map of maps) {
    map.eachLayer(layer => {
      if (layer.getLayers) {
        const features = layer.getLayers().slice(0, perLayer);
        for (const feature of features) {
          read(layer.getTooltip && layer.getTooltip(), feature);
          read(layer.getPopup && layer.getPopup(), feature);
        }
      } else if (layer.feature || layer.getTooltip) {
        read(layer.getTooltip && layer.getTooltip(), layer);
        read(layer.getPopup && layer.getPopup(), layer);
      }
    });
  }
  return parts.join('\\n');
}"""

#: Features read per map layer: enough to meet every kind of value, few for 2 cores.
FEATURES_PER_LAYER = 40


def _clicked(locator) -> bool:
    """Click *locator* as a person; False when it went away meanwhile (a rerun)."""
    try:
        locator.click(timeout=5_000)
    except PlaywrightError:
        return False
    return True


def open_expanders(page) -> None:
    """Open every closed expander of the app (a click on its summary, as a person)."""
    for summary in page.locator("details:not([open]) > summary").all():
        _clicked(summary)


def map_texts(page) -> list[str]:
    """The text of every map frame of *page* (:data:`_MAP_TEXT_JS`)."""
    texts = []
    for frame in page.frames:
        if frame == page.main_frame:
            continue
        try:
            texts.append(frame.evaluate(_MAP_TEXT_JS, FEATURES_PER_LAYER))
        except PlaywrightError:  # a frame detached by a rerun meanwhile
            texts.append("")
    return texts


def page_text(page, *, tabs: bool = True) -> str:
    """Everything *page* shows a person now: expanders opened, each tab's panel read in
    turn (*tabs*), the maps' legends, layer lists, tooltips and popups."""
    open_expanders(page)
    parts = [page.evaluate(_APP_TEXT_JS)]
    if tabs:
        for tab in page.get_by_role("tab").all():
            if _clicked(tab):
                page.wait_for_timeout(300)
                parts.append(page.evaluate(_APP_TEXT_JS))
    parts.extend(map_texts(page))
    return "\n".join(parts)


def all_offences(texts: Iterable[tuple[str, str]]) -> list[str]:
    """Every offence of each ``(where, text)``, each snippet once."""
    seen: dict[str, None] = {}
    for where, text in texts:
        for finding in offences(text, where):
            seen.setdefault(finding, None)
    return list(seen)

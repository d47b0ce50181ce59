"""Text from people and files made inert before Streamlit renders it as Markdown.

Streamlit reads as Markdown the body of ``st.markdown``, ``st.caption``, ``st.success``
and its siblings, titles and headers, toasts, and the labels and help of widgets,
expanders, tabs, metrics and page links. A display name, a feature id or a typed
jurisdiction placed there unescaped could draw an image from another server
(``![t](http://host/x.png)``: the browser fetches it), a link, a table, a colour
(``:red[...]``), an icon (``:material/...:``) or LaTeX (``$...$``). Every such text goes
through :func:`literal` (one helper for the whole app; :mod:`mutualaid.display`
escapes for HTML, which folium needs instead). This module imports no Streamlit.

A spreadsheet is the other reader that runs text: a CSV cell starting with ``=``,
``+``, ``-`` or ``@`` is a formula to Excel and LibreOffice, also after blanks or line
breaks, which they skip. Every CSV the app or the command line writes (plans, the
validation report, the audit log) passes its cells through :func:`neutralise_formula`,
the one rule for all of them.
"""

from __future__ import annotations

import math
import re
from typing import Any

#: Every ASCII punctuation character that CommonMark, GitHub's extensions or Streamlit's
#: own (colours, icons, emoji shortcodes, maths) may read; CommonMark lets a backslash
#: escape any of them, so each is shown as itself.
_MARKDOWN_ACTIVE = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&\"'/@%])")
#: Spaces and tabs at the start of a line: four of them make a code block.
_LEADING_BLANKS = re.compile(r"^[ \t]+", flags=re.MULTILINE)
_NO_BREAK_SPACE = "\u00a0"


def _inert_indent(match: re.Match[str]) -> str:
    return match.group(0).replace("\t", "    ").replace(" ", _NO_BREAK_SPACE)


def literal(text: object) -> str:
    """*text* escaped so that Streamlit's Markdown shows it as it is.

    Every ASCII punctuation character that Markdown or Streamlit's extensions could
    read (links, images, HTML, emphasis, code, tables, headings, lists, colours,
    ``:material/...:`` icons, emoji shortcodes, maths) gets a backslash; spaces and
    tabs that start a line become no-break spaces (no code block); a line break stays
    a line break (never a new paragraph, heading or list).

    Parameters
    ----------
    text : object
        Anything; it is shown as ``str(text)``.

    Returns
    -------
    str
        Markdown whose rendering is *text*.

    Examples
    --------
    >>> print(literal("![x](http://evil)"))
    \\!\\[x\\]\\(http\\:\\/\\/evil\\)
    >>> print(literal(":red[alarm] $x$"))
    \\:red\\[alarm\\] \\$x\\$
    """
    escaped = _MARKDOWN_ACTIVE.sub(r"\\\1", str(text))
    lines = escaped.replace("\r\n", "\n").replace("\r", "\n")
    lines = _LEADING_BLANKS.sub(_inert_indent, lines)
    # Two trailing spaces: a hard line break inside the paragraph, so a blank line in
    # the text cannot end the paragraph and start a block of its own.
    return "  \n".join(line for line in lines.split("\n"))


#: First characters after which a spreadsheet reads a cell as a formula (OWASP's list).
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@")
#: Characters that make a cell suspect where they start it, whatever follows: a tab or
#: carriage return can hide a formula from the eye and is never needed first in a cell.
_SUSPECT_FIRST: tuple[str, ...] = ("\t", "\r")


def neutralise_formula(value: Any) -> str:
    """A CSV cell's text, with a leading apostrophe when a spreadsheet could run it.

    The one rule for every CSV the project writes: a cell whose text, once leading
    blanks and line breaks (any Unicode whitespace, which spreadsheets skip) are set
    aside, starts with ``=``, ``+``, ``-`` or ``@``, or whose text starts with a tab or a
    carriage return, gets an apostrophe in front. Numbers (``int``, ``float``, not
    ``bool``) are written as they are: ``-3`` is a number to a spreadsheet, not a
    formula; NaN is an empty cell. Any other value is made text first
    (:func:`mutualaid.display.display_text`: ``None`` is empty, a dict is
    ``key: value``...).

    Parameters
    ----------
    value : Any
        A cell's value.

    Returns
    -------
    str
        The text to write.

    Examples
    --------
    >>> neutralise_formula("@SUM(A1)"), neutralise_formula(" =1")
    ("'@SUM(A1)", "' =1")
    >>> neutralise_formula("boat"), neutralise_formula("a=b"), neutralise_formula(-2)
    ('boat', 'a=b', '-2')
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and math.isnan(value):
            return ""
        return str(value)
    from mutualaid.display import display_text  # pandas/numpy only when a cell needs it

    text = display_text(value)
    if text.startswith(_SUSPECT_FIRST) or text.lstrip().startswith(FORMULA_STARTS):
        return "'" + text
    return text

"""Text from people and files made inert before Streamlit renders it as Markdown.

Streamlit reads as Markdown the body of ``st.markdown``, ``st.caption``, ``st.success``
and its siblings, titles and headers, toasts, and the labels and help of widgets,
expanders, tabs, metrics and page links. A display name, a feature id or a typed
jurisdiction placed there unescaped could draw an image from another server
(``![t](http://host/x.png)``: the browser fetches it), a link, a table, a colour
(``:red[...]``), an icon (``:material/...:``) or LaTeX (``$...$``). Every such text goes
through :func:`literal` (one helper for the whole app; :mod:`mutualaid.maps.text`
escapes for HTML, which folium needs instead). This module imports no Streamlit.
"""

from __future__ import annotations

import re

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

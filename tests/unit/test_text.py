"""The one Markdown escaping helper (issue 16, part 4): whatever a person typed or a file
held is shown by Streamlit's Markdown as the text itself."""

from __future__ import annotations

import re

import pytest

from mutualaid.text import literal

#: The characters Markdown, GitHub's extensions and Streamlit's own (colours, icons,
#: emoji, maths) give a meaning to.
ACTIVE = "\\`*_{}[]()#+-.!|<>~$:=^&\"'/@%"
HOSTILE = [
    "![t](http://127.0.0.1:9/x.png)",
    "[click](http://evil.example/)",
    "<img src=http://evil.example/x.png onerror=alert(1)>",
    ":red[alarm] :material/warning: :smile: $x^2$ **b** _i_ ~~s~~ `c`",
    "# heading\n- item\n1. one\n> quote\n| a | b |\n|---|---|\n---",
    "http://evil.example/ www.evil.example nobody@evil.example &amp; &#x41;",
]
#: CommonMark: a backslash before any ASCII punctuation character is that character.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def _unescaped(markdown: str) -> str:
    """What is left once each backslash escape is taken out (the escapes themselves)."""
    return _ESCAPED.sub("", markdown)


@pytest.mark.parametrize("character", list(ACTIVE))
def test_literal_escapes_every_markdown_active_character(character):
    assert literal(character) == "\\" + character
    assert literal(f"a{character}b") == f"a\\{character}b"


@pytest.mark.parametrize("text", HOSTILE)
def test_literal_leaves_no_active_character_unescaped_and_reads_back_as_the_text(text):
    escaped = literal(text)
    assert not set(_unescaped(escaped)) & set(ACTIVE), escaped
    # Markdown's reading of the escapes gives the text back (line breaks are hard breaks)
    assert _ESCAPED.sub(r"\1", escaped).replace("  \n", "\n") == text


def test_literal_turns_images_links_and_html_into_text():
    assert literal("![x](http://example/x.png)") == (r"\!\[x\]\(http\:\/\/example\/x\.png\)")
    assert literal("[a link](http://example/)") == r"\[a link\]\(http\:\/\/example\/\)"
    assert literal('<img src="http://example/x.png">') == (
        r"\<img src\=\"http\:\/\/example\/x\.png\"\>"
    )
    assert literal(":red[x] $x^2$ **b** _i_") == r"\:red\[x\] \$x\^2\$ \*\*b\*\* \_i\_"
    assert literal(":material/home:") == r"\:material\/home\:"


def test_literal_keeps_line_breaks_and_makes_indentation_no_code_block():
    assert literal("two\nlines") == "two  \nlines"
    assert literal("two\r\nlines") == "two  \nlines"
    # four leading spaces (or a tab) would open a code block: no-break spaces cannot
    assert literal("    code") == "\u00a0" * 4 + "code"
    assert literal("a\n\tb") == "a  \n" + "\u00a0" * 4 + "b"
    assert literal("plain words 12") == "plain words 12"
    assert literal(12) == "12"

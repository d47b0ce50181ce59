"""docs/glossary.md says what each figure means, word for word as the pages' help
(figures.operation.GLOSSARY): one label, one meaning, on every page and in the docs."""

from __future__ import annotations

import re
from pathlib import Path

from mutualaid.exports import BRIEFING_FIGURES
from mutualaid.figures.operation import GLOSSARY, OperationFigures, figure_labels
from mutualaid.ui.panels import OVERVIEW_FIGURES

DOC = Path(__file__).resolve().parents[2] / "docs" / "glossary.md"


def documented() -> dict[str, str]:
    rows = re.findall(r"^\| (.+?) \| (.+?) \|$", DOC.read_text(encoding="utf-8"), re.M)
    return {label: meaning for label, meaning in rows if label not in {"Label", "---"}}


def test_the_glossary_document_is_the_pages_glossary_word_for_word():
    assert documented() == GLOSSARY


def test_every_figure_a_page_shows_is_in_the_glossary():
    figures = OperationFigures(*([0] * 8), None, None, 0, 0)
    shown = [label for label, _value, _help in figure_labels(figures)]
    assert set(shown) | set(OVERVIEW_FIGURES) | set(BRIEFING_FIGURES) <= set(GLOSSARY)
    assert all(text == GLOSSARY[label] for label, _value, text in figure_labels(figures))

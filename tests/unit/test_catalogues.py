"""The catalogues of the six languages (issue 14): every marked message translated in every
language, with the English message's placeholders; no text translated at import time.

The messages are extracted from the code as ``pybabel extract`` does (scripts/i18n.py,
babel.cfg), so a message marked in the code and missing from a catalogue fails here.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

from mutualaid import i18n

ROOT = Path(__file__).resolve().parents[2]


def _tool():
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "scripts" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["i18n_tool"] = module
    spec.loader.exec_module(module)
    return module


TOOL = _tool()
TRANSLATED = [code for code in i18n.LANGUAGES if code != i18n.DEFAULT]


@pytest.fixture(scope="module")
def marked():
    return TOOL.extracted()


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_marked_message_is_translated(language):
    lacking = TOOL.lacking(language)
    assert lacking == [], f"{language} lacks {len(lacking)} translations, first: {lacking[:10]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_english_placeholders(language):
    assert TOOL.placeholder_problems(language) == []


def test_the_check_finds_a_changed_placeholder_and_a_missing_translation(tmp_path, marked):
    """The two checks above on a catalogue of two messages: one translated with its
    placeholder renamed, one left empty. Both are named; every other marked message is
    missing."""
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "broken.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "{count} units short"\nmsgstr "{nombre} unités manquantes"\n\n'
        'msgid "Ready: {name}"\nmsgstr "Prêt : {name}"\n',
        encoding="utf-8",
    )
    assert TOOL.placeholder_problems("fr", tmp_path) == [
        "fr: '{count} units short' -> ('{nombre} unités manquantes',)"
    ]
    assert len(TOOL.missing("fr", locale=tmp_path)) >= len(marked)


def test_a_counted_message_has_every_plural_form_of_the_language():
    assert TOOL.plural_count("ar") == 6 and TOOL.plural_count("de") == 2


def _module_level_calls(tree: ast.Module) -> list[int]:
    """Lines where a translation function is called outside any function or class body
    method (at import time)."""
    names = {"_", "gettext", "ngettext", "pgettext", "npgettext"}
    lines: list[int] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            if (
                not inside
                and isinstance(child, ast.Call)
                and (
                    (isinstance(child.func, ast.Name) and child.func.id in names)
                    or (isinstance(child.func, ast.Attribute) and child.func.attr in names)
                )
            ):
                lines.append(child.lineno)
            visit(child, inside)

    visit(tree, False)
    return lines


def test_nothing_is_translated_at_import_time():
    """A module-level ``_()`` would fix one language for every session: N_() marks it and
    the text is translated where it is shown."""
    found = []
    sources = [*sorted((ROOT / "src" / "mutualaid").rglob("*.py")), *(ROOT / "pages").glob("*.py")]
    for path in sources:
        if path.name == "i18n.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{path.relative_to(ROOT)}:{line}" for line in _module_level_calls(tree)]
    assert found == []


def test_the_checker_sees_a_module_level_translation():
    assert _module_level_calls(ast.parse("from x import _\nTITLE = _('Overview')\n")) == [2]
    assert _module_level_calls(ast.parse("def f():\n    return _('Overview')\n")) == []

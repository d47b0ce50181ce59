"""The catalogues of the six languages (issue 14): extract, list what is missing, write.

    python scripts/i18n.py extract                 # build/mutualaid.pot, pybabel's extraction
    python scripts/i18n.py missing LANG [PATH ...]  # JSON of the messages LANG lacks
    python scripts/i18n.py write LANG AREA FILE.json
    python scripts/i18n.py check                   # every language complete, placeholders equal

Messages are marked in the code with ``_``/``gettext``, ``ngettext``, ``pgettext``,
``npgettext``, ``N_`` and ``NP_`` (:mod:`mutualaid.i18n`). A language's catalogue is every
``.po`` file in ``src/mutualaid/locale/LANG/LC_MESSAGES/``, one per area of the product
(``layers.po``, ``pages.po``...).

``missing`` prints ``{"key": ""}`` for each message marked in PATH (default: everywhere)
that LANG has no translation for; the key is the message, ``context\\x04message`` for one
with a context, and a counted message's value is a list (one entry per plural form of
the language: Arabic has six). Fill the values in and give the file to ``write``, which
adds them to ``AREA.po`` (created with the language's header and plural rule).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from babel.messages import pofile
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from mutualaid import i18n

ROOT = Path(__file__).resolve().parents[1]
LOCALE = i18n.LOCALE_DIR
#: The languages with catalogues: all but English, whose messages are the code's.
LANGUAGES = tuple(code for code in i18n.LANGUAGES if code != i18n.DEFAULT)
#: What pybabel extracts from which files (the one map, also for ``pybabel extract -F``).
MAPPING = ROOT / "babel.cfg"
#: The marking functions of mutualaid.i18n and their arguments, as pybabel reads them:
#: NP_ marks a message with its context.
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "N_": None,
    "NP_": ((1, "c"), 2),
}
CONTEXT_SEPARATOR = "\x04"
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?:[!:][^{}]*)?\}")


def extracted(paths: list[Path] | None = None) -> dict[tuple[str | None, str], Message]:
    """Every message marked in the code (or under *paths*), by (context, message)."""
    found: dict[tuple[str | None, str], Message] = {}
    with MAPPING.open(encoding="utf-8") as handle:
        method_map, _options = parse_mapping_cfg(handle)
    wanted = [path.resolve() for path in paths] if paths else None
    for filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        if wanted is not None:
            full = (ROOT / filename).resolve()
            if not any(full == path or path in full.parents for path in wanted):
                continue
        msgid = message if isinstance(message, str) else tuple(message)
        key = (context, msgid if isinstance(msgid, str) else msgid[0])
        found.setdefault(key, Message(msgid, context=context))
    return found


def catalogue(language: str, locale: Path = LOCALE) -> dict[tuple[str | None, str], Message]:
    """Every translated message of *language*, over its ``.po`` files (first file wins)."""
    messages: dict[tuple[str | None, str], Message] = {}
    for path in i18n.catalogue_files(language, locale):
        with path.open("rb") as handle:
            catalog = pofile.read_po(handle, locale=language)
        for message in catalog:
            if not message.id:
                continue
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            messages.setdefault((message.context, msgid), message)
    return messages


def key_of(context: str | None, msgid: str) -> str:
    return msgid if context is None else f"{context}{CONTEXT_SEPARATOR}{msgid}"


def po_quote(text: str) -> str:
    """*text* as a ``.po`` string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def plural_count(language: str) -> int:
    return Catalog(locale=language).num_plurals


def missing(
    language: str, paths: list[Path] | None = None, locale: Path = LOCALE
) -> dict[str, str | list[str]]:
    """The messages of *paths* that *language* lacks, as a template to fill."""
    have = catalogue(language, locale)
    template: dict[str, str | list[str]] = {}
    for (context, msgid), message in sorted(
        extracted(paths).items(), key=lambda item: (item[0][0] or "", item[0][1])
    ):
        known = have.get((context, msgid))
        if known is not None and _complete(known):
            continue
        if isinstance(message.id, tuple):
            template[key_of(context, msgid)] = [""] * plural_count(language)
            template[key_of(context, msgid) + CONTEXT_SEPARATOR + "plural"] = message.id[1]
        else:
            template[key_of(context, msgid)] = ""
    return template


def placeholders(text: str) -> set[str]:
    """The named placeholders of a message (``{count}``, ``{name}``), ``{{`` excepted."""
    return set(PLACEHOLDER.findall(text.replace("{{", "").replace("}}", "")))


def placeholder_problems(language: str, locale: Path = LOCALE) -> list[str]:
    """Each translation of *language* whose placeholders differ from the English message's.

    A counted message's forms may each leave a placeholder out (Arabic's "one" and "two"
    forms say the number in words) but may add none, and together they use them all.
    """
    problems = []
    for (context, msgid), message in sorted(
        catalogue(language, locale).items(), key=lambda item: (item[0][0] or "", item[0][1])
    ):
        english = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set().union(*(placeholders(text) for text in english))
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        found = [placeholders(form) for form in forms if form]
        if not found:
            continue
        if isinstance(message.id, tuple):
            wrong = any(not got <= wanted for got in found) or set().union(*found) != wanted
        else:
            wrong = found[0] != wanted
        if wrong:
            label = key_of(context, msgid).replace(CONTEXT_SEPARATOR, " | ")
            problems.append(f"{language}: {label!r} -> {forms!r}")
    return problems


def lacking(language: str, locale: Path = LOCALE) -> list[str]:
    """The keys of the messages marked in the code that *language* has no translation for."""
    return [
        key
        for key in missing(language, locale=locale)
        if not key.endswith(CONTEXT_SEPARATOR + "plural")
    ]


def _complete(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return bool(strings) and all(strings)


def write(language: str, area: str, translations: dict[str, str | list[str]]) -> Path:
    """Add *translations* (a filled ``missing`` template) to ``LANG/LC_MESSAGES/AREA.po``."""
    path = LOCALE / language / "LC_MESSAGES" / f"{area}.po"
    if path.exists():
        with path.open("rb") as handle:
            catalog = pofile.read_po(handle, locale=language)
    else:
        catalog = Catalog(
            locale=language,
            domain="mutualaid",
            project="Mutual Aid",
            version="1",
            copyright_holder="Mutual Aid",
            charset="utf-8",
        )
    marked = extracted()
    for key, value in translations.items():
        if key.endswith(CONTEXT_SEPARATOR + "plural") or value in ("", [], None):
            continue
        context, _sep, msgid = key.rpartition(CONTEXT_SEPARATOR)
        context_or_none = context or None
        source = marked.get((context_or_none, msgid))
        msgid_full = source.id if source is not None else msgid
        if isinstance(value, list):
            if not isinstance(msgid_full, tuple):
                plural = translations.get(key + CONTEXT_SEPARATOR + "plural")
                msgid_full = (msgid, str(plural or msgid))
            catalog[msgid_full] = Message(msgid_full, tuple(value), context=context_or_none)
        else:
            catalog.add(msgid_full, value, context=context_or_none)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        pofile.write_po(handle, catalog, width=100, sort_output=True, omit_header=False)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("extract")
    m = sub.add_parser("missing")
    m.add_argument("language", choices=LANGUAGES)
    m.add_argument("paths", nargs="*", type=Path)
    w = sub.add_parser("write")
    w.add_argument("language", choices=LANGUAGES)
    w.add_argument("area")
    w.add_argument("file", type=Path)
    sub.add_parser("check")
    args = parser.parse_args(argv)
    if args.command == "extract":
        # pybabel's extraction, with the same map and keywords as the checks: the template
        # holds exactly what `missing` and the tests look for.
        template = Catalog(project="Mutual Aid", domain=i18n.DOMAIN, charset="utf-8")
        for (context, _msgid), message in extracted().items():
            template.add(message.id, context=context)
        out = ROOT / "build" / "mutualaid.pot"
        out.parent.mkdir(exist_ok=True)
        with out.open("wb") as handle:
            pofile.write_po(handle, template, width=100, sort_output=True, omit_header=False)
        print(f"{len(template)} messages in {out}")
        return 0
    if args.command == "missing":
        json.dump(
            missing(args.language, args.paths or None), sys.stdout, ensure_ascii=False, indent=1
        )
        print()
        return 0
    if args.command == "write":
        data = json.loads(args.file.read_text(encoding="utf-8"))
        print(write(args.language, args.area, data))
        return 0
    problems = 0
    for language in LANGUAGES:
        absent = lacking(language)
        wrong = placeholder_problems(language)
        problems += len(absent) + len(wrong)
        print(f"{language}: {len(absent)} missing, {len(wrong)} with other placeholders")
        for line in wrong:
            print("  " + line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

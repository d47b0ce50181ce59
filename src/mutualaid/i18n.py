"""The six languages (contract, section 4): the language of this run, and its words.

Every text a person reads goes through this module: :func:`gettext` (``_``),
:func:`ngettext` for counts, :func:`pgettext` where one English word has two meanings,
with named placeholders filled *after* the translation (``_("{count} units
short").format(count=3)``), never by concatenating translated fragments. The catalogues
are gettext ``.po`` files in ``src/mutualaid/locale/<lang>/LC_MESSAGES/`` (one per area of
the product, all in the one ``mutualaid`` domain), compiled in memory the first time a
language is used: nothing to build, nothing stale.

The language is not a setting of the process but of the run: each Streamlit session
(:mod:`mutualaid.ui.language`) and each command (:mod:`mutualaid.cli.main`) sets it with
:func:`activate`, in a :class:`contextvars.ContextVar`, so two people in two languages on
one server each read their own. Nothing is translated at import time: a module-level
text is marked with :func:`N_` (or :func:`NP_` with a context) and translated where it
is shown.

Besides the six, :data:`PSEUDO` (``qps``) is the pseudo-language of the tests: every
message comes out in English between ``⟦`` and ``⟧``, so that any text left without the
markers on a page is a string nobody marked.

Numbers, dates and durations follow the language's conventions (Babel, CLDR):
:func:`format_decimal`, :func:`format_percent`, :func:`format_datetime`. Digits stay
Latin in every language (Arabic included): ids, counts and times read alike on both
sides of a border.

This is a base module: it imports only the standard library and Babel.
"""

from __future__ import annotations

import contextvars
import functools
import gettext as _gettext
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Final, Literal

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages import mofile, pofile

#: The contract's six languages, in the order the picker lists them.
LANGUAGES: Final[tuple[str, ...]] = ("en", "fr", "de", "nl", "es", "ar")
#: The language when nothing else names one.
DEFAULT: Final = "en"
#: The pseudo-language of the tests: every message in English between the markers.
PSEUDO: Final = "qps"
PSEUDO_OPEN: Final = "⟦"
PSEUDO_CLOSE: Final = "⟧"
#: Languages written right to left.
RIGHT_TO_LEFT: Final[frozenset[str]] = frozenset({"ar"})
#: Each language's name in itself: what the picker shows, whatever the page's language.
NATIVE_NAMES: Final[dict[str, str]] = {
    "en": "English",
    "fr": "Français",
    "de": "Deutsch",
    "nl": "Nederlands",
    "es": "Español",
    "ar": "العربية",
    PSEUDO: "⟦Pseudo⟧",
}
#: The gettext domain, and where its catalogues are.
DOMAIN: Final = "mutualaid"
LOCALE_DIR: Final[Path] = Path(__file__).resolve().parent / "locale"

Direction = Literal["ltr", "rtl"]

_CURRENT: contextvars.ContextVar[str] = contextvars.ContextVar(
    "mutualaid_language", default=DEFAULT
)
_TAG = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*(?:\.[\w-]+)?(?:@\w+)?\s*$")


# --- Which language --------------------------------------------------------------------


def known(code: str | None) -> bool:
    """True when *code* is one of the six languages or the pseudo-language."""
    return code in LANGUAGES or code == PSEUDO


def from_tag(tag: str | None) -> str | None:
    """The language of a language tag or POSIX locale name, when it is one of the six.

    Parameters
    ----------
    tag : str or None
        ``fr``, ``fr-BE``, ``de_DE.UTF-8``, ``ar_EG@latin``... or the pseudo-language's
        code.

    Returns
    -------
    str or None
        ``fr``, ``de``... ; None for an empty tag, ``C``/``POSIX`` or another language.

    Examples
    --------
    >>> from_tag("nl_BE.UTF-8"), from_tag("pt-BR"), from_tag(None)
    ('nl', None, None)
    """
    if not tag:
        return None
    if tag.strip() == PSEUDO:
        return PSEUDO
    match = _TAG.match(tag)
    if match is None:
        return None
    code = match.group(1).lower()
    return code if code in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The first of the six languages a browser's ``Accept-Language`` header asks for.

    Ranges are taken by their quality (``q``), highest first, ties in the header's
    order; ``*`` and languages other than the six are passed over.

    Examples
    --------
    >>> from_accept_language("pt-BR,pt;q=0.9,de;q=0.8,en;q=0.7")
    'de'
    """
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        code = from_tag(tag) if tag.strip() != PSEUDO else None
        if code is not None and quality > 0:
            ranked.append((-quality, position, code))
    return min(ranked)[2] if ranked else None


def resolve(*candidates: str | None) -> str:
    """The first candidate that names a language (a tag or a code), else English.

    The order is the caller's: in the app ``?lang=``, the account's preference, the
    browser's language; on the command line ``--lang``, ``MUTUALAID_LANG``, ``LANG``.

    Examples
    --------
    >>> resolve(None, "pt", "de_AT.UTF-8", "fr")
    'de'
    """
    for candidate in candidates:
        code = from_tag(candidate)
        if code is not None:
            return code
    return DEFAULT


def current() -> str:
    """The language of this run (English until :func:`activate` names another)."""
    return _CURRENT.get()


def activate(code: str) -> contextvars.Token[str]:
    """Make *code* the language of this run (this thread's context); unknown codes mean
    English. Returns the token that :func:`contextvars.ContextVar.reset` takes."""
    return _CURRENT.set(code if known(code) else DEFAULT)


@contextmanager
def language(code: str) -> Iterator[str]:
    """Within the block, *code* is the language (then the one before it again)."""
    token = activate(code)
    try:
        yield current()
    finally:
        _CURRENT.reset(token)


def direction(code: str | None = None) -> Direction:
    """``rtl`` for a language written right to left (Arabic), else ``ltr``."""
    return "rtl" if (code or current()) in RIGHT_TO_LEFT else "ltr"


# --- The catalogues --------------------------------------------------------------------


class _Pseudo(_gettext.NullTranslations):
    """Every message in English between ``⟦`` and ``⟧``."""

    def gettext(self, message: str) -> str:
        return f"{PSEUDO_OPEN}{message}{PSEUDO_CLOSE}"

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.gettext(msgid1 if n == 1 else msgid2)

    def pgettext(self, context: str, message: str) -> str:
        return self.gettext(message)

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return self.ngettext(msgid1, msgid2, n)


def catalogue_files(code: str, root: Path = LOCALE_DIR) -> list[Path]:
    """The ``.po`` files of a language under *root*, in name order (the first holding a
    message wins)."""
    return sorted((root / code / "LC_MESSAGES").glob("*.po"))


def _compiled(path: Path) -> _gettext.GNUTranslations:
    with path.open("rb") as handle:
        catalog = pofile.read_po(handle, locale=path.parents[1].name, domain=DOMAIN)
    buffer = io.BytesIO()
    mofile.write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


@functools.lru_cache(maxsize=len(LANGUAGES) + 1)
def translations(code: str) -> _gettext.NullTranslations:
    """The compiled catalogues of a language (English: the messages themselves)."""
    if code == PSEUDO:
        return _Pseudo()
    if code not in LANGUAGES or code == DEFAULT:
        return _gettext.NullTranslations()
    first: _gettext.NullTranslations | None = None
    for path in catalogue_files(code):
        compiled = _compiled(path)
        if first is None:
            first = compiled
        else:
            first.add_fallback(compiled)
    return first if first is not None else _gettext.NullTranslations()


def gettext(message: str) -> str:
    """*message* in the language of this run."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a counted message for *n* in the language of this run (Arabic has
    six forms, French counts 0 as singular)."""
    return translations(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """*message* in its *context* (``pgettext("state", "open")``), translated."""
    return translations(current()).pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    """A counted message in its context, translated."""
    return translations(current()).npgettext(context, singular, plural, n)


#: The usual short name.
_ = gettext


def N_(message: str) -> str:
    """Mark *message* for the catalogues without translating it (a module-level text,
    translated with :func:`gettext` where it is shown)."""
    return message


def NP_(context: str, message: str) -> str:
    """Mark *message* in *context* for the catalogues without translating it (translated
    with :func:`pgettext` where it is shown)."""
    return message


# --- Numbers, dates -------------------------------------------------------------------


def babel_locale(code: str | None = None) -> Locale:
    """The CLDR locale of a language (the pseudo-language reads numbers as English)."""
    code = code or current()
    return Locale.parse(DEFAULT if code == PSEUDO or code not in LANGUAGES else code)


def format_decimal(value: float, *, digits: int = 0, group: bool = True) -> str:
    """*value* with *digits* decimals in the conventions of the language of this run:
    ``1 234,5`` in French, ``1.234,5`` in German, ``1,234.5`` in English.

    Examples
    --------
    >>> with language("de"):
    ...     format_decimal(1234.5, digits=1)
    '1.234,5'
    """
    pattern = ("#,##0" if group else "0") + (("." + "0" * digits) if digits > 0 else "")
    return babel_numbers.format_decimal(
        value, format=pattern, locale=babel_locale(), decimal_quantization=True
    )


def format_percent(fraction: float, *, digits: int = 0) -> str:
    """*fraction* (0.849) as a percentage with *digits* decimals, in the language's own
    pattern (its sign, and the space before it where the language writes one).

    Examples
    --------
    >>> with language("fr"):
    ...     format_percent(0.849, digits=1)
    '84,9\xa0%'
    """
    locale = babel_locale()
    pattern = babel_numbers.parse_pattern(locale.percent_formats[None].pattern)
    pattern.frac_prec = (digits, digits)
    return pattern.apply(fraction, locale)


def format_datetime(moment: datetime, *, zone: tzinfo | None = None, form: str = "medium") -> str:
    """A date and time for a person, in the language's conventions, in *zone* (UTC when
    the viewer's zone is unknown); the caller says which zone it is."""
    return babel_dates.format_datetime(moment, format=form, tzinfo=zone, locale=babel_locale())


def format_time(moment: datetime, *, zone: tzinfo | None = None, form: str = "short") -> str:
    """A time of day in the language's conventions, in *zone* (UTC when unknown)."""
    return babel_dates.format_time(moment, format=form, tzinfo=zone, locale=babel_locale())


def format_date(moment: datetime, *, form: str = "medium") -> str:
    """A date in the language's conventions."""
    return babel_dates.format_date(moment, format=form, locale=babel_locale())

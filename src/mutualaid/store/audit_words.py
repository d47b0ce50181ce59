"""The audit log in words (issue 13): each row as a sentence, its before/after as
``field: old → new``.

The Audit log page shows :func:`sentence` ("nora committed 1 of 4 units of offer 2
(NL-LI → DE-NW)") and :func:`changes` ("state: proposed → committed; version: 1 → 2")
for each row; the raw JSON stays for auditors, in the page's collapsed details and in
the exports (:mod:`mutualaid.store.audit_export`, unchanged). Nothing here reads the
database or touches the hash chain: it reads :class:`~mutualaid.store.audit.AuditEntry`
values.

Field names and values are turned into words by :func:`field_words` and
:func:`value_words`, small on purpose: the place to switch to the project's
display-name table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from mutualaid.display import display_text, units_text, words
from mutualaid.store.audit import ACTIONS, AuditEntry

#: Joins a row's changes in one cell.
CHANGE_SEPARATOR: Final[str] = "; "
#: Fields left out of the before/after text: hashes and times the sentence or the
#: details already hold, and lists the sentence sums up (``lines``).
QUIET_FIELDS: Final[frozenset[str]] = frozenset(
    {"sha256", "loaded_at", "loaded_by", "lines", "units", "layer_versions"}
)


def field_words(field: str) -> str:
    """A stored field name as words: ``display_name`` → ``display name``; a dotted path
    keeps its dots as ``›`` (``incidents › version``)."""
    return " › ".join(words(part) for part in field.split("."))


#: Fields whose values are the project's vocabulary (``on_scene``), said in words; other
#: text (names, ids, notes) is shown as it is.
WORD_FIELDS: Final[frozenset[str]] = frozenset({"state", "role", "mode", "sharing", "attempted"})


def value_words(value: Any, field: str = "") -> str:
    """A stored value as words: ``true`` → ``yes``, ``null`` → ``none``, a list of
    ids → ``1, 2``; a vocabulary value (:data:`WORD_FIELDS`) ``on_scene`` → ``on scene``."""
    if value is None:
        return "none"
    if isinstance(value, str):
        return words(value) if field.split(".")[-1] in WORD_FIELDS else value
    return display_text(value)


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """A JSON value as dotted paths of its leaves (lists are leaves)."""
    if isinstance(value, Mapping):
        found: dict[str, Any] = {}
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            found.update(_flat(inner, path))
        return found
    return {prefix: value} if prefix else {"value": value}


def _quiet(path: str) -> bool:
    return any(part in QUIET_FIELDS for part in path.split("."))


def changes(before: Any, after: Any) -> list[str]:
    """The fields a row changed, ``field: old → new``, in the after's order.

    A row with nothing before (a creation) lists what it set, ``field: value``; a row
    with nothing after lists what was removed, ``field: value → none``. Quiet fields
    (:data:`QUIET_FIELDS`) are left out.

    Examples
    --------
    >>> changes({"state": "proposed", "version": 1}, {"state": "committed", "version": 2,
    ...          "provider": "NL-LI"})
    ['state: proposed → committed', 'version: 1 → 2']
    >>> changes(None, {"role": "coordinator", "disabled": False})
    ['role: coordinator', 'disabled: no']
    """
    old = {} if before is None else _flat(before)
    new = {} if after is None else _flat(after)
    if before is None:
        return [
            f"{field_words(k)}: {value_words(v, k)}"
            for k, v in new.items()
            if not _quiet(k) and v not in ("", None)
        ]
    if after is None:
        return [
            f"{field_words(k)}: {value_words(v, k)} → none" for k, v in old.items() if not _quiet(k)
        ]
    shown = []
    for key in [*new, *(k for k in old if k not in new)]:
        if _quiet(key) or key not in old or old.get(key) == new.get(key):
            continue
        shown.append(
            f"{field_words(key)}: {value_words(old.get(key), key)} → "
            f"{value_words(new.get(key), key)}"
        )
    return shown


def changes_text(entry: AuditEntry) -> str:
    """:func:`changes` of a row in one cell (``""`` when it changed nothing shown)."""
    return CHANGE_SEPARATOR.join(changes(entry.before, entry.after))


# --- sentences --------------------------------------------------------------------------------


def _get(value: Any, key: str, default: Any = None) -> Any:
    return value.get(key, default) if isinstance(value, Mapping) else default


def _lines(value: Any) -> list[Mapping[str, Any]]:
    lines = _get(value, "lines", [])
    return [x for x in lines if isinstance(x, Mapping)] if isinstance(lines, list) else []


def _count(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _units(n: int) -> str:
    return f"{n} unit{'' if n == 1 else 's'}"


def _sides(after: Any) -> str:
    provider, requester = _get(after, "provider"), _get(after, "requester")
    return f" ({provider} → {requester})" if provider and requester else ""


def _held(after: Any) -> tuple[int, int]:
    """Units the offer's lines hold now, and units offered, in a row's after."""
    lines = _lines(after)
    return sum(_count(x.get("units")) for x in lines), sum(
        _count(x.get("offered", x.get("units"))) for x in lines
    )


def _needs(after: Any) -> str:
    totals: dict[str, int] = {}
    for line in _lines(after):
        kind = str(line.get("type", ""))
        totals[kind] = totals.get(kind, 0) + _count(line.get("units"))
    return ", ".join(units_text(k, n) for k, n in sorted(totals.items()))


def _offer_committed(e: AuditEntry) -> str:
    if not _lines(e.after):
        return f"{e.actor} committed {e.subject}{_sides(e.after)}"
    held, offered = _held(e.after)
    part = f"{held} of {_units(offered)}" if held != offered else _units(held)
    return f"{e.actor} committed {part} of {e.subject}{_sides(e.after)}"


def _offer_accepted(e: AuditEntry) -> str:
    if not _lines(e.after):
        return f"{e.actor} accepted {e.subject}{_sides(e.after)}: now deployed"
    held, _ = _held(e.after)
    return f"{e.actor} accepted {_units(held)} of {e.subject}{_sides(e.after)}: now deployed"


def _offer_move(verb: str, tail: str = "") -> Callable[[AuditEntry], str]:
    def said(e: AuditEntry) -> str:
        return f"{e.actor} {verb} {e.subject}{_sides(e.after)}{tail}"

    return said


def _offer_created(e: AuditEntry) -> str:
    held, _ = _held(e.after)
    provider, requester = _get(e.after, "provider"), _get(e.after, "requester")
    sides = f" of {provider} to {requester}" if provider and requester else ""
    request = _get(e.after, "request")
    answer = f", request {request}" if request is not None else ""
    return f"{e.actor} offered {_units(held)}{sides} ({e.subject}{answer})"


def _request_created(e: AuditEntry) -> str:
    needs = _needs(e.after)
    for_whom = _get(e.after, "jurisdiction")
    head = f"{e.actor} requested assistance" + (f" for {for_whom}" if for_whom else "")
    return f"{head} ({e.subject}" + (f": {needs})" if needs else ")")


def _plan_computed(e: AuditEntry) -> str:
    offers = _get(e.after, "offers", [])
    superseded = _get(e.after, "superseded_offers", [])
    summary = _get(e.after, "summary", {})
    n = len(offers) if isinstance(offers, list) else 0
    gone = len(superseded) if isinstance(superseded, list) else 0
    text = f"{e.actor} computed {e.subject}: {n} offer{'' if n == 1 else 's'} made"
    assigned, needed = _get(summary, "units_assigned"), _get(summary, "units_needed")
    if assigned is not None and needed is not None:
        text += f", {_count(assigned)} of {_units(_count(needed))} assigned"
    if gone:
        text += f", {gone} proposed offer{'' if gone == 1 else 's'} superseded"
    return text


def _account_created(e: AuditEntry) -> str:
    role, place = _get(e.after, "role"), _get(e.after, "jurisdiction")
    what = f" ({role}{' of ' + place if place else ''})" if role else ""
    return f"{e.actor} created {e.subject}{what}"


def _account_changed(e: AuditEntry) -> str:
    if _get(e.before, "disabled") is False and _get(e.after, "disabled") is True:
        return f"{e.actor} disabled {e.subject}"
    if _get(e.before, "disabled") is True and _get(e.after, "disabled") is False:
        return f"{e.actor} enabled {e.subject}"
    return f"{e.actor} changed {e.subject}"


def _access_denied(e: AuditEntry) -> str:
    reason = _get(e.after, "reason")
    tried = _get(e.after, "attempted")
    what = f" to {value_words(tried, 'attempted')}" if tried else ""
    return f"{e.actor} was refused{what} on {e.subject}" + (f": {reason}" if reason else "")


def _stored(verb: str) -> Callable[[AuditEntry], str]:
    def said(e: AuditEntry) -> str:
        return f"{e.actor} {verb} {e.subject}"

    return said


#: One sentence maker per action; any other action is said by :func:`sentence`'s
#: fallback (the actor, the action's description, the subject).
SENTENCES: Final[dict[str, Callable[[AuditEntry], str]]] = {
    "offer.committed": _offer_committed,
    "offer.accepted": _offer_accepted,
    "offer.declined": _offer_move("declined"),
    "offer.refused": _offer_move("refused", ": the units go back to their provider"),
    "offer.withdrawn": _offer_move("withdrew", ": the units are free again"),
    "offer.arrived": _offer_move("marked", " on scene"),
    "offer.released": _offer_move("released", ": the units are available again"),
    "offer.created": _offer_created,
    "request.created": _request_created,
    "request.closed": _stored("closed"),
    "request.cancelled": _stored("cancelled"),
    "plan.computed": _plan_computed,
    "account.created": _account_created,
    "account.changed": _account_changed,
    "access.denied": _access_denied,
    "scenario.loaded": _stored("stored"),
    "layer.loaded": _stored("stored a new version of"),
    "agreement.changed": _stored("changed the agreements of"),
    "sharing.changed": _stored("changed who may see"),
    "feature.edited": _stored("changed"),
}


def sentence(entry: AuditEntry) -> str:
    """A row as one sentence.

    Examples
    --------
    >>> e = AuditEntry(8, "2026-07-14T20:31:00+00:00", "nora", "offer.committed", "offer 2",
    ...     {"state": "proposed"}, {"provider": "NL-LI", "requester": "DE-NW",
    ...     "lines": [{"units": 1, "offered": 3}, {"units": 1, "offered": 1}]}, "", "")
    >>> sentence(e)
    'nora committed 2 of 4 units of offer 2 (NL-LI → DE-NW)'
    >>> sentence(AuditEntry(9, "", "bob", "account.sign_in_failed", "account bob", None,
    ...     None, "", ""))
    'bob: a sign-in failed (unknown username, wrong password or disabled account) — account bob'
    """
    maker = SENTENCES.get(entry.action)
    if maker is not None:
        try:
            return maker(entry)
        except (TypeError, ValueError, AttributeError):
            pass  # a row not shaped as its action writes it: said plainly below
    about = ACTIONS.get(entry.action, words(entry.action))
    return f"{entry.actor}: {about} — {entry.subject}"

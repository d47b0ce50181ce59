"""Who may see which feature (issue 6): sharing levels per layer and per feature.

Levels, from most to least open:

``public``
    Everyone signed in (and, defensively, a session with no sign-in at all).
``partners``
    The owner and its partners: the jurisdictions with an agreement row with the owner,
    in either direction (a row naming a country code or ``*`` counts for every
    jurisdiction it matches, exactly as the allocation matches rows).
``owner``
    The owning jurisdiction only.

A feature's owner is its ``jurisdiction`` (an incident: where it lies; a resource: the
jurisdiction that owns it); its level is its own ``sharing`` value, else the level of
the layer version it belongs to. A feature with no owner is visible only when public.
An admin sees everything (admins manage agreements and accounts across jurisdictions);
nobody signed in (``viewer=None``) sees public features only.

Jurisdictions and agreements are always visible to everyone signed in: they are the
shared frame of reference of mutual aid (where each jurisdiction is, who may help whom);
every participant needs them to read the map and to know its own partners, and they
describe no operational detail. Travel-time rows of a hidden resource or incident are
dropped with it, so no table or export names a hidden feature.

No Streamlit here: pages filter with :func:`visible_scenario` before anything is drawn,
planned, cached or exported.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd

from mutualaid.access.actor import Actor
from mutualaid.scenario.loading import Scenario

PUBLIC: Final[str] = "public"
PARTNERS: Final[str] = "partners"
OWNER: Final[str] = "owner"
#: The levels, most open first.
LEVELS: Final[tuple[str, ...]] = (PUBLIC, PARTNERS, OWNER)
#: Layer kinds whose features carry a level (the others are visible to everyone).
SHARED_KINDS: Final[tuple[str, ...]] = ("incidents", "resources")
#: Words for people, per level (the Layers page's "Share with" choice).
LEVEL_LABELS: Final[dict[str, str]] = {
    PUBLIC: "everyone",
    PARTNERS: "partner jurisdictions",
    OWNER: "own jurisdiction only",
}


def check_level(level: str) -> str:
    """*level* when it is one of :data:`LEVELS`, else ValueError naming the choices."""
    if level not in LEVELS:
        raise ValueError(f"sharing must be one of {', '.join(LEVELS)}, got {level!r}")
    return level


def _side(value: object, ids: np.ndarray, countries: np.ndarray) -> np.ndarray:
    # The allocation's own matching (contract, section 2): a jurisdiction id, a country
    # code (any case) or "*".
    from mutualaid.allocation.travel import BorderRules

    return BorderRules._side_matches(str(value).strip(), ids, countries)


def partners(
    jurisdiction: str, *, agreements: pd.DataFrame | None, jurisdictions: pd.DataFrame
) -> frozenset[str]:
    """The jurisdictions with an agreement row with *jurisdiction*, in either direction.

    Parameters
    ----------
    jurisdiction : str
        A jurisdiction id.
    agreements : pandas.DataFrame or None
        Canonical agreement rows (``from``, ``to``); a side may be a jurisdiction id,
        a country code or ``*``.
    jurisdictions : pandas.DataFrame
        Canonical jurisdictions (``id``, ``country``).

    Returns
    -------
    frozenset of str
        Never contains *jurisdiction* itself.

    Examples
    --------
    >>> import pandas as pd
    >>> jur = pd.DataFrame({"id": ["DE-NW", "NL-LI", "BE-WLG"], "country": ["DE", "NL", "BE"]})
    >>> rows = pd.DataFrame({"from": ["DE"], "to": ["NL-LI"]})
    >>> sorted(partners("NL-LI", agreements=rows, jurisdictions=jur))
    ['DE-NW']
    """
    ids = np.asarray([str(j) for j in jurisdictions["id"]], dtype=object)
    countries = np.asarray([str(c).upper() for c in jurisdictions["country"]], dtype=object)
    if agreements is None or len(agreements) == 0 or len(ids) == 0:
        return frozenset()
    me = ids == str(jurisdiction)
    if not me.any():
        return frozenset()
    found = np.zeros(len(ids), dtype=bool)
    for frm, to in zip(agreements["from"], agreements["to"]):
        giver, taker = _side(frm, ids, countries), _side(to, ids, countries)
        if (giver & me).any():
            found |= taker
        if (taker & me).any():
            found |= giver
    found &= ~me
    return frozenset(ids[found].tolist())


def viewer_key(viewer: Actor | None) -> str:
    """Text naming who is asking, for cache keys: ``username|role|jurisdiction``."""
    if viewer is None:
        return "nobody"
    return f"{viewer.username}|{viewer.role}|{viewer.jurisdiction or ''}"


def view_key(viewer: Actor | None) -> str:
    """Text naming what *viewer* may see, for caches of what is built from that view
    (maps, plans, tables): ``role|jurisdiction``, or ``nobody``.

    :func:`visible`, :func:`visible_scenario` and :func:`layer_visible` read only the
    viewer's role and jurisdiction, never the username, so two people with the same
    role and jurisdiction see the same thing and may share what is built from it;
    people with a different role or jurisdiction never do. (:func:`viewer_key` names
    the person, for what differs per person.)

    Examples
    --------
    >>> nina, nils = Actor("nina", "coordinator", "NL-LI"), Actor("nils", "coordinator", "NL-LI")
    >>> view_key(nina) == view_key(nils)
    True
    >>> view_key(Actor("nina", "coordinator", "NL-LI"))
    'coordinator|NL-LI'
    """
    if viewer is None:
        return "nobody"
    return f"{viewer.role}|{viewer.jurisdiction or ''}"


def sees_everything(viewer: Actor | None) -> bool:
    """True for an admin (agreements and accounts span every jurisdiction)."""
    return viewer is not None and viewer.role == "admin"


def feature_levels(frame: pd.DataFrame, layer_sharing: str) -> np.ndarray:
    """Each feature's level: its own ``sharing`` value, else *layer_sharing*. An
    unknown value counts as ``owner`` (the safe side)."""
    n = len(frame)
    if "sharing" in frame.columns:
        own = [
            v.strip().lower() if isinstance(v, str) and v.strip() else None
            for v in frame["sharing"].tolist()
        ]
    else:
        own = [None] * n
    levels = [layer_sharing if v is None else v for v in own]
    return np.asarray([v if v in LEVELS else OWNER for v in levels], dtype=object)


def visible(
    frame: pd.DataFrame,
    *,
    viewer: Actor | None,
    layer_sharing: str,
    agreements: pd.DataFrame | None,
    jurisdictions: pd.DataFrame,
) -> np.ndarray:
    """Which rows of an incidents or resources *frame* the *viewer* may see.

    Parameters
    ----------
    frame : pandas.DataFrame
        Canonical incidents or resources (``jurisdiction``; ``sharing`` optional).
    viewer : Actor or None
        Who is asking; None: nobody signed in (public features only).
    layer_sharing : str
        The level of the layer version the rows belong to.
    agreements, jurisdictions : pandas.DataFrame
        Of the same scenario (who the owners' partners are).

    Returns
    -------
    numpy.ndarray of bool
        One per row.
    """
    n = len(frame)
    if sees_everything(viewer):
        return np.ones(n, dtype=bool)
    levels = feature_levels(frame, layer_sharing)
    public = levels == PUBLIC
    if viewer is None or not viewer.jurisdiction or n == 0:
        return public
    mine = viewer.jurisdiction
    friends = partners(mine, agreements=agreements, jurisdictions=jurisdictions)
    owners = [o if isinstance(o, str) and o else None for o in frame["jurisdiction"].tolist()]
    own = np.asarray([o == mine for o in owners], dtype=bool)
    partner = np.asarray([o is not None and o in friends for o in owners], dtype=bool)
    return public | own | ((levels == PARTNERS) & partner)


def layer_visible(
    level: str,
    owner: str | None,
    *,
    viewer: Actor | None,
    agreements: pd.DataFrame | None,
    jurisdictions: pd.DataFrame,
) -> bool:
    """Whether *viewer* may know of a layer version stored at *level* by *owner* (its
    source file, feature count and who stored it, as the layer log shows them).

    Parameters
    ----------
    level : str
        The version's sharing level (an unknown one counts as ``owner``).
    owner : str or None
        The jurisdiction that stored it (None: nobody's; only an admin sees it when
        it is not public).
    viewer : Actor or None
    agreements, jurisdictions : pandas.DataFrame
        Of the same scenario (who the owner's partners are).

    Examples
    --------
    >>> import pandas as pd
    >>> from mutualaid.access.actor import Actor
    >>> jur = pd.DataFrame({"id": ["DE-NW", "NL-LI"], "country": ["DE", "NL"]})
    >>> rows = pd.DataFrame({"from": ["DE-NW"], "to": ["NL-LI"]})
    >>> nora = Actor("nora", "planner", "NL-LI")
    >>> layer_visible("partners", "DE-NW", viewer=nora, agreements=rows, jurisdictions=jur)
    True
    >>> layer_visible("owner", "DE-NW", viewer=nora, agreements=rows, jurisdictions=jur)
    False
    """
    if sees_everything(viewer) or level == PUBLIC:
        return True
    if viewer is None or not viewer.jurisdiction or owner is None:
        return False
    if owner == viewer.jurisdiction:
        return True
    return level == PARTNERS and owner in partners(
        viewer.jurisdiction, agreements=agreements, jurisdictions=jurisdictions
    )


def visible_scenario(
    scenario: Scenario, *, viewer: Actor | None, layer_levels: Mapping[str, str]
) -> Scenario:
    """*scenario* with only what *viewer* may see.

    Parameters
    ----------
    scenario : Scenario
        Canonical, complete.
    viewer : Actor or None
        Who is asking (None: nobody signed in).
    layer_levels : mapping of str to str
        The level of each layer kind's current version (a kind not listed: public).

    Returns
    -------
    Scenario
        Hidden incidents and resources removed (index reset), and the travel-time
        rows naming them; jurisdictions and agreements unchanged. *scenario* itself
        when nothing is hidden.
    """
    if sees_everything(viewer):
        return scenario
    changes: dict[str, pd.DataFrame] = {}
    for kind in SHARED_KINDS:
        frame = getattr(scenario, kind)
        mask = visible(
            frame,
            viewer=viewer,
            layer_sharing=layer_levels.get(kind, PUBLIC),
            agreements=scenario.agreements,
            jurisdictions=scenario.jurisdictions,
        )
        if not mask.all():
            changes[kind] = frame[mask].reset_index(drop=True)
    if not changes:
        return scenario
    travel = scenario.travel_times
    if travel is not None and len(travel):
        incidents = set(changes.get("incidents", scenario.incidents)["id"].astype(str))
        resources = set(changes.get("resources", scenario.resources)["id"].astype(str))
        keep = travel["resource_id"].astype(str).isin(resources) & travel["incident_id"].astype(
            str
        ).isin(incidents)
        if not keep.all():
            changes["travel_times"] = travel[keep.to_numpy()].reset_index(drop=True)
    return dataclasses.replace(scenario, **changes)


__all__ = [
    "LEVELS",
    "LEVEL_LABELS",
    "OWNER",
    "PARTNERS",
    "PUBLIC",
    "SHARED_KINDS",
    "check_level",
    "feature_levels",
    "layer_visible",
    "partners",
    "sees_everything",
    "view_key",
    "viewer_key",
    "visible",
    "visible_scenario",
]


# --- rights to change layers (issue 6) ------------------------------------------------------

#: Layers only an admin changes: everyone's frame of reference.
ADMIN_KINDS: Final[tuple[str, ...]] = ("jurisdictions", "agreements")
#: How many offending feature ids a refusal names per group.
NAMED_IDS: Final[int] = 5

#: A feature (or travel-time row) as the rights check sees it: the jurisdictions it
#: belongs to, and a token that changes whenever its content does.
Row = tuple[tuple[str | None, ...], str]

_KIND_WORDS: Final[dict[str, str]] = {"travel_times": "travel times"}


def kind_words(kind: str) -> str:
    """``travel_times`` -> ``travel times``; other kinds as they are."""
    return _KIND_WORDS.get(kind, kind)


def role_refusal(actor: Actor, kind: str) -> str | None:
    """Why *actor* may not store a *kind* layer at all, None when it may try.

    An admin stores anything; a viewer nothing; jurisdictions and agreements are an
    admin's; a planner or coordinator must be bound to a jurisdiction (its features are
    then checked with :func:`change_refusal`).
    """
    if actor.role == "admin":
        return None
    words = kind_words(kind)
    if not actor.at_least("planner"):
        return (
            f"{actor.label} cannot change the {words}: a {actor.role} sees layers but "
            "does not change them"
        )
    if kind in ADMIN_KINDS:
        return (
            f"{actor.label} cannot change the {words}: only an admin changes the "
            f"{words} every jurisdiction shares"
        )
    if not actor.jurisdiction:
        return (
            f"{actor.label} cannot change the {words}: the account is bound to no "
            "jurisdiction; ask an admin"
        )
    return None


def _ids_text(ids: list[str]) -> str:
    shown = ", ".join(ids[:NAMED_IDS])
    return shown if len(ids) <= NAMED_IDS else f"{shown} and {len(ids) - NAMED_IDS} more"


#: How a refusal names the owner of a feature the actor may not see.
HIDDEN_OWNER: Final[str] = "another jurisdiction"


def change_refusal(
    actor: Actor,
    kind: str,
    *,
    old: dict[str, Row],
    new: dict[str, Row],
    hidden: frozenset[str] | set[str] = frozenset(),
) -> str | None:
    """Why *actor* may not turn the layer *old* into *new*, None when it may.

    A planner or coordinator adds, changes and removes only features of its own
    jurisdiction (a travel-time row: its resource's owner and its incident's
    jurisdiction must both be its own). Call :func:`role_refusal` first.

    Parameters
    ----------
    actor : Actor
    kind : str
    old, new : dict of str to Row
        Feature id (a travel-time row: ``resource→incident``) -> (its jurisdictions,
        a content token), before and after the change.
    hidden : set of str
        The ids of *old* the actor may not see: a refusal names their owner only as
        "another jurisdiction" (an upload cannot learn who holds a hidden id).

    Returns
    -------
    str or None
        ``"pia (DE-NW planner) cannot add incidents I-7, I-9 of NL-LI: a planner adds
        layers for its own jurisdiction"``.
    """
    if actor.role == "admin":
        return None
    mine = actor.jurisdiction

    def foreign(owners: tuple[str | None, ...], key: str | None = None) -> str | None:
        others = [o or "no jurisdiction" for o in owners if o != mine or o is None]
        if others and key in hidden:
            return HIDDEN_OWNER
        return "/".join(dict.fromkeys(others)) if others else None

    groups: dict[tuple[str, str], list[str]] = {}
    for key, (owners, token) in new.items():
        before = old.get(key)
        if before is None:
            verb, where = "add", foreign(owners)
        elif before[1] != token:
            verb, where = "change", foreign(before[0], key) or foreign(owners)
        else:
            continue
        if where:
            groups.setdefault((verb, where), []).append(key)
    for key, (owners, _) in old.items():
        if key not in new and (where := foreign(owners, key)):
            groups.setdefault(("remove", where), []).append(key)
    if not groups:
        return None
    words = kind_words(kind)
    parts = [f"{verb} {words} {_ids_text(ids)} of {where}" for (verb, where), ids in groups.items()]
    return (
        f"{actor.label} cannot {'; '.join(parts)}: a {actor.role} adds layers for its "
        "own jurisdiction"
    )


def sharing_refusal(actor: Actor, kind: str, *, layer_owner: str | None) -> str | None:
    """Why *actor* may not change the sharing level of a *kind* layer stored by
    *layer_owner*'s jurisdiction, None when it may (an admin: any layer; a planner or
    coordinator: a layer its own jurisdiction stored)."""
    if actor.role == "admin":
        return None
    words = kind_words(kind)
    if not actor.at_least("planner"):
        return (
            f"{actor.label} cannot change who sees the {words}: a {actor.role} sees "
            "layers but does not share them"
        )
    if not actor.jurisdiction or layer_owner != actor.jurisdiction:
        owner = layer_owner or "no jurisdiction (the shared files)"
        return (
            f"{actor.label} cannot change who sees the {words}: the current {words} "
            f"layer was stored by {owner}; only its owner or an admin changes its sharing"
        )
    return None


def keep_levels(frame: pd.DataFrame, keep: np.ndarray, level: str) -> pd.DataFrame:
    """*frame* with *level* written as the own ``sharing`` of the rows *keep* marks
    that have none: when a layer's level changes, those rows keep the level they had.
    *frame* itself when nothing changes."""
    if "sharing" in frame.columns:
        own = frame["sharing"].tolist()
    else:
        own = [None] * len(frame)
    empty = np.asarray([not (isinstance(v, str) and v.strip()) for v in own], dtype=bool)
    stamp = np.asarray(keep, dtype=bool) & empty
    if not stamp.any():
        return frame
    out = frame.copy()
    out["sharing"] = pd.Series(
        [
            level if s else (v if isinstance(v, str) and v.strip() else None)
            for s, v in zip(stamp, own)
        ],
        index=out.index,
        dtype=object,
    )
    return out


__all__ += [
    "ADMIN_KINDS",
    "change_refusal",
    "keep_levels",
    "kind_words",
    "role_refusal",
    "sharing_refusal",
]

"""Which scenario folders the app offers, and a fingerprint of each one's files.

No Streamlit here: plain functions the loaders and the tests share.

The folders come from ``MUTUALAID_SCENARIO_DIRS`` when it is set (folders separated
by ``os.pathsep``, ``:`` on Linux), else from the project's ``data/`` folder. Each entry
is either a scenario folder itself (it holds ``jurisdictions.geojson``) or a folder
whose sub-folders are scenarios.

Which scenario a page opens on (issue 13): :func:`choose_scenario` (the address's
``?scenario=``, else the one chosen earlier in the session, else
:func:`default_scenario`, the first holding the person's jurisdiction).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mutualaid.scenario.loading import SCENARIO_FILES, scenario_fingerprint

__all__ = [
    "ScenarioChoice",
    "choose_scenario",
    "default_scenario",
    "find_scenarios",
    "scenario_fingerprint",
    "scenario_roots",
]
from mutualaid.settings import scenario_dirs

_MARKER = SCENARIO_FILES["jurisdictions"]


def scenario_roots(*, default: Path, environ: Mapping[str, str] | None = None) -> list[Path]:
    """The folders to look for scenarios in.

    Parameters
    ----------
    default : pathlib.Path
        Used when ``MUTUALAID_SCENARIO_DIRS`` is unset or blank (the project's ``data/``).
    environ : mapping, optional
        The environment; ``os.environ`` when None (read by
        :func:`mutualaid.settings.scenario_dirs`).
    """
    folders = scenario_dirs(environ=environ)
    return [default] if folders is None else folders


def find_scenarios(roots: Sequence[Path]) -> list[Path]:
    """Scenario folders (those holding ``jurisdictions.geojson``) in or under the roots.

    A root that is itself a scenario is listed as it is; otherwise its direct
    sub-folders that are scenarios are listed, sorted by name. Missing roots are
    skipped; a folder reached twice is listed once.
    """
    found: list[Path] = []
    for root in roots:
        if (root / _MARKER).is_file():
            candidates = [root]
        elif root.is_dir():
            candidates = sorted(
                (p for p in root.iterdir() if (p / _MARKER).is_file()), key=lambda p: p.name
            )
        else:
            candidates = []
        for folder in candidates:
            if folder.resolve() not in {f.resolve() for f in found}:
                found.append(folder)
    return found


# --- which scenario a person sees (issue 13) ---------------------------------------------


@dataclass(frozen=True)
class ScenarioChoice:
    """The scenario a page opens on, and the name asked for that is not offered.

    Attributes
    ----------
    name : str or None
        The scenario to show; None only when no scenario is offered.
    unknown : str or None
        The name the address asked for (``?scenario=``) when no offered scenario has
        it: the page says so, then shows :attr:`name` instead.
    """

    name: str | None
    unknown: str | None = None


def default_scenario(
    names: Sequence[str],
    *,
    jurisdiction: str | None,
    holding: Mapping[str, Collection[str]],
) -> str | None:
    """The scenario a person starts on: the first of *names* whose jurisdictions
    (*holding*: scenario name -> jurisdiction ids) hold the person's *jurisdiction*,
    else the first of *names*; None when *names* is empty.

    Examples
    --------
    >>> holding = {"lake-chad": {"NG-BO", "TD-LC"}, "rhine-flood-2021": {"DE-NW", "NL-LI"}}
    >>> default_scenario(["lake-chad", "rhine-flood-2021"], jurisdiction="DE-NW", holding=holding)
    'rhine-flood-2021'
    >>> default_scenario(["lake-chad", "rhine-flood-2021"], jurisdiction=None, holding=holding)
    'lake-chad'
    """
    if jurisdiction:
        for name in names:
            if jurisdiction in holding.get(name, ()):
                return name
    return names[0] if names else None


def choose_scenario(
    names: Sequence[str],
    *,
    asked: str | None,
    chosen: str | None,
    jurisdiction: str | None,
    holding: Mapping[str, Collection[str]],
) -> ScenarioChoice:
    """The scenario a page shows, of the offered *names*.

    The one the address names (*asked*, ``?scenario=``) when offered; else the one the
    person chose earlier in the session (*chosen*, on any page) when offered; else
    :func:`default_scenario` for the person's *jurisdiction*. An *asked* name that is
    not offered is returned as :attr:`ScenarioChoice.unknown`.

    Examples
    --------
    >>> names = ["lake-chad", "rhine-flood-2021"]
    >>> choose_scenario(names, asked="atlantis", chosen=None, jurisdiction=None, holding={})
    ScenarioChoice(name='lake-chad', unknown='atlantis')
    """
    unknown = asked if asked and asked not in names else None
    if asked and unknown is None:
        return ScenarioChoice(asked)
    if chosen in names:
        return ScenarioChoice(chosen, unknown)
    return ScenarioChoice(
        default_scenario(names, jurisdiction=jurisdiction, holding=holding), unknown
    )

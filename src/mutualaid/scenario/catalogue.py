"""Which scenario folders the app offers, and a fingerprint of each one's files.

No Streamlit here: plain functions the loaders and the tests share.

The folders come from ``MUTUALAID_SCENARIO_DIRS`` when it is set (folders separated
by ``os.pathsep``, ``:`` on Linux), else from the project's ``data/`` folder. Each entry
is either a scenario folder itself (it holds ``jurisdictions.geojson``) or a folder
whose sub-folders are scenarios.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from mutualaid.scenario.loading import SCENARIO_FILES, scenario_fingerprint

__all__ = ["find_scenarios", "scenario_fingerprint", "scenario_roots"]
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

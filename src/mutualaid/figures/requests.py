"""What a coordinator may request, grouped by incident (issue 13: the request form).

The Workflow page's request form shows one choice per active incident of the
coordinator's jurisdiction, named ("I-4 · Erftstadt-Blessem (flood, severity 5)"), with
its needs in words ("5 boats", "1 pump"), instead of one chip per need id. Pure pandas.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import pandas as pd

from mutualaid.display import display_text, units_text, words


@dataclass(frozen=True)
class IncidentNeeds:
    """An active incident's needs that may still be requested.

    ``needs`` holds ``(type, units)`` pairs sorted by type.
    """

    incident_id: str
    name: str
    hazard: str
    severity: int | None
    needs: tuple[tuple[str, int], ...]

    @property
    def label(self) -> str:
        """``I-4 · Erftstadt-Blessem (flood, severity 5)``; the id alone when the
        incident has no name of its own."""
        about = ", ".join(
            p
            for p in (
                words(self.hazard) if self.hazard else "",
                f"severity {self.severity}" if self.severity is not None else "",
            )
            if p
        )
        named = self.name and self.name != self.incident_id
        head = f"{self.incident_id} · {self.name}" if named else self.incident_id
        return f"{head} ({about})" if about else head

    def choices(self) -> dict[str, tuple[str, str, int]]:
        """Each need in words (``5 boats``) → the request line ``(incident, type,
        units)``."""
        return {units_text(t, n): (self.incident_id, t, n) for t, n in self.needs}


def _severity(value: object) -> int | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if pd.isna(number) else int(number)


def requestable_needs(
    incidents: pd.DataFrame,
    jurisdiction: str,
    *,
    requested: Collection[tuple[str, str]] = (),
) -> list[IncidentNeeds]:
    """The needs of *jurisdiction*'s active incidents not already requested, by incident.

    Parameters
    ----------
    incidents : pandas.DataFrame
        A scenario's incidents (``id``, ``status``, ``jurisdiction``, ``needs``; ``name``,
        ``hazard``, ``severity`` when present).
    jurisdiction : str
    requested : collection of (incident id, type)
        Needs already in an open request.

    Returns
    -------
    list of IncidentNeeds
        Most severe first, then by id; incidents with nothing left to request are left
        out.
    """
    taken = set(requested)
    found = []
    for row in incidents.to_dict("records"):
        if str(row.get("status", "")).strip().lower() != "active":
            continue
        if str(row.get("jurisdiction") or "") != jurisdiction:
            continue
        incident_id = str(row["id"])
        needs = tuple(
            (str(t), int(n))
            for t, n in sorted((row.get("needs") or {}).items())
            if int(n) > 0 and (incident_id, str(t)) not in taken
        )
        if needs:
            found.append(
                IncidentNeeds(
                    incident_id,
                    display_text(row.get("name")),
                    display_text(row.get("hazard")),
                    _severity(row.get("severity")),
                    needs,
                )
            )
    return sorted(found, key=lambda x: (-(x.severity or 0), x.incident_id))

"""Problems found in a layer, and the report that collects all of them.

A problem names the feature (its position in the file, counted from 1, and its id
when it has one), the field, and what is wrong in words a coordinator understands.
An ``error`` rejects the file; a ``warning`` is shown but the file is accepted
(for example a self-intersecting polygon that was repaired).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a layer.

    Parameters
    ----------
    message : str
        What is wrong and, where it helps, how to fix it.
    severity : {"error", "warning"}
        ``error`` rejects the file, ``warning`` does not.
    feature : int or None
        Position of the feature in the file, counted from 1 (a CSV's data row
        counts as a feature); None for a problem with the whole file.
    feature_id : str or None
        The feature's ``id`` as written in the file, when it has one.
    field : str or None
        The canonical field concerned (``severity``, ``geometry``...), or None.
    """

    message: str
    severity: Severity = "error"
    feature: int | None = None
    feature_id: str | None = None
    field: str | None = None

    def describe(self) -> str:
        """One line for a person: where, then what.

        Examples
        --------
        >>> Problem("severity must be a whole number from 1 to 5, got 'extreme'",
        ...         feature=12, feature_id="I-0042", field="severity").describe()
        "error: feature 12 (id I-0042): severity must be a whole number from 1 to 5, got 'extreme'"
        """
        where = ""
        if self.feature is not None:
            where = f"feature {self.feature}"
            if self.feature_id not in (None, ""):
                where += f" (id {self.feature_id})"
            where += ": "
        elif self.feature_id not in (None, ""):
            where = f"id {self.feature_id}: "
        return f"{self.severity}: {where}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        """The problem as plain JSON-ready data."""
        return asdict(self)


@dataclass
class Report:
    """Every problem found in one layer, in the order found.

    Parameters
    ----------
    kind : str
        The layer kind checked (``jurisdictions``, ``incidents``...).
    source : str
        Where the layer came from (a file name), for messages.
    problems : list of Problem
        Errors and warnings together.
    """

    kind: str
    source: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """The problems that reject the layer."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """The problems that are shown but do not reject the layer."""
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when the layer is accepted (no errors; warnings allowed)."""
        return not self.errors

    def add(
        self,
        message: str,
        *,
        severity: Severity = "error",
        feature: int | None = None,
        feature_id: Any = None,
        field: str | None = None,
    ) -> None:
        """Record one problem (see :class:`Problem` for the parameters)."""
        fid = None if feature_id is None else str(feature_id)
        self.problems.append(Problem(message, severity, feature, fid, field))

    def extend(self, problems: Iterable[Problem]) -> None:
        """Record several problems found elsewhere (a reader, another check)."""
        self.problems.extend(problems)

    def lines(self) -> list[str]:
        """Each problem on its own line, errors first, in file order within each."""
        ordered = self.errors + self.warnings
        return [p.describe() for p in ordered]

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data (for ``--json`` and downloads)."""
        return {
            "kind": self.kind,
            "source": self.source,
            "accepted": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [p.to_dict() for p in self.problems],
        }

"""The project's own exceptions.

Every error a user can cause with a file is a :class:`LayerError` (or a subclass)
carrying a message written for a coordinator; the command line and the app show
that message and never a traceback.
"""

from __future__ import annotations

from typing import Any


class MutualAidError(Exception):
    """Base class of every exception raised on purpose by this package."""


class LayerError(MutualAidError):
    """A file cannot be read as a layer at all (wrong format, unsafe, too large).

    Problems that concern single features are not raised: they are collected in a
    :class:`mutualaid.layers.problems.Report` so that all of them can be shown at once.
    """


class UnsafeInputError(LayerError):
    """The input tries something hostile: a zip path escape, a zip bomb, an XML entity."""


class UnsupportedFormatError(LayerError):
    """The file's extension or content is not one of the accepted formats."""


# --- Raised and caught inside the readers (mutualaid.layers): never seen by a caller ---------
# Each stops the reading of one value or one feature; the reader catches it and turns its
# message into a LayerError (a file-level failure) or a Problem (one feature's error).


class NonFiniteConstant(MutualAidError):
    """Raised from inside :func:`json.loads` when it meets ``NaN`` or ``Infinity``.

    Raised by :mod:`mutualaid.layers.geojson`; its only argument is the constant's name.
    """


class MalformedGeometry(MutualAidError):
    """A GeoJSON geometry that cannot be built; the message says what is wrong.

    Raised by :mod:`mutualaid.layers.geojson` and reported as that feature's problem.
    """


class BadKml(MutualAidError):
    """A KML Placemark whose geometry cannot be built; the message says why.

    Raised by :mod:`mutualaid.layers.kml` and reported as that feature's problem.
    """


class StrictJSONError(MutualAidError, ValueError):
    """A JSON value of a field that a strict parse refuses (``NaN``, a repeated key).

    Raised by :func:`mutualaid.layers.fields.parse_json_object`, which turns it into a
    plain :class:`ValueError` with the same message.
    """


# --- Scenarios (mutualaid.scenario) ----------------------------------------------------------


class ScenarioError(MutualAidError):
    """A scenario folder is missing a required file or is otherwise unusable."""


class ScenarioRejected(MutualAidError):
    """A rejected scenario was used as if it had been accepted (a programming error: check
    :attr:`mutualaid.scenario.loading.ScenarioResult.ok` first)."""


class LayerRefused(MutualAidError):
    """An add was refused because the combined scenario is not valid.

    Raised by :func:`mutualaid.scenario.merging.add_layer`.

    Attributes
    ----------
    reports : list of mutualaid.layers.problems.Report
        The re-check of every layer of the combined scenario (the failing ones
        hold the errors).
    """

    def __init__(self, message: str, reports: list[Any]) -> None:
        super().__init__(message)
        self.reports = reports

    @property
    def problems(self) -> list[Any]:
        """Every error of the combined scenario, layer after layer."""
        return [p for r in self.reports for p in r.errors]


# --- Maps and exports (mutualaid.maps, mutualaid.exports) ------------------------------------


class MapAssetError(MutualAidError):
    """A map element needs a JavaScript or CSS file that is not installed locally.

    Raised by :mod:`mutualaid.maps.offline`.
    """


class ExportError(MutualAidError):
    """An export cannot be made self-contained (an asset is missing or not local).

    Raised by :mod:`mutualaid.exports`.
    """


# --- Sign-in and the store (mutualaid.store) -------------------------------------------------


class SignInRefused(MutualAidError):
    """A sign-in was refused; the message is for the person at the form.

    Parameters
    ----------
    message : str
    wait_s : float
        Seconds until a new try may pass (0 for a wrong password).
    """

    def __init__(self, message: str, wait_s: float = 0.0) -> None:
        super().__init__(message)
        self.wait_s = wait_s


class SignInFailed(SignInRefused):
    """Unknown username, wrong password or disabled account (never said which)."""


class SignInThrottled(SignInRefused):
    """Too many failed tries for this username, from this client, or in all: the try was
    refused before its password was checked."""


class StoreFull(MutualAidError):
    """The store's disk is full: the change was rolled back, nothing was stored."""


# --- access and accounts ---------------------------------------------------------------


class OidcConfigError(MutualAidError):
    """The ``[mutualaid.oidc]`` section of the secrets is not valid; the message says why."""


class ClaimsRefused(MutualAidError):
    """The provider's sign-in cannot become a session of this app; the message says why
    (for the person signing in, and the admin they will ask)."""


class AccountError(MutualAidError):
    """An account cannot be created or changed as asked; the message says why."""


class StoreUnavailable(MutualAidError):
    """The store cannot be opened, or holds no audit log; the message says why."""


# --- the store: layer versions and the workflow -------------------------------------------


class StaleLayer(MutualAidError):
    """A layer was saved against a version that is no longer the current one."""


class UnitsInUse(MutualAidError):
    """A new resources layer would take away units committed to offers.

    Attributes
    ----------
    conflicts : list of str
        One sentence per resource concerned.
    """

    def __init__(self, message: str, conflicts: list[str]) -> None:
        super().__init__(message)
        self.conflicts = conflicts


class UnknownScenario(MutualAidError):
    """No scenario of that name is stored."""


class LayerDenied(MutualAidError):
    """The actor may not make this change (issue 6): the refusal is in the audit log."""


class UnknownFeature(MutualAidError):
    """The stored layer has no incident or resource of that id (a change made in the app,
    issue 12)."""


class WorkflowError(MutualAidError):
    """A workflow action that cannot be done; the message says why, for people."""


class NotFound(WorkflowError):
    """The scenario, request or offer does not exist."""


class InvalidRequest(WorkflowError):
    """A request's lines do not match the scenario's incidents."""


class InvalidTransition(WorkflowError):
    """The move is not allowed from the current state."""


class Denied(WorkflowError):
    """The actor may not do this (recorded as ``access.denied``)."""


class Conflict(WorkflowError):
    """Someone else changed the offer or request first."""


class UnitsTaken(Conflict):
    """A commit found fewer units free than its offer needs.

    Attributes
    ----------
    resource_id : str
    wanted, free, quantity : int
        Units the offer needs of the resource, units still free, units it has.
    holders : tuple of dict
        The offers holding the rest: ``offer_id``, ``state``, ``units``, ``by``,
        ``jurisdiction``, ``at``.
    """

    def __init__(
        self,
        message: str,
        *,
        resource_id: str,
        wanted: int,
        free: int,
        quantity: int,
        holders: tuple[dict, ...],
    ) -> None:
        super().__init__(message)
        self.resource_id, self.wanted, self.free = resource_id, wanted, free
        self.quantity, self.holders = quantity, holders

"""The project's own exceptions.

Every error a user can cause with a file is a :class:`LayerError` (or a subclass)
carrying a message written for a coordinator; the command line and the app show
that message and never a traceback.
"""

from __future__ import annotations


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


class ScenarioError(MutualAidError):
    """A scenario folder is missing a required file or is otherwise unusable."""


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

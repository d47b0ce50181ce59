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

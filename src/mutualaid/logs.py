"""The one logging set-up, for the app server and the command line alike.

Modules log to ``logging.getLogger(__name__)`` and never configure logging themselves,
least of all at import. The entry points call :func:`configure_logging` once: the app's
router (``app.py``) and the command line (:func:`mutualaid.cli.main.main`). It gives the
``mutualaid`` logger one handler that writes lines with the time, the level and the
logger's name, and the traceback of a record logged with one, to standard error; the
level comes from :func:`mutualaid.settings.log_level`.

Records still propagate to the root logger, so that a test's ``caplog`` (or a host's
own set-up of the root logger) sees them too.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import TextIO

from mutualaid import settings

__all__ = ["LOGGER_NAME", "configure_logging"]

#: The logger every module of the package logs under (``mutualaid.<module>``).
LOGGER_NAME = "mutualaid"
#: The name of the handler :func:`configure_logging` adds, by which it finds it again.
_HANDLER_NAME = "mutualaid.logs"
#: A handler level above every record's: the handler stays, and writes nothing.
_SILENT = logging.CRITICAL + 1


class _StandardError(logging.StreamHandler[TextIO]):
    """Writes to the standard error of the moment (``sys.stderr`` as it is when a record
    is written), so that a redirected or captured standard error receives the lines."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:  # the stream is always sys.stderr
        pass


def configure_logging(
    *, command_line: bool = False, environ: Mapping[str, str] | None = None
) -> logging.Logger:
    """Configure the ``mutualaid`` logger; calling it again changes nothing more.

    Parameters
    ----------
    command_line : bool
        True for the ``mutualaid`` command. Its standard error is for a coordinator's
        sentences and never shows a traceback (contract, section 3), so its log lines are
        written only when ``MUTUALAID_LOG_LEVEL`` is set. The app server writes them from
        :data:`mutualaid.settings.DEFAULT_LOG_LEVEL` (INFO) up when it is unset.
    environ : mapping, optional
        The environment; ``os.environ`` when None.

    Returns
    -------
    logging.Logger
        The ``mutualaid`` logger.

    Examples
    --------
    >>> logger = configure_logging(environ={"MUTUALAID_LOG_LEVEL": "WARNING"})
    >>> logger.getEffectiveLevel() == logging.WARNING
    True
    >>> len(configure_logging().handlers)
    1
    """
    level = settings.log_level(environ=environ)
    logger = logging.getLogger(LOGGER_NAME)
    handler = next((h for h in logger.handlers if h.get_name() == _HANDLER_NAME), None)
    if handler is None:
        handler = _StandardError()
        handler.set_name(_HANDLER_NAME)
        handler.setFormatter(logging.Formatter(settings.LOG_FORMAT))
        logger.addHandler(handler)
    logger.setLevel(settings.DEFAULT_LOG_LEVEL if level is None else level)
    handler.setLevel(_SILENT if command_line and level is None else logging.NOTSET)
    return logger

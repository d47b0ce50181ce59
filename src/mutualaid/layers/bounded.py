"""Reading a user's file in a worker process with a time and a memory limit (issue 16).

A file can make a reader run for minutes or take all the memory: a GeoPackage whose
layer is a never-ending query, a CSV with 100,000 columns. The readers refuse the
known cases early; this module bounds everything else. :func:`read_layer_bounded`
runs :func:`mutualaid.layers.readers.read_layer` in a child process

* started from a *forkserver* (never a ``fork`` of the server's threads), which has
  imported the readers once, so a read costs a fork and not an interpreter start;
* with ``RLIMIT_AS`` set in the child to what it holds at start plus
  :data:`mutualaid.settings.READ_MEMORY_BYTES`, so it cannot take the server's memory;
* killed when it has not answered within :data:`mutualaid.settings.READ_TIMEOUT_S`.

A command-line process (``mutualaid validate``) calls :func:`fork_from_here` instead of
:func:`warm_up`: it has imported nothing heavy and started no thread, so its workers are
plain ``fork`` children of it, which import the readers themselves before their memory
limit is set. That saves starting a second interpreter (a forkserver) that imports
GeoPandas while the first waits. Should the process run a thread when a read starts, the
read still uses the forkserver: a ``fork`` is only ever made from a single thread.

The parent waits in ``select`` (the GIL released), so every other session of the app
keeps answering while a file is read. At most
:data:`mutualaid.settings.MAX_CONCURRENT_READS` reads run at once. Every failure is a
:class:`~mutualaid.errors.LayerError` with a sentence for a coordinator.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import resource
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mutualaid import settings
from mutualaid.errors import LayerError
from mutualaid.layers.schema import KINDS

_LOG = logging.getLogger(__name__)

if TYPE_CHECKING:  # the readers (GDAL, GeoPandas) are imported by the worker, not here
    from mutualaid.layers.readers import RawLayer

__all__ = ["fork_from_here", "read_layer_bounded", "run_bounded", "warm_up"]

#: Modules the forkserver imports once, so that each read's child has them already.
#: ``__main__`` first, as multiprocessing does by default: a child would otherwise run
#: the main script again (for ``streamlit run``, all of Streamlit) before each read.
#: ``worker_prime`` reads a few tiny layers, so that children skip the readers' first-use
#: costs (100 to 250 ms a read otherwise).
_PRELOAD = [
    "__main__",
    "mutualaid.layers.readers",
    "mutualaid.layers.bounded",
    "mutualaid.layers.worker_prime",
]
_context_lock = threading.Lock()
_context: Any = None
_slots = threading.BoundedSemaphore(settings.MAX_CONCURRENT_READS)
#: Set by :func:`fork_from_here`: what a ``fork`` worker imports before its limits.
_fork_imports: tuple[str, ...] | None = None
_KILL_WAIT_S = 5.0


def _forkserver(*, prime: bool = True) -> Any:
    """The forkserver context, created (and told what to preload) once per process;
    the first call decides whether the forkserver primes the readers."""
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            preload = _PRELOAD if prime else [m for m in _PRELOAD if not m.endswith("_prime")]
            context.set_forkserver_preload(preload)
            _context = context
        return _context


def warm_up(*, prime: bool = True) -> None:
    """Start the forkserver now, so that it has imported the readers before the first
    read (which would otherwise wait for that, seconds on a busy machine). Cheap once it
    runs: call it whenever a page that reads files is shown, and first thing in a command
    (this module imports no reader, so the forkserver's imports overlap the caller's).

    Parameters
    ----------
    prime : bool, default True
        Also read a few tiny layers in the forkserver (:mod:`worker_prime`), which saves
        each later read 100 to 250 ms; a command that reads one or two files says False.
        Only the first call in a process decides.
    """
    from multiprocessing import forkserver

    _forkserver(prime=prime)
    forkserver.ensure_running()


def fork_from_here(imports: tuple[str, ...] = ("mutualaid.layers.readers",)) -> None:
    """Start later workers with a ``fork`` of this process rather than from a forkserver.

    For a command-line process that has not imported the readers (so it starts fast) and
    runs a single thread: each worker then costs a ``fork`` and the imports, where a
    forkserver costs a second interpreter start and the same imports. The limits are the
    same: the worker imports *imports* first, then sets its memory limit and runs the
    work, all within the time limit. Whenever this process runs more than one thread at
    the start of a read, that read uses the forkserver as without this call.

    Parameters
    ----------
    imports : tuple of str, default ``("mutualaid.layers.readers",)``
        Modules each worker imports before its memory limit is set, so that the
        libraries' own size does not count against the file's memory allowance.
    """
    global _fork_imports
    _fork_imports = tuple(imports)


def _single_threaded() -> bool:
    """True when this process runs one thread, Python's or any library's (Linux: from
    /proc; elsewhere, Python's threads only)."""
    if threading.active_count() != 1:
        return False
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Threads:"):
                return int(line.split()[1]) == 1
    except (OSError, ValueError, IndexError):
        pass
    return True


def _address_space_bytes() -> int:
    """The current process's virtual memory size, from /proc (0 when unknown)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def _child(
    connection: Any,
    function: Callable[..., Any],
    args: tuple,
    kwargs: dict,
    memory_bytes: int,
    timeout_s: float,
    imports: tuple[str, ...] = (),
) -> None:
    """Run in the worker: import *imports* (a ``fork`` worker's libraries), limit this
    process, run *function*, send back what came of it."""
    if imports:  # a fork of a command: Ctrl-C is the command's (it kills this worker)
        import importlib
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            for name in imports:
                importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - a broken installation, said in a sentence
            _LOG.info("the reader worker could not import %s", imports, exc_info=True)
            connection.send(
                (
                    "refused",
                    LayerError(
                        f"the readers could not be loaded: {type(exc).__name__}: {exc}"[:300]
                    ),
                )
            )
            connection.close()
            return
    limit = _address_space_bytes() + memory_bytes
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or limit < hard:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    # A backstop should the parent die: CPU seconds a little past the wall-time limit.
    cpu = int(timeout_s) + 5
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard == resource.RLIM_INFINITY or cpu < hard:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, hard))
    try:
        outcome: tuple[str, Any] = ("ok", function(*args, **kwargs))
    except LayerError as exc:
        outcome = ("refused", exc)
    except MemoryError:
        outcome = ("refused", LayerError(_memory_sentence(memory_bytes)))
    except Exception as exc:  # noqa: BLE001 - sent back as a sentence, never a traceback
        _LOG.info("the reader worker failed", exc_info=True)
        outcome = (
            "refused",
            LayerError(f"the file could not be read: {type(exc).__name__}: {exc}"[:300]),
        )
    try:
        connection.send(outcome)
    except MemoryError:
        connection.send(("refused", LayerError(_memory_sentence(memory_bytes))))
    finally:
        connection.close()


def _read(source: str, *, kind: str, data: bytes | None, filename: str | None) -> RawLayer:
    from mutualaid.layers.readers import read_layer

    return read_layer(source, kind=kind, data=data, filename=filename)


def _memory_sentence(memory_bytes: int) -> str:
    return (
        f"the file needs more than {memory_bytes / 1024 / 1024:,.0f} MB of memory to be "
        f"read and was refused; split it into smaller files or remove columns it does "
        f"not need"
    )


def _time_sentence(timeout_s: float) -> str:
    return (
        f"the file took longer than {timeout_s:g} s to read and was refused; split it "
        f"into smaller files, or save it again as a plain layer (a GeoPackage of plain "
        f"feature tables, a GeoJSON or CSV file)"
    )


def read_layer_bounded(
    source: str | os.PathLike[str],
    *,
    kind: str,
    data: bytes | None = None,
    filename: str | None = None,
    timeout_s: float | None = None,
    memory_bytes: int | None = None,
) -> RawLayer:
    """:func:`~mutualaid.layers.readers.read_layer` in a worker with a time and memory limit.

    Parameters
    ----------
    source, kind, data, filename
        As for :func:`~mutualaid.layers.readers.read_layer`.
    timeout_s : float, optional
        Wall-time limit, seconds; :data:`mutualaid.settings.READ_TIMEOUT_S` by default.
    memory_bytes : int, optional
        Memory the read may add to its worker; :data:`mutualaid.settings.READ_MEMORY_BYTES`
        by default.

    Returns
    -------
    RawLayer
        What :func:`~mutualaid.layers.readers.read_layer` returned in the worker.

    Raises
    ------
    LayerError
        Whatever the reader raised, or a sentence saying the file took longer than the
        time limit or needed more than the memory limit (the worker is then killed), or
        that too many files are being read at once.
    ValueError
        For an unknown ``kind`` (a programming mistake), before any worker starts.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown layer kind {kind!r}; expected one of {', '.join(KINDS)}")
    shown = str(source) if data is not None else os.fspath(source)
    return run_bounded(
        _read,
        shown,
        kind=kind,
        data=data,
        filename=filename,
        timeout_s=timeout_s,
        memory_bytes=memory_bytes,
    )


def run_bounded(
    function: Callable[..., Any],
    *args: Any,
    timeout_s: float | None = None,
    memory_bytes: int | None = None,
    **kwargs: Any,
) -> Any:
    """``function(*args, **kwargs)`` in a worker process with a time and memory limit.

    Parameters
    ----------
    function : callable
        A module-level function (the worker imports it by name) that reads user files;
        its arguments and result must pickle.
    timeout_s, memory_bytes
        As for :func:`read_layer_bounded`.

    Returns
    -------
    object
        What *function* returned in the worker.

    Raises
    ------
    LayerError
        What *function* raised (any other exception becomes one), or a sentence saying
        the work took longer than the time limit or more than the memory limit (the
        worker is then killed), or that too many files are being read at once.
    """
    timeout = settings.READ_TIMEOUT_S if timeout_s is None else float(timeout_s)
    memory = settings.READ_MEMORY_BYTES if memory_bytes is None else int(memory_bytes)
    started = time.monotonic()
    if not _slots.acquire(timeout=timeout):
        raise LayerError(
            f"the server is reading other files and could not start on this "
            f"one within {timeout:g} s; try again in a minute"
        )
    try:
        left = max(timeout - (time.monotonic() - started), 0.1)
        return _run(function, args, kwargs, timeout=left, shown_timeout=timeout, memory=memory)
    finally:
        _slots.release()


def _run(
    function: Callable[..., Any],
    args: tuple,
    kwargs: dict,
    *,
    timeout: float,
    shown_timeout: float,
    memory: int,
) -> Any:
    imports: tuple[str, ...] = ()
    if _fork_imports is not None and _single_threaded():
        context, imports = multiprocessing.get_context("fork"), _fork_imports
        for stream in (sys.stdout, sys.stderr):  # else the fork could write it once more
            if stream is not None:
                stream.flush()
    else:
        context = _forkserver()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_child,
        name="mutualaid-read",
        args=(sender, function, args, kwargs, memory, timeout, imports),
        daemon=True,
    )
    try:
        process.start()
    except OSError as exc:
        receiver.close()
        sender.close()
        raise LayerError(
            f"the server could not start reading the file ({exc.strerror or exc}); "
            f"try again in a minute"
        ) from None
    sender.close()  # the child's end: when the child dies, the receiver sees end of file
    try:
        # Waiting in select: the GIL is free for every other session meanwhile.
        ready = multiprocessing.connection.wait([receiver, process.sentinel], timeout)
        if receiver in ready:
            try:
                status, value = receiver.recv()
            except (EOFError, OSError):
                status, value = "died", None
        elif ready:
            status, value = "died", None
        else:
            status, value = "late", None
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join(_KILL_WAIT_S)
        if process.exitcode is not None:
            process.close()
    if status == "ok":
        return value
    if status == "refused":
        raise value
    if status == "late":
        raise LayerError(_time_sentence(shown_timeout))
    # Killed by the kernel (memory, CPU limit) or crashed inside a library without a word.
    raise LayerError(
        f"reading the file was stopped: it needed more than "
        f"{memory / 1024 / 1024:,.0f} MB of memory, or its content made the "
        f"reader fail; the file is refused (check that it opens in a GIS and "
        f"save it again)"
    )

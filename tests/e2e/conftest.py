"""Browser tests: the real app (``streamlit run app.py``) in Debian's headless Chromium.

Fixtures:

* ``start_app`` starts the app on a free port as a subprocess (once per set of
  scenario folders) and waits on ``GET /_stcore/health``; all are stopped at the end.
* ``browser`` is Chromium driven by Playwright. When Chromium or Playwright is missing
  the tests are skipped, except on CI (``CI=true``) where that is a failure.
* ``offline_page`` is a page whose every request is routed: anything not addressed
  to 127.0.0.1 or localhost is aborted and recorded, and the test fails at teardown
  if one was attempted. It also records dialogs (``alert`` and friends) and page errors.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import browsing
import pytest
from browsing import (
    BROWSER_TIMEOUT_MS,
    DEFAULT_USER,
    PASSWORD,
    OfflinePage,
    open_offline_page,
    served_outside_static,
    stop_process,
)

from builders import ensure_accounts
from mutualaid.settings import SCENARIO_DIRS_ENV, STATE_DIR_ENV

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Generous, for 2 shared cores: how long the app may take to answer its health check.
STARTUP_TIMEOUT_S = 180

try:  # expect() assertions have their own 5 s default, too short on a loaded 2-core machine
    from playwright.sync_api import expect as _expect

    _expect.set_options(timeout=BROWSER_TIMEOUT_MS)
except ImportError:  # the browser fixture reports a missing Playwright
    pass


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required on CI: .ci/run installs it)")
    pytest.skip(reason)


# --- the app ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def vendor_assets() -> Path:
    """The map's Leaflet files, installed from npm by ``make assets``."""
    stamp = ROOT / "static" / "vendor" / ".installed"
    if not stamp.is_file():
        pytest.fail(
            "the map's Leaflet files are not installed (static/vendor/.installed is "
            "missing): run `make assets` or `.venv/bin/python scripts/install_assets.py`"
        )
    outside = served_outside_static(ROOT / "static")
    if outside:
        pytest.fail(outside)
    return stamp.parent


def _free_port(address: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    try:
        with opener.open(f"{url}/_stcore/health", timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _wait_until_healthy(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not _healthy(url):
        try:
            # Waiting on the process (not sleeping) also notices at once if it died.
            process.wait(timeout=0.25)
        except subprocess.TimeoutExpired:
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the app did not answer {url}/_stcore/health; log: {log}\n"
                    + log.read_text(errors="replace")[-4000:]
                )
            continue
        pytest.fail(
            f"the app exited with status {process.returncode}; log: {log}\n"
            + log.read_text(errors="replace")[-4000:]
        )


@pytest.fixture(scope="session")
def start_app(
    vendor_assets: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., str]]:
    """``start_app(scenario_dirs=None, env=None, address="127.0.0.1") -> base URL``: the
    app offering those folders (None: the shipped samples in data/), with *env* added
    to its environment, listening on *address* (``"::ffff:127.0.0.1"``: a second server of the
    same store, reached at 127.0.0.1, that sees its browsers as another client address,
    issue 13). Started once per
    distinct set of folders, environment and address."""
    running: dict[tuple, tuple[subprocess.Popen, str]] = {}
    logs = []

    def start(
        *,
        scenario_dirs: Sequence[Path] | None = None,
        env: dict[str, str] | None = None,
        address: str = "127.0.0.1",
    ) -> str:
        folders = None if scenario_dirs is None else tuple(str(p) for p in scenario_dirs)
        extra = tuple(sorted((env or {}).items()))
        key = (folders, extra, address)
        if key in running:
            return running[key][1]
        port = _free_port(address)
        # a v4-mapped IPv6 address is reached at its IPv4 address
        host = address.removeprefix("::ffff:")
        url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        environ = dict(os.environ)
        environ.pop(SCENARIO_DIRS_ENV, None)
        if folders is not None:
            environ[SCENARIO_DIRS_ENV] = os.pathsep.join(folders)
        # each server its own store, unless the test names one
        environ[STATE_DIR_ENV] = str(tmp_path_factory.mktemp("state"))
        environ.update(extra)
        # Nobody unsigned sees anything: every server's store has the default account.
        store_with_accounts(_store_url(environ), {DEFAULT_USER: ("admin", None)})
        log = tmp_path_factory.mktemp("streamlit") / "server.log"
        handle = log.open("wb")
        logs.append(handle)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.address",
                address,
                "--server.headless",
                "true",
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env=environ,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        running[key] = (process, url)
        _wait_until_healthy(process, url, log)
        return url

    yield start
    for process, _url in running.values():
        stop_process(process)
    for handle in logs:
        handle.close()


# --- the browser -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).is_file():
        _unavailable(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def offline_page(browser) -> Iterator[OfflinePage]:
    """A fresh page that cannot reach anything but this machine (and says if it tried)."""
    record = open_offline_page(browser)
    yield record
    record.context.close()
    outside = record.left_the_machine
    assert not outside, f"requests that tried to leave the machine: {outside}"


# --- a store of one's own, with accounts, and signing in --------------------------------


def store_with_accounts(url: str, accounts: dict[str, tuple[str, ...]]) -> None:
    """Create the store *url* names (schema and all) with the accounts
    ``{username: (role, jurisdiction)}`` (or ``(role, jurisdiction, display_name)``)
    that are not there yet, all with :data:`browsing.PASSWORD`."""
    ensure_accounts(url, accounts, password=PASSWORD, by="e2e")


def _store_url(environ: dict[str, str]) -> str:
    from mutualaid.settings import STORE_FILE_NAME
    from mutualaid.store.database import DATABASE_URL_ENV

    if environ.get(DATABASE_URL_ENV):
        return environ[DATABASE_URL_ENV]
    state = Path(environ[STATE_DIR_ENV])
    state.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{state / STORE_FILE_NAME}"


@pytest.fixture
def own_store(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., dict[str, str]]:
    """``own_store(**accounts) -> env`` for ``start_app(env=...)``: a new app server with
    its own store holding those accounts (``name=(role, jurisdiction)``, or
    ``name=(role, jurisdiction, display_name)``) besides the default one, so what one
    test stores is not seen by another."""

    def make(**accounts: tuple[str, ...]) -> dict[str, str]:
        state = tmp_path_factory.mktemp("state")
        store_with_accounts(_store_url({STATE_DIR_ENV: str(state)}), accounts)
        return {STATE_DIR_ENV: str(state)}

    return make


@pytest.fixture
def sign_in() -> Callable[..., None]:
    """``sign_in(page, username, password=PASSWORD)``: :func:`browsing.sign_in`."""
    return browsing.sign_in

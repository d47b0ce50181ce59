"""Issue 13: starting the app makes no outbound connection attempt. Streamlit's start-up
banner looks up the machine's "external IP" (an HTTP request to checkip.amazonaws.com)
and its "internal IP" (a UDP connect to 8.8.8.8) unless ``browser.serverAddress`` is set;
``.streamlit/config.toml`` sets it.

The server is started as ``make run`` starts it (``streamlit run app.py --server.headless
true``, no ``--server.address``) in a process whose audit hook (``sys.addaudithook``)
writes down every ``socket.connect`` and ``socket.getaddrinfo`` to a host that is not this
machine. The hook itself is checked on Streamlit's own look-up, so the test can fail.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builders import stop_process
from mutualaid.settings import STATE_DIR_ENV

ROOT = Path(__file__).resolve().parents[2]
#: Generous, for 2 shared cores: how long the server may take to print its banner.
STARTUP_TIMEOUT_S = 120

#: Installed before anything else runs in the child process; then the rest of ``argv``
#: is run as ``python -m <module> ...`` (or ``python <script.py> ...``). Every attempt to reach another machine is one
#: JSON line in the file AUDIT_FILE names.
HOOK = r"""
import ipaddress, json, os, runpy, sys

_FILE = os.environ["AUDIT_FILE"]
_LOCAL_NAMES = {None, "", "localhost", "0.0.0.0", "::"}


def _local(host):
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False  # a name to resolve: outbound
    return address.is_loopback or address.is_unspecified


def _hook(event, args):
    if event == "socket.getaddrinfo":
        host = args[0]
    elif event == "socket.connect":
        address = args[1]
        if not isinstance(address, tuple):
            return  # a Unix socket path
        host = address[0]
    else:
        return
    if not _local(host):
        with open(_FILE, "a", encoding="utf-8") as out:
            out.write(json.dumps([event, str(host)]) + "\n")


sys.addaudithook(_hook)
target, sys.argv = sys.argv[1], sys.argv[1:]
if target.endswith(".py"):
    runpy.run_path(target, run_name="__main__")
else:
    runpy.run_module(target, run_name="__main__", alter_sys=True)
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _audited(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, Path, Path]:
    audit = tmp_path / "outbound.jsonl"
    audit.touch()
    log = tmp_path / "process.log"
    hook = tmp_path / "hook.py"
    hook.write_text(HOOK, encoding="utf-8")
    environ = dict(os.environ, AUDIT_FILE=str(audit))
    environ[STATE_DIR_ENV] = str(tmp_path / "state")
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, str(hook), *args],
            cwd=ROOT,
            env=environ,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    return process, audit, log


def _attempts(audit: Path) -> list[list[str]]:
    return [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines()]


def test_the_hook_sees_streamlits_external_ip_look_up(tmp_path):
    """The check of the check: Streamlit's own function, called, is written down."""
    script = tmp_path / "lookup.py"
    script.write_text(
        "from streamlit import net_util\nnet_util.get_external_ip()\nnet_util.get_internal_ip()\n",
        encoding="utf-8",
    )
    process, audit, log = _audited(tmp_path, str(script))
    assert process.wait(timeout=60) == 0, log.read_text(errors="replace")
    hosts = {host for _, host in _attempts(audit)}
    assert "checkip.amazonaws.com" in hosts
    assert "8.8.8.8" in hosts


def test_starting_the_app_as_make_run_does_reaches_no_other_machine(tmp_path):
    port = _free_port()
    process, audit, log = _audited(
        tmp_path,
        "streamlit",
        "run",
        "app.py",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        # The banner is printed once the server listens, after its addresses were found.
        while "URL: " not in log.read_text(errors="replace"):
            try:
                process.wait(timeout=0.25)
            except subprocess.TimeoutExpired:
                if time.monotonic() > deadline:
                    pytest.fail("no start-up banner: " + log.read_text(errors="replace"))
                continue
            pytest.fail("the server exited: " + log.read_text(errors="replace"))
        banner = log.read_text(errors="replace")
    finally:
        stop_process(process)
    assert f"URL: http://localhost:{port}" in banner
    assert "External URL" not in banner and "Network URL" not in banner
    assert _attempts(audit) == []

"""Load benchmark: many coordinators on one app server, at Streamlit's protocol level.

Usage::

    python benchmarks/load.py                          # the standard runs (below)
    python benchmarks/load.py --run reruns --clients 30 --period 2 --duration 60
    python benchmarks/load.py --run storm --sign-ins 50 --within 15
    python benchmarks/load.py --profile out.svg        # py-spy records the server meanwhile

The real app (``python -m streamlit run app.py``) is started on a free 127.0.0.1 port
with its own state folder (an SQLite store) and the Rhine sample
(``data/rhine-flood-2021``) as its only scenario, as the browser tests start it
(``tests/e2e/conftest.py``). The accounts are created in that store first
(:func:`mutualaid.store.accounts.add_account`): coordinators of the jurisdictions with the
most incidents and resources (``--jurisdictions``, 10 by default, so several
coordinators share one jurisdiction, as in an exercise).

Each simulated coordinator is no browser (two cores cannot hold 30 Chromium tabs) but a
websocket client of ``/_stcore/stream`` speaking Streamlit's protobuf protocol as the
browser does: it asks for the page (``BackMsg.rerun_script``), reads the ForwardMsg
deltas until ``script_finished``, finds the sign-in form's widgets (the "Username" and
"Password" text inputs and the "Sign in" submit button) by their labels and signs in
through the form (a rerun with their widget states, the button's trigger true). It keeps
the hashes of the cacheable messages it received and sends them with each rerun, as the
browser does, so the server sends a reference instead of an unchanged large element
(the map's HTML). Then it opens the pages a coordinator uses in turn (Overview with its
map, Allocation, Workflow, Briefing), one every ``--period`` seconds for ``--duration``
seconds (never two at once: a rerun that takes longer than the period delays the next),
timing each from the BackMsg sent to the ``script_finished`` that ends it. Clients start
spread over the first period.

The standard runs:

* **reruns 20/10 s** and **reruns 30/2 s**: 20 coordinators every 10 s, 30 every 2 s,
  60 s each; rerun latency median, p90 and max, and per page.
* **storm**: 50 sign-ins spread over 15 s (each a new session: open the page, sign in),
  while a probe opens a new session's sign-in form once a second; the sign-ins'
  latency and how long the form took to answer meanwhile.

A warm-up comes first: one coordinator of each jurisdiction in turn opens each page once,
so the figures are those of a server that has served each view before (the first use
stores the folder; each view has its own plan and maps). ``--cold`` warms one view only.
Each run has its own new sessions. Everything is bounded: every wait has a timeout
(``--timeout``), loops stop at ``--duration``, only 127.0.0.1 is contacted, and the server
is stopped at the end. A table is printed and the figures are written as JSON to
``benchmarks/out/load-<time>.json``, with the load average before and after (the
machine is shared).

Measured on the project's 2-core machine on 2026-12-07, defaults, while four other test
runs shared it (load average 8 to 11 in both runs), rerun median / p90 / max:

=====================  ==========================  ============================
run                    before the fixes             after
=====================  ==========================  ============================
20 every 10 s          9.09 / 13.0 / 16.2 s         0.14 / 0.78 / 1.07 s
30 every 2 s           21.1 / 33.8 / 49.7 s (282    0.38 / 2.14 / 8.4 s (all 900
                       of 900 reruns made)          made)
50 sign-ins in 15 s    26.0 / 34.7 / 39.0 s; form   1.78 / 2.52 / 3.16 s; form
                       answers 1.18 s, max 23.3 s   answers 0.48 s, max 0.92 s
=====================  ==========================  ============================

Where the time went before (``--profile``, py-spy): maps and plans cached per person
with 8 map entries, so 30 coordinators evicted each other's and most reruns built a map
(and often a plan) again; every store read took SQLite's write lock (``BEGIN
IMMEDIATE``), so the account read of each rerun queued behind every other (some failed
with "database is locked" after the 30 s busy timeout); each rerun rendered its map's
HTML again; and Streamlit's ``gc.collect(2)`` after every script run took 40 % of the
server. Fixed: caches keyed on the view (role and jurisdiction), reads in a deferred
transaction, maps rendered once per cached map, ``runner.postScriptGC = false``, the
plan and its figures shared instead of unpickled per rerun.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mutualaid.access.actor import system_actor
from mutualaid.scenario.loading import load_scenario
from mutualaid.settings import FIRST_RUN_ENV, SCENARIO_DIRS_ENV, STATE_DIR_ENV, STORE_FILE_NAME

RHINE = ROOT / "data" / "rhine-flood-2021"
OUT = ROOT / "benchmarks" / "out"
PASSWORD = "a long load-benchmark password"
#: The pages a coordinator uses, by URL path, in the order visited.
PAGES = ("overview", "allocation", "workflow", "briefing")
STARTUP_TIMEOUT_S = 180
#: The messages of one rerun (a page) are bounded; more is a runaway.
MAX_MESSAGES = 20_000


# --- the app server ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    try:
        with opener.open(f"{url}/_stcore/health", timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def busiest_jurisdictions(folder: Path, count: int) -> list[str]:
    """The *count* jurisdictions of *folder*'s scenario with the most incidents and
    resources (ties by id)."""
    scenario = load_scenario(folder).scenario
    if scenario is None:
        raise SystemExit(f"the scenario {folder} was refused")
    counts: dict[str, int] = {str(j): 0 for j in scenario.jurisdictions["id"]}
    for frame in (scenario.incidents, scenario.resources):
        for j in frame["jurisdiction"].dropna().astype(str):
            counts[j] = counts.get(j, 0) + 1
    return sorted(counts, key=lambda j: (-counts[j], j))[:count]


def create_accounts(url: str, usernames: dict[str, str], *, by: str = "load-benchmark") -> None:
    """The store *url* names (created, schema upgraded) with a coordinator account per
    ``{username: jurisdiction}``, all with :data:`PASSWORD`, created by ``system:<by>``."""
    from mutualaid.store import open_store
    from mutualaid.store.accounts import add_account
    from mutualaid.store.migrate import upgrade

    store = open_store(url)
    try:
        upgrade(store)
        for username, jurisdiction in usernames.items():
            add_account(
                store,
                username=username,
                role="coordinator",
                jurisdiction=jurisdiction,
                password=PASSWORD,
                actor=system_actor(by),
            )
    finally:
        store.dispose()


@dataclass
class Server:
    """The app server of a benchmark: its process, URL and log."""

    process: subprocess.Popen
    url: str
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(state: Path, env: dict[str, str] | None = None) -> Server:
    """``streamlit run app.py`` on a free loopback port, serving the Rhine sample from
    the store in *state*; returns once ``/_stcore/health`` answers."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    environ = dict(os.environ)
    environ.update(
        {
            STATE_DIR_ENV: str(state),
            SCENARIO_DIRS_ENV: str(RHINE),
            FIRST_RUN_ENV: "0",
            "PYTHONPATH": str(ROOT / "src"),
        }
    )
    environ.pop("MUTUALAID_DATABASE_URL", None)
    environ.update(env or {})
    log = state / "server.log"
    with log.open("wb") as handle:
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
                "127.0.0.1",
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
    server = Server(process, url, log)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not _healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise SystemExit(
                f"the app did not start: {log}\n" + log.read_text(errors="replace")[-3000:]
            )
        time.sleep(0.25)
    return server


# --- one simulated browser -----------------------------------------------------------------


@dataclass
class Rerun:
    """One timed rerun: which page, seconds from BackMsg to script_finished, bytes and
    messages received, and whether it ended as expected."""

    page: str
    seconds: float
    received: int
    messages: int
    ok: bool
    note: str = ""


@dataclass
class Client:
    """A websocket session of the app that behaves like the browser's frontend."""

    url: str
    timeout: float
    socket: object = None
    pages: dict[str, str] = field(default_factory=dict)  # url path -> page script hash
    cached: set[str] = field(default_factory=set)
    widgets: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (kind, id)
    texts: list[str] = field(default_factory=list)
    #: The exception the last run showed, if any (the run then counts as failed).
    failed: str = ""
    #: The fragments the server asked to rerun on a timer (``st.fragment(run_every=...)``):
    #: fragment id -> seconds, as the browser's frontend keeps them.
    auto_reruns: dict[str, float] = field(default_factory=dict)

    async def connect(self) -> None:
        address = self.url.replace("http://", "ws://") + "/_stcore/stream"
        self.socket = await websockets.connect(
            address,
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=self.timeout,
            ping_interval=None,
            proxy=None,
            compression=None,
        )

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()

    async def rerun(
        self, page: str, widget_states: list | None = None, *, fragment_id: str = ""
    ) -> Rerun:
        """Ask for *page* (a URL path) with *widget_states* and read until the run ends;
        with *fragment_id*, that fragment's timed rerun only (as the browser sends it).

        The widgets and texts found are in :attr:`widgets` and :attr:`texts`.
        """
        message = BackMsg()
        state = message.rerun_script
        state.query_string = ""
        state.page_name = page
        if fragment_id:
            state.fragment_id = fragment_id
            state.is_auto_rerun = True
        if page in self.pages:
            state.page_script_hash = self.pages[page]
        state.context_info.timezone = "UTC"
        state.context_info.url = f"{self.url}/{page}"
        state.cached_message_hashes.extend(sorted(self.cached))
        for widget in widget_states or ():
            state.widget_states.widgets.append(widget)
        self.widgets, self.texts, self.failed = {}, [], ""
        start = time.perf_counter()
        await self.socket.send(message.SerializeToString())
        received = messages = 0
        deadline = time.monotonic() + self.timeout
        while messages < MAX_MESSAGES:
            try:
                data = await asyncio.wait_for(
                    self.socket.recv(), max(0.01, deadline - time.monotonic())
                )
            except TimeoutError:
                return Rerun(
                    page, time.perf_counter() - start, received, messages, False, "timeout"
                )
            received += len(data)
            messages += 1
            forward = ForwardMsg()
            forward.ParseFromString(data)
            if forward.metadata.cacheable and forward.hash:
                self.cached.add(forward.hash)
            kind = forward.WhichOneof("type")
            if kind == "navigation":
                self.pages.update(
                    {p.url_pathname: p.page_script_hash for p in forward.navigation.app_pages}
                )
            elif kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                self._element(forward.delta.new_element)
            elif kind == "auto_rerun":
                self.auto_reruns[forward.auto_rerun.fragment_id] = forward.auto_rerun.interval
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(forward.script_finished)
                if status == "FINISHED_EARLY_FOR_RERUN":
                    continue  # st.rerun: the run goes on in a new script run
                ok = (
                    status in ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY")
                    and not self.failed
                )
                return Rerun(
                    page, time.perf_counter() - start, received, messages, ok, self.failed or status
                )
        return Rerun(
            page, time.perf_counter() - start, received, messages, False, "too many messages"
        )

    def _element(self, element) -> None:
        kind = element.WhichOneof("type")
        if kind in ("text_input", "button"):
            widget = getattr(element, kind)
            self.widgets[widget.label] = (kind, widget.id)
        elif kind == "markdown":
            self.texts.append(element.markdown.body)
        elif kind == "heading":
            self.texts.append(element.heading.body)
        elif kind == "alert":
            self.texts.append(element.alert.body)
        elif kind == "exception":
            self.texts.append(f"EXCEPTION {element.exception.type}: {element.exception.message}")
            self.failed = f"{element.exception.type}: {element.exception.message}"[:300]

    async def sign_in(self, page: str, username: str) -> tuple[Rerun, Rerun]:
        """Open *page* (the sign-in form) and sign in through the form: the two runs."""
        opened = await self.rerun(page)
        if not opened.ok:
            return opened, opened
        try:
            ids = {label: self.widgets[label] for label in ("Username", "Password", "Sign in")}
        except KeyError:
            opened.ok, opened.note = False, f"no sign-in form: {sorted(self.widgets)}"
            return opened, opened
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        states = [
            WidgetState(id=ids["Username"][1], string_value=username),
            WidgetState(id=ids["Password"][1], string_value=PASSWORD),
            WidgetState(id=ids["Sign in"][1], trigger_value=True),
        ]
        signed = await self.rerun(page, states)
        if signed.ok and not any("Signed in as" in text for text in self.texts):
            signed.ok, signed.note = False, "not signed in: " + " | ".join(self.texts)[:300]
        return opened, signed


# --- the runs ----------------------------------------------------------------------------


def figures(seconds: list[float]) -> dict:
    """Median, p90, max and count of *seconds*."""
    if not seconds:
        return {"count": 0}
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return {
        "count": len(ordered),
        "median": statistics.median(ordered),
        "p90": p90,
        "max": ordered[-1],
    }


async def coordinator(
    url: str, username: str, *, period: float, duration: float, offset: float, timeout: float
) -> dict:
    """One coordinator: sign in on Overview, then a page every *period* s for *duration*."""
    await asyncio.sleep(offset)
    client = Client(url, timeout)
    runs: list[Rerun] = []
    try:
        await client.connect()
        _opened, signed = await client.sign_in(PAGES[0], username)
        if not signed.ok:
            return {"username": username, "signed_in": False, "note": signed.note, "runs": []}
        start = time.monotonic()
        for index in range(max(1, int(duration / period) + 1)):
            due = start + index * period
            if due - start >= duration:
                break
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            runs.append(await client.rerun(PAGES[(index + 1) % len(PAGES)]))
            if time.monotonic() - start >= duration + timeout:
                break
    except (OSError, websockets.WebSocketException) as error:
        return {
            "username": username,
            "signed_in": bool(runs),
            "note": repr(error),
            "runs": [r.__dict__ for r in runs],
        }
    finally:
        await client.close()
    return {"username": username, "signed_in": True, "runs": [r.__dict__ for r in runs]}


async def reruns(
    url: str, usernames: list[str], *, period: float, duration: float, timeout: float
) -> dict:
    """*usernames* coordinators at once, each a page every *period* s; the figures."""
    rng = random.Random(1)
    tasks = [
        coordinator(
            url,
            name,
            period=period,
            duration=duration,
            offset=rng.uniform(0, min(period, 5.0)),
            timeout=timeout,
        )
        for name in usernames
    ]
    results = await asyncio.gather(*tasks)
    runs = [Rerun(**r) for result in results for r in result["runs"]]
    ok = [r for r in runs if r.ok]
    return {
        "clients": len(usernames),
        "period_s": period,
        "duration_s": duration,
        "signed_in": sum(r["signed_in"] for r in results),
        "failed": [r.get("note") for r in results if not r["signed_in"]][:5]
        + [f"{r.page}: {r.note}" for r in runs if not r.ok][:5],
        "reruns": figures([r.seconds for r in ok]),
        "per_page": {page: figures([r.seconds for r in ok if r.page == page]) for page in PAGES},
        "bytes_per_rerun": statistics.median([r.received for r in ok]) if ok else 0,
    }


async def storm(url: str, usernames: list[str], *, within: float, timeout: float) -> dict:
    """Sign-ins of *usernames*, each a new session, spread evenly over *within* s, while
    a probe opens a new session's sign-in form once a second."""
    done = asyncio.Event()

    async def sign_in(name: str, offset: float) -> Rerun:
        await asyncio.sleep(offset)
        client = Client(url, timeout)
        try:
            await client.connect()
            _opened, signed = await client.sign_in(PAGES[0], name)
            return signed
        except (OSError, websockets.WebSocketException) as error:
            return Rerun(PAGES[0], 0.0, 0, 0, False, repr(error))
        finally:
            await client.close()

    async def probe() -> list[float]:
        answered = []
        for _ in range(int(10 * within + 10 * timeout)):  # bounded
            start = time.perf_counter()
            client = Client(url, timeout)
            try:
                await client.connect()
                run = await client.rerun(PAGES[0])
                if run.ok and "Sign in" in client.widgets:
                    answered.append(time.perf_counter() - start)
            finally:
                await client.close()
            if done.is_set():
                break
            await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - start)))
        return answered

    step = within / max(1, len(usernames) - 1)
    started = time.perf_counter()
    probing = asyncio.create_task(probe())
    signed = await asyncio.gather(*(sign_in(name, i * step) for i, name in enumerate(usernames)))
    all_signed = time.perf_counter() - started
    done.set()
    form = await probing
    return {
        "sign_ins": len(usernames),
        "within_s": within,
        "succeeded": sum(r.ok for r in signed),
        "failed": [r.note for r in signed if not r.ok][:5],
        "sign_in": figures([r.seconds for r in signed if r.ok]),
        "all_signed_in_s": all_signed,
        "form_answers": figures(form),
    }


# --- the table ---------------------------------------------------------------------------


def _cell(values: dict, key: str) -> str:
    return f"{values[key]:.2f}" if key in values else "-"


def table(results: dict) -> str:
    """The results as a printed table."""
    lines = [f"{'run':<26}{'count':>7}{'median s':>10}{'p90 s':>8}{'max s':>8}"]
    for name, run in results["runs"].items():
        if "reruns" in run:
            rows = [(name, run["reruns"])] + [
                (f"  {page}", values) for page, values in run["per_page"].items()
            ]
        else:
            rows = [
                (f"{name}: sign-in", run["sign_in"]),
                (f"{name}: form answers", run["form_answers"]),
            ]
        for label, values in rows:
            lines.append(
                f"{label:<26}{values.get('count', 0):>7}{_cell(values, 'median'):>10}"
                f"{_cell(values, 'p90'):>8}{_cell(values, 'max'):>8}"
            )
        if run.get("failed"):
            lines.append(f"  failures: {run['failed']}")
        if "all_signed_in_s" in run:
            lines.append(
                f"  {run['succeeded']}/{run['sign_ins']} signed in, the last after "
                f"{run['all_signed_in_s']:.1f} s"
            )
        if "bytes_per_rerun" in run:
            lines.append(
                f"  {run['signed_in']}/{run['clients']} signed in; median "
                f"{run['bytes_per_rerun'] / 1e3:.0f} kB received per rerun"
            )
    lines.append(f"load average before {results['load_before']}, after {results['load_after']}")
    return "\n".join(lines)


# --- main --------------------------------------------------------------------------------


def _profile(pid: int, output: Path, seconds: float) -> subprocess.Popen | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        print("py-spy is not installed (pip install py-spy): no profile", file=sys.stderr)
        return None
    return subprocess.Popen(
        [
            spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "50",
            "--subprocesses",
            "--output",
            str(output),
            "--format",
            {".json": "speedscope", ".txt": "raw"}.get(output.suffix, "flamegraph"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )


async def _main(args: argparse.Namespace, url: str, usernames: list[str], server: Server) -> dict:
    runs: dict[str, dict] = {}
    # Warm-up: one coordinator of each jurisdiction (each a view of its own) opens each
    # page once, one after the other, so every view's plan and maps are built.
    for username in usernames[: args.jurisdictions]:
        warm = Client(url, args.timeout)
        await warm.connect()
        await warm.sign_in(PAGES[0], username)
        for page in PAGES:
            run = await warm.rerun(page)
            if not run.ok and not args.cold:
                raise SystemExit(f"warm-up: {page} did not finish: {run.note} {warm.texts[:5]}")
        await warm.close()
        if args.cold:
            break
    plans: list[tuple[str, str, dict]] = []
    if args.run in ("standard", "reruns"):
        standard = (
            [(20, 10.0), (30, 2.0)] if args.run == "standard" else [(args.clients, args.period)]
        )
        for clients, period in standard:
            plans.append(
                (
                    f"reruns {clients}/{period:g} s",
                    "reruns",
                    {"usernames": usernames[:clients], "period": period, "duration": args.duration},
                )
            )
    if args.run in ("standard", "storm"):
        plans.append(
            (
                f"storm {args.sign_ins} in {args.within:g} s",
                "storm",
                {"usernames": usernames[: args.sign_ins], "within": args.within},
            )
        )
    for name, kind, options in plans:
        spy = None
        if args.profile:
            target = Path(args.profile)
            target = target.with_name(f"{target.stem}-{name.split()[0]}{target.suffix}")
            spy = _profile(
                server.process.pid, target, options.get("duration", options.get("within", 15)) + 5
            )
        if kind == "reruns":
            runs[name] = await reruns(url, timeout=args.timeout, **options)
        else:
            runs[name] = await storm(url, timeout=args.timeout, **options)
        if spy is not None:
            spy.wait(timeout=120)
        await asyncio.sleep(2)  # let the server settle between runs
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", choices=("standard", "reruns", "storm"), default="standard")
    parser.add_argument("--clients", type=int, default=30, help="coordinators (--run reruns)")
    parser.add_argument("--period", type=float, default=2.0, help="seconds between reruns")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of reruns")
    parser.add_argument("--sign-ins", type=int, default=50)
    parser.add_argument("--within", type=float, default=15.0, help="seconds of the storm")
    parser.add_argument(
        "--jurisdictions",
        type=int,
        default=10,
        help="the coordinators' jurisdictions (the busiest ones)",
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per rerun")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="warm up one view only (the others are built under load)",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE.svg|FILE.json|FILE.txt",
        help="py-spy record the server during each run (flame graph, speedscope or raw stacks)",
    )
    args = parser.parse_args(argv)
    count = max(
        30 if args.run == "standard" else args.clients,
        args.sign_ins if args.run in ("standard", "storm") else 1,
    )
    homes = busiest_jurisdictions(RHINE, args.jurisdictions)
    usernames = {f"coord{i:02d}": homes[i % len(homes)] for i in range(count)}
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mutualaid-load-") as tmp:
        state = Path(tmp)
        started = time.perf_counter()
        create_accounts(f"sqlite:///{state / STORE_FILE_NAME}", usernames)
        print(
            f"{count} coordinator accounts of {len(homes)} jurisdictions "
            f"({', '.join(homes)}) in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        server = start_server(state)
        load_before = os.getloadavg()
        try:
            runs = asyncio.run(_main(args, server.url, list(usernames), server))
        finally:
            server.stop()
        load_after = os.getloadavg()
    results = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "scenario": RHINE.name,
        "jurisdictions": homes,
        "cores": os.cpu_count(),
        "load_before": [round(v, 2) for v in load_before],
        "load_after": [round(v, 2) for v in load_after],
        "runs": runs,
    }
    print(table(results))
    out = OUT / f"load-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}.json"
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

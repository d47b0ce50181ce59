"""The cost of the live refresh (issue 12): CPU and store queries per open session.

Usage::

    python benchmarks/live_refresh.py                    # the polling path, both backends
    python benchmarks/live_refresh.py --mode server      # the real app server, PostgreSQL
    python benchmarks/live_refresh.py --mode server --sessions 10 25 50 --backend sqlite

Every signed-in page carries a fragment that looks at the store's change mark every
``MUTUALAID_LIVE_REFRESH_S`` seconds (2 by default; :mod:`mutualaid.ui.live`). With
nothing changing, that look is all an open page costs: this measures it, two ways.

``--mode direct`` (the default): the store's side of the polling path alone. N
simulated sessions (``--sessions``, 50), one thread each as Streamlit runs each
session's fragment in a thread of its own, share one store (the app's one engine) and
each calls :func:`mutualaid.ui.live.redraw_due` (what the fragment calls:
:func:`~mutualaid.store.changes.change_mark`, one primary-key read) on a fixed beat of
the setting's interval, for ``--window`` seconds, ``--repeats`` times, on SQLite and on
PostgreSQL (a database of its own from the store tests' PostGIS template on the server
``MUTUALAID_TEST_PG_URL`` names). The statements are counted with an SQLAlchemy
``before_cursor_execute`` listener on the store's engine, the connections taken from its
pool with a ``checkout`` listener, the CPU with :func:`time.process_time` (all the
process's threads, user + system). Medians over the repeats, per session and minute.

``--mode server``: the real app (``python -m streamlit run app.py``) is started as
``benchmarks/load.py`` starts it (the Rhine sample, coordinators' accounts in its
store), on a PostgreSQL database of its own made from the store tests' PostGIS template
on the server ``MUTUALAID_TEST_PG_URL`` names
(``--backend sqlite``: the state folder's SQLite file).
The open sessions are ``benchmarks/load.py``'s websocket clients, which speak
Streamlit's protocol as the browser does (50 Chromium pages do not fit on 2 cores): each
signs in through the form, opens the Workflow page and then, as the browser's frontend
does for ``st.fragment(run_every=...)``, asks for the fragment's rerun at the interval the
server gave (its ``auto_rerun`` message), and nothing else.

For each count N of sessions (``--sessions``), over ``--window`` seconds, ``--repeats``
times: the server process's CPU time (user + system, ``/proc/PID/stat``) with N idle
open sessions, minus the median of the same windows with 0 sessions before them, divided
by N, per minute; the SQL statements its store sent (one byte per statement appended to
a file, ``MUTUALAID_STATEMENT_TALLY``), per minute and session, and on PostgreSQL the
transactions of the database (``xact_commit + xact_rollback`` of ``pg_stat_database``,
which also see the pool's pre-ping): the fragment's whole round trip (the websocket
message, the script thread, the session's state) besides the store's part.

Medians are printed and written as JSON to ``benchmarks/out/live-<time>.json`` with the
load average before and after (the machine is shared, so CPU figures move with its load).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import (
    OUT,
    PASSWORD,
    RHINE,
    Client,
    Server,
    busiest_jurisdictions,
    create_accounts,
    start_server,
)

from mutualaid.access.actor import system_actor
from mutualaid.settings import (
    LIVE_REFRESH_ENV,
    STATE_DIR_ENV,
    STATEMENT_TALLY_ENV,
    STORE_FILE_NAME,
)
from mutualaid.store.database import DATABASE_URL_ENV, Store
from mutualaid.ui.live import redraw_due

PG_ENV = "MUTUALAID_TEST_PG_URL"
PAGE = "workflow"
#: Clocks ticks per second of /proc/PID/stat.
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process *pid* so far, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


@dataclass
class Database:
    """Where the app server keeps its store, and how to count its transactions."""

    url: str
    admin: sa.engine.Engine | None = None
    database: str = ""

    def transactions(self) -> int | None:
        if self.admin is None:
            return None
        with self.admin.connect() as connection:
            connection.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
            return int(
                connection.execute(
                    sa.text(
                        "SELECT xact_commit + xact_rollback FROM pg_stat_database "
                        "WHERE datname = :name"
                    ),
                    {"name": self.database},
                ).scalar_one()
            )

    def drop(self) -> None:
        if self.admin is not None:
            with self.admin.connect() as connection:
                connection.exec_driver_sql(
                    f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'
                )
            self.admin.dispose()


def make_store(backend: str, state: Path) -> Database:
    if backend == "sqlite":
        return Database(f"sqlite:///{state / STORE_FILE_NAME}")
    server = os.environ.get(PG_ENV)
    if not server:
        raise SystemExit(f'{PG_ENV} is not set (run: eval "$(scripts/postgres.sh)")')
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"mutualaid_live_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE mutualaid_template')
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    return Database(url, admin, name)


@dataclass
class Session:
    """One open page that does what the browser does for the live fragment."""

    client: Client
    reruns: int = 0
    failures: list[str] = field(default_factory=list)

    async def follow(self, stop: asyncio.Event) -> None:
        if not self.client.auto_reruns:
            self.failures.append("the page asked for no timed fragment rerun")
            return
        fragment_id, interval = next(iter(self.client.auto_reruns.items()))
        # On a fixed beat, as the frontend's timer (not *interval* after each answer).
        beat = time.monotonic()
        while not stop.is_set():
            beat += interval
            try:
                await asyncio.wait_for(stop.wait(), max(0.0, beat - time.monotonic()))
                return
            except TimeoutError:
                pass
            run = await self.client.rerun(PAGE, fragment_id=fragment_id)
            self.reruns += 1
            if not run.ok:
                self.failures.append(run.note)


async def open_sessions(url: str, usernames: list[str], timeout: float) -> list[Session]:
    """Sign each username in (two at a time: the server lets one address verify two
    passwords at once) and open the Workflow page."""
    sessions: list[Session] = []
    gate = asyncio.Semaphore(2)

    async def one(username: str) -> None:
        client = Client(url, timeout)
        await client.connect()
        async with gate:
            _opened, signed = await client.sign_in(PAGE, username)
        if not signed.ok:
            raise SystemExit(f"{username} could not sign in: {signed.note}")
        opened = await client.rerun(PAGE)
        if not opened.ok:
            raise SystemExit(f"{username} could not open {PAGE}: {opened.note}")
        sessions.append(Session(client))

    await asyncio.gather(*(one(u) for u in usernames))
    return sessions


@dataclass
class Window:
    seconds: float
    cpu_s: float
    statements: int
    #: PostgreSQL transactions per look (None: SQLite, or no session).
    transactions_per_look: float | None
    fragment_reruns: int


def tally_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


async def measure(
    server: Server, store: Database, tally: Path, sessions: list[Session], seconds: float
) -> Window:
    """One window: the sessions follow live (if any) for *seconds*.

    PostgreSQL flushes a backend's counters when it goes idle, at most once a second
    (an idle one within 10 s): its transactions are read 11 s after the sessions stopped,
    before and after, and counted per look over all the looks in between.
    """
    settle = 11.0 if store.admin is not None else 0.0
    await asyncio.sleep(settle)
    xacts0 = store.transactions()
    stop = asyncio.Event()
    tasks = [asyncio.create_task(s.follow(stop)) for s in sessions]
    runs0 = sum(s.reruns for s in sessions)
    await asyncio.sleep(min(5.0, seconds / 4))  # every session into its rhythm
    before_runs = sum(s.reruns for s in sessions)
    cpu0, stmts0 = cpu_seconds(server.process.pid), tally_size(tally)
    t0 = time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - t0
    cpu1, stmts1 = cpu_seconds(server.process.pid), tally_size(tally)
    runs = sum(s.reruns for s in sessions) - before_runs
    stop.set()
    await asyncio.gather(*tasks)
    all_runs = sum(s.reruns for s in sessions) - runs0
    await asyncio.sleep(settle)
    xacts1 = store.transactions()
    per_look = (
        None if xacts0 is None or xacts1 is None or all_runs == 0 else (xacts1 - xacts0) / all_runs
    )
    return Window(elapsed, cpu1 - cpu0, stmts1 - stmts0, per_look, runs)


def per_minute(value: float, seconds: float) -> float:
    return value * 60.0 / seconds


# --- the polling path alone (--mode direct) ---------------------------------------------


@dataclass
class DirectWindow:
    """What N sessions' looks cost over one window."""

    seconds: float
    cpu_s: float
    statements: int
    checkouts: int
    looks: int
    #: Looks that found the page out of date (none should: nothing changes).
    redraws: int


def direct_window(
    store: Store, sessions: int, interval: float, seconds: float, counts: dict[str, int]
) -> DirectWindow:
    """*sessions* threads, each looking at the change mark every *interval* seconds on a
    fixed beat (staggered over the interval, as pages opened at different times), for
    *seconds*; *counts* is what the engine's listeners add to."""
    from mutualaid.store.changes import change_mark

    drawn = change_mark(store)
    start = time.monotonic() + 0.5
    end = start + seconds
    looks = [0] * sessions
    redraws = [0] * sessions

    def session(index: int) -> None:
        beat = start + interval * index / sessions
        while beat < end:
            delay = beat - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            due, _mark = redraw_due(store, drawn)
            looks[index] += 1
            redraws[index] += due
            beat += interval

    threads = [threading.Thread(target=session, args=(i,)) for i in range(sessions)]
    for thread in threads:
        thread.start()
    while time.monotonic() < start:
        time.sleep(0.01)
    cpu0, wall0 = time.process_time(), time.monotonic()
    stmts0, checkouts0 = counts["statements"], counts["checkouts"]
    for thread in threads:
        thread.join()
    return DirectWindow(
        time.monotonic() - wall0,
        time.process_time() - cpu0,
        counts["statements"] - stmts0,
        counts["checkouts"] - checkouts0,
        sum(looks),
        sum(redraws),
    )


def direct_backend(backend: str, args: argparse.Namespace) -> dict:
    """The polling path on one backend: a store with a few changes in it, then
    ``--repeats`` windows of each session count."""
    from mutualaid.store import open_store
    from mutualaid.store.accounts import add_account
    from mutualaid.store.migrate import upgrade

    base = Path(tempfile.mkdtemp(prefix="mutualaid-live-direct-"))
    where = make_store(backend, base)
    store = open_store(where.url)
    counts = {"statements": 0, "checkouts": 0}

    def statement(*_args: object) -> None:
        counts["statements"] += 1  # one interpreter lock: += from threads is counted whole

    def checkout(*_args: object) -> None:
        counts["checkouts"] += 1

    try:
        upgrade(store)
        for i in range(3):  # a mark above 0
            add_account(
                store,
                username=f"live{i}",
                role="coordinator",
                jurisdiction="NL-LI",
                password=PASSWORD,
                actor=system_actor("live-benchmark"),
            )
        redraw_due(store, 0)  # the pool's first connections aside
        sa.event.listen(store.engine, "before_cursor_execute", statement)
        sa.event.listen(store.engine, "checkout", checkout)
        rows = []
        for count in args.sessions:
            windows = [
                direct_window(store, count, args.interval, args.window, counts)
                for _ in range(args.repeats)
            ]

            def median(values: list[float]) -> float:
                return statistics.median(values)

            row = {
                "sessions": count,
                "cpu_ms_per_min_per_session": median(
                    [per_minute(w.cpu_s, w.seconds) * 1000 / count for w in windows]
                ),
                "cpu_ms_per_look": median([w.cpu_s * 1000 / w.looks for w in windows]),
                "statements_per_min_per_session": median(
                    [per_minute(w.statements, w.seconds) / count for w in windows]
                ),
                "statements_per_look": median([w.statements / w.looks for w in windows]),
                "checkouts_per_min_per_session": median(
                    [per_minute(w.checkouts, w.seconds) / count for w in windows]
                ),
                "looks_per_min_per_session": median(
                    [per_minute(w.looks, w.seconds) / count for w in windows]
                ),
                "redraws": sum(w.redraws for w in windows),
                "windows": [w.__dict__ for w in windows],
            }
            rows.append(row)
            print(
                f"{backend}, {count} sessions: CPU {row['cpu_ms_per_min_per_session']:.1f} ms "
                f"per min per session ({row['cpu_ms_per_look']:.2f} ms per look), "
                f"{row['statements_per_min_per_session']:.1f} statements per min per session "
                f"({row['statements_per_look']:.2f} per look, "
                f"{row['checkouts_per_min_per_session']:.1f} pool checkouts), "
                f"{row['looks_per_min_per_session']:.1f} looks/min, redraws {row['redraws']}"
            )
        return {"backend": backend, "runs": rows}
    finally:
        store.dispose()
        where.drop()


def direct(args: argparse.Namespace) -> dict:
    results: dict = {
        "mode": "direct",
        "interval_s": args.interval,
        "window_s": args.window,
        "repeats": args.repeats,
        "cpu_count": os.cpu_count(),
        "load_before": os.getloadavg(),
    }
    backends = ["sqlite", "postgresql"] if args.backend is None else [args.backend]
    results["backends"] = [direct_backend(b, args) for b in backends]
    results["load_after"] = os.getloadavg()
    return results


# --- the real app server (--mode server) -------------------------------------------------


async def run(args: argparse.Namespace) -> dict:
    base = Path(tempfile.mkdtemp(prefix="mutualaid-live-"))
    state = base / "state"
    state.mkdir()
    tally = base / "statements.tally"
    store = make_store(args.backend, state)
    most = max(args.sessions)
    jurisdictions = busiest_jurisdictions(RHINE, 10)
    usernames = [f"live{i:03d}" for i in range(most)]
    create_accounts(
        store.url,
        {u: jurisdictions[i % len(jurisdictions)] for i, u in enumerate(usernames)},
        by="live-benchmark",
    )
    env = {
        STATE_DIR_ENV: str(state),
        DATABASE_URL_ENV: store.url,
        STATEMENT_TALLY_ENV: str(tally),
        LIVE_REFRESH_ENV: str(args.interval),
    }
    server = start_server(state, env)
    results: dict = {
        "mode": "server",
        "backend": args.backend,
        "interval_s": args.interval,
        "window_s": args.window,
        "repeats": args.repeats,
        "load_before": os.getloadavg(),
        "runs": [],
    }
    try:
        # A warm server: one session opens the page once, then leaves.
        warm = await open_sessions(server.url, usernames[:1], args.timeout)
        for s in warm:
            await s.client.close()
        idle = [await measure(server, store, tally, [], args.window) for _ in range(args.repeats)]
        idle_cpu = statistics.median(per_minute(w.cpu_s, w.seconds) for w in idle)
        idle_stmts = statistics.median(per_minute(w.statements, w.seconds) for w in idle)
        results["idle"] = {"cpu_ms_per_min": idle_cpu * 1000, "statements_per_min": idle_stmts}
        print(f"0 sessions: CPU {idle_cpu * 1000:.0f} ms/min, {idle_stmts:.1f} statements/min")
        opened: list[Session] = []
        for count in sorted(args.sessions):
            opened += await open_sessions(server.url, usernames[len(opened) : count], args.timeout)
            windows = [
                await measure(server, store, tally, opened, args.window)
                for _ in range(args.repeats)
            ]
            cpu = [(per_minute(w.cpu_s, w.seconds) - idle_cpu) * 1000 / count for w in windows]
            stmts = [(per_minute(w.statements, w.seconds) - idle_stmts) / count for w in windows]
            looks = [per_minute(w.fragment_reruns, w.seconds) / count for w in windows]
            xacts = [
                w.transactions_per_look * look
                for w, look in zip(windows, looks)
                if w.transactions_per_look is not None
            ]
            failures = [f for s in opened for f in s.failures]
            row = {
                "sessions": count,
                "cpu_ms_per_min_per_session": statistics.median(cpu),
                "cpu_ms_per_min_per_session_all": cpu,
                "statements_per_min_per_session": statistics.median(stmts),
                "transactions_per_min_per_session": statistics.median(xacts) if xacts else None,
                "looks_per_min_per_session": statistics.median(looks),
                "server_cpu_share": statistics.median(w.cpu_s / w.seconds for w in windows),
                "failures": failures[:10],
            }
            results["runs"].append(row)
            xacts_text = (
                f", {row['transactions_per_min_per_session']:.1f} transactions" if xacts else ""
            )
            print(
                f"{count} sessions: CPU {row['cpu_ms_per_min_per_session']:.0f} ms/min per "
                f"session (all: {', '.join(f'{c:.0f}' for c in cpu)}), "
                f"{row['statements_per_min_per_session']:.1f} statements{xacts_text} per min "
                f"per session, {row['looks_per_min_per_session']:.1f} looks/min; server at "
                f"{row['server_cpu_share'] * 100:.0f} % of a core; failures {len(failures)}"
            )
        for s in opened:
            await s.client.close()
    finally:
        server.stop()
        store.drop()
    results["load_after"] = os.getloadavg()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[50])
    parser.add_argument("--window", type=float, default=60.0, help="seconds per window")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--interval", type=float, default=2.0, help="live refresh, seconds")
    parser.add_argument(
        "--backend",
        choices=("postgresql", "sqlite"),
        default=None,
        help="direct: both by default; server: postgresql by default",
    )
    parser.add_argument("--mode", choices=("direct", "server"), default="direct")
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args(argv)
    if args.mode == "direct":
        results = direct(args)
    else:
        args.backend = args.backend or "postgresql"
        results = asyncio.run(run(args))
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"live-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

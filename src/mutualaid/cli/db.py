"""``mutualaid db init``, ``mutualaid load SCENARIO_DIR [--as USER]`` (contract,
section 3) and the store side of ``mutualaid allocate --stored SCENARIO``.

``db init`` creates the store ``MUTUALAID_DATABASE_URL`` names (by default an SQLite file
in the app's data folder) or brings its schema to the newest migration. ``load`` checks a
scenario folder and stores all its layers as one audited change; a folder that fails its
checks stores nothing. Exit codes: 0 done, 1 refused or failed, 2 wrong usage; never a
traceback.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from mutualaid.errors import MutualAidError, StoreFull

EXIT_OK = 0
EXIT_REFUSED = 1

#: The lowest role allowed to load a scenario (a planner uploads layers).
LOAD_ROLE = "planner"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``db init`` and ``load`` to the ``mutualaid`` parser."""
    db = subparsers.add_parser("db", help="create or upgrade the store")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    init = db_sub.add_parser("init", help="create the store, or upgrade its schema")
    init.set_defaults(handler=run_db_init)

    load = subparsers.add_parser(
        "load", help="check a scenario folder and store all its layers as one change"
    )
    load.add_argument(
        "scenario_dir", metavar="SCENARIO_DIR", help="folder with the scenario's layers"
    )
    load.add_argument(
        "--as",
        dest="as_user",
        metavar="USER",
        default=None,
        help="act as this account (a planner or above); default: the system "
        "user running the command",
    )
    load.set_defaults(handler=run_load)


def _unreachable(command: str, url: str, exc: Exception) -> int:
    from mutualaid.store.database import DISK_FULL_MESSAGE, is_disk_full

    if is_disk_full(exc):
        print(f"mutualaid {command}: {DISK_FULL_MESSAGE}", file=sys.stderr)
        return EXIT_REFUSED
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    print(
        f"mutualaid {command}: cannot use the store {url}: "
        f"{reason[0] if reason else type(exc).__name__}",
        file=sys.stderr,
    )
    return EXIT_REFUSED


def _open_and_upgrade(command: str):
    import sqlalchemy as sa

    from mutualaid.store import database_url, open_store
    from mutualaid.store.migrate import upgrade

    url = database_url()
    try:
        store = open_store(url)
    except (sa.exc.ArgumentError, ImportError, ValueError) as exc:
        return _unreachable(command, url, exc)
    try:
        before, after = upgrade(store)
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        store.dispose()
        return _unreachable(command, store.url, exc)
    return store, before, after


def run_db_init(args: argparse.Namespace) -> int:
    """``mutualaid db init``: create or upgrade the store; say which."""
    opened = _open_and_upgrade("db init")
    if isinstance(opened, int):
        return opened
    store, before, after = opened
    try:
        if before is None:
            what = f"created at revision {after}"
        elif before == after:
            what = f"already at revision {after}"
        else:
            what = f"upgraded from {before} to {after}"
        print(f"store {store.url}: {what}")
        return EXIT_OK
    finally:
        store.dispose()


def _actor(store, username: str | None):
    from mutualaid.access.actor import system_actor

    if username is None:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry in some containers
            name = "cli"
        return system_actor(name)
    from mutualaid.store.accounts import active_actor

    actor = active_actor(store, username)
    if actor is None:
        return f"there is no enabled account named {username!r} (unknown or disabled)"
    if not actor.at_least(LOAD_ROLE):
        return (
            f"{username} is a {actor.role}: loading a scenario needs the {LOAD_ROLE} role or above"
        )
    return actor


def _sources(folder: Path, scenario) -> dict[str, str]:
    from mutualaid.scenario.loading import SCENARIO_FILES, TRAVEL_TIMES_FILE

    sources = dict(SCENARIO_FILES)
    if scenario.travel_times is not None:
        sources["travel_times"] = TRAVEL_TIMES_FILE
    return sources


def run_load(args: argparse.Namespace) -> int:
    """``mutualaid load SCENARIO_DIR [--as USER]``: check the folder, then store it."""
    import sqlalchemy as sa  # here, not at the top: building the parser stays fast

    from mutualaid.scenario.loading import load_scenario, scenario_fingerprint
    from mutualaid.store.layer_store import KINDS, StaleLayer, save_scenario, version_numbers

    opened = _open_and_upgrade("load")
    if isinstance(opened, int):
        return opened
    store = opened[0]
    try:
        try:
            actor = _actor(store, args.as_user)
        except sa.exc.SQLAlchemyError as exc:
            return _unreachable("load", store.url, exc)
        if isinstance(actor, str):
            print(f"mutualaid load: {actor}; nothing stored", file=sys.stderr)
            return EXIT_REFUSED
        folder = Path(args.scenario_dir)
        name = folder.resolve().name
        # What is stored when the load starts: the save refuses if someone stores a
        # newer version of any layer before it (the Layers page's stale check).
        try:
            started_from = version_numbers(store, name)
        except sa.exc.SQLAlchemyError as exc:
            return _unreachable("load", store.url, exc)
        result = load_scenario(folder)
        if not result.ok:
            for report in result.reports:
                for line in report.lines():
                    if line.startswith("error"):
                        print(f"{report.source}: {line}", file=sys.stderr)
            print(f"{args.scenario_dir}: scenario rejected, nothing stored", file=sys.stderr)
            return EXIT_REFUSED
        try:
            stored = save_scenario(
                store,
                result.accepted,
                name=name,
                sources=_sources(folder, result.scenario),
                actor=actor,
                files_fingerprint=scenario_fingerprint(folder.resolve()),
                expected_versions=started_from,
            )
        except StoreFull as exc:
            print(f"mutualaid load: {exc}", file=sys.stderr)
            return EXIT_REFUSED
        except StaleLayer as exc:
            print(f"mutualaid load: not stored: {exc}; run the load again", file=sys.stderr)
            return EXIT_REFUSED
        except MutualAidError as exc:
            print(f"mutualaid load: {exc}; nothing stored", file=sys.stderr)
            return EXIT_REFUSED
        except sa.exc.SQLAlchemyError as exc:
            return _unreachable("load", store.url, exc)
        print(f"scenario {name} stored in {store.url} by {actor.username}:")
        for kind in KINDS:
            version = stored.versions.get(kind)
            if kind in stored.changed and version is None:
                print(f"{kind}: removed")
            elif version is None:
                continue
            elif kind in stored.changed:
                noun = "feature" if version.features == 1 else "features"
                print(f"{kind}: version {version.version}, {version.features:,} {noun}")
            else:
                print(f"{kind}: unchanged (version {version.version})")
        return EXIT_OK
    finally:
        store.dispose()


def _open_existing(command: str):
    """The store, at the newest schema, without creating or upgrading anything: a plan
    only reads. An exit code (said in words) when it cannot be used."""
    import sqlalchemy as sa

    from mutualaid.store import database_url, open_store
    from mutualaid.store.migrate import current_revision, head_revision

    url = database_url()
    try:
        parsed = sa.engine.make_url(url)
        if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
            print(
                f"mutualaid {command}: there is no store at {url}: run `mutualaid db init` "
                "and `mutualaid load SCENARIO_DIR` first",
                file=sys.stderr,
            )
            return EXIT_REFUSED
        store = open_store(url)
    except (sa.exc.ArgumentError, ImportError, ValueError) as exc:
        return _unreachable(command, url, exc)
    try:
        revision = current_revision(store)
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        store.dispose()
        return _unreachable(command, store.url, exc)
    if revision != head_revision():
        store.dispose()
        print(
            f"mutualaid {command}: the store {store.url} is at revision {revision or 'none'}, "
            f"this version needs {head_revision()}: run `mutualaid db init`",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    return store


def stored_plan(command: str, name: str):
    """Plan the stored scenario *name* from what is still free and still needed.

    The store's current layers (with the edits made in the app) less the units the
    workflow holds (committed, en route, on scene), with the reserve caps counting the
    units each jurisdiction already holds abroad: the plan the Allocation page shows.

    Parameters
    ----------
    command : str
        The command's name, for messages (``"allocate"``).
    name : str
        The stored scenario's name (``mutualaid load`` stores a folder under its name).

    Returns
    -------
    (Plan, Scenario, Held) or int
        The plan, the free part it was made of and the held units; or an exit code
        when the store cannot be used or holds no such scenario (said in words).
    """
    import sqlalchemy as sa

    from mutualaid.allocation import allocate
    from mutualaid.allocation.held import free_part
    from mutualaid.store.layer_store import load_stored_scenario, scenario_names
    from mutualaid.store.workflow import held_lines

    opened = _open_existing(command)
    if isinstance(opened, int):
        return opened
    store = opened
    try:
        stored = load_stored_scenario(store, name)
        if stored is None:
            names = scenario_names(store)
            known = ", ".join(names) if names else "none"
            print(
                f"mutualaid {command}: the store holds no scenario named {name!r} "
                f"(stored: {known})",
                file=sys.stderr,
            )
            return EXIT_REFUSED
        held = held_lines(store, name)
    except sa.exc.SQLAlchemyError as exc:
        return _unreachable(command, store.url, exc)
    finally:
        store.dispose()
    free = free_part(stored.scenario, held)
    return allocate(free, held=held), free, held

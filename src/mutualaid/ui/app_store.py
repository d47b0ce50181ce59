"""The app's store: opened, upgraded and seeded once per server process.

On the first start against an empty store the sample scenarios are stored and demo
accounts are created; their generated passwords are printed once to the server's
console (the terminal running ``make run``) and kept nowhere else.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

from mutualaid.scenario.catalogue import find_scenarios, scenario_roots
from mutualaid.settings import demo_accounts_wanted
from mutualaid.store import Store, database_url, open_store
from mutualaid.store.migrate import upgrade

#: The sample scenarios shipped in ``data/``.
DATA_DIR = Path(__file__).resolve().parents[3] / "data"


def _print_first_run(accounts: list) -> None:
    if not accounts:
        return
    lines = [
        "",
        "Mutual Aid: demo accounts created for this store (shown once; change them",
        "with `mutualaid users passwd USERNAME`):",
    ]
    lines += [
        f"  {user:<22} {role:<12} {jurisdiction or '-':<10} {password}"
        for user, role, jurisdiction, password in accounts
    ]
    print("\n".join(lines) + "\n", file=sys.stdout, flush=True)


def app_store() -> Store:
    """The store ``MUTUALAID_DATABASE_URL`` (or the state folder's SQLite file) names,
    with its schema at the newest migration and, on first use, the samples and demo
    accounts in it. One per server process and URL, shared by every session."""
    return _opened(database_url())


@st.cache_resource(show_spinner="Opening the store…")
def _opened(url: str) -> Store:
    from mutualaid.store.seed import first_run

    store = open_store(url)
    upgrade(store)
    if demo_accounts_wanted():
        outcome = first_run(store, scenario_dirs=find_scenarios(scenario_roots(default=DATA_DIR)))
        _print_first_run(outcome.accounts)
    return store

"""First start of the app against a new store: the sample scenarios and demo accounts.

:func:`first_run` runs at every start of the app and does something only when the store
has no scenarios (it stores the sample scenario folders) or no accounts (it creates an
admin and, for each of the stored scenarios, coordinators on both sides of a border and of
its busiest jurisdictions, a planner and a viewer: every job, issue 13). The
demo passwords come from :mod:`secrets`: they exist nowhere but in the returned
:class:`FirstRun`, which the app prints once to its console.

Two app servers starting at once against one store do not both seed. Storing a scenario
whose layers are already stored adds no version (:func:`mutualaid.store.layer_store.save_scenario`
compares contents), so the second server's samples change nothing; the demo accounts are
created in one transaction, and the second server's either finds them (SQLite: it waited
for the first's write lock) or fails on the unique username (PostgreSQL), which
:func:`first_run` turns into an empty :class:`FirstRun`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from mutualaid.access.actor import system_actor
from mutualaid.errors import MutualAidError
from mutualaid.store.accounts import (
    count_accounts,
    generate_password,
    hash_password,
    insert_account,
)
from mutualaid.store.database import Store

if TYPE_CHECKING:
    from mutualaid.scenario.loading import Scenario

#: Most demo accounts created (the admin included): enough for every job in each sample
#: (issue 13: a planner, a viewer and coordinators on both sides of a border in each), few
#: enough to read.
DEMO_MAX_ACCOUNTS = 16
#: Per scenario, coordinators for up to this many jurisdictions with the most active
#: incidents besides the two on either side of its busiest border, while
#: :data:`DEMO_MAX_ACCOUNTS` allows.
DEMO_INCIDENT_JURISDICTIONS = 3
#: Scenarios whose jurisdictions get demo accounts (the first ones stored).
DEMO_SCENARIOS = 3


@dataclass(frozen=True)
class DemoAccount:
    """One demo account to create.

    Parameters
    ----------
    username, role : str
    jurisdiction : str or None
    display_name : str
    reason : str
        Why this jurisdiction was picked, for people.
    """

    username: str
    role: str
    jurisdiction: str | None
    display_name: str
    reason: str = ""


@dataclass
class FirstRun:
    """What :func:`first_run` did.

    Parameters
    ----------
    scenarios : list of str
        Names of the scenarios stored now (empty when the store had some).
    accounts : list of (username, role, jurisdiction, password)
        The demo accounts created now, with their passwords: show them once, keep them
        nowhere. Empty when the store had accounts.
    problems : list of str
        Sample folders that could not be stored, and why.
    """

    scenarios: list[str] = field(default_factory=list)
    accounts: list[tuple[str, str, str | None, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def first_run(
    store: Store, *, scenario_dirs: Sequence[Path], now: datetime | None = None
) -> FirstRun:
    """Store the sample scenarios when the store has none, and create the demo accounts
    when it has no accounts.

    Parameters
    ----------
    store : Store
        With its schema created (:func:`mutualaid.store.migrate.upgrade`).
    scenario_dirs : sequence of pathlib.Path
        Scenario folders to store, each under its folder's name.
    now : datetime.datetime, optional
        The time recorded (UTC); the current time when None.

    Returns
    -------
    FirstRun
        Empty when there was nothing to do, or when another server seeded the store
        at the same moment.
    """
    from mutualaid.store.layer_store import scenario_names

    when = now or datetime.now(UTC)
    outcome = FirstRun()
    try:
        if not scenario_names(store):
            _store_samples(store, scenario_dirs, outcome, now=when)
        outcome.accounts = _create_demo_accounts(store, first=outcome.scenarios, now=when)
    except sa.exc.IntegrityError:
        # Another server stored the same scenario or account names first: it seeds.
        return FirstRun()
    return outcome


def _store_samples(
    store: Store, scenario_dirs: Sequence[Path], outcome: FirstRun, *, now: datetime
) -> None:
    from mutualaid.scenario.loading import (
        SCENARIO_FILES,
        TRAVEL_TIMES_FILE,
        load_scenario,
        scenario_fingerprint,
    )
    from mutualaid.store.layer_store import save_scenario

    actor = system_actor("first-run")
    for folder in scenario_dirs:
        folder = Path(folder)
        result = load_scenario(folder)
        if not result.ok:
            errors = [
                line
                for report in result.reports
                for line in report.lines()
                if line.startswith("error")
            ]
            outcome.problems.append(
                f"{folder}: not stored, the scenario is rejected"
                + (f" ({errors[0]})" if errors else "")
            )
            continue
        sources = dict(SCENARIO_FILES)
        if result.accepted.travel_times is not None:
            sources["travel_times"] = TRAVEL_TIMES_FILE
        stored = save_scenario(
            store,
            result.accepted,
            name=folder.name,
            sources=sources,
            actor=actor,
            now=now,
            files_fingerprint=scenario_fingerprint(folder.resolve()),
        )
        if stored.changed:  # empty when another server stored the same layers just before
            outcome.scenarios.append(folder.name)


def _create_demo_accounts(
    store: Store, *, first: Sequence[str], now: datetime
) -> list[tuple[str, str, str | None, str]]:
    with store.reading() as connection:
        if count_accounts(connection):
            return []
    wanted = demo_accounts(_stored_scenarios(store, first=first))
    passwords = {account.username: generate_password() for account in wanted}
    # Hash before the transaction (about 0.1 s each), not while holding the write lock.
    hashes = {username: hash_password(password) for username, password in passwords.items()}
    actor = system_actor("first-run")
    with store.transaction() as connection:
        # Checked again inside the transaction: on SQLite a second server waits here for
        # the first and then finds its accounts; on PostgreSQL both may get past this and
        # the second fails on the unique username (IntegrityError, caught by first_run).
        if count_accounts(connection):
            return []
        for account in wanted:
            insert_account(
                connection,
                username=account.username,
                role=account.role,
                jurisdiction=account.jurisdiction,
                password_hash=hashes[account.username],
                display_name=account.display_name,
                actor=actor,
                now=now,
            )
    return [(a.username, a.role, a.jurisdiction, passwords[a.username]) for a in wanted]


def _stored_scenarios(store: Store, *, first: Sequence[str]) -> list[Scenario]:
    """The stored scenarios demo coordinators are made for: those named in *first* (the
    samples just stored, in their order), then the others by name."""
    from mutualaid.store.layer_store import load_stored_scenario, scenario_names

    names = list(dict.fromkeys([*first, *scenario_names(store)]))
    found = []
    for name in names[:DEMO_SCENARIOS]:
        try:
            stored = load_stored_scenario(store, name)
        except MutualAidError:
            continue  # it no longer passes its checks: the app says so where it is used
        if stored is not None and stored.scenario is not None:
            found.append(stored.scenario)
    return found


# --- Which demo accounts -------------------------------------------------------------


def username_part(jurisdiction: str) -> str:
    """A jurisdiction id as part of a username: ``"DE-NW"`` -> ``"de-nw"``."""
    text = "".join(
        ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "-" for ch in jurisdiction.lower()
    )
    return text.strip("-")[:150] or "x"


def busiest_jurisdictions(scenario: Scenario) -> list[str]:
    """Jurisdictions by number of active incidents, most first (ties by id)."""
    incidents = scenario.incidents
    if "status" in incidents.columns:
        incidents = incidents[incidents["status"] == "active"]
    counts = Counter(str(j) for j in incidents["jurisdiction"].dropna())
    return [j for j, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def _cross_border_units(scenario: Scenario) -> Counter[tuple[str, str]]:
    """Units the optimal plan sends from one jurisdiction to another, per (from, to)."""
    from mutualaid.allocation import allocate

    units: Counter[tuple[str, str]] = Counter()
    for line in allocate(scenario).to_dict()["assignments"]:
        if line["cross_border"]:
            units[(str(line["from_jurisdiction"]), str(line["to_jurisdiction"]))] += int(
                line["units"]
            )
    return units


def top_cross_border_provider(scenario: Scenario) -> str | None:
    """The jurisdiction whose units the optimal plan sends across borders most (by units;
    ties by id), or None when the plan sends none."""
    units: Counter[str] = Counter()
    for (provider, _), count in _cross_border_units(scenario).items():
        units[provider] += count
    ranked = sorted(units.items(), key=lambda item: (-item[1], item[0]))
    return ranked[0][0] if ranked else None


def border_pair(scenario: Scenario) -> tuple[str, str] | None:
    """Two jurisdictions on either side of the scenario's busiest border: the (provider,
    receiver) pair the optimal plan sends most units between, a pair of two countries
    first (ties by ids); without such help, the busiest jurisdiction and the busiest of
    another country; None when there is no second country with incidents either.

    Examples
    --------
    For the Rhine flood sample ``("NL-LI", "BE-WLG")``: Limburg's units to Liège.
    """
    countries = {
        str(j): str(c)
        for j, c in zip(scenario.jurisdictions["id"], scenario.jurisdictions["country"])
    }
    pairs = sorted(
        _cross_border_units(scenario).items(),
        key=lambda item: (
            countries.get(item[0][0]) == countries.get(item[0][1]),  # national borders first
            -item[1],
            item[0],
        ),
    )
    if pairs:
        return pairs[0][0]
    busiest = busiest_jurisdictions(scenario)
    abroad = [j for j in busiest[1:] if busiest and countries.get(j) != countries.get(busiest[0])]
    return (busiest[0], abroad[0]) if abroad else None


def demo_accounts(scenarios: Sequence[Scenario]) -> list[DemoAccount]:
    """The demo accounts for *scenarios* (issue 13: every job in every scenario):
    ``admin``; per scenario a coordinator on either side of its busiest border
    (:func:`border_pair`), a planner and a viewer for its busiest jurisdiction, then, while
    :data:`DEMO_MAX_ACCOUNTS` allows, coordinators for its busiest jurisdictions (up to
    :data:`DEMO_INCIDENT_JURISDICTIONS` each, the busiest of every scenario first). One
    account per username: a jurisdiction in two scenarios gets one coordinator.

    Examples
    --------
    For the Rhine flood sample alone: ``admin``, ``coord-nl-li``, ``coord-be-wlg`` (Limburg
    sends units across the border to Liège), ``planner-de-nw``, ``viewer-de-nw``,
    ``coord-de-nw``, ``coord-de-rp``.
    """
    chosen: dict[str, DemoAccount] = {
        "admin": DemoAccount(
            "admin", "admin", None, "Administrator", "manages agreements and accounts"
        )
    }

    def take(account: DemoAccount) -> None:
        if len(chosen) < DEMO_MAX_ACCOUNTS:
            chosen.setdefault(account.username, account)

    busiest = [busiest_jurisdictions(s) for s in scenarios]
    for scenario, ranked in zip(scenarios, busiest):
        pair = border_pair(scenario)
        if pair is not None:
            provider, receiver = pair
            take(_coordinator(provider, f"sends units across the border to {receiver}"))
            take(_coordinator(receiver, f"receives units from {provider} across the border"))
        if ranked:
            home = ranked[0]
            take(
                DemoAccount(
                    f"planner-{username_part(home)}",
                    "planner",
                    home,
                    f"Planner {home}",
                    "the busiest jurisdiction",
                )
            )
            take(
                DemoAccount(
                    f"viewer-{username_part(home)}",
                    "viewer",
                    home,
                    f"Viewer {home}",
                    "the busiest jurisdiction",
                )
            )
    for rank in range(DEMO_INCIDENT_JURISDICTIONS):
        for ranked in busiest:
            if rank < len(ranked):
                take(_coordinator(ranked[rank], "among the most incidents"))
    return list(chosen.values())


def _coordinator(jurisdiction: str, reason: str) -> DemoAccount:
    return DemoAccount(
        f"coord-{username_part(jurisdiction)}",
        "coordinator",
        jurisdiction,
        f"Coordinator {jurisdiction}",
        reason,
    )

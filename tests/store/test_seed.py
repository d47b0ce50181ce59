"""The app's first start on both backends: the sample scenarios are stored and demo
accounts created once, with passwords that work and are kept nowhere."""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa

import builders
from builders import agreements_csv, feature, point, square
from mutualaid.access.actor import system_actor
from mutualaid.scenario.loading import load_scenario
from mutualaid.store.accounts import add_account, authenticate, list_accounts
from mutualaid.store.audit import entries, verify
from mutualaid.store.layer_store import layer_history, save_scenario, scenario_names
from mutualaid.store.seed import (
    DEMO_MAX_ACCOUNTS,
    border_pair,
    busiest_jurisdictions,
    demo_accounts,
    first_run,
    top_cross_border_provider,
    username_part,
)
from mutualaid.store.tables import accounts, audit_log

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = [ROOT / "data" / "rhine-flood-2021", ROOT / "data" / "lake-chad"]


def all_stored_text(store) -> str:
    with store.reading() as connection:
        rows = [*connection.execute(sa.select(accounts)), *connection.execute(sa.select(audit_log))]
    return "\n".join(" ".join(str(value) for value in row) for row in rows)


def test_first_run_stores_the_samples_and_creates_working_demo_accounts(store):
    outcome = first_run(store, scenario_dirs=SAMPLES)
    assert outcome.problems == []
    assert outcome.scenarios == ["rhine-flood-2021", "lake-chad"]
    assert scenario_names(store) == ["lake-chad", "rhine-flood-2021"]
    for name in outcome.scenarios:
        assert {v.kind for v in layer_history(store, name)} == {
            "jurisdictions",
            "incidents",
            "resources",
            "agreements",
        }

    created = outcome.accounts
    assert 4 <= len(created) <= DEMO_MAX_ACCOUNTS
    assert [a.username for a in list_accounts(store)] == sorted(u for u, *_ in created)
    for username, role, jurisdiction, password in created:
        actor = authenticate(store, username, password)
        assert (actor.username, actor.role, actor.jurisdiction) == (username, role, jurisdiction)
        assert len(password) >= 20
    roles = {username: (role, jurisdiction) for username, role, jurisdiction, _ in created}
    assert roles["admin"] == ("admin", None)
    for username, (role, jurisdiction) in roles.items():
        if role != "admin":
            prefix = {"coordinator": "coord", "planner": "planner", "viewer": "viewer"}[role]
            assert username == f"{prefix}-{username_part(jurisdiction)}"

    # issue 13: every job in every sample, coordinators on both sides of a border
    for folder in SAMPLES:
        scenario = load_scenario(folder).scenario
        home = busiest_jurisdictions(scenario)[0]
        assert roles[f"planner-{username_part(home)}"] == ("planner", home)
        assert roles[f"viewer-{username_part(home)}"] == ("viewer", home)
        assert roles[f"coord-{username_part(home)}"] == ("coordinator", home)
        provider, receiver = border_pair(scenario)
        countries = dict(zip(scenario.jurisdictions["id"], scenario.jurisdictions["country"]))
        assert countries[provider] != countries[receiver]  # a national border
        for side in (provider, receiver):
            assert roles[f"coord-{username_part(side)}"] == ("coordinator", side)
    assert sum(role == "planner" for role, _ in roles.values()) == len(SAMPLES)

    # the passwords are nowhere in the store, the audit log is intact and says who
    text = all_stored_text(store)
    assert all(password not in text for *_, password in created)
    with store.reading() as connection:
        assert verify(connection).ok
        log = list(entries(connection, newest_first=False))
    assert {e.actor for e in log} == {"system:first-run"}
    assert sorted(e.subject for e in log if e.action == "account.created") == sorted(
        f"account {u}" for u, *_ in created
    )


def test_a_second_first_run_creates_nothing(store):
    first = first_run(store, scenario_dirs=SAMPLES[1:])
    assert first.scenarios and first.accounts
    with store.reading() as connection:
        rows_before = len(list(entries(connection)))
    again = first_run(store, scenario_dirs=SAMPLES)
    assert (again.scenarios, again.accounts, again.problems) == ([], [], [])
    assert scenario_names(store) == ["lake-chad"]
    assert len(list_accounts(store)) == len(first.accounts)
    with store.reading() as connection:
        assert len(list(entries(connection))) == rows_before


def test_existing_accounts_are_kept_and_samples_still_stored(store):
    add_account(
        store,
        username="root",
        role="admin",
        password="a long passphrase",
        actor=system_actor("test"),
    )
    outcome = first_run(store, scenario_dirs=SAMPLES[1:])
    assert (outcome.scenarios, outcome.accounts) == (["lake-chad"], [])
    assert [a.username for a in list_accounts(store)] == ["root"]


def test_demo_accounts_come_from_stored_scenarios_when_there_are_some(store):
    result = load_scenario(SAMPLES[1])
    save_scenario(store, result.scenario, name="chad", sources={}, actor=system_actor("t"))
    outcome = first_run(store, scenario_dirs=SAMPLES[:1])  # not stored: the store has one
    assert outcome.scenarios == [] and scenario_names(store) == ["chad"]
    coordinators = {j for _, role, j, _ in outcome.accounts if role == "coordinator"}
    assert busiest_jurisdictions(result.scenario)[0] in coordinators
    assert top_cross_border_provider(result.scenario) in coordinators


def test_a_rejected_sample_is_reported_and_the_others_stored(store, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "jurisdictions.geojson").write_text("{not json", encoding="utf-8")
    outcome = first_run(store, scenario_dirs=[broken, SAMPLES[1]])
    assert outcome.scenarios == ["lake-chad"]
    assert len(outcome.problems) == 1 and outcome.problems[0].startswith(f"{broken}: not stored")


def test_no_samples_gives_an_admin_only(store):
    outcome = first_run(store, scenario_dirs=[])
    assert [(u, r, j) for u, r, j, _ in outcome.accounts] == [("admin", "admin", None)]


def test_two_servers_starting_at_once_seed_once(store):
    barrier = threading.Barrier(2)
    results = []

    def start() -> None:
        barrier.wait()
        results.append(first_run(store, scenario_dirs=SAMPLES[1:]))

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(bool(r.accounts) for r in results) == [False, True]
    winner = next(r for r in results if r.accounts)
    assert sorted(a.username for a in list_accounts(store)) == sorted(
        u for u, *_ in winner.accounts
    )
    assert [v.version for v in layer_history(store, "lake-chad", "resources")] == [1]
    for username, _, _, password in winner.accounts:
        assert authenticate(store, username, password) is not None


# --- which demo accounts (no store) --------------------------------------------------------


def write_scenario(
    folder: Path, *, incidents: dict[str, int], boats: dict[str, int], number: int = 1
) -> Path:
    """Jurisdictions AA-1, BB-1, CC-1, DD-1 side by side (countries AA..DD; ``-2``... with
    *number*); *incidents* per jurisdiction, each needing one boat; *boats* per
    jurisdiction; all may help all."""
    ids = [f"{c}{c}-{number}" for c in "ABCD"]
    items, resources = [], []
    for i, j in enumerate(ids):
        key = j[0]
        for n in range(incidents.get(key, 0)):
            items.append(
                feature(
                    point(5.5 + i, 50.1 + n / 20),
                    id=f"I-{j}-{n}",
                    hazard="flood",
                    severity=3,
                    reported_at="2021-07-14T17:30:00Z",
                    needs={"boat": 1},
                )
            )
        if boats.get(key):
            resources.append(
                feature(point(5.5 + i, 50.9), id=f"R-{j}", type="boat", quantity=boats[key])
            )
    return builders.write_scenario(
        folder,
        jurisdictions=[
            feature(square(5.0 + i, 50.0), id=j, country=j[:2]) for i, j in enumerate(ids)
        ],
        incidents=items,
        resources=resources,
        agreements=agreements_csv("*,*,*,10"),
    )


def test_coordinators_for_the_busiest_border_and_jurisdictions(tmp_path):
    folder = write_scenario(tmp_path / "s", incidents={"A": 3, "B": 2, "C": 1}, boats={"D": 6})
    scenario = load_scenario(folder).scenario
    assert busiest_jurisdictions(scenario) == ["AA-1", "BB-1", "CC-1"]
    assert top_cross_border_provider(scenario) == "DD-1"
    assert border_pair(scenario) == ("DD-1", "AA-1")  # DD-1's boats go most to AA-1
    made = demo_accounts([scenario])
    assert [(a.username, a.role, a.jurisdiction) for a in made] == [
        ("admin", "admin", None),
        ("coord-dd-1", "coordinator", "DD-1"),
        ("coord-aa-1", "coordinator", "AA-1"),
        ("planner-aa-1", "planner", "AA-1"),
        ("viewer-aa-1", "viewer", "AA-1"),
        ("coord-bb-1", "coordinator", "BB-1"),
        ("coord-cc-1", "coordinator", "CC-1"),
    ]


def test_a_national_border_comes_before_a_busier_one_inside_a_country(tmp_path):
    """AA-1 and BB-1 are one country here: DD-1 helping CC-1 is the border shown."""
    folder = builders.write_scenario(
        tmp_path / "s",
        jurisdictions=[
            feature(square(5.0 + i, 50.0), id=j, country=c)
            for i, (j, c) in enumerate(
                [("AA-1", "AA"), ("BB-1", "AA"), ("CC-1", "CC"), ("DD-1", "DD")]
            )
        ],
        incidents=[
            feature(
                point(5.5 + i, 50.5),
                id=f"I-{i}",
                hazard="flood",
                severity=3,
                reported_at="2021-07-14T17:30:00Z",
                needs={"boat": n},
            )
            for i, n in ((0, 4), (2, 1))
        ],
        resources=[
            feature(point(6.5, 50.9), id="R-BB", type="boat", quantity=4),
            feature(point(8.5, 50.9), id="R-DD", type="boat", quantity=1),
        ],
        agreements=agreements_csv("BB-1,AA-1,*,0", "DD-1,CC-1,*,0"),
    )
    scenario = load_scenario(folder).scenario
    assert top_cross_border_provider(scenario) == "BB-1"  # 4 units, but inside country AA
    assert border_pair(scenario) == ("DD-1", "CC-1")


def test_no_cross_border_use_takes_the_busiest_of_two_countries(tmp_path):
    folder = write_scenario(tmp_path / "s", incidents={"A": 2, "C": 1}, boats={"A": 2, "C": 1})
    scenario = load_scenario(folder).scenario
    assert top_cross_border_provider(scenario) is None
    assert border_pair(scenario) == ("AA-1", "CC-1")
    assert [a.username for a in demo_accounts([scenario])] == [
        "admin",
        "coord-aa-1",
        "coord-cc-1",
        "planner-aa-1",
        "viewer-aa-1",
    ]


def test_one_country_alone_has_no_border_and_still_every_job(tmp_path):
    folder = write_scenario(tmp_path / "s", incidents={"A": 2}, boats={"A": 2})
    scenario = load_scenario(folder).scenario
    assert border_pair(scenario) is None
    assert [a.username for a in demo_accounts([scenario])] == [
        "admin",
        "planner-aa-1",
        "viewer-aa-1",
        "coord-aa-1",
    ]


def test_many_scenarios_stay_within_the_limit_and_each_gets_every_job(tmp_path):
    def scenario(number: int):
        folder = write_scenario(
            tmp_path / f"s{number}-{len(list(tmp_path.iterdir()))}",
            incidents={"A": 3, "B": 2, "C": 1},
            boats={"D": 6},
            number=number,
        )
        return load_scenario(folder).scenario

    # the same jurisdictions in two scenarios: one account each
    assert len(demo_accounts([scenario(1), scenario(1)])) == 7
    # different ones: 6 each would be 19 accounts; the busiest beyond the border are cut
    made = demo_accounts([scenario(1), scenario(2), scenario(3)])
    assert len(made) == DEMO_MAX_ACCOUNTS
    assert len({a.username for a in made}) == len(made)
    for n in (1, 2, 3):
        jobs = {(a.role, a.jurisdiction) for a in made}
        assert {
            ("coordinator", f"AA-{n}"),
            ("coordinator", f"DD-{n}"),
            ("planner", f"AA-{n}"),
            ("viewer", f"AA-{n}"),
            ("coordinator", f"BB-{n}"),
        } <= jobs

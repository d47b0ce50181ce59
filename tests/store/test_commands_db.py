"""``mutualaid db init`` and ``mutualaid load`` (contract, section 3), on both backends."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from mutualaid.access.actor import system_actor
from mutualaid.cli.main import main
from mutualaid.errors import StoreFull
from mutualaid.store import audit, open_store
from mutualaid.store.accounts import add_account, disable_account
from mutualaid.store.database import DATABASE_URL_ENV, DISK_FULL_MESSAGE
from mutualaid.store.layer_store import (
    current_versions,
    load_stored_scenario,
    scenario_names,
)
from mutualaid.store.migrate import head_revision
from mutualaid.store.tables import layer_features, layer_versions, scenarios

from .conftest import drop_database, new_database_url

ROOT = Path(__file__).resolve().parents[2]
RHINE = ROOT / "data" / "rhine-flood-2021"


@pytest.fixture
def use_store(store_url, monkeypatch):
    """The store the command line uses (schema created), open for checking."""
    monkeypatch.setenv(DATABASE_URL_ENV, store_url)
    store = open_store(store_url)
    yield store
    store.dispose()


def rows(store, table):
    with store.reading() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def audit_entries(store):
    with store.reading() as connection:
        return list(audit.entries(connection, newest_first=False))


def copy_of(folder: Path, tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(folder, target)
    return target


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_db_init_creates_then_finds_the_store(kind, tmp_path, pg_admin, monkeypatch, capsys):
    url = new_database_url(kind, tmp_path, pg_admin)
    try:
        monkeypatch.setenv(DATABASE_URL_ENV, url)
        assert main(["db", "init"]) == 0
        first = capsys.readouterr()
        assert f"created at revision {head_revision()}" in first.out and first.err == ""
        assert main(["db", "init"]) == 0
        assert f"already at revision {head_revision()}" in capsys.readouterr().out
        store = open_store(url)
        try:
            assert scenario_names(store) == []
        finally:
            store.dispose()
    finally:
        drop_database(url, pg_admin)


def test_db_init_creates_the_default_sqlite_file(tmp_path, monkeypatch, capsys):
    # no MUTUALAID_DATABASE_URL: an SQLite file in the state folder (set by tests/conftest.py)
    assert main(["db", "init"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("store sqlite:///") and f"created at revision {head_revision()}" in out


def test_db_init_unreachable_store_is_one_line(monkeypatch, capsys):
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql://nobody:secret@127.0.0.1:1/none")
    assert main(["db", "init"]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "cannot use the store" in lines[0]
    assert "secret" not in captured.err and "Traceback" not in captured.err


def test_db_without_action_is_usage(capsys):
    assert main(["db"]) == 2


def test_load_stores_every_layer_once(use_store, tmp_path, capsys):
    folder = copy_of(RHINE, tmp_path, "rhine")
    assert main(["load", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "jurisdictions: version 1, 101 features" in out
    assert "incidents: version 1, 39 features" in out
    assert "agreements: version 1, 29 features" in out
    assert scenario_names(use_store) == ["rhine"]
    stored = load_stored_scenario(use_store, "rhine")
    assert len(stored.scenario.resources) == 305
    assert stored.versions["incidents"].source == "incidents.geojson"
    entry = audit_entries(use_store)[-1]
    assert entry.action == "scenario.loaded" and entry.actor.startswith("system:")
    # again: nothing new stored, the load is still audited
    assert main(["load", str(folder)]) == 0
    assert "incidents: unchanged (version 1)" in capsys.readouterr().out
    assert rows(use_store, layer_versions) == 4
    assert len(audit_entries(use_store)) == 2
    # a changed file: only that layer gets a new version
    text = (folder / "incidents.geojson").read_text(encoding="utf-8")
    (folder / "incidents.geojson").write_text(
        text.replace('"severity": 5', '"severity": 4', 1), encoding="utf-8"
    )
    assert main(["load", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "incidents: version 2, 39 features" in out
    assert "resources: unchanged (version 1)" in out
    assert current_versions(use_store, "rhine")["incidents"].version == 2
    with use_store.reading() as connection:
        assert audit.verify(connection).ok


def test_load_invalid_folder_stores_nothing(use_store, tmp_path, capsys):
    folder = copy_of(RHINE, tmp_path, "broken")
    text = (folder / "incidents.geojson").read_text(encoding="utf-8")
    (folder / "incidents.geojson").write_text(
        text.replace('"severity": 5', '"severity": 9'), encoding="utf-8"
    )
    (folder / "agreements.csv").unlink()
    assert main(["load", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "severity" in err and "agreements.csv" in err
    assert "nothing stored" in err and "Traceback" not in err
    assert scenario_names(use_store) == []
    assert rows(use_store, scenarios) == rows(use_store, layer_features) == 0
    assert audit_entries(use_store) == []


def test_load_missing_folder(use_store, tmp_path, capsys):
    assert main(["load", str(tmp_path / "nowhere")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert scenario_names(use_store) == []


def test_load_as_an_admin(use_store, tmp_path, capsys):
    add_account(
        use_store,
        username="ada",
        role="admin",
        password="correct horse battery staple",
        actor=system_actor("test"),
    )
    folder = copy_of(RHINE, tmp_path, "rhine")
    assert main(["load", str(folder), "--as", "ada"]) == 0
    capsys.readouterr()
    entry = audit_entries(use_store)[-1]
    assert entry.action == "scenario.loaded" and entry.actor == "ada"
    assert current_versions(use_store, "rhine")["resources"].loaded_by == "ada"


def test_load_as_a_planner_is_refused_for_the_whole_region(use_store, tmp_path, capsys):
    """Issue 6: a planner stores layers for its own jurisdiction; a whole scenario holds
    jurisdictions, agreements and other jurisdictions' features."""
    add_account(
        use_store,
        username="pia",
        role="planner",
        jurisdiction="DE-NW",
        password="correct horse battery staple",
        actor=system_actor("test"),
    )
    folder = copy_of(RHINE, tmp_path, "rhine")
    assert main(["load", str(folder), "--as", "pia"]) == 1
    err = capsys.readouterr().err
    assert "pia (DE-NW planner) cannot" in err and "nothing stored" in err
    assert current_versions(use_store, "rhine") == {}
    assert [e.action for e in audit_entries(use_store)][-1] == "access.denied"


@pytest.mark.parametrize("who", ["unknown", "viewer", "disabled"])
def test_load_as_someone_not_allowed_stores_nothing(use_store, tmp_path, capsys, who):
    admin = system_actor("test")
    if who == "viewer":
        add_account(
            use_store,
            username="vic",
            role="viewer",
            jurisdiction="DE-NW",
            password="correct horse battery staple",
            actor=admin,
        )
        user, said = "vic", "needs the planner role"
    elif who == "disabled":
        add_account(
            use_store,
            username="dan",
            role="planner",
            jurisdiction="DE-NW",
            password="correct horse battery staple",
            actor=admin,
        )
        disable_account(use_store, "dan", actor=admin)
        user, said = "dan", "no enabled account named 'dan'"
    else:
        user, said = "ghost", "no enabled account named 'ghost'"
    audited = len(audit_entries(use_store))
    folder = copy_of(RHINE, tmp_path, "rhine")
    assert main(["load", str(folder), "--as", user]) == 1
    err = capsys.readouterr().err
    assert said in err and "nothing stored" in err and "Traceback" not in err
    assert scenario_names(use_store) == []
    assert len(audit_entries(use_store)) == audited


def test_a_load_that_another_load_overtook_is_refused_not_silently_winning(
    use_store, tmp_path, monkeypatch, capsys
):
    # Two folders of one scenario name: the first load reads its folder while the second
    # load stores a different incidents layer; the first must then store nothing.
    slow = copy_of(RHINE, tmp_path / "a", RHINE.name)
    fast = copy_of(RHINE, tmp_path / "b", RHINE.name)
    incidents = fast / "incidents.geojson"
    text = incidents.read_text(encoding="utf-8")
    incidents.write_text(
        text.replace(
            '"name": "Vesdre flood, Pepinster"', '"name": "Vesdre flood, Pepinster (east bank)"', 1
        ),
        encoding="utf-8",
    )
    assert main(["load", str(slow)]) == 0  # version 1 of every layer
    slow_incidents = slow / "incidents.geojson"
    slow_incidents.write_text(text.replace('"severity": 5', '"severity": 4', 1), encoding="utf-8")
    capsys.readouterr()

    import mutualaid.scenario.loading as scenario_module

    real = scenario_module.load_scenario
    overtaken = []

    def load_then_let_the_other_load_run(folder, *args, **kwargs):
        result = real(folder, *args, **kwargs)
        if Path(folder) == slow and not overtaken:
            overtaken.append(True)  # the second load runs now, to its end
            assert main(["load", str(fast)]) == 0
        return result

    monkeypatch.setattr(scenario_module, "load_scenario", load_then_let_the_other_load_run)
    assert main(["load", str(slow)]) == 1
    err = capsys.readouterr().err
    assert overtaken
    assert re.search(
        rf"mutualaid load: not stored: the incidents layer of scenario "
        rf"{RHINE.name} was changed by \S+ at \d\d:\d\d UTC \(version 2\) after "
        rf"this load started \(it read version 1\); run the load again",
        err,
    ), err
    # the second load's incidents stand; the first one stored nothing
    history = current_versions(use_store, RHINE.name)
    assert history["incidents"].version == 2 and history["incidents"].source.endswith(
        "incidents.geojson"
    )
    stored = load_stored_scenario(use_store, RHINE.name)
    names = set(stored.scenario.incidents["name"])
    assert "Vesdre flood, Pepinster (east bank)" in names
    assert [e.action for e in audit_entries(use_store)].count("scenario.loaded") == 2


def test_a_full_disk_is_told_in_a_coordinators_sentence_and_nothing_is_stored(
    tmp_path, monkeypatch, capsys, full_disk
):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    first = copy_of(RHINE, tmp_path / "a", RHINE.name)
    assert main(["load", str(first)]) == 0
    bigger = copy_of(RHINE, tmp_path / "b", RHINE.name)
    text = (bigger / "incidents.geojson").read_text(encoding="utf-8")
    # a much longer description for every incident: the new version needs new pages
    (bigger / "incidents.geojson").write_text(
        text.replace('"name": "', '"name": "' + "flooded " * 40), encoding="utf-8"
    )
    capsys.readouterr()
    full_disk(url)
    assert main(["load", str(bigger)]) == 1
    err = capsys.readouterr().err
    assert err == f"mutualaid load: {DISK_FULL_MESSAGE}\n"
    store = open_store(url)
    try:
        assert current_versions(store, RHINE.name)["incidents"].version == 1
        with store.reading() as connection:
            assert audit.verify(connection).ok  # the audit chain is intact
        # the store's exception keeps its cause: the real SQLite error
        with pytest.raises(StoreFull) as caught:
            with store.transaction() as connection:
                connection.execute(
                    layer_features.insert(),
                    [
                        {"layer_version_id": 1, "position": n, "properties": "x" * 4000}
                        for n in range(50)
                    ],
                )
        assert isinstance(caught.value.__cause__, sa.exc.OperationalError)
        assert "database or disk is full" in str(caught.value.__cause__)
    finally:
        store.dispose()


# --- allocate --stored (issue 12) -----------------------------------------------------------


def test_allocate_stored_plans_a_loaded_scenario(use_store, tmp_path, capsys):
    folder = copy_of(RHINE, tmp_path, "rhine")
    assert main(["load", str(folder)]) == 0
    capsys.readouterr()
    out = tmp_path / "plan.json"
    assert main(["allocate", "--stored", "rhine", "--out", str(out)]) == 0
    said = capsys.readouterr()
    assert "0 unit(s) deployed and 0 committed" in said.err
    assert main(["allocate", str(folder), "--out", str(tmp_path / "files.json")]) == 0
    # Nothing held: the store's plan is the files' plan.
    stored, files = (json.loads(p.read_text()) for p in (out, tmp_path / "files.json"))
    assert stored["assignments"] == files["assignments"]
    assert stored["unmet"] == files["unmet"]


def test_allocate_stored_names_what_is_stored_when_the_name_is_unknown(use_store, tmp_path, capsys):
    assert main(["load", str(copy_of(RHINE, tmp_path, "rhine"))]) == 0
    capsys.readouterr()
    assert main(["allocate", "--stored", "lake-chad"]) == 1
    err = capsys.readouterr().err
    assert "no scenario named 'lake-chad' (stored: rhine)" in err


def test_allocate_stored_says_when_there_is_no_store(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{tmp_path / 'none.db'}")
    assert main(["allocate", "--stored", "rhine"]) == 1
    assert "run `mutualaid db init`" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()  # a plan creates no store


@pytest.mark.parametrize(
    "argv, said",
    [
        (["allocate"], "give a SCENARIO_DIR or --stored SCENARIO"),
        (["allocate", "x", "--stored", "y"], "give a SCENARIO_DIR or --stored SCENARIO"),
        (["allocate", "--stored", "y", "--travel-times", "t.csv"], "stored travel times"),
    ],
)
def test_allocate_takes_a_folder_or_a_stored_scenario(argv, said, capsys):
    assert main(argv) == 2
    assert said in capsys.readouterr().err

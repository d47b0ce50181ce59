"""Issue 13: an account's jurisdiction is one of the stored scenarios' jurisdictions, on
both backends, through the store's functions and ``mutualaid users add``; a typo such as
``DE-RPX`` is refused naming the close ones. An admin needs none."""

from __future__ import annotations

import io
import sys

import pytest

from builders import feature, square, write_one_flood, write_scenario
from mutualaid.access.actor import system_actor
from mutualaid.cli.main import main
from mutualaid.errors import AccountError
from mutualaid.scenario.loading import load_scenario
from mutualaid.store.accounts import add_account, change_role, get_account
from mutualaid.store.database import DATABASE_URL_ENV
from mutualaid.store.layer_store import save_scenario, stored_jurisdictions

ADMIN = system_actor("test")
PASSWORD = "a long enough password"


def stored(store, folder, name: str) -> None:
    result = load_scenario(folder)
    assert result.ok, [r.errors for r in result.reports]
    save_scenario(store, result.scenario, name=name, sources={}, actor=ADMIN)


@pytest.fixture
def two_scenarios(store, tmp_path):
    """ "flood": DE-NW and NL-LI; "rhine": DE-RP (Rheinland-Pfalz) and DE-NW again."""
    stored(store, write_one_flood(tmp_path / "flood"), "flood")
    rhine = write_scenario(
        tmp_path / "rhine",
        jurisdictions=[
            feature(square(7, 49), id="DE-RP", country="DE", name="Rheinland-Pfalz"),
            feature(square(6, 50), id="DE-NW", country="DE", name="Nordrhein-Westfalen"),
        ],
        agreements="from,to,resource_types,border_delay_min\n",
    )
    stored(store, rhine, "rhine")
    return store


def coordinator(store, jurisdiction: str | None, username: str = "rita"):
    return add_account(
        store,
        username=username,
        role="coordinator",
        jurisdiction=jurisdiction,
        password=PASSWORD,
        actor=ADMIN,
    )


def test_the_stored_jurisdictions_are_every_scenarios_with_their_names(two_scenarios):
    assert stored_jurisdictions(two_scenarios) == {
        "DE-NW": "DE-NW",  # the first scenario by name, "flood", gives no name
        "DE-RP": "Rheinland-Pfalz",
        "NL-LI": "NL-LI",
    }


def test_an_empty_store_has_no_jurisdictions_and_cannot_check(store):
    assert stored_jurisdictions(store) == {}
    assert coordinator(store, "DE-RPX").jurisdiction == "DE-RPX"


def test_a_typo_is_refused_naming_the_close_ones_and_nothing_is_created(two_scenarios):
    with pytest.raises(AccountError, match=r"'DE-RPX' is not one of .*; did you mean DE-RP\?"):
        coordinator(two_scenarios, "DE-RPX")
    with pytest.raises(AccountError, match=r"did you mean DE-NW\?$"):
        coordinator(two_scenarios, "de-nw")  # ids keep their case: the one meant is said
    with pytest.raises(AccountError, match=r"nor close to one; they are DE-NW, DE-RP, NL-LI$"):
        coordinator(two_scenarios, "Atlantis")
    assert get_account(two_scenarios, "rita") is None


def test_a_stored_jurisdiction_is_accepted_and_an_admin_needs_none(two_scenarios):
    assert coordinator(two_scenarios, "DE-RP").jurisdiction == "DE-RP"
    admin = add_account(two_scenarios, username="ada", role="admin", password=PASSWORD, actor=ADMIN)
    assert admin.jurisdiction is None


def test_a_role_change_checks_a_new_jurisdiction_and_keeps_the_old_one(store, tmp_path):
    coordinator(store, "ZZ-9")  # made before any scenario was stored
    stored(store, write_one_flood(tmp_path / "flood"), "flood")
    root = system_actor("root")
    kept = change_role(store, "rita", role="planner", jurisdiction="ZZ-9", actor=root)
    assert (kept.role, kept.jurisdiction) == ("planner", "ZZ-9")  # its own, though unknown
    with pytest.raises(AccountError, match="'NL-LX' is not one of .*did you mean NL-LI"):
        change_role(store, "rita", role="planner", jurisdiction="NL-LX", actor=root)
    moved = change_role(store, "rita", role="coordinator", jurisdiction="NL-LI", actor=root)
    assert moved.jurisdiction == "NL-LI"
    assert change_role(store, "rita", role="admin", jurisdiction=None, actor=root).role == "admin"


def test_the_command_line_refuses_a_typo_in_plain_words(
    two_scenarios, store_url, monkeypatch, capsys
):
    monkeypatch.setenv(DATABASE_URL_ENV, store_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    args = ["users", "add", "rita", "--role", "planner", "--password-stdin"]
    assert main([*args, "--jurisdiction", "DE-RPX"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "mutualaid users add: the jurisdiction 'DE-RPX' is not one of the stored "
        "scenarios' jurisdictions; did you mean DE-RP?\n"
    )
    assert get_account(two_scenarios, "rita") is None
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main([*args, "--jurisdiction", "DE-RP"]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == ("created rita (planner for DE-RP)\n", "")

"""Which scenario a page opens on (issue 13): the address's ``?scenario=``, else the one
chosen earlier in the session, else the first holding the person's jurisdiction, else the
first offered."""

from __future__ import annotations

from mutualaid.scenario.catalogue import ScenarioChoice, choose_scenario, default_scenario

NAMES = ["lake-chad", "rhine-flood-2021"]
HOLDING = {"lake-chad": {"NG-BO", "TD-LC"}, "rhine-flood-2021": {"DE-NW", "NL-LI"}}


def choose(**given) -> ScenarioChoice:
    values = {"asked": None, "chosen": None, "jurisdiction": None, "holding": HOLDING}
    return choose_scenario(NAMES, **(values | given))


def test_a_coordinator_starts_on_the_scenario_holding_its_jurisdiction():
    assert default_scenario(NAMES, jurisdiction="DE-NW", holding=HOLDING) == "rhine-flood-2021"
    assert default_scenario(NAMES, jurisdiction="TD-LC", holding=HOLDING) == "lake-chad"
    assert choose(jurisdiction="NL-LI") == ScenarioChoice("rhine-flood-2021")


def test_without_a_jurisdiction_in_any_scenario_the_first():
    assert default_scenario(NAMES, jurisdiction=None, holding=HOLDING) == "lake-chad"
    assert default_scenario(NAMES, jurisdiction="BE-WLG", holding=HOLDING) == "lake-chad"
    assert default_scenario(NAMES, jurisdiction="DE-NW", holding={}) == "lake-chad"
    assert default_scenario([], jurisdiction="DE-NW", holding=HOLDING) is None


def test_the_first_of_several_holding_it_in_the_order_offered():
    holding = {"b": {"DE-NW"}, "c": {"DE-NW"}}
    assert default_scenario(["a", "c", "b"], jurisdiction="DE-NW", holding=holding) == "c"


def test_the_address_wins_over_the_choice_and_the_default():
    assert choose(asked="lake-chad", chosen="rhine-flood-2021", jurisdiction="DE-NW") == (
        ScenarioChoice("lake-chad")
    )


def test_the_choice_made_earlier_wins_over_the_default():
    assert choose(chosen="lake-chad", jurisdiction="DE-NW") == ScenarioChoice("lake-chad")


def test_an_unknown_name_is_said_and_falls_back():
    assert choose(asked="atlantis", jurisdiction="DE-NW") == ScenarioChoice(
        "rhine-flood-2021", unknown="atlantis"
    )
    assert choose(asked="atlantis", chosen="lake-chad", jurisdiction="DE-NW") == ScenarioChoice(
        "lake-chad", unknown="atlantis"
    )


def test_a_choice_no_longer_offered_is_not_kept():
    assert choose(chosen="gone", jurisdiction="DE-NW") == ScenarioChoice("rhine-flood-2021")


def test_nothing_offered():
    assert choose_scenario(
        [], asked="x", chosen="y", jurisdiction="DE-NW", holding=HOLDING
    ) == ScenarioChoice(None, unknown="x")

"""Units held by the workflow (issue 12): the free part of a scenario, and reserve caps
that hold over successive plans."""

from tests.builders import canonical_scenario

from mutualaid.allocation import allocate
from mutualaid.allocation.held import EN_ROUTE, Held, HeldLine, free_part, held_of
from mutualaid.figures.operation import operation_figures


def _boats(reserve: float = 0.5):
    # DE-A owns 10 boats; incidents in NL-B need 4 and 4, one in DE-A needs 1.
    return canonical_scenario(
        resources=[
            {
                "id": "R1",
                "type": "boat",
                "quantity": 10,
                "jurisdiction": "DE-A",
                "lon": 6.5,
                "lat": 50.5,
            }
        ],
        incidents=[
            {"id": "N1", "needs": {"boat": 4}, "jurisdiction": "NL-B", "lon": 7.5, "lat": 50.5},
            {"id": "N2", "needs": {"boat": 4}, "jurisdiction": "NL-B", "lon": 7.6, "lat": 50.6},
            {"id": "H1", "needs": {"boat": 1}, "jurisdiction": "DE-A", "lon": 6.6, "lat": 50.6},
        ],
        agreements=[("DE-A", "NL-B", ["*"], 0)],
        reserves={"DE-A": reserve},
    )


def _hold(plan, stage: str = "committed", offer_id: int = 1) -> list[HeldLine]:
    return [
        HeldLine(
            offer_id,
            a["resource_id"],
            a["incident_id"],
            a["type"],
            int(a["units"]),
            float(a["minutes"]),
            a["from_jurisdiction"],
            a["to_jurisdiction"],
            stage,
        )
        for a in plan.to_dict()["assignments"]
    ]


def test_free_part_takes_held_units_and_served_needs_out():
    scenario = _boats()
    held = Held((HeldLine(1, "R1", "N1", "boat", 3, 20.0, "DE-A", "NL-B"),))
    free = free_part(scenario, held)
    assert free.resources.set_index("id").loc["R1", "quantity"] == 7
    needs = dict(zip(free.incidents["id"], free.incidents["needs"]))
    assert needs == {"N1": {"boat": 1}, "N2": {"boat": 4}, "H1": {"boat": 1}}
    assert free_part(scenario, Held()) is scenario


def test_reserve_cap_holds_over_successive_plans():
    # Bug of issue 12: the cap was computed on what is still free, so a second plan
    # after a commit sent more abroad than floor((1 - 0.5) x 10) = 5.
    scenario = _boats(reserve=0.5)
    first = allocate(scenario)
    abroad = sum(a["units"] for a in first.to_dict()["assignments"] if a["cross_border"])
    assert abroad == 5
    held = held_of(_hold(first))
    second = allocate(free_part(scenario, held), held=held)
    more = sum(a["units"] for a in second.to_dict()["assignments"] if a["cross_border"])
    assert more == 0
    reasons = {(u["incident_id"], u["reason"]) for u in second.to_dict()["unmet"]}
    assert any(reason == "reserve limit" for _, reason in reasons)
    # What the old computation did: the free part alone, with no held units counted.
    assert (
        sum(
            a["units"]
            for a in allocate(free_part(scenario, held)).to_dict()["assignments"]
            if a["cross_border"]
        )
        > 0
    )


def test_released_units_free_the_cap_again():
    scenario = _boats(reserve=0.5)
    held = held_of(_hold(allocate(scenario)))
    nothing_held = Held()
    again = allocate(free_part(scenario, nothing_held), held=nothing_held)
    assert sum(a["units"] for a in again.to_dict()["assignments"] if a["cross_border"]) == 5
    assert held.abroad() == {("DE-A", "boat"): 5}


def test_no_unit_is_counted_twice_and_figures_add_up():
    scenario = _boats(reserve=0.0)
    first = allocate(scenario)
    held = held_of(_hold(first, stage=EN_ROUTE))
    second = allocate(free_part(scenario, held), held=held)
    # Held and newly proposed units of R1 never exceed its 10 units.
    proposed = sum(a["units"] for a in second.to_dict()["assignments"])
    assert sum(x.units for x in held.lines) + proposed <= 10
    figures = operation_figures(scenario, held, second)
    assert figures.units_needed == 9
    assert figures.units_deployed == sum(x.units for x in held.lines) == 9
    assert figures.units_proposed == proposed == 0
    assert figures.units_short == 0 and figures.need_met == 1.0
    assert figures.units_leaving_jurisdiction == 8
    assert figures.units_across_national_borders == 8

"""Issue 13: ``mutualaid allocate`` says in one line what it planned and where the plan
went: on standard output when ``--out`` names a file, on standard error when the plan
itself is standard output (contract, section 3: the plan JSON stays alone there)."""

from __future__ import annotations

import json
from pathlib import Path

from mutualaid.cli.main import main
from mutualaid.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parents[2]
LAKE_CHAD = ROOT / "data" / "lake-chad"


def expected_line(plan: dict, written_to: str) -> str:
    """The line, counted from the sample's incidents and the plan's own figures."""
    incidents = load_scenario(LAKE_CHAD).accepted.incidents
    active = incidents[incidents["status"] == "active"]
    needs = {(i, t) for i, n in zip(active["id"], active["needs"]) for t, u in n.items() if u > 0}
    unmet = {(u["incident_id"], u["type"]) for u in plan["unmet"]}
    summary = plan["summary"]
    share = 100 * summary["weighted_coverage"] / summary["weighted_need"]
    short = summary["units_needed"] - summary["units_assigned"]
    return (
        f"Planned {summary['units_assigned']} units for {len(needs - unmet)} of {len(needs)} "
        f"needs ({share:.1f} % of need met), {short} units short; plan written to {written_to}"
    )


def test_with_out_the_line_is_on_standard_output(tmp_path, capsys):
    out = tmp_path / "plan.json"
    assert main(["allocate", str(LAKE_CHAD), "--out", str(out)]) == 0
    said = capsys.readouterr()
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert said.out == expected_line(plan, str(out)) + "\n"
    assert said.err == ""
    # the sample as issue 13 names it
    assert said.out.startswith("Planned 151 units for 50 of 68 needs (87.2 % of need met)")


def test_without_out_the_plan_is_standard_output_and_the_line_standard_error(capsys):
    assert main(["allocate", str(LAKE_CHAD)]) == 0
    said = capsys.readouterr()
    plan = json.loads(said.out)  # the plan alone
    assert said.err == expected_line(plan, "standard output") + "\n"


def test_the_flows_file_is_named_too(tmp_path, capsys):
    out, flows = tmp_path / "plan.json", tmp_path / "flows.geojson"
    assert main(["allocate", str(LAKE_CHAD), "--out", str(out), "--flows", str(flows)]) == 0
    line = capsys.readouterr().out
    assert line.endswith(f"; plan written to {out}, flows to {flows}\n")
    assert json.loads(flows.read_text(encoding="utf-8"))["type"] == "FeatureCollection"

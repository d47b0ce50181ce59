"""The ``mutualaid`` command (contract, section 3).

    mutualaid validate PATH --kind KIND [--map FIELD=SOURCE ...] [--json]
    mutualaid allocate SCENARIO_DIR [--out|-o PLAN.json] [--travel-times CSV]
    mutualaid allocate --stored SCENARIO [--out|-o PLAN.json]
    mutualaid db init
    mutualaid load SCENARIO_DIR [--as USER]
    mutualaid audit verify
    mutualaid users add|disable|enable|list|passwd|unlock ...

The store commands live beside the store (``mutualaid.store.commands_*``); each module
registers its subcommands and their handlers with :func:`build_parser`.

Exit codes: 0 accepted / plan written, 1 rejected / invalid scenario, 2 wrong usage.
``allocate`` ends with one line saying what it planned and where it wrote the plan
(:func:`plan_summary`): on standard output with ``--out``, else on standard error.
No input, however broken, makes this command print a Python traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mutualaid.errors import StoreFull
from mutualaid.settings import LAYER_KINDS

_LOG = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2

#: What ``validate``'s worker imports before its memory limit is set.
_VALIDATE_IMPORTS = (
    "mutualaid.layers.readers",
    "mutualaid.layers.fields",
    "mutualaid.layers.validate",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``mutualaid`` command."""
    parser = argparse.ArgumentParser(
        prog="mutualaid",
        description="Check emergency layers and compute cross-border mutual-aid plans.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    v = sub.add_parser("validate", help="check one layer file and list every problem")
    v.add_argument("path", metavar="PATH", help="the layer file")
    v.add_argument(
        "--kind", required=True, choices=(*LAYER_KINDS, "travel_times"), help="what the file holds"
    )
    v.add_argument(
        "--map",
        dest="mapping",
        action="append",
        default=[],
        metavar="FIELD=SOURCE",
        help="use the file's SOURCE column as the canonical FIELD (repeatable)",
    )
    v.add_argument("--json", action="store_true", help="print the report as JSON")
    v.add_argument(
        "--jurisdictions",
        metavar="PATH",
        default=None,
        help="a jurisdictions layer: report incidents or resources outside all of them",
    )

    a = sub.add_parser(
        "allocate", help="compute the optimal plan for a scenario folder or a stored scenario"
    )
    a.add_argument(
        "scenario_dir",
        metavar="SCENARIO_DIR",
        nargs="?",
        default=None,
        help="folder with the scenario's layers",
    )
    a.add_argument(
        "--stored",
        metavar="SCENARIO",
        default=None,
        help="plan the stored scenario of this name instead (the store of "
        "MUTUALAID_DATABASE_URL): from what is still free and still needed once the "
        "units the workflow holds are left out",
    )
    a.add_argument(
        "-o",
        "--out",
        metavar="PLAN.json",
        default=None,
        help="write the plan here instead of standard output",
    )
    a.add_argument(
        "--travel-times",
        metavar="CSV",
        default=None,
        help="minutes per resource-incident pair from a routing engine",
    )
    a.add_argument(
        "--flows",
        metavar="FLOWS.geojson",
        default=None,
        help="also write the plan's flows (resource to incident lines) as GeoJSON",
    )

    from mutualaid.cli import accounts, audit, db

    for module in (db, audit, accounts):
        module.register(sub)
    return parser


def _validate_files(
    path: str, kind: str, mapping: dict[str, str], jurisdictions: str | None
) -> tuple[Any, Any]:
    """Run in the read worker: the jurisdictions' report when they are rejected (else
    None), and the layer's report."""
    from mutualaid.layers import load_layer

    frame = None
    if jurisdictions:
        jres = load_layer(jurisdictions, kind="jurisdictions")
        if not jres.report.ok:
            return jres.report, None
        frame = jres.frame
    return None, load_layer(path, kind=kind, mapping=mapping, jurisdictions=frame).report


def _run_validate(args: argparse.Namespace) -> int:
    from mutualaid.layers.bounded import fork_from_here, run_bounded

    # Reading and checking run in a worker with a time and a memory limit (issue 16): a
    # file whose read never ends is refused after settings.READ_TIMEOUT_S. This process
    # imports nothing heavy and starts no thread, so the worker is a fork of it that
    # imports the readers itself (no second interpreter to start, issue 11).
    fork_from_here(_VALIDATE_IMPORTS)
    from mutualaid.errors import LayerError
    from mutualaid.layers.fields import parse_mapping
    from mutualaid.layers.problems import Report

    try:
        mapping = parse_mapping(args.mapping, kind=args.kind)
    except ValueError as exc:
        print(f"mutualaid validate: {exc}", file=sys.stderr)
        return EXIT_USAGE

    try:
        rejected_jurisdictions, report = run_bounded(
            _validate_files, args.path, args.kind, mapping, args.jurisdictions
        )
    except LayerError as exc:
        rejected_jurisdictions, report = None, Report(args.kind, source=args.path)
        report.add(str(exc))
    if rejected_jurisdictions is not None:
        print(f"the jurisdictions layer {args.jurisdictions} is rejected:", file=sys.stderr)
        for line in rejected_jurisdictions.lines():
            print(line, file=sys.stderr)
        return EXIT_REJECTED

    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        for line in report.lines():
            print(line)
        verdict = "accepted" if report.ok else "rejected"
        count = f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
        print(
            f"{args.path}: {args.kind} {verdict} ({count})",
            file=sys.stdout if report.ok else sys.stderr,
        )
    return EXIT_OK if report.ok else EXIT_REJECTED


def plan_summary(plan: dict[str, Any], *, written_to: str | None, flows: str | None = None) -> str:
    """The one line ``allocate`` says on success (issue 13), from the plan's JSON.

    A need is one resource type asked for by one incident that takes part; it is met when
    the plan leaves none of it unmet. The share of need met is severity-weighted, as the
    pages' "Need met" (docs/glossary.md).

    Parameters
    ----------
    plan : dict
        :meth:`mutualaid.allocation.Plan.to_dict`'s document (contract, section 3).
    written_to : str or None
        Where the plan went; None for standard output.
    flows : str, optional
        Where the flows went, when written.

    Examples
    --------
    >>> plan = {"assignments": [{"incident_id": "I1", "type": "boat", "units": 3}],
    ...         "unmet": [{"incident_id": "I2", "type": "pump", "units": 1}],
    ...         "summary": {"units_assigned": 3, "units_needed": 4,
    ...                     "weighted_coverage": 15, "weighted_need": 17}}
    >>> plan_summary(plan, written_to="plan.json")
    'Planned 3 units for 1 of 2 needs (88.2 % of need met), 1 unit short; plan written to plan.json'
    """
    summary = plan["summary"]
    unmet = {(u["incident_id"], u["type"]) for u in plan["unmet"]}
    needs = unmet | {(a["incident_id"], a["type"]) for a in plan["assignments"]}
    assigned, needed = int(summary["units_assigned"]), int(summary["units_needed"])
    weighted_need = summary.get("weighted_need") or 0
    share = 100.0 * summary["weighted_coverage"] / weighted_need if weighted_need else 100.0
    short = needed - assigned
    line = (
        f"Planned {assigned} unit{'' if assigned == 1 else 's'} for "
        f"{len(needs) - len(unmet)} of {len(needs)} need{'' if len(needs) == 1 else 's'} "
        f"({share:.1f} % of need met), "
        + (f"{short} unit{'' if short == 1 else 's'} short" if short else "nothing short")
        + f"; plan written to {written_to or 'standard output'}"
    )
    return line + (f", flows to {flows}" if flows else "")


def _write_plan(args: argparse.Namespace, plan: Any, scenario: Any) -> None:
    from mutualaid.allocation import flows_geojson

    document = plan.to_dict()
    text = json.dumps(document, ensure_ascii=False, indent=2)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    if args.flows:
        flows = flows_geojson(plan, scenario)
        Path(args.flows).write_text(json.dumps(flows, ensure_ascii=False), encoding="utf-8")
    # Standard output is the plan's JSON when no --out is given (the contract): the line
    # then goes to standard error, so that `allocate DIR > plan.json` stays a plan.
    print(
        plan_summary(document, written_to=args.out, flows=args.flows),
        file=sys.stdout if args.out else sys.stderr,
    )


def _run_allocate_stored(args: argparse.Namespace) -> int:
    from mutualaid.cli.db import stored_plan

    made = stored_plan("allocate", args.stored)
    if isinstance(made, int):
        return made
    plan, free, held = made
    _write_plan(args, plan, free)
    deployed = sum(line.units for line in held.lines if line.deployed)
    committed = sum(line.units for line in held.lines if not line.deployed)
    # On standard error: standard output is the plan's JSON.
    print(
        f"stored scenario {args.stored}: {deployed} unit(s) deployed and {committed} "
        "committed through the workflow are not free; planned what is still needed",
        file=sys.stderr,
    )
    return EXIT_OK


def _run_allocate(args: argparse.Namespace) -> int:
    if (args.scenario_dir is None) == (args.stored is None):
        print(
            "mutualaid allocate: give a SCENARIO_DIR or --stored SCENARIO (one of the two)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.stored is not None:
        if args.travel_times:
            print(
                "mutualaid allocate: --travel-times goes with a SCENARIO_DIR; a stored "
                "scenario plans with its stored travel times",
                file=sys.stderr,
            )
            return EXIT_USAGE
        return _run_allocate_stored(args)

    from mutualaid.allocation import allocate
    from mutualaid.scenario.loading import load_scenario

    result = load_scenario(
        Path(args.scenario_dir), travel_times=Path(args.travel_times) if args.travel_times else None
    )
    if not result.ok:
        for report in result.reports:
            for line in report.lines():
                if line.startswith("error"):
                    print(f"{report.source}: {line}", file=sys.stderr)
        print(f"{args.scenario_dir}: scenario rejected", file=sys.stderr)
        return EXIT_REJECTED
    plan = allocate(result.accepted)
    _write_plan(args, plan, result.accepted)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments without the program name; ``sys.argv[1:]`` when None.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    from mutualaid.logs import configure_logging  # after parsing: ``--help`` needs no logging

    configure_logging(command_line=True)
    handlers = {"validate": _run_validate, "allocate": _run_allocate}
    # store commands set their handler with ``set_defaults(handler=...)``
    handler = getattr(args, "handler", None) or handlers[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(
            f"mutualaid {args.command}: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
            file=sys.stderr,
        )
        return EXIT_REJECTED
    except StoreFull as exc:  # the store's disk is full: a coordinator's sentence
        print(f"mutualaid {args.command}: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    except Exception as exc:  # noqa: BLE001 - never a traceback for a user, whatever the input
        # Written only when MUTUALAID_LOG_LEVEL is set (logs.configure_logging).
        _LOG.error("mutualaid %s could not complete", args.command, exc_info=True)
        print(
            f"mutualaid {args.command}: could not complete: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return EXIT_REJECTED
    finally:
        if argv is None:
            # Run as the command, the process ends right after this: objects frozen out
            # of the garbage collector are not walked again on the way out (0.25 s of an
            # ``allocate``'s exit otherwise, issue 11). Called with arguments (tests,
            # scripts), a process goes on and collects as usual.
            import gc

            gc.freeze()


if __name__ == "__main__":
    sys.exit(main())

"""`qms sim plan`: the staffing plan on the terminal, as CSV and in the HTML report."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from ..scenario import load_scenario
from . import output
from .plan import Target, make_plan


def plan(args: argparse.Namespace) -> int:
    """Run `qms sim plan` with parsed arguments; 2 on bad input (a message, no traceback)."""
    try:
        target = Target(args.within, args.share)
    except ValueError as err:
        return _usage(str(err))
    if not args.scenario.is_file():
        return _usage(f"no scenario file {args.scenario}")
    scenario = load_scenario(args.scenario)

    def progress(done: int, most: int) -> None:
        if sys.stderr.isatty():
            print(f"\r  simulation round {done} (at most {most})", end="", file=sys.stderr, flush=True)

    try:
        result = make_plan(scenario, target, args.replications, args.seed, args.rounds, progress, args.jobs)
    except ValueError as err:
        return _usage(str(err))
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(output.text(result))
    if args.csv is not None:
        output.write_csv(result, args.csv)
        print(f"\nwrote {args.csv}")
    if args.html is not None:
        from ..metrics import aggregate
        from ..report import html_report
        from ..runner import RunResult

        planned = RunResult(dataclasses.replace(scenario, staffing=result.staffing), args.seed, result.final.days)
        try:
            page = html_report(planned, aggregate(planned.day_figures()))
        except ImportError:
            return _usage("the HTML report needs matplotlib: pip install 'qms[sim]'")
        args.html.write_text(output.html_page(page, result), encoding="utf-8")
        print(f"wrote {args.html}")
    return 0


def _usage(message: str) -> int:
    print(f"qms sim plan: {message}", file=sys.stderr)
    return 2

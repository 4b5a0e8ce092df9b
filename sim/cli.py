"""`qms sim ...`: run and compare scenarios, validate against theory, benchmark, replay, load-test.

qms sim run SCENARIO [--replications 20] [--seed 1] [--csv DIR] [--html FILE] [--jobs N]
qms sim compare A B [--replications 20] [--seed 1] [--jobs N]
qms sim plan SCENARIO --within 15 --share 0.9 [--replications 10] [--seed 1] [--csv FILE] [--html FILE] [--jobs N]
qms sim validate [--quick] [--jobs N]
qms sim bench
qms sim replay DATABASE --hall ID --config HALL.toml [--day 2026-11-23]
qms sim load SCENARIO --url http://127.0.0.1:8000 --hall ID [--speed 60] [--mqtt mqtt://127.0.0.1:1883 --devices F] ...
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qms.core.errors import ConfigError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="qms sim", description="simulate a hall on its real policy")
    sub = parser.add_subparsers(dest="what", required=True)

    p = sub.add_parser("run", help="replications of a scenario: table, CSV, HTML report")
    p.add_argument("scenario", type=Path)
    p.add_argument("--replications", type=_positive, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--csv", type=Path, help="directory for tickets.csv and summary.csv")
    p.add_argument("--html", type=Path, help="write a self-contained HTML report here")
    _jobs(p)

    p = sub.add_parser("compare", help="two scenarios side by side on common random numbers")
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    p.add_argument("--replications", type=_positive, default=20)
    p.add_argument("--seed", type=int, default=1)
    _jobs(p)

    p = sub.add_parser("plan", help="windows to staff per half hour for a service target, checked by simulation")
    p.add_argument("scenario", type=Path)
    p.add_argument("--within", type=float, default=15.0, help="minutes from ticket to call (default 15)")
    p.add_argument("--share", type=float, default=0.9, help="share of tickets called within them (default 0.9)")
    p.add_argument("--replications", type=_positive, default=10)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rounds", type=_positive, default=8, help="at most this many rounds of simulation")
    p.add_argument("--csv", type=Path, help="write the plan per pool and slot here")
    p.add_argument("--html", type=Path, help="write the HTML report of the planned day, the plan first")
    _jobs(p)

    p = sub.add_parser("validate", help="the simulator against Erlang C and Cobham (the full table)")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--replications", type=_positive, default=20)
    _jobs(p)

    sub.add_parser("bench", help="simulated tickets per second beside the same models in SimPy")

    p = sub.add_parser("replay", help="a day recorded by the server, through another policy or layout")
    p.add_argument("database", type=Path, help="the server's qms.sqlite3")
    p.add_argument("--hall", required=True, help="the hall id in the database")
    p.add_argument("--config", type=Path, required=True, help="the hall file the server ran")
    p.add_argument("--through", type=Path, help="a what-if hall file (another policy or layout) to replay through")
    p.add_argument("--day", help="the business day (YYYY-MM-DD); default: the last one recorded")
    p.add_argument("--around-the-clock", action="store_true", help="the server ran `qms demo --around-the-clock`")

    p = sub.add_parser("load", help="drive a running server with a scenario's day, in real time or faster")
    p.add_argument("scenario", type=Path)
    p.add_argument("--url", default="http://127.0.0.1:8000", help="the server (loopback only)")
    p.add_argument("--hall", help="hall id on the server (default: the scenario's hall)")
    p.add_argument("--username", default="admin")
    p.add_argument("--password", default="admin123")
    p.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--windows", type=int, default=0, help="drive at most this many windows (0: all staffed)")
    p.add_argument("--watchers", type=int, default=200, help="citizens' phones and screens polling (a connection each)")
    p.add_argument("--database", type=Path, help="the server's qms.sqlite3, to check every acknowledged command")
    p.add_argument("--from", dest="start", default=None, help="start of the simulated day (HH:MM)")
    p.add_argument("--until", default=None, help="end of the simulated day (HH:MM)")
    p.add_argument("--mqtt", help="drive dispensers and keypads over this broker (mqtt://127.0.0.1:PORT)")
    p.add_argument(
        "--devices", type=Path, help="device id -> password JSON (the server's <data>/mqtt/device-passwords.json)"
    )

    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except ConfigError as err:
        print(f"qms sim: {err.message}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    if args.what == "run":
        return _run(args)
    if args.what == "compare":
        from .compare import compare
        from .scenario import load_scenario

        _, _, text = compare(load_scenario(args.a), load_scenario(args.b), args.replications, args.seed, args.jobs)
        print(text)
        return 0
    if args.what == "plan":
        from .planning.command import plan

        return plan(args)
    if args.what == "validate":
        from . import theory

        return theory.main(
            ["--replications", str(args.replications), *(["--quick"] if args.quick else []), *_jobs_argv(args)]
        )
    if args.what == "bench":
        from . import bench

        bench.main()
        return 0
    if args.what == "replay":
        from . import replay

        return replay.main(args)
    if args.what == "load":
        from .loadgen import runner

        return runner.main(args)
    return 2


def _jobs(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--jobs",
        type=_positive,
        default=None,
        help="replications run side by side in this many processes (default: every core)",
    )


def _positive(text: str) -> int:
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {n}")
    return n


def _jobs_argv(args: argparse.Namespace) -> list[str]:
    return [] if args.jobs is None else ["--jobs", str(args.jobs)]


def _run(args: argparse.Namespace) -> int:
    from . import report
    from .metrics import aggregate
    from .runner import run
    from .scenario import load_scenario

    scenario = load_scenario(args.scenario)

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r  replication {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)

    result = run(scenario, args.replications, args.seed, progress, args.jobs)
    agg = aggregate(result.day_figures())
    print(report.table(result, agg))
    if args.csv is not None:
        args.csv.mkdir(parents=True, exist_ok=True)
        n = report.write_tickets_csv(result, args.csv / "tickets.csv")
        report.write_summary_csv(agg, args.csv / "summary.csv")
        print(f"\nwrote {args.csv / 'tickets.csv'} ({n:,} tickets) and {args.csv / 'summary.csv'}")
    if args.html is not None:
        try:
            page = report.html_report(result, agg)
        except ImportError:
            print("qms sim: the HTML report needs matplotlib: pip install 'qms[sim]'", file=sys.stderr)
            return 2
        args.html.write_text(page, encoding="utf-8")
        print(f"wrote {args.html}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

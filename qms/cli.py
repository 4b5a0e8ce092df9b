"""The `qms` command: serve a hall, run the demo hall, check a hall file, benchmarks."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import logging
import sys
from pathlib import Path

from qms.config import ConfigFileError, HallFile, around_the_clock, load_hall, load_settings
from qms.config.settings import Settings
from qms.core.errors import QmsError

REPO = Path(__file__).resolve().parent.parent
DEMO_CONFIG = REPO / "examples" / "qingyuan.toml"
DEMO_DATA = Path("var") / "demo"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="qms", description="Queue management for government service halls")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server for a hall file")
    serve.add_argument("--config", required=True, type=Path, help="the hall file (TOML)")
    _server_options(serve)

    demo = sub.add_parser("demo", help="run the example city hall with a data directory of its own")
    demo.add_argument("--config", type=Path, default=DEMO_CONFIG, help=argparse.SUPPRESS)
    demo.add_argument(
        "--around-the-clock", action="store_true", help="issue tickets at any hour (to try it out in the evening)"
    )
    _server_options(demo, data_default=DEMO_DATA)

    check = sub.add_parser("check-config", help="check a hall file and summarise it")
    check.add_argument("config", type=Path)

    sub.add_parser("hash-password", help="print the argon2 hash of a password for a hall file's [[staff]]")

    bench = sub.add_parser("bench", help="print benchmark figures")
    bench.add_argument("what", choices=["core", "api", "screen", "voice", "mqtt", "booking", "chain", "all"])
    bench.add_argument("--requests", type=int, default=5000, help="api: tickets to issue")
    bench.add_argument("--concurrency", type=int, default=64, help="api: connections at once")
    bench.add_argument("--calls", type=int, default=1000, help="voice: calls to announce")
    bench.add_argument("--presses", type=int, default=1000, help="mqtt, chain: keypad presses")

    sim = sub.add_parser("sim", help="simulate a hall, compare what-ifs, load-test a server (qms sim --help)")
    sim.add_argument("args", nargs=argparse.REMAINDER)

    args = parser.parse_args(argv)
    if args.command == "sim":
        from sim.cli import main as sim_main

        return sim_main(args.args)
    try:
        if args.command in ("serve", "demo"):
            return _serve(args)
        if args.command == "check-config":
            return _check(args.config)
        if args.command == "hash-password":
            return _hash_password()
        if args.command == "bench":
            return _bench(args)
    except ConfigFileError as err:
        print(f"qms: {err.message}", file=sys.stderr)
        return 2
    except QmsError as err:
        print(f"qms: {err}", file=sys.stderr)
        return 2
    parser.error(f"unknown command {args.command}")
    return 2


def _server_options(p: argparse.ArgumentParser, data_default: Path | None = None) -> None:
    p.add_argument("--data", type=Path, default=data_default, help="data directory (QMS_DATA_DIR)")
    p.add_argument("--host", default=None, help="address to listen on (QMS_HOST, default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (QMS_PORT, default 8000)")
    p.add_argument("--log-level", default=None, help="debug, info, warning (QMS_LOG_LEVEL)")


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from qms.runtime import build_app

    hall_file = load_hall(args.config)
    if getattr(args, "around_the_clock", False):
        hall_file = dataclasses.replace(hall_file, hall=around_the_clock(hall_file.hall))
    settings = load_settings(data_dir=args.data, host=args.host, port=args.port, log_level=args.log_level)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = build_app(hall_file, settings)
    _announce(hall_file, settings, demo=args.command == "demo")
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,  # one line per request would cost more than the request itself
    )
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 1


def _announce(hall_file: HallFile, settings: Settings, demo: bool) -> None:
    hall = hall_file.hall
    site = f"http://{settings.host}:{settings.port}"
    base, ws = f"{site}/api/v1", f"ws://{settings.host}:{settings.port}/api/v1"
    first_zone = hall.windows[0].zone
    lines = [
        f"qms: {hall.name} ({hall.id}): {len(hall.windows)} windows, {len(hall.services)} services",
        f"  data:      {settings.data_dir}",
        f"  queues:    {base}/halls/{hall.id}/queues",
        f"  windows:   {base}/halls/{hall.id}/windows",
        f'  tickets:   POST {base}/halls/{hall.id}/tickets  {{"service": "{hall.services[0].id}"}}',
        f"  events:    {ws}/halls/{hall.id}/events",
        f"  voice:     {ws}/halls/{hall.id}/voice/stream?zone={first_zone}"
        f"  (python -m displays.player --server {site} --hall {hall.id} --zone {first_zone})",
        f"  login:     POST {base}/auth/login",
    ]
    lines += [
        f"  kiosk:     {site}/kiosk/{hall.id}",
        f"  console:   {site}/console/{hall.id}  (staff)",
        f"  dashboard: {site}/dashboard/{hall.id}",
        f"  reports:   {site}/reports/{hall.id}  (staff)",
        f"  admin:     {site}/admin/{hall.id}  (admin)",
    ]
    for zone in hall.zones():
        lines.append(f"  screen:    {site}/halls/{hall.id}/screen?zone={zone}")
    if hall_file.booking is not None:
        lines.append(f"  booking:   {site}/book/{hall.id}")
    if demo and hall_file.staff:
        names = ", ".join(a.username for a in hall_file.staff[:6])
        lines.append(f"  demo staff: {names} (passwords in {DEMO_CONFIG.relative_to(REPO)})")
    print("\n".join(lines), flush=True)


def _check(path: Path) -> int:
    hall_file = load_hall(path)
    hall = hall_file.hall
    general = sum(1 for w in hall.windows if w.kind.value == "general")
    departments = {s.department for s in hall.services if s.department}
    print(f"{path}: ok")
    print(f"  {hall.name} ({hall.id}), {hall.timezone}")
    print(f"  {len(hall.services)} services in {len(departments)} departments")
    print(f"  {len(hall.windows)} windows, {general} general")
    print(f"  {len(hall_file.staff)} staff accounts")
    if hall_file.booking is not None:
        booked = ", ".join(s.service for s in hall_file.booking.services)
        print(f"  online booking: {booked}; {len(hall_file.neighbours)} neighbour halls")
    return 0


def _hash_password() -> int:
    from qms.passwords import hash_password

    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if first != getpass.getpass("again: "):
            print("qms: the passwords differ", file=sys.stderr)
            return 1
    else:
        first = sys.stdin.readline().rstrip("\n")
    if len(first) < 8:
        print("qms: a password needs at least 8 characters", file=sys.stderr)
        return 1
    print(hash_password(first))
    return 0


def _bench(args: argparse.Namespace) -> int:
    if args.what in ("core", "all"):
        from qms.bench import core

        core.main()
    if args.what in ("api", "all"):
        from qms.bench import api

        api.main(requests=args.requests, concurrency=args.concurrency)
    if args.what in ("screen", "all"):
        from qms.bench import screen

        screen.main()
    if args.what in ("voice", "all"):
        from qms.bench import voice

        voice.main(calls=args.calls, direct=args.calls)
    if args.what in ("mqtt", "all"):
        from qms.bench import mqtt

        mqtt.main(presses=args.presses)
    if args.what in ("booking", "all"):
        from qms.bench import booking

        if not booking.main():
            return 1
    if args.what in ("chain", "all"):
        from qms.bench import chain

        chain.main(presses=args.presses)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

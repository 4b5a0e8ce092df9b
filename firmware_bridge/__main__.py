"""`python -m firmware_bridge --broker mqtt://user:pass@127.0.0.1:1883 --hall qingyuan --config bridge.toml`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from firmware_bridge.bridge import Bridge
from firmware_bridge.config import BridgeConfig, BridgeConfigError, load_config
from firmware_bridge.outbox import OutboxError
from qms.contract import Broker


def main(argv: list[str] | None = None) -> int:
    """Run the bridge until SIGTERM or Ctrl-C; 2 for a bad command line or bridge.toml."""
    parser = argparse.ArgumentParser(prog="python -m firmware_bridge", description=__doc__)
    parser.add_argument("--broker", required=True, help="mqtt://[user:password@]host[:port]")
    parser.add_argument("--hall", help="the hall id (default: bridge.toml's [bridge] hall)")
    parser.add_argument("--config", required=True, help="bridge.toml: serial ports and devices")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(args.config)
        broker = Broker.from_url(args.broker)
    except (BridgeConfigError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    hall = args.hall or config.hall
    if hall is None:
        print("error: no hall: give --hall or [bridge] hall in bridge.toml", file=sys.stderr)
        return 2
    return asyncio.run(_run(config, hall, broker))


async def _run(config: BridgeConfig, hall: str, broker: Broker) -> int:
    try:
        bridge = Bridge(config, hall, broker)
    except (ValueError, OutboxError) as error:  # OutboxError: [bridge] data is no folder the bridge can write
        print(f"error: {error}", file=sys.stderr)
        return 2
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, bridge.stop)
    await bridge.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

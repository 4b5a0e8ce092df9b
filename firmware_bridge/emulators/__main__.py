"""`python -m firmware_bridge.emulators KIND --pty [--address N] [--out DIR]`: one emulated device.

The first line on stdout is the pty path to put in bridge.toml. Then each line on stdin is what a
person does (what each kind understands is printed with `help`):

    keypad      open 1024 | next | recall | no-show | pause | resume | start | finish | transfer 12 | close
    rating_pad  5 (非常满意) .. 1 (非常不满意)
    dispenser   take 2 | help | checkin K7M2Q9XA | checkin-id 11010519491231002X
                (its button panel, code scanner and ID-card reader; the printer is `printer`)
    help_button help
    all         off | on (power) | paper-low | paper-out | paper-ok | quit

What the device shows, beeps and prints is written to stdout; the printer also writes each job
to --out (ticket-0001.bin and a readable ticket-0001.txt).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import stat
import sys
from pathlib import Path

from firmware_bridge.escpos_reader import PrintedJob
from firmware_bridge.messages import AckResult, CheckIn, CheckInBy, DeviceKind, Help, Key, Rating, StatusFlag, Take

from .bus_device import BusDeviceEmulator
from .printer import PrinterEmulator

KINDS = {
    "keypad": DeviceKind.KEYPAD,
    "led_bar": DeviceKind.LED_BAR,
    "rating_pad": DeviceKind.RATING_PAD,
    "dispenser": DeviceKind.DISPENSER,
    "help_button": DeviceKind.HELP_BUTTON,
}
KEYS = {
    "next": Key.NEXT,
    "recall": Key.RECALL,
    "no-show": Key.NO_SHOW,
    "pause": Key.PAUSE,
    "resume": Key.RESUME,
    "start": Key.START,
    "finish": Key.FINISH,
    "transfer": Key.TRANSFER,
    "open": Key.OPEN,
    "close": Key.CLOSE,
}
FLAGS = {"paper-low": StatusFlag.PAPER_LOW, "paper-out": StatusFlag.PAPER_OUT, "paper-ok": StatusFlag.NONE}


def main(argv: list[str] | None = None) -> int:
    """Run one emulated device until stdin says quit, or SIGTERM / Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m firmware_bridge.emulators", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("kind", choices=[*KINDS, "printer"])
    parser.add_argument("--pty", action="store_true", required=True, help="create a pseudo-terminal (the only port)")
    parser.add_argument("--address", type=int, default=1, help="bus address, 1..247 (not for a printer)")
    parser.add_argument("--out", type=Path, help="printer: folder for received jobs")
    args = parser.parse_args(argv)
    if not 1 <= args.address <= 247:
        parser.error("--address is 1..247")
    return asyncio.run(_run(args))


def _say(text: str) -> None:
    print(text, flush=True)


async def _run(args: argparse.Namespace) -> int:
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, done.set)
    if args.kind == "printer":
        printer = PrinterEmulator(args.out)
        printer.on_job = lambda job, saved: _printed(job, saved)
        _say(printer.path)
        reader = asyncio.create_task(_commands(lambda line: _printer_line(printer, line), done))
        try:
            await done.wait()
        finally:
            reader.cancel()
            printer.close()
        return 0
    device = BusDeviceEmulator(KINDS[args.kind], args.address)
    device.on_change = lambda: _changed(device)
    _say(device.path)
    reader = asyncio.create_task(_commands(lambda line: _device_line(device, line), done))
    try:
        await done.wait()
    finally:
        reader.cancel()
        device.close()
    return 0


async def _commands(handle: object, done: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    mode = os.fstat(sys.stdin.fileno()).st_mode
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or sys.stdin.isatty()):
        return  # stdin is a file or /dev/null: run without commands until a signal
    stream = asyncio.StreamReader()
    try:
        transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), sys.stdin)
    except (ValueError, OSError):
        return  # stdin is a file or /dev/null: run without commands until a signal
    try:
        while line := await stream.readline():
            words = line.decode(errors="replace").strip()
            if words == "quit":
                break
            if words:
                assert callable(handle)
                handle(words)
    finally:
        transport.close()
        done.set()


CHECK_INS = {"checkin": CheckInBy.CODE, "checkin-id": CheckInBy.ID_NUMBER}  # scanner / ID-card reader
HELP = {
    DeviceKind.KEYPAD: "open 1024 | next | recall | no-show | pause | resume | start | finish | transfer 12 | close",
    DeviceKind.LED_BAR: "(it only shows what the bridge sends)",
    DeviceKind.RATING_PAD: "5 (非常满意) | 4 | 3 | 2 | 1 (非常不满意)",
    DeviceKind.DISPENSER: "take 2 | help | checkin CODE | checkin-id ID_NUMBER | paper-low | paper-out | paper-ok",
    DeviceKind.HELP_BUTTON: "help",
}


def _device_line(device: BusDeviceEmulator, line: str) -> None:
    word, _, rest = line.partition(" ")
    if word in ("?", "commands"):
        _say(f"{HELP[device.kind]} | off | on | quit")
        return
    if word in ("off", "on"):
        device.power_off() if word == "off" else device.power_on()
        _say(f"power {word}")
        return
    if word in FLAGS:
        device.flags = FLAGS[word]
        _say(f"flags {device.flags!r}")
        return
    try:
        if device.kind is DeviceKind.KEYPAD and word in KEYS:
            future = device.press_key(KEYS[word], rest.strip())
        elif device.kind is DeviceKind.RATING_PAD and word in "12345" and len(word) == 1:
            future = device.press(Rating(int(word)))
        elif device.kind is DeviceKind.DISPENSER and word == "take" and rest.strip().isdigit():
            future = device.press(Take(int(rest)))
        elif device.kind is DeviceKind.DISPENSER and word in CHECK_INS:
            future = device.press(CheckIn(CHECK_INS[word], rest.strip()))  # a bad code or number: ValueError
        elif device.kind in (DeviceKind.DISPENSER, DeviceKind.HELP_BUTTON) and word == "help":
            future = device.press(Help())
        else:
            _say(f"? {line!r}: a {device.kind.name.lower()} understands {HELP[device.kind]} | off | on | quit")
            return
    except ValueError as error:
        _say(f"? {line!r}: {error}")
        return
    future.add_done_callback(lambda f: _say(f"{line}: {_result(f.result())}"))


def _printer_line(printer: PrinterEmulator, line: str) -> None:
    if line in FLAGS:
        printer.flags = FLAGS[line]
        _say(f"flags {printer.flags!r}")
    else:
        _say(f"? {line!r}: a printer understands paper-low, paper-out, paper-ok, quit")


def _result(result: AckResult | None) -> str:
    return "no answer from the bridge" if result is None else "ok" if result is AckResult.OK else result.name


def _changed(device: BusDeviceEmulator) -> None:
    shown = device.shown
    text = "(blank)" if shown is None else shown.text + (" (blinking)" if shown.blink else "")
    _say(f"display: {text}  beeps: {device.beeps}")


def _printed(job: PrintedJob, saved: Path | None) -> None:
    _say(job.render() + (f"saved {saved}" if saved else ""))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())

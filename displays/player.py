"""The hall PC's announcement player: plays a zone's calls on the PC's speakers with `aplay`.

    python -m displays.player --server http://10.0.0.2:8000 --hall qingyuan --zone main

It follows the server's announcement stream (`/api/v1/halls/{hall}/voice/stream?zone=`),
fetches each announcement's WAV and plays it to the end before the next: announcements are
queued here too, never mixed or cut off. The server already spaces them by their length, so
the queue stays short unless the player falls behind. When the server goes away the player
reconnects with a growing back-off; an announcement without audio (a hall with no speech
engine) is printed, not played.

`--command` replaces `aplay -q`: it is run with the WAV file's path as its last argument.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shlex
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import websockets

DEFAULT_COMMAND = "aplay -q"
FETCH_TIMEOUT = 10.0
MAX_BACKOFF = 30.0


class PlayerError(Exception):
    """The player cannot run as asked (the play command is missing)."""


def play_command(command: str) -> list[str]:
    """The play command as argv, checked to exist; raises PlayerError."""
    argv = shlex.split(command)
    if not argv:
        raise PlayerError("--command is empty")
    if shutil.which(argv[0]) is None:
        hint = " (Debian: apt-get install alsa-utils)" if argv[0] == "aplay" else ""
        raise PlayerError(f"{argv[0]!r} is not installed or not on PATH{hint}; or give another --command")
    return argv


def stream_url(server: str, hall: str, zone: str | None) -> str:
    """The websocket URL of a hall's announcement stream."""
    parts = urllib.parse.urlsplit(server.rstrip("/"))
    scheme = "wss" if parts.scheme == "https" else "ws"
    query = urllib.parse.urlencode({"zone": zone}) if zone else ""
    path = f"{parts.path}/api/v1/halls/{urllib.parse.quote(hall)}/voice/stream"
    return urllib.parse.urlunsplit((scheme, parts.netloc, path, query, ""))


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:
        data: bytes = response.read()
        return data


class Player:
    """Receives announcements and plays them one after the other."""

    def __init__(self, server: str, hall: str, zone: str | None, argv: list[str], *, once: int | None = None) -> None:
        self.server = server.rstrip("/")
        self.hall = hall
        self.zone = zone
        self.argv = argv
        self.once = once  # stop after this many announcements (tests, trying a hall's speakers)
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.played = 0
        self.work = Path(tempfile.mkdtemp(prefix="qms-player-"))

    def say(self, line: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)

    async def run(self) -> None:
        receiver = asyncio.create_task(self.receive())
        try:
            await self.play_all()
        finally:
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await receiver
            shutil.rmtree(self.work, ignore_errors=True)

    async def receive(self) -> None:
        url = stream_url(self.server, self.hall, self.zone)
        backoff = 1.0
        while True:
            try:
                async with websockets.connect(url, open_timeout=FETCH_TIMEOUT) as ws:
                    backoff = 1.0
                    async for message in ws:
                        self.take(message)
                    self.say(f"the server closed the stream ({ws.close_code}); reconnecting")
            except (OSError, websockets.WebSocketException, TimeoutError) as exc:
                self.say(f"cannot reach {url} ({exc}); retrying in {backoff:.0f} s")
            await asyncio.sleep(backoff)
            backoff = min(MAX_BACKOFF, backoff * 2)

    def take(self, message: str | bytes) -> None:
        """One message of the stream; one that makes no sense is said and skipped, never fatal."""
        try:
            data = json.loads(message)
        except ValueError:
            self.say(f"ignored a message that is not JSON: {message[:80]!r}")
            return
        if not isinstance(data, dict):
            self.say(f"ignored a message that is not an object: {message[:80]!r}")
        elif data.get("type") == "hello":
            url = stream_url(self.server, self.hall, self.zone)
            self.say(f"connected to {url}: zones {', '.join(map(str, data.get('zones') or []))}")
        elif data.get("type") == "announcement":
            self.queue.put_nowait(data)

    async def play_all(self) -> None:
        while self.once is None or self.played < self.once:
            announcement = await self.queue.get()
            try:
                await self.play(announcement)
            except Exception as exc:  # one call that cannot be played must not silence the next ones
                self.say(f"{announcement.get('text', '')}: cannot play ({type(exc).__name__}: {exc})")
            self.played += 1

    async def play(self, announcement: dict[str, Any]) -> None:
        text = announcement.get("text", "")
        audio_url = announcement.get("audio_url")
        if not audio_url:
            self.say(f"{text} (no audio)")
            return
        # The server gives the path from its own root: keep a hall's prefix (a reverse proxy's
        # /qms) as the stream URL does; an absolute URL stays as it is.
        url = urllib.parse.urljoin(self.server + "/", audio_url.lstrip("/"))
        try:
            wav = await asyncio.to_thread(fetch, url)
        except (OSError, urllib.error.URLError) as exc:
            self.say(f"{text}: cannot fetch {url} ({exc})")
            return
        path = self.work / f"{self.played}.wav"  # not the server's id: a file name must not come off the wire
        path.write_bytes(wav)
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(*self.argv, str(path))
        code = await proc.wait()
        path.unlink(missing_ok=True)
        took = time.monotonic() - started
        if code:
            self.say(f"{text}: {self.argv[0]} failed with exit status {code}")
        else:
            self.say(f"{text} ({took:.1f} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m displays.player", description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="the qms server, e.g. http://10.0.0.2:8000")
    parser.add_argument("--hall", required=True, help="the hall's id")
    parser.add_argument("--zone", default="main", help="the waiting area whose calls to play (default main)")
    parser.add_argument("--command", default=DEFAULT_COMMAND, help=f"play command (default {DEFAULT_COMMAND!r})")
    parser.add_argument("--count", type=int, default=None, help="stop after playing this many announcements")
    args = parser.parse_args(argv)
    try:
        command = play_command(args.command)
    except PlayerError as exc:
        print(f"player: {exc}", file=sys.stderr)
        return 2
    player = Player(args.server, args.hall, args.zone or None, command, once=args.count)
    try:
        asyncio.run(player.run())
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

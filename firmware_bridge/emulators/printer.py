"""An emulated ESC/POS thermal printer on a pty: it keeps every job it receives, and writes it to a folder.

For each job (everything up to a cut) it writes `ticket-0001.bin`, the exact bytes, and
`ticket-0001.txt`, what the paper would show (GB18030 decoded, sizes marked, QR contents), so a
person can read what a dispenser printed. It answers real-time status queries (DLE EOT n) the way
a printer does, from `flags`: set `StatusFlag.PAPER_OUT` to see the bridge refuse to print.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from firmware_bridge.escpos_reader import EscPosReader, PrintedJob, StatusQuery
from firmware_bridge.messages import StatusFlag
from firmware_bridge.printer import status_byte

from .pty_port import PtyPort


class PrinterEmulator:
    """A printer on its own pty; `jobs` are the printed jobs, in order."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = None if folder is None else Path(folder)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
        self.jobs: list[PrintedJob] = []
        self.flags = StatusFlag.NONE
        self.powered = True
        self.on_job: Callable[[PrintedJob, Path | None], None] | None = None
        self._reader = EscPosReader()
        self._port = PtyPort(self._received)
        self._changed = asyncio.Event()

    @property
    def path(self) -> str:
        """The slave path to give the bridge."""
        return self._port.path

    async def wait_for_jobs(self, count: int, within: float = 5.0) -> list[PrintedJob]:
        """Wait until `count` jobs have been printed."""
        async with asyncio.timeout(within):
            while len(self.jobs) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.jobs

    def close(self) -> None:
        """Pull the cable."""
        self._port.close()

    async def __aenter__(self) -> PrinterEmulator:
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def _received(self, data: bytes) -> None:
        if not self.powered:
            return
        for item in self._reader.feed(data):
            if isinstance(item, StatusQuery):
                self._port.write(bytes((status_byte(item.n, self.flags),)))
            elif self.flags & StatusFlag.PAPER_OUT:
                continue  # a printer without paper prints nothing
            else:
                self._printed(item)

    def _printed(self, job: PrintedJob) -> None:
        self.jobs.append(job)
        saved = None
        if self.folder is not None:
            saved = self.folder / f"ticket-{len(self.jobs):04d}.txt"
            saved.with_suffix(".bin").write_bytes(job.raw)
            saved.write_text(job.render(), encoding="utf-8")
        self._changed.set()
        if self.on_job is not None:
            self.on_job(job, saved)

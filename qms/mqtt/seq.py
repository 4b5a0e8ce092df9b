"""The `seq` of the displays' retained state: strictly increasing, also across restarts.

A display (LED bar, the bridge's bars) drops a frame whose `seq` is not above the last one it
showed, so that a stale or repeated retained message never replaces a newer one. The numbers
are milliseconds since the epoch, +1 on a tie. Within one run of the server that is enough;
across a restart it is not when the clock was set back meanwhile (an RTC kept in local time
and corrected at boot moves eight hours in China): every bar would ignore the hall until the
clock caught up with the numbers it holds.

So the clock reserves numbers ahead in a small file: before it hands out a number at or
above the stored ceiling it writes a new ceiling an hour ahead, and a restarted server starts
above the stored ceiling. That is one write an hour, and it holds after `kill -9` too, since
no number is handed out before the ceiling above it is on disk.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

log = logging.getLogger(__name__)

RESERVE_MS = 3_600_000  # how far ahead a ceiling is written


class SeqClock:
    """Strictly increasing sequence numbers; with `ceiling_file`, also across restarts."""

    def __init__(self, ceiling_file: Path | None = None) -> None:
        self._file = ceiling_file
        # with a file: what a previous run may have handed out, at most
        self._last = 0 if ceiling_file is None else _read(ceiling_file)
        self._ceiling = 0

    def next(self) -> int:
        """The next number: above every one handed out before, the ceiling on disk first."""
        self._last = max(self._last + 1, time.time_ns() // 1_000_000)
        if self._file is not None and self._last >= self._ceiling:
            self._ceiling = self._last + RESERVE_MS
            _write(self._file, self._ceiling)
        return self._last


def _read(path: Path) -> int:
    try:
        return int(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        return 0
    except (OSError, ValueError) as err:  # unreadable: the clock alone, as without a file
        log.warning("display seq ceiling %s unreadable (%s); starting from the clock", path, err)
        return 0


def _write(path: Path, ceiling: int) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="ascii") as f:
            f.write(f"{ceiling}\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:  # a display after a restart with the clock set back may then wait
        log.warning("could not store the display seq ceiling in %s: %s", path, err)

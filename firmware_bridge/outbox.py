"""Device events the device was told OK about, kept on disk until the server answers them.

An OK on the serial line tells the person at the keypad that the press counts. From then on the
bridge alone holds the event until the server's `dev/<dev>/ack` for its `msg_id` comes
(`unanswered`); a `kill -9` or a power cut in that time must not lose it. So each event is written
here, in one SQLite file in the bridge's data folder (WAL, synchronous=FULL: on disk when `keep`
returns), before it is published and so before the device hears OK; the server's answer removes
it. At start the bridge sends again, with the same `msg_id`, what is still here and young enough;
the server acts on a `msg_id` once, so a repeat is harmless.

A file that is not a usable outbox (damaged, or not SQLite at all) is moved aside with a clear
error in the log and the bridge starts with an empty one: a bridge that refuses to start would
make every press fail, which loses far more than the few seconds of events that file could hold.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    msg_id TEXT PRIMARY KEY,
    device TEXT NOT NULL,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    kept_at REAL NOT NULL
)
"""


class OutboxError(Exception):
    """The outbox cannot be opened or written; the message says which file and why."""

    code = "outbox_unavailable"


@dataclass(frozen=True, slots=True)
class KeptEvent:
    """An event found in the outbox at start, `age` seconds after it was kept."""

    msg_id: str
    device: str
    topic: str
    payload: bytes
    age: float


class Outbox:
    """One bridge's events on disk. Writes run on one thread of their own, in order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ids: set[str] = set()
        self._disk = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OutboxError(f"{path.parent}: cannot make the bridge's data folder: {error.strerror}") from None
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as error:
            self._db = self._replace(error)

    def load(self, max_age: float, now: float | None = None) -> list[KeptEvent]:
        """The events kept no longer than `max_age` seconds ago, oldest first; older ones are removed.

        The age is by the wall clock, the one clock that goes on across a restart and a power cut.
        """
        now = time.time() if now is None else now
        try:
            with self._db:
                self._db.execute("DELETE FROM events WHERE kept_at < ?", (now - max_age,))
            rows = self._db.execute("SELECT msg_id, device, topic, payload, kept_at FROM events ORDER BY kept_at")
            kept = [KeptEvent(m, d, t, bytes(p), max(0.0, now - at)) for m, d, t, p, at in rows.fetchall()]
        except sqlite3.DatabaseError as error:  # damage found only now, deeper in the file
            self._db.close()
            self._db = self._replace(error)
            return []
        self._ids = {e.msg_id for e in kept}
        return kept

    async def keep(self, msg_id: str, device: str, topic: str, payload: bytes) -> None:
        """Write one event; it is on disk when this returns (OutboxError if it is not)."""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._disk, self._insert, msg_id, device, topic, payload, time.time())
        except (sqlite3.Error, OSError) as error:
            raise OutboxError(f"{self.path}: cannot keep event {msg_id}: {error}") from None
        self._ids.add(msg_id)

    async def remove(self, msg_ids: list[str]) -> None:
        """Forget events (answered, refused at the device, or too old); unknown ids cost nothing."""
        ids = [m for m in msg_ids if m in self._ids]
        if not ids:
            return
        self._ids.difference_update(ids)
        try:
            await asyncio.get_running_loop().run_in_executor(self._disk, self._delete, ids)
        except (sqlite3.Error, OSError) as error:  # left behind: sent once more after a restart, harmless
            log.warning("%s: cannot remove %d answered events: %s", self.path, len(ids), error)

    def __len__(self) -> int:
        return len(self._ids)

    def close(self) -> None:
        """Finish the writes under way and close the file."""
        self._disk.shutdown(wait=True)
        self._db.close()

    # ---- on the outbox's thread, or at start -------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False)  # `with db:` is one transaction
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # WAL's default, NORMAL, may lose the last commits
            (check,) = db.execute("PRAGMA quick_check").fetchone()
            if check != "ok":
                raise sqlite3.DatabaseError(f"quick_check: {check}")
            db.execute(_SCHEMA)
            columns = [row[1] for row in db.execute("PRAGMA table_info(events)")]
            if columns != ["msg_id", "device", "topic", "payload", "kept_at"]:
                raise sqlite3.DatabaseError(f"an events table with columns {columns}")
        except BaseException:
            db.close()
            raise
        return db

    def _replace(self, error: sqlite3.DatabaseError) -> sqlite3.Connection:
        """Move the unusable file aside (for a look later) and start an empty one."""
        aside = self.path.with_name(f"{self.path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}")
        log.error(
            "outbox %s is not usable (%s): moved to %s; the bridge starts with an empty outbox, and "
            "events kept before this start are not sent again",
            self.path,
            error,
            aside.name,
        )
        try:
            for suffix in ("-wal", "-shm"):  # they belong to the bad file; a new file must not pick them up
                self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
            self.path.replace(aside)
        except OSError as moving:
            raise OutboxError(f"{self.path}: not usable ({error}) and cannot be moved aside: {moving}") from None
        try:
            return self._open()
        except sqlite3.Error as again:
            raise OutboxError(f"{self.path}: cannot make a new outbox: {again}") from None

    def _insert(self, msg_id: str, device: str, topic: str, payload: bytes, now: float) -> None:
        with self._db:
            row = (msg_id, device, topic, payload, now)
            self._db.execute("INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?)", row)

    def _delete(self, msg_ids: list[str]) -> None:
        with self._db:
            self._db.executemany("DELETE FROM events WHERE msg_id = ?", [(m,) for m in msg_ids])

"""The single-writer pattern shared by the hall actor and the booking actor.

One queue, one task. The task takes the requests waiting in its queue as one batch, lets the
subclass handle and store them (`_handle_batch`), and only then are they answered, so nothing
is acknowledged that is not on disk. While a batch is between handling and storing, the
in-memory state is ahead of the disk: `_wait_settled()` lets readers wait that out. A failing
batch is answered with `StorageUnavailable` and the state is reloaded from the store; when
even that fails, it is tried again before the next batch, so the task never dies. When the
subclass has a deadline (a timer), the task wakes for it with an empty batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from qms.core.errors import QmsError

log = logging.getLogger(__name__)


class StorageUnavailable(QmsError):
    """The database could not store the command; nothing was changed (HTTP 503)."""

    code = "storage_unavailable"


class HallStopped(QmsError):
    """The hall is shutting down and takes no more commands (HTTP 503)."""

    code = "hall_stopped"


class Pending(Protocol):
    """A queued request: whatever it carries, it is answered through its future."""

    @property
    def reply(self) -> asyncio.Future[Any]: ...


P = TypeVar("P", bound=Pending)

MAX_SLEEP_SECONDS = 3600.0  # wake at least hourly, so a clock jump is noticed


class SingleWriter(Generic[P]):
    """The queue, the task and the batching; subclasses say how a batch is handled."""

    #: how the writer is named in answers and logs, e.g. "the hall" or "booking"
    what = "the writer"

    def __init__(self, batch_max: int) -> None:
        self._batch_max = batch_max
        self._queue: asyncio.Queue[P] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._stale = False  # the in-memory state may be ahead of the store: rebuild first
        # clear while a batch is between handling and storing: the state shows unstored changes then
        self._settled = asyncio.Event()
        self._settled.set()
        self.retry_seconds = 0.5

    # ---- for subclasses ----------------------------------------------------------------

    def now(self) -> datetime:
        raise NotImplementedError

    def _deadline(self) -> datetime | None:
        """When the state next changes by the clock alone, if ever."""
        raise NotImplementedError

    async def _rebuild(self) -> None:
        """Reload the state from the store."""
        raise NotImplementedError

    async def _handle_batch(self, batch: list[P]) -> None:
        """Handle, store, then answer every request of the batch (an empty batch: a timer)."""
        raise NotImplementedError

    # ---- the shared part ---------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while the writer task takes requests."""
        return self._task is not None and not self._task.done()

    def _start_task(self, name: str) -> None:
        self._task = asyncio.create_task(self._run(), name=name)

    async def stop(self) -> None:
        """Finish the batch in hand and refuse what is queued."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while not self._queue.empty():
            self._refuse(self._queue.get_nowait())

    async def _submit(self, pending: P) -> Any:
        if not self.running:
            raise HallStopped(f"{self.what} is not running")
        self._queue.put_nowait(pending)
        return await pending.reply

    async def _wait_settled(self) -> None:
        while not self._settled.is_set():
            await self._settled.wait()

    async def _store_and_answer(self, store: Awaitable[None] | None, answers: list[tuple[P, Any]]) -> bool:
        """Store what a batch changed (`store`, None when nothing did), then answer each request
        with its result or its QmsError. When storing fails, go back to the stored state and
        answer every request StorageUnavailable; False then."""
        if store is not None:
            try:
                await store
            except Exception as exc:
                log.exception("%s: storing a batch failed", self.what)
                await self._recover()
                failure = StorageUnavailable(f"{self.what} could not store this, nothing changed: {exc}")
                for pending, _ in answers:
                    if not pending.reply.done():
                        pending.reply.set_exception(failure)
                return False
        for pending, answer in answers:
            if pending.reply.done():  # the caller gave up (disconnected); the request still stands
                continue
            if isinstance(answer, QmsError):
                pending.reply.set_exception(answer)
            else:
                pending.reply.set_result(answer)
        return True

    def _refuse(self, pending: P) -> None:
        if not pending.reply.done():
            pending.reply.set_exception(HallStopped(f"{self.what} is shutting down: try again shortly"))

    async def _recover(self) -> None:
        """Go back to the stored state at once, so that readers never see what was not stored;
        if even reading fails, try again before the next batch."""
        try:
            await self._rebuild()
        except Exception:
            log.exception("%s: reloading from the store failed", self.what)
            self._stale = True

    async def _run(self) -> None:
        while True:
            first = await self._next()
            batch = [] if first is None else [first]
            while len(batch) < self._batch_max and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            self._settled.clear()
            try:
                if self._stale:
                    await self._rebuild()
                    self._stale = False
                await self._handle_batch(batch)
            except asyncio.CancelledError:
                for pending in batch:
                    self._refuse(pending)
                raise
            except Exception:  # a bug or a broken disk must not kill the writer: answer, rebuild
                log.exception("%s: batch failed", self.what)
                for pending in batch:
                    if not pending.reply.done():
                        pending.reply.set_exception(StorageUnavailable(f"{self.what} could not store this: try again"))
                await asyncio.sleep(self.retry_seconds)  # the store may be down: do not spin on it
                await self._recover()
            finally:
                self._settled.set()
            await asyncio.sleep(0)  # let readers woken by the set() read before the next batch

    async def _next(self) -> P | None:
        """The next request, or None when the deadline comes first."""
        deadline = self._deadline()
        if deadline is None:
            return await self._queue.get()
        timeout = min(max(0.0, (deadline - self.now()).total_seconds()), MAX_SLEEP_SECONDS)
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None

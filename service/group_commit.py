"""Group commit: the small writes of the cheap requests, many to one transaction.

Every authenticated request looks its token up and counts itself against its
kiosk's throttle, and every nonce is a row: each a write, so each took the store's
write lock (SQLite: the file's; PostgreSQL: the counter's row) and a worker thread
of its own. Under load the requests queued for the lock and for the interpreter
lock in turn, and /v1/questions served 0.3-0.4x a bare app's rate (issue 14).

Here one thread runs the writes that are waiting, up to `MAX_BATCH` of them, in
one transaction, commits once, then answers them all. Nothing is weakened:

- each write runs the domain's own rule (`kiosks.authenticate`, `nonces.new_nonce`)
  on the shared transaction, so a token is still read from the store on every
  request (a revoked one is refused at once on every instance) and every count
  is the store's exact, atomic one;
- no request is answered before the transaction holding its write has
  committed; if the transaction fails, every request in it fails;
- only writes that ask for relaxed durability (`transaction(durable=False)`)
  may join: a rule's durable write is refused here, loudly;
- the batch counts kiosks in the order of their tokens, so two instances' batches
  on PostgreSQL take the counters' row locks in one order and never deadlock.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import Connection

from contract.wire import NonceOut
from service.domain import kiosks, nonces
from service.domain.errors import Refusal, UnknownKiosk
from service.domain.parts import Kiosk, Parts

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Writes one transaction holds at most: a batch then still commits in milliseconds.
MAX_BATCH = 64
#: Seconds the writer thread waits for work before it ends (the next write starts it).
IDLE_SECONDS = 5.0


class DurableWriteRefused(RuntimeError):
    """A rule asked for a durable transaction inside the group commit, which is relaxed."""


@dataclass
class _Write(Generic[T]):
    """One request's write, waiting for its batch."""

    unit: Callable[[Parts], T]
    order: str
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[T]
    outcome: tuple[bool, Any] = field(default=(False, None))


class _InBatch:
    """The service's parts, whose `transaction` is the batch's (relaxed) transaction."""

    def __init__(self, parts: Parts, conn: Connection) -> None:
        self._parts = parts
        self._conn = conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._parts, name)

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[Connection]:
        if durable:
            raise DurableWriteRefused("a durable write cannot join a relaxed group commit")
        # A refusal passes up to the batch, which answers it to this request alone; the
        # batch commits what was written before it, as `Parts.transaction` does.
        yield self._conn


class GroupCommit:
    """Runs the waiting requests' relaxed writes in one transaction, one thread.

    Args:
        parts: the service's parts (store, settings, clock).
    """

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        self._waiting: queue.SimpleQueue[_Write[Any]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False
        self._tasks: set[asyncio.Future[None]] = set()
        self.waiting = 0
        """Writes asked for and not yet answered (queued, or in the batch running)."""

    @property
    def writing(self) -> bool:
        """Whether the writer thread is running (it ends after `IDLE_SECONDS` idle)."""
        return self._running

    async def authenticate(self, token: str | None) -> Kiosk:
        """The kiosk holding this bearer token, counted against its throttle.

        Raises:
            UnknownKiosk: see `kiosks.authenticate`.
            Throttled: see `kiosks.authenticate`.
        """
        if not token:
            raise UnknownKiosk()
        return await self.run(lambda parts: kiosks.authenticate(parts, token), order=token)

    async def kiosk_and_nonce(self, token: str | None) -> tuple[Kiosk, NonceOut]:
        """The kiosk holding this token, counted as `authenticate` counts it, and a fresh
        nonce bound to it (`nonces.new_nonce`): one write in one batch, so a journey's
        first call waits for one commit, not for the token's and then the nonce's.

        Raises:
            UnknownKiosk, Throttled: see `kiosks.authenticate` (then no nonce is made).
        """
        if not token:
            raise UnknownKiosk()

        def both(parts: Parts) -> tuple[Kiosk, NonceOut]:
            kiosk = kiosks.authenticate(parts, token)
            return kiosk, nonces.new_nonce(parts, kiosk, housekeep=False)

        answer = await self.run(both, order=token)
        if nonces.sweep_now():
            # The sweep deletes old counter rows too: as a unit of its own it runs first
            # in its batch (order ""), before any counter is locked, so two instances'
            # batches lock rows in one order (inside `both` it would run among the
            # counters). Only after a kiosk proved itself, and nobody waits for it.
            self._background(self.run(nonces.sweep))
        return answer

    def _background(self, write: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(write)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Future[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("housekeeping in the group commit failed: %r", task.exception())

    async def run(self, unit: Callable[[Parts], T], *, order: str = "") -> T:
        """unit's answer, once the batch that ran it has committed.

        Args:
            unit: a rule, called with parts whose `transaction(durable=False)` is the
                batch's transaction.
            order: where the unit runs in its batch (units that lock the same rows
                must name them, so every batch locks in one order).
        """
        loop = asyncio.get_running_loop()
        write: _Write[T] = _Write(unit, order, loop, loop.create_future())
        self.waiting += 1
        try:
            self._waiting.put(write)
            with self._lock:
                if not self._running:
                    self._running = True
                    writer = threading.Thread(target=self._writer, name="group-commit", daemon=True)
                    writer.start()
            return await write.future
        finally:
            self.waiting -= 1

    def _writer(self) -> None:
        while True:
            try:
                first = self._waiting.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    # A write put before this check is taken on; one put after it
                    # sees the writer gone and starts another.
                    if self._waiting.empty():
                        self._running = False
                        return
                continue
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._waiting.get_nowait())
                except queue.Empty:
                    break
            self._commit(batch)
            self._answer(batch)

    def _commit(self, batch: list[_Write[Any]]) -> None:
        try:
            with self.parts.transaction(durable=False) as conn:
                in_batch = cast(Parts, _InBatch(self.parts, conn))
                for write in sorted(batch, key=lambda w: w.order):
                    try:
                        write.outcome = (True, write.unit(in_batch))
                    except Refusal as refusal:
                        write.outcome = (False, refusal)
        except Exception as failure:  # the store failed: nothing in the batch holds
            log.warning("group commit of %d writes failed: %r", len(batch), failure)
            for write in batch:
                write.outcome = (False, failure)

    @staticmethod
    def _answer(batch: list[_Write[Any]]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[_Write[Any]]] = {}
        for write in batch:
            by_loop.setdefault(write.loop, []).append(write)
        for loop, writes in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, writes)
            except RuntimeError:  # that loop has closed: nobody waits for these
                pass


def _settle(writes: list[_Write[Any]]) -> None:
    for write in writes:
        if write.future.done():  # the request was cancelled meanwhile
            continue
        ok, value = write.outcome
        if ok:
            write.future.set_result(value)
        else:
            write.future.set_exception(value)

"""Group commit of one Lua script's calls: the room writes of many rooms in one Redis round trip.

Every room's flush stores its events (and state tree) before emitting them (``server/runtime.py``). Done
one pipeline per room and flush, a game process with 400 rooms makes hundreds of round trips a second,
each a ``write`` syscall, a task (redis-py wraps each send in ``asyncio.wait_for``), a pool checkout and
a parse: the largest share of the process's CPU in ``make bench-load``'s profile (``docs/performance.md``).

:class:`GroupCommit` queues each call and sends everything queued in **one** non-transactional pipeline
of ``EVALSHA``: the first call starts a sender task that runs on the next loop iteration; calls made
while a pipeline is in flight go in the next one. So a call waits at most one round trip more than
alone, and the batches grow with the load by themselves (no timer). Each call stays atomic (a script
is), and one call's error (its result, or a script error) reaches only its caller.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from redis.exceptions import NoScriptError

from .. import metrics

#: Calls sent in one pipeline at most (the rest go in the next).
MAX_BATCH = 256


class GroupCommit:
    """Batched calls of the Lua script ``source`` on the redis-py asyncio client ``client()`` returns
    (asked for each batch: the store's client, whatever it is now).

    :meth:`call` returns the script's result for its own ``keys`` / ``args``, or raises: the
    ``redis.RedisError`` of the whole pipeline (connection, pool, timeout), or its own call's error
    (``redis.ResponseError`` from the script). A script unknown to the server (Redis restarted or
    flushed its scripts) is loaded again and its calls are sent once more, transparently.
    """

    def __init__(self, client: Callable[[], Any], source: str, *, max_batch: int = MAX_BATCH) -> None:
        self.client = client
        self.source = source
        self.max_batch = max_batch
        self._sha: str | None = None
        self._pending: list[tuple[list, list, asyncio.Future, bool]] = []
        self._task: asyncio.Task | None = None
        #: Pipelines sent and calls carried (for tests and the benchmark's notes).
        self.batches = 0
        self.calls = 0

    async def call(self, keys: list, args: list) -> Any:
        fut = asyncio.get_running_loop().create_future()
        self._pending.append((keys, args, fut, False))
        if self._task is None:
            self._task = asyncio.create_task(self._send(), name="redis-group-commit")
        return await fut

    async def _send(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:self.max_batch], self._pending[self.max_batch:]
                await self._one(batch)
        except BaseException as e:           # cancelled (shutdown): nobody waits for an answer forever
            for *_, fut, _ in self._pending:
                if not fut.done():
                    fut.set_exception(e if isinstance(e, Exception) else asyncio.CancelledError())
            self._pending = []
            raise
        finally:
            self._task = None

    async def _one(self, batch: list[tuple[list, list, asyncio.Future, bool]]) -> None:
        r = self.client()
        try:
            if self._sha is None:
                self._sha = await r.script_load(self.source)
            async with r.pipeline(transaction=False) as p:
                for keys, args, _, _ in batch:
                    p.evalsha(self._sha, len(keys), *keys, *args)
                results = await p.execute(raise_on_error=False)
        except BaseException as e:
            for *_, fut, _ in batch:
                if not fut.done():
                    fut.set_exception(e if isinstance(e, Exception) else asyncio.CancelledError())
            if not isinstance(e, Exception):  # cancelled: out of the sender; an error: the next batch goes on
                raise
            return
        self.batches += 1
        self.calls += len(batch)
        metrics.ROOM_WRITE_BATCHES.inc()
        metrics.ROOM_WRITES.inc(len(batch))
        for (keys, args, fut, retried), res in zip(batch, results):
            if isinstance(res, NoScriptError) and not retried:
                self._sha = None             # loaded again before the next pipeline; nothing ran
                self._pending.append((keys, args, fut, True))
            elif fut.done():                 # the caller was cancelled meanwhile
                continue
            elif isinstance(res, Exception):
                fut.set_exception(res)
            else:
                fut.set_result(res)


"""One room's host in the game process: its tick, its flush, its jobs (see :mod:`server.runtime`).

A :class:`RoomHost` owns

- the tick (``room.tick()`` at ``tick_hz``, called by the manager's :class:`~server.ticker.RoomTicker`,
  one task for every room; tick + flush timed into a histogram), and
- the *flush*: a single, locked consumer of the room's outbox that sends
  events in ``seq`` order, applies ``score_update`` to the Redis boards
  (ZINCRBY) before broadcasting, reads the board back (ZREVRANGE) and
  publishes ``leaderboard_update``, and starts jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Callable

from rooms.driver import JobDriver
from rooms.jobs import MatchFinishedJob, RoomEvent
from rooms.room import Phase, Room

from . import metrics
from .logs import log
from .roomjobs import run_room_job

if TYPE_CHECKING:
    from .runtime import RoomManager


class RoomHost:
    """Runs one room inside the server process (tick loop + ordered event delivery)."""

    def __init__(self, manager: "RoomManager", room: Room) -> None:
        self.manager = manager
        self.room = room
        self.driver = JobDriver(room)
        self.lock = asyncio.Lock()
        #: The flush a tick started, while it runs (at most one).
        self._flush_task: asyncio.Task | None = None
        self._failing = 0                    # ticks failed in a row
        self._disposing = False
        self._jobs: set[asyncio.Task] = set()
        self.disposed = False
        # Drained from the room but not yet delivered (kept across a failed flush), and watermarks
        # of the seqs whose side effects were applied / that are in the Redis stream / were emitted.
        self._out: deque[RoomEvent] = deque()
        self._out_jobs: list[Any] = []
        self._board_dirty = False
        self._lobby_dirty = False
        self._applied_seq = 0
        self._stored_seq = 0
        #: seq of the last event emitted to the room's sockets.
        self.sent_seq = 0
        #: The room's state tree (JSON) taken with the last drain, until stored with its events (failover).
        self._unsaved_state: str | None = None

    @property
    def sio_room(self) -> str:
        return f"room:{self.room.room_id}"

    def start(self) -> None:
        """Tick the room from now on (the manager's :class:`~server.ticker.RoomTicker`)."""
        self.manager.ticker_for(self.room.settings.timings.tick_hz).add(self)

    def tick(self) -> None:
        """One tick (sync; called by the ticker at the room's ``tick_hz``): ``room.tick()``, then, only
        if the room or this host has something to deliver, a flush task (one at a time: a flush still
        running drains what later ticks queue). Times tick + flush into ``TICK_SECONDS``; a failing
        room is logged once per streak; a disposable room is disposed once its flush is done."""
        if self.disposed:
            return
        t0 = time.perf_counter()
        try:
            self.room.tick()
        except Exception:                    # a bug in one room must not stop the others
            self._tick_failed()
        else:
            if self._flush_task is None:     # else the running flush drains what this tick queued
                if (self.room.has_output() or self._out or self._out_jobs or self._board_dirty
                        or self._lobby_dirty or self._unsaved_state):
                    self._flush_task = asyncio.create_task(self._tick_flush(t0), name=f"flush-{self.room.room_id}")
                    return
                self._tick_ok()
        metrics.TICK_SECONDS.observe(time.perf_counter() - t0)
        if self._flush_task is None and not self._disposing and self.room.is_disposable():
            self._disposing = True
            t = asyncio.create_task(self.manager.dispose(self.room.room_id), name=f"dispose-{self.room.room_id}")
            self._jobs.add(t)
            t.add_done_callback(self._jobs.discard)

    async def _tick_flush(self, t0: float) -> None:
        try:
            await self.flush()
        except Exception:
            self._tick_failed()
        else:
            self._tick_ok()
        finally:
            self._flush_task = None
            metrics.TICK_SECONDS.observe(time.perf_counter() - t0)

    def _tick_failed(self) -> None:
        if not self._failing:                # once per streak (e.g. Redis down): the metric counts them all
            log.exception("room_tick_failed", room_id=self.room.room_id)
        self._failing += 1

    def _tick_ok(self) -> None:
        if self._failing:
            log.info("room_tick_recovered", room_id=self.room.room_id, failed_ticks=self._failing)
            self._failing = 0

    async def flush(self) -> None:
        """Send everything the room has queued, in seq order, and start its jobs."""
        async with self.lock:
            try:
                await self._flush_locked()
            except Exception:
                metrics.FLUSH_FAILURES.inc()
                raise

    async def _flush_locked(self) -> None:
        """Deliver the outbox, in seq order, batch by batch (caller holds :attr:`lock`).

        Each batch: the Redis side effects of events not yet applied (ZINCRBY for ``score_update``,
        the board at ``countdown``), then **one** pipelined XADD of the events not yet in the room's
        stream, then the emits, in order. So every event is in the stream (for replay) before any
        socket sees it. A Redis failure raises with the drained but undelivered events, the drained
        jobs and the pending board/snapshot work kept in the host: the next flush sends those first,
        before any newer event, so no seq is lost or reordered (a retried XADD is skipped by id).
        """
        room, store = self.room, self.manager.redis
        while True:
            events, jobs = room.drain()
            if room.pop_dirty():              # no await since the drain: the tree's seq is the last event's
                self._unsaved_state = room.to_json()
            self._out.extend(events)
            self._out_jobs.extend(jobs)
            if not (self._out or self._out_jobs or self._board_dirty or self._lobby_dirty or self._unsaved_state):
                return
            for ev in self._out:
                if ev.seq > self._applied_seq:
                    await self._apply(ev)
                    self._applied_seq = ev.seq
            fresh = [ev for ev in self._out if ev.seq > self._stored_seq]
            if fresh or self._unsaved_state is not None:     # events and the state in one transaction
                await store.append_events(room.room_id, [(ev.seq, ev.name, ev.wire()) for ev in fresh],
                                          state=self._unsaved_state)
                self._unsaved_state = None
                if fresh:
                    self._stored_seq = fresh[-1].seq
            while self._out:
                ev = self._out[0]
                await self.manager.emit(ev.name, ev.wire(), room=self.sio_room)
                self._out.popleft()
                self.sent_seq = ev.seq
                metrics.EVENTS_OUT.labels(ev.name).inc()
                if self.manager.on_room_event is not None:      # media bridge: turns -> sidecar (sync, no I/O)
                    self.manager.on_room_event(room, ev)
                if ev.name == "participant_left" and ev.payload.get("kicked"):
                    await self.manager.on_kicked(room.room_id, ev.payload["participant_id"])
            if self._board_dirty:
                board = await store.room_board(room.room_id)
                self.driver.publish_board(board)
                self._board_dirty = False
            if self._lobby_dirty:
                self.manager.lobby_changed()
                await store.save_snapshot(room.room_id, room.snapshot(None, await store.room_board(room.room_id)))
                self._lobby_dirty = False
            jobs, self._out_jobs = self._out_jobs, []
            for job in jobs:
                t = asyncio.create_task(self._run_job(job))
                self._jobs.add(t)
                t.add_done_callback(self._jobs.discard)

    async def _apply(self, ev: RoomEvent) -> None:
        """An event's Redis side effects, applied once, before it is stored and emitted."""
        room, store = self.room, self.manager.redis
        for participant_id, points in self.driver.score_deltas((ev,)):
            await store.add_score(room.room_id, participant_id, points)
            self._board_dirty = True
        if ev.name == "phase_changed":
            self._lobby_dirty = True
            if ev.payload["phase"] == Phase.COUNTDOWN:
                await store.init_board(room.room_id, {p.participant_id: p.display_name
                                                      for p in room.participants.values() if p.seated})
        elif ev.name in ("participant_joined", "participant_left"):
            self._lobby_dirty = True

    async def missed_events(self, last_seq: int) -> list[tuple[str, dict]] | None:
        """Events sent after ``last_seq`` (up to :attr:`sent_seq`), from the room's stream, for a
        rejoining client; ``None`` when the stream no longer holds them all (send a snapshot).
        Call inside :meth:`settled`, so no event is sent meanwhile."""
        return await self.manager.redis.events_since(self.room.room_id, last_seq, self.sent_seq)

    async def _run_job(self, job: Any) -> None:
        name = type(job).__name__
        t0 = time.perf_counter()
        try:
            result = await run_room_job(self.manager, self.room, job)
            if not self.disposed:
                self.driver.deliver(job, result)
            if isinstance(job, MatchFinishedJob):
                metrics.MATCHES_FINISHED.labels(self.room.end_reason or "completed").inc()
                log.info("match_finished", room_id=self.room.room_id, reason=self.room.end_reason,
                         answers=len(job.record["answers"]), stored=result.report_url is not None)
        except Exception:
            log.exception("room_job_failed", room_id=self.room.room_id, job=name)
        finally:
            metrics.JOB_SECONDS.labels(name).observe(time.perf_counter() - t0)
        if not self.disposed:
            await self.flush()

    @contextlib.asynccontextmanager
    async def settled(self, command: Callable[[Room], Any] | None = None):
        """Hold the room's delivery for the block: run ``command(room)`` (if given; a ``RoomError``
        it raises propagates), flush, and let no event out until the block exits, so a snapshot or a
        replay taken inside sits exactly at :attr:`sent_seq` (``join_room``, ``request_state``)."""
        async with self.lock:
            if command is not None:
                command(self.room)
            await self._flush_locked()
            yield self

    async def snapshot(self, viewer_id: str | None) -> dict:
        """A ``room_state`` with the leaderboard read from Redis."""
        board = await self.manager.redis.room_board(self.room.room_id)
        return self.room.snapshot(viewer_id, board if board else None)

    async def stop(self) -> None:
        self.disposed = True
        self.manager.ticker_for(self.room.settings.timings.tick_hz).discard(self)
        current = asyncio.current_task()
        if self._flush_task is not None and self._flush_task is not current:
            self._flush_task.cancel()
        for t in list(self._jobs):
            if t is not current:
                t.cancel()

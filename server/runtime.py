"""The room runtime: ticks rooms, delivers their events, runs their jobs.

One :class:`RoomHost` per room owns

- the tick (``room.tick()`` at ``tick_hz``, called by the manager's :class:`~server.ticker.RoomTicker`,
  one task for every room; tick + flush timed into a histogram), and
- the *flush*: a single, locked consumer of the room's outbox that sends
  events in ``seq`` order, applies ``score_update`` to the Redis boards
  (ZINCRBY) before broadcasting, reads the board back (ZREVRANGE) and
  publishes ``leaderboard_update``, and starts jobs.

Jobs (AI answers, follow-ups, scoring, storing the match) run in worker
processes through the job queue, or inline in a thread pool when no worker takes
them (``server/roomjobs.py``, ``server/jobqueue.py``), so the event loop, and with
it every room's tick, never waits on CPU work. Their results go back into the
room through the shared job driver (``rooms/driver.py``), which also publishes
``leaderboard_update`` and ``session_complete``, and trigger a flush.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import string
import time
import uuid
from collections import deque
from dataclasses import replace
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable, Sequence

from personas.answerer import Answerer
from rooms.clock import SystemClock
from rooms.errors import ErrorCode, RoomError
from scoring.factory import default_scorer
from scoring.rubric import RubricScorer
from rooms.driver import JobDriver
from rooms.jobs import MatchFinishedJob, RoomEvent
from rooms.questions import Question, QuestionBank, default_bank
from rooms.room import Phase, Room
from rooms.settings import RoomSettings

from . import metrics
from .jobwork import JobWork
from .logs import log
from .roomjobs import run_room_job
from .store.redis_store import RedisStore
from .store.results import ResultStore
from .ticker import RoomTicker

Emit = Callable[..., Awaitable[None]]
CODE_ALPHABET = "".join(c for c in string.ascii_uppercase + string.digits if c not in "0O1IL")


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


class RoomManager:
    """All rooms of this process: create, find, list, dispose.

    Args:
        emit: ``sio.emit``-compatible coroutine.
        redis / results: the stores.
        bank: question bank; scorer: the default scorer; ai_source: a custom persona answer source
            (see :class:`personas.answerer.Answerer`; default: the LLM chain or the offline engine).
        time_scale: multiplies phase durations (1.0 in production).
    """

    def __init__(self, emit: Emit, redis: RedisStore, results: ResultStore, *, tick_hz: float = 10.0,
                 time_scale: float = 1.0, bank: QuestionBank | None = None, ai_source: Callable | None = None,
                 known_personas: dict[str, dict] | None = None, max_rooms: int = 2000,
                 on_kicked: Callable[[str, str], Awaitable[None]] | None = None) -> None:
        self.emit = emit
        self.redis = redis
        self.results = results
        self.tick_hz = tick_hz
        self.time_scale = time_scale
        self.bank = bank or default_bank()
        self._scorers: dict[int, Any] = {}
        self.answerer = Answerer(ai_source)
        self.known_personas = known_personas or {}
        self.max_rooms = max_rooms
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="arena-job")
        #: Runs jobs inline (the fallback); ``scorer_for`` is looked up per job, so tests may replace it.
        self.work = JobWork(self.answerer, self.bank, lambda secs: self.scorer_for(secs), results, self.pool)
        #: The job queue to the workers (``server.jobqueue.JobQueue``, set by the app); None: all inline.
        self.queue = None
        self.hosts: dict[str, RoomHost] = {}
        self.by_code: dict[str, str] = {}
        self.clock = SystemClock()
        self._on_kicked = on_kicked
        #: ``(room, event) -> None``, called for every event a RoomHost flushes (the media bridge sets it).
        self.on_room_event: Callable[[Room, RoomEvent], None] | None = None
        self._lobby_dirty = asyncio.Event()
        self.lobby_task: asyncio.Task | None = None
        #: One ticker per tick rate (all rooms share the manager's, but a restored room keeps its own).
        self.tickers: dict[float, RoomTicker] = {}

    def ticker_for(self, tick_hz: float) -> RoomTicker:
        """The :class:`~server.ticker.RoomTicker` of rooms ticking at ``tick_hz``."""
        if tick_hz not in self.tickers:
            self.tickers[tick_hz] = RoomTicker(tick_hz)
        return self.tickers[tick_hz]

    def scorer_for(self, answer_seconds: int):
        """The default scorer for a room's answer time (s); models are shared process-wide."""
        if answer_seconds not in self._scorers:
            self._scorers[answer_seconds] = default_scorer(answer_seconds)
        return self._scorers[answer_seconds]

    async def warm_up(self) -> None:
        """Load the scoring models and the personas' knowledge now (off the loop), not on the first question."""
        loop = asyncio.get_running_loop()
        scorer = self.scorer_for(90)
        if hasattr(scorer, "warm_up"):
            t0 = time.perf_counter()
            await loop.run_in_executor(self.pool, scorer.warm_up)
            log.info("scorer_ready", scorer=type(scorer).__name__, seconds=round(time.perf_counter() - t0, 2))
        t0 = time.perf_counter()
        await loop.run_in_executor(self.pool, self.answerer.warm_up)
        log.info("personas_ready", seconds=round(time.perf_counter() - t0, 2))

    # -- rooms
    def create_room(self, host_id: str, host_name: str, settings: RoomSettings,
                    questions: Sequence[Question] = ()) -> Room:
        """Create and start a room with ``host_id`` seated as host. ``questions``: extra questions
        (a résumé's tailored set) the room's bank holds besides the shared bank.

        Raises:
            RoomError: ``invalid_settings`` / ``unknown_persona``, or
                ``internal_error`` when the process is at ``max_rooms``.
        """
        if len(self.hosts) >= self.max_rooms:
            raise RoomError(ErrorCode.INTERNAL, "the server is at its room limit; try again later")
        timings = replace(settings.timings.scaled(self.time_scale), tick_hz=self.tick_hz)
        settings = settings.with_timings(timings).validate(self.known_personas.keys())
        room_id = uuid.uuid4().hex[:10]
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        while code in self.by_code:
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        bank = self.bank
        if questions:
            shared = {b.id for b in self.bank}
            bank = QuestionBank([*self.bank, *(q for q in questions if q.id not in shared)])
        room = Room(room_id, settings, host_id, host_name, self.clock, random.Random(secrets.randbits(64)),
                    bank, persona_names=self.known_personas, join_code=code,
                    fallback_scorer=RubricScorer(settings.answer_seconds))
        host = RoomHost(self, room)
        self.hosts[room_id] = host
        self.by_code[code] = room_id
        host.start()
        metrics.ACTIVE_ROOMS.set(len(self.hosts))
        self.lobby_changed()
        log.info("room_created", room_id=room_id, host=host_id, personas=[p.id for p in settings.personas],
                 mode=settings.turn_mode, lang=settings.language)
        return room

    def get(self, room_id: str | None = None, join_code: str | None = None) -> RoomHost:
        """Find a room by id or join code. Raises ``RoomError(room_not_found)``."""
        if room_id is None and join_code:
            room_id = self.by_code.get(join_code.strip().upper())
        host = self.hosts.get(room_id or "")
        if host is None:
            raise RoomError(ErrorCode.ROOM_NOT_FOUND, "no such room")
        return host

    def public_rooms(self) -> list[dict]:
        """Rooms for the lobby: public ones not finished, newest first."""
        rooms = [h.room for h in self.hosts.values()
                 if not h.room.settings.private and h.room.phase != Phase.FINISHED]
        rooms.sort(key=lambda r: -r.created_ms)
        return [r.lobby_entry() for r in rooms]

    async def dispose(self, room_id: str) -> None:
        host = self.hosts.pop(room_id, None)
        if host is None:
            return
        self.by_code.pop(host.room.join_code, None)
        host.room.terminate("disposed")
        try:
            await host.flush()
        finally:
            await host.stop()
        try:
            await self.redis.drop_events(room_id)
            await self.redis.forget_room(room_id)
        except Exception:                 # the stream's and the state's TTLs remove them anyway
            log.warning("room_stream_drop_failed", room_id=room_id)
        metrics.ACTIVE_ROOMS.set(len(self.hosts))
        self.lobby_changed()
        log.info("room_disposed", room_id=room_id)

    async def on_kicked(self, room_id: str, participant_id: str) -> None:
        if self._on_kicked:
            await self._on_kicked(room_id, participant_id)

    # -- lobby pushes, coalesced to at most 2 per second
    def lobby_changed(self) -> None:
        self._lobby_dirty.set()
        metrics.ACTIVE_MATCHES.set(sum(1 for h in self.hosts.values() if h.room.in_match))

    async def _lobby_loop(self) -> None:
        while True:
            await self._lobby_dirty.wait()
            self._lobby_dirty.clear()
            await self.emit("lobby_update", {"rooms": self.public_rooms()}, room="lobby")
            await asyncio.sleep(0.5)

    def start(self) -> None:
        self.lobby_task = asyncio.create_task(self._lobby_loop(), name="lobby")

    async def stop(self) -> None:
        if self.lobby_task:
            self.lobby_task.cancel()
        for rid in list(self.hosts):
            await self.dispose(rid)
        for ticker in self.tickers.values():
            ticker.stop()
        self.pool.shutdown(wait=False, cancel_futures=True)
        await self.answerer.aclose()

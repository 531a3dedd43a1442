"""The room runtime: ticks rooms, delivers their events, runs their jobs.

:class:`RoomManager` creates, finds, restores and disposes of rooms; one
:class:`~server.room_host.RoomHost` per room (``server/room_host.py``) owns its
tick and its flush.

Jobs (AI answers, follow-ups, scoring, storing the match) run in worker
processes through the job queue, or inline in a thread pool when no worker takes
them (``server/roomjobs.py``, ``server/jobqueue.py``), so the event loop, and with
it every room's tick, never waits on CPU work. Their results go back into the
room through the shared job driver (``rooms/driver.py``), which also publishes
``leaderboard_update`` and ``session_complete``, and trigger a flush.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import string
import time
import uuid
from dataclasses import replace
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable, Sequence

from personas.answerer import Answerer
from rooms.clock import SystemClock
from rooms.errors import ErrorCode, RoomError
from scoring.factory import default_scorer
from scoring.rubric import RubricScorer
from rooms.jobs import RoomEvent
from rooms.questions import Question, QuestionBank, default_bank
from rooms.room import Phase, Room
from rooms.settings import RoomSettings

from . import metrics
from .jobwork import JobWork
from .logs import log
from .store.redis_store import RedisStore
from .store.results import ResultStore
from .room_host import RoomHost  # noqa: F401  (re-exported: gateway, restore)
from .ticker import RoomTicker

Emit = Callable[..., Awaitable[None]]
CODE_ALPHABET = "".join(c for c in string.ascii_uppercase + string.digits if c not in "0O1IL")


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

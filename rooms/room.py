"""The room: an authoritative, tick-driven interview match.

A :class:`Room` is pure game logic. It owns the phase state machine, the
turn scheduler, timers, the question queue and the answers. It never does I/O:
time comes from an injected clock, randomness from an injected RNG, and
everything it has to tell the world leaves through its outbox as

- :class:`rooms.jobs.RoomEvent` broadcasts, numbered by a per-room ``seq``
  that increases by exactly one per event, and
- jobs (:mod:`rooms.jobs`) for slow work the runtime does off the loop:
  AI answers, scoring, storing the finished match.

Lifecycle, after Nakama's match handler and Colyseus' Room:

=====================  ==========================  =====================
this class             Nakama                      Colyseus
=====================  ==========================  =====================
``__init__``           MatchInit                   onCreate
``join_attempt``       MatchJoinAttempt            onAuth
``join``               MatchJoin                   onJoin / onReconnect
``drop``               (presence leave)            onDrop
``leave``              MatchLeave                  onLeave
``tick``               MatchLoop                   setSimulationInterval
``terminate``          MatchTerminate              onDispose
=====================  ==========================  =====================

Phases: ``lobby → countdown → question → answering → scoring → reveal →
(question …) → finished``.

The class is split by concept; this module holds the state, the outbox, the tick and the phase
moves, and mixes in

- :mod:`rooms.lifecycle` (joins, drops, leaves, kicks and the players' commands),
- :mod:`rooms.answering` (turns, drafts, auto-submit, skips, scoring),
- :mod:`rooms.follow_up` (the follow-up state machine),
- :mod:`rooms.room_views` (snapshot, report, lobby entry: every hidden-information check),
- :mod:`rooms.spoken` (delivery and expression of spoken answers).

Its state is one tree, :class:`rooms.state.RoomState` (``room.state``; ``room.phase`` is
``room.state.phase``): :meth:`Room.to_json` / :meth:`Room.from_json` save and restore a room,
and :meth:`Room.resume` picks a restored room up in a new process.
"""

from __future__ import annotations

import operator
import random
from typing import Any, Callable

from .answering import AnsweringMixin
from .clock import Clock
from .errors import ErrorCode, RoomError
from .follow_up import FOLLOW_UP_WEIGHT, STOCK_FOLLOW_UP, WAITING, FollowUpMixin  # noqa: F401 (re-exported)
from .jobs import MatchFinishedJob, RoomEvent
from .lifecycle import LifecycleMixin
from .participants import AWAY, ONLINE, Participant
from .phases import MATCH_PHASES, TRANSITIONS, Phase
from .questions import Question, QuestionBank, QuestionQueue
from .room_views import ROLE_PLAYER, ROLE_SPECTATOR, RoomViewsMixin
from .scoring import Scorer
from .settings import MAX_TEXT_BYTES, RoomSettings
from .spoken import SpokenMixin
from .state import STATE_FIELDS, RoomState
from .turns import Answer, Turn  # noqa: F401 (re-exported)

#: Events that change nothing a restored room needs (a draft's live text): no state save for them.
UNSAVED_EVENTS = frozenset({"answer_stream"})


class Room(LifecycleMixin, AnsweringMixin, FollowUpMixin, RoomViewsMixin, SpokenMixin):
    """An interview match for humans and AI candidates.

    Args:
        room_id: unique id.
        settings: validated :class:`RoomSettings`.
        host_id / host_name: the creating user, seated as host.
        clock: injected clock (epoch ms).
        rng: injected ``random.Random`` (question draw, AI seeds, think times).
        bank: the question bank.
        persona_names: persona id -> {"name", "company"} for AI seats.
        join_code: the room's join code (any room can be joined by code; a private room only by code).
        fallback_scorer: used inline when the scoring job times out.

    Raises:
        RoomError: ``invalid_settings`` when the bank has too few questions.
    """

    def __init__(self, room_id: str, settings: RoomSettings, host_id: str, host_name: str, clock: Clock,
                 rng: random.Random, bank: QuestionBank, persona_names: dict[str, dict] | None = None,
                 join_code: str = "", fallback_scorer: Scorer | None = None) -> None:
        try:
            queue = QuestionQueue(bank, settings.question_count, settings.categories, settings.difficulty,
                                  rng, companies=[p.id for p in settings.personas], fixed=settings.question_ids)
        except ValueError as e:
            raise RoomError(ErrorCode.INVALID_SETTINGS, str(e)) from e
        now = clock.now_ms()
        self._attach(RoomState(room_id=room_id, settings=settings, join_code=join_code, host_id=host_id,
                               rng=rng, queue=queue, created_ms=now), clock, fallback_scorer)
        self.bank = bank                      # the scorer looks the asked questions up here
        self.participants[host_id] = Participant(host_id, "human", host_name, is_host=True, joined_ms=now)
        names = persona_names or {}
        for seat in settings.personas:
            info = names.get(seat.id, {})
            pid = f"ai:{seat.id}"
            self.participants[pid] = Participant(pid, "ai", info.get("name", seat.id), persona_id=seat.id,
                                                 company=info.get("company"), skill=seat.skill, ready=True,
                                                 joined_ms=now)

    def _attach(self, state: RoomState, clock: Clock, fallback_scorer: Scorer | None) -> None:
        self.state = state
        self.clock = clock
        self._fallback_scorer = fallback_scorer
        self._events: list[RoomEvent] = []
        self._jobs: list[Any] = []
        self._dirty = True                  # changed since the runtime last saved the state

    # ------------------------------------------------------------------- state
    def to_json(self) -> str:
        """The room's state tree as JSON text (:meth:`rooms.state.RoomState.to_json`). The outbox is not
        state: drain it first (jobs still open are re-issued by :meth:`resume`)."""
        return self.state.to_json()

    @classmethod
    def from_json(cls, text: str | bytes | dict, *, clock: Clock, bank: QuestionBank,
                  fallback_scorer: Scorer | None = None) -> "Room":
        """Rebuild a room from :meth:`to_json` text (or its parsed dict) with new collaborators.

        The restored room behaves exactly as the saved one would have, on the same clock: same
        timers (absolute deadlines), same RNG draws, same ids.

        Raises:
            ValueError: bad JSON, another state version, a malformed tree.
            KeyError: a question ``bank`` does not hold, or a missing field.
        """
        state = (RoomState.from_dict(text, bank) if isinstance(text, dict) else RoomState.from_json(text, bank))
        room = cls.__new__(cls)
        room._attach(state, clock, fallback_scorer)
        room.bank = getattr(state.queue, "bank", bank)      # with a résumé room's own questions
        room._dirty = False
        return room

    def resume(self, min_grace_ms: int = 0) -> None:
        """Pick up a restored room in a new process: nobody is connected any more, so every online
        human is dropped (the reconnection grace period, at least ``min_grace_ms``, starts now) and
        every spectator leaves; and the jobs the old process had out (an AI answer, a follow-up
        question, scoring, storing the finished match) are issued again with their old ids. Timers
        are not moved."""
        grace = max(self.settings.timings.reconnect_grace_ms, min_grace_ms)
        for pid in sorted(self.spectators):
            self.drop(pid)
        for p in self.humans:
            if p.presence == ONLINE:
                self.drop(p.participant_id, grace_ms=grace)
        self._queue_open_jobs()

    def _queue_open_jobs(self) -> None:
        if self.phase == Phase.ANSWERING:
            for turn in self.turns.values():
                if turn.ai_job_id and not turn.done and not turn.plan:
                    self._queue_job(self._ai_job(turn))
            if self.follow_up.step == WAITING:
                self._queue_job(self._follow_up_job())
        elif self.phase == Phase.SCORING and self.score_job_id is not None:
            self._queue_job(self._score_job())
        elif self.phase == Phase.FINISHED and self.started_ms is not None and not self.session_completed:
            self._queue_job(MatchFinishedJob(f"{self.room_id}-finished", self.room_id, self.match_record()))

    def pop_dirty(self) -> bool:
        """True (once) if the state changed since the last call: the runtime saves it then."""
        dirty, self._dirty = self._dirty, False
        return dirty

    # ------------------------------------------------------------------ outbox
    def _emit(self, name: str, payload: dict) -> RoomEvent:
        self.seq += 1
        ev = RoomEvent(self.seq, name, {"room_id": self.room_id, **payload})
        self._events.append(ev)
        if name not in UNSAVED_EVENTS:
            self._dirty = True
        return ev

    def publish(self, name: str, payload: dict) -> RoomEvent:
        """Add a runtime-made broadcast (e.g. ``leaderboard_update``) to the room's seq stream.
        ``session_complete`` answers the :class:`MatchFinishedJob` (the match is stored)."""
        if name == "session_complete":
            self.session_completed = True
        return self._emit(name, payload)

    def has_output(self) -> bool:
        """True if :meth:`drain` or :meth:`pop_dirty` would give the runtime something: events, jobs, or
        a state to save (the runtime skips its flush otherwise)."""
        return bool(self._events or self._jobs or self._dirty)

    def drain(self) -> tuple[list[RoomEvent], list[Any]]:
        """Take everything queued: ``(events in seq order, jobs)``."""
        ev, jobs = self._events, self._jobs
        self._events, self._jobs = [], []
        return ev, jobs

    def _queue_job(self, job: Any) -> None:
        self._jobs.append(job)
        self._dirty = True

    def _next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{self.room_id}-{prefix}{self.counter}"

    # ----------------------------------------------------------------- helpers
    @property
    def humans(self) -> list[Participant]:
        return [p for p in self.participants.values() if p.kind == "human"]

    @property
    def in_match(self) -> bool:
        return self.phase in MATCH_PHASES

    @property
    def current_question(self) -> Question | None:
        return self.questions[-1] if self.questions and self.phase not in (Phase.LOBBY, Phase.COUNTDOWN) else None

    def seated_humans(self) -> list[Participant]:
        return [p for p in self.humans if p.seated]

    def role_of(self, user_id: str) -> str | None:
        """``"player"``, ``"spectator"`` or None (not in the room)."""
        p = self.participants.get(user_id)
        if p is not None and p.seated and p.kind == "human":
            return ROLE_PLAYER
        if user_id in self.spectators:
            return ROLE_SPECTATOR
        return None

    def _player(self, user_id: str) -> Participant:
        p = self.participants.get(user_id)
        if p is None or not p.seated or p.kind != "human":
            if user_id in self.spectators:
                raise RoomError(ErrorCode.SPECTATOR, "spectators are read-only")
            raise RoomError(ErrorCode.NOT_IN_ROOM, "you are not a player in this room")
        return p

    def _require_phase(self, *phases: str) -> None:
        if self.phase not in phases:
            raise RoomError(ErrorCode.WRONG_PHASE, f"not allowed in phase {self.phase!r} (needs {', '.join(phases)})")

    def _require_host(self, user_id: str) -> None:
        self._player(user_id)
        if user_id != self.host_id:
            raise RoomError(ErrorCode.NOT_HOST, "only the host can do that")

    @staticmethod
    def _check_text(text: str) -> str:
        if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
            raise RoomError(ErrorCode.TEXT_TOO_LONG, f"text is over {MAX_TEXT_BYTES} bytes")
        return text

    def _set_phase(self, phase: str, duration_ms: int | None = None) -> None:
        if phase not in TRANSITIONS[self.phase]:
            raise AssertionError(f"illegal transition {self.phase} -> {phase}")
        self.phase = phase
        now = self.clock.now_ms()
        self.phase_ends_ms = now + duration_ms if duration_ms is not None else None
        self._emit("phase_changed", {"phase": phase, "phase_ends_ms": self.phase_ends_ms,
                                     "question_index": len(self.questions)})

    # -------------------------------------------------------------------- tick
    def tick(self) -> None:
        """Advance timers to the clock's now (the match loop; call at ``tick_hz``)."""
        now = self.clock.now_ms()
        humans = self.humans
        for p in humans:
            if p.presence == AWAY and p.grace_until_ms is not None and now >= p.grace_until_ms:
                self._release(p)
                if self.phase == Phase.FINISHED:
                    return
                humans = self.humans
        if self.phase != Phase.FINISHED and not (self.spectators or any(h.presence == ONLINE for h in humans)):
            self.empty_since_ms = self.empty_since_ms or now
        ends = self.phase_ends_ms
        if self.phase == Phase.COUNTDOWN and now >= ends:
            self._ask_next_question()
        elif self.phase == Phase.QUESTION and now >= ends:
            self._start_answering()
        elif self.phase == Phase.ANSWERING:
            self._tick_answering(now)
        elif self.phase == Phase.SCORING and now >= ends:
            self._apply_scores({})
        elif self.phase == Phase.REVEAL and now >= ends:
            if self.queue.remaining() > 0:
                self._ask_next_question()
            else:
                self._finish("completed")

    # ---------------------------------------------------------- phase logic
    def _ask_next_question(self) -> None:
        q = self.queue.next()
        self.questions.append(q)
        self.turns = {}
        self._set_phase(Phase.QUESTION, self.settings.timings.question_read_ms)
        lang = self.settings.language
        self._emit("question_asked", {"question_id": q.id, "text": q.text(lang), "category": q.category,
                                      "topic": q.topic, "difficulty": q.difficulty,
                                      "index": len(self.questions), "total": self.settings.question_count})

    def _finish(self, reason: str) -> None:
        self.end_reason = reason
        self.stopped_phase = self.phase
        self.turns = {}
        self.finished_ms = self.clock.now_ms()
        self.phase = Phase.FINISHED
        self.phase_ends_ms = None
        self._emit("phase_changed", {"phase": Phase.FINISHED, "phase_ends_ms": None,
                                     "question_index": len(self.questions), "reason": reason})
        if self.started_ms is not None:
            self._queue_job(MatchFinishedJob(f"{self.room_id}-finished", self.room_id, self.match_record()))


def _forward(name: str) -> property:
    # attrgetter("state.x") is C: the engine reads these fields thousands of times a second per process
    return property(operator.attrgetter(f"state.{name}"), lambda self, v: setattr(self.state, name, v),
                    doc=f"``room.state.{name}`` (:class:`rooms.state.RoomState`).")


for _name in STATE_FIELDS:
    setattr(Room, _name, _forward(_name))
del _name

RoomFactory = Callable[..., Room]

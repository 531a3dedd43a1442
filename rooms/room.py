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
"""

from __future__ import annotations

import hmac
import random
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .clock import Clock
from .errors import ErrorCode, RoomError
from .scoring import UNSCORED, AnswerToScore, ScoreResult, Scorer
from .jobs import AIAnswerJob, FollowUpJob, MatchFinishedJob, RoomEvent, ScoreJob
from .participants import AWAY, LEFT, ONLINE, Participant
from .phases import MATCH_PHASES, TRANSITIONS, Phase
from .questions import Question, QuestionBank, QuestionQueue
from .ranking import rank_scores
from .scheduler import TurnScheduler
from .settings import MAX_TEXT_BYTES, RoomSettings
from . import views


ROLE_PLAYER, ROLE_SPECTATOR = "player", "spectator"
_WORD = re.compile(r"\S+\s*")
FOLLOW_UP_WEIGHT = 0.3          # share of a question's score that the follow-up answer carries (ours)
STOCK_FOLLOW_UP = {"ko": "방금 답변에서 본인이 직접 한 일과 그 결과를 조금 더 구체적으로 설명해 주시겠어요?",
                   "en": "Could you say more about what you personally did there, and what the result was?"}


@dataclass
class Answer:
    """A submitted (or auto-submitted, or skipped) answer to one question."""

    answer_id: str
    participant_id: str
    question_id: str
    question_index: int
    text: str
    submitted_ms: int
    auto_submitted: bool = False
    skipped: bool = False
    story_id: str | None = None
    result: ScoreResult | None = None
    follow_up_of: str | None = None      # the main answer this one follows up
    follow_up_question: str | None = None
    announced: bool = False              # its text was broadcast (answer_submitted)

    def public(self, with_score: bool = True) -> dict:
        d = {"answer_id": self.answer_id, "participant_id": self.participant_id, "question_id": self.question_id,
             "question_index": self.question_index, "text": self.text, "auto_submitted": self.auto_submitted,
             "skipped": self.skipped}
        if self.follow_up_of:
            d.update(follow_up_of=self.follow_up_of, follow_up_question=self.follow_up_question)
        if with_score and self.result is not None:
            d.update(self.result.to_dict())
        return d


@dataclass
class Turn:
    """One participant's turn at the current question.

    ``plan`` (AI only) holds ``(show_at_ms, words_shown)`` pairs; ``shown`` is
    how many words of ``ai_text`` have been streamed.
    """

    participant_id: str
    started_ms: int
    deadline_ms: int
    draft: str = ""
    done: bool = False
    absent_since: int | None = None       # set when the turn begins while its player is away (or they left)
    ai_job_id: str | None = None
    ai_words: list = field(default_factory=list)
    plan: list = field(default_factory=list)
    shown: int = 0
    story_id: str | None = None
    last_stream_ms: int = 0
    stream_pending: bool = False
    follow_up: str | None = None          # the follow-up question, for a follow-up turn


class Room:
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
        self.room_id = room_id
        self.settings = settings
        self.clock = clock
        self.rng = rng
        self.join_code = join_code
        self.host_id = host_id
        self.phase = Phase.LOBBY
        self.phase_ends_ms: int | None = None
        self.seq = 0
        self.created_ms = clock.now_ms()
        self.started_ms: int | None = None
        self.finished_ms: int | None = None
        self.empty_since_ms: int | None = None
        self.participants: dict[str, Participant] = {}
        self.spectators: set[str] = set()
        self.answers: list[Answer] = []
        self.questions: list[Question] = []
        self.turns: dict[str, Turn] = {}
        self.turn_order: list[str] = []
        self.turn_index = 0
        self.scheduler: TurnScheduler | None = None
        self.score_job_id: str | None = None
        self.follow_up_pid: str | None = None      # who is answering (or about to answer) a follow-up
        self.follow_up_job_id: str | None = None
        self.follow_up_asked_ms: int | None = None
        self.follow_up_done = False
        self.delivery: dict[tuple[str, str, bool], dict] = {}   # (participant_id, question_id, follow_up) -> delivery
        self.expression: dict[tuple[str, str], dict] = {} # (participant_id, question_id) -> {"samples", "sum"}
        self.end_reason: str | None = None
        self.stopped_phase = Phase.LOBBY      # the phase the match was in when it finished
        self._events: list[RoomEvent] = []
        self._jobs: list[Any] = []
        self._counter = 0
        self._fallback_scorer = fallback_scorer
        self.bank = bank                      # the scorer looks the asked questions up here
        try:
            self.queue = QuestionQueue(bank, settings.question_count, settings.categories, settings.difficulty,
                                       rng, companies=[p.id for p in settings.personas],
                                       fixed=settings.question_ids)
        except ValueError as e:
            raise RoomError(ErrorCode.INVALID_SETTINGS, str(e)) from e
        now = clock.now_ms()
        self.participants[host_id] = Participant(host_id, "human", host_name, is_host=True, joined_ms=now)
        names = persona_names or {}
        for seat in settings.personas:
            info = names.get(seat.id, {})
            pid = f"ai:{seat.id}"
            self.participants[pid] = Participant(pid, "ai", info.get("name", seat.id), persona_id=seat.id,
                                                 company=info.get("company"), skill=seat.skill, ready=True,
                                                 joined_ms=now)

    # ------------------------------------------------------------------ outbox
    def _emit(self, name: str, payload: dict) -> RoomEvent:
        self.seq += 1
        ev = RoomEvent(self.seq, name, {"room_id": self.room_id, **payload})
        self._events.append(ev)
        return ev

    def publish(self, name: str, payload: dict) -> RoomEvent:
        """Add a runtime-made broadcast (e.g. ``leaderboard_update``) to the room's seq stream."""
        return self._emit(name, payload)

    def drain(self) -> tuple[list[RoomEvent], list[Any]]:
        """Take everything queued: ``(events in seq order, jobs)``."""
        ev, jobs = self._events, self._jobs
        self._events, self._jobs = [], []
        return ev, jobs

    def _next_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{self.room_id}-{prefix}{self._counter}"

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

    def _phase_of(self, question_id: str) -> str:
        """The phase ``question_id`` is in, for :mod:`rooms.views`: the room's phase for the question
        in play, the phase the match stopped in for the last question of a finished match, and
        ``reveal`` for earlier questions (each was revealed before the next one was asked)."""
        if not self.questions or question_id != self.questions[-1].id:
            return Phase.REVEAL
        return self.stopped_phase if self.phase == Phase.FINISHED else self.phase

    def _sees(self, item: str, viewer_id: str | None, owner_id: str, question_id: str) -> bool:
        """May ``viewer_id`` (None: the public view) see ``item`` of ``owner_id``'s answer to ``question_id``?"""
        seat = self.participants.get(viewer_id) if viewer_id is not None else None
        viewer = views.viewer_of(viewer_id, owner_id, is_player=seat is not None and seat.seated,
                                 host_id=self.host_id)
        return views.can_see(item, viewer, self._phase_of(question_id), self.settings.turn_mode)

    def _public(self, item: str, question_id: str) -> bool:
        """May a broadcast (everyone in the room, spectators included) carry ``item`` for ``question_id``?"""
        return views.public(item, self._phase_of(question_id), self.settings.turn_mode)

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

    # --------------------------------------------------------------- lifecycle
    def join_attempt(self, user_id: str, role: str = ROLE_PLAYER, join_code: str | None = None) -> None:
        """Check that ``user_id`` may join as ``role``; raises :class:`RoomError` if not.

        A seated player (the host, a player back after a reload or a drop) may always rejoin
        their seat, without a code: seat reservation. Anyone else needs ``join_code`` to enter
        a private room, as a player or a spectator (case and surrounding spaces do not matter).

        Raises:
            RoomError: ``join_code_required`` (private room, code missing or wrong),
                ``wrong_phase`` (match running or over, not seated),
                ``room_full`` (every human seat taken).
        """
        p = self.participants.get(user_id)
        if p is not None and p.kind == "human" and p.seated:
            return  # a rejoin / reconnection (also after the match, to see the final state)
        if self.settings.private and not hmac.compare_digest((join_code or "").strip().upper().encode(),
                                                             self.join_code.upper().encode()):
            raise RoomError(ErrorCode.JOIN_CODE_REQUIRED, "this room is private: join with its join code")
        if self.phase == Phase.FINISHED:
            raise RoomError(ErrorCode.WRONG_PHASE, "the match is over")
        if role == ROLE_SPECTATOR:
            return
        if self.phase != Phase.LOBBY:
            raise RoomError(ErrorCode.WRONG_PHASE, "the match has started; join as a spectator")
        if len(self.seated_humans()) >= self.settings.max_humans:
            raise RoomError(ErrorCode.ROOM_FULL, f"all {self.settings.max_humans} human seats are taken")

    def join(self, user_id: str, display_name: str, role: str = ROLE_PLAYER, join_code: str | None = None) -> str:
        """Seat (or re-seat) ``user_id``. Returns ``"joined"``, ``"reconnected"``, ``"rejoined"`` or ``"spectating"``.

        A seated player who joins again (reload, new socket) is reconnected to
        the same seat. Raises like :meth:`join_attempt`.
        """
        self.join_attempt(user_id, role, join_code)
        now = self.clock.now_ms()
        self.empty_since_ms = None
        p = self.participants.get(user_id)
        if role == ROLE_SPECTATOR and not (p and p.seated and p.kind == "human"):
            if user_id not in self.spectators:
                self.spectators.add(user_id)
                self._emit("spectator_joined", {"spectators": len(self.spectators)})
            return "spectating"
        if p is not None and p.seated:
            if p.presence == AWAY:
                return self.reconnect(user_id)
            return "rejoined"
        p = Participant(user_id, "human", display_name[:40] or "Player", joined_ms=now)
        self.participants.pop(user_id, None)
        self.participants[user_id] = p
        self._emit("participant_joined", {"participant": p.public()})
        return "joined"

    def drop(self, user_id: str) -> None:
        """The user's connection dropped: keep the seat for the reconnection grace period (60 s default).

        A turn of theirs that is already running is kept: it runs to its deadline, where their
        last draft is auto-submitted, and if they come back in time they type on and submit.
        Only a turn that *begins* while they are away is skipped, after ``absent_wait_ms``
        (5 s default; see :meth:`_begin_turn`).
        """
        if user_id in self.spectators:
            self.spectators.discard(user_id)
            self._emit("spectator_left", {"spectators": len(self.spectators)})
            return
        p = self.participants.get(user_id)
        if p is None or p.kind != "human" or p.presence != ONLINE:
            return
        p.presence = AWAY
        p.grace_until_ms = self.clock.now_ms() + self.settings.timings.reconnect_grace_ms
        self._emit("presence_changed", {"participant_id": user_id, "presence": AWAY,
                                        "grace_until_ms": p.grace_until_ms})

    def reconnect(self, user_id: str) -> str:
        """Back within the grace period: same seat, presence online. Returns ``"reconnected"``.

        Raises:
            RoomError: ``not_in_room`` when the seat was already released.
        """
        p = self.participants.get(user_id)
        if p is None or not p.seated:
            raise RoomError(ErrorCode.NOT_IN_ROOM, "your seat was released")
        if p.presence == AWAY:
            p.presence = ONLINE
            p.grace_until_ms = None
            self._emit("presence_changed", {"participant_id": user_id, "presence": ONLINE})
            turn = self.turns.get(user_id)
            if turn:
                turn.absent_since = None
        return "reconnected"

    def leave(self, user_id: str, kicked: bool = False) -> None:
        """Leave for good. In the lobby the seat disappears; in a match it is released (turns skipped)."""
        if user_id in self.spectators:
            self.drop(user_id)
            return
        p = self.participants.get(user_id)
        if p is None or p.kind != "human" or not p.seated:
            raise RoomError(ErrorCode.NOT_IN_ROOM, "you are not in this room")
        self._release(p, kicked=kicked)

    def _release(self, p: Participant, kicked: bool = False) -> None:
        p.presence = LEFT
        p.grace_until_ms = None
        if self.phase == Phase.LOBBY:
            del self.participants[p.participant_id]
        self._emit("participant_left", {"participant_id": p.participant_id, "kicked": kicked})
        turn = self.turns.get(p.participant_id)
        if turn and not turn.done and self.phase == Phase.ANSWERING:
            turn.absent_since = self.clock.now_ms() - self.settings.timings.absent_wait_ms
        if p.participant_id == self.host_id:
            nxt = next((h for h in self.humans if h.seated and h.presence == ONLINE), None) or \
                next((h for h in self.humans if h.seated), None)
            p.is_host = False
            if nxt is not None:
                nxt.is_host = True
                self.host_id = nxt.participant_id
                self._emit("host_changed", {"host_id": nxt.participant_id})
        if self.in_match and not self.seated_humans():
            self._finish("no_humans_left")

    def terminate(self, reason: str = "terminated") -> None:
        """Stop the room now (server shutdown, idle disposal). Finishes a running match."""
        if self.phase != Phase.FINISHED:
            self._finish(reason)

    def is_disposable(self) -> bool:
        """True when the runtime may drop the room: finished and lingered, or empty for a while."""
        now = self.clock.now_ms()
        t = self.settings.timings
        if self.phase == Phase.FINISHED:
            return now >= (self.finished_ms or now) + t.finished_linger_ms or \
                (not self._anyone_online() and now >= (self.finished_ms or now) + t.empty_room_linger_ms)
        return self.empty_since_ms is not None and now >= self.empty_since_ms + t.empty_room_linger_ms

    def _anyone_online(self) -> bool:
        return bool(self.spectators) or any(h.presence == ONLINE for h in self.humans)

    # ---------------------------------------------------------------- commands
    def set_ready(self, user_id: str, ready: bool) -> None:
        """Mark a player (not) ready. Lobby only."""
        p = self._player(user_id)
        self._require_phase(Phase.LOBBY)
        if p.ready != ready:
            p.ready = ready
            self._emit("ready_changed", {"participant_id": user_id, "ready": ready})

    def kick(self, host_id: str, participant_id: str) -> None:
        """Host only: remove a human player."""
        self._require_host(host_id)
        p = self.participants.get(participant_id)
        if p is None or p.kind != "human" or not p.seated:
            raise RoomError(ErrorCode.UNKNOWN_PARTICIPANT, "no such player")
        if participant_id == host_id:
            raise RoomError(ErrorCode.BAD_REQUEST, "the host cannot kick themselves; use leave_room")
        self._release(p, kicked=True)

    def start_match(self, user_id: str) -> None:
        """Host only, in the lobby: start the countdown.

        Raises:
            RoomError: ``not_host``, ``wrong_phase``, or ``not_ready`` (fewer than
                2 participants, 1 in a solo room, or an online player who is not ready).
        """
        self._require_host(user_id)
        self._require_phase(Phase.LOBBY)
        seated = [p for p in self.participants.values() if p.seated]
        if len(seated) < (1 if self.settings.solo else 2):
            raise RoomError(ErrorCode.NOT_READY, "a match needs at least 2 participants (add an AI candidate)")
        waiting = [p.display_name for p in self.humans
                   if p.seated and p.presence == ONLINE and not p.ready and p.participant_id != self.host_id]
        if waiting:
            raise RoomError(ErrorCode.NOT_READY, f"not ready: {', '.join(waiting)}")
        humans = sorted((p for p in seated if p.kind == "human"), key=lambda p: p.joined_ms)
        ais = [p for p in seated if p.kind == "ai"]
        self.scheduler = TurnScheduler(self.settings.turn_mode, [p.participant_id for p in humans + ais])
        self.started_ms = self.clock.now_ms()
        self._set_phase(Phase.COUNTDOWN, self.settings.timings.countdown_ms)

    def end_session(self, user_id: str) -> None:
        """Host only: end the match now (``session_end``). Scored questions count."""
        self._require_host(user_id)
        if self.phase == Phase.FINISHED:
            raise RoomError(ErrorCode.WRONG_PHASE, "the match is already over")
        self._finish("ended_by_host")

    def answer_draft(self, user_id: str, text: str) -> None:
        """Live typing (or a live transcript) of the player's current answer."""
        self._check_text(text)
        turn = self._active_turn(user_id)
        turn.draft = text
        turn.stream_pending = True
        self._flush_stream(turn, self.clock.now_ms())

    def submit_answer(self, user_id: str, text: str) -> str:
        """Submit the current answer; returns its ``answer_id``."""
        self._check_text(text)
        turn = self._active_turn(user_id)
        return self._submit(turn, text).answer_id

    def speaker_note(self, user_id: str, text: str) -> None:
        """A private memo from a player, kept with the match record (not broadcast)."""
        self._check_text(text)
        p = self._player(user_id)
        q = self.current_question
        p.notes.append({"question_id": q.id if q else None, "text": text, "at_ms": self.clock.now_ms()})

    def set_delivery(self, participant_id: str, question_id: str, delivery: dict, follow_up: bool = False) -> bool:
        """Attach spoken-delivery measurements (media sidecar: wpm, pauses, volume, pitch) to a
        participant's answer to ``question_id`` (``follow_up``: to their follow-up answer, scored on
        its own before it counts 30%). Used by the scorer if it arrives before scoring starts;
        returns False (ignored) once the question is being scored or over."""
        q = self.questions[-1] if self.questions else None
        if q is None or q.id != question_id or self.phase not in (Phase.QUESTION, Phase.ANSWERING):
            return False
        self.delivery[(participant_id, question_id, bool(follow_up))] = dict(delivery)
        return True

    def set_expression(self, participant_id: str, emotions: dict) -> bool:
        """Add one camera sample (emotion label -> probability 0-1, from the media sidecar at ~2 fps)
        to the participant's expression for the current question. Advisory: it is scored only when
        the host opted in (``score_expression``). Returns False outside a question."""
        q = self.questions[-1] if self.questions else None
        if q is None or self.phase not in (Phase.QUESTION, Phase.ANSWERING) or not emotions:
            return False
        acc = self.expression.setdefault((participant_id, q.id), {"samples": 0, "sum": {}})
        acc["samples"] += 1
        for label, p in emotions.items():
            acc["sum"][str(label)] = acc["sum"].get(str(label), 0.0) + float(p)
        return True

    def expression_summary(self, participant_id: str, question_id: str) -> dict | None:
        """``{"dominant", "emotions": {label: mean probability}, "samples"}`` or None without samples."""
        acc = self.expression.get((participant_id, question_id))
        if not acc or not acc["samples"]:
            return None
        mean = {k: round(v / acc["samples"], 3) for k, v in acc["sum"].items()}
        return {"dominant": max(mean, key=mean.get), "emotions": mean, "samples": acc["samples"]}

    def _spoken(self, a: "Answer", qid: str) -> dict | None:
        """What the scorer gets about how an answer was spoken: delivery, plus expression if opted in."""
        d = self.delivery.get((a.participant_id, qid, a.follow_up_of is not None))
        expr = self.expression_summary(a.participant_id, qid) if self.settings.score_expression else None
        if d and expr:
            d = {**d, "expression": expr}
        return d

    def evaluation(self, user_id: str, answer_id: str | None = None) -> dict:
        """A revealed answer with its score (default: the caller's latest revealed answer);
        what the caller may see of it is decided by :mod:`rooms.views`.

        Raises:
            RoomError: ``not_in_room``, ``unknown_answer``, ``not_scored_yet`` (not scored, or not
                revealed to the caller yet).
        """
        if self.role_of(user_id) is None:
            raise RoomError(ErrorCode.NOT_IN_ROOM, "you are not in this room")
        if answer_id is None:
            mine = [a for a in self.answers if a.participant_id == user_id]
            if not mine:
                raise RoomError(ErrorCode.UNKNOWN_ANSWER, "you have not answered yet")
            scored = [a for a in mine if self._revealed_to(user_id, a)]
            if not scored:
                raise RoomError(ErrorCode.NOT_SCORED_YET, "your answer is not scored yet")
            a = scored[-1]
        else:
            a = next((x for x in self.answers if x.answer_id == answer_id), None)
            if a is None:
                raise RoomError(ErrorCode.UNKNOWN_ANSWER, f"no answer {answer_id!r}")
            if not self._revealed_to(user_id, a):
                raise RoomError(ErrorCode.NOT_SCORED_YET, "that answer is not scored yet")
        return a.public()

    def _revealed_to(self, viewer_id: str | None, a: "Answer") -> bool:
        """``a`` is scored and the viewer may see its text and its score."""
        return a.result is not None and all(self._sees(item, viewer_id, a.participant_id, a.question_id)
                                            for item in (views.ANSWER, views.SCORE))

    def check_player(self, user_id: str) -> None:
        """Raise unless ``user_id`` is a seated human player (e.g. before a WebRTC offer).

        Raises:
            RoomError: ``spectator_read_only``, ``not_in_room``.
        """
        self._player(user_id)

    def check_can_speak(self, user_id: str) -> None:
        """Raise unless ``user_id`` may answer right now (their open turn in the answering phase):
        the gate for spoken audio, which is not a room command.

        Raises:
            RoomError: ``spectator_read_only``, ``not_in_room``, ``wrong_phase``, ``not_your_turn``,
                ``already_submitted``.
        """
        self._active_turn(user_id)

    def _active_turn(self, user_id: str) -> Turn:
        self._player(user_id)
        self._require_phase(Phase.ANSWERING)
        turn = self.turns.get(user_id)
        if turn is None:
            raise RoomError(ErrorCode.NOT_YOUR_TURN, "you have no turn in this question")
        if turn.done:
            raise RoomError(ErrorCode.ALREADY_SUBMITTED, "you already answered this question")
        if not self.scheduler.simultaneous and self.current_turn_pid() != user_id:
            raise RoomError(ErrorCode.NOT_YOUR_TURN, "it is not your turn")
        return turn

    def current_turn_pid(self) -> str | None:
        """Round robin: whose turn it is (the follow-up candidate after the main turns)."""
        if self.turn_index < len(self.turn_order):
            return self.turn_order[self.turn_index]
        return self.follow_up_pid if self.follow_up_job_id is None else None

    # ---------------------------------------------------------- job results
    def provide_ai_answer(self, job_id: str, text: str, think_ms: int = 1500, words_per_minute: int = 140,
                          story_id: str | None = None) -> bool:
        """Deliver an AI candidate's composed answer; the room streams it at
        ``words_per_minute`` after ``think_ms`` and always finishes
        ``ai_margin_ms`` before the deadline (the pace is raised if needed).

        Returns False (and ignores it) if the job is stale.
        """
        turn = next((t for t in self.turns.values() if t.ai_job_id == job_id and not t.done), None)
        if turn is None or self.phase != Phase.ANSWERING:
            return False
        now = self.clock.now_ms()
        text = text.strip()[:MAX_TEXT_BYTES]
        words = _WORD.findall(text)
        turn.ai_words = words
        turn.story_id = story_id
        end_limit = turn.deadline_ms - self.settings.timings.ai_margin_ms
        scale = self.settings.timings.answer_scale     # persona times are nominal; play them back scaled
        think = max(0, min(int(think_ms * scale), (turn.deadline_ms - now) * 3 // 10))
        start = now + think
        if start >= end_limit:
            start = now
        span = max(0, end_limit - start)
        pace_ms = len(words) / max(30, words_per_minute) * 60_000 * scale
        dur = min(pace_ms, span)
        n = max(1, len(words))
        turn.plan = [start + int(dur * (i + 1) / n) for i in range(len(words))]
        if not words:
            self._submit(turn, "", auto=True)
        return True

    def provide_scores(self, job_id: str, results: dict[str, ScoreResult | dict]) -> bool:
        """Deliver the scoring job's results ``{answer_id: ScoreResult}``; moves to reveal.

        Missing answers are scored by the fallback scorer. Returns False if stale.
        """
        if self.phase != Phase.SCORING or job_id != self.score_job_id:
            return False
        self._apply_scores(results)
        return True

    # -------------------------------------------------------------------- tick
    def tick(self) -> None:
        """Advance timers to the clock's now (the match loop; call at ``tick_hz``)."""
        now = self.clock.now_ms()
        t = self.settings.timings
        for p in list(self.humans):
            if p.presence == AWAY and p.grace_until_ms is not None and now >= p.grace_until_ms:
                self._release(p)
                if self.phase == Phase.FINISHED:
                    return
        if self.phase != Phase.FINISHED and not self._anyone_online():
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

    def _start_answering(self) -> None:
        q = self.questions[-1]
        self.follow_up_pid = self.follow_up_job_id = self.follow_up_asked_ms = None
        self.follow_up_done = False
        self.turn_order = [pid for pid in self.scheduler.order(len(self.questions) - 1)
                           if self.participants[pid].seated]
        self.turn_index = 0
        self._set_phase(Phase.ANSWERING)
        self._emit("turn_order", {"question_id": q.id, "order": list(self.turn_order),
                                  "mode": self.scheduler.mode})
        if self.scheduler.simultaneous:
            now = self.clock.now_ms()
            deadline = now + self.settings.answer_ms
            self.phase_ends_ms = deadline
            for pid in self.turn_order:
                self.turns[pid] = Turn(pid, now, deadline)
            self._emit("turn_started", {"participant_id": None, "participants": list(self.turn_order),
                                        "question_id": q.id, "deadline_ms": deadline})
            for pid in self.turn_order:
                self._begin_turn(self.turns[pid])
        else:
            self._start_turn()

    def _start_turn(self) -> None:
        if self.turn_index >= len(self.turn_order):
            if self._want_follow_up():
                self._ask_follow_up()
            else:
                self._start_scoring()
            return
        pid = self.turn_order[self.turn_index]
        now = self.clock.now_ms()
        turn = Turn(pid, now, now + self.settings.answer_ms)
        self.turns[pid] = turn
        self.phase_ends_ms = turn.deadline_ms
        self._emit("turn_started", {"participant_id": pid, "question_id": self.questions[-1].id,
                                    "deadline_ms": turn.deadline_ms, "turn_index": self.turn_index,
                                    "turns_total": len(self.turn_order)})
        self._begin_turn(turn)

    # -- follow-ups (round robin only): one candidate per question, rotating over the seats
    def _want_follow_up(self) -> bool:
        return (self.settings.follow_ups and not self.scheduler.simultaneous and not self.follow_up_done
                and self.follow_up_pid is None)

    def _ask_follow_up(self) -> None:
        q = self.questions[-1]
        answered = {a.participant_id: a for a in self.answers
                    if a.question_id == q.id and not a.skipped and a.text.strip() and not a.follow_up_of}
        seats = self.scheduler.seats
        start = (len(self.questions) - 1) % max(1, len(seats))
        target = next((seats[(start + k) % len(seats)] for k in range(len(seats))
                       if seats[(start + k) % len(seats)] in answered
                       and self.participants[seats[(start + k) % len(seats)]].seated), None)
        self.follow_up_done = True
        if target is None:
            self._start_scoring()
            return
        self.follow_up_pid = target
        self.follow_up_job_id = self._next_id("j")
        self.follow_up_asked_ms = self.clock.now_ms()
        self.phase_ends_ms = self.follow_up_asked_ms + self.settings.timings.follow_up_wait_ms
        self._jobs.append(FollowUpJob(self.follow_up_job_id, self.room_id, target, q.id, q.text(self.settings.language),
                                      answered[target].text, self.settings.language))

    def provide_follow_up(self, job_id: str, text: str | None) -> bool:
        """Deliver the follow-up question for ``FollowUpJob`` ``job_id`` and open that candidate's
        follow-up turn (half the answer time). A stock question is used if ``text`` is empty.
        Returns False if the job is stale."""
        if self.phase != Phase.ANSWERING or job_id != self.follow_up_job_id:
            return False
        text = (text or "").strip()[:500] or STOCK_FOLLOW_UP[self.settings.language]
        self.follow_up_job_id = None
        q = self.questions[-1]
        pid = self.follow_up_pid
        now = self.clock.now_ms()
        turn = Turn(pid, now, now + self.settings.answer_ms // 2, follow_up=text)
        self.turns[pid] = turn
        self.phase_ends_ms = turn.deadline_ms
        self._emit("follow_up_asked", {"participant_id": pid, "question_id": q.id, "text": text,
                                       "deadline_ms": turn.deadline_ms})
        self._emit("turn_started", {"participant_id": pid, "question_id": q.id, "deadline_ms": turn.deadline_ms,
                                    "turn_index": len(self.turn_order), "turns_total": len(self.turn_order) + 1,
                                    "follow_up": text})
        self._begin_turn(turn)
        return True

    def _begin_turn(self, turn: Turn) -> None:
        p = self.participants[turn.participant_id]
        now = self.clock.now_ms()
        if p.is_ai:
            q = self.questions[-1]
            lang = self.settings.language
            context = tuple(a.text for a in self.answers if a.question_id == q.id and a.text
                            and self._sees(views.ANSWER, p.participant_id, a.participant_id, q.id))
            qtext = q.text(lang)
            if turn.follow_up:
                qtext = f"{qtext}\n{turn.follow_up}"
                context = tuple(a.text for a in self.answers if a.question_id == q.id and a.participant_id == p.participant_id)
            turn.ai_job_id = self._next_id("j")
            self._jobs.append(AIAnswerJob(
                job_id=turn.ai_job_id, room_id=self.room_id, participant_id=p.participant_id,
                persona_id=p.persona_id, skill=p.skill or 3, question_id=q.id, question_text=qtext,
                category=q.category, lang=lang,
                seed=self.rng.getrandbits(31),
                budget_ms=int((turn.deadline_ms - now) / self.settings.timings.answer_scale),
                used_story_ids=frozenset(p.used_story_ids), context=context))
        elif p.presence != ONLINE:
            turn.absent_since = now             # away as the turn begins: skipped after absent_wait_ms

    def _tick_answering(self, now: int) -> None:
        wait = self.settings.timings.absent_wait_ms
        if self.follow_up_job_id is not None and now >= self.phase_ends_ms:
            self.provide_follow_up(self.follow_up_job_id, None)       # the interviewer was slow: stock question
        for turn in list(self.turns.values()):
            if turn.done or self.phase != Phase.ANSWERING:
                continue
            if not self.scheduler.simultaneous and self.current_turn_pid() != turn.participant_id:
                continue
            p = self.participants[turn.participant_id]
            if p.is_ai and turn.plan:
                shown = sum(1 for at in turn.plan if at <= now)
                if shown > turn.shown:
                    turn.shown = shown
                    turn.draft = "".join(turn.ai_words[:shown]).strip()
                    turn.stream_pending = True
                if turn.shown >= len(turn.ai_words):
                    self._submit(turn, "".join(turn.ai_words).strip())
                    continue
            if turn.absent_since is not None and now - turn.absent_since >= wait:
                if turn.draft.strip():
                    self._submit(turn, turn.draft, auto=True)
                else:
                    self._submit(turn, "", auto=True, skipped=True)
                continue
            if now >= turn.deadline_ms:
                text = "".join(turn.ai_words).strip() if p.is_ai else turn.draft
                self._submit(turn, text, auto=True)
                continue
            if turn.stream_pending:
                self._flush_stream(turn, now)

    def _flush_stream(self, turn: Turn, now: int) -> None:
        if not self._public(views.DRAFT, self.questions[-1].id):
            turn.stream_pending = False           # sealed drafts are never streamed
            return
        if now - turn.last_stream_ms < self.settings.timings.stream_interval_ms:
            return
        turn.stream_pending = False
        turn.last_stream_ms = now
        self._emit("answer_stream", {"participant_id": turn.participant_id, "text": turn.draft})

    def _submit(self, turn: Turn, text: str, auto: bool = False, skipped: bool = False) -> Answer:
        q = self.questions[-1]
        now = self.clock.now_ms()
        turn.done = True
        turn.draft = text
        a = Answer(self._next_id("a"), turn.participant_id, q.id, len(self.questions), text, now,
                   auto_submitted=auto, skipped=skipped, story_id=turn.story_id)
        if turn.follow_up:
            main = next(x for x in self.answers if x.question_id == q.id and x.participant_id == a.participant_id
                        and not x.follow_up_of)
            a.follow_up_of, a.follow_up_question = main.answer_id, turn.follow_up
        self.answers.append(a)
        p = self.participants[turn.participant_id]
        if p.is_ai and turn.story_id:
            p.used_story_ids.add(turn.story_id)
        if self._public(views.ANSWER, q.id):
            self._announce(a)
        else:
            self._emit("answer_locked", {"participant_id": a.participant_id, "question_id": q.id,
                                         "skipped": skipped})
        if self.scheduler.simultaneous:
            if all(t.done for t in self.turns.values()):
                self._start_scoring()
        else:
            if turn.follow_up:
                self._start_scoring()
            else:
                self.turn_index += 1
                self._start_turn()
        return a

    def _announce(self, a: Answer) -> None:
        """Broadcast an answer's text (``answer_submitted``), once, when :mod:`rooms.views` makes it public."""
        a.announced = True
        self._emit("answer_submitted", self._submitted_payload(a))

    @staticmethod
    def _submitted_payload(a: Answer) -> dict:
        d = {"participant_id": a.participant_id, "question_id": a.question_id, "answer_id": a.answer_id,
             "text": a.text, "auto_submitted": a.auto_submitted, "skipped": a.skipped}
        if a.follow_up_of:
            d["follow_up_of"] = a.follow_up_of
        return d

    def _start_scoring(self) -> None:
        if self.phase != Phase.ANSWERING:
            return
        q = self.questions[-1]
        self._set_phase(Phase.SCORING, self.settings.timings.scoring_timeout_ms)
        self.score_job_id = self._next_id("j")
        self._jobs.append(ScoreJob(
            job_id=self.score_job_id, room_id=self.room_id, question_id=q.id, lang=self.settings.language,
            answer_seconds=self.settings.answer_seconds,
            answers=tuple(AnswerToScore(a.answer_id, a.participant_id, a.text, a.skipped, spoken=self._spoken(a, q.id))
                          for a in self.answers if a.question_id == q.id)))

    def _apply_scores(self, results: dict) -> None:
        q = self.questions[-1]
        mine = [a for a in self.answers if a.question_id == q.id]
        missing = [a for a in mine if a.answer_id not in results]
        if missing:
            results = dict(results)
            if self._fallback_scorer is None:     # nothing injected: the answer counts, unscored
                results.update({a.answer_id: UNSCORED for a in missing})
            else:
                results.update(self._fallback_scorer.score_answers(
                    q, [AnswerToScore(a.answer_id, a.participant_id, a.text, a.skipped, spoken=self._spoken(a, q.id))
                        for a in missing],
                    self.settings.language))
        self.score_job_id = None
        self._set_phase(Phase.REVEAL, self.settings.timings.reveal_ms)
        for a in mine:
            if not a.announced and self._public(views.ANSWER, q.id):
                self._announce(a)               # sealed (simultaneous) answers are revealed now
        for a in mine:
            r = results[a.answer_id]
            a.result = r if isinstance(r, ScoreResult) else ScoreResult(**r)
        for a in mine:
            if a.follow_up_of or not self._public(views.SCORE, q.id):
                continue
            extra = {}
            fu = next((f for f in mine if f.follow_up_of == a.answer_id), None)
            if fu is not None:
                # The follow-up probes the same question: it carries FOLLOW_UP_WEIGHT of the question's score.
                combined = round((1 - FOLLOW_UP_WEIGHT) * a.result.score + FOLLOW_UP_WEIGHT * fu.result.score)
                extra = {"follow_up": {"answer_id": fu.answer_id, "score": fu.result.score,
                                       "feedback": fu.result.feedback}, "main_score": a.result.score}
                a.result = ScoreResult(combined, a.result.dimensions, a.result.feedback)
            self._emit("score_update", {"participant_id": a.participant_id, "question_id": q.id,
                                        "answer_id": a.answer_id, **a.result.to_dict(), **extra})
        main = [a for a in mine if not a.follow_up_of]
        if main:
            self.queue.record_room_score(sum(a.result.score for a in main) / len(main))

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
            self._jobs.append(MatchFinishedJob(self._next_id("j"), self.room_id, self.match_record()))

    # --------------------------------------------------------------- views
    def totals(self) -> dict[str, int]:
        """Per-participant sum of revealed scores (for simulations; the server reads Redis)."""
        out = {pid: 0 for pid, p in self.participants.items() if p.kind == "ai" or p.seated or
               any(a.participant_id == pid for a in self.answers)}
        for a in self.answers:
            if a.result is not None and not a.follow_up_of:     # a follow-up is folded into its main answer
                out[a.participant_id] = out.get(a.participant_id, 0) + a.result.score
        return out

    def leaderboard(self, board: dict[str, float] | list | None = None) -> list[dict]:
        """Leaderboard entries ``[{participant_id, display_name, kind, score, rank}]`` best first.

        Args:
            board: cumulative scores (e.g. read back from Redis); defaults to :meth:`totals`.
        """
        scores = board if board is not None else self.totals()
        out = []
        for pid, s, rank in rank_scores(scores):
            p = self.participants.get(pid)
            if p is None:
                continue
            out.append({"participant_id": pid, "display_name": p.display_name, "kind": p.kind,
                        "score": int(s) if float(s).is_integer() else s, "rank": rank})
        return out

    def lobby_entry(self) -> dict:
        """The room as listed in the lobby (``list_rooms``)."""
        return {"room_id": self.room_id, "title": self.settings.title, "phase": self.phase,
                "humans": len(self.seated_humans()), "max_humans": self.settings.max_humans,
                "personas": [p.id for p in self.settings.personas], "language": self.settings.language,
                "turn_mode": self.settings.turn_mode, "question_count": self.settings.question_count,
                "private": self.settings.private}

    def snapshot(self, viewer_id: str | None = None, board: dict | list | None = None) -> dict:
        """A full ``room_state`` for ``viewer_id`` (None: the public view) at the current ``seq``.

        Hidden information stays hidden: drafts, answers and scores are in it only when
        :func:`rooms.views.can_see` lets this viewer see them (simultaneous answers are
        sealed until the reveal).
        """
        lb = self.leaderboard(board)
        by_pid = {e["participant_id"]: e for e in lb}
        parts = []
        for p in self.participants.values():
            d = p.public()
            e = by_pid.get(p.participant_id)
            d["score"] = e["score"] if e else 0
            d["rank"] = e["rank"] if e else None
            parts.append(d)
        q = self.current_question
        answers, drafts = [], {}
        if q is not None:
            for a in self.answers:
                if a.question_id == q.id and self._sees(views.ANSWER, viewer_id, a.participant_id, q.id):
                    answers.append(a.public(with_score=self._sees(views.SCORE, viewer_id, a.participant_id, q.id)))
            for pid, t in self.turns.items():
                if not t.done and t.draft and self._sees(views.DRAFT, viewer_id, pid, q.id):
                    drafts[pid] = t.draft
        turn = None
        if self.phase == Phase.ANSWERING and self.scheduler is not None:
            if self.scheduler.simultaneous:
                turn = {"participant_id": None, "deadline_ms": self.phase_ends_ms}
            elif self.current_turn_pid() is not None:
                pid = self.current_turn_pid()
                cur = self.turns.get(pid)
                turn = {"participant_id": pid, "deadline_ms": cur.deadline_ms if cur else None,
                        "follow_up": cur.follow_up if cur else None}
        role = self.role_of(viewer_id) if viewer_id else None
        return {
            "room_id": self.room_id, "seq": self.seq, "title": self.settings.title, "phase": self.phase,
            "phase_ends_ms": self.phase_ends_ms, "server_time_ms": self.clock.now_ms(),
            "join_code": self.join_code if role == ROLE_PLAYER else None,
            "host_id": self.host_id, "settings": self.settings.public_dict(), "participants": parts,
            "spectators": len(self.spectators),
            "question": ({"question_id": q.id, "text": q.text(self.settings.language), "category": q.category,
                          "index": len(self.questions), "total": self.settings.question_count} if q else None),
            "turn_order": list(self.turn_order) if self.phase == Phase.ANSWERING else [],
            "turn": turn, "answers": answers, "drafts": drafts, "leaderboard": lb,
            "expression": ({pid: e for pid in self.participants
                            if (e := self.expression_summary(pid, q.id)) is not None} if q else {}),
            "you": {"participant_id": viewer_id if role == ROLE_PLAYER else None, "role": role},
            "end_reason": self.end_reason,
        }

    def match_record(self) -> dict:
        """Everything to store about the match: room, participants (with their private notes, which
        the report leaves out), questions, and the revealed answers with their scores (the public
        view of :mod:`rooms.views`: an answer the match never revealed is not stored)."""
        lang = self.settings.language
        return {
            "room_id": self.room_id, "title": self.settings.title, "settings": self.settings.public_dict(),
            "language": lang, "started_ms": self.started_ms, "finished_ms": self.finished_ms,
            "end_reason": self.end_reason,
            "participants": [{**p.public(), "notes": list(p.notes)} for p in self.participants.values()],
            "questions": [{"index": i + 1, "question_id": q.id, "text": q.text(lang), "category": q.category,
                           "difficulty": q.difficulty} for i, q in enumerate(self.questions)],
            "answers": [{**a.public(), "submitted_ms": a.submitted_ms, "story_id": a.story_id,
                         "expression": None if a.follow_up_of else self.expression_summary(a.participant_id, a.question_id)}
                        for a in self.answers if self._revealed_to(None, a)],
        }


RoomFactory = Callable[..., Room]

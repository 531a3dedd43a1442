"""The room's lifecycle and commands: who may join (seat reservation, private rooms' join
codes), drops and the reconnection grace period, leaving and kicks (the host moves on), and the
players' commands (ready, start, end, notes).

Lifecycle, after Nakama's match handler and Colyseus' Room: ``join_attempt`` (MatchJoinAttempt /
onAuth), ``join`` (MatchJoin / onJoin, onReconnect), ``drop`` (onDrop), ``leave`` (MatchLeave /
onLeave), ``terminate`` (MatchTerminate / onDispose).
"""

from __future__ import annotations

import hmac

from .errors import ErrorCode, RoomError
from .participants import AWAY, LEFT, ONLINE, Participant
from .phases import Phase
from .room_views import ROLE_PLAYER, ROLE_SPECTATOR
from .scheduler import TurnScheduler


class LifecycleMixin:
    """Joins, drops, leaves and the room's commands (mixed into :class:`rooms.room.Room`)."""

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

    def drop(self, user_id: str, grace_ms: int | None = None) -> None:
        """The user's connection dropped: keep the seat for the reconnection grace period (60 s default;
        ``grace_ms`` overrides it, e.g. after a server restart).

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
        p.grace_until_ms = self.clock.now_ms() + (self.settings.timings.reconnect_grace_ms if grace_ms is None
                                                   else grace_ms)
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
        """Stop the room now (idle disposal; a server stop with ``ARENA_RESTORE_ROOMS=0``, otherwise a stop
        suspends the room for the next start: ``server/restore.py``). Finishes a running match."""
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

    def speaker_note(self, user_id: str, text: str) -> None:
        """A private memo from a player, kept with the match record (not broadcast)."""
        self._check_text(text)
        p = self._player(user_id)
        q = self.current_question
        p.notes.append({"question_id": q.id if q else None, "text": text, "at_ms": self.clock.now_ms()})
        self._dirty = True

    def check_player(self, user_id: str) -> None:
        """Raise unless ``user_id`` is a seated human player (e.g. before a WebRTC offer).

        Raises:
            RoomError: ``spectator_read_only``, ``not_in_room``.
        """
        self._player(user_id)

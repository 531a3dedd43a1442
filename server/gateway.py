"""The Socket.IO gateway: validated client messages -> room commands -> acks.

Every client-to-server event goes through :meth:`Gateway._dispatch`, which

0. refuses an event over its rate budget with ``rate_limited`` before looking at the payload
   (:mod:`server.ratelimit`),
1. validates the payload with the event's pydantic model (``bad_request``,
   ``text_too_long``; a control character in any string is ``bad_request``),
2. calls the handler, which turns the message into a room command,
3. maps a :class:`RoomError` to an error ack with its stable code, and any
   other exception to ``internal_error`` (logged), so a bad message never
   breaks the connection or the room,
4. flushes the room, so the events the command caused are broadcast in
   ``seq`` order before the ack returns.

Packets that never reach ``_dispatch`` (malformed, reserved names such as
``disconnect``, too deep, too big) are refused by
:class:`server.socketio_server.ArenaSocketServer`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Awaitable, Callable

import socketio
from pydantic import BaseModel, ValidationError

from rooms.errors import ErrorCode, RoomError
from rooms.settings import CATEGORIES, PersonaSeat, RoomSettings

from . import metrics, schemas
from .auth import verify_token
from .config import PROTOCOL_VERSION
from .logs import log
from .ratelimit import RateLimiter
from .runtime import RoomHost, RoomManager


@dataclass
class Session:
    user_id: str
    display_name: str
    room_id: str | None = None
    in_lobby: bool = False
    media: dict = field(default_factory=dict)


class Gateway:
    """Binds Socket.IO events to the rooms of a :class:`RoomManager`."""

    def __init__(self, sio: socketio.AsyncServer, manager: RoomManager, jwt_secret: str,
                 limits: RateLimiter | None = None) -> None:
        self.sio = sio
        self.limits = limits if limits is not None else RateLimiter()
        self.manager = manager
        self.secret = jwt_secret
        self.sessions: dict[str, Session] = {}
        self.media = None                     # a server.media_bridge.MediaBridge, set by the app
        #: ``async (user_id, QuestionSourceIn) -> [rooms.questions.Question]`` for ``create_room``'s
        #: ``question_source`` (set by the app: server/api/resumes.py); raises ``RoomError``.
        self.question_source = None
        self.handlers: dict[str, Callable[[str, Session, Any], Awaitable[dict]]] = {
            "list_rooms": self.list_rooms, "create_room": self.create_room, "join_room": self.join_room,
            "leave_room": self.leave_room, "set_ready": self.set_ready, "start_match": self.start_match,
            "answer_draft": self.answer_draft, "submit_answer": self.submit_answer,
            "speaker_note": self.speaker_note, "evaluation_request": self.evaluation_request,
            "session_end": self.session_end, "audio_chunk": self.audio_chunk, "media_offer": self.media_offer,
            "request_state": self.request_state, "kick_player": self.kick_player,
        }
        assert set(self.handlers) == set(schemas.CLIENT_EVENTS), "every event needs a model and a handler"
        sio.on("connect", self.on_connect)
        sio.on("disconnect", self.on_disconnect)
        for name in self.handlers:
            sio.on(name, self._make(name))
        sio.on("*", self.on_unknown)

    # ----------------------------------------------------------- connection
    async def on_connect(self, sid: str, environ: dict, auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        user = verify_token(self.secret, token)
        if user is None:
            metrics.EVENTS_IN.labels("connect", "unauthorized").inc()
            raise socketio.exceptions.ConnectionRefusedError("unauthorized", {"code": "unauthorized"})
        self.sessions[sid] = Session(user["user_id"], user["display_name"])
        metrics.CONNECTED_CLIENTS.inc()
        await self.sio.emit("connection_ack", {"user_id": user["user_id"], "server_time_ms": time.time_ns() // 1_000_000,
                                               "protocol_version": PROTOCOL_VERSION}, to=sid)

    async def on_disconnect(self, sid: str, *args: Any) -> None:
        self.limits.forget(sid)
        s = self.sessions.pop(sid, None)
        if s is None:
            return
        metrics.CONNECTED_CLIENTS.dec()
        if s.room_id and not self._other_sid_in_room(s.user_id, s.room_id):
            host = self.manager.hosts.get(s.room_id)
            if host is not None:
                host.room.drop(s.user_id)
                await host.flush()

    def _other_sid_in_room(self, user_id: str, room_id: str) -> bool:
        return any(x.user_id == user_id and x.room_id == room_id for x in self.sessions.values())

    async def on_unknown(self, event: str, sid: str, *args: Any) -> dict:
        metrics.EVENTS_IN.labels("unknown", "error").inc()
        return schemas.error_ack(ErrorCode.UNKNOWN_EVENT, f"unknown event {event[:40]!r}")

    # ------------------------------------------------------------- dispatch
    def _make(self, name: str):
        async def handler(sid: str, *args: Any) -> dict:
            if len(args) > 1:                 # emit(name, a, b): one payload per event
                metrics.EVENTS_IN.labels(name, ErrorCode.BAD_REQUEST).inc()
                return schemas.error_ack(ErrorCode.BAD_REQUEST, f"{name} takes one payload, got {len(args)}")
            return await self._dispatch(name, sid, args[0] if args else None)
        return handler

    async def _dispatch(self, name: str, sid: str, data: Any) -> dict:
        s = self.sessions.get(sid)
        if s is None:
            return schemas.error_ack(ErrorCode.UNAUTHORIZED, "not connected")
        if (refused := await self.limits.check(name, sid, s.user_id)) is not None:
            return refused                    # over budget: before validation, nothing reaches the room
        model: type[BaseModel] = schemas.CLIENT_EVENTS[name]
        try:
            msg = model.model_validate(data if data is not None else {})
        except ValidationError as e:
            err = e.errors()[0]
            code = ErrorCode.TEXT_TOO_LONG if err["type"] == "text_too_long" else ErrorCode.BAD_REQUEST
            if name == "create_room" and isinstance(data, dict) and err["type"] != schemas.CONTROL_CHARACTER:
                code = ErrorCode.INVALID_SETTINGS
            loc = ".".join(str(x) for x in err.get("loc", ())) or "payload"
            metrics.EVENTS_IN.labels(name, code).inc()
            return schemas.error_ack(code, f"{loc}: {err['msg']}")
        try:
            result = await self.handlers[name](sid, s, msg)
        except RoomError as e:
            metrics.EVENTS_IN.labels(name, e.code).inc()
            await self._flush(s)
            return schemas.error_ack(e.code, e.message)
        except Exception:
            log.exception("handler_failed", event=name, user=s.user_id)
            metrics.EVENTS_IN.labels(name, "internal_error").inc()
            return schemas.error_ack(ErrorCode.INTERNAL, "the server hit an error; the room is unaffected")
        metrics.EVENTS_IN.labels(name, "ok").inc()
        return schemas.ok_ack(**(result or {}))

    async def _flush(self, s: Session) -> None:
        if s.room_id and s.room_id in self.manager.hosts:
            await self.manager.hosts[s.room_id].flush()

    def _host(self, s: Session) -> RoomHost:
        if not s.room_id or s.room_id not in self.manager.hosts:
            raise RoomError(ErrorCode.NOT_IN_ROOM, "join a room first")
        return self.manager.hosts[s.room_id]

    async def _command(self, s: Session, fn: Callable[[Any], Any]) -> Any:
        host = self._host(s)
        out = fn(host.room)
        await host.flush()
        return out

    # ------------------------------------------------------------- handlers
    async def list_rooms(self, sid: str, s: Session, msg: schemas.Empty) -> dict:
        if not s.in_lobby:
            await self.sio.enter_room(sid, "lobby")
            s.in_lobby = True
        return {"rooms": self.manager.public_rooms()}

    async def create_room(self, sid: str, s: Session, msg: schemas.CreateRoomIn) -> dict:
        if s.room_id and s.room_id in self.manager.hosts and self.manager.hosts[s.room_id].room.role_of(s.user_id):
            raise RoomError(ErrorCode.ALREADY_IN_ROOM, "leave your current room first")
        settings = RoomSettings(
            title=msg.title, personas=tuple(PersonaSeat(p.id, p.skill) for p in msg.personas),
            question_count=msg.question_count, language=msg.language, turn_mode=msg.turn_mode,
            answer_seconds=msg.answer_seconds, max_humans=msg.max_humans, private=msg.private,
            categories=tuple(msg.categories) if msg.categories else CATEGORIES,
            difficulty=msg.difficulty or "mixed", follow_ups=msg.follow_ups,
            score_expression=msg.score_expression, solo=msg.solo)
        questions = []
        if msg.question_source is not None:
            if self.question_source is None:
                raise RoomError(ErrorCode.INVALID_SETTINGS, "question sources are not available on this server")
            questions = await self.question_source(s.user_id, msg.question_source)
            ids = tuple(q.id for q in questions[:msg.question_count])
            settings = replace(settings, question_ids=ids, question_count=len(ids))
        room = self.manager.create_room(s.user_id, s.display_name, settings, questions)
        host = self.manager.hosts[room.room_id]
        await host.flush()
        await self._enter(sid, s, host)
        return {"room_id": room.room_id, "join_code": room.join_code}

    async def _enter(self, sid: str, s: Session, host: RoomHost) -> None:
        if s.room_id and s.room_id != host.room.room_id:
            await self.sio.leave_room(sid, f"room:{s.room_id}")
        s.room_id = host.room.room_id
        await self.sio.enter_room(sid, host.sio_room)
        if s.in_lobby:                      # lobby pushes stop while seated; list_rooms resumes them
            await self.sio.leave_room(sid, "lobby")
            s.in_lobby = False

    async def join_room(self, sid: str, s: Session, msg: schemas.JoinRoomIn) -> dict:
        if not msg.room_id and not msg.join_code:
            raise RoomError(ErrorCode.BAD_REQUEST, "give room_id or join_code")
        host = self.manager.get(msg.room_id, msg.join_code)
        if s.room_id and s.room_id != host.room.room_id and s.room_id in self.manager.hosts:
            old = self.manager.hosts[s.room_id]
            if old.room.role_of(s.user_id) == "player" and old.room.phase != "finished":
                raise RoomError(ErrorCode.ALREADY_IN_ROOM, "leave your current room first")
        async with host.settled(lambda room: room.join(s.user_id, s.display_name, msg.role, msg.join_code)):
            # --- missed-event replay (rejoin with last_seq) ----------------------------------
            # Delivery is held, so nothing is emitted to the room meanwhile: the missed events
            # (last_seq, sent_seq] go to this socket in order, then it enters the room and gets
            # the live events from sent_seq + 1: no gap, no duplicate.
            if msg.last_seq is not None:
                missed = await host.missed_events(msg.last_seq)
                if missed is not None:
                    for name, payload in missed:
                        await self.sio.emit(name, payload, to=sid)
                    await self._enter(sid, s, host)
                    return {"replay": {"from_seq": msg.last_seq + 1, "to_seq": host.sent_seq, "events": len(missed)}}
            # --- snapshot (first join, or the stream no longer holds the gap) -------------------
            # No await between the snapshot and entering the Socket.IO room: the
            # client gets exactly the events after state.seq.
            board = await self.manager.redis.room_board(host.room.room_id)
            state = host.room.snapshot(s.user_id, board if board else None)
            await self._enter(sid, s, host)
        return {"state": state} if msg.last_seq is None else {"state": state, "replay": None}

    async def leave_room(self, sid: str, s: Session, msg: schemas.Empty) -> dict:
        host = self._host(s)
        if host.room.role_of(s.user_id) is not None:
            host.room.leave(s.user_id)
        await host.flush()
        await self.sio.leave_room(sid, host.sio_room)
        s.room_id = None
        return {}

    async def set_ready(self, sid: str, s: Session, msg: schemas.SetReadyIn) -> dict:
        await self._command(s, lambda r: r.set_ready(s.user_id, msg.ready))
        return {}

    async def start_match(self, sid: str, s: Session, msg: schemas.Empty) -> dict:
        await self._command(s, lambda r: r.start_match(s.user_id))
        return {}

    async def answer_draft(self, sid: str, s: Session, msg: schemas.TextIn) -> dict:
        await self._command(s, lambda r: r.answer_draft(s.user_id, msg.text))
        return {}

    async def submit_answer(self, sid: str, s: Session, msg: schemas.TextIn) -> dict:
        answer_id = await self._command(s, lambda r: r.submit_answer(s.user_id, msg.text))
        return {"answer_id": answer_id}

    async def speaker_note(self, sid: str, s: Session, msg: schemas.TextIn) -> dict:
        await self._command(s, lambda r: r.speaker_note(s.user_id, msg.text))
        return {}

    async def evaluation_request(self, sid: str, s: Session, msg: schemas.EvaluationRequestIn) -> dict:
        return {"evaluation": self._host(s).room.evaluation(s.user_id, msg.answer_id)}

    async def session_end(self, sid: str, s: Session, msg: schemas.Empty) -> dict:
        await self._command(s, lambda r: r.end_session(s.user_id))
        return {}

    async def kick_player(self, sid: str, s: Session, msg: schemas.KickIn) -> dict:
        await self._command(s, lambda r: r.kick(s.user_id, msg.participant_id))
        return {}

    async def request_state(self, sid: str, s: Session, msg: schemas.Empty) -> dict:
        host = self._host(s)
        async with host.settled():
            return {"state": await host.snapshot(s.user_id)}

    async def audio_chunk(self, sid: str, s: Session, msg: schemas.AudioChunkIn) -> dict:
        room = self._host(s).room
        room.check_can_speak(s.user_id)       # raises wrong_phase / not_your_turn / already_submitted
        if len(msg.pcm) % 2:
            raise RoomError("bad_audio", "16-bit PCM needs an even number of bytes")
        if self.media is None:
            raise RoomError("media_unavailable", "the media sidecar is not running; answer by typing")
        # Sample rate, silence etc. are checked by the sidecar: its errors come back as error_message.
        await self.media.audio_chunk(room.room_id, s.user_id, msg.seq, msg.sample_rate, msg.pcm)
        return {"seq": msg.seq, "received": len(msg.pcm)}

    async def media_offer(self, sid: str, s: Session, msg: schemas.MediaOfferIn) -> dict:
        """Relay a WebRTC offer to the media sidecar; ack ``{sdp, type: "answer"}``.

        Seated players only, any phase before ``finished``; waits up to 5 s for the sidecar.
        """
        room = self._host(s).room
        room.check_player(s.user_id)          # raises spectator_read_only / not_in_room
        if room.phase == "finished":
            raise RoomError(ErrorCode.WRONG_PHASE, "the match is over")
        if self.media is None:
            raise RoomError("media_unavailable", "the media sidecar is not running; answer by typing")
        try:
            room.check_can_speak(s.user_id)
            speaking = True
        except RoomError:
            speaking = False
        return await self.media.offer(room.room_id, s.user_id, msg.sdp, listen=speaking)

    def sids_of(self, room_id: str, user_id: str) -> list[str]:
        """Socket ids of ``user_id`` in ``room_id`` (a player may have several tabs)."""
        return [sid for sid, x in self.sessions.items() if x.user_id == user_id and x.room_id == room_id]

    async def kicked(self, room_id: str, participant_id: str) -> None:
        """Remove a kicked player's sockets from the room's broadcast group."""
        for sid, s in list(self.sessions.items()):
            if s.user_id == participant_id and s.room_id == room_id:
                await self.sio.leave_room(sid, f"room:{room_id}")
                await self.sio.emit("error_message", {"code": "kicked", "message": "the host removed you"}, to=sid)
                s.room_id = None

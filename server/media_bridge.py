"""The media bridge: connects the game server's rooms to the media sidecar over Redis.

The sidecar (``server/media/``, ``arena media``) speaks the Redis contract in
``docs/media.md``. This module is the game-server side of it:

* **out** (game server -> sidecar, channel ``media:in:<sidecar id>`` of the room's sidecar,
  chosen by load from the registry and handed over when it dies: ``server/media_pool.py``): ``offer`` (from
  ``media_offer``), ``audio_chunk`` (pcm as base64), ``turn_start`` /
  ``turn_end`` (from the room's ``turn_started`` / ``answer_submitted`` /
  ``answer_locked`` events), ``leave`` (the player went away or left), ``close``
  (a newer offer replaced a peer connection). Everything goes through one
  ordered queue and one publisher task, so a ``turn_start`` always reaches the
  sidecar before the audio the player sends after seeing ``turn_started``.
* **in** (sidecar -> game server, ``psubscribe media:out:*``): only rooms this
  process hosts are handled; ``answer``/``error`` resolve a pending offer;
  ``partial``/``final`` become the player's draft (``room.answer_draft`` ->
  ``answer_stream``) plus ``audio_processed`` to the speaker; ``final`` and
  ``turn_summary`` attach delivery (``room.set_delivery``) and the turn
  recording; ``feedback``/``expression`` become ``real_time_feedback`` to the speaker only;
  ``error`` becomes ``error_message`` to the speaker.

State kept here (per process, in memory): the spoken turn of each
(room, participant) (finals so far, question id), the current WebRTC session
id per player, pending offers, and the recording path of each spoken answer
(room, participant, question) -> WAV path, read by ``ResultStore.save_match``
through :meth:`MediaBridge.recording_for`, the ``audio_chunk`` audio of each open turn (replayed to
the next sidecar if the room's sidecar dies mid-answer), and which sidecar serves each room. Nothing here is needed for a match
to go on: if the sidecar is down, answers are typed and ``media_offer`` /
``audio_chunk`` answer ``media_unavailable``.

Modules: this one is the bridge and its outbound half (routing, failover, offers, chunks, room
events); ``media_inbound.py`` the sidecar's messages -> rooms; ``media_turns.py`` the spoken turn
state (:class:`SpokenTurn`, :func:`merge_deliveries`); ``media_pool.py`` the registry and room
assignment; ``media_supervisor.py`` :class:`MediaSupervisor` / :class:`MediaSupervisors`, which run
``arena media`` as child processes and restart them with backoff (``arena serve``;
``ARENA_MEDIA=0`` disables it). All names stay importable from here.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
import uuid
from typing import Any, Awaitable, Callable

from rooms.errors import RoomError
from rooms.jobs import RoomEvent

from .logs import log
from .media.prompt import speech_prompt
from .media_inbound import EXPRESSION_INTERVAL_S, OUT_PATTERN, SidecarMessages
from .media_pool import Assignment, SidecarPool
# Re-exported: these lived here before the split (server.media_bridge is the public import).
from .media_supervisor import MediaSupervisor, MediaSupervisors
from .media_turns import MAX_REPLAY_S, SpokenTurn, merge_deliveries

__all__ = ["MediaBridge", "MediaSupervisor", "MediaSupervisors", "SpokenTurn", "merge_deliveries", "IN_CHANNEL",
           "OUT_PATTERN", "OFFER_TIMEOUT_S", "HEARTBEAT_CACHE_S", "MAX_OUTBOX", "EXPRESSION_INTERVAL_S",
           "MEDIA_UNAVAILABLE", "MEDIA_MOVED", "REGISTRY_POLL_S", "MAX_REPLAY_S"]

IN_CHANNEL = "media:in"
#: How long ``media_offer`` waits for the sidecar's ``answer`` (s).
OFFER_TIMEOUT_S = 5.0
#: How long a "sidecar is up / down" answer from the heartbeat scan is reused (s).
HEARTBEAT_CACHE_S = 2.0
#: Messages waiting for the publisher beyond this are refused (``overloaded``).
MAX_OUTBOX = 4000

MEDIA_UNAVAILABLE = "media_unavailable"
#: Sent (``error_message``) to a WebRTC speaker whose sidecar died: offer again (the new sidecar
#: gets the room); finals already received are kept, the utterance in flight is lost.
MEDIA_MOVED = "media_moved"
#: How often the registry is read to notice a dead sidecar (s).
REGISTRY_POLL_S = 0.5


class MediaBridge(SidecarMessages):
    """Game server <-> media sidecar over Redis pub/sub.

    Args:
        redis_url: the game server's Redis (``app["redis"].url``).
        manager: the :class:`~server.runtime.RoomManager` (rooms are looked up in ``manager.hosts``).
        emit: ``sio.emit``-compatible coroutine, for events to one socket (``to=sid``).
        sids_of: ``(room_id, user_id) -> [sid]``: the sockets of a player in a room.
        in_channel: the sidecar's input channel (``$ARENA_MEDIA_IN_CHANNEL``, default ``media:in``).
        offer_timeout_s: how long ``media_offer`` waits for the sidecar's answer (s).
    """

    def __init__(self, redis_url: str, manager: Any, emit: Callable[..., Awaitable[None]],
                 sids_of: Callable[[str, str], list[str]], *, in_channel: str | None = None,
                 offer_timeout_s: float = OFFER_TIMEOUT_S) -> None:
        import redis.asyncio as aioredis

        self.redis = aioredis.from_url(redis_url, decode_responses=True)
        self.manager = manager
        self.emit = emit
        self.sids_of = sids_of
        self.in_channel = in_channel or os.environ.get("ARENA_MEDIA_IN_CHANNEL") or IN_CHANNEL
        self.offer_timeout_s = offer_timeout_s
        self.turns: dict[tuple[str, str], SpokenTurn] = {}
        self.sessions: dict[tuple[str, str], str] = {}          # (room, pid) -> current WebRTC session id
        self.pending: dict[str, asyncio.Future] = {}             # session id -> future of the answer
        self.recordings: dict[tuple, str] = {}                  # (room, pid, question, follow_up) -> turn WAV
        self.words: dict[tuple, list] = {}                      # same key -> the turn's [{word, start, end}]
        self._expr_sent: dict[tuple[str, str], tuple[float, str]] = {}
        self._outbox: asyncio.Queue = asyncio.Queue(MAX_OUTBOX)
        self._tasks: list[asyncio.Task] = []
        self._up: tuple[float, bool] = (0.0, False)
        self.pool = SidecarPool(self.redis, self.in_channel)
        self._orphans: set[str] = set()                         # rooms that need a sidecar (none was alive)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Start the publisher and the ``media:out:*`` listener."""
        self._tasks = [asyncio.create_task(self._publisher(), name="media-out"),
                       asyncio.create_task(self._listener(), name="media-in"),
                       asyncio.create_task(self._monitor(), name="media-registry")]

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        if self._tasks:                       # bounded: shutdown must not wait on a stuck Redis call
            await asyncio.wait(self._tasks, timeout=2.0)
        for f in self.pending.values():
            if not f.done():
                f.cancel()
        await self.redis.aclose()

    # ----------------------------------------------------------------- sidecar up?
    async def sidecar_up(self) -> bool:
        """True when a sidecar of this bridge's pool is alive: its heartbeat key
        (``media:sidecar:<in channel>:<id>``, 4 s TTL) exists; cached 2 s. A sidecar on another channel
        of the same Redis does not count: it would never see this bridge's offers."""
        now = time.monotonic()
        if now - self._up[0] < HEARTBEAT_CACHE_S:
            return self._up[1]
        up = False
        try:
            up = bool(await self.pool.read())       # the snapshot is the monitor's (it moves rooms)
        except Exception:                                   # Redis down: no media
            log.warning("media_heartbeat_check_failed")
        self._up = (now, up)
        return up

    async def _require_sidecar(self) -> None:
        if not await self.sidecar_up():
            raise RoomError(MEDIA_UNAVAILABLE, "the media sidecar is not running; answer by typing")

    # ----------------------------------------------------------------------- out
    def _send(self, msg: dict, room_id: str | None = None) -> None:
        """Queue ``msg`` for the sidecar of ``room_id`` (default ``msg["room_id"]``); dropped when
        no sidecar is alive (the room is then resumed on the next one, :meth:`_route`)."""
        ch = self._route(room_id or msg["room_id"])
        if ch is not None:
            self._send_to(ch, msg)

    def _send_to(self, channel: str, msg: dict) -> None:
        try:
            self._outbox.put_nowait((channel, msg))
        except asyncio.QueueFull:
            raise RoomError("overloaded", "the media channel is busy; audio dropped") from None

    def _route(self, room_id: str) -> str | None:
        """The channel of the room's sidecar (assigned by load on first use). A room that was left
        without one (its sidecar died, none alive) gets its open turns resumed there first."""
        ch = self.pool.channel_for(room_id)
        if ch is None:
            self._orphans.add(room_id)
        elif room_id in self._orphans:
            self._orphans.discard(room_id)
            self._resume(room_id, ch)
        return ch

    def _resume(self, room_id: str, channel: str) -> None:
        """Start the room's open spoken turns on a new sidecar: ``turn_start``, then the turn's
        ``audio_chunk`` audio since its start (``replay: true``), so the answer is transcribed whole."""
        for (rid, pid), st in list(self.turns.items()):
            if rid != room_id or not st.open:
                continue
            self._send_to(channel, {"type": "turn_start", "room_id": rid, "participant_id": pid,
                                    "turn_id": st.turn_id, "language": st.language, "prompt": st.prompt})
            st.begin_replay()
            if st.audio:                   # the speaker's client drops the old transcripts too
                self._spawn(self._to_player(rid, pid, "audio_processed", {
                    "seq": st.audio[-1][0], "transcript": "", "is_final": False, "text": st.floor,
                    "utterance": None, "restart": True}))
            for seq, sr, pcm in st.replay_chunks():
                self._send_to(channel, {"type": "audio_chunk", "session_id": None, "room_id": rid,
                                        "participant_id": pid, "seq": seq, "sample_rate": sr, "replay": True,
                                        "pcm": base64.b64encode(pcm).decode("ascii")})
            log.info("media_turn_resumed", room_id=rid, channel=channel, replay_s=round(st.audio_s, 2))

    def _spawn(self, coro) -> None:
        t = asyncio.get_running_loop().create_task(coro)
        self._tasks.append(t)
        t.add_done_callback(lambda t: t in self._tasks and self._tasks.remove(t))

    async def _monitor(self) -> None:
        """Read the registry every :data:`REGISTRY_POLL_S` s; hand the rooms of a sidecar that
        left it (missed heartbeats for a TTL, or restarted) to another."""
        while True:
            try:
                await self.pool.refresh()
                self._up = (time.monotonic(), bool(self.pool.live))
                for rid, old in self.pool.lost():
                    await self._handoff(rid, old)
                if self._orphans:              # one pass over the turns, not one per orphan (400 rooms x 2,000 turns)
                    open_rooms = {rid for (rid, _), t in self.turns.items() if t.open}
                    for rid in [r for r in self._orphans if r in open_rooms]:
                        self._route(rid)
            except asyncio.CancelledError:
                raise
            except Exception as e:                          # Redis down: keep the assignments
                log.warning("media_registry_failed", error=str(e))
            await asyncio.sleep(REGISTRY_POLL_S)

    async def _handoff(self, room_id: str, old: Assignment) -> None:
        log.warning("media_room_moved", room_id=room_id, dead_sidecar=old.sidecar_id)
        pids = {k[1] for k in list(self.turns) + list(self.sessions) if k[0] == room_id}
        for pid in pids:                   # if it is alive after all (a late heartbeat), it lets go
            self._send_to(old.channel, {"type": "leave", "room_id": room_id, "participant_id": pid})
        moved = [pid for (r, pid) in list(self.sessions) if r == room_id]
        for pid in moved:
            self.sessions.pop((room_id, pid), None)
        self._orphans.add(room_id)
        self._route(room_id)
        for pid in moved:                  # their peer connection was with the dead sidecar
            await self._to_player(room_id, pid, "error_message", {
                "code": MEDIA_MOVED, "message": "the speech service moved; reconnect the microphone"})

    async def _publisher(self) -> None:
        while True:
            channel, msg = await self._outbox.get()
            try:
                await self.redis.publish(channel, json.dumps(msg, ensure_ascii=False))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("media_publish_failed", type=msg.get("type"))

    async def offer(self, room_id: str, participant_id: str, sdp: str, *, listen: bool) -> dict:
        """Publish a WebRTC ``offer`` and wait for the sidecar's ``answer``.

        Args:
            listen: False when the player has no open turn: the sidecar is told to ignore
                their audio until the next ``turn_start`` (an empty turn is opened and closed).

        Returns:
            ``{"sdp": str, "type": "answer"}``.

        Raises:
            RoomError: ``media_unavailable`` (no sidecar heartbeat, or no answer within
                ``offer_timeout_s``), or the sidecar's error code (e.g. ``bad_sdp``).
        """
        await self._require_sidecar()
        key = (room_id, participant_id)
        old = self.sessions.get(key)
        sid = uuid.uuid4().hex
        fut: asyncio.Future = asyncio.get_running_loop().create_future()
        self.pending[sid] = fut
        try:
            if old:
                self._send({"type": "close", "session_id": old}, room_id)
            if not listen:
                base = {"room_id": room_id, "participant_id": participant_id, "turn_id": None}
                self._send({"type": "turn_start", **base})
                self._send({"type": "turn_end", **base})
            self._send({"type": "offer", "session_id": sid, "room_id": room_id, "participant_id": participant_id,
                        "sdp": sdp, "sdp_type": "offer"})
            try:
                msg = await asyncio.wait_for(fut, self.offer_timeout_s)
            except asyncio.TimeoutError:
                raise RoomError(MEDIA_UNAVAILABLE, "the media sidecar did not answer in time") from None
        finally:
            self.pending.pop(sid, None)
        if msg.get("type") == "error":
            raise RoomError(str(msg.get("code") or "bad_sdp"), str(msg.get("message") or "the offer was refused"))
        self.sessions[key] = sid
        return {"sdp": msg["sdp"], "type": msg.get("sdp_type") or "answer"}

    async def audio_chunk(self, room_id: str, participant_id: str, seq: int, sample_rate: int, pcm: bytes) -> None:
        """Forward one PCM chunk (16-bit LE mono bytes) to the sidecar as base64.

        Raises:
            RoomError: ``media_unavailable`` (no sidecar), ``overloaded`` (outbox full),
                ``silence`` (see :meth:`SpokenTurn.check_chunk`).
        """
        await self._require_sidecar()
        st = self.turns.get((room_id, participant_id))
        if st is not None:
            st.check_chunk(pcm, sample_rate)
        self._send({"type": "audio_chunk", "session_id": self.sessions.get((room_id, participant_id)),
                    "room_id": room_id, "participant_id": participant_id, "seq": seq,
                    "sample_rate": sample_rate, "pcm": base64.b64encode(pcm).decode("ascii")})
        if st is not None:
            st.keep(seq, sample_rate, pcm)

    # ------------------------------------------------------- room events (the hook)
    def on_room_event(self, room: Any, ev: RoomEvent) -> None:
        """``RoomManager.on_room_event``: called for every event a RoomHost flushes (sync, no I/O).

        ``turn_started`` of a human -> ``turn_start``; ``answer_submitted`` / ``answer_locked``
        -> ``turn_end``; the player away/left or the match over -> ``leave``.
        """
        try:
            self._on_room_event(room, ev)
        except RoomError:
            log.warning("media_outbox_full", room_id=room.room_id, event_name=ev.name)

    def _human(self, room: Any, pid: str | None) -> bool:
        p = room.participants.get(pid) if pid else None
        return p is not None and p.kind == "human"

    def _on_room_event(self, room: Any, ev: RoomEvent) -> None:
        rid, pl = room.room_id, ev.payload
        if ev.name == "turn_started":
            pids = pl.get("participants") or [] if pl.get("participant_id") is None else [pl["participant_id"]]
            for pid in pids:
                if self._human(room, pid):
                    st = self.turns[(rid, pid)] = SpokenTurn(pl["question_id"], follow_up=bool(pl.get("follow_up")),
                                                             language=room.settings.language, prompt=speech_prompt(room))
                    self._send({"type": "turn_start", "room_id": rid, "participant_id": pid, "turn_id": st.turn_id,
                                "language": room.settings.language, "prompt": st.prompt})
        elif ev.name in ("answer_submitted", "answer_locked"):
            pid = pl.get("participant_id")
            st = self.turns.get((rid, pid))
            if st is not None and st.open and st.question_id == pl.get("question_id"):
                st.open = False
                st.audio, st.audio_s = [], 0.0
                self._send({"type": "turn_end", "room_id": rid, "participant_id": pid, "turn_id": st.turn_id})
        elif ev.name == "presence_changed":
            pid = pl.get("participant_id")
            st = self.turns.get((rid, pid))
            if pl.get("presence") != "online":         # away: the sidecar forgets them; the turn stays
                self._leave(rid, pid, keep_turn=True)
            elif st is not None and st.open:           # back within the turn: listen again
                self._send({"type": "turn_start", "room_id": rid, "participant_id": pid, "turn_id": st.turn_id,
                            "language": room.settings.language, "prompt": speech_prompt(room)})
        elif ev.name == "participant_left":
            self._leave(rid, pl.get("participant_id"))
        elif ev.name == "phase_changed" and pl.get("phase") == "finished":
            for (r, pid) in [k for k in self.turns if k[0] == rid] + [k for k in self.sessions if k[0] == rid]:
                self._leave(r, pid)
            self.pool.release(rid)
            self._orphans.discard(rid)
            self._expr_sent = {k: v for k, v in self._expr_sent.items() if k[0] != rid}

    def _leave(self, room_id: str, pid: str | None, keep_turn: bool = False) -> None:
        if not pid:
            return
        known = (room_id, pid) in self.turns or (room_id, pid) in self.sessions
        if not keep_turn:
            self.turns.pop((room_id, pid), None)
        self.sessions.pop((room_id, pid), None)
        if known:
            self._send({"type": "leave", "room_id": room_id, "participant_id": pid})

    # ------------------------------------------------------------------ recordings
    def recording_for(self, room_id: str, participant_id: str, question_id: str,
                      follow_up: bool = False) -> str | None:
        """The turn WAV of a spoken answer (``follow_up``: of the follow-up answer), or None
        (typed, or the sidecar sent no summary). Read once, when the finished match is stored,
        so the entry is removed."""
        return self.recordings.pop((room_id, participant_id, question_id, follow_up), None)

    def words_for(self, room_id: str, participant_id: str, question_id: str,
                  follow_up: bool = False) -> list | None:
        """The word timings ``[{word, start, end}]`` (s from the start of the turn WAV) of a spoken
        answer, or None. Read once, like :meth:`recording_for`."""
        return self.words.pop((room_id, participant_id, question_id, follow_up), None)

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

:class:`MediaSupervisor` runs ``arena media`` as a child process and restarts
it with exponential backoff (``arena serve``; ``ARENA_MEDIA=0`` disables it).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from rooms.errors import ErrorCode, RoomError
from rooms.jobs import RoomEvent
from rooms.settings import MAX_TEXT_BYTES

from .logs import log
from .media.audio import ALLOWED_SAMPLE_RATES, SILENT_TURN_MESSAGE, LeadingSilence, pcm16_to_float32
from .media.prompt import speech_prompt
from .media_pool import Assignment, SidecarPool

IN_CHANNEL = "media:in"
OUT_PATTERN = "media:out:*"
#: How long ``media_offer`` waits for the sidecar's ``answer`` (s).
OFFER_TIMEOUT_S = 5.0
#: How long a "sidecar is up / down" answer from the heartbeat scan is reused (s).
HEARTBEAT_CACHE_S = 2.0
#: Messages waiting for the publisher beyond this are refused (``overloaded``).
MAX_OUTBOX = 4000
#: At most one ``real_time_feedback`` of kind ``expression`` per participant this often (s),
#: unless the dominant emotion changes.
EXPRESSION_INTERVAL_S = 10.0

MEDIA_UNAVAILABLE = "media_unavailable"
#: Sent (``error_message``) to a WebRTC speaker whose sidecar died: offer again (the new sidecar
#: gets the room); finals already received are kept, the utterance in flight is lost.
MEDIA_MOVED = "media_moved"
#: How often the registry is read to notice a dead sidecar (s).
REGISTRY_POLL_S = 0.5
#: ``audio_chunk`` audio kept per open turn for a replay after a failover (s of 16 kHz 16-bit
#: audio, 32 KB/s): the longest turn (``MAX_ANSWER_SECONDS``).
MAX_REPLAY_S = 300.0


@dataclass
class SpokenTurn:
    """The spoken answer of one participant to one question, as the sidecar reports it."""

    question_id: str
    follow_up: bool = False                                 # a follow-up turn to the same question
    finals: list[str] = field(default_factory=list)
    deliveries: list[dict] = field(default_factory=list)   # per-final delivery (prosody.analyse)
    open: bool = True                                       # False after turn_end was sent
    typed: str | None = None                                # what the player had typed before speaking
    silence: LeadingSilence = field(default_factory=LeadingSilence)  # of the audio_chunks so far
    language: str | None = None                             # the room's, for a turn_start on another sidecar
    prompt: str | None = None                               # the decoder prompt (media/prompt.py), likewise
    audio: list[tuple[int, int, bytes]] = field(default_factory=list)  # (seq, sample rate, pcm) since turn start
    audio_s: float = 0.0
    shown: str = ""                                         # the last draft given to the room
    floor: str | None = None                                # the draft before a replay: kept until caught up
    replay_s: float = 0.0                                   # audio replayed to the new sidecar (s)

    def keep(self, seq: int, sample_rate: int, pcm: bytes) -> None:
        """Keep an ``audio_chunk`` of the open turn for a replay (up to :data:`MAX_REPLAY_S`)."""
        dur = len(pcm) / 2 / sample_rate if sample_rate else 0.0
        if self.open and self.audio_s + dur <= MAX_REPLAY_S:
            self.audio.append((seq, sample_rate, pcm))
            self.audio_s += dur

    def replay_chunks(self, max_bytes: int = 65536) -> list[tuple[int, int, bytes]]:
        """The kept audio merged into as few chunks as the sidecar takes (<= 64 KB, one sample rate
        each; ``seq`` = the last merged one's), so a long replay fits the outbox (300 s: ~150)."""
        out: list[tuple[int, int, bytes]] = []
        for seq, sr, pcm in self.audio:
            if out and out[-1][1] == sr and len(out[-1][2]) + len(pcm) <= max_bytes:
                out[-1] = (seq, sr, out[-1][2] + pcm)
            else:
                out.append((seq, sr, pcm))
        return out

    def begin_replay(self) -> None:
        """The turn's audio goes to a new sidecar from its start: its finals replace the old ones.
        Without kept audio (WebRTC) the finals so far stay and the new sidecar continues."""
        if not self.audio:
            return
        self.floor = self.shown or self.text()
        self.replay_s = self.audio_s
        self.finals, self.deliveries = [], []

    def check_chunk(self, pcm: bytes, sample_rate: int) -> None:
        """Refuse an ``audio_chunk`` that continues a silent start of the turn.

        Once the turn has had :data:`~server.media.audio.SILENT_TURN_S` s (3 s) of
        chunks under -60 dBFS and no sound, each further silent chunk is refused with
        ``silence`` (and not forwarded); any chunk with sound ends the check for the turn.

        Args:
            pcm: 16-bit LE mono bytes (even length, at most 64 KB: the gateway checked).
            sample_rate: Hz; other rates are left to the sidecar (``bad_sample_rate``).

        Raises:
            RoomError: ``silence``.
        """
        if self.silence.heard or not self.open or sample_rate not in ALLOWED_SAMPLE_RATES or not pcm:
            return
        was_muted = self.silence.muted
        if self.silence.add(pcm16_to_float32(pcm), sample_rate) and was_muted:
            raise RoomError("silence", SILENT_TURN_MESSAGE)

    @property
    def turn_id(self) -> str:
        """The sidecar's ``turn_id``: the question id, ``#fu`` appended for a follow-up turn."""
        return self.question_id + ("#fu" if self.follow_up else "")

    def text(self, partial: str = "") -> str:
        """Typed text (if any), finals so far, then the current partial; cut to the room's text limit (8 KB)."""
        t = " ".join(x.strip() for x in [self.typed or "", *self.finals, partial] if x and x.strip())
        b = t.encode("utf-8")
        return b[:MAX_TEXT_BYTES].decode("utf-8", "ignore") if len(b) > MAX_TEXT_BYTES else t


def merge_deliveries(ds: list[dict]) -> dict | None:
    """Combine per-utterance delivery dicts into one for the whole answer so far.

    ``wpm`` is total words over total talking time (each utterance's words / wpm);
    ``pause_ratio`` is weighted by duration (s); pauses are those inside utterances
    (gaps between utterances only show up in the sidecar's ``turn_summary``).
    """
    ds = [d for d in ds if isinstance(d, dict)]
    if not ds:
        return None
    words = sum(int(d.get("word_count") or 0) for d in ds)
    talk_min = sum((d.get("word_count") or 0) / d["wpm"] for d in ds if d.get("wpm"))
    dur = sum(float(d.get("duration_s") or 0.0) for d in ds)
    pauses = [p for d in ds for p in d.get("pauses") or []]
    vols = [(d.get("volume_dbfs"), d.get("speech_s") or 0.0) for d in ds if d.get("volume_dbfs") is not None]
    vw = sum(w for _, w in vols)
    return {
        "duration_s": round(dur, 3),
        "speech_s": round(sum(float(d.get("speech_s") or 0.0) for d in ds), 3),
        "wpm": round(words / talk_min, 1) if talk_min > 0 else None,
        "word_count": words,
        "pause_ratio": round(sum(float(d.get("pause_ratio") or 0.0) * float(d.get("duration_s") or 0.0)
                                 for d in ds) / dur, 3) if dur > 0 else 0.0,
        "pauses": pauses,
        "long_pauses": [p for d in ds for p in d.get("long_pauses") or []],
        "pauses_per_min": round(len(pauses) / dur * 60.0, 1) if dur > 0 else 0.0,
        "volume_dbfs": round(sum(v * w for v, w in vols) / vw, 1) if vw > 0 else None,
        "source": "finals",
    }


class MediaBridge:
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

    # ------------------------------------------------------------------------ in
    async def _listener(self) -> None:
        backoff = 0.5
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(OUT_PATTERN)
                backoff = 0.5
                while True:
                    m = await pubsub.get_message(timeout=1.0)
                    if m is None or m.get("type") != "pmessage":
                        continue
                    try:
                        msg = json.loads(m["data"])
                    except (ValueError, TypeError):
                        continue
                    if isinstance(msg, dict):
                        if not msg.get("room_id"):        # the sidecar's errors name the room by channel only
                            msg["room_id"] = str(m.get("channel") or "")[len(OUT_PATTERN) - 1:]
                        try:
                            await self.handle(msg)
                        except Exception:
                            log.exception("media_message_failed", type=msg.get("type"))
            except asyncio.CancelledError:
                raise
            except Exception as e:                          # Redis dropped: resubscribe
                log.warning("media_listener_reconnect", error=str(e))
                await asyncio.sleep(backoff)
                backoff = min(10.0, backoff * 2)
            finally:
                try:
                    await pubsub.aclose()
                except Exception:
                    pass

    async def handle(self, msg: dict) -> None:
        """Apply one sidecar message (``media:out:<room_id>``) to the room it names."""
        kind, sid = msg.get("type"), msg.get("session_id")
        if kind in ("answer", "error") and sid and sid in self.pending:
            if not self.pending[sid].done():
                self.pending[sid].set_result(msg)
            return
        rid, pid = msg.get("room_id"), msg.get("participant_id")
        host = self.manager.hosts.get(rid) if isinstance(rid, str) else None
        if host is None or not isinstance(pid, str):
            return                                          # another process's room, or gone
        room = host.room
        key = (rid, pid)
        a = self.pool.assigned(rid)
        if a is not None and msg.get("sidecar_id") not in (None, a.sidecar_id):
            return                                          # a sidecar the room has left (failover)
        if kind in ("partial", "final"):
            st = self.turns.get(key)
            if st is None or not st.open or msg.get("turn_id") not in (None, st.turn_id):
                return                                      # audio outside a spoken turn
            transcript = str(msg.get("transcript") or "")
            if st.typed is None:                            # keep what was typed before the first words
                turn = room.turns.get(pid)
                st.typed = turn.draft if turn is not None and not turn.done else ""
            if kind == "final":
                if transcript.strip():
                    st.finals.append(transcript)
                if isinstance(msg.get("delivery"), dict):
                    st.deliveries.append(msg["delivery"])
                    room.set_delivery(pid, st.question_id, merge_deliveries(st.deliveries), follow_up=st.follow_up)
                text = st.text()
            else:
                text = st.text(transcript)
            if st.floor is not None:                        # a replay is catching up: never shrink the draft
                if len(text) >= len(st.floor) or (kind == "final" and float(msg.get("end") or 0.0)
                                                  >= st.replay_s - 1.5):
                    st.floor = None
                else:
                    text = st.floor
            st.shown = text
            try:
                room.answer_draft(pid, text)
            except RoomError:
                pass                                        # the turn just ended
            await host.flush()
            seq = msg.get("chunk_seq") if msg.get("chunk_seq") is not None else msg.get("seq")
            await self._to_player(rid, pid, "audio_processed",
                                  {"seq": seq, "transcript": transcript, "is_final": kind == "final",
                                   "text": text, "utterance": msg.get("utterance")})
        elif kind == "turn_summary":
            tid = msg.get("turn_id")
            if not tid:
                return                                      # the empty gating turn of an off-turn offer
            qid, follow_up = str(tid).removesuffix("#fu"), str(tid).endswith("#fu")
            if isinstance(msg.get("delivery"), dict) and msg["delivery"].get("speech_s"):
                room.set_delivery(pid, qid, {**msg["delivery"], "source": "turn"}, follow_up=follow_up)
            if msg.get("recording"):
                self.recordings[(rid, pid, qid, follow_up)] = str(msg["recording"])
                if isinstance(msg.get("words"), list):
                    self.words[(rid, pid, qid, follow_up)] = msg["words"]
            await host.flush()
        elif kind in ("feedback", "expression"):
            if kind == "expression":
                if isinstance(msg.get("emotions"), dict):   # every sample goes into the room's summary
                    room.set_expression(pid, msg["emotions"])
                dom = str(msg.get("dominant") or "")
                last = self._expr_sent.get(key)
                now = time.monotonic()
                if not dom or (last and last[1] == dom and now - last[0] < EXPRESSION_INTERVAL_S):
                    return
                self._expr_sent[key] = (now, dom)
                payload = {"participant_id": pid, "kind": "expression", "message": f"expression: {dom}",
                           "dominant": dom, "advisory": True}
            else:
                payload = {"participant_id": pid, "kind": str(msg.get("kind") or "delivery"),
                           "message": str(msg.get("message") or ""), "advisory": True}
            if room.phase == "finished":
                return
            # Coaching is private: only the speaker's sockets get it (not the room, not spectators).
            await self._to_player(rid, pid, "real_time_feedback", {"room_id": rid, **payload})
        elif kind == "error":
            err = {"code": str(msg.get("code") or "media_error"), "message": str(msg.get("message") or "")}
            if msg.get("seq") is not None:
                err["seq"] = msg["seq"]
            await self._to_player(rid, pid, "error_message", err)

    async def _to_player(self, room_id: str, pid: str, event: str, data: dict) -> None:
        for s in self.sids_of(room_id, pid):
            await self.emit(event, data, to=s)

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


class MediaSupervisor:
    """Runs ``arena media`` as a child process and restarts it when it exits.

    Backoff between restarts doubles from ``min_backoff_s`` to ``max_backoff_s`` (s) and
    resets once a child has run ``stable_s`` (s). The child gets the same ``REDIS_URL``
    (also the embedded one) and inherits the rest of the environment.

    Args:
        redis_url: the game server's Redis URL.
        argv: the command (default ``python -m server.cli media --redis-url URL``).
        name: names the child in the logs (``<name>_started``, ``<name>_exited``).
        env: more environment variables for the child.
    """

    def __init__(self, redis_url: str, argv: list[str] | None = None, *, min_backoff_s: float = 1.0,
                 max_backoff_s: float = 30.0, stable_s: float = 60.0, name: str = "media_sidecar",
                 env: dict[str, str] | None = None) -> None:
        self.redis_url = redis_url
        self.name = name
        self.env = env or {}
        self.argv = argv or [sys.executable, "-m", "server.cli", "media", "--redis-url", redis_url]
        self.min_backoff_s, self.max_backoff_s, self.stable_s = min_backoff_s, max_backoff_s, stable_s
        self.proc: asyncio.subprocess.Process | None = None
        self.restarts = 0
        self._task: asyncio.Task | None = None
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"{self.name}-supervisor")

    async def _run(self) -> None:
        backoff = self.min_backoff_s
        env = {**os.environ, "REDIS_URL": self.redis_url, **self.env}
        while not self._stopping:
            t0 = time.monotonic()
            try:
                self.proc = await asyncio.create_subprocess_exec(*self.argv, env=env)
                log.info(f"{self.name}_started", pid=self.proc.pid)
                rc = await self.proc.wait()
            except asyncio.CancelledError:
                raise
            except Exception as e:
                rc = None
                log.warning(f"{self.name}_spawn_failed", error=str(e))
            if self._stopping:
                return
            if time.monotonic() - t0 >= self.stable_s:
                backoff = self.min_backoff_s
            log.warning(f"{self.name}_exited", rc=rc, restart_in_s=backoff)
            self.restarts += 1
            await asyncio.sleep(backoff)
            backoff = min(self.max_backoff_s, backoff * 2)

    async def stop(self, timeout_s: float = 5.0) -> None:
        """Terminate the child (SIGTERM, then SIGKILL after ``timeout_s`` s) and stop restarting."""
        self._stopping = True
        p = self.proc
        if p is not None and p.returncode is None:
            p.terminate()
            try:
                await asyncio.wait_for(p.wait(), timeout_s)
            except asyncio.TimeoutError:
                p.kill()
                await p.wait()
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass


class MediaSupervisors:
    """``$ARENA_MEDIA_SIDECARS`` (default 1) supervised sidecars, ``arena media --id media-<k>``
    (k = 1..N), each restarted on its own by a :class:`MediaSupervisor`. With N = 1 the child
    is started exactly as before (a random id).

    Raises:
        ValueError: ``ARENA_MEDIA_SIDECARS`` is not an integer 1..16.
    """

    def __init__(self, redis_url: str, count: int | None = None) -> None:
        raw = count if count is not None else os.environ.get("ARENA_MEDIA_SIDECARS") or 1
        n = int(raw)
        if not 1 <= n <= 16:
            raise ValueError(f"ARENA_MEDIA_SIDECARS must be 1-16, got {raw!r}")
        base = [sys.executable, "-m", "server.cli", "media", "--redis-url", redis_url]
        self.children = [MediaSupervisor(redis_url, None if n == 1 else [*base, "--id", f"media-{k}"])
                         for k in range(1, n + 1)]

    def start(self) -> None:
        for c in self.children:
            c.start()

    async def stop(self, timeout_s: float = 5.0) -> None:
        await asyncio.gather(*(c.stop(timeout_s) for c in self.children))

"""The media bridge: connects the game server's rooms to the media sidecar over Redis.

The sidecar (``server/media/``, ``arena media``) speaks the Redis contract in
``docs/media.md``. This module is the game-server side of it:

* **out** (game server -> sidecar, channel ``media:in``): ``offer`` (from
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
through :meth:`MediaBridge.recording_for`. Nothing here is needed for a match
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
from .media.sidecar import heartbeat_pattern

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
        self._expr_sent: dict[tuple[str, str], tuple[float, str]] = {}
        self._outbox: asyncio.Queue = asyncio.Queue(MAX_OUTBOX)
        self._tasks: list[asyncio.Task] = []
        self._up: tuple[float, bool] = (0.0, False)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Start the publisher and the ``media:out:*`` listener."""
        self._tasks = [asyncio.create_task(self._publisher(), name="media-out"),
                       asyncio.create_task(self._listener(), name="media-in")]

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
        """True when a heartbeat of a sidecar on this bridge's channel exists
        (``media:sidecar:<in channel>:*``, 15 s TTL); cached 2 s. A sidecar on another channel of
        the same Redis does not count: it would never see this bridge's offers."""
        now = time.monotonic()
        if now - self._up[0] < HEARTBEAT_CACHE_S:
            return self._up[1]
        up = False
        try:
            async for _ in self.redis.scan_iter(match=heartbeat_pattern(self.in_channel), count=1000):
                up = True
                break
        except Exception:                                   # Redis down: no media
            log.warning("media_heartbeat_check_failed")
        self._up = (now, up)
        return up

    async def _require_sidecar(self) -> None:
        if not await self.sidecar_up():
            raise RoomError(MEDIA_UNAVAILABLE, "the media sidecar is not running; answer by typing")

    # ----------------------------------------------------------------------- out
    def _send(self, msg: dict) -> None:
        try:
            self._outbox.put_nowait(msg)
        except asyncio.QueueFull:
            raise RoomError("overloaded", "the media channel is busy; audio dropped") from None

    async def _publisher(self) -> None:
        while True:
            msg = await self._outbox.get()
            try:
                await self.redis.publish(self.in_channel, json.dumps(msg, ensure_ascii=False))
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
                self._send({"type": "close", "session_id": old})
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

    # ------------------------------------------------------- room events (the hook)
    def on_room_event(self, room: Any, ev: RoomEvent) -> None:
        """``RoomManager.on_room_event``: called for every event a RoomHost flushes (sync, no I/O).

        ``turn_started`` of a human -> ``turn_start``; ``answer_submitted`` / ``answer_locked``
        -> ``turn_end``; the player away/left or the match over -> ``leave``.
        """
        try:
            self._on_room_event(room, ev)
        except RoomError:
            log.warning("media_outbox_full", room_id=room.room_id, event=ev.name)

    def _human(self, room: Any, pid: str | None) -> bool:
        p = room.participants.get(pid) if pid else None
        return p is not None and p.kind == "human"

    def _on_room_event(self, room: Any, ev: RoomEvent) -> None:
        rid, pl = room.room_id, ev.payload
        if ev.name == "turn_started":
            pids = pl.get("participants") or [] if pl.get("participant_id") is None else [pl["participant_id"]]
            for pid in pids:
                if self._human(room, pid):
                    st = self.turns[(rid, pid)] = SpokenTurn(pl["question_id"], follow_up=bool(pl.get("follow_up")))
                    self._send({"type": "turn_start", "room_id": rid, "participant_id": pid, "turn_id": st.turn_id,
                                "language": room.settings.language, "prompt": speech_prompt(room)})
        elif ev.name in ("answer_submitted", "answer_locked"):
            pid = pl.get("participant_id")
            st = self.turns.get((rid, pid))
            if st is not None and st.open and st.question_id == pl.get("question_id"):
                st.open = False
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


class MediaSupervisor:
    """Runs ``arena media`` as a child process and restarts it when it exits.

    Backoff between restarts doubles from ``min_backoff_s`` to ``max_backoff_s`` (s) and
    resets once a child has run ``stable_s`` (s). The child gets the same ``REDIS_URL``
    (also the embedded one) and inherits the rest of the environment.

    Args:
        redis_url: the game server's Redis URL.
        argv: the command (default ``python -m server.cli media --redis-url URL``).
    """

    def __init__(self, redis_url: str, argv: list[str] | None = None, *, min_backoff_s: float = 1.0,
                 max_backoff_s: float = 30.0, stable_s: float = 60.0) -> None:
        self.redis_url = redis_url
        self.argv = argv or [sys.executable, "-m", "server.cli", "media", "--redis-url", redis_url]
        self.min_backoff_s, self.max_backoff_s, self.stable_s = min_backoff_s, max_backoff_s, stable_s
        self.proc: asyncio.subprocess.Process | None = None
        self.restarts = 0
        self._task: asyncio.Task | None = None
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="media-supervisor")

    async def _run(self) -> None:
        backoff = self.min_backoff_s
        env = {**os.environ, "REDIS_URL": self.redis_url}
        while not self._stopping:
            t0 = time.monotonic()
            try:
                self.proc = await asyncio.create_subprocess_exec(*self.argv, env=env)
                log.info("media_sidecar_started", pid=self.proc.pid)
                rc = await self.proc.wait()
            except asyncio.CancelledError:
                raise
            except Exception as e:
                rc = None
                log.warning("media_sidecar_spawn_failed", error=str(e))
            if self._stopping:
                return
            if time.monotonic() - t0 >= self.stable_s:
                backoff = self.min_backoff_s
            log.warning("media_sidecar_exited", rc=rc, restart_in_s=backoff)
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

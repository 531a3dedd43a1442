"""``arena media``: the media sidecar process.

It talks to the game server only through Redis pub/sub (contract in
``docs/media.md``):

* subscribes to ``media:in`` (JSON messages ``offer``, ``audio_chunk``,
  ``turn_start``, ``turn_end``, ``close``, ``leave``);
* publishes to ``media:out:<room_id>`` (``answer``, ``partial``, ``final``,
  ``turn_summary``, ``feedback``, ``expression``, ``error``); errors about a
  turn rather than a message carry its ``turn_id`` and no ``session_id``:
  ``silence`` (nothing above -60 dBFS for the first 3 s of a turn) and
  ``no_speech`` (a turn with audio but no recognised word, sent after its
  ``turn_summary``);
* keeps a heartbeat key ``media:sidecar:<in channel>:<id>`` (refreshed every
  ``$ARENA_MEDIA_HEARTBEAT_S`` s, TTL ``$ARENA_MEDIA_HEARTBEAT_TTL_S`` s) with its load, so the
  game server can tell which sidecars serve *its* channel and spread rooms over them; each
  sidecar also listens on its own channel ``<in channel>:<id>`` (``docs/media.md``, "Several
  sidecars").

WebRTC is handled with aiortc: the sidecar answers the browser's offer, reads
the audio track (resampled to 16 kHz mono s16 with ``av.AudioResampler``) and
samples the video track at ~2 fps for facial expression. Audio from either
WebRTC or ``audio_chunk`` messages goes into one
:class:`~server.media.stt.StreamingTranscriber` per (room, participant), which
runs in a worker thread, so the event loop never waits on a model.

Each finished utterance is saved as a 16 kHz mono WAV under
``$ARENA_RECORDINGS_DIR`` (default ``./.arena/recordings``), and each turn's
whole audio as well; the paths are in ``final`` and ``turn_summary``.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import json
import logging
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from redis.exceptions import ConnectionError as RedisConnectionError

from . import prosody
from .audio import SILENT_TURN_MESSAGE, TARGET_SAMPLE_RATE, ChunkDecoder, LeadingSilence, MediaError, write_wav
from .models import LANGUAGES

log = logging.getLogger("arena.media")

SR = TARGET_SAMPLE_RATE
IN_CHANNEL = "media:in"
OUT_PREFIX = "media:out:"
HEARTBEAT_PREFIX = "media:sidecar:"
#: Heartbeat period and time to live (s): a sidecar killed with SIGKILL leaves the registry
#: within ``HEARTBEAT_TTL_S``; ``$ARENA_MEDIA_HEARTBEAT_S`` / ``$ARENA_MEDIA_HEARTBEAT_TTL_S``.
HEARTBEAT_INTERVAL_S = 1.0
HEARTBEAT_TTL_S = 4
#: Frames per second sampled from a video track for expression analysis.
VIDEO_FPS = 2.0
#: Minimum time between two nudges of the same kind to one participant (s).
NUDGE_COOLDOWN_S = 15.0
#: Longest turn kept in the turn recording (s); later audio is still transcribed.
MAX_TURN_RECORDING_S = 600
#: Audio waiting for the STT worker beyond this (s) is dropped (error ``overloaded``).
MAX_BACKLOG_S = 20.0
#: How often recordings past ``$ARENA_RECORDINGS_RETENTION_DAYS`` are deleted (s).
RETENTION_SWEEP_S = 3600.0
#: A participant with no activity for this long is dropped (s).
IDLE_TIMEOUT_S = 900
#: Expression samples averaged for the "you look tense" nudge, and its threshold (0..1).
TENSION_WINDOW = 10
TENSION_THRESHOLD = 0.5
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def stream_options_from_env() -> dict:
    """StreamingTranscriber options from ``$ARENA_STT_PARTIAL_INTERVAL_S`` (s, default 0.6)
    and ``$ARENA_STT_END_SILENCE_MS`` (ms, default 700)."""
    opts: dict = {}
    if os.environ.get("ARENA_STT_PARTIAL_INTERVAL_S"):
        opts["partial_interval_s"] = float(os.environ["ARENA_STT_PARTIAL_INTERVAL_S"])
    if os.environ.get("ARENA_STT_END_SILENCE_MS"):
        opts["end_silence_ms"] = int(os.environ["ARENA_STT_END_SILENCE_MS"])
    return opts


def preload_languages_from_env() -> list[str]:
    """Room languages whose speech model is loaded at start: ``$ARENA_STT_PRELOAD``
    (comma-separated, default ``ko``, the default room language; empty: load on the first
    turn, ~1 s then). English (the default model) is always loaded."""
    raw = os.environ.get("ARENA_STT_PRELOAD", "ko")
    return [x.strip() for x in raw.split(",") if x.strip() and x.strip() != "en"]


def heartbeat_key(in_channel: str, sidecar_id: str) -> str:
    """``media:sidecar:<in channel>:<id>``: one per running sidecar, 15 s TTL."""
    return f"{HEARTBEAT_PREFIX}{in_channel}:{sidecar_id}"


def heartbeat_pattern(in_channel: str) -> str:
    """SCAN pattern for the heartbeats of sidecars serving ``in_channel`` (glob characters escaped)."""
    return HEARTBEAT_PREFIX + re.sub(r"([*?\[\]\\])", r"\\\1", in_channel) + ":*"


def registry_key(in_channel: str) -> str:
    """``media:sidecars:<in channel>``: sorted set of sidecar ids (score: heartbeat expiry, epoch ms), the
    index of the heartbeat keys; the keys' TTL says who is alive."""
    return f"media:sidecars:{in_channel}"


def sidecar_channel(in_channel: str, sidecar_id: str) -> str:
    """``<in channel>:<id>``: the channel only this sidecar subscribes to (rooms assigned to it)."""
    return f"{in_channel}:{sidecar_id}"


def heartbeat_timing_from_env() -> tuple[float, int]:
    """(period s, TTL s) from ``$ARENA_MEDIA_HEARTBEAT_S`` (default 1.0) and
    ``$ARENA_MEDIA_HEARTBEAT_TTL_S`` (default 4; at least 2 periods).

    Raises:
        ValueError: not a positive number, or a TTL shorter than two periods.
    """
    period = float(os.environ.get("ARENA_MEDIA_HEARTBEAT_S") or HEARTBEAT_INTERVAL_S)
    ttl = int(os.environ.get("ARENA_MEDIA_HEARTBEAT_TTL_S") or HEARTBEAT_TTL_S)
    if not period > 0 or ttl < 2 * period:
        raise ValueError(f"heartbeat: need period > 0 and TTL >= 2 periods, got {period} s / {ttl} s")
    return period, ttl


def out_channel(room_id: str) -> str:
    """Redis channel the sidecar publishes a room's media events to."""
    return f"{OUT_PREFIX}{room_id}"


def _safe(part: str) -> str:
    s = _SAFE.sub("_", str(part))[:64].strip(".")
    return s or "_"


def recordings_dir() -> Path:
    """``$ARENA_RECORDINGS_DIR`` (default ``./.arena/recordings``)."""
    return Path(os.environ.get("ARENA_RECORDINGS_DIR", "./.arena/recordings"))


def retention_from_env() -> float | None:
    """``$ARENA_RECORDINGS_RETENTION_DAYS`` in s, or None (default: recordings are kept).

    Raises:
        ValueError: not a positive number.
    """
    raw = os.environ.get("ARENA_RECORDINGS_RETENTION_DAYS", "").strip()
    if not raw:
        return None
    days = float(raw)
    if not days > 0:
        raise ValueError(f"ARENA_RECORDINGS_RETENTION_DAYS must be > 0, got {raw!r}")
    return days * 86400.0


def sweep_recordings(root: Path, max_age_s: float, now: float | None = None) -> int:
    """Delete ``*.wav`` under ``root`` last modified more than ``max_age_s`` s ago (``now``: epoch s,
    default the current time), then the folders that became empty. Returns the number of files
    deleted. Other files are never touched; a file that vanishes meanwhile is skipped."""
    now = time.time() if now is None else now
    root = Path(root)
    if not root.is_dir():
        return 0
    deleted = 0
    for wav in root.rglob("*.wav"):
        try:
            if now - wav.stat().st_mtime > max_age_s:
                wav.unlink()
                deleted += 1
        except FileNotFoundError:
            continue
    for d in sorted((d for d in root.rglob("*") if d.is_dir()), key=lambda d: len(d.parts), reverse=True):
        try:
            d.rmdir()  # only succeeds when empty
        except OSError:
            pass
    return deleted


def ice_servers_from_env():
    """``$ARENA_ICE_SERVERS`` (comma-separated stun:/turn: URLs) -> RTCIceServer list; default none.

    aiortc falls back to a public Google STUN server when given ``None``; we always
    pass an explicit list so no traffic leaves the machine unless configured.
    """
    from aiortc import RTCIceServer

    urls = [u.strip() for u in os.environ.get("ARENA_ICE_SERVERS", "").split(",") if u.strip()]
    return [RTCIceServer(urls=u) for u in urls]


def restrict_ice_hosts_from_env() -> None:
    """If ``$ARENA_ICE_HOSTS`` is set (comma-separated IPs), gather ICE host candidates only there.

    Useful for tests (``127.0.0.1``) and for hosts with many interfaces.
    """
    hosts = [h.strip() for h in os.environ.get("ARENA_ICE_HOSTS", "").split(",") if h.strip()]
    if not hosts:
        return
    import aioice.ice

    def get_host_addresses(use_ipv4: bool = True, use_ipv6: bool = True) -> list[str]:
        return [h for h in hosts if (":" in h and use_ipv6) or (":" not in h and use_ipv4)]

    aioice.ice.get_host_addresses = get_host_addresses


@dataclass
class Participant:
    """Media state of one (room, participant)."""

    room_id: str
    participant_id: str
    stream: object  # StreamingTranscriber
    session_id: str | None = None
    language: str | None = None  # room language of the stream's model (None: the default model)
    decoder: ChunkDecoder = field(default_factory=ChunkDecoder)
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    worker: asyncio.Task | None = None
    out_seq: int = 0
    last_chunk_seq: int | None = None
    gated: bool = False  # True once a turn_start was seen: audio only counts inside turns
    listening: bool = True
    turn_index: int = 0
    turn_id: str | None = None
    turn_start_pos: float = 0.0  # stream time (s) when the turn started
    turn_audio: list = field(default_factory=list)  # int16 arrays
    turn_samples: int = 0
    turn_finals: list = field(default_factory=list)
    silence: LeadingSilence = field(default_factory=LeadingSilence)  # this turn's; ``muted``: reported
    nudged_at: dict = field(default_factory=dict)
    tension: collections.deque = field(default_factory=lambda: collections.deque(maxlen=TENSION_WINDOW))
    last_active: float = field(default_factory=time.monotonic)
    backlog: int = 0  # samples queued but not yet fed
    replay_backlog: int = 0  # of which replayed by the game server after a failover (``replay: true``)


class MediaSidecar:
    """The sidecar service. Use :func:`run_sidecar` unless embedding it.

    Args:
        redis: a ``redis.asyncio.Redis`` client.
        transcriber: shared :class:`~server.media.stt.Transcriber` (loaded if None), the model
            for English and for turns that name no language.
        transcribers: ``{"ko": Transcriber}``; missing ones come from
            :func:`~server.media.stt.get_transcriber` on the first ``turn_start`` with that
            ``language`` (see :mod:`server.media.models`).
        analyzer: shared :class:`~server.media.expression.ExpressionAnalyzer` (loaded if None).
        in_channel: channel to subscribe to (default ``media:in``).
        stream_options: keyword arguments for every StreamingTranscriber
            (default :func:`stream_options_from_env`).
        sidecar_id: its id in the registry (default ``$ARENA_MEDIA_ID``, else random); it also
            listens on ``<in_channel>:<id>``.
        capacity: speakers it reports it is sized for (default ``$ARENA_MEDIA_CAPACITY``, else 3 per
            STT worker).
    """

    def __init__(self, redis, *, transcriber=None, analyzer=None, in_channel: str = IN_CHANNEL,
                 stream_options: dict | None = None, recordings: Path | None = None,
                 transcribers: dict | None = None, sidecar_id: str | None = None, capacity: int | None = None):
        self.redis = redis
        self.transcriber = transcriber
        #: Per room language other than English (``"ko"``), loaded on the first turn that needs it.
        self.transcribers: dict[str, object] = dict(transcribers or {})
        self.analyzer = analyzer
        self.in_channel = in_channel
        self.stream_options = stream_options if stream_options is not None else stream_options_from_env()
        self.recordings = Path(recordings) if recordings else recordings_dir()
        self.retention_s = retention_from_env()  # ValueError on a bad value: fail at start, not later
        self.id = _safe(sidecar_id or os.environ.get("ARENA_MEDIA_ID") or uuid.uuid4().hex[:12])
        self.boot = uuid.uuid4().hex[:12]  # tells a restarted sidecar with the same id from the old one
        self.hb_period_s, self.hb_ttl_s = heartbeat_timing_from_env()
        workers = int(os.environ.get("ARENA_STT_WORKERS", "1"))
        #: Simultaneous speakers this sidecar is sized for (heartbeat ``capacity``): 3 per STT worker
        #: (``docs/media.md``, benchmark), or ``$ARENA_MEDIA_CAPACITY``.
        self.capacity = int(capacity or os.environ.get("ARENA_MEDIA_CAPACITY") or 3 * workers)
        self.stt_pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="arena-stt")
        self.expr_pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="arena-expr")
        self.participants: dict[tuple[str, str], Participant] = {}
        self.peers: dict[str, dict] = {}  # session_id -> {"pc", "room_id", "participant_id", "tasks"}
        self._tasks: set[asyncio.Task] = set()
        self.stats = collections.Counter()

    # -- lifecycle ---------------------------------------------------------------------
    async def load(self) -> None:
        """Load models and warm numba in worker threads (not on the event loop)."""
        loop = asyncio.get_running_loop()
        if self.transcriber is None:
            from .stt import get_transcriber

            self.transcriber = await loop.run_in_executor(self.stt_pool, get_transcriber)
        if self.analyzer is None:
            from .expression import get_analyzer

            try:
                self.analyzer = await loop.run_in_executor(self.expr_pool, get_analyzer)
            except (MediaError, ImportError) as e:  # expression is optional: keep transcribing
                log.warning("expression disabled: %s", e)
        await loop.run_in_executor(self.stt_pool, prosody.warmup)
        for lang in preload_languages_from_env():
            try:
                await loop.run_in_executor(self.stt_pool, self._transcriber_for, lang)
            except MediaError as e:  # English still works; Korean turns will report it
                log.warning("speech model for %s not loaded: %s", lang, e.message)

    async def run(self, ready: asyncio.Event | None = None) -> None:
        """Subscribe and serve until cancelled."""
        await self.load()
        restrict_ice_hosts_from_env()
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        channels = (self.in_channel, sidecar_channel(self.in_channel, self.id))
        await pubsub.subscribe(*channels)
        await self._beat()  # registered before ready: the game server can assign rooms at once
        hb = asyncio.create_task(self._heartbeat())
        log.info("media sidecar %s listening on %s", self.id, self.in_channel)
        if ready is not None:
            ready.set()
        try:
            while True:
                try:
                    msg = await pubsub.get_message(timeout=1.0)
                except (ConnectionError, OSError, RedisConnectionError) as e:
                    # Redis restarted or the network blipped: resubscribe, keep the WebRTC sessions.
                    log.warning("media:in: redis connection lost (%s); resubscribing", e)
                    await asyncio.sleep(1.0)
                    try:
                        await pubsub.aclose()
                    except Exception:  # noqa: BLE001
                        pass
                    pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                    try:
                        await pubsub.subscribe(*channels)
                    except (ConnectionError, OSError, RedisConnectionError):
                        pass
                    continue
                if msg is None or msg.get("type") != "message":
                    continue
                await self.handle_raw(msg["data"])
        finally:
            hb.cancel()
            await self.close()
            try:  # leave the registry at once (a killed sidecar leaves when its heartbeat expires)
                await self.redis.delete(heartbeat_key(self.in_channel, self.id))
                await self.redis.zrem(registry_key(self.in_channel), self.id)
                await pubsub.unsubscribe(*channels)
                await pubsub.aclose()
            except Exception:  # noqa: BLE001 - connection may already be gone
                pass

    async def close(self) -> None:
        for sid in list(self.peers):
            await self._close_peer(sid)
        for p in list(self.participants.values()):
            if p.worker:
                p.worker.cancel()
        for t in list(self._tasks):
            t.cancel()
        self.participants.clear()
        self.stt_pool.shutdown(wait=False, cancel_futures=True)
        self.expr_pool.shutdown(wait=False, cancel_futures=True)

    async def _heartbeat(self) -> None:
        key = heartbeat_key(self.in_channel, self.id)
        retention = self.retention_s
        swept = 0.0
        while True:
            if retention is not None and time.monotonic() - swept > RETENTION_SWEEP_S:
                swept = time.monotonic()
                try:
                    n = await asyncio.get_running_loop().run_in_executor(
                        None, sweep_recordings, self.recordings, retention)
                    if n:
                        log.info("deleted %d recordings older than %.1f days", n, retention / 86400)
                except OSError as e:
                    log.warning("recordings sweep failed: %s", e)
            try:
                await self._beat()
                now = time.monotonic()
                for key_, p in list(self.participants.items()):
                    if now - p.last_active > IDLE_TIMEOUT_S and not any(
                            v["room_id"] == p.room_id and v["participant_id"] == p.participant_id
                            for v in self.peers.values()):
                        await self._drop(key_)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001
                log.exception("heartbeat failed")
            await asyncio.sleep(self.hb_period_s)

    def load_report(self) -> dict:
        """This sidecar's heartbeat: identity and load.

        Returns:
            ``{"id", "boot", "pid", "pool" (the shared in channel), "channel" (its own),
            "rooms" (distinct rooms with state here), "participants", "streams" (participants in
            an open turn or with a peer connection), "peers", "backlog_s" (audio waiting for
            STT, s), "cpu" (process CPU time / wall time since the last beat, 0..cores),
            "capacity" (speakers it is sized for), "ts_ms"}``.
        """
        now, cpu = time.monotonic(), time.process_time()
        last = getattr(self, "_cpu_mark", None)
        self._cpu_mark = (now, cpu)
        busy = round((cpu - last[1]) / (now - last[0]), 3) if last and now > last[0] else 0.0
        peered = {(v["room_id"], v["participant_id"]) for v in self.peers.values()}
        return {"id": self.id, "boot": self.boot, "pid": os.getpid(), "pool": self.in_channel,
                "channel": sidecar_channel(self.in_channel, self.id),
                "rooms": len({k[0] for k in self.participants}), "participants": len(self.participants),
                "streams": sum(1 for k, p in self.participants.items()
                               if k in peered or (p.listening and p.turn_id)),
                "peers": len(self.peers), "backlog_s": round(sum(p.backlog for p in self.participants.values()) / SR, 2),
                "cpu": busy, "capacity": self.capacity, "ts_ms": int(time.time() * 1000)}

    async def _beat(self) -> None:
        info = self.load_report()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(heartbeat_key(self.in_channel, self.id), json.dumps(info), ex=self.hb_ttl_s)
            pipe.zadd(registry_key(self.in_channel), {self.id: info["ts_ms"] + self.hb_ttl_s * 1000})
            await pipe.execute()

    def _spawn(self, coro) -> asyncio.Task:
        t = asyncio.create_task(coro)
        self._tasks.add(t)
        t.add_done_callback(self._tasks.discard)
        return t

    # -- output ------------------------------------------------------------------------
    async def publish(self, room_id: str, msg: dict) -> None:
        msg.setdefault("sidecar_id", self.id)  # the game server ignores a sidecar its room left
        self.stats["out_" + msg.get("type", "?")] += 1
        await self.redis.publish(out_channel(room_id), json.dumps(msg, ensure_ascii=False))

    async def publish_error(self, msg: dict, code: str, message: str) -> None:
        room = msg.get("room_id") if isinstance(msg, dict) else None
        err = {"type": "error", "session_id": msg.get("session_id") if isinstance(msg, dict) else None,
               "participant_id": msg.get("participant_id") if isinstance(msg, dict) else None,
               "code": code, "message": message}
        if isinstance(msg, dict) and "seq" in msg:
            err["seq"] = msg["seq"]
        if isinstance(msg, dict) and msg.get("turn_id"):
            err["turn_id"] = msg["turn_id"]
        log.info("media error %s: %s", code, message)
        if isinstance(room, str) and room:
            await self.publish(room, err)

    # -- input -------------------------------------------------------------------------
    async def handle_raw(self, data) -> None:
        """Handle one raw ``media:in`` payload; never raises."""
        try:
            msg = json.loads(data)
            if not isinstance(msg, dict):
                raise ValueError("not an object")
        except (ValueError, TypeError, UnicodeDecodeError):
            self.stats["bad_json"] += 1
            log.warning("media:in: ignoring a message that is not a JSON object")
            return
        try:
            await self.handle(msg)
        except MediaError as e:
            await self.publish_error(msg, e.code, e.message)
        except Exception as e:  # noqa: BLE001 - one bad message must not stop the sidecar
            log.exception("media:in: %s failed", msg.get("type"))
            await self.publish_error(msg, "internal", f"{type(e).__name__}: {e}")

    @staticmethod
    def _require(msg: dict, *names: str) -> None:
        for n in names:
            v = msg.get(n)
            if not isinstance(v, str) or not v:
                raise MediaError("bad_message", f"'{n}' must be a non-empty string")

    async def handle(self, msg: dict) -> None:
        kind = msg.get("type")
        self.stats["in_" + str(kind)] += 1
        if kind == "audio_chunk":
            self._require(msg, "room_id", "participant_id")
            p = self.participant(msg["room_id"], msg["participant_id"], msg.get("session_id"))
            seq = msg.get("seq")
            if seq is not None and not isinstance(seq, int):
                raise MediaError("bad_message", "'seq' must be an integer")
            audio = p.decoder.decode(msg.get("pcm", ""), msg.get("sample_rate"), seq)
            if audio is None:
                return  # duplicate
            if seq is not None:
                p.last_chunk_seq = seq
            if not self.enqueue(p, audio, replay=msg.get("replay") is True):
                raise MediaError("overloaded", f"more than {MAX_BACKLOG_S:.0f} s of audio waiting; chunk dropped")
        elif kind == "offer":
            self._require(msg, "session_id", "room_id", "participant_id")
            if msg.get("sdp_type", "offer") != "offer":
                raise MediaError("bad_sdp", "sdp_type must be 'offer'")
            sdp = msg.get("sdp")
            if not isinstance(sdp, str) or not sdp.lstrip().startswith("v=0"):
                raise MediaError("bad_sdp", "sdp is not a session description")
            if "\nm=audio " not in sdp and "\nm=video " not in sdp:
                raise MediaError("bad_sdp", "the offer has no audio or video media section")
            self._spawn(self._offer_task(msg))
        elif kind == "turn_start":
            self._require(msg, "room_id", "participant_id")
            if msg.get("language") is not None and msg["language"] not in LANGUAGES:
                raise MediaError("bad_message", f"language must be one of {LANGUAGES}")
            p = self.participant(msg["room_id"], msg["participant_id"], msg.get("session_id"))
            p.queue.put_nowait(("turn_start", msg))
        elif kind == "turn_end":
            self._require(msg, "room_id", "participant_id")
            p = self.participant(msg["room_id"], msg["participant_id"], msg.get("session_id"))
            p.queue.put_nowait(("turn_end", msg))
        elif kind in ("close", "hangup"):
            self._require(msg, "session_id")
            await self._close_peer(msg["session_id"])
        elif kind == "leave":
            self._require(msg, "room_id", "participant_id")
            for sid, v in list(self.peers.items()):
                if v["room_id"] == msg["room_id"] and v["participant_id"] == msg["participant_id"]:
                    await self._close_peer(sid)
            await self._drop((msg["room_id"], msg["participant_id"]))
        else:
            raise MediaError("bad_message", f"unknown message type {kind!r}")

    # -- participants & the STT worker --------------------------------------------------
    def participant(self, room_id: str, participant_id: str, session_id: str | None = None) -> Participant:
        key = (room_id, participant_id)
        p = self.participants.get(key)
        if p is None:
            from .stt import StreamingTranscriber

            p = Participant(room_id, participant_id, StreamingTranscriber(self.transcriber, **self.stream_options))
            p.worker = self._spawn(self._worker(p))
            self.participants[key] = p
        if session_id:
            p.session_id = session_id
        p.last_active = time.monotonic()
        return p

    def enqueue(self, p: Participant, audio: np.ndarray, replay: bool = False) -> bool:
        """Queue 16 kHz float32 samples for ``p`` (called on the event loop).

        Returns False (and drops the audio) when more than :data:`MAX_BACKLOG_S` s
        are already waiting: the sidecar is overloaded and must not grow without bound.
        ``replay``: a turn's audio resent after a failover; it is bounded by the turn
        (:data:`MAX_TURN_RECORDING_S`) instead, and does not count against live audio.
        """
        if not audio.size:
            return True
        live = p.backlog - p.replay_backlog
        if (p.replay_backlog + audio.size > MAX_TURN_RECORDING_S * SR) if replay else \
                (live + audio.size > MAX_BACKLOG_S * SR):
            self.stats["dropped_samples"] += audio.size
            return False
        p.backlog += audio.size
        if replay:
            p.replay_backlog += audio.size
        p.queue.put_nowait(("audio", audio))
        p.last_active = time.monotonic()
        return True

    @staticmethod
    def _dequeued(p: Participant, n: int) -> None:
        p.backlog -= n
        p.replay_backlog = max(0, p.replay_backlog - n)  # FIFO: a replay is queued before live audio

    async def _drop(self, key) -> None:
        p = self.participants.pop(key, None)
        if p and p.worker:
            p.worker.cancel()

    async def _worker(self, p: Participant) -> None:
        """Serialise one participant's audio and turn events through the STT thread pool."""
        loop = asyncio.get_running_loop()
        while True:
            item = await p.queue.get()
            try:
                if item[0] == "audio":
                    self._dequeued(p, item[1].size)
                    parts = [item[1]]
                    # Coalesce what is already queued: under load a speaker gets fewer,
                    # larger feeds (fewer partials) instead of an ever-growing backlog.
                    control = None
                    while not p.queue.empty():
                        nxt = p.queue.get_nowait()
                        if nxt[0] == "audio":
                            self._dequeued(p, nxt[1].size)
                            parts.append(nxt[1])
                        else:
                            control = nxt
                            break
                    audio = np.concatenate(parts) if len(parts) > 1 else parts[0]
                    if p.listening:
                        self._record(p, audio)
                        was_muted = p.silence.muted
                        p.silence.add(audio)
                        if p.turn_id and p.silence.muted and not was_muted:  # once per turn
                            await self.publish_error(
                                {"room_id": p.room_id, "participant_id": p.participant_id,
                                 "turn_id": p.turn_id}, "silence", SILENT_TURN_MESSAGE)
                        msgs = await loop.run_in_executor(self.stt_pool, self._feed_sync, p, audio)
                        for m in msgs:
                            await self.publish(p.room_id, m)
                    if control is not None:
                        await self._control(p, control)
                else:
                    await self._control(p, item)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001
                log.exception("media worker failed for %s/%s", p.room_id, p.participant_id)
                await self.publish_error({"room_id": p.room_id, "participant_id": p.participant_id,
                                          "session_id": p.session_id}, "internal", f"{type(e).__name__}: {e}")

    async def _control(self, p: Participant, item) -> None:
        loop = asyncio.get_running_loop()
        kind, msg = item
        if kind == "turn_start":
            if p.turn_samples or p.turn_finals:  # an unfinished turn: close it first
                await self._end_turn(p, {})
            lang = msg.get("language")
            if lang and lang != (p.language or "en"):
                try:
                    await loop.run_in_executor(self.stt_pool, self._switch_language, p, lang)
                except MediaError as e:  # no model for it: keep the current one and say so
                    await self.publish_error({"room_id": p.room_id, "participant_id": p.participant_id,
                                              "turn_id": msg.get("turn_id")}, e.code, e.message)
            p.gated = True
            p.listening = True
            p.turn_id = msg.get("turn_id")
            p.turn_start_pos = p.stream.position
            p.silence = LeadingSilence()
        elif kind == "turn_end":
            await self._end_turn(p, msg)
            if p.gated:
                p.listening = False
        elif kind == "track_end":
            msgs = await loop.run_in_executor(self.stt_pool, self._flush_sync, p, False)
            for m in msgs:
                await self.publish(p.room_id, m)

    def _switch_language(self, p: Participant, language: str) -> None:
        """Give ``p`` a fresh stream on the model for ``language`` (STT thread; may load a model).

        Raises:
            MediaError: ``model_unavailable`` (see :func:`~server.media.models.model_dir_for`).
        """
        from .stt import StreamingTranscriber

        p.stream = StreamingTranscriber(self._transcriber_for(language), **self.stream_options)
        p.language = language

    def _transcriber_for(self, language: str):
        """The model for a room language, loaded (STT thread) on first use.

        Raises:
            MediaError: ``model_unavailable``.
        """
        if language == "en":
            return self.transcriber
        t = self.transcribers.get(language)
        if t is None:
            from .stt import get_transcriber

            t = self.transcribers[language] = get_transcriber(language)
        return t

    async def _end_turn(self, p: Participant, msg: dict) -> None:
        loop = asyncio.get_running_loop()
        msgs = await loop.run_in_executor(self.stt_pool, self._flush_sync, p, True)
        for m in msgs:
            await self.publish(p.room_id, m)
        reported = p.silence.muted  # the player was told their microphone is silent
        summary = await loop.run_in_executor(self.stt_pool, self._turn_summary_sync, p, msg)
        await self.publish(p.room_id, summary)
        # Audio came in during a real turn, but not one word was recognised (and the
        # player was not already told their microphone is silent).
        if summary["turn_id"] and summary["duration"] > 0 and not summary["transcript"].strip() and not reported:
            await self.publish_error({"room_id": p.room_id, "participant_id": p.participant_id,
                                      "turn_id": summary["turn_id"]}, "no_speech",
                                     "no speech was recognised in your spoken answer; "
                                     "speak closer to the microphone or type your answer")

    def _record(self, p: Participant, audio: np.ndarray) -> None:
        if p.turn_samples < MAX_TURN_RECORDING_S * SR:
            p.turn_audio.append((np.clip(audio, -1, 1) * 32767).astype(np.int16))
            p.turn_samples += audio.size

    # The *_sync methods run in the STT worker thread.
    def _feed_sync(self, p: Participant, audio: np.ndarray) -> list[dict]:
        return self._events_to_messages(p, p.stream.feed(audio))

    def _flush_sync(self, p: Participant, end_turn: bool) -> list[dict]:
        return self._events_to_messages(p, p.stream.flush(end_turn=end_turn))

    def _base(self, p: Participant, kind: str) -> dict:
        p.out_seq += 1
        return {"type": kind, "session_id": p.session_id, "room_id": p.room_id,
                "participant_id": p.participant_id, "seq": p.out_seq, "chunk_seq": p.last_chunk_seq}

    def _events_to_messages(self, p: Participant, events) -> list[dict]:
        out: list[dict] = []
        for ev in events:
            if ev.kind == "partial":
                m = self._base(p, "partial")
                m.update(utterance=ev.utterance, transcript=ev.text, is_final=False, words=[], delivery=None,
                         start=round(ev.start, 3), end=round(ev.end, 3), turn_id=p.turn_id)
                out.append(m)
            elif ev.kind == "final":
                words = [{"word": w.word, "start": round(w.start, 3), "end": round(w.end, 3)} for w in ev.words]
                delivery = prosody.analyse(ev.audio, words)
                path = self._utterance_path(p, ev.utterance)
                write_wav(path, ev.audio)
                p.turn_finals.append({"text": ev.text, "start": ev.start, "words": words})
                m = self._base(p, "final")
                m.update(utterance=ev.utterance, transcript=ev.text, is_final=True, words=words, delivery=delivery,
                         start=round(ev.start, 3), end=round(ev.end, 3), recording=str(path),
                         language=ev.language, turn_id=p.turn_id, decode_ms=round(ev.compute_ms, 1))
                out.append(m)
                for n in prosody.nudges(delivery):
                    if n["kind"] == "pause":
                        continue  # live pauses between utterances come from the stream
                    fb = self._feedback(p, n)
                    if fb:
                        out.append(fb)
            elif ev.kind == "pause":
                fb = self._feedback(p, prosody.pause_nudge(ev.pause_s))
                if fb:
                    out.append(fb)
        return out

    def _feedback(self, p: Participant, nudge: dict) -> dict | None:
        now = time.monotonic()
        last = p.nudged_at.get(nudge["kind"])
        if last is not None and now - last < NUDGE_COOLDOWN_S:
            return None
        p.nudged_at[nudge["kind"]] = now
        return {"type": "feedback", "session_id": p.session_id, "room_id": p.room_id,
                "participant_id": p.participant_id, "kind": nudge["kind"], "message": nudge["message"]}

    def _turn_dir(self, p: Participant) -> Path:
        return self.recordings / _safe(p.room_id) / _safe(p.participant_id)

    def _utterance_path(self, p: Participant, utterance: int) -> Path:
        return self._turn_dir(p) / f"{self.id}-t{p.turn_index:03d}-u{utterance:04d}.wav"

    def _turn_summary_sync(self, p: Participant, msg: dict) -> dict:
        audio = (np.concatenate(p.turn_audio).astype(np.float32) / 32768.0) if p.turn_audio else np.zeros(0, np.float32)
        words = []
        for f in p.turn_finals:
            off = f["start"] - p.turn_start_pos
            words += [{"word": w["word"], "start": round(w["start"] + off, 3), "end": round(w["end"] + off, 3)}
                      for w in f["words"]]
        path = None
        if audio.size:
            path = self._turn_dir(p) / f"{self.id}-t{p.turn_index:03d}-turn.wav"
            write_wav(path, audio)
        delivery = prosody.analyse(audio, words) if audio.size else None
        m = self._base(p, "turn_summary")
        m.update(turn_id=msg.get("turn_id", p.turn_id), transcript=" ".join(f["text"] for f in p.turn_finals),
                 words=words, delivery=delivery, recording=str(path) if path else None,
                 duration=round(audio.size / SR, 3))
        p.turn_index += 1
        p.turn_audio, p.turn_samples, p.turn_finals = [], 0, []
        p.turn_start_pos = p.stream.position
        p.turn_id = None
        return m

    # -- WebRTC ------------------------------------------------------------------------
    async def _offer_task(self, msg: dict) -> None:
        try:
            await self._answer_offer(msg)
        except MediaError as e:
            await self._close_peer(msg["session_id"])
            await self.publish_error(msg, e.code, e.message)
        except Exception as e:  # noqa: BLE001 - aiortc raises many types on bad SDP
            await self._close_peer(msg["session_id"])
            log.info("offer failed: %s", e)
            await self.publish_error(msg, "bad_sdp", f"could not negotiate: {type(e).__name__}: {e}")

    async def _answer_offer(self, msg: dict) -> None:
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

        sid, room, pid = msg["session_id"], msg["room_id"], msg["participant_id"]
        await self._close_peer(sid)  # a new offer for a session replaces the old connection
        p = self.participant(room, pid, sid)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=ice_servers_from_env()))
        entry = {"pc": pc, "room_id": room, "participant_id": pid, "tasks": []}
        self.peers[sid] = entry

        @pc.on("track")
        def on_track(track):
            if track.kind == "audio":
                entry["tasks"].append(self._spawn(self._consume_audio(p, track)))
            elif track.kind == "video":
                entry["tasks"].append(self._spawn(self._consume_video(p, track)))

        @pc.on("connectionstatechange")
        async def on_state():
            log.info("peer %s: %s", sid, pc.connectionState)
            if pc.connectionState in ("failed", "closed") and self.peers.get(sid, {}).get("pc") is pc:
                await self._close_peer(sid)

        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=msg["sdp"], type="offer"))
            answer = await pc.createAnswer()
            await pc.setLocalDescription(answer)
        except Exception as e:  # noqa: BLE001
            raise MediaError("bad_sdp", f"could not negotiate: {type(e).__name__}: {e}") from None
        await self.publish(room, {"type": "answer", "session_id": sid, "room_id": room, "participant_id": pid,
                                  "sdp": pc.localDescription.sdp, "sdp_type": pc.localDescription.type})

    async def _close_peer(self, sid: str) -> None:
        entry = self.peers.pop(sid, None)
        if not entry:
            return
        for t in entry["tasks"]:
            t.cancel()
        try:
            await entry["pc"].close()
        except Exception:  # noqa: BLE001
            log.exception("closing peer %s", sid)

    async def _consume_audio(self, p: Participant, track) -> None:
        """Read an aiortc audio track, resample to 16 kHz mono, feed the participant."""
        import av
        from aiortc.mediastreams import MediaStreamError

        resampler = av.AudioResampler(format="s16", layout="mono", rate=SR)
        batch: list[np.ndarray] = []
        batch_len = 0
        try:
            while True:
                frame = await track.recv()
                for f in resampler.resample(frame):
                    a = f.to_ndarray().reshape(-1)
                    batch.append(a.astype(np.float32) / 32768.0)
                    batch_len += a.size
                if batch_len >= SR // 10:  # hand over every ~100 ms
                    self.enqueue(p, np.concatenate(batch))
                    batch, batch_len = [], 0
        except MediaStreamError:
            pass
        finally:
            if batch_len:
                self.enqueue(p, np.concatenate(batch))
            p.queue.put_nowait(("track_end", {}))

    async def _consume_video(self, p: Participant, track) -> None:
        """Sample a video track at :data:`VIDEO_FPS` into expression analysis; drop frames while busy."""
        from aiortc.mediastreams import MediaStreamError

        loop = asyncio.get_running_loop()
        busy: asyncio.Future | None = None
        last = -1e9
        try:
            while True:
                frame = await track.recv()
                now = time.monotonic()
                if self.analyzer is None or now - last < 1.0 / VIDEO_FPS or (busy and not busy.done()):
                    continue
                last = now
                busy = loop.run_in_executor(self.expr_pool, self._expression_sync, frame)
                busy.add_done_callback(lambda fut: self._spawn(self._publish_expression(p, fut)))
        except MediaStreamError:
            pass

    def _expression_sync(self, frame) -> dict:
        img = frame.to_ndarray(format="bgr24")
        return self.analyzer.analyse(img)

    async def _publish_expression(self, p: Participant, fut) -> None:
        if fut.cancelled() or fut.exception() is not None:
            return
        res = fut.result()
        if not res["faces"]:
            return
        from .expression import dominant, tension

        face = res["faces"][0]
        emotions = face["emotions"]
        await self.publish(p.room_id, {"type": "expression", "session_id": p.session_id, "room_id": p.room_id,
                                       "participant_id": p.participant_id, "emotions": emotions,
                                       "dominant": dominant(emotions), "box": face["box"],
                                       "faces": len(res["faces"])})
        p.tension.append(tension(emotions))
        if len(p.tension) == p.tension.maxlen and sum(p.tension) / len(p.tension) > TENSION_THRESHOLD:
            fb = self._feedback(p, {"kind": "expression",
                                    "message": "You look tense: relax your shoulders and smile when it fits."})
            if fb:
                p.tension.clear()
                await self.publish(p.room_id, fb)


async def run_sidecar(redis_url: str, *, ready: asyncio.Event | None = None, **options) -> None:
    """Run the media sidecar against ``redis_url`` until cancelled.

    Args:
        redis_url: e.g. ``redis://127.0.0.1:6379/0``.
        ready: set once models are loaded and ``media:in`` is subscribed.
        options: passed to :class:`MediaSidecar` (``transcriber``, ``analyzer``,
            ``in_channel``, ``stream_options``, ``recordings``, ``sidecar_id``, ``capacity``).
    """
    import redis.asyncio as aioredis

    client = aioredis.from_url(redis_url)
    sidecar = MediaSidecar(client, **options)
    try:
        await sidecar.run(ready=ready)
    finally:
        await client.aclose()

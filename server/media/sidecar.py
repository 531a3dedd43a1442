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

:class:`MediaSidecar` is composed of mixins, one module each: :mod:`.registry` (channel names,
heartbeat), :mod:`.recordings` (WAV paths, retention sweep), :mod:`.turns` (per-participant STT
worker, turns), :mod:`.transcripts` (partial/final/feedback/turn_summary messages) and
:mod:`.webrtc` (aiortc peers and tracks); this module keeps its lifecycle, Redis input/output and
:func:`run_sidecar`, and re-exports the names above.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import json
import logging
import os
import uuid
from pathlib import Path

from redis.exceptions import ConnectionError as RedisConnectionError

from . import prosody
from .audio import TARGET_SAMPLE_RATE, MediaError
from .models import LANGUAGES
from .participant import TENSION_WINDOW, Participant
from .recordings import (MAX_TURN_RECORDING_S, RETENTION_SWEEP_S, RecordingsMixin, _safe, recordings_dir,
                         retention_from_env, sweep_recordings)
from .registry import (HEARTBEAT_INTERVAL_S, HEARTBEAT_PREFIX, HEARTBEAT_TTL_S, IDLE_TIMEOUT_S, IN_CHANNEL,
                       OUT_PREFIX, HeartbeatMixin, heartbeat_key, heartbeat_pattern, heartbeat_timing_from_env,
                       out_channel, registry_key, sidecar_channel)
from .transcripts import NUDGE_COOLDOWN_S, TranscriptsMixin
from .turns import MAX_BACKLOG_S, TurnsMixin, preload_languages_from_env, stream_options_from_env
from .webrtc import (TENSION_THRESHOLD, VIDEO_FPS, WebRTCMixin, ice_servers_from_env,
                     restrict_ice_hosts_from_env)

#: Names importable from here (moved to the modules above; kept for importers and tests).
__all__ = [
    "SR", "IN_CHANNEL", "OUT_PREFIX", "HEARTBEAT_PREFIX", "HEARTBEAT_INTERVAL_S", "HEARTBEAT_TTL_S", "VIDEO_FPS",
    "NUDGE_COOLDOWN_S", "MAX_TURN_RECORDING_S", "MAX_BACKLOG_S", "RETENTION_SWEEP_S", "IDLE_TIMEOUT_S",
    "TENSION_WINDOW", "TENSION_THRESHOLD", "stream_options_from_env", "preload_languages_from_env",
    "heartbeat_key", "heartbeat_pattern", "registry_key", "sidecar_channel", "heartbeat_timing_from_env",
    "out_channel", "recordings_dir", "retention_from_env", "sweep_recordings", "ice_servers_from_env",
    "restrict_ice_hosts_from_env", "Participant", "MediaSidecar", "run_sidecar",
]

log = logging.getLogger("arena.media")

SR = TARGET_SAMPLE_RATE


class MediaSidecar(HeartbeatMixin, RecordingsMixin, TurnsMixin, TranscriptsMixin, WebRTCMixin):
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

"""The media sidecar's per-participant STT worker: audio queue with a bounded backlog, turn
start/end, room language switches (one model per language), and the silence error.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time

import numpy as np

from .audio import SILENT_TURN_MESSAGE, TARGET_SAMPLE_RATE, LeadingSilence, MediaError
from .participant import Participant
from .recordings import MAX_TURN_RECORDING_S

log = logging.getLogger("arena.media")

SR = TARGET_SAMPLE_RATE
#: Audio waiting for the STT worker beyond this (s) is dropped (error ``overloaded``).
MAX_BACKLOG_S = 20.0


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


class TurnsMixin:
    """Participants and their STT worker for :class:`~server.media.sidecar.MediaSidecar` (uses its
    ``participants``, ``stt_pool``, ``transcriber(s)``, ``stream_options``, ``stats``)."""

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
            unavailable = False
            if lang and lang != (p.language or "en"):
                try:
                    await loop.run_in_executor(self.stt_pool, self._switch_language, p, lang)
                except MediaError as e:  # no model for it: say so; the turn is typed (audio ignored)
                    unavailable = e.code == "model_unavailable"
                    await self.publish_error({"room_id": p.room_id, "participant_id": p.participant_id,
                                              "turn_id": msg.get("turn_id")}, e.code, e.message)
            p.stream.set_question(msg.get("prompt"))
            p.gated = True
            p.listening = not unavailable
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

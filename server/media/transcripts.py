"""The media sidecar's outgoing speech messages: STT events -> ``partial`` / ``final`` (with
delivery measurements and a WAV per utterance), ``feedback`` nudges (rate-limited per kind),
and each turn's ``turn_summary``.
"""

from __future__ import annotations

import time

import numpy as np

from . import prosody
from .audio import TARGET_SAMPLE_RATE, write_wav
from .participant import Participant

SR = TARGET_SAMPLE_RATE
#: Minimum time between two nudges of the same kind to one participant (s).
NUDGE_COOLDOWN_S = 15.0


class TranscriptsMixin:
    """Messages for :class:`~server.media.sidecar.MediaSidecar` (the ``*_sync`` methods run in the
    STT worker thread)."""

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
                lang = p.language or "en"
                delivery = prosody.analyse(ev.audio, words, text=ev.text, language=lang)
                path = self._utterance_path(p, ev.utterance)
                write_wav(path, ev.audio)
                p.turn_finals.append({"text": ev.text, "start": ev.start, "words": words,
                                      "speech_s": delivery["speech_s"]})
                m = self._base(p, "final")
                m.update(utterance=ev.utterance, transcript=ev.text, is_final=True, words=words, delivery=delivery,
                         start=round(ev.start, 3), end=round(ev.end, 3), recording=str(path),
                         language=ev.language, turn_id=p.turn_id, decode_ms=round(ev.compute_ms, 1))
                out.append(m)
                turn_fillers = prosody.fillers(" ".join(f["text"] for f in p.turn_finals), lang)
                filler = prosody.filler_nudge(turn_fillers, sum(f["speech_s"] for f in p.turn_finals), lang)
                for n in prosody.nudges(delivery, language=lang) + ([filler] if filler else []):
                    if n["kind"] == "pause":
                        continue  # live pauses between utterances come from the stream
                    fb = self._feedback(p, n)
                    if fb:
                        out.append(fb)
            elif ev.kind == "pause":
                fb = self._feedback(p, prosody.pause_nudge(ev.pause_s, p.language or "en"))
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
        transcript = " ".join(f["text"] for f in p.turn_finals)
        delivery = prosody.analyse(audio, words, text=transcript, language=p.language or "en") if audio.size else None
        m = self._base(p, "turn_summary")
        m.update(turn_id=msg.get("turn_id", p.turn_id), transcript=transcript,
                 words=words, delivery=delivery, recording=str(path) if path else None,
                 duration=round(audio.size / SR, 3))
        p.turn_index += 1
        p.turn_audio, p.turn_samples, p.turn_finals = [], 0, []
        p.turn_start_pos = p.stream.position
        p.turn_id = None
        return m

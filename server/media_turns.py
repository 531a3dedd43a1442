"""The game server's record of one spoken answer: :class:`SpokenTurn` (finals, delivery, the
``audio_chunk`` audio kept for a replay after a sidecar failover, the leading-silence check) and
:func:`merge_deliveries` (per-utterance delivery dicts -> one for the answer so far).

Used by :class:`~server.media_bridge.MediaBridge`; no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rooms.errors import RoomError
from rooms.settings import MAX_TEXT_BYTES

from .media.audio import ALLOWED_SAMPLE_RATES, SILENT_TURN_MESSAGE, LeadingSilence, pcm16_to_float32

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


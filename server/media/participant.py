"""The media sidecar's state for one (room, participant)."""

from __future__ import annotations

import asyncio
import collections
import time
from dataclasses import dataclass, field

from .audio import ChunkDecoder, LeadingSilence

#: Expression samples averaged for the "you look tense" nudge (threshold: ``webrtc.TENSION_THRESHOLD``).
TENSION_WINDOW = 10


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

"""Media sidecar recordings: WAV paths under ``$ARENA_RECORDINGS_DIR`` and the retention sweep.

Each finished utterance is saved as a 16 kHz mono WAV under
``$ARENA_RECORDINGS_DIR`` (default ``./.arena/recordings``), and each turn's
whole audio as well (at most :data:`MAX_TURN_RECORDING_S` s).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import numpy as np

from .audio import TARGET_SAMPLE_RATE
from .participant import Participant

SR = TARGET_SAMPLE_RATE
#: Longest turn kept in the turn recording (s); later audio is still transcribed.
MAX_TURN_RECORDING_S = 600
#: How often recordings past ``$ARENA_RECORDINGS_RETENTION_DAYS`` are deleted (s).
RETENTION_SWEEP_S = 3600.0
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


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


class RecordingsMixin:
    """Where :class:`~server.media.sidecar.MediaSidecar` writes a participant's recordings
    (uses its ``recordings`` folder and ``id``)."""

    def _record(self, p: Participant, audio: np.ndarray) -> None:
        if p.turn_samples < MAX_TURN_RECORDING_S * SR:
            p.turn_audio.append((np.clip(audio, -1, 1) * 32767).astype(np.int16))
            p.turn_samples += audio.size

    def _turn_dir(self, p: Participant) -> Path:
        return self.recordings / _safe(p.room_id) / _safe(p.participant_id)

    def _utterance_path(self, p: Participant, utterance: int) -> Path:
        return self._turn_dir(p) / f"{self.id}-t{p.turn_index:03d}-u{utterance:04d}.wav"

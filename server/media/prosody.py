"""Delivery measures from speech audio: pace, pauses, volume, pitch; and live nudges.

Input audio is 16 kHz mono float32, shape ``(n,)``. Word timings are dicts or
objects with ``start``/``end`` in seconds from the start of that audio.

Thresholds (all overridable per call; they are heuristics for *advisory*
feedback, never part of the score unless a host opts in):

=====================  ==========  ===========================================================
name                   value       why
=====================  ==========  ===========================================================
``FAST_WPM``           180 wpm     US English conversation averages about 150 wpm (National
                                   Center for Voice and Speech); presentation coaching usually
                                   recommends 140-160 wpm. 180 is 20% above average -> "slow down".
``SLOW_WPM``           100 wpm     a third below that average -> "pick up the pace".
``MIN_PAUSE_S``        0.25 s      the classic lower bound for a silent pause (Goldman-Eisler,
                                   *Psycholinguistics*, 1968); shorter gaps are articulation.
``LONG_PAUSE_S``       2.0 s       Campione & Veronis (Speech Prosody 2002, "A large-scale
                                   multilingual study of silent pause duration") call pauses over
                                   1 s long; at twice that the listener notices -> "long pause".
``QUIET_DBFS``         -40 dBFS    speech-quality practice measures the active speech level
                                   (ITU-T P.56) and normalises to about -26 dBov; 14 dB under that
                                   is quiet even after browser auto-gain -> "speak up".
``MONOTONE_ST``        1.5 st      std-dev of F0 in semitones; lively read speech is usually 2-4
                                   st (Hincks 2005, *System* 33(4), measures liveliness by pitch
                                   variation). Our cut-off is a heuristic -> "vary your tone".
``SPLIT_TOP_DB``       35 dB       frames 35 dB under the utterance's peak count as silence
                                   (recipes.md: energy + ``librosa.effects.split(top_db=35)``).
=====================  ==========  ===========================================================

Pitch uses ``librosa.yin`` (2-4 ms per audio second; ``pyin`` is ~25x slower).
numba compiles librosa's kernels on first use (~2.6 s): call :func:`warmup` at start.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from .audio import DBFS_FLOOR, SILENCE_DBFS, TARGET_SAMPLE_RATE, rms_dbfs

FAST_WPM = 180.0
SLOW_WPM = 100.0
MIN_PAUSE_S = 0.25
LONG_PAUSE_S = 2.0
QUIET_DBFS = -40.0
MONOTONE_ST = 1.5
SPLIT_TOP_DB = 35.0
FMIN_HZ = 65.0  # lowest adult F0 we look for (Hz)
FMAX_HZ = 400.0  # highest (Hz)
FRAME = 1024  # yin frame (samples, 64 ms at 16 kHz); must hold two periods of FMIN
HOP = 256  # analysis hop (samples, 16 ms at 16 kHz)
#: Minimum evidence before a nudge is given.
MIN_WORDS_FOR_PACE = 8
MIN_SPEECH_S_FOR_PACE = 3.0
MIN_SPEECH_S_FOR_PITCH = 5.0

_warm = False


def warmup() -> float:
    """Compile librosa's numba kernels now (yin, split); return seconds spent."""
    global _warm
    import time

    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    t = np.arange(TARGET_SAMPLE_RATE) / TARGET_SAMPLE_RATE
    x = (0.3 * np.sin(2 * np.pi * 140 * t) + 0.01 * rng.standard_normal(t.size)).astype(np.float32)
    x[6000:9000] = 0.0
    analyse(x)
    _warm = True
    return time.perf_counter() - t0


def _get(w, key):
    return w[key] if isinstance(w, dict) else getattr(w, key)


def speech_intervals(audio: np.ndarray, sr: int = TARGET_SAMPLE_RATE,
                     top_db: float = SPLIT_TOP_DB) -> np.ndarray:
    """Non-silent intervals as an int array ``(k, 2)`` of [start, end) sample indices.

    ``top_db`` is relative to the clip's loudest frame, so intervals whose own
    RMS is under the absolute silence floor (``audio.SILENCE_DBFS``) are dropped
    too; an all-silent clip has none.
    """
    import librosa

    empty = np.zeros((0, 2), dtype=np.int64)
    if audio.size < FRAME:
        return empty
    iv = librosa.effects.split(audio, top_db=top_db, frame_length=FRAME, hop_length=HOP)
    keep = [(s, e) for s, e in iv if rms_dbfs(audio[s:e]) >= SILENCE_DBFS]
    return np.asarray(keep, dtype=np.int64).reshape(-1, 2) if keep else empty


def pitch_track(audio: np.ndarray, sr: int = TARGET_SAMPLE_RATE, intervals: np.ndarray | None = None
                ) -> np.ndarray:
    """F0 (Hz) of voiced frames inside ``intervals``; float array ``(m,)``, may be empty.

    ``yin`` has no voicing decision, so frames pinned to the search limits or
    with little energy are dropped.
    """
    import librosa

    if audio.size < FRAME * 2:
        return np.zeros(0, dtype=np.float32)
    f0 = librosa.yin(audio, fmin=FMIN_HZ, fmax=FMAX_HZ, sr=sr, frame_length=FRAME, hop_length=HOP)
    rms = librosa.feature.rms(y=audio, frame_length=FRAME, hop_length=HOP)[0]
    n = min(f0.size, rms.size)
    f0, rms = f0[:n], rms[:n]
    mask = (f0 > FMIN_HZ * 1.05) & (f0 < FMAX_HZ * 0.95) & (rms > rms.max() * 10 ** (-25 / 20))
    if intervals is not None and len(intervals):
        centres = np.arange(n) * HOP
        inside = np.zeros(n, dtype=bool)
        for s, e in intervals:
            inside |= (centres >= s) & (centres < e)
        mask &= inside
    return f0[mask].astype(np.float32)


def analyse(audio: np.ndarray, words: Iterable | None = None, sr: int = TARGET_SAMPLE_RATE) -> dict:
    """Delivery measures for one utterance or answer.

    Args:
        audio: mono float32 ``(n,)`` at ``sr`` Hz.
        words: optional word timings (``start``/``end`` in s) for the pace.
        sr: sample rate (Hz).

    Returns:
        ``duration_s`` (s), ``speech_s`` (s of non-silent audio),
        ``wpm`` (words per minute over the first-to-last word span; None without words),
        ``word_count``, ``pause_ratio`` (0..1, silence inside the first-to-last speech span),
        ``pauses`` (gaps >= MIN_PAUSE_S: ``[{"start","end","duration"}]`` in s),
        ``long_pauses`` (same, >= LONG_PAUSE_S), ``pauses_per_min``,
        ``volume_dbfs`` (RMS of the non-silent part, dBFS), ``peak_dbfs`` (dBFS),
        ``pitch_median_hz`` (Hz or None), ``pitch_variation_st`` (std of F0 in semitones or None).
    """
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    duration = audio.size / sr
    iv = speech_intervals(audio, sr)
    speech_s = float(sum(e - s for s, e in iv)) / sr
    pauses = []
    for (s0, e0), (s1, e1) in zip(iv[:-1], iv[1:]):
        gap = (s1 - e0) / sr
        if gap >= MIN_PAUSE_S:
            pauses.append({"start": round(float(e0) / sr, 3), "end": round(float(s1) / sr, 3),
                           "duration": round(float(gap), 3)})
    span = (iv[-1][1] - iv[0][0]) / sr if len(iv) else 0.0
    span = float(span)
    pause_total = float(sum(p["duration"] for p in pauses))
    active = np.concatenate([audio[s:e] for s, e in iv]) if len(iv) else audio[:0]
    volume = rms_dbfs(active) if active.size else DBFS_FLOOR
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    peak_dbfs = 20 * math.log10(peak) if peak > 0 else DBFS_FLOOR

    wl = list(words or [])
    wpm = None
    if wl:
        first, last = float(_get(wl[0], "start")), float(_get(wl[-1], "end"))
        # Long pauses have their own nudge; leave them out of the pace.
        long_gaps = sum(
            g for g in (float(_get(b, "start")) - float(_get(a, "end")) for a, b in zip(wl[:-1], wl[1:]))
            if g >= LONG_PAUSE_S
        )
        talk = last - first - long_gaps
        if talk >= 0.5:
            wpm = len(wl) / talk * 60.0

    f0 = pitch_track(audio, sr, iv) if speech_s >= 0.5 else np.zeros(0)
    pitch_median = pitch_var = None
    if f0.size >= 10:
        med = float(np.median(f0))
        pitch_median = med
        pitch_var = float(np.std(12.0 * np.log2(f0 / med)))
    return {
        "duration_s": round(duration, 3),
        "speech_s": round(speech_s, 3),
        "wpm": round(wpm, 1) if wpm is not None else None,
        "word_count": len(wl),
        "pause_ratio": round(pause_total / span, 3) if span > 0 else 0.0,
        "pauses": pauses,
        "long_pauses": [p for p in pauses if p["duration"] >= LONG_PAUSE_S],
        "pauses_per_min": round(len(pauses) / span * 60.0, 1) if span > 0 else 0.0,
        "volume_dbfs": round(float(volume), 1),
        "peak_dbfs": round(peak_dbfs, 1),
        "pitch_median_hz": round(pitch_median, 1) if pitch_median is not None else None,
        "pitch_variation_st": round(pitch_var, 2) if pitch_var is not None else None,
    }


def nudges(delivery: dict, *, fast_wpm: float = FAST_WPM, slow_wpm: float = SLOW_WPM,
           quiet_dbfs: float = QUIET_DBFS, long_pause_s: float = LONG_PAUSE_S,
           monotone_st: float = MONOTONE_ST) -> list[dict]:
    """Advisory ``real_time_feedback`` items for a :func:`analyse` result.

    Returns ``[{"kind": "pace"|"volume"|"pause"|"pitch", "message": str}]``;
    empty when there is too little speech to judge.
    """
    out: list[dict] = []
    speech = delivery.get("speech_s") or 0.0
    wpm = delivery.get("wpm")
    if wpm is not None and delivery.get("word_count", 0) >= MIN_WORDS_FOR_PACE and speech >= MIN_SPEECH_S_FOR_PACE:
        if wpm > fast_wpm:
            out.append({"kind": "pace", "message": f"Slow down: about {wpm:.0f} words per minute (aim for 140-160)."})
        elif wpm < slow_wpm:
            out.append({"kind": "pace", "message": f"Pick up the pace a little: about {wpm:.0f} words per minute."})
    if speech >= 1.0 and delivery.get("volume_dbfs", 0.0) < quiet_dbfs:
        out.append({"kind": "volume", "message": "Speak up: your voice is quiet."})
    longest = max((p["duration"] for p in delivery.get("pauses", [])), default=0.0)
    if longest >= long_pause_s:
        out.append({"kind": "pause", "message": f"Long pause ({longest:.1f} s): keep going, or summarise your point."})
    var = delivery.get("pitch_variation_st")
    if var is not None and speech >= MIN_SPEECH_S_FOR_PITCH and var < monotone_st:
        out.append({"kind": "pitch", "message": "Vary your tone a little to sound more engaged."})
    return out


def pause_nudge(pause_s: float) -> dict:
    """The live ``pause`` nudge for a silence of ``pause_s`` s after speech."""
    return {"kind": "pause", "message": f"Long pause ({pause_s:.1f} s): take a breath and continue."}

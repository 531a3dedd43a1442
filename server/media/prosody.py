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
``KO_FAST_SPS``        5.5 syl/s   Korean pace is counted in syllables per second (sps), the unit of
``KO_SLOW_SPS``        3.5 syl/s   Korean speech-rate studies: Lee, Shin, Yoo & Kim (2017), "Speech
                                   rate in Korean across region, gender and generation", *Phonetics
                                   and Speech Sciences* 9(1):27-39, measure speaking rate (pauses
                                   included) and articulation rate in sps over 412 speakers of the
                                   Korean Standard Speech Database; Shim (2004), *Speech Sciences*
                                   11(3):193-200, gives the norms for standard-Korean adults. The
                                   band 3.5-5.5 sps brackets those adults' speaking rates (about 4-5
                                   sps, faster for younger speakers); outside it -> the nudges.
``FILLERS``            see below   hesitation words counted in the transcript: "um", "uh", "er",
                                   "hmm", "like" (English); "음", "어", "그", "저", "약간" (Korean).
                                   Finals keep them because the decoder prompt has fillers
                                   (server/media/prompt.py). ``MANY_FILLERS_PER_MIN`` (6 per
                                   minute of speech) -> "fewer fillers"; the cut-off is ours.
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
KO_FAST_SPS = 5.5
KO_SLOW_SPS = 3.5
#: Hesitation words per language (lower case, whole tokens after stripping punctuation).
FILLERS = {
    "en": frozenset({"um", "umm", "uh", "uhh", "er", "erm", "hmm", "mm", "like"}),
    "ko": frozenset({"음", "어", "으", "그", "저", "약간", "뭐", "그니까", "아"}),
}
MANY_FILLERS_PER_MIN = 6.0
MIN_SYLLABLES_FOR_PACE = 15
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


def hangul_syllables(text: str) -> int:
    """Number of precomposed Hangul syllables (U+AC00-U+D7A3) in ``text``."""
    return sum(1 for ch in text if "\uac00" <= ch <= "\ud7a3")


def fillers(text: str, language: str | None = "en") -> list[str]:
    """The hesitation words (:data:`FILLERS`) in ``text``, in order. ``language`` ``ko`` also
    counts lengthened forms ("으음", "어어"); "like" counts only where it is not a verb ("I like ...",
    "would like")."""
    import re

    lang = language if language in FILLERS else "en"
    toks = [t for t in re.split(r"[\s,.!?;:…~\-\"'()]+", text.lower()) if t]
    out = []
    for i, t in enumerate(toks):
        if lang == "ko" and re.fullmatch(r"(음+|으+음*|어+|아+)", t):
            out.append(t)
        elif t in FILLERS[lang]:
            if t == "like" and i > 0 and toks[i - 1] in {"i", "you", "we", "they", "would", "to", "don't", "didn't"}:
                continue
            out.append(t)
    return out


def analyse(audio: np.ndarray, words: Iterable | None = None, sr: int = TARGET_SAMPLE_RATE, *,
            text: str | None = None, language: str | None = None) -> dict:
    """Delivery measures for one utterance or answer.

    Args:
        audio: mono float32 ``(n,)`` at ``sr`` Hz.
        words: optional word timings (``start``/``end`` in s) for the pace.
        sr: sample rate (Hz).
        text: the transcript, for fillers, syllables and a word count when there are no timings.
        language: ``ko`` measures pace in syllables per second; others in words per minute.

    Returns:
        ``duration_s`` (s), ``speech_s`` (s of non-silent audio),
        ``wpm`` (words per minute over the first-to-last word span; None without words),
        ``word_count``, ``pause_ratio`` (0..1, silence inside the first-to-last speech span),
        ``pauses`` (gaps >= MIN_PAUSE_S: ``[{"start","end","duration"}]`` in s),
        ``long_pauses`` (same, >= LONG_PAUSE_S), ``pauses_per_min``,
        ``volume_dbfs`` (RMS of the non-silent part, dBFS), ``peak_dbfs`` (dBFS),
        ``pitch_median_hz`` (Hz or None), ``pitch_variation_st`` (std of F0 in semitones or None),
        ``language``, ``syllables`` and ``syllables_per_s`` (Korean: Hangul syllables over the
        speaking span less long pauses; None otherwise or with under 1 s of speech),
        ``fillers`` (count), ``filler_words`` (list), ``fillers_per_min`` (per minute of speech).
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

    text = text or " ".join(str(_get(w, "word")) for w in wl)
    word_count = len(wl) or len(text.split())
    syllables = hangul_syllables(text) if language == "ko" else 0
    sps = None
    talk_s = span - sum(p["duration"] for p in pauses if p["duration"] >= LONG_PAUSE_S)
    if language == "ko" and syllables and talk_s >= 1.0:
        sps = syllables / talk_s
    fw = fillers(text, language)

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
        "word_count": word_count,
        "pause_ratio": round(pause_total / span, 3) if span > 0 else 0.0,
        "pauses": pauses,
        "long_pauses": [p for p in pauses if p["duration"] >= LONG_PAUSE_S],
        "pauses_per_min": round(len(pauses) / span * 60.0, 1) if span > 0 else 0.0,
        "volume_dbfs": round(float(volume), 1),
        "peak_dbfs": round(peak_dbfs, 1),
        "pitch_median_hz": round(pitch_median, 1) if pitch_median is not None else None,
        "pitch_variation_st": round(pitch_var, 2) if pitch_var is not None else None,
        "language": language,
        "syllables": syllables,
        "syllables_per_s": round(sps, 2) if sps is not None else None,
        "fillers": len(fw),
        "filler_words": fw,
        "fillers_per_min": round(len(fw) / speech_s * 60.0, 1) if speech_s >= 1.0 else 0.0,
    }


_MESSAGES = {
    "en": {
        "fast": "Slow down: about {wpm:.0f} words per minute (aim for 140-160).",
        "slow": "Pick up the pace a little: about {wpm:.0f} words per minute.",
        "fast_ko": "Slow down: about {sps:.1f} syllables per second (aim for 4-5).",
        "slow_ko": "Pick up the pace a little: about {sps:.1f} syllables per second.",
        "volume": "Speak up: your voice is quiet.",
        "pause": "Long pause ({s:.1f} s): keep going, or summarise your point.",
        "live_pause": "Long pause ({s:.1f} s): take a breath and continue.",
        "pitch": "Vary your tone a little to sound more engaged.",
        "fillers": "Fewer fillers: {n} so far ({words}). A short silent pause works better.",
    },
    "ko": {
        "fast": "조금 천천히 말해 보세요: 분당 약 {wpm:.0f}단어입니다 (140-160 권장).",
        "slow": "조금 더 빠르게 말해 보세요: 분당 약 {wpm:.0f}단어입니다.",
        "fast_ko": "조금 천천히 말해 보세요: 초당 약 {sps:.1f}음절입니다 (4-5음절 권장).",
        "slow_ko": "조금 더 빠르게 말해 보세요: 초당 약 {sps:.1f}음절입니다.",
        "volume": "목소리를 조금 더 크게 해 주세요.",
        "pause": "긴 멈춤({s:.1f}초): 계속 말하거나 요점을 정리해 보세요.",
        "live_pause": "긴 멈춤({s:.1f}초): 숨을 고르고 이어서 말해 보세요.",
        "pitch": "억양에 변화를 주면 더 생동감 있게 들립니다.",
        "fillers": "군말을 줄여 보세요: 지금까지 {n}번({words}). 짧게 멈추는 편이 낫습니다.",
    },
}


def message(key: str, language: str | None = "en", **values) -> str:
    """The nudge text ``key`` in ``language`` (``ko``, else English), formatted with ``values``."""
    return _MESSAGES.get(language or "en", _MESSAGES["en"])[key].format(**values)


def nudges(delivery: dict, *, fast_wpm: float = FAST_WPM, slow_wpm: float = SLOW_WPM,
           quiet_dbfs: float = QUIET_DBFS, long_pause_s: float = LONG_PAUSE_S,
           monotone_st: float = MONOTONE_ST, language: str | None = None) -> list[dict]:
    """Advisory ``real_time_feedback`` items for a :func:`analyse` result, in ``language``
    (default: the delivery's own ``language``; ``ko`` or English).

    Returns ``[{"kind": "pace"|"volume"|"pause"|"pitch"|"fillers", "message": str}]``;
    empty when there is too little speech to judge. Korean pace uses ``syllables_per_s`` against
    :data:`KO_SLOW_SPS`-:data:`KO_FAST_SPS`.
    """
    lang = language or delivery.get("language") or "en"
    out: list[dict] = []
    speech = delivery.get("speech_s") or 0.0
    wpm = delivery.get("wpm")
    sps = delivery.get("syllables_per_s")
    if sps is not None and (delivery.get("syllables") or 0) >= MIN_SYLLABLES_FOR_PACE and speech >= MIN_SPEECH_S_FOR_PACE:
        if sps > KO_FAST_SPS:
            out.append({"kind": "pace", "message": message("fast_ko", lang, sps=sps)})
        elif sps < KO_SLOW_SPS:
            out.append({"kind": "pace", "message": message("slow_ko", lang, sps=sps)})
    elif wpm is not None and delivery.get("word_count", 0) >= MIN_WORDS_FOR_PACE and speech >= MIN_SPEECH_S_FOR_PACE:
        if wpm > fast_wpm:
            out.append({"kind": "pace", "message": message("fast", lang, wpm=wpm)})
        elif wpm < slow_wpm:
            out.append({"kind": "pace", "message": message("slow", lang, wpm=wpm)})
    if speech >= 1.0 and delivery.get("volume_dbfs", 0.0) < quiet_dbfs:
        out.append({"kind": "volume", "message": message("volume", lang)})
    longest = max((p["duration"] for p in delivery.get("pauses", [])), default=0.0)
    if longest >= long_pause_s:
        out.append({"kind": "pause", "message": message("pause", lang, s=longest)})
    var = delivery.get("pitch_variation_st")
    if var is not None and speech >= MIN_SPEECH_S_FOR_PITCH and var < monotone_st:
        out.append({"kind": "pitch", "message": message("pitch", lang)})
    return out


def filler_nudge(filler_words: list[str], speech_s: float, language: str | None = "en") -> dict | None:
    """The ``fillers`` nudge when a turn so far has at least 3 fillers and more than
    :data:`MANY_FILLERS_PER_MIN` per minute of speech, else None."""
    n = len(filler_words)
    if n < 3 or speech_s <= 0 or n / speech_s * 60.0 <= MANY_FILLERS_PER_MIN:
        return None
    words = ", ".join(dict.fromkeys(filler_words))
    return {"kind": "fillers", "message": message("fillers", language, n=n, words=words)}


def pause_nudge(pause_s: float, language: str | None = "en") -> dict:
    """The live ``pause`` nudge for a silence of ``pause_s`` s after speech, in ``language``."""
    return {"kind": "pause", "message": message("live_pause", language, s=pause_s)}

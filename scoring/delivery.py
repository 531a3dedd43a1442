"""Spoken delivery in the score: ``pace`` and ``pauses`` dimensions that feed ``communication``.

A spoken answer is scored on its transcript exactly like a typed answer; the media
sidecar's delivery measurements (``AnswerToScore.spoken``: ``wpm``, ``pauses``,
``long_pauses``, ``pause_ratio``, ``duration_s``, ``speech_s``, ``word_count``; see
``server/media/prosody.py``) then add two dimensions and move ``communication``
a little. Typed and AI answers (``spoken is None``) are returned unchanged.

=================  ===========================================================================
rule               why
=================  ===========================================================================
pace 100 inside    US English conversation averages about 150 wpm (National Center for Voice
120-170 wpm        and Speech); presentation coaching aims at 140-160. The sidecar nudges
                   below 100 and above 180 wpm (``prosody.SLOW_WPM`` / ``FAST_WPM``). Outside
                   the band we take 1.5 points per wpm (100 wpm -> 70, 200 wpm -> 55), floor 20.
Korean pace        Korean speech rate is measured in syllables per second (Lee, Shin, Yoo & Kim
100 inside         2017, Phonetics and Speech Sciences 9(1):27-39: speaking and articulation rate
4.0-5.0 syl/s      in sps over the Korean Standard Speech Database; ``server/media/prosody.py``).
                   The sidecar nudges below 3.5 and above 5.5 sps. Outside the band we take 30
                   points per syllable per second (3.0 -> 70, 6.0 -> 70), floor 20.
pauses             pauses over 1 s are "long" in Campione & Veronis (Speech Prosody 2002); the
                   sidecar's ``long_pauses`` are >= 2 s. -25 per long pause per minute of
                   answer, and -1 per percentage point of silence above 30% of the speaking
                   span (pause_ratio), floor 20. The cut-offs are ours.
communication      0.7 x the text communication + 0.3 x the mean of pace and pauses, so delivery
                   moves the overall score by at most 0.3 x the communication weight x 100
                   (4.5 points with the competitive weights, 3 with the rubric's).
=================  ===========================================================================

Filler words are measured (``fillers``, ``fillers_per_min``: the decoder prompt keeps "um", "음")
and coached live, but not scored: the count depends on the model keeping them. Facial expression is advisory and scored only when the
host opted in (``score_expression``): then ``expression`` = 100 x the mean share of happy, neutral
and half of surprise over the answer's camera samples (the FER2013 labels), i.e. composure, which
joins pace and pauses in the delivery share. This is our own, deliberately small weighting.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from rooms.scoring import AnswerToScore, ScoreResult, clamp_score

PACE_BAND_WPM = (120.0, 170.0)
PACE_SLOPE = 1.5                 # points per wpm outside the band
PACE_BAND_SPS = (4.0, 5.0)       # Korean: syllables per second
PACE_SLOPE_SPS = 30.0            # points per syllable/s outside the Korean band
LONG_PAUSE_PENALTY = 25.0        # points per long pause (>= 2 s) per minute of answer
PAUSE_RATIO_FREE = 0.30          # silence share of the speaking span without penalty (0..1)
FLOOR = 20.0
DELIVERY_SHARE = 0.3             # share of communication that comes from delivery (0..1)
MIN_WORDS, MIN_SPEECH_S = 8, 3.0  # less evidence than this: no delivery dimensions (as prosody's pace nudge)


def pace_score(wpm: float) -> float:
    """0-100 for a speaking rate in words per minute."""
    lo, hi = PACE_BAND_WPM
    off = lo - wpm if wpm < lo else wpm - hi if wpm > hi else 0.0
    return max(FLOOR, 100.0 - PACE_SLOPE * off)


def pace_score_sps(sps: float) -> float:
    """0-100 for a Korean speaking rate in syllables per second."""
    lo, hi = PACE_BAND_SPS
    off = lo - sps if sps < lo else sps - hi if sps > hi else 0.0
    return max(FLOOR, 100.0 - PACE_SLOPE_SPS * off)


def pause_score(d: Mapping) -> float:
    """0-100 from long pauses per minute and the silence share (``pause_ratio``, 0..1)."""
    minutes = max(float(d.get("duration_s") or d.get("speech_s") or 0.0) / 60.0, 0.25)
    long_per_min = len(d.get("long_pauses") or []) / minutes
    ratio = float(d.get("pause_ratio") or 0.0)
    return max(FLOOR, 100.0 - LONG_PAUSE_PENALTY * long_per_min - 100.0 * max(0.0, ratio - PAUSE_RATIO_FREE))


def delivery_dimensions(spoken: Mapping | None) -> dict[str, float]:
    """``{"pace": 0-100, "pauses": 0-100}`` for enough speech (>= 8 words, >= 3 s), else ``{}``."""
    if not spoken or int(spoken.get("word_count") or 0) < MIN_WORDS or \
            float(spoken.get("speech_s") or 0.0) < MIN_SPEECH_S:
        return {}
    dims = {"pauses": pause_score(spoken)}
    if spoken.get("syllables_per_s"):
        dims["pace"] = pace_score_sps(float(spoken["syllables_per_s"]))
    elif spoken.get("wpm"):
        dims["pace"] = pace_score(float(spoken["wpm"]))
    expr = spoken.get("expression")
    if isinstance(expr, Mapping) and isinstance(expr.get("emotions"), Mapping):
        e = expr["emotions"]
        composure = float(e.get("happy", 0)) + float(e.get("neutral", 0)) + 0.5 * float(e.get("surprise", 0))
        dims["expression"] = max(FLOOR, min(100.0, 100.0 * composure))
    return dims


def apply_delivery(results: dict[str, ScoreResult], answers: Sequence[AnswerToScore],
                   weights: Mapping[str, float], lang: str = "en") -> dict[str, ScoreResult]:
    """Add ``pace``/``pauses`` to spoken answers' dimensions and blend them into ``communication``.

    Args:
        results: ``{answer_id: ScoreResult}`` from a scorer.
        answers: the scored answers (``spoken`` carries the delivery dict, or None).
        weights: the category's dimension weights (``communication`` is used).
        lang: feedback language ("ko" | "en").

    Returns:
        A new dict; answers that are typed, skipped, scored 0 or without enough speech are unchanged.
    """
    out = dict(results)
    for a in answers:
        r = out.get(a.answer_id)
        if r is None or a.skipped or not a.spoken or r.score <= 0 or not a.text.strip():
            continue
        extra = delivery_dimensions(a.spoken)
        if not extra:
            continue
        comm = float(r.dimensions.get("communication", 0))
        new_comm = (1 - DELIVERY_SHARE) * comm + DELIVERY_SHARE * sum(extra.values()) / len(extra)
        score = clamp_score(r.score + float(weights.get("communication", 0.1)) * (new_comm - comm))
        dims = {**r.dimensions, "communication": clamp_score(new_comm), **{k: clamp_score(v) for k, v in extra.items()}}
        wpm = a.spoken.get("wpm")
        sps = a.spoken.get("syllables_per_s")
        longs = len(a.spoken.get("long_pauses") or [])
        if lang == "ko":
            pace = f"초당 {sps:.1f}음절" if sps else f"분당 {wpm:.0f}단어" if wpm else ""
            note = (f"(말하기: {pace}" if pace else "(말하기") + f", 긴 멈춤 {longs}번)"
        else:
            note = (f"(spoken: {wpm:.0f} wpm" if wpm else "(spoken") + f", {longs} long pause{'s' if longs != 1 else ''})"
        out[a.answer_id] = ScoreResult(score=score, dimensions=dims, feedback=f"{r.feedback} {note}".strip())
    return out

"""Delivery measures and nudges on real speech."""

from __future__ import annotations

import numpy as np
import pytest

from server.media import prosody
from server.media.audio import load_audio_16k


@pytest.fixture(scope="module")
def analysed(transcriber, speech):
    prosody.warmup()
    out = {}
    for key in ("cache", "fast", "pause"):
        a = load_audio_16k(speech[key])
        tr = transcriber.transcribe(a)
        out[key] = prosody.analyse(a, tr.words)
    a = load_audio_16k(speech["cache"]) * 0.05  # -26 dB: about -47 dBFS active speech
    out["quiet"] = prosody.analyse(a, transcriber.transcribe(a).words)
    return out


def kinds(delivery):
    return {n["kind"] for n in prosody.nudges(delivery)}


def test_normal_speech_gets_no_nudge(analysed):
    d = analysed["cache"]
    assert 130 <= d["wpm"] <= 200  # espeak-ng -s 160 (words per minute setting)
    assert -30 < d["volume_dbfs"] < -10
    assert d["pitch_median_hz"] and 70 < d["pitch_median_hz"] < 200
    assert kinds(d) == set()


def test_fast_speech_says_slow_down(analysed):
    d = analysed["fast"]
    assert d["wpm"] > prosody.FAST_WPM
    assert d["wpm"] > analysed["cache"]["wpm"] * 1.3
    msgs = prosody.nudges(d)
    assert [n["kind"] for n in msgs] == ["pace"]
    assert msgs[0]["message"].startswith("Slow down")


def test_pause_is_found(analysed):
    d = analysed["pause"]
    assert len(d["long_pauses"]) == 1 and d["long_pauses"][0]["duration"] >= 2.5
    assert d["pause_ratio"] > 0.3
    assert "pause" in kinds(d)
    assert "pace" not in kinds(d)  # long pauses are left out of the pace


def test_quiet_speech_says_speak_up(analysed):
    d = analysed["quiet"]
    assert d["volume_dbfs"] < prosody.QUIET_DBFS
    assert "volume" in kinds(d)


def test_silence_and_tiny_input():
    d = prosody.analyse(np.zeros(16000, np.float32))
    assert d["wpm"] is None and d["speech_s"] == 0.0
    assert prosody.nudges(d) == []
    assert prosody.analyse(np.zeros(10, np.float32))["duration_s"] == pytest.approx(10 / 16000, abs=1e-3)
